//! The approval page in headless Chromium, as an approver uses it: the
//! emailed link opened on a phone and on a desktop, in English and in
//! Arabic; the payment shown, "approve" clicked, the decision shown, the
//! payment on its way to WHMCS. The page must fit a 360 px screen, read
//! right to left in Arabic, log no console error and load nothing from
//! another origin. `CASHGATE_SCREENSHOTS=1` saves what it looked like
//! under `docs/screenshots/`.

use std::time::Duration;

use serde_json::json;

use crate::support::api::STORE;
use crate::support::approvals::read_email;
use crate::support::browser::{Browser, DESKTOP, MOBILE, SentRequest};
use crate::support::daemon::{TestDaemon, spawn_daemon};
use crate::support::smtp::SmtpServer;

const APPROVER: &str = "owner@example.com";
const APPROVE_BUTTON: &str = r#"button[name="decision"][value="approve"]"#;
const NO_FORM: &str = "document.querySelector('form') === null";

/// A store that holds every new phone for one approver who reads `lang`.
async fn holding_store(daemon: &TestDaemon, lang: &str) {
    let store = json!({"name": "Example Hosting", "currency_rate": "50.50", "currency_label": "USD",
        "anti_spam": {"enabled": true, "approvers": [APPROVER], "hold_new_phone": true,
                      "approver_lang": lang}});
    let answer = daemon.put_store(STORE, store).await;
    assert!(answer.status.is_success(), "{answer:?}");
}

/// A held payment of 100 EGP for client 42; returns its id.
async fn held_payment(daemon: &TestDaemon) -> String {
    daemon.ingest_tx("014412345678", "01012345678", "100").await;
    let reply = daemon.check_simple("42", "100").await;
    assert_eq!(reply.body["state"], "held", "{:?}", reply.body);
    reply.body["payment_id"].as_str().expect("id").to_owned()
}

/// The form's values line up on the side text starts from (right in
/// Arabic), and the note field stays inside the column of the table.
async fn assert_aligned(browser: &Browser) {
    let script = "const rtl = getComputedStyle(document.documentElement).direction === 'rtl';\
        const edges = [...document.querySelectorAll('td')].map(td => {\
          const r = document.createRange(); r.selectNodeContents(td);\
          const b = r.getBoundingClientRect(); return Math.round(rtl ? b.right : b.left); });\
        const table = document.querySelector('table').getBoundingClientRect();\
        const note = document.querySelector('textarea').getBoundingClientRect();\
        return [edges, note.left >= table.left - 0.5 && note.right <= table.right + 0.5];";
    let found = browser.eval(script).await;
    let edges = found[0].as_array().cloned().unwrap_or_default();
    assert!(edges.len() > 5, "{found}");
    assert!(
        edges.iter().all(|e| *e == edges[0]),
        "values start at different edges: {found}"
    );
    assert_eq!(
        found[1], true,
        "the note field sticks out of the column: {found}"
    );
}

