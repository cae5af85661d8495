//! The WHMCS lane's loop: polls the lane's due entries and performs each
//! (AddCredit in `credit`, an invoice's ApplyCredit in `invoice`), at most
//! `whmcs.concurrency_max` at once and one at a time per store.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;

use super::credit::Crediter;
use crate::config::WorkerSettings;
use crate::payments::{Lane, OutboxKey};

/// Removes a key from `in_progress` when dropped (also on a panic).
struct InProgress<'a> {
    crediter: &'a Crediter,
    key: &'a OutboxKey,
}

impl Drop for InProgress<'_> {
    fn drop(&mut self) {
        self.crediter.end(self.key);
    }
}

/// Polls the WHMCS lane and performs due entries, at most
/// `concurrency_max` at once, until `stop` turns true. Calls in flight at
/// shutdown are left to finish for up to the WHMCS timeout; one abandoned
/// is reconciled after the restart.
pub async fn run_credits(
    crediter: Arc<Crediter>,
    workers: WorkerSettings,
    mut stop: watch::Receiver<bool>,
) {
    let poll = Duration::from_millis(workers.poll_interval_ms);
    let slots = Arc::new(Semaphore::new(crediter.settings.concurrency_max));
    let mut tasks = JoinSet::new();
    let mut activity = crediter.payments.activity();
    loop {
        match crediter
            .payments
            .due_outbox(Lane::Whmcs, crediter.clock.now(), workers.batch_max)
        {
            Ok(due) => {
                for (key, entry) in due {
                    let Ok(slot) = slots.clone().try_acquire_owned() else {
                        break;
                    };
                    if !crediter.start(&key) {
                        continue;
                    }
                    let crediter = crediter.clone();
                    tasks.spawn(async move {
                        // Ends the key's "in progress" mark even if perform panics.
                        let _in_progress = InProgress {
                            crediter: &crediter,
                            key: &key,
                        };
                        if let Err(e) = crediter.perform(key.clone(), entry).await {
                            tracing::error!(error = %e, "crediting failed to record an outcome");
                        }
                        drop(slot);
                    });
                }
            }
            Err(e) => tracing::error!(error = %e, "crediting worker cannot read the outbox"),
        }
        while tasks.try_join_next().is_some() {}
        tokio::select! {
            () = tokio::time::sleep(poll) => {}
            _ = activity.changed() => {}
            Some(_) = tasks.join_next() => {}
            _ = stop.changed() => break,
        }
        if *stop.borrow() {
            break;
        }
    }
    let grace = crediter.client.timeout() + Duration::from_secs(1);
    if tokio::time::timeout(grace, async { while tasks.join_next().await.is_some() {} })
        .await
        .is_err()
    {
        tracing::warn!(
            "WHMCS calls still in flight at shutdown: they will be reconciled after the restart"
        );
    }
}
