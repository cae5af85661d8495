//! The outbox worker: one loop per lane polls that lane's due index and
//! hands each due entry to the lane's performer. A restart resumes from
//! the index: nothing in memory is needed to find pending work.

use std::future::Future;
use std::time::Duration;

use tokio::sync::watch;

use crate::clock::Clock;
use crate::config::WorkerSettings;
use crate::store::{Lane, OutboxEntry, OutboxStatus, Store, StoreError};

/// Performs one lane's effects.
pub trait Performer: Send + Sync + 'static {
    fn lane(&self) -> Lane;

    /// Performs one due entry and records its outcome in the store (done,
    /// or rescheduled with a reason). An error stops this round only.
    fn perform(
        &self,
        key: Vec<u8>,
        entry: OutboxEntry,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
}

/// Polls `performer`'s lane until `stop` turns true.
pub async fn run_lane<P: Performer>(
    store: Store,
    clock: Clock,
    settings: WorkerSettings,
    performer: P,
    mut stop: watch::Receiver<bool>,
) {
    let poll = Duration::from_millis(settings.poll_interval_ms);
    let lane = performer.lane();
    let mut activity = store.activity();
    loop {
        match perform_due(&store, &clock, &settings, &performer).await {
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
    store: &Store,
    clock: &Clock,
    settings: &WorkerSettings,
    performer: &P,
) -> Result<usize, StoreError> {
    let due = store.due_outbox(performer.lane(), clock.now(), settings.batch_max)?;
    let mut performed = 0;
    for (key, _) in due {
        // The scan's copy may be stale by now: perform what is stored.
        let Some(entry) = store.outbox_entry(&key)? else {
            continue;
        };
        if entry.due_at > clock.now()
            || !matches!(entry.status, OutboxStatus::Pending | OutboxStatus::InFlight)
        {
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
