//! Retention through the running daemon (finding 5): junk checks become
//! payments that expire without a transaction; the background sweep
//! removes them, and quarantine entries, once `retention.keep_days` have
//! passed, keeps every payment that touched money, and leaves a folder
//! that `verify` finds consistent.

use std::time::Duration;

use jiff::SignedDuration;
use serde_json::json;

use crate::support::api::{INGEST_TOKEN, STORE};
use crate::support::daemon::{TestDaemon, spawn_daemon};

async fn count(daemon: &TestDaemon, state: &str) -> usize {
    let listed = daemon
        .admin_get(&format!("/admin/payments?state={state}&limit=1000"))
        .await;
    listed.body["payments"].as_array().unwrap().len()
}

/// Waits (in real time, for the workers) until `state` has `n` payments.
async fn settle(daemon: &TestDaemon, state: &str, n: usize) {
    for _ in 0..500 {
        if count(daemon, state).await == n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("{state} never reached {n}: {}", count(daemon, state).await);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_sweep_removes_expired_junk_and_old_quarantine_and_keeps_money() {
    let daemon = spawn_daemon(|s| {
        s.retention.interval_ms = 50;
        s.retention.batch_max = 7;
    })
    .await;
    daemon.default_store().await;
    for n in 0..20 {
        let phone = format!("0111{n:07}");
        let junk = daemon
            .check(&[
                ("store_id", STORE),
                ("phone", &phone),
                ("amount", "5"),
                ("client_id", &format!("{}", 900 + n)),
            ])
            .await;
        assert_eq!(junk.status, 200);
    }
    // A real payment, credited; and a promotion SMS, quarantined.
    daemon.ingest_tx("014412345678", "01012345678", "100").await;
    let paid = daemon.check_simple("42", "100").await;
    assert_eq!(paid.body["state"], "credited");
    let promo = json!({"from": "VF-Cash", "text": "Get 5 GB free this week!"});
    assert_eq!(daemon.ingest(STORE, INGEST_TOKEN, &promo).await.status, 422);

    // The search window closes: the junk expires without a transaction.
    daemon.clock.advance(SignedDuration::from_hours(1));
    settle(&daemon, "expired", 20).await;
    // Thirty days are not over yet: nothing is removed.
    daemon.clock.advance(SignedDuration::from_hours(29 * 24));
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(count(&daemon, "expired").await, 20);
    // A day later the sweep removes them, seven at a time, and the old
    // quarantine entry; the credited payment stays.
    daemon.clock.advance(SignedDuration::from_hours(2 * 24));
    settle(&daemon, "expired", 0).await;
    assert_eq!(count(&daemon, "credited").await, 1);
    let quarantine = daemon.admin_get("/admin/quarantine").await;
    assert!(quarantine.body["quarantine"].as_array().unwrap().is_empty());
    let paid_id = paid.body["payment_id"].as_str().unwrap();
    let kept = daemon
        .admin_get(&format!("/admin/payments/{paid_id}"))
        .await;
    assert_eq!(kept.body["history"].as_array().unwrap().len(), 3);

    let parked = daemon.stop().await;
    let store = cashgate::payments::Payments::open(
        parked.dir.path(),
        cashgate::payments::PaymentsOptions::default(),
    )
    .unwrap();
    assert_eq!(store.verify().unwrap(), Vec::<String>::new());
    store.close().unwrap();
}
