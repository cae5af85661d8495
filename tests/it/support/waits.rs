//! Waiting for the daemon's workers: a payment's admin detail once a
//! condition holds, moving business time on as the workers' backoffs and
//! reconcile delays need (the daemon's clock is the test's).

use std::time::{Duration, Instant};

use serde_json::Value;

use super::daemon::TestDaemon;

/// The payment's admin detail once `done` holds for it (up to 15 s of
/// real time). Business time is moved on by 100 ms each round.
pub async fn until(daemon: &TestDaemon, id: &str, done: impl Fn(&Value) -> bool) -> Value {
    let started = Instant::now();
    loop {
        let detail = daemon
            .admin_get(&format!("/admin/payments/{id}"))
            .await
            .body;
        if done(&detail) || started.elapsed() > Duration::from_secs(15) {
            return detail;
        }
        daemon.clock.advance(jiff::SignedDuration::from_millis(100));
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// The payment's admin detail once it is `state`; fails the test if it
/// never gets there.
pub async fn until_state(daemon: &TestDaemon, id: &str, state: &str) -> Value {
    let detail = until(daemon, id, |d| d["state"] == state).await;
    assert_eq!(detail["state"], state, "{detail:#}");
    detail
}
