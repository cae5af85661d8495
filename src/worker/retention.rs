//! The retention sweep: every `retention.interval_ms` it removes, in
//! bounded batches, payments that ended `expired` without a transaction
//! and quarantine entries older than `retention.keep_days` (the rule is
//! `Payments::sweep`'s). While batches come back full it goes on at once.

use std::time::Duration;

use jiff::SignedDuration;
use tokio::sync::watch;

use crate::clock::Clock;
use crate::config::RetentionSettings;
use crate::payments::{DbError, Payments, Retention, Swept};

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
    let Some(retention) = retention_of(&settings) else {
        return;
    };
    let interval = Duration::from_millis(settings.interval_ms.max(1));
    loop {
        loop {
            match sweep_once(&payments, &clock, retention).await {
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
        tokio::select! {
            () = tokio::time::sleep(interval) => {}
            _ = stop.changed() => break,
        }
        if *stop.borrow() {
            break;
        }
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
