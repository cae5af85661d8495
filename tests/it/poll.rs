//! Polling with `?wait=N`: answers as soon as the state changes, or with
//! the old state when the wait is over.

use std::time::{Duration, Instant};

use crate::support::daemon::spawn_daemon;

#[tokio::test(flavor = "multi_thread")]
async fn a_long_poll_returns_soon_after_the_state_changes() {
    let daemon = spawn_daemon(|_| {}).await;
    daemon.default_store().await;
    let id = daemon.check_simple("42", "100").await.body["payment_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let http = daemon.http.clone();
    let url = daemon.url(&format!("/api/payments/{id}?wait=20"));
    let started = Instant::now();
    let poll = tokio::spawn(async move {
        http.get(url)
            .send()
            .await
            .unwrap()
            .json::<serde_json::Value>()
            .await
            .unwrap()
    });
    tokio::time::sleep(Duration::from_millis(500)).await;
    daemon.ingest_tx("014412345678", "01012345678", "100").await;
    let reply = poll.await.unwrap();
    let took = started.elapsed();
    // The poll answers with the state it reads once woken: `crediting`,
    // or already `credited` when the emulator answered AddCredit first.
    let state = reply["state"].as_str().unwrap_or_default();
    assert!(["crediting", "credited"].contains(&state), "{reply}");
    assert_eq!(reply["status"], false, "polls never report status true");
    assert!(
        took < Duration::from_secs(5),
        "took {took:?}, the wait was 20 s"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_long_poll_answers_the_old_state_when_nothing_changes() {
    let daemon = spawn_daemon(|_| {}).await;
    daemon.default_store().await;
    let id = daemon.check_simple("42", "100").await.body["payment_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let started = Instant::now();
    let reply = daemon.poll(&id, "?wait=1").await;
    assert!(started.elapsed() >= Duration::from_millis(900));
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body["state"], "searching");
    // `state=` names the state the caller knows: another one answers at once.
    let started = Instant::now();
    let at_once = daemon.poll(&id, "?wait=20&state=held").await;
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(at_once.body["state"], "searching");
}

#[tokio::test(flavor = "multi_thread")]
async fn polls_of_unknown_or_malformed_ids_are_404() {
    let daemon = spawn_daemon(|_| {}).await;
    let unknown = daemon.poll("pay_aaaaaaaaaaaaaaaaaaaaaaaaaa", "").await;
    assert_eq!(unknown.status, 404);
    assert_eq!(unknown.body["error"], "unknown_payment");
    assert_eq!(daemon.poll("nope", "").await.status, 404);
}
