//! Claims by reference number: a check with `trans_id` claims that
//! unclaimed transaction of the store when the amount matches (InstaPay
//! transfers carry no payer phone). Held with `claimed_by_reference`
//! unless the phone matches too, whatever the anti-spam setting; a wrong
//! reference answers like a check that found nothing yet; reference
//! attempts have their own limits.

use serde_json::{Value, json};

use crate::support::api::{INGEST_TOKEN, STORE};
use crate::support::daemon::{TestDaemon, spawn_daemon};

/// An InstaPay transfer (no payer phone) of `amount` into store 5.
async fn instapay(daemon: &TestDaemon, trans_id: &str, amount: &str) {
    let body = json!({"trans_id": trans_id, "phone": null, "amount": amount});
    let answer = daemon.ingest(STORE, INGEST_TOKEN, &body).await;
    assert_eq!(answer.status, 201, "{answer:?}");
}

async fn check_with_reference(
    daemon: &TestDaemon,
    phone: &str,
    amount: &str,
    reference: &str,
) -> Value {
    let answer = daemon
        .check(&[
            ("store_id", STORE),
            ("phone", phone),
            ("amount", amount),
            ("client_id", "42"),
            ("trans_id", reference),
        ])
        .await;
    assert_eq!(answer.status, 200, "{answer:?}");
    answer.body
}

