//! The console in headless Chromium, as a merchant and an operator use
//! it: a store key signs in on a phone, approves a held payment and the
//! customer's status page flips; another store's payment cannot be opened by
//! URL; a form that lost its CSRF token changes nothing; sign-out ends
//! the session; the Arabic console reads right to left. No console error,
//! nothing from another origin, nothing wider than the screen.
//! `CASHGATE_SCREENSHOTS=1` saves the overview and a payment, in English
//! and Arabic, at 360 px and desktop size, under `docs/screenshots/`.

use serde_json::json;

use crate::support::browser::{Browser, DESKTOP, MOBILE};
use crate::support::daemon::{TestDaemon, spawn_daemon};

const OWN: &str = "5";
const OTHER: &str = "6";
const SIGN_IN: &str = "form.login button[type=submit]";

/// What every page must be: nothing wider than the screen, nothing from
/// elsewhere, and no console error but the pages this test asked for
/// that answer with an error status on purpose (`(path, status)`: the
/// browser logs those, which also proves their status) — each of which
/// must be there.
async fn assert_clean(browser: &mut Browser, origin: &str, expected: &[(&str, u16)]) {
    browser.assert_fits().await;
    let errors = browser.console_errors().await;
    let is_expected = |message: &str, (path, status): &(&str, u16)| {
        message.starts_with(&format!("{origin}{path} "))
            && message.contains(&format!("status of {status} "))
    };
    for wanted in expected {
        assert!(
            errors
                .iter()
                .any(|e| e.source == "network" && is_expected(&e.message, wanted)),
            "no {wanted:?} among {errors:#?}"
        );
    }
    let unexpected: Vec<_> = errors
        .iter()
        .filter(|e| !(e.source == "network" && expected.iter().any(|w| is_expected(&e.message, w))))
        .collect();
    assert!(unexpected.is_empty(), "console errors: {unexpected:#?}");
    let elsewhere = browser.requests_to_other_origins(origin).await;
    assert!(
        elsewhere.is_empty(),
        "requests to other origins: {elsewhere:#?}"
    );
}

/// A condition true once the customer's status page shows `state`.
fn state_is(state: &str) -> String {
    format!(
        "document.getElementById('payment-state') !== null && document.getElementById('payment-state').dataset.state === '{state}'"
    )
}

async fn sign_in(browser: &Browser, daemon: &TestDaemon, token: &str) {
    browser.goto(&daemon.url("/console")).await;
    browser
        .wait_for("document.querySelector('form.login') !== null")
        .await;
    browser.fill("#token", token).await;
    browser.click(SIGN_IN).await;
    browser
        .wait_for("document.querySelector('form.logout') !== null")
        .await;
}

