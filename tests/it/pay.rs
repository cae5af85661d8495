//! The pay pages over plain HTTP (as a browser without script sees them):
//! the form prefilled from the merchant's link, the check it runs, the
//! status page, the security headers, the `return_url` rule, and the
//! static files. The same pages in a real browser: `browser_pay.rs`.

use reqwest::StatusCode;
use serde_json::json;

use crate::support::api::{INGEST_TOKEN, STORE};
use crate::support::daemon::{TestDaemon, spawn_daemon};

/// Store 5 with a USD rate, a wallet number, and its WHMCS on the emulator.
async fn pay_store(daemon: &TestDaemon, extra: serde_json::Value) {
    let mut store = json!({"name": "Example Hosting", "currency_rate": "50.50",
        "currency_label": "USD", "wallet_numbers": ["01011112222", "01298765432"]});
    if let (Some(store), Some(extra)) = (store.as_object_mut(), extra.as_object()) {
        store.extend(extra.clone());
    }
    let answer = daemon.put_store(STORE, store).await;
    assert!(answer.status.is_success(), "{answer:?}");
}

fn form<'a>(phone: &'a str, amount: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("phone", phone),
        ("amount", amount),
        ("client_id", "42"),
        ("lang", "en"),
    ]
}

#[tokio::test(flavor = "multi_thread")]
async fn the_form_shows_the_wallets_and_the_invoice_amount_converted_and_rounded_up() {
    let daemon = spawn_daemon(|_| {}).await;
    pay_store(&daemon, json!({})).await;
    let back = format!("{}/viewinvoice.php?id=7", daemon.whmcs.url());
    let query = format!(
        "/pay/5?invoice_amount=2.01&client_id=42&invoice_id=7&lang=en&return_url={}",
        urlencode(&back)
    );
    let page = daemon.page(&query).await;
    assert_eq!(page.status, StatusCode::OK);
    // 2.01 USD × 50.50 = 101.505 EGP: rounded up to 102.
    assert!(
        page.body.contains(r#"name="amount" value="102""#),
        "{}",
        page.body
    );
    assert!(page.body.contains("010 1111 2222") && page.body.contains("012 9876 5432"));
    assert!(page.body.contains("Example Hosting"));
    assert!(
        page.body
            .contains(r#"<input type="hidden" name="client_id" value="42">"#)
    );
    assert!(
        page.body
            .contains(r#"<input type="hidden" name="invoice_id" value="7">"#)
    );
    assert!(
        page.body
            .contains(&format!(r#"name="return_url" value="{back}""#))
    );
    let amount_given = daemon.page("/pay/5?amount=250.5").await;
    assert!(
        amount_given
            .body
            .contains(r#"name="amount" value="250.50""#)
    );
    assert!(
        amount_given.body.contains(r#"<label for="client_id">"#),
        "no client given: a field"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn every_page_sends_the_security_headers() {
    let daemon = spawn_daemon(|_| {}).await;
    pay_store(&daemon, json!({})).await;
    let id = daemon.pay_ok(STORE, &form("01012345678", "100")).await;
    let status_page = format!("/pay/5/payments/{id}");
    for path in [
        "/pay/5",
        status_page.as_str(),
        "/pay/nope",
        "/pay/5/payments/pay_x",
    ] {
        let page = daemon.page(path).await;
        let h = &page.headers;
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(
            csp.contains("default-src 'none'") && csp.contains("script-src 'self';"),
            "{path}: {csp}"
        );
        assert!(
            !csp.contains("unsafe-inline") && csp.ends_with("frame-ancestors 'none'"),
            "{csp}"
        );
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(h["referrer-policy"], "same-origin", "{path}");
        assert_eq!(h["x-frame-options"], "DENY", "{path}");
        assert_eq!(h["cache-control"], "no-store", "{path}");
    }
    pay_store(
        &daemon,
        json!({"embed_origins": ["https://shop.example.com"]}),
    )
    .await;
    let framed = daemon.page("/pay/5").await;
    let csp = framed.headers["content-security-policy"].to_str().unwrap();
    assert!(
        csp.ends_with("frame-ancestors https://shop.example.com"),
        "{csp}"
    );
    assert!(framed.headers.get("x-frame-options").is_none());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_posted_form_runs_the_check_and_leads_to_the_status_page() {
    let daemon = spawn_daemon(|_| {}).await;
    pay_store(&daemon, json!({})).await;
    let back = format!("{}/clientarea.php", daemon.whmcs.url());
    let mut fields = form("+20 10 1234 5678", "100");
    fields.push(("return_url", &back));
    let reply = daemon.pay(STORE, &fields).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER);
    let location = reply.location().unwrap();
    assert!(location.starts_with("/pay/5/payments/pay_"), "{location}");
    assert!(
        location.contains("lang=en") && location.contains("return_url="),
        "{location}"
    );
    let payments = daemon.all_payments().await;
    assert_eq!(payments.len(), 1);
    assert_eq!(payments[0]["client_id"], 42);
    assert_eq!(payments[0]["phone"], "01012345678");

    let page = daemon.page(&location).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains(r#"data-state="searching""#));
    assert!(page.body.contains("keep this page open"));
    assert!(
        page.body.contains("678") && !page.body.contains("01012345678"),
        "only the last three digits"
    );
    assert!(
        !page.body.contains("return-link"),
        "no way back before the credit"
    );

    daemon.ingest_tx("014412345678", "01012345678", "100").await;
    let id = payments[0]["id"].as_str().unwrap();
    daemon.poll(id, "?wait=5&state=crediting").await;
    let credited = daemon.page(&location).await;
    assert!(
        credited.body.contains(r#"data-state="credited""#),
        "{}",
        credited.body
    );
    assert!(
        credited
            .body
            .contains(&format!(r#"class="button" id="return-link" href="{back}""#))
    );
    assert!(
        credited.body.contains("1.98 USD"),
        "the credit at the store's rate"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_input_gives_the_form_back_with_the_message_and_creates_nothing() {
    let daemon = spawn_daemon(|_| {}).await;
    pay_store(&daemon, json!({})).await;
    let bad_phone = daemon.pay(STORE, &form("0123", "100")).await;
    assert_eq!(bad_phone.status, StatusCode::BAD_REQUEST);
    assert!(
        bad_phone
            .body
            .contains(r##"<a href="#phone">The phone number is not an Egyptian mobile number"##)
    );
    assert!(
        bad_phone.body.contains(r#"name="phone" value="0123""#),
        "what was typed stays"
    );
    assert!(bad_phone.body.contains(r#"name="amount" value="100""#));
    let bad_amount = daemon
        .pay(
            STORE,
            &[
                ("phone", "01012345678"),
                ("amount", "1,000"),
                ("client_id", "42"),
                ("lang", "ar"),
            ],
        )
        .await;
    assert_eq!(bad_amount.status, StatusCode::BAD_REQUEST);
    assert!(
        bad_amount.body.contains(r#"dir="rtl""#) && bad_amount.body.contains("يجب أن يكون المبلغ")
    );
    assert!(bad_amount.body.contains(r#"id="amount-error""#));
    let no_client = daemon
        .pay(STORE, &[("phone", "01012345678"), ("amount", "100")])
        .await;
    assert_eq!(no_client.status, StatusCode::BAD_REQUEST);
    assert!(no_client.body.contains(r#"id="client_id-error""#));
    let bad_reference = daemon
        .pay(
            STORE,
            &[
                ("phone", "01012345678"),
                ("amount", "100"),
                ("client_id", "42"),
                ("trans_id", "01/44"),
            ],
        )
        .await;
    assert_eq!(bad_reference.status, StatusCode::BAD_REQUEST);
    assert!(bad_reference.body.contains(r#"id="trans_id-error""#));
    assert!(daemon.all_payments().await.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_limited_check_gives_the_form_back_with_429_and_retry_after() {
    let daemon = spawn_daemon(|s| s.limits.checks_per_minute_per_ip = 1).await;
    pay_store(&daemon, json!({})).await;
    daemon.pay_ok(STORE, &form("01012345678", "100")).await;
    let limited = daemon.pay(STORE, &form("01012345679", "100")).await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(limited.headers.contains_key("retry-after"));
    assert!(limited.body.contains("Too many requests") && limited.body.contains("<form"));
    assert_eq!(daemon.all_payments().await.len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_return_url_of_another_origin_is_dropped_everywhere() {
    let daemon = spawn_daemon(|_| {}).await;
    pay_store(&daemon, json!({})).await;
    for foreign in [
        "https://evil.example/",
        "javascript:alert(1)",
        "//evil.example/x",
        "http://127.0.0.1:1/",
    ] {
        let page = daemon
            .page(&format!(
                "/pay/5?client_id=42&return_url={}",
                urlencode(foreign)
            ))
            .await;
        assert!(!page.body.contains("return_url"), "{foreign}");
        let mut fields = form("01012345678", "100");
        fields.push(("return_url", foreign));
        let reply = daemon.pay(STORE, &fields).await;
        let location = reply.location().unwrap();
        assert!(!location.contains("return_url"), "{foreign}: {location}");
        let status = daemon
            .page(&format!("{location}&return_url={}", urlencode(foreign)))
            .await;
        assert!(
            !status.body.contains("evil") && !status.body.contains("javascript:"),
            "{foreign}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_payment_is_found_only_under_its_own_store() {
    let daemon = spawn_daemon(|_| {}).await;
    pay_store(&daemon, json!({})).await;
    let other = daemon.put_store("6", json!({"name": "Other"})).await;
    assert!(other.status.is_success());
    let id = daemon.pay_ok(STORE, &form("01012345678", "100")).await;
    assert_eq!(
        daemon.page(&format!("/pay/5/payments/{id}")).await.status,
        StatusCode::OK
    );
    for path in [
        format!("/pay/6/payments/{id}"),
        format!("/pay/7/payments/{id}"),
        "/pay/5/payments/pay_aaaaaaaaaaaaaaaaaaaaaaaaaa".to_owned(),
        "/pay/5/payments/nope".to_owned(),
    ] {
        let page = daemon.page(&path).await;
        assert_eq!(page.status, StatusCode::NOT_FOUND, "{path}");
        assert!(!page.body.contains(&id), "{path}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn showing_the_credit_reports_it_so_the_next_identical_form_starts_afresh() {
    let daemon = spawn_daemon(|_| {}).await;
    pay_store(&daemon, json!({})).await;
    let first = daemon.pay_ok(STORE, &form("01012345678", "100")).await;
    daemon.ingest_tx("014400000001", "01012345678", "100").await;
    daemon.poll(&first, "?wait=5&state=crediting").await;
    let seen = daemon.page(&format!("/pay/5/payments/{first}")).await;
    assert!(seen.body.contains(r#"data-state="credited""#));
    // A second transfer of the same amount from the same phone.
    let second = daemon.pay_ok(STORE, &form("01012345678", "100")).await;
    assert_ne!(
        second, first,
        "a new payment, not the one already shown credited"
    );
    let detail = daemon.admin_get(&format!("/admin/payments/{first}")).await;
    assert_eq!(detail.body["credit_reported"], true);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_static_files_are_served_under_their_hash_with_a_long_cache() {
    let daemon = spawn_daemon(|_| {}).await;
    pay_store(&daemon, json!({})).await;
    let id = daemon.pay_ok(STORE, &form("01012345678", "100")).await;
    let page = daemon.page(&format!("/pay/5/payments/{id}")).await.body;
    for (marker, kind) in [
        (r#"<script src=""#, "text/javascript"),
        (r#"<link rel="stylesheet" href=""#, "text/css"),
    ] {
        let start = page.find(marker).unwrap() + marker.len();
        let path = &page[start..start + page[start..].find('"').unwrap()];
        let file = daemon.http.get(daemon.url(path)).send().await.unwrap();
        assert_eq!(file.status(), 200, "{path}");
        assert!(
            file.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with(kind)
        );
        assert!(
            file.headers()["cache-control"]
                .to_str()
                .unwrap()
                .contains("immutable")
        );
        assert_eq!(file.headers()["x-content-type-options"], "nosniff");
        let stale = daemon
            .http
            .get(daemon.url("/assets/pay.0000000000000000.js"))
            .send()
            .await
            .unwrap();
        assert_eq!(stale.status(), 404);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_demo_sms_route_does_not_exist_outside_the_demo() {
    let daemon = spawn_daemon(|_| {}).await;
    pay_store(&daemon, json!({})).await;
    let id = daemon.pay_ok(STORE, &form("01012345678", "100")).await;
    let status = daemon.page(&format!("/pay/5/payments/{id}")).await;
    assert!(!status.body.contains("simulate"), "no button");
    let posted = reqwest::Client::new()
        .post(daemon.url(&format!("/pay/5/payments/{id}/simulate-sms")))
        .send()
        .await
        .unwrap();
    assert_eq!(posted.status(), 404);
    let txs = daemon.admin_get("/admin/transactions?store_id=5").await;
    assert_eq!(txs.body["transactions"], json!([]), "{:?}", txs.body);
}

#[tokio::test(flavor = "multi_thread")]
async fn in_demo_mode_the_simulated_sms_goes_through_ingestion_and_credits() {
    let daemon = spawn_daemon(|s| s.demo = true).await;
    pay_store(&daemon, json!({})).await;
    let id = daemon.pay_ok(STORE, &form("01012345678", "100")).await;
    let status = daemon.page(&format!("/pay/5/payments/{id}")).await;
    assert!(status.body.contains("Simulate the wallet SMS") && status.body.contains("Demo only"));
    let posted = daemon
        .page_post(&format!("/pay/5/payments/{id}/simulate-sms"))
        .await;
    assert_eq!(posted.status, StatusCode::SEE_OTHER);
    let reply = daemon.poll(&id, "?wait=5&state=crediting").await;
    assert_eq!(reply.body["state"], "credited");
    let txs = daemon.admin_get("/admin/transactions?store_id=5").await;
    let tx = &txs.body["transactions"][0];
    assert_eq!(tx["phone"], "01012345678");
    assert_eq!(tx["amount"], "100.00");
    assert!(tx["trans_id"].as_str().unwrap().starts_with("0144"));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_pay_form_claims_by_reference_too() {
    let daemon = spawn_daemon(|_| {}).await;
    daemon.default_store().await;
    let instapay = json!({"trans_id": "IP5", "phone": null, "amount": "120"});
    daemon.ingest(STORE, INGEST_TOKEN, &instapay).await;
    let id = daemon
        .pay_ok(
            STORE,
            &[
                ("phone", "01012345678"),
                ("amount", "120"),
                ("client_id", "42"),
                ("trans_id", " IP5 "),
            ],
        )
        .await;
    let page = daemon.page(&format!("/pay/5/payments/{id}")).await;
    assert!(page.body.contains(r#"data-state="held""#), "{}", page.body);
    assert!(page.body.contains("waiting for the merchant's approval"));
}

fn urlencode(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes()).collect()
}
