//! The retention sweep: every `retention.interval_ms` it removes, in
//! bounded batches, payments that ended `expired` without a transaction
//! and quarantine entries older than `retention.keep_days` (the rule is
//! `Payments::sweep`'s); while batches come back full it goes on at once.
//! Then it makes one pass over the velocity rule's check-time lists,
//! `retention.batch_max` at a time, removing those with no check in the
//! last hour (`Payments::sweep_velocity`) — also when `keep_days` is 0:
//! nothing reads them any more.

use std::time::Duration;

use jiff::SignedDuration;
use tokio::sync::watch;

use crate::clock::Clock;
use crate::config::RetentionSettings;
use crate::payments::{CounterCursor, DbError, Payments, Retention, Swept, VelocitySwept};

/// The rule's settings from the daemon's; `None` keeps everything.
pub fn retention_of(settings: &RetentionSettings) -> Option<Retention> {
    (settings.keep_days > 0).then(|| Retention {
        keep: SignedDuration::from_hours(i64::from(settings.keep_days) * 24),
        batch_max: settings.batch_max,
    })
}

/// Sweeps until `stop` turns true.
pub async fn run_retention(
    payments: Payments,
    clock: Clock,
    settings: RetentionSettings,
    mut stop: watch::Receiver<bool>,
) {
    let retention = retention_of(&settings);
    let interval = Duration::from_millis(settings.interval_ms.max(1));
    loop {
        if let Some(retention) = retention {
            sweep_until_done(&payments, &clock, retention, &stop).await;
        }
        sweep_velocity(&payments, &clock, settings.batch_max.max(1), &stop).await;
        tokio::select! {
            () = tokio::time::sleep(interval) => {}
            _ = stop.changed() => break,
        }
        if *stop.borrow() {
            break;
        }
    }
}

/// Payments and quarantine entries, batch after batch while they come
/// back full.
async fn sweep_until_done(
    payments: &Payments,
    clock: &Clock,
    retention: Retention,
    stop: &watch::Receiver<bool>,
) {
    loop {
        match sweep_once(payments, clock, retention).await {
            Ok(swept) if swept.full(retention.batch_max) && !*stop.borrow() => {
                tracing::info!(
                    payments = swept.payments,
                    quarantine = swept.quarantine,
                    "retention removed a full batch; going on"
                );
            }
            Ok(Swept {
                payments: 0,
                quarantine: 0,
            }) => break,
            Ok(swept) => {
                tracing::info!(
                    payments = swept.payments,
                    quarantine = swept.quarantine,
                    "retention removed what it keeps no longer"
                );
                break;
            }
            Err(e) => {
                tracing::error!(error = %e, "retention sweep failed; it tries again later");
                break;
            }
        }
    }
}

/// One pass over the velocity rule's check-time lists, a page at a time.
async fn sweep_velocity(
    payments: &Payments,
    clock: &Clock,
    page_max: usize,
    stop: &watch::Receiver<bool>,
) {
    let mut cursor = CounterCursor::default();
    let mut removed = 0usize;
    while !*stop.borrow() {
        let now = clock.now();
        let sweeper = payments.clone();
        let from = cursor.clone();
        let page =
            tokio::task::spawn_blocking(move || sweeper.sweep_velocity(&from, now, page_max)).await;
        let page = match page {
            Ok(Ok(written)) => written.durable().await,
            Ok(Err(e)) => Err(e),
            Err(e) => Err(DbError::Io(std::sync::Arc::new(std::io::Error::other(
                e.to_string(),
            )))),
        };
        match page {
            Ok(VelocitySwept {
                removed: r, next, ..
            }) => {
                removed += r;
                match next {
                    Some(next) => cursor = next,
                    None => break,
                }
            }
            Err(e) => {
                tracing::error!(error = %e, "velocity sweep failed; it tries again later");
                break;
            }
        }
    }
    if removed > 0 {
        tracing::info!(removed, "retention removed check counts older than an hour");
    }
}

/// One sweep at the clock's now, off the async threads (it reads and
/// writes the data folder), made durable.
pub async fn sweep_once(
    payments: &Payments,
    clock: &Clock,
    retention: Retention,
) -> Result<Swept, DbError> {
    let now = clock.now();
    let sweeper = payments.clone();
    let written = tokio::task::spawn_blocking(move || sweeper.sweep(&retention, now))
        .await
        .map_err(|e| DbError::Io(std::sync::Arc::new(std::io::Error::other(e.to_string()))))??;
    written.durable().await
}
