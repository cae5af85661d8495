//! Claims cannot be stolen by being first (finding 3), from the attacker's
//! side: a check staked before the transfer, and a transfer that two
//! clients wait for, are held for a human whatever the store's anti-spam
//! setting, and nothing reaches WHMCS; an honest check made after paying
//! is not held by these rules.

use jiff::{SignedDuration, Timestamp};
use serde_json::json;

use crate::support::api::{INGEST_TOKEN, STORE};
use crate::support::daemon::{TestDaemon, spawn_daemon};

fn id_of(answer: &crate::support::api::Answer) -> String {
    answer.body["payment_id"].as_str().unwrap().to_owned()
}

async fn detail(daemon: &TestDaemon, id: &str) -> serde_json::Value {
    daemon
        .admin_get(&format!("/admin/payments/{id}"))
        .await
        .body
}

/// Moves the daemon's clock to `at`.
fn move_to(daemon: &TestDaemon, at: &str) {
    let at: Timestamp = at.parse().unwrap();
    let by = at.as_second() - daemon.clock.now().as_second();
    daemon.clock.advance(SignedDuration::from_secs(by));
}

/// The sample notification: 250 from 01012345678, transfer time
/// 3 October 2026 21:14 Cairo (18:14 UTC).
fn notification() -> serde_json::Value {
    let line = include_str!("../fixtures/vodafone-cash-sms.jsonl")
        .lines()
        .next()
        .unwrap();
    let sample: serde_json::Value = serde_json::from_str(line).unwrap();
    json!({"from": sample["from"], "text": sample["text"], "sentStamp": 1_791_051_000_000u64})
}

