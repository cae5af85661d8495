//! cashgate's own WHMCS module and the invoice it sends with the check,
//! under `php`, against the real daemon crediting into the WHMCS emulator:
//! a transfer that is already in is credited and its invoice paid by the
//! daemon before the customer lands on the status page; a held payment
//! waits (the invoice stays unpaid), an approval hours later pays the
//! invoice from the credit once, and the module then refuses the paid
//! invoice. A check as the public VodafoneCash module sends it (no
//! `invoice_id`) behaves as before and touches no invoice.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::invoices::settled;
use crate::support::api::INGEST_TOKEN;
use crate::support::daemon::{TestDaemon, spawn_daemon};
use crate::whmcs_module::{INVOICE, OWNER, STORE_ID, open_invoice, pay, state};
use crate::whmcs_module_php::StubWhmcs;

/// The transfer's reference in the forwarded SMS.
pub(crate) const TRANS_ID: &str = "014412345678";
/// The description of the credit the daemon adds for that transfer.
pub(crate) const CREDIT_LINE: &str = "VodafoneCash payment - trans_id: 014412345678";
/// The form's fields: the phone the customer paid from and the 314 EGP
/// the invoice page asked for (ceil(6.21 × 50.50)).
pub(crate) const FIELDS: [(&str, &str); 3] =
    [("phone", "01012345678"), ("amount", "314"), ("lang", "en")];
/// How long a test waits for the daemon to reach a state, in real time.
const WAIT_MS_MAX: u64 = 15_000;

/// A daemon with the module's store (50.50 EGP a dollar, `store` merged
/// in), WHMCS's invoice `INVOICE` of 6.21 USD for `OWNER` in the emulator,
/// and a stand-in WHMCS whose module points at the daemon with a check
/// timeout of `check_timeout_s`. One WHMCS seen through two stand-ins: the
/// module's local API (php) and the daemon's remote API (the emulator)
/// hold the same invoice. The status page may link back to the stand-in.
pub(crate) async fn with_invoice(
    adjust: impl FnOnce(&mut cashgate::config::Settings),
    store: Value,
    check_timeout_s: u32,
) -> (TestDaemon, StubWhmcs) {
    let daemon = spawn_daemon(adjust).await;
    assert_eq!(
        daemon.whmcs.create_invoice(OWNER, "6.21", "Unpaid"),
        INVOICE
    );
    let whmcs = StubWhmcs::start(state(&daemon.url(""), check_timeout_s)).await;
    let mut settings = json!({"name": "Test Hosting", "currency_rate": "50.50",
        "currency_label": "USD",
        "return_origins": [whmcs.url().trim_end_matches('/'), daemon.whmcs.url()]});
    if let (Some(all), Some(extra)) = (settings.as_object_mut(), store.as_object()) {
        all.extend(extra.clone());
    }
    let put = daemon.put_store(STORE_ID, settings).await;
    assert!(put.status.is_success(), "{put:?}");
    (daemon, whmcs)
}

/// The stand-in's state with `INVOICE` as the emulator has it now, as
/// the module would read it from WHMCS after the daemon's calls.
pub(crate) fn mirrored(daemon: &TestDaemon, check_timeout_s: u32) -> Value {
    let mut mirrored = state(&daemon.url(""), check_timeout_s);
    let invoice = daemon
        .whmcs
        .invoice(INVOICE)
        .expect("the emulator's invoice");
    mirrored["invoices"][INVOICE.to_string()] = json!({"userid": invoice.client,
        "status": invoice.status, "total": invoice.total, "balance": invoice.balance,
        "currencycode": "USD"});
    mirrored
}

/// The transfer of `egp` pounds from 01012345678, as the SMS forwarder on
/// the merchant's phone posts it (sent at 23:14 Cairo time, minutes before
/// the daemon's clock).
pub(crate) async fn forward_the_sms(daemon: &TestDaemon, egp: u32) {
    let text = format!(
        "تم استلام مبلغ {egp} جنيه من رقم 01012345678 ؛ المسجل بإسم Sara M Hassan \
         رصيدك الحالي 1250.75 تاريخ العملية 23:14 26-05-28 رقم العملية {TRANS_ID}."
    );
    let sms = json!({"from": "VF-Cash", "text": text, "sim": "SIM1"});
    let ingested = daemon.ingest(STORE_ID, INGEST_TOKEN, &sms).await;
    assert_eq!(ingested.status, 201, "{ingested:?}");
    assert_eq!(
        [&ingested.body["trans_id"], &ingested.body["amount"]],
        [&json!(TRANS_ID), &json!(format!("{egp}.00"))],
        "{ingested:?}"
    );
}

