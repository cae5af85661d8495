//! Keeps the rate limiters' memory bounded: every interval, each limiter
//! forgets the keys whose bucket has refilled and gives the memory back.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use crate::antispam::RateLimits;

pub async fn run_limiter_cleanup(
    limits: Arc<RateLimits>,
    interval_ms: u64,
    mut stop: watch::Receiver<bool>,
) {
    let interval = Duration::from_millis(interval_ms.max(1));
    loop {
        tokio::select! {
            () = tokio::time::sleep(interval) => {}
            _ = stop.changed() => break,
        }
        if *stop.borrow() {
            break;
        }
        let before = limits.keys();
        let limits = limits.clone();
        // retain_recent walks every key: keep it off the async threads.
        let after = tokio::task::spawn_blocking(move || {
            limits.cleanup();
            limits.keys()
        })
        .await
        .unwrap_or(before);
        tracing::debug!(before, after, "rate limiter keys cleaned up");
    }
}
