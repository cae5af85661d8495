//! Anti-spam holds: the stolen-claim attack, the rules' edges over HTTP,
//! and durable velocity counting.

use serde_json::json;

use crate::support::api::STORE;
use crate::support::daemon::{TestDaemon, spawn_daemon};

async fn store_with(daemon: &TestDaemon, anti_spam: serde_json::Value) {
    let mut rules = json!({"enabled": true, "approvers": ["owner@example.com"], "hold_new_phone": false, "hold_shared_phone": false});
    for (k, v) in anti_spam.as_object().unwrap() {
        rules[k] = v.clone();
    }
    let a = daemon.put_store(STORE, json!({"anti_spam": rules})).await;
    assert!(a.status.is_success(), "{a:?}");
}

async fn outbox_kinds(daemon: &TestDaemon, id: &str) -> Vec<String> {
    let detail = daemon.admin_get(&format!("/admin/payments/{id}")).await;
    detail.body["outbox"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["effect"]["kind"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_guessed_claim_is_held_and_the_owner_is_trusted_after_a_credited_payment() {
    let daemon = spawn_daemon(|_| {}).await;
    store_with(
        &daemon,
        json!({"hold_new_phone": true, "hold_shared_phone": true}),
    )
    .await;
    // The real customer's money arrives.
    daemon.ingest_tx("014400000001", "01012345678", "100").await;
    // An attacker who knows phone and amount claims it with their own id.
    let attack = daemon.check_simple("666", "100").await;
    assert_eq!(attack.body["state"], "held");
    assert_eq!(attack.body["requires_verification"], true);
    let attack_id = attack.body["payment_id"].as_str().unwrap().to_owned();
    let detail = daemon
        .admin_get(&format!("/admin/payments/{attack_id}"))
        .await;
    assert_eq!(detail.body["hold_reasons"], json!(["new_phone"]));
    assert_eq!(
        outbox_kinds(&daemon, &attack_id).await,
        vec!["notify_approvers"],
        "no credit intent"
    );
    daemon
        .admin_post(&format!("/admin/payments/{attack_id}/reject"), &json!({}))
        .await;

    // The rejected transaction waits for an operator: the owner's check
    // waits, and the operator (who saw the receipt) assigns it.
    let first = daemon.check_simple("42", "100").await;
    assert_eq!(first.body["state"], "searching");
    let first_id = first.body["payment_id"].as_str().unwrap().to_owned();
    let assigned = daemon
        .admin_post(
            &format!("/admin/transactions/{STORE}/014400000001/assign"),
            &json!({"payment_id": first_id}),
        )
        .await;
    assert_eq!(assigned.body["state"], "crediting", "{assigned:?}");
    let credited = daemon.poll(&first_id, "?wait=5&state=crediting").await;
    assert_eq!(
        credited.body["state"], "credited",
        "the first payment is credited in WHMCS"
    );

    // The owner pays again from the same phone: not held.
    daemon.ingest_tx("014400000002", "01012345678", "250").await;
    let second = daemon.check_simple("42", "250").await;
    assert_eq!(second.body["state"], "credited", "{:?}", second.body);
    assert_eq!(second.body["status"], true);
    assert_eq!(second.body["requires_verification"], false);
    // Another client claiming from that phone now trips shared_phone as well.
    daemon.ingest_tx("014400000003", "01012345678", "300").await;
    let again = daemon.check_simple("666", "300").await;
    assert_eq!(again.body["state"], "held");
    let detail = daemon
        .admin_get(&format!(
            "/admin/payments/{}",
            again.body["payment_id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(
        detail.body["hold_reasons"],
        json!(["new_phone", "shared_phone"])
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn large_amounts_are_held_at_and_above_the_threshold() {
    let daemon = spawn_daemon(|_| {}).await;
    store_with(&daemon, json!({"hold_amount_at_or_above": "5000"})).await;
    for (n, (amount, state)) in [
        ("4999.99", "credited"),
        ("5000", "held"),
        ("5000.01", "held"),
    ]
    .into_iter()
    .enumerate()
    {
        daemon
            .ingest_tx(&format!("01440000000{n}"), "01012345678", amount)
            .await;
        let reply = daemon.check_simple(&format!("{}", n + 1), amount).await;
        assert_eq!(reply.body["state"], state, "{amount}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn velocity_counts_checks_durably_and_holds_above_n_an_hour() {
    let daemon = spawn_daemon(|_| {}).await;
    store_with(&daemon, json!({"hold_after_checks_per_hour": 3})).await;
    // Checks 1 and 2 of client 42 (different amounts: new payments, counted).
    for amount in ["1", "2"] {
        assert_eq!(
            daemon.check_simple("42", amount).await.body["state"],
            "searching"
        );
    }
    // Repeats are not counted.
    for _ in 0..5 {
        daemon.check_simple("42", "2").await;
    }
    let daemon = daemon.restart().await;
    // Check 3 (at N) is not held.
    daemon.ingest_tx("014400000003", "01012345678", "3").await;
    assert_eq!(
        daemon.check_simple("42", "3").await.body["state"],
        "credited"
    );
    // Check 4 (over N), after a restart, is held: the count survived.
    let daemon = daemon.restart().await;
    daemon.ingest_tx("014400000004", "01012345678", "4").await;
    let fourth = daemon.check_simple("42", "4").await;
    assert_eq!(fourth.body["state"], "held");
    let detail = daemon
        .admin_get(&format!(
            "/admin/payments/{}",
            fourth.body["payment_id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(detail.body["hold_reasons"], json!(["velocity"]));
    // An hour later the window is empty again.
    daemon.clock.advance(jiff::SignedDuration::from_mins(61));
    daemon.ingest_tx("014400000005", "01012345678", "5").await;
    assert_eq!(
        daemon.check_simple("42", "5").await.body["state"],
        "credited"
    );
}