#[tokio::test(flavor = "multi_thread")]
async fn a_check_staked_before_the_transfer_by_another_client_is_held_not_credited() {
    let daemon = spawn_daemon(|_| {}).await;
    daemon.default_store().await; // anti-spam off, as stores are by default
    // The attacker stakes (phone, amount) 24 minutes before the victim pays.
    move_to(&daemon, "2026-10-03T17:50:00Z");
    let staked = daemon
        .check(&[
            ("store_id", STORE),
            ("phone", "01012345678"),
            ("amount", "250"),
            ("client_id", "666"),
        ])
        .await;
    assert_eq!(staked.body["state"], "searching");
    let id = id_of(&staked);
    // The victim pays at 18:14 UTC; the SMS arrives two minutes later.
    move_to(&daemon, "2026-10-03T18:16:00Z");
    let stored = daemon.ingest(STORE, INGEST_TOKEN, &notification()).await;
    assert_eq!(stored.status, 201, "{stored:?}");
    let held = daemon.poll(&id, "?wait=5&state=searching").await;
    assert_eq!(held.body["state"], "held", "{held:?}");
    assert_eq!(held.body["requires_verification"], true);
    let detail = detail(&daemon, &id).await;
    assert_eq!(detail["hold_reasons"], json!(["checked_before_transfer"]));
    let effects: Vec<&str> = detail["outbox"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["effect"]["kind"].as_str().unwrap())
        .collect();
    assert!(!effects.contains(&"add_credit"), "{effects:?}");
    // The attacker checks again: still held, and WHMCS was never called.
    let again = daemon
        .check(&[
            ("store_id", STORE),
            ("phone", "01012345678"),
            ("amount", "250"),
            ("client_id", "666"),
        ])
        .await;
    assert_eq!(again.body["status"], false);
    assert_eq!(again.body["state"], "held");
    assert_eq!(daemon.whmcs.add_credit_calls(), 0);
    assert!(daemon.whmcs.ledger(666).is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn two_clients_waiting_for_one_transfer_are_contested_and_the_operator_decides() {
    let daemon = spawn_daemon(|_| {}).await;
    daemon.default_store().await;
    // Both check within a minute of each other, before the SMS arrives.
    let attacker = daemon.check_simple("666", "100").await;
    daemon.clock.advance(SignedDuration::from_secs(40));
    let victim = daemon.check_simple("42", "100").await;
    assert_eq!(victim.body["state"], "searching");
    let (attacker_id, victim_id) = (id_of(&attacker), id_of(&victim));
    daemon.clock.advance(SignedDuration::from_secs(40));
    assert_eq!(
        daemon
            .ingest_tx("014412345678", "01012345678", "100")
            .await
            .status,
        201
    );
    // The oldest waiting payment claims it, held: both clients are named.
    let held = daemon.poll(&attacker_id, "?wait=5&state=searching").await;
    assert_eq!(held.body["state"], "held", "{held:?}");
    let shown = detail(&daemon, &attacker_id).await;
    assert_eq!(shown["hold_reasons"], json!(["contested"]));
    assert_eq!(shown["competing_clients"], json!([42]));
    let listed = daemon.admin_get("/admin/payments?state=held").await;
    assert_eq!(listed.body["payments"][0]["competing_clients"], json!([42]));
    let console = crate::support::console::Console::sign_in(&daemon, &daemon.admin_token).await;
    let page = console
        .get(&format!("/console/payments/{attacker_id}"))
        .await;
    assert!(
        page.body
            .contains("Other clients waiting for this transfer: 42"),
        "{}",
        page.body
    );
    assert_eq!(daemon.poll(&victim_id, "").await.body["state"], "searching");
    assert_eq!(
        daemon.whmcs.add_credit_calls(),
        0,
        "nothing credited without a human"
    );
    // The operator rejects the attacker's claim and assigns the transfer
    // to the customer who shows the receipt.
    let rejected = daemon
        .admin_post(&format!("/admin/payments/{attacker_id}/reject"), &json!({}))
        .await;
    assert_eq!(rejected.body["state"], "rejected");
    assert_eq!(daemon.poll(&victim_id, "").await.body["state"], "searching");
    let assigned = daemon
        .admin_post(
            &format!("/admin/transactions/{STORE}/014412345678/assign"),
            &json!({"payment_id": victim_id, "note": "receipt shown"}),
        )
        .await;
    assert_eq!(assigned.status, 200, "{assigned:?}");
    let credited = daemon.poll(&victim_id, "?wait=5&state=crediting").await;
    assert_eq!(credited.body["state"], "credited");
    assert_eq!(daemon.whmcs.ledger(42).len(), 1);
    assert!(daemon.whmcs.ledger(666).is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn an_honest_check_made_after_paying_is_not_held_by_the_claim_rules() {
    let daemon = spawn_daemon(|_| {}).await;
    daemon.default_store().await;
    // Paid, then checked a minute later, before the SMS arrived.
    move_to(&daemon, "2026-10-03T18:15:00Z");
    let check = daemon
        .check(&[
            ("store_id", STORE),
            ("phone", "01012345678"),
            ("amount", "250"),
            ("client_id", "42"),
        ])
        .await;
    let id = id_of(&check);
    move_to(&daemon, "2026-10-03T18:17:00Z");
    assert_eq!(
        daemon
            .ingest(STORE, INGEST_TOKEN, &notification())
            .await
            .status,
        201
    );
    let credited = daemon.poll(&id, "?wait=5&state=searching").await;
    let credited = match credited.body["state"].as_str() {
        Some("crediting") => daemon.poll(&id, "?wait=5&state=crediting").await,
        _ => credited,
    };
    assert_eq!(credited.body["state"], "credited", "{credited:?}");
    // Checked after the SMS arrived: claimed and credited at once.
    daemon.ingest_tx("014412345679", "01112345678", "300").await;
    let late = daemon
        .check(&[
            ("store_id", STORE),
            ("phone", "01112345678"),
            ("amount", "300"),
            ("client_id", "43"),
        ])
        .await;
    assert_eq!(late.body["status"], true, "{late:?}");
    assert_eq!(late.body["state"], "credited");
    assert_eq!(daemon.whmcs.ledger(42).len(), 1);
    assert_eq!(daemon.whmcs.ledger(43).len(), 1);
}
