//! The SMS forwarder's endpoint: samples, both forwarder shapes, the JSON
//! form, idempotency, the quarantine and the ingest token.

use serde_json::{Value, json};

use crate::support::api::{INGEST_TOKEN, STORE};
use crate::support::daemon::spawn_daemon;

fn samples() -> Vec<Value> {
    let text = include_str!("../fixtures/vodafone-cash-sms.jsonl");
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// The sample's Egypt-local time as the UTC instant the API reports.
fn cairo(civil: &str) -> String {
    let dt: jiff::civil::DateTime = civil.parse().unwrap();
    dt.in_tz("Africa/Cairo").unwrap().timestamp().to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn each_sample_sms_becomes_the_expected_transaction_or_is_quarantined() {
    let daemon = spawn_daemon(|_| {}).await;
    daemon.default_store().await;
    // The samples are dated up to October 2026: the daemon's clock must be
    // later, or they would be transfers from the future.
    daemon
        .clock
        .advance(jiff::SignedDuration::from_hours(200 * 24));
    for sample in samples() {
        let name = sample["name"].as_str().unwrap();
        let body = json!({"from": sample["from"], "text": sample["text"], "sentStamp": 1_780_000_000_000u64, "receivedStamp": 1_780_000_000_500u64, "sim": "SIM1"});
        let answer = daemon.ingest(STORE, INGEST_TOKEN, &body).await;
        let expect = &sample["expect"];
        match expect["kind"].as_str().unwrap() {
            "received" => {
                assert_eq!(answer.status, 201, "{name}: {answer:?}");
                assert_eq!(answer.body["trans_id"], expect["trans_id"], "{name}");
                assert_eq!(answer.body["phone"], expect["phone"], "{name}");
                let amount =
                    cashgate::domain::Amount::parse(expect["amount"].as_str().unwrap()).unwrap();
                assert_eq!(answer.body["amount"], amount.to_string(), "{name}");
                assert_eq!(
                    answer.body["received_at"],
                    cairo(expect["time"].as_str().unwrap()),
                    "{name}"
                );
                // The forwarder retries: same SMS again → 200, nothing changes.
                let again = daemon.ingest(STORE, INGEST_TOKEN, &body).await;
                assert_eq!(again.status, 200, "{name}");
                assert_eq!(again.body, answer.body, "{name}");
            }
            reason => {
                assert_eq!(answer.status, 422, "{name}: {answer:?}");
                assert_eq!(answer.body["reason"], reason, "{name}");
                assert!(answer.body["quarantine_id"].is_u64(), "{name}");
            }
        }
    }
    let stored = daemon
        .admin_get(&format!("/admin/transactions?store_id={STORE}"))
        .await;
    assert_eq!(stored.body["transactions"].as_array().unwrap().len(), 4);
    let quarantine = daemon.admin_get("/admin/quarantine").await;
    let reasons: Vec<&str> = quarantine.body["quarantine"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| q["reason"].as_str().unwrap())
        .collect();
    assert_eq!(reasons.len(), 2);
    assert!(
        reasons.contains(&"not_a_payment") && reasons.contains(&"untrusted_sender"),
        "{reasons:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_event_payload_shape_and_the_json_form_are_accepted() {
    let daemon = spawn_daemon(|_| {}).await;
    daemon.default_store().await;
    let sample = &samples()[2];
    let event = json!({"event": "sms:received", "payload": {"phoneNumber": "VF-Cash", "message": sample["text"], "receivedAt": "2026-04-30T16:44:10+02:00"}});
    let a = daemon.ingest(STORE, INGEST_TOKEN, &event).await;
    assert_eq!(a.status, 201, "{a:?}");
    assert_eq!(a.body["trans_id"], "019589800001");
    let form = json!({"trans_id": "000111222333", "phone": "+20 101 234 5678", "amount": 250.5, "received_at": "2026-05-01T10:00:00Z"});
    let b = daemon.ingest(STORE, INGEST_TOKEN, &form).await;
    assert_eq!(b.status, 201, "{b:?}");
    assert_eq!(b.body["phone"], "01012345678");
    assert_eq!(b.body["amount"], "250.50");
    assert_eq!(b.body["received_at"], "2026-05-01T10:00:00Z");
    let no_phone = json!({"trans_id": "000111222334", "phone": null, "amount": "10"});
    let c = daemon.ingest(STORE, INGEST_TOKEN, &no_phone).await;
    assert_eq!(c.status, 201);
    assert_eq!(c.body["phone"], Value::Null);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_same_trans_id_with_other_data_is_a_quarantined_conflict() {
    let daemon = spawn_daemon(|_| {}).await;
    daemon.default_store().await;
    assert_eq!(
        daemon
            .ingest_tx("014412345678", "01012345678", "100")
            .await
            .status,
        201
    );
    let conflict = daemon
        .ingest_tx("014412345678", "01012345678", "1000")
        .await;
    assert_eq!(conflict.status, 409);
    assert_eq!(conflict.body["error"], "conflict");
    let stored = daemon
        .admin_get(&format!("/admin/transactions?store_id={STORE}"))
        .await;
    assert_eq!(
        stored.body["transactions"][0]["amount"], "100.00",
        "nothing changed"
    );
    let quarantine = daemon.admin_get("/admin/quarantine").await;
    assert_eq!(quarantine.body["quarantine"][0]["reason"], "conflict");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_or_missing_ingest_token_is_401_and_stores_nothing() {
    let daemon = spawn_daemon(|_| {}).await;
    daemon.default_store().await;
    let body = json!({"trans_id": "014412345678", "phone": "01012345678", "amount": "100"});
    let wrong = daemon.ingest(STORE, "not-the-token", &body).await;
    assert_eq!(wrong.status, 401);
    assert_eq!(wrong.body["error"], "unauthorized");
    let missing = daemon
        .http
        .post(daemon.url(&format!("/api/stores/{STORE}/transactions")))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 401);
    let admin_token = daemon.admin_token.clone();
    let admin_as_ingest = daemon.ingest(STORE, &admin_token, &body).await;
    assert_eq!(
        admin_as_ingest.status, 401,
        "the admin token is not an ingest token"
    );
    let stored = daemon
        .admin_get(&format!("/admin/transactions?store_id={STORE}"))
        .await;
    assert!(stored.body["transactions"].as_array().unwrap().is_empty());
    assert!(
        daemon.admin_get("/admin/quarantine").await.body["quarantine"]
            .as_array()
            .unwrap()
            .is_empty()
    );
}

/// Finding 8: a notification dated years ahead (an Arabic date read in
/// the wrong order) was stored and could be matched. Now a transfer time
/// more than `claims.transfer_time_skew_max_ms` ahead is quarantined with
/// its reason and never matched; ten minutes of clock skew are accepted.
#[tokio::test(flavor = "multi_thread")]
async fn a_transfer_dated_in_the_future_is_quarantined_and_never_matched() {
    let daemon = spawn_daemon(|_| {}).await;
    daemon.default_store().await;
    // A customer waits for 250 from 01012345678.
    let waiting = daemon.check_simple("42", "250").await;
    assert_eq!(waiting.body["state"], "searching");
    let id = waiting.body["payment_id"].as_str().unwrap().to_owned();
    // The SMS says 3 October 2026; the daemon's clock is 28 May 2026.
    let sample = samples().into_iter().next().unwrap();
    let body =
        json!({"from": sample["from"], "text": sample["text"], "sentStamp": 1_780_000_000_000u64});
    let answer = daemon.ingest(STORE, INGEST_TOKEN, &body).await;
    assert_eq!(answer.status, 422, "{answer:?}");
    assert_eq!(answer.body["reason"], "future_transfer_time");
    assert!(answer.body["quarantine_id"].is_u64());
    // The JSON form likewise: 26 November 2030.
    let form = json!({"trans_id": "014400000009", "phone": "01012345678", "amount": "250", "received_at": "2030-11-26T10:00:00Z"});
    let answer = daemon.ingest(STORE, INGEST_TOKEN, &form).await;
    assert_eq!(answer.status, 422, "{answer:?}");
    assert_eq!(answer.body["reason"], "future_transfer_time");
    // It says what can be done: nothing was stored that an operator could
    // assign, so the notification is sent again with the right time.
    let message = answer.body["message"].as_str().unwrap();
    assert!(
        message.contains("not stored as a transaction")
            && message.contains("received_at")
            && !message.contains("assign"),
        "{message}"
    );
    let kept = daemon.admin_get("/admin/quarantine").await;
    let kept = kept.body["quarantine"].as_array().unwrap().clone();
    assert_eq!(kept.len(), 2);
    assert!(kept.iter().all(|e| e["reason"] == "future_transfer_time"));
    assert!(
        kept.iter().all(|e| e["detail"]
            .as_str()
            .unwrap()
            .contains("send the notification again")),
        "{kept:?}"
    );
    assert!(
        kept.iter()
            .any(|e| e["text"] == sample["text"] && e["from"] == "VF-Cash")
    );
    let stored = daemon
        .admin_get(&format!("/admin/transactions?store_id={STORE}"))
        .await;
    assert!(stored.body["transactions"].as_array().unwrap().is_empty());
    assert_eq!(
        daemon.poll(&id, "").await.body["state"],
        "searching",
        "never matched"
    );
    // Nine minutes ahead is clock skew: stored (and matched).
    let soon = daemon.clock.now() + jiff::SignedDuration::from_mins(9);
    let form = json!({"trans_id": "014400000010", "phone": "01012345678", "amount": "250", "received_at": soon.to_string()});
    assert_eq!(daemon.ingest(STORE, INGEST_TOKEN, &form).await.status, 201);
    assert_ne!(daemon.poll(&id, "").await.body["state"], "searching");
}
