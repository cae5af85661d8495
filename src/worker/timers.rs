//! The timer worker: closes windows whose deadline has passed by sending
//! `search_window_over` / `approval_window_over` to the payment.

use std::time::Duration;

use tokio::sync::watch;

use crate::clock::Clock;
use crate::config::WorkerSettings;
use crate::store::{DueTimer, Store, StoreError};

/// Polls for due timers until `stop` turns true.
pub async fn run_timers(
    store: Store,
    clock: Clock,
    settings: WorkerSettings,
    mut stop: watch::Receiver<bool>,
) {
    let poll = Duration::from_millis(settings.poll_interval_ms);
    loop {
        match fire_due_timers(&store, &clock, settings.batch_max).await {
            Ok(0) => {}
            Ok(fired) => tracing::debug!(fired, "timers fired"),
            Err(e) => tracing::error!(error = %e, "timer worker could not fire timers"),
        }
        tokio::select! {
            () = tokio::time::sleep(poll) => {}
            _ = stop.changed() => break,
        }
        if *stop.borrow() {
            break;
        }
    }
}

/// Fires every timer due now (at most `batch_max`); returns how many
/// transitions it made durable.
pub async fn fire_due_timers(
    store: &Store,
    clock: &Clock,
    batch_max: usize,
) -> Result<usize, StoreError> {
    let now = clock.now();
    let mut fired = 0;
    for timer in store.due_timers(now, batch_max)? {
        let Some(record) = store.payment(&timer.payment_id)? else {
            store.drop_timer(&timer)?;
            continue;
        };
        let Some(deadline) = record.deadline.filter(|d| d.at == timer.at) else {
            // The index outlived its deadline: drop it so it cannot block the queue.
            store.drop_timer(&timer)?;
            continue;
        };
        match store.apply(&timer.payment_id, &DueTimer::event(deadline.kind), now)? {
            Ok(written) => {
                written.durable().await?;
                fired += 1;
            }
            Err(not_applied) => {
                tracing::warn!(payment_id = %timer.payment_id, %not_applied, "due timer refused");
                store.drop_timer(&timer)?;
            }
        }
    }
    Ok(fired)
}
