//! The timer worker: closes windows whose deadline has passed by sending
//! `search_window_over` / `approval_window_over` to the payment.

use std::time::Duration;

use tokio::sync::watch;

use crate::clock::Clock;
use crate::config::WorkerSettings;
use crate::payments::{DbError, Payments};

/// Polls for due timers until `stop` turns true.
pub async fn run_timers(
    payments: Payments,
    clock: Clock,
    settings: WorkerSettings,
    mut stop: watch::Receiver<bool>,
) {
    let poll = Duration::from_millis(settings.poll_interval_ms);
    loop {
        match fire_due_timers(&payments, &clock, settings.batch_max).await {
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
    payments: &Payments,
    clock: &Clock,
    batch_max: usize,
) -> Result<usize, DbError> {
    let closed = payments.close_due_windows(clock.now(), batch_max)?;
    let fired = closed.len();
    for written in closed {
        written.durable().await?;
    }
    Ok(fired)
}
