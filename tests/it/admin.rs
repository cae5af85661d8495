//! The admin API: stores without their secrets, payments with their
//! history, operator decisions where the machine has the edge, the
//! transaction list, and `cashgate store put`.

use serde_json::json;

use crate::support::api::{INGEST_TOKEN, STORE};
use crate::support::daemon::spawn_daemon;

#[tokio::test(flavor = "multi_thread")]
async fn stores_are_saved_and_shown_without_their_secrets() {
    let daemon = spawn_daemon(|_| {}).await;
    let body = json!({"name": "Example Hosting", "whmcs": {"api_url": "https://billing.example.com", "identifier": "ident", "secret": "whmcs-secret-value"},
        "currency_rate": "50.50", "currency_label": "USD", "anti_spam": {"enabled": true, "approvers": ["owner@example.com"]}});
    let created = daemon.put_store(STORE, body).await;
    assert_eq!(created.status, 201, "{created:?}");
    let shown = daemon.admin_get(&format!("/admin/stores/{STORE}")).await;
    assert_eq!(shown.status, 200);
    let text = shown.body.to_string();
    assert!(
        !text.contains("whmcs-secret-value") && !text.contains(INGEST_TOKEN),
        "{text}"
    );
    assert_eq!(shown.body["whmcs"]["secret_set"], true);
    assert_eq!(shown.body["ingest_token_set"], true);
    assert_eq!(shown.body["currency_rate"], "50.50");
    assert_eq!(shown.body["anti_spam"]["approval_window"], "48h");

    // An update that omits the secrets keeps them: the forwarder still works.
    let updated = daemon
        .admin_put(
            &format!("/admin/stores/{STORE}"),
            &json!({"name": "Renamed", "currency_rate": "1",
                "whmcs": {"api_url": "https://billing.example.com", "identifier": "ident"}}),
        )
        .await;
    assert_eq!(updated.status, 200);
    assert_eq!(updated.body["name"], "Renamed");
    assert_eq!(
        updated.body["anti_spam"]["enabled"], false,
        "omitted fields take their defaults"
    );
    let tx = daemon.ingest_tx("014412345678", "01012345678", "100").await;
    assert_eq!(tx.status, 201);
    let rate = daemon
        .http
        .get(daemon.url(&format!("/api/public/store/{STORE}/rate")))
        .send()
        .await
        .unwrap();
    assert_eq!(rate.headers()["access-control-allow-origin"], "*");
    let rate: serde_json::Value = rate.json().await.unwrap();
    assert_eq!(
        rate,
        json!({"status": true, "rate": "1", "currency_label": "EGP"})
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_rate_endpoint_answers_cors_preflights_and_errors() {
    let daemon = spawn_daemon(|_| {}).await;
    daemon
        .put_store(
            STORE,
            json!({"currency_rate": "50.50", "currency_label": "USD"}),
        )
        .await;
    let rate: serde_json::Value = daemon
        .http
        .get(daemon.url("/api/public/store/5/rate"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        rate,
        json!({"status": true, "rate": "50.50", "currency_label": "USD"})
    );
    let preflight = daemon
        .http
        .request(
            reqwest::Method::OPTIONS,
            daemon.url("/api/public/store/5/rate"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(preflight.status(), 204);
    assert_eq!(
        preflight.headers()["access-control-allow-methods"],
        "GET, OPTIONS"
    );
    let unknown = daemon
        .http
        .get(daemon.url("/api/public/store/77/rate"))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);
    assert_eq!(unknown.headers()["access-control-allow-origin"], "*");
}

#[tokio::test(flavor = "multi_thread")]
async fn payments_are_listed_and_shown_with_their_history() {
    let daemon = spawn_daemon(|_| {}).await;
    daemon.default_store().await;
    daemon.put_store("6", json!({})).await;
    let a = daemon.check_simple("42", "100").await.body["payment_id"]
        .as_str()
        .unwrap()
        .to_owned();
    daemon.ingest_tx("014412345678", "01012345678", "100").await;
    let b = daemon
        .check(&[
            ("store_id", "6"),
            ("phone", "01012345678"),
            ("amount", "100"),
            ("client_id", "1"),
        ])
        .await;
    let b = b.body["payment_id"].as_str().unwrap().to_owned();

    let credited = daemon.poll(&a, "?wait=5&state=crediting").await;
    assert_eq!(credited.body["state"], "credited");
    let crediting = daemon.admin_get("/admin/payments?state=credited").await;
    let ids: Vec<&str> = crediting.body["payments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec![a.as_str()]);
    let of_six = daemon.admin_get("/admin/payments?store_id=6").await;
    let ids: Vec<&str> = of_six.body["payments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec![b.as_str()]);

    let detail = daemon.admin_get(&format!("/admin/payments/{a}")).await;
    assert_eq!(detail.body["state"], "credited");
    let history = detail.body["history"].as_array().unwrap();
    assert_eq!(history.len(), 3);
    assert_eq!(history[0]["event"], "created");
    assert_eq!(history[1]["event"], "matched");
    assert_eq!(history[1]["from"], "searching");
    assert_eq!(history[1]["to"], "crediting");
    assert_eq!(history[2]["event"], "credit_succeeded");
    assert_eq!(history[2]["to"], "credited");
    assert_eq!(detail.body["outbox"][0]["effect"]["kind"], "add_credit");
    assert_eq!(detail.body["outbox"][0]["status"], "done");
    let unclaimed = daemon
        .admin_get(&format!(
            "/admin/transactions?store_id={STORE}&unclaimed=true"
        ))
        .await;
    assert!(
        unclaimed.body["transactions"]
            .as_array()
            .unwrap()
            .is_empty()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn operators_act_only_where_the_machine_has_the_edge() {
    let daemon = spawn_daemon(|_| {}).await;
    daemon
        .put_store(
            STORE,
            json!({"anti_spam": {"enabled": true, "approvers": ["owner@example.com"]}}),
        )
        .await;
    let searching = daemon.check_simple("42", "100").await.body["payment_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let refused = daemon
        .admin_post(&format!("/admin/payments/{searching}/approve"), &json!({}))
        .await;
    assert_eq!(refused.status, 409);
    assert_eq!(refused.body["error"], "not_allowed_in_state");
    for action in ["retry", "mark_credited", "reject"] {
        let r = daemon
            .admin_post(&format!("/admin/payments/{searching}/{action}"), &json!({}))
            .await;
        assert_eq!(r.status, 409, "{action}");
    }
    assert_eq!(
        daemon
            .admin_get(&format!("/admin/payments/{searching}"))
            .await
            .body["version"],
        1
    );

    // The transaction arrives; anti-spam holds the claim (a new phone).
    daemon.ingest_tx("014412345678", "01012345678", "100").await;
    let held = daemon.poll(&searching, "").await;
    assert_eq!(held.body["state"], "held");
    assert_eq!(held.body["requires_verification"], true);
    let rejected = daemon
        .admin_post(
            &format!("/admin/payments/{searching}/reject"),
            &json!({"note": "not this customer"}),
        )
        .await;
    assert_eq!(rejected.status, 200, "{rejected:?}");
    assert_eq!(rejected.body["state"], "rejected");
    let detail = daemon
        .admin_get(&format!("/admin/payments/{searching}"))
        .await;
    let last = detail.body["history"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(last["actor"]["kind"], "operator");
    assert_eq!(last["reason"], "not this customer");
    // Released to an operator: another customer's check does not claim it.
    let next = daemon.check_simple("43", "100").await;
    assert_eq!(next.body["state"], "searching");
    assert_eq!(next.body["transaction_id"], serde_json::Value::Null);
    let next_id = next.body["payment_id"].as_str().unwrap().to_owned();
    let assigned = daemon
        .admin_post(
            &format!("/admin/transactions/{STORE}/014412345678/assign"),
            &json!({"payment_id": next_id, "note": "receipt checked"}),
        )
        .await;
    assert_eq!(assigned.status, 200, "{assigned:?}");
    assert_eq!(assigned.body["state"], "crediting");
    let twice = daemon
        .admin_post(&format!("/admin/payments/{next_id}/approve"), &json!({}))
        .await;
    assert_eq!(twice.status, 409);
}

#[test]
fn cashgate_store_put_writes_a_store_offline() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("store.json");
    std::fs::write(
        &file,
        r#"{"name": "Offline", "ingest_token": "t", "currency_rate": "2",
            "whmcs": {"api_url": "https://billing.example.com", "identifier": "i", "secret": "s"}}"#,
    )
    .unwrap();
    let data = dir.path().join("data");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_cashgate"))
        .args(["store", "put", "7"])
        .arg(&file)
        .env("CASHGATE_DATA_DIR", &data)
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, r#"{"currency_rate": "-1"}"#).unwrap();
    let refused = std::process::Command::new(env!("CARGO_BIN_EXE_cashgate"))
        .args(["store", "put", "7"])
        .arg(&bad)
        .env("CASHGATE_DATA_DIR", &data)
        .output()
        .unwrap();
    assert!(!refused.status.success());
    let store =
        cashgate::payments::Payments::open(&data, cashgate::payments::PaymentsOptions::default())
            .unwrap();
    let saved = store
        .stores()
        .get(&cashgate::domain::StoreId::parse("7").unwrap())
        .unwrap()
        .unwrap();
    assert_eq!(saved.name, "Offline");
    assert_eq!(saved.currency_rate.to_string(), "2");
    store.close().unwrap();
}

/// Finding 3, from the attacker's side: with anti-spam on, a rejected
/// claim used to go straight to the next waiting payment — the
/// attacker's next one — while the victim's stayed `searching`. Now it
/// waits for an operator, who assigns it.
#[tokio::test(flavor = "multi_thread")]
async fn a_rejected_claim_is_not_passed_on_and_waits_for_an_operator_to_assign_it() {
    let daemon = spawn_daemon(|_| {}).await;
    daemon
        .put_store(
            STORE,
            json!({"anti_spam": {"enabled": true, "approvers": ["owner@example.com"]}}),
        )
        .await;
    daemon.ingest_tx("014412345678", "01012345678", "100").await;
    // Someone who guessed phone and amount claims first: held.
    let attacker = daemon.check_simple("666", "100").await;
    assert_eq!(attacker.body["state"], "held");
    let attacker_id = attacker.body["payment_id"].as_str().unwrap();
    // The attacker's second payment waits first in line.
    let second = daemon.check_simple("667", "100").await;
    assert_eq!(second.body["state"], "searching");
    let second_id = second.body["payment_id"].as_str().unwrap().to_owned();
    // The real customer checks: nothing is free, so it waits.
    let owner = daemon.check_simple("42", "100").await;
    assert_eq!(owner.body["state"], "searching");
    let owner_id = owner.body["payment_id"].as_str().unwrap().to_owned();
    let rejected = daemon
        .admin_post(&format!("/admin/payments/{attacker_id}/reject"), &json!({}))
        .await;
    assert_eq!(rejected.body["state"], "rejected");
    // Nothing takes the transaction by itself: not the next waiting
    // payment, not a fresh check by the attacker.
    let owner_now = daemon.poll(&owner_id, "?wait=1&state=searching").await;
    assert_eq!(owner_now.body["state"], "searching");
    assert_eq!(daemon.poll(&second_id, "").await.body["state"], "searching");
    let again = daemon.check_simple("668", "100").await;
    assert_eq!(again.body["state"], "searching");
    let waiting = daemon.admin_get("/admin/transactions/awaiting").await;
    assert_eq!(waiting.body["count"], 1, "{waiting:?}");
    let listed = &waiting.body["transactions"][0];
    assert_eq!(listed["trans_id"], "014412345678");
    assert_eq!(listed["awaiting_operator"]["from"], attacker_id);
    assert_eq!(listed["awaiting_operator"]["ended_in"], "rejected");
    // The operator, having seen the customer's receipt, assigns it.
    let assigned = daemon
        .admin_post(
            &format!("/admin/transactions/{STORE}/014412345678/assign"),
            &json!({"payment_id": owner_id}),
        )
        .await;
    assert_eq!(assigned.status, 200, "{assigned:?}");
    let credited = daemon.poll(&owner_id, "?wait=5&state=crediting").await;
    assert_eq!(credited.body["state"], "credited");
    assert_eq!(credited.body["transaction_id"], "014412345678");
    assert_eq!(daemon.poll(&second_id, "").await.body["state"], "searching");
    let empty = daemon.admin_get("/admin/transactions/awaiting").await;
    assert_eq!(empty.body["count"], 0);
    // Assigning again is refused: it is claimed now.
    let twice = daemon
        .admin_post(
            &format!("/admin/transactions/{STORE}/014412345678/assign"),
            &json!({"payment_id": second_id}),
        )
        .await;
    assert_eq!(twice.status, 409, "{twice:?}");
}

/// Finding 9: the admin API had no limit on failed tokens. Wrong tokens
/// are counted per address; once used up, that address's tokens are not
/// even compared (429), so a right guess gets nowhere either. Right
/// tokens spend nothing, and other addresses are not affected.
#[tokio::test(flavor = "multi_thread")]
async fn wrong_admin_tokens_are_limited_per_address_before_the_compare() {
    let daemon = spawn_daemon(|s| {
        s.limits.auth_failures_per_minute_per_ip = 3;
        s.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
    })
    .await;
    let get = |token: &str, address: &str| {
        daemon
            .http
            .get(daemon.url("/admin/payments"))
            .bearer_auth(token)
            .header("x-forwarded-for", address)
            .send()
    };
    let token = daemon.admin_token.clone();
    for _ in 0..10 {
        assert_eq!(
            get(&token, "203.0.113.5").await.unwrap().status(),
            200,
            "right tokens are free"
        );
    }
    let mut statuses = Vec::new();
    for n in 0..5 {
        let guess = format!("guess-{n:040}");
        statuses.push(get(&guess, "203.0.113.6").await.unwrap().status().as_u16());
    }
    assert_eq!(statuses, vec![401, 401, 401, 429, 429]);
    let right = get(&token, "203.0.113.6").await.unwrap();
    assert_eq!(right.status(), 429, "not compared once used up");
    assert!(right.headers().contains_key("retry-after"));
    assert_eq!(get(&token, "203.0.113.7").await.unwrap().status(), 200);
}