async fn two_stores(daemon: &TestDaemon) -> (String, String, String) {
    daemon.holding_store(OWN).await;
    daemon.holding_store(OTHER).await;
    let mine = daemon.held_in(OWN, 1).await;
    let spare = daemon.held_in(OWN, 2).await;
    daemon.held_in(OTHER, 3).await;
    (mine, spare, daemon.held_in(OTHER, 4).await)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_merchant_approves_on_a_phone_and_sees_nothing_of_other_stores() {
    let daemon = spawn_daemon(|_| {}).await;
    let (mine, spare, theirs) = two_stores(&daemon).await;
    let key = daemon.store_key(OWN, "phone").await;
    let origin = daemon.url("");
    let (mut phone, mut desk) =
        tokio::join!(Browser::open(MOBILE, "en"), Browser::open(DESKTOP, "en"));

    sign_in(&phone, &daemon, &key).await;
    assert_eq!(phone.text("h1").await, "Overview");
    let overview = phone.text("main").await;
    assert!(
        overview.contains("Store 5") && !overview.contains("Store 6"),
        "{overview}"
    );
    phone.screenshot_for_docs("console-en-360-overview").await;
    sign_in(&desk, &daemon, &key).await;
    desk.screenshot_for_docs("console-en-desktop-overview")
        .await;

    // The customer watches the payment's status page: held.
    let customer = Browser::open(MOBILE, "en").await;
    customer
        .goto(&daemon.url(&format!("/pay/{OWN}/payments/{mine}")))
        .await;
    customer.wait_for(&state_is("held")).await;
    phone
        .goto(&daemon.url(&format!("/console/payments/{mine}")))
        .await;
    let detail = phone.text("main").await;
    for needle in [
        "014400000001",
        "01012345678",
        "101.00",
        "first payment from this phone",
        "Check received",
    ] {
        assert!(detail.contains(needle), "the page lacks {needle}: {detail}");
    }
    phone.screenshot_for_docs("console-en-360-payment").await;
    desk.goto(&daemon.url(&format!("/console/payments/{mine}")))
        .await;
    desk.screenshot_for_docs("console-en-desktop-payment").await;
    phone
        .fill("form.actions input[name=note]", "paid at the shop")
        .await;
    phone.click("button.action-approve").await;
    phone
        .wait_for("document.querySelector('.summary [data-state]').dataset.state !== 'held'")
        .await;
    // The status page follows without a reload: the credit lands.
    customer.wait_for(&state_is("credited")).await;
    let sentence = customer.text("#payment-state").await;
    assert!(!sentence.is_empty(), "the state is said in words");
    customer.close().await;
    let history = daemon
        .admin_get(&format!("/admin/payments/{mine}"))
        .await
        .body["history"]
        .clone();
    let decision = history
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["event"] == "approve")
        .unwrap()
        .clone();
    assert_eq!(decision["actor"]["by"], "key:phone");
    assert_eq!(decision["reason"], "paid at the shop");

    // Another store's payment, by URL: not found, and nothing of it shown.
    phone
        .goto(&daemon.url(&format!("/console/payments/{theirs}")))
        .await;
    assert_eq!(phone.text("h1").await, "There is nothing here.");
    assert!(!phone.text("body").await.contains("Store 6"));

    // A form that lost its CSRF token changes nothing.
    phone
        .goto(&daemon.url(&format!("/console/payments/{spare}")))
        .await;
    phone
        .eval("document.querySelectorAll('input[name=csrf]').forEach(e => e.remove()); return true")
        .await;
    phone.click("button.action-approve").await;
    phone
        .wait_for("document.querySelector('form.actions') === null")
        .await;
    assert!(
        phone
            .text("h1")
            .await
            .starts_with("This form was not sent from this session")
    );
    assert_eq!(daemon.version_and_state(&spare).await.1, "held");

    // Sign-out ends the session: the console asks to sign in again.
    phone.goto(&daemon.url("/console")).await;
    phone.click("form.logout button").await;
    phone
        .wait_for("document.querySelector('form.login') !== null")
        .await;
    phone
        .goto(&daemon.url(&format!("/console/payments/{spare}")))
        .await;
    assert_eq!(phone.text("h1").await, "Sign in to the console");
    assert!(!phone.text("body").await.contains("01012345678"));

    let other_store = format!("/console/payments/{theirs}");
    let csrf_post = format!("/console/payments/{spare}/approve");
    let signed_out = format!("/console/payments/{spare}");
    let expected = [
        ("/console", 401),
        (other_store.as_str(), 404),
        (csrf_post.as_str(), 403),
        (signed_out.as_str(), 401),
    ];
    assert_clean(&mut phone, &origin, &expected).await;
    assert_clean(&mut desk, &origin, &[("/console", 401)]).await;
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
    (
        found[0].as_str().unwrap_or_default().to_owned(),
        found[1].as_f64().unwrap_or_default(),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn the_arabic_console_reads_right_to_left() {
    let daemon = spawn_daemon(|_| {}).await;
    let (mine, spare, _) = two_stores(&daemon).await;
    let store = json!({"name": "متجر الاستضافة", "anti_spam": {"enabled": true, "approvers": ["owner@example.com"]}});
    assert!(daemon.put_store(OWN, store).await.status.is_success());
    // A rejected claim: its transfer waits for an operator to assign it.
    let rejected = daemon
        .admin_post(&format!("/admin/payments/{spare}/reject"), &json!({}))
        .await;
    assert_eq!(rejected.status, 200, "{rejected:?}");
    let origin = daemon.url("");
    let (mut phone, mut desk) =
        tokio::join!(Browser::open(MOBILE, "ar"), Browser::open(DESKTOP, "ar"));
    for (browser, size) in [(&phone, "360"), (&desk, "desktop")] {
        sign_in(browser, &daemon, &daemon.admin_token).await;
        let root = browser
            .eval("const h = document.documentElement; return [h.lang, h.dir, getComputedStyle(h).direction]")
            .await;
        assert_eq!(root, json!(["ar", "rtl", "rtl"]), "{size}");
        assert_eq!(browser.text("h1").await, "نظرة عامة");
        // Right to left: the brand starts the header on the right.
        let (direction, brand) = direction_and_middle(browser, ".brand").await;
        let (_, who) = direction_and_middle(browser, ".who").await;
        assert_eq!(direction, "rtl");
        assert!(brand > who, "{size}: brand {brand}, who {who}");
        browser
            .screenshot_for_docs(&format!("console-ar-{size}-overview"))
            .await;
        browser
            .goto(&daemon.url(&format!("/console/payments/{mine}")))
            .await;
        let text = browser.text("main").await;
        assert!(
            text.contains("في انتظار الموافقة") && text.contains("تم استلام الطلب"),
            "{text}"
        );
        assert!(
            !text.contains("held") && !text.contains("searching"),
            "states in Arabic: {text}"
        );
        browser
            .screenshot_for_docs(&format!("console-ar-{size}-payment"))
            .await;
        browser
            .goto(&daemon.url(&format!("/console/transactions?store_id={OWN}")))
            .await;
        let text = browser.text("main").await;
        assert!(
            text.contains("في انتظار المشرف") && text.contains("014400000002"),
            "{text}"
        );
        browser.assert_fits().await;
        browser
            .screenshot_for_docs(&format!("console-ar-{size}-transactions"))
            .await;
        // The same page in English (`?lang=`), left to right.
        browser
            .goto(&daemon.url(&format!("/console/transactions?store_id={OWN}&lang=en")))
            .await;
        assert!(
            browser
                .text("main")
                .await
                .contains("Waiting for an operator")
        );
        browser.assert_fits().await;
        browser
            .screenshot_for_docs(&format!("console-en-{size}-transactions"))
            .await;
    }
    assert_clean(&mut phone, &origin, &[("/console", 401)]).await;
    assert_clean(&mut desk, &origin, &[("/console", 401)]).await;
    phone.close().await;
    desk.close().await;
}
