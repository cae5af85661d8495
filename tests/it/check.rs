//! `payment_link_check`, exactly as the WHMCS module calls it.

use serde_json::json;

use crate::support::api::{INGEST_TOKEN, STORE};
use crate::support::daemon::spawn_daemon;

/// The module's callback: user_name with the name and `(42)`, client_id,
/// amount normalised like PHP's `(string)(float)`.
fn module_query(lang: &str) -> String {
    format!(
        "phone=01012345678&amount=300&user_name=Jane+Doe+%2842%29&store_id={STORE}&lang={lang}&client_id=42"
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn the_modules_exact_request_gets_the_reply_object() {
    let daemon = spawn_daemon(|_| {}).await;
    daemon
        .put_store(
            STORE,
            json!({"currency_rate": "50.50", "currency_label": "USD"}),
        )
        .await;
    let url = daemon.url(&format!("/api/payment_link_check?{}", module_query("en")));
    let first = daemon.http.get(&url).send().await.unwrap();
    assert_eq!(first.status(), 200);
    let reply: serde_json::Value = first.json().await.unwrap();
    assert_eq!(reply["status"], false);
    assert_eq!(reply["state"], "searching");
    assert_eq!(reply["requires_verification"], false);
    assert_eq!(reply["transaction_id"], serde_json::Value::Null);
    assert_eq!(reply["credit_amount"], serde_json::Value::Null);
    assert_eq!(reply["amount"], "300.00");
    let id = reply["payment_id"].as_str().unwrap();
    assert!(id.starts_with("pay_") && id.len() == 30, "{id}");
    assert_eq!(reply["poll_url"], format!("/api/payments/{id}"));
    assert!(
        reply["message"].as_str().unwrap().contains("not received"),
        "{reply}"
    );

    // The money arrives; the customer submits the same form again.
    let tx = daemon.ingest_tx("014412345678", "01012345678", "300").await;
    assert_eq!(tx.status, 201, "{tx:?}");
    assert_eq!(
        tx.body["payment_id"], id,
        "the transaction claimed the waiting payment"
    );
    let again: serde_json::Value = daemon
        .http
        .get(&url)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        again["payment_id"], id,
        "an identical check returns the same payment"
    );
    assert_eq!(
        again["state"], "credited",
        "the WHMCS emulator took the credit"
    );
    assert_eq!(again["status"], true, "this reply reports the credit");
    assert_eq!(again["transaction_id"], "014412345678");
    assert_eq!(
        again["credit_amount"], "5.94",
        "300 / 50.50 rounded half away from zero"
    );

    let ar_url = daemon.url(&format!("/api/payment_link_check?{}", module_query("ar")));
    let arabic: serde_json::Value = daemon
        .http
        .get(&ar_url)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let message = arabic["message"].as_str().unwrap();
    assert!(
        message
            .chars()
            .any(|c| ('\u{0600}'..='\u{06FF}').contains(&c)),
        "{message}"
    );
    assert_ne!(
        arabic["payment_id"], id,
        "after status true, the same form starts a new payment"
    );
    assert_eq!(arabic["status"], false);
    assert_eq!(arabic["state"], "searching");
}

#[tokio::test(flavor = "multi_thread")]
async fn post_with_a_form_body_works_like_get() {
    let daemon = spawn_daemon(|_| {}).await;
    daemon.default_store().await;
    daemon.ingest_tx("014400000001", "01012345678", "300").await;
    let reply: serde_json::Value = daemon
        .http
        .post(daemon.url("/api/payment_link_check"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(module_query("en"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(reply["state"], "credited");
    assert_eq!(reply["status"], true);
    assert_eq!(reply["transaction_id"], "014400000001");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_check_claims_the_oldest_unclaimed_transaction_with_its_phone_and_amount() {
    let daemon = spawn_daemon(|_| {}).await;
    daemon.default_store().await;
    daemon.ingest(STORE, INGEST_TOKEN, &json!({"trans_id": "t-old", "phone": "01012345678", "amount": "100", "received_at": "2026-05-01T10:00:00Z"})).await;
    daemon.ingest(STORE, INGEST_TOKEN, &json!({"trans_id": "t-new", "phone": "01012345678", "amount": "100", "received_at": "2026-05-01T11:00:00Z"})).await;
    daemon
        .ingest_tx("t-other-amount", "01012345678", "100.01")
        .await;
    daemon
        .ingest_tx("t-other-phone", "01112345678", "100")
        .await;
    let first = daemon.check_simple("1", "100").await;
    assert_eq!(first.body["transaction_id"], "t-old");
    let second = daemon.check_simple("2", "100.00").await;
    assert_eq!(second.body["transaction_id"], "t-new");
    let third = daemon.check_simple("3", "100").await;
    assert_eq!(
        third.body["state"], "searching",
        "nothing left with that phone and amount"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn fifty_concurrent_checks_claim_one_transaction_exactly_once() {
    let daemon = spawn_daemon(|_| {}).await;
    daemon.default_store().await;
    daemon.ingest_tx("014412345678", "01012345678", "100").await;
    let mut tasks = Vec::new();
    for client in 1..=50u32 {
        let http = daemon.http.clone();
        let url = daemon.url("/api/payment_link_check");
        tasks.push(tokio::spawn(async move {
            let client = client.to_string();
            let params = [
                ("store_id", STORE),
                ("phone", "01012345678"),
                ("amount", "100"),
                ("client_id", &client),
            ];
            let r = http.get(url).query(&params).send().await.unwrap();
            assert_eq!(r.status(), 200);
            r.json::<serde_json::Value>().await.unwrap()
        }));
    }
    let mut claimed = 0;
    let mut searching = 0;
    for task in tasks {
        let reply = task.await.unwrap();
        match reply["state"].as_str().unwrap() {
            "crediting" | "credited" => {
                assert_eq!(reply["transaction_id"], "014412345678");
                claimed += 1;
            }
            "searching" => searching += 1,
            other => panic!("unexpected state {other}"),
        }
    }
    assert_eq!((claimed, searching), (1, 49));
    let tx = daemon
        .admin_get(&format!("/admin/transactions?store_id={STORE}"))
        .await;
    assert_eq!(tx.body["transactions"].as_array().unwrap().len(), 1);
    assert!(tx.body["transactions"][0]["payment_id"].is_string());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_searching_payment_expires_after_the_search_window() {
    let daemon = spawn_daemon(|_| {}).await;
    daemon
        .put_store(STORE, json!({"search_window": "10m"}))
        .await;
    let reply = daemon.check_simple("42", "100").await;
    let id = reply.body["payment_id"].as_str().unwrap().to_owned();
    daemon.clock.advance(jiff::SignedDuration::from_mins(9));
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    assert_eq!(daemon.poll(&id, "").await.body["state"], "searching");
    daemon.clock.advance(jiff::SignedDuration::from_mins(2));
    let expired = daemon.poll(&id, "?wait=5&state=searching").await;
    assert_eq!(expired.body["state"], "expired");
    // A transaction arriving now is not claimed by the expired payment.
    let tx = daemon.ingest_tx("014412345678", "01012345678", "100").await;
    assert_eq!(tx.body["payment_id"], serde_json::Value::Null);
    // The same form submitted again starts a new payment, which claims it.
    let again = daemon.check_simple("42", "100").await;
    assert_ne!(again.body["payment_id"], id.as_str());
    assert_eq!(again.body["transaction_id"], "014412345678");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_repeated_check_neither_bumps_the_version_nor_makes_a_payment() {
    let daemon = spawn_daemon(|_| {}).await;
    daemon.default_store().await;
    let first = daemon.check_simple("42", "100").await;
    let id = first.body["payment_id"].as_str().unwrap().to_owned();
    for _ in 0..3 {
        let again = daemon.check_simple("42", "100").await;
        assert_eq!(again.body["payment_id"], id.as_str());
    }
    let detail = daemon.admin_get(&format!("/admin/payments/{id}")).await;
    assert_eq!(detail.body["version"], 1);
    assert_eq!(daemon.all_payments().await.len(), 1);
    let other = daemon.check_simple("43", "100").await;
    assert_ne!(
        other.body["payment_id"],
        id.as_str(),
        "another client is another payment"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn unknown_stores_and_bad_fields_get_localised_errors() {
    let daemon = spawn_daemon(|_| {}).await;
    daemon.default_store().await;
    let unknown = daemon
        .check(&[
            ("store_id", "999"),
            ("phone", "01012345678"),
            ("amount", "100"),
            ("client_id", "1"),
        ])
        .await;
    assert_eq!(unknown.status, 404);
    assert_eq!(unknown.body["error"], "unknown_store");
    let bad_phone = daemon
        .check(&[
            ("store_id", STORE),
            ("phone", "0123"),
            ("amount", "100"),
            ("client_id", "1"),
            ("lang", "ar"),
        ])
        .await;
    assert_eq!(bad_phone.status, 400);
    assert_eq!(bad_phone.body["error"], "invalid_phone");
    assert!(bad_phone.body["message"].as_str().unwrap().contains("رقم"));
    let bad_amount = daemon
        .check(&[
            ("store_id", STORE),
            ("phone", "01012345678"),
            ("amount", "1e3"),
            ("client_id", "1"),
        ])
        .await;
    assert_eq!(bad_amount.body["error"], "invalid_amount");
    let no_client = daemon
        .check(&[
            ("store_id", STORE),
            ("phone", "01012345678"),
            ("amount", "10"),
            ("user_name", "Jane"),
        ])
        .await;
    assert_eq!(no_client.body["error"], "invalid_client_id");
    let bad_store = daemon
        .check(&[
            ("store_id", "../5"),
            ("phone", "01012345678"),
            ("amount", "10"),
            ("client_id", "1"),
        ])
        .await;
    assert_eq!(bad_store.body["error"], "invalid_store_id");
    assert!(daemon.all_payments().await.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn an_amount_with_more_than_two_decimal_places_is_400_invalid_amount_and_creates_nothing() {
    let daemon = spawn_daemon(|_| {}).await;
    daemon.default_store().await;
    // The last one has 30 places: `Decimal` alone would round it to 1.
    for amount in ["100.505", "100.500", "1.000000000000000000000000000001"] {
        let reply = daemon.check_simple("42", amount).await;
        assert_eq!(reply.status, 400, "{amount}: {reply:?}");
        assert_eq!(reply.body["error"], "invalid_amount", "{amount}");
        let sent = daemon
            .ingest_tx("014412345699", "01012345678", amount)
            .await;
        assert_eq!(sent.status, 400, "{amount}: {sent:?}");
        assert_eq!(sent.body["error"], "invalid_amount", "{amount}");
    }
    assert!(daemon.all_payments().await.is_empty(), "no payment created");
    let stored = daemon
        .admin_get(&format!("/admin/transactions?store_id={STORE}"))
        .await;
    assert_eq!(
        stored.body["transactions"],
        json!([]),
        "no transaction stored"
    );
    // Two places or fewer still work.
    for amount in ["100.50", "100.5", "100"] {
        assert_eq!(
            daemon.check_simple("42", amount).await.status,
            200,
            "{amount}"
        );
    }
}