/// The payment id in a status page's address.
pub(crate) fn payment_id_in(location: &str) -> String {
    location
        .rsplit_once("/payments/")
        .and_then(|(_, rest)| rest.split('?').next())
        .unwrap_or_else(|| panic!("not a status page: {location}"))
        .to_owned()
}

/// The local API commands the module called, in order.
pub(crate) fn local_api_commands(whmcs: &StubWhmcs) -> Vec<Value> {
    let records = whmcs.records();
    let calls = records.iter().filter(|r| r["kind"] == "localAPI");
    calls.map(|r| r["command"].clone()).collect()
}

/// Waits (polling, at most `WAIT_MS_MAX` of real time) until `done`.
pub(crate) async fn eventually(what: &str, done: impl Fn() -> bool) {
    let started = Instant::now();
    while !done() {
        assert!(
            started.elapsed() < Duration::from_millis(WAIT_MS_MAX),
            "never happened: {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_transfer_already_in_is_credited_and_its_invoice_paid_before_the_status_page() {
    let (daemon, whmcs) = with_invoice(|_| {}, json!({}), 3).await;
    forward_the_sms(&daemon, 314).await;

    let (cookie, token) = open_invoice(&whmcs, OWNER, INVOICE).await;
    let page = pay(&whmcs, &cookie, &token, INVOICE, &FIELDS).await;
    assert_eq!(page.status, 303, "{page:?} {}", whmcs.server_log());
    let location = page.location.expect("a redirect to the status page");
    let status_page = format!("{}/pay/{STORE_ID}/payments/", daemon.url(""));
    assert!(location.starts_with(&status_page), "{location}");
    let id = payment_id_in(&location);
    // The reply the module got had waited for the credit and the invoice.
    let sent = whmcs.records();
    let sent = sent.iter().find(|r| r["result"] == "Check Sent");
    let sent = sent.unwrap_or_else(|| panic!("{:?}", whmcs.records()));
    assert_eq!(
        [&sent["data"]["payment_id"], &sent["data"]["state"]],
        [&json!(id), &json!("credited")]
    );

    // What the customer sees there: paid, with the way back to the invoice.
    let path = location
        .strip_prefix(&daemon.url(""))
        .expect("the daemon's page");
    let shown = daemon.page(path).await;
    assert_eq!(shown.status, 200, "{shown:?}");
    assert!(
        shown.body.contains("data-state=\"credited\""),
        "{}",
        shown.body
    );
    let back = format!("{}viewinvoice.php?id={INVOICE}", whmcs.url());
    assert!(
        shown.body.contains(&format!("href=\"{back}\"")),
        "no link back to {back}: {}",
        shown.body
    );

    let detail = daemon
        .admin_get(&format!("/admin/payments/{id}"))
        .await
        .body;
    assert_eq!(detail["state"], "credited", "{detail:#}");
    assert_eq!(
        detail["invoice"],
        json!({"id": INVOICE, "state": "applied", "applied_amount": "6.21",
            "tries": 1, "message": null})
    );
    assert_eq!(daemon.all_payments().await.len(), 1);

    // The daemon's WHMCS: one credit of 6.22 (314 / 50.50), then the
    // invoice's balance read and exactly that applied — 6.21, which only
    // GetInvoice could have told it — once.
    let w = &daemon.whmcs;
    assert_eq!(w.credits_with_description(CREDIT_LINE), 1);
    assert_eq!(
        [
            w.add_credit_calls(),
            w.get_invoice_calls(),
            w.apply_credit_calls()
        ],
        [1, 1, 1]
    );
    let applied: Vec<(u32, u32, String)> = w
        .applications()
        .into_iter()
        .map(|a| (a.invoice, a.client, a.amount))
        .collect();
    assert_eq!(applied, [(INVOICE, OWNER, "6.21".to_owned())]);
    let invoice = w.invoice(INVOICE).expect("invoice");
    assert_eq!(
        (invoice.status.as_str(), invoice.balance.as_str()),
        ("Paid", "0.00")
    );
    assert_eq!(w.balance(OWNER), "0.01", "the rest stays as credit");

    // The module only read the invoice; the daemon did all the paying.
    assert_eq!(whmcs.log_results(), ["Check Sent"]);
    let commands = local_api_commands(&whmcs);
    assert!(!commands.is_empty());
    assert!(commands.iter().all(|c| c == "GetInvoice"), "{commands:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_held_payment_is_approved_hours_later_and_then_its_invoice_is_paid() {
    let anti_spam = json!({"anti_spam": {"enabled": true, "approvers": ["owner@example.com"]}});
    let (daemon, whmcs) = with_invoice(|_| {}, anti_spam, 3).await;
    let tx = json!({"trans_id": TRANS_ID, "phone": "01012345678", "amount": "314"});
    let ingested = daemon.ingest(STORE_ID, INGEST_TOKEN, &tx).await;
    assert_eq!(ingested.status, 201, "{ingested:?}");

    let (cookie, token) = open_invoice(&whmcs, OWNER, INVOICE).await;
    let page = pay(&whmcs, &cookie, &token, INVOICE, &FIELDS).await;
    assert_eq!(page.status, 303, "{page:?} {}", whmcs.server_log());
    let id = payment_id_in(&page.location.expect("a redirect to the status page"));
    // What the status page follows: held, the invoice not paid.
    let held = daemon.poll(&id, "").await;
    assert_eq!(held.body["state"], "held", "{held:?}");
    assert_eq!(held.body["requires_verification"], true);
    assert_eq!(
        held.body["invoice"],
        json!({"id": INVOICE, "state": "pending", "applied_amount": null})
    );
    assert_eq!(
        daemon.whmcs.get_invoice_calls(),
        0,
        "nothing paid while held"
    );

    daemon.clock.advance(jiff::SignedDuration::from_hours(3));
    let approve = daemon
        .admin_post(
            &format!("/admin/payments/{id}/approve"),
            &json!({"note": "known customer"}),
        )
        .await;
    assert_eq!(approve.status, 200, "{approve:?}");
    let detail = settled(&daemon, &id).await;
    assert_eq!(detail["state"], "credited");
    // 314 EGP at 50.50 is 6.22 USD of credit; the invoice owed 6.21.
    assert_eq!(
        [
            &detail["invoice"]["state"],
            &detail["invoice"]["applied_amount"]
        ],
        [&json!("applied"), &json!("6.21")]
    );
    assert_eq!(
        daemon.whmcs.invoice(INVOICE).expect("invoice").status,
        "Paid"
    );
    assert_eq!(daemon.whmcs.applications_to(INVOICE), 1);
    assert_eq!(
        daemon.whmcs.balance(OWNER),
        "0.01",
        "the rest stays as credit"
    );

    // WHMCS now shows the invoice paid: no form, and no second check.
    whmcs.set_state(mirrored(&daemon, 3));
    let invoice_page = whmcs.get("viewinvoice.php?id=1001", &cookie).await;
    assert!(
        !invoice_page.body.contains("<form"),
        "{}",
        invoice_page.body
    );
    let again = pay(&whmcs, &cookie, &token, INVOICE, &FIELDS).await;
    assert_eq!(again.status, 409, "{again:?}");
    assert_eq!(daemon.all_payments().await.len(), 1);
    assert_eq!(whmcs.log_results(), ["Check Sent", "Refused"]);
    assert_eq!(daemon.whmcs.applications_to(INVOICE), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_public_modules_check_carries_no_invoice_and_behaves_as_before() {
    let daemon = spawn_daemon(|_| {}).await;
    let store = json!({"name": "Test Hosting", "currency_rate": "50.50", "currency_label": "USD"});
    assert!(daemon.put_store(STORE_ID, store).await.status.is_success());
    let invoice = daemon.whmcs.create_invoice(OWNER, "6.21", "Unpaid");
    let tx = json!({"trans_id": "014412345678", "phone": "01012345678", "amount": "314"});
    daemon
        .ingest(STORE_ID, crate::support::api::INGEST_TOKEN, &tx)
        .await;
    // The public module's fields, exactly: the client only in user_name.
    let query = [
        ("phone", "01012345678"),
        ("amount", "314"),
        ("user_name", "Jane Doe (42)"),
        ("store_id", STORE_ID),
        ("lang", "en"),
    ];
    let reply = daemon.check(&query).await;
    assert_eq!(reply.status, 200, "{reply:?}");
    let body = &reply.body;
    // What that module reads: status, message, requires_verification.
    assert_eq!(
        [
            &body["status"],
            &body["state"],
            &body["requires_verification"]
        ],
        [&json!(true), &json!("credited"), &json!(false)]
    );
    assert!(body["message"].is_string());
    assert_eq!(body["invoice"], Value::Null);
    assert_eq!(
        daemon.whmcs.balance(OWNER),
        "6.22",
        "credited, nothing applied"
    );
    assert_eq!(daemon.whmcs.get_invoice_calls(), 0);
    assert_eq!(daemon.whmcs.apply_credit_calls(), 0);
    assert_eq!(
        daemon.whmcs.invoice(invoice).expect("invoice").status,
        "Unpaid"
    );
    // A repeat is the same as before: a new payment, never status true again.
    let repeat = daemon.check(&query).await;
    assert_eq!(repeat.body["status"], false, "{repeat:?}");
    assert_ne!(repeat.body["payment_id"], body["payment_id"]);
}