async fn unclaimed(daemon: &TestDaemon) -> Vec<String> {
    let txs = daemon
        .admin_get("/admin/transactions?store_id=5&unclaimed=true")
        .await;
    let list = txs.body["transactions"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    list.iter()
        .filter_map(|t| t["trans_id"].as_str().map(str::to_owned))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_reference_claims_an_instapay_transfer_and_holds_it_even_with_anti_spam_off() {
    let daemon = spawn_daemon(|_| {}).await;
    daemon.default_store().await;
    instapay(&daemon, "IP20260501001", "250").await;
    let reply = check_with_reference(&daemon, "01012345678", "250", "IP20260501001").await;
    assert_eq!(reply["state"], "held", "{reply}");
    assert_eq!(reply["requires_verification"], true);
    assert_eq!(reply["transaction_id"], "IP20260501001");
    let id = reply["payment_id"].as_str().unwrap();
    let detail = daemon.admin_get(&format!("/admin/payments/{id}")).await;
    assert_eq!(detail.body["hold_reasons"], json!(["claimed_by_reference"]));
    assert!(unclaimed(&daemon).await.is_empty());
    // An operator approves: then it is credited like any payment.
    let approved = daemon
        .admin_post(&format!("/admin/payments/{id}/approve"), &json!({}))
        .await;
    assert!(approved.status.is_success(), "{approved:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_reference_whose_transfer_came_from_the_same_phone_is_not_held() {
    let daemon = spawn_daemon(|_| {}).await;
    daemon.default_store().await;
    daemon.ingest_tx("014412345678", "01012345678", "100").await;
    // The phone typed differently, the reference in Arabic-Indic digits.
    let reply = check_with_reference(&daemon, "+201012345678", "100", "٠١٤٤١٢٣٤٥٦٧٨").await;
    assert!(
        ["crediting", "credited"].contains(&reply["state"].as_str().unwrap()),
        "{reply}"
    );
    assert_eq!(reply["transaction_id"], "014412345678");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_reference_answers_like_nothing_found_and_claims_nothing() {
    let daemon = spawn_daemon(|_| {}).await;
    daemon.default_store().await;
    instapay(&daemon, "IP1", "250").await;
    for (amount, reference) in [("250", "IP2"), ("251", "IP1"), ("250", "ip1")] {
        let reply = check_with_reference(&daemon, "01012345678", amount, reference).await;
        assert_eq!(reply["state"], "searching", "{amount} {reference}: {reply}");
        assert_eq!(reply["transaction_id"], Value::Null);
        let plain = daemon.check_simple("43", amount).await.body;
        assert_eq!(
            reply["message"], plain["message"],
            "the same words as a check without one"
        );
    }
    assert_eq!(unclaimed(&daemon).await, vec!["IP1".to_owned()]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_claimed_reference_cannot_be_claimed_again() {
    let daemon = spawn_daemon(|_| {}).await;
    daemon.default_store().await;
    instapay(&daemon, "IP1", "250").await;
    let first = check_with_reference(&daemon, "01012345678", "250", "IP1").await;
    assert_eq!(first["state"], "held");
    let other = daemon
        .check(&[
            ("store_id", STORE),
            ("phone", "01112345678"),
            ("amount", "250"),
            ("client_id", "77"),
            ("trans_id", "IP1"),
        ])
        .await;
    assert_eq!(other.body["state"], "searching", "{:?}", other.body);
    // The first customer repeating the check gets the same held payment.
    let again = check_with_reference(&daemon, "01012345678", "250", "IP1").await;
    assert_eq!(again["payment_id"], first["payment_id"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_searching_payment_claims_its_reference_when_the_check_is_repeated() {
    let daemon = spawn_daemon(|_| {}).await;
    daemon.default_store().await;
    // Checked before the transfer's SMS arrived.
    let early = check_with_reference(&daemon, "01012345678", "250", "IP9").await;
    assert_eq!(early["state"], "searching");
    instapay(&daemon, "IP9", "250").await;
    let again = check_with_reference(&daemon, "01012345678", "250", "IP9").await;
    assert_eq!(again["payment_id"], early["payment_id"], "the same payment");
    assert_eq!(again["state"], "held");
}

#[tokio::test(flavor = "multi_thread")]
async fn reference_attempts_are_limited_per_ip_and_per_store() {
    let daemon = spawn_daemon(|s| {
        s.limits.references_per_minute_per_ip = 2;
    })
    .await;
    daemon.default_store().await;
    instapay(&daemon, "IP1", "250").await;
    for guess in ["IP7", "IP8"] {
        check_with_reference(&daemon, "01012345678", "250", guess).await;
    }
    let limited = daemon
        .check(&[
            ("store_id", STORE),
            ("phone", "01012345678"),
            ("amount", "250"),
            ("client_id", "42"),
            ("trans_id", "IP1"),
        ])
        .await;
    assert_eq!(limited.status, 429, "{limited:?}");
    assert_eq!(
        unclaimed(&daemon).await,
        vec!["IP1".to_owned()],
        "the right guess came too late"
    );
    // A check without a reference is not counted against it.
    assert_eq!(daemon.check_simple("42", "300").await.status, 200);

    let per_store = spawn_daemon(|s| s.limits.references_per_minute_per_store = 1).await;
    per_store.default_store().await;
    check_with_reference(&per_store, "01012345678", "250", "IP7").await;
    let limited = per_store
        .check(&[
            ("store_id", STORE),
            ("phone", "01112345678"),
            ("amount", "250"),
            ("client_id", "43"),
            ("trans_id", "IP8"),
        ])
        .await;
    assert_eq!(limited.status, 429);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_claim_by_reference_meets_the_claim_rules_like_any_other() {
    let daemon = spawn_daemon(|_| {}).await;
    daemon.default_store().await;
    // Client 77 waits for a transfer of 250 from this phone.
    let rival = daemon
        .check(&[
            ("store_id", STORE),
            ("phone", "01012345678"),
            ("amount", "250"),
            ("client_id", "77"),
        ])
        .await;
    assert_eq!(rival.body["state"], "searching", "{rival:?}");
    instapay(&daemon, "IP20260501009", "250").await;
    // Client 42 names the transfer by its reference, with the same phone.
    let reply = check_with_reference(&daemon, "01012345678", "250", "IP20260501009").await;
    assert_eq!(reply["state"], "held", "{reply}");
    let id = reply["payment_id"].as_str().unwrap();
    let detail = daemon
        .admin_get(&format!("/admin/payments/{id}"))
        .await
        .body;
    let mut reasons: Vec<&str> = detail["hold_reasons"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    reasons.sort_unstable();
    assert_eq!(reasons, ["claimed_by_reference", "contested"], "{detail}");
    assert_eq!(detail["competing_clients"], json!([77]));
}
