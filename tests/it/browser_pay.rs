//! The pay pages in headless Chromium, as customers use them: the form
//! filled in on a phone and on a desktop, in English and Arabic; the
//! status page following the payment without a reload when the wallet's
//! SMS arrives after the submit, and when an approver decides in another
//! browser; errors and limits coming back as the form with the message;
//! a foreign `return_url` never followed. Every page must fit a 360 px
//! screen, log no console error and load nothing from another origin.
//! `CASHGATE_SCREENSHOTS=1` saves what they looked like (docs/screenshots/).

use std::time::Instant;

use serde_json::{Value, json};

use crate::support::api::{INGEST_TOKEN, STORE};
use crate::support::browser::{Browser, DESKTOP, MOBILE};
use crate::support::daemon::{TestDaemon, spawn_daemon};

const APPROVER: &str = "owner@example.com";
const PHONE: &str = "01012345678";
const SUBMIT: &str = r#"form[action="/pay/5"] button[type="submit"]"#;

/// Store 5 as a merchant sets it up for the pay page.
async fn pay_store(daemon: &TestDaemon, extra: Value) {
    let mut store = json!({"name": "Example Hosting", "currency_rate": "50.50",
        "currency_label": "USD", "wallet_numbers": ["01011112222"],
        "return_origins": [daemon.url("")]});
    if let (Some(store), Some(extra)) = (store.as_object_mut(), extra.as_object()) {
        store.extend(extra.clone());
    }
    let answer = daemon.put_store(STORE, store).await;
    assert!(answer.status.is_success(), "{answer:?}");
}

/// The wallet's SMS for a transfer of `amount` from `PHONE`, as the
/// merchant's forwarder posts it (the time is the daemon's now, in Egypt).
async fn sms_arrives(daemon: &TestDaemon, trans_id: &str, amount: &str) {
    let local = daemon.clock.now().in_tz("Africa/Cairo").unwrap();
    let stamp = local.strftime("%H:%M %y-%m-%d").to_string();
    let text = format!(
        "تم استلام مبلغ {amount} جنيه من رقم {PHONE} المسجل بإسم Jane Doe على رقم محفظتك 01011112222.\n\
         رقم العملية: {trans_id}\nتاريخ العملية: {stamp}"
    );
    let body = json!({"from": "VF-Cash", "text": text, "sentStamp": 1_777_000_000_000u64});
    let answer = daemon.ingest(STORE, INGEST_TOKEN, &body).await;
    assert_eq!(answer.status, 201, "{answer:?}");
}

async fn state(browser: &Browser) -> String {
    let found = browser
        .eval(
            "const e = document.getElementById('payment-state'); return e ? e.dataset.state : null",
        )
        .await;
    found.as_str().unwrap_or_default().to_owned()
}

/// Waits until the status page shows `wanted`, and says how long it took.
async fn wait_for_state(browser: &Browser, wanted: &str) -> std::time::Duration {
    let started = Instant::now();
    let condition = format!(
        "document.getElementById('payment-state') && document.getElementById('payment-state').dataset.state === '{wanted}'"
    );
    browser.wait_for(&condition).await;
    started.elapsed()
}

/// Marks the document; a reload would lose the mark.
async fn mark(browser: &Browser) {
    browser
        .eval("window.cashgateTestMark = 'same document'; return true")
        .await;
}

async fn assert_not_reloaded(browser: &Browser) {
    let mark = browser.eval("return window.cashgateTestMark || null").await;
    assert_eq!(mark, "same document", "the page was reloaded");
}

