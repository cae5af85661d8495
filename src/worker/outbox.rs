//! The outbox worker: one loop per lane polls that lane's due index and
//! hands each due entry to the lane's performer. A restart resumes from
//! the index: nothing in memory is needed to find pending work.

use std::future::Future;
use std::time::Duration;

use tokio::sync::watch;

use crate::clock::Clock;
use crate::config::WorkerSettings;
use crate::payments::{DbError, Lane, OutboxEntry, OutboxKey, Payments};

/// Performs one lane's effects.
pub trait Performer: Send + Sync + 'static {
    fn lane(&self) -> Lane;

    /// Performs one due entry and records its outcome (done,
    /// or rescheduled with a reason). An error stops this round only.
    fn perform(
        &self,
        key: OutboxKey,
        entry: OutboxEntry,
    ) -> impl Future<Output = Result<(), DbError>> + Send;
}

/// Polls `performer`'s lane until `stop` turns true.
pub async fn run_lane<P: Performer>(
    payments: Payments,
    clock: Clock,
    settings: WorkerSettings,
    performer: P,
    mut stop: watch::Receiver<bool>,
) {
    let poll = Duration::from_millis(settings.poll_interval_ms);
    let lane = performer.lane();
    let mut activity = payments.activity();
    loop {
        match perform_due(&payments, &clock, &settings, &performer).await {
            Ok(0) => {}
            Ok(done) => tracing::debug!(?lane, done, "outbox entries performed"),
            Err(e) => tracing::error!(?lane, error = %e, "outbox worker round failed"),
        }
        tokio::select! {
            () = tokio::time::sleep(poll) => {}
            _ = activity.changed() => {}
            _ = stop.changed() => break,
        }
        if *stop.borrow() {
            break;
        }
    }
}

/// One round: every entry of the lane due now (at most `batch_max`).
pub async fn perform_due<P: Performer>(
    payments: &Payments,
    clock: &Clock,
    settings: &WorkerSettings,
    performer: &P,
) -> Result<usize, DbError> {
    let due = payments.due_outbox(performer.lane(), clock.now(), settings.batch_max)?;
    let mut performed = 0;
    for (key, _) in due {
        // The scan's copy may be stale by now: perform what is stored.
        let Some(entry) = payments.outbox_entry(&key)? else {
            continue;
        };
        if entry.due_at > clock.now() || !entry.is_queued() {
            continue;
        }
        // One entry's failure must not stall the entries behind it.
        match performer.perform(key, entry).await {
            Ok(()) => performed += 1,
            Err(e) => {
                tracing::error!(lane = ?performer.lane(), error = %e, "outbox entry failed; it stays due")
            }
        }
    }
    Ok(performed)
}