/// The payment's state and the approver's decision in its history.
async fn state_and_decision(daemon: &TestDaemon, id: &str) -> (String, serde_json::Value) {
    let detail = daemon.admin_get(&format!("/admin/payments/{id}")).await;
    let history = detail.body["history"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let decision = history.into_iter().find(|h| h["from"] == "held");
    let state = detail.body["state"].as_str().unwrap_or_default().to_owned();
    (state, decision.unwrap_or_default())
}

#[tokio::test(flavor = "multi_thread")]
async fn an_approver_approves_from_the_emailed_link_on_a_phone() {
    let smtp = SmtpServer::start();
    let url = smtp.url();
    let daemon = spawn_daemon(move |s| {
        s.mail.smtp_url = Some(cashgate::domain::Secret::new(url));
        s.mail.retry_base_ms = 50;
    })
    .await;
    holding_store(&daemon, "en").await;
    let id = held_payment(&daemon).await;
    let messages = tokio::task::spawn_blocking(move || smtp.wait_for(1, Duration::from_secs(10)))
        .await
        .expect("smtp");
    let link = read_email(messages.first().expect("an email")).link;
    let origin = daemon.url("");

    let (mut phone, mut desk) =
        tokio::join!(Browser::open(MOBILE, "en"), Browser::open(DESKTOP, "en"));
    desk.goto(&link).await;
    desk.screenshot_for_docs("approval-en-desktop").await;
    phone.goto(&link).await;
    assert_eq!(phone.text("h1").await, "Payment waiting for approval");
    let shown = phone.text("body").await;
    for needle in [
        "014412345678",
        "01012345678",
        "100.00",
        "1.98 USD",
        "42",
        "first payment from this phone",
    ] {
        assert!(shown.contains(needle), "the page lacks {needle}: {shown}");
    }
    phone.assert_fits().await;
    assert_aligned(&phone).await;
    phone.screenshot_for_docs("approval-en-360").await;

    phone.click(APPROVE_BUTTON).await;
    phone.wait_for(NO_FORM).await;
    // The approver reads what they just did, in words, with the time.
    assert_eq!(phone.text("h1").await, "You approved this payment");
    let decided = phone.text("body").await;
    assert!(
        decided.contains("You approved this payment on ") && decided.contains("just now"),
        "{decided}"
    );
    assert!(
        !decided.contains("T0") && !decided.contains("held"),
        "no raw times or states: {decided}"
    );
    phone.assert_fits().await;
    phone.screenshot_for_docs("approval-en-360-decided").await;

    let (state, decision) = state_and_decision(&daemon, &id).await;
    assert!(
        ["crediting", "credited"].contains(&state.as_str()),
        "{state}"
    );
    assert_eq!(decision["event"], "approve");
    assert_eq!(decision["actor"]["email"], APPROVER);
    let agent = decision["actor"]["user_agent"].as_str().unwrap_or_default();
    assert!(agent.contains("Chrome"), "decided by the browser: {agent}");

    // The request list is real: it holds the form's post.
    let sent = phone.requests().await;
    let posted = |r: &SentRequest| r.method == "POST" && r.url == link && r.kind == "Document";
    assert!(sent.iter().any(posted), "{sent:#?}");
    phone.assert_clean(&origin).await;
    desk.assert_clean(&origin).await;
    phone.close().await;
    desk.close().await;
}

/// The direction the browser lays out `css` in, and its horizontal middle.
async fn direction_and_middle(browser: &Browser, css: &str) -> (String, f64) {
    let script = format!(
        "const e = document.querySelector('{css}'); const r = e.getBoundingClientRect();\
         return [getComputedStyle(e).direction, r.left + r.width / 2];"
    );
    let found = browser.eval(&script).await;
    let direction = found[0].as_str().unwrap_or_default().to_owned();
    (direction, found[1].as_f64().unwrap_or_default())
}

#[tokio::test(flavor = "multi_thread")]
async fn the_arabic_approval_page_reads_right_to_left_and_decides() {
    let daemon = spawn_daemon(|_| {}).await;
    holding_store(&daemon, "ar").await;
    let id = held_payment(&daemon).await;
    let link = daemon.approval_link(&id, APPROVER).await;
    let origin = daemon.url("");

    let (mut phone, mut desk) =
        tokio::join!(Browser::open(MOBILE, "ar"), Browser::open(DESKTOP, "ar"));
    for (browser, name) in [(&phone, "approval-ar-360"), (&desk, "approval-ar-desktop")] {
        browser.goto(&link).await;
        let root = browser
            .eval("const h = document.documentElement; return [h.lang, h.dir, getComputedStyle(h).direction]")
            .await;
        assert_eq!(root, json!(["ar", "rtl", "rtl"]), "{name}");
        assert_eq!(
            browser.text("h1").await,
            "دفعة في انتظار الموافقة",
            "{name}"
        );
        // Right to left: each row's label sits right of its value.
        let (label_direction, label_middle) = direction_and_middle(browser, "th").await;
        let (_, value_middle) = direction_and_middle(browser, "td").await;
        assert_eq!(label_direction, "rtl", "{name}");
        assert!(
            label_middle > value_middle,
            "{name}: label {label_middle}, value {value_middle}"
        );
        browser.assert_fits().await;
        assert_aligned(browser).await;
        browser.screenshot_for_docs(name).await;
    }

    phone.click(APPROVE_BUTTON).await;
    phone.wait_for(NO_FORM).await;
    assert_eq!(phone.text("h1").await, "لقد وافقت على هذه الدفعة");
    let decided = phone.text("body").await;
    assert!(
        decided.contains("لقد وافقت على هذه الدفعة في") && decided.contains("الآن"),
        "{decided}"
    );
    assert!(
        !decided.contains("approve") && !decided.contains("crediting"),
        "no English words: {decided}"
    );
    phone.assert_fits().await;
    phone.screenshot_for_docs("approval-ar-360-decided").await;
    let (state, decision) = state_and_decision(&daemon, &id).await;
    assert!(
        ["crediting", "credited"].contains(&state.as_str()),
        "{state}"
    );
    assert_eq!(decision["actor"]["email"], APPROVER);

    phone.assert_clean(&origin).await;
    desk.assert_clean(&origin).await;
    phone.close().await;
    desk.close().await;
}