/// Fills in the phone and submits; returns once the status page shows.
async fn submit_phone(browser: &Browser, phone: &str) {
    browser.fill("#phone", phone).await;
    browser.click(SUBMIT).await;
    browser
        .wait_for("document.getElementById('payment-state') !== null")
        .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_customer_pays_with_the_keyboard_alone() {
    use fantoccini::key::Key;
    let daemon = spawn_daemon(|_| {}).await;
    pay_store(&daemon, json!({})).await;
    let browser = Browser::open(MOBILE, "en").await;
    browser
        .goto(&daemon.url("/pay/5?amount=101&client_id=42&lang=en"))
        .await;
    // Tab from the top of the page until the phone field has the focus;
    // every field met on the way is labelled.
    let mut reached = false;
    for _ in 0..12 {
        browser.press(&Key::Tab).await;
        let focused = browser
            .eval(
                "const e = document.activeElement; \
                 return [e.id, e.tagName, e.labels ? e.labels.length : -1]",
            )
            .await;
        if focused[1] == "INPUT" {
            assert!(
                focused[2].as_i64() > Some(0),
                "an unlabelled field: {focused}"
            );
        }
        if focused[0] == "phone" {
            reached = true;
            break;
        }
    }
    assert!(reached, "the phone field is not reachable with Tab");
    browser.press(PHONE).await;
    browser.press(&Key::Enter).await;
    browser
        .wait_for("document.getElementById('payment-state') !== null")
        .await;
    assert_eq!(state(&browser).await, "searching");
    let live = browser
        .eval("return document.getElementById('payment-state').getAttribute('aria-live')")
        .await;
    assert_eq!(live, "polite", "screen readers hear the state change");
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_customer_pays_and_the_status_page_turns_credited_without_a_reload() {
    let daemon = spawn_daemon(|_| {}).await;
    pay_store(&daemon, json!({})).await;
    let origin = daemon.url("");
    // The merchant's page the customer returns to: a page of this origin
    // stands in for it (a page elsewhere would be a request elsewhere).
    let back = daemon.url("/pay/5?lang=en");
    let link = daemon.url(&format!(
        "/pay/5?invoice_amount=2&client_id=42&invoice_id=7&lang=en&return_url={}",
        form_urlencoded::byte_serialize(back.as_bytes()).collect::<String>()
    ));
    let (mut phone, mut desk) =
        tokio::join!(Browser::open(MOBILE, "en"), Browser::open(DESKTOP, "en"));
    desk.goto(&link).await;
    desk.screenshot_for_docs("pay-form-en-desktop").await;
    phone.goto(&link).await;
    assert_eq!(phone.text("h1").await, "Pay with Vodafone Cash");
    let shown = phone.text("main").await;
    for needle in ["101 EGP", "010 1111 2222", "2.00 USD at 50.50 EGP"] {
        assert!(shown.contains(needle), "the form lacks {needle}: {shown}");
    }
    phone.assert_fits().await;
    phone.screenshot_for_docs("pay-form-en-360").await;

    submit_phone(&phone, PHONE).await;
    assert_eq!(state(&phone).await, "searching");
    assert!(
        phone
            .text("#payment-state")
            .await
            .contains("keep this page open")
    );
    mark(&phone).await;
    phone.assert_fits().await;
    phone
        .screenshot_for_docs("pay-status-en-360-searching")
        .await;

    // The wallet's SMS arrives after the submit: the page follows it.
    sms_arrives(&daemon, "014412345678", "101").await;
    let took = wait_for_state(&phone, "credited").await;
    eprintln!("status page showed `credited` {took:?} after the SMS was stored");
    assert_not_reloaded(&phone).await;
    let shown = phone.text("main").await;
    assert!(
        shown.contains("Payment received") && shown.contains("2.00 USD"),
        "{shown}"
    );
    let href = phone
        .eval("return document.getElementById('return-link').href")
        .await;
    assert_eq!(href, back.as_str());
    phone.assert_fits().await;
    phone
        .screenshot_for_docs("pay-status-en-360-credited")
        .await;
    let status_url = phone.url().await;
    desk.goto(&status_url).await;
    desk.screenshot_for_docs("pay-status-en-desktop-credited")
        .await;

    // A few seconds later the customer is taken back to the store.
    phone.wait_for("location.pathname === '/pay/5'").await;
    phone.assert_clean(&origin).await;
    desk.assert_clean(&origin).await;
    let ledger = daemon.whmcs.ledger(42);
    assert_eq!(ledger.len(), 1, "{ledger:?}");
    assert_eq!(ledger[0].amount, "2.00");
    phone.close().await;
    desk.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_arabic_pages_read_right_to_left() {
    let daemon = spawn_daemon(|_| {}).await;
    pay_store(&daemon, json!({})).await;
    let origin = daemon.url("");
    // No ?lang=: the browser's Accept-Language chooses Arabic.
    let link = daemon.url("/pay/5?amount=100&client_id=42");
    let (mut phone, mut desk) =
        tokio::join!(Browser::open(MOBILE, "ar"), Browser::open(DESKTOP, "ar"));
    for (browser, name) in [(&phone, "pay-form-ar-360"), (&desk, "pay-form-ar-desktop")] {
        browser.goto(&link).await;
        let root = browser
            .eval("const h = document.documentElement; return [h.lang, h.dir, getComputedStyle(document.body).direction]")
            .await;
        assert_eq!(root, json!(["ar", "rtl", "rtl"]), "{name}");
        assert_eq!(browser.text("h1").await, "الدفع بفودافون كاش", "{name}");
        // Right to left: the label's words start at the form's right edge.
        let script = "const f = document.querySelector('form').getBoundingClientRect();\
            const r = document.createRange();\
            r.selectNodeContents(document.querySelector('label[for=phone]'));\
            const l = r.getBoundingClientRect();\
            return [Math.round(f.right - l.right), Math.round(l.left - f.left)]";
        let edges = browser.eval(script).await;
        assert!(
            edges[0].as_i64() < edges[1].as_i64(),
            "{name}: label not on the right: {edges}"
        );
        browser.assert_fits().await;
        browser.screenshot_for_docs(name).await;
    }
    submit_phone(&phone, PHONE).await;
    mark(&phone).await;
    assert_eq!(phone.text(".state-title").await, "في انتظار دفعتك");
    sms_arrives(&daemon, "014412345679", "100").await;
    wait_for_state(&phone, "credited").await;
    assert_not_reloaded(&phone).await;
    assert_eq!(phone.text(".state-title").await, "تم استلام الدفعة");
    phone.assert_fits().await;
    phone
        .screenshot_for_docs("pay-status-ar-360-credited")
        .await;
    desk.goto(&phone.url().await).await;
    desk.assert_fits().await;
    desk.screenshot_for_docs("pay-status-ar-desktop-credited")
        .await;
    phone.assert_clean(&origin).await;
    desk.assert_clean(&origin).await;
    phone.close().await;
    desk.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_held_payment_turns_credited_when_an_approver_approves_in_another_browser() {
    let daemon = spawn_daemon(|_| {}).await;
    pay_store(
        &daemon,
        json!({"anti_spam": {"enabled": true, "approvers": [APPROVER], "hold_new_phone": true}}),
    )
    .await;
    let origin = daemon.url("");
    let (mut customer, mut approver) =
        tokio::join!(Browser::open(DESKTOP, "en"), Browser::open(MOBILE, "en"));
    customer
        .goto(&daemon.url("/pay/5?amount=100&client_id=42&lang=en"))
        .await;
    submit_phone(&customer, PHONE).await;
    mark(&customer).await;
    sms_arrives(&daemon, "014412345680", "100").await;
    wait_for_state(&customer, "held").await;
    assert!(
        customer
            .text("#payment-state")
            .await
            .contains("waiting for the merchant's approval")
    );
    customer
        .screenshot_for_docs("pay-status-en-desktop-held")
        .await;

    let id = customer
        .eval("return location.pathname.split('/').pop()")
        .await;
    let link = daemon.approval_link(id.as_str().unwrap(), APPROVER).await;
    approver.goto(&link).await;
    approver
        .click(r#"button[name="decision"][value="approve"]"#)
        .await;
    approver
        .wait_for("document.querySelector('form') === null")
        .await;

    let took = wait_for_state(&customer, "credited").await;
    eprintln!("customer's page showed `credited` {took:?} after the approval page answered");
    assert_not_reloaded(&customer).await;
    customer.assert_clean(&origin).await;
    approver.assert_clean(&origin).await;
    customer.close().await;
    approver.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bad_phone_and_too_many_tries_come_back_as_the_form_with_the_message() {
    let daemon = spawn_daemon(|s| s.limits.checks_per_minute_per_ip = 2).await;
    pay_store(&daemon, json!({})).await;
    let origin = daemon.url("");
    let link = daemon.url("/pay/5?amount=100&client_id=42&lang=en");
    let mut phone = Browser::open(MOBILE, "en").await;
    phone.goto(&link).await;
    phone.fill("#phone", "0123").await;
    phone.click(SUBMIT).await;
    phone
        .wait_for("document.querySelector('.error-summary') !== null")
        .await;
    let summary = phone.text(".error-summary").await;
    assert!(
        summary.contains("There is a problem") && summary.contains("not an Egyptian mobile number"),
        "{summary}"
    );
    assert!(
        phone
            .text("#phone-error")
            .await
            .contains("Egyptian mobile number")
    );
    let typed = phone
        .eval("return document.getElementById('phone').value")
        .await;
    assert_eq!(typed, "0123", "what was typed stays");
    phone.assert_fits().await;
    phone.screenshot_for_docs("pay-form-en-360-error").await;

    submit_phone(&phone, PHONE).await;
    assert_eq!(state(&phone).await, "searching");
    // The third check from this address in a minute.
    phone.goto(&link).await;
    phone.fill("#phone", "01012345679").await;
    phone.click(SUBMIT).await;
    phone
        .wait_for("document.querySelector('.error-summary') !== null")
        .await;
    assert!(
        phone
            .text(".error-summary")
            .await
            .contains("Too many requests")
    );
    assert_eq!(
        daemon.all_payments().await.len(),
        1,
        "the refused tries created nothing"
    );
    assert_clean_but_statuses(&mut phone, &origin).await;
    phone.close().await;
}

/// As `assert_clean`, except the lines in which Chromium notes the 400 and
/// 429 statuses of the refused form posts themselves (it logs a document's
/// error status as a failed load): the statuses are the contract, and
/// nothing else may show up.
async fn assert_clean_but_statuses(browser: &mut Browser, origin: &str) {
    let errors = browser.console_errors().await;
    let unexpected: Vec<_> = errors
        .iter()
        .filter(|e| {
            let own_status = e.source == "network"
                && e.message.starts_with(&format!("{origin}/pay/5 "))
                && (e.message.contains("status of 400") || e.message.contains("status of 429"));
            !own_status
        })
        .collect();
    assert!(unexpected.is_empty(), "console errors: {unexpected:#?}");
    let elsewhere = browser.requests_to_other_origins(origin).await;
    assert!(
        elsewhere.is_empty(),
        "requests to other origins: {elsewhere:#?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_return_url_of_another_origin_is_never_followed() {
    let daemon = spawn_daemon(|_| {}).await;
    pay_store(&daemon, json!({})).await;
    let origin = daemon.url("");
    let mut desk = Browser::open(DESKTOP, "en").await;
    desk.goto(&daemon.url(
        "/pay/5?amount=100&client_id=42&lang=en&return_url=https%3A%2F%2Fevil.example%2Fphish",
    ))
    .await;
    submit_phone(&desk, PHONE).await;
    let status_url = desk.url().await;
    assert!(!status_url.contains("evil"), "{status_url}");
    sms_arrives(&daemon, "014412345681", "100").await;
    wait_for_state(&desk, "credited").await;
    let links = desk
        .eval("return [...document.querySelectorAll('a')].map(a => a.href)")
        .await;
    assert!(!links.to_string().contains("evil"), "{links}");
    // Longer than a permitted return would wait: still here.
    tokio::time::sleep(std::time::Duration::from_secs(7)).await;
    assert_eq!(desk.url().await, status_url);
    desk.assert_clean(&origin).await;
    desk.close().await;
}
