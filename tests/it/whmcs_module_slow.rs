//! cashgate's own WHMCS module when the daemon is up but its WHMCS is
//! slow: the daemon's `AddCredit` call hangs after WHMCS committed the
//! credit, so the check outlasts the module's `checkTimeoutSeconds`. The
//! customer gets the module's clear timeout message and submits the same
//! check again; it is the same payment, never a second one. Once WHMCS's
//! hanging connection is cut, the daemon settles the unknown outcome with
//! `GetCredits`, never sends `AddCredit` twice, and pays the invoice from
//! the credit once. A customer who comes back finds the invoice paid, or,
//! when the transfer paid only part of it, is taken to that same payment:
//! the reply the module gave up on never took the credit's report with it.

use std::time::Duration;

use serde_json::{Value, json};

use crate::invoices::settled;
use crate::support::daemon::TestDaemon;
use crate::support::whmcs::CommitFault;
use crate::whmcs_module::{INVOICE, OWNER, STORE_ID, open_invoice, pay};
use crate::whmcs_module_invoices::{
    CREDIT_LINE, FIELDS, eventually, forward_the_sms, local_api_commands, mirrored, payment_id_in,
    with_invoice,
};
use crate::whmcs_module_php::{Page, StubWhmcs};

/// The module's check timeout in these tests: below the daemon's wait for
/// the credit, so a hanging WHMCS makes the daemon slow to the module.
const CHECK_TIMEOUT_S: u32 = 2;
/// How long the daemon waits for WHMCS's credit before answering a check,
/// in ms: the production default, well above `CHECK_TIMEOUT_S`.
const CHECK_WAIT_MS: u64 = 8_000;
/// The daemon's own timeout on a WHMCS call, in ms: longer than a test
/// takes to get the customer's answers, so WHMCS is still hanging for
/// all of them; the test then cuts the hanging call itself.
const WHMCS_TIMEOUT_MS: u64 = 60_000;
/// How long the emulator holds `AddCredit`'s answer after committing it,
/// in seconds: for as long as the test wants (it cuts the connection).
const STALL_S: u64 = 600;

/// A daemon whose WHMCS commits the next `AddCredit` and then hangs, with
/// the transfer of `egp` pounds already in: a check for it outlasts the
/// module's timeout.
async fn with_a_hanging_whmcs(egp: u32) -> (TestDaemon, StubWhmcs) {
    let (daemon, whmcs) = with_invoice(
        |s| {
            s.check_wait_ms = CHECK_WAIT_MS;
            s.whmcs.timeout_ms = WHMCS_TIMEOUT_MS;
        },
        json!({}),
        CHECK_TIMEOUT_S,
    )
    .await;
    let stall = CommitFault::CommitThenStall(Duration::from_secs(STALL_S));
    daemon.whmcs.fail_next_add_credit(1, stall);
    forward_the_sms(&daemon, egp).await;
    (daemon, whmcs)
}

/// The module's answer when the daemon did not answer in time.
fn assert_timed_out(page: &Page, whmcs: &StubWhmcs) {
    assert_eq!(page.status, 504, "{page:?} {}", whmcs.server_log());
    let text = "did not answer in time. Your payment is safe: please check again";
    assert!(page.body.contains(text), "{}", page.body);
    let back = format!("{}viewinvoice.php?id={INVOICE}", whmcs.url());
    assert!(page.body.contains(&back), "a way back: {}", page.body);
}

/// The one payment there is: `crediting`, its credit committed in WHMCS
/// and the answer still hanging. Returns its id.
async fn the_one_payment_crediting(daemon: &TestDaemon) -> String {
    let payments = daemon.all_payments().await;
    assert_eq!(payments.len(), 1, "{payments:?}");
    assert_eq!(payments[0]["state"], "crediting", "{payments:?}");
    let w = &daemon.whmcs;
    eventually("WHMCS committed the credit", || {
        w.credits_with_description(CREDIT_LINE) == 1
    })
    .await;
    assert_eq!(w.add_credit_calls(), 1);
    assert_eq!(
        w.apply_credit_calls(),
        0,
        "nothing applied before the credit"
    );
    payments[0]["id"].as_str().expect("payment id").to_owned()
}

/// Cuts WHMCS's hanging connection (the daemon's outcome is unknown) and
/// waits until the daemon has credited the payment and settled its
/// invoice; returns the payment's detail.
async fn whmcs_recovers(daemon: &TestDaemon, id: &str) -> Value {
    daemon.whmcs.restart().await.expect("reopen WHMCS's port");
    let detail = settled(daemon, id).await;
    assert_eq!(detail["state"], "credited", "{detail:#}");
    let w = &daemon.whmcs;
    assert!(
        w.get_credits_calls() >= 1,
        "the unknown outcome was settled"
    );
    assert_eq!(w.add_credit_calls(), 1, "AddCredit was never sent twice");
    assert_eq!(w.credits_with_description(CREDIT_LINE), 1);
    detail
}

#[tokio::test(flavor = "multi_thread")]
async fn a_slow_whmcs_times_the_check_out_and_a_resubmit_never_pays_twice() {
    let (daemon, whmcs) = with_a_hanging_whmcs(314).await;
    let (cookie, token) = open_invoice(&whmcs, OWNER, INVOICE).await;
    let first = pay(&whmcs, &cookie, &token, INVOICE, &FIELDS).await;
    assert_timed_out(&first, &whmcs);
    let id = the_one_payment_crediting(&daemon).await;

    // The customer submits the same check again at once: the daemon finds
    // the same payment and waits for the same hanging call.
    let second = pay(&whmcs, &cookie, &token, INVOICE, &FIELDS).await;
    assert_timed_out(&second, &whmcs);
    assert_eq!(the_one_payment_crediting(&daemon).await, id);

    let detail = whmcs_recovers(&daemon, &id).await;
    assert_eq!(
        detail["invoice"],
        json!({"id": INVOICE, "state": "applied", "applied_amount": "6.21",
            "tries": 1, "message": null})
    );
    let w = &daemon.whmcs;
    assert_eq!(w.applications_to(INVOICE), 1);
    assert_eq!(w.invoice(INVOICE).expect("invoice").status, "Paid");
    assert_eq!(w.balance(OWNER), "0.01");

    // The customer comes back later: WHMCS shows the invoice paid, and
    // the same form sends no check.
    whmcs.set_state(mirrored(&daemon, CHECK_TIMEOUT_S));
    let invoice_page = whmcs.get("viewinvoice.php?id=1001", &cookie).await;
    assert!(
        !invoice_page.body.contains("<form"),
        "{}",
        invoice_page.body
    );
    let third = pay(&whmcs, &cookie, &token, INVOICE, &FIELDS).await;
    assert_eq!(third.status, 409, "{third:?}");
    assert!(third.body.contains("already paid"), "{}", third.body);

    assert_eq!(daemon.all_payments().await.len(), 1);
    assert_eq!(w.credits_with_description(CREDIT_LINE), 1);
    assert_eq!(w.applications_to(INVOICE), 1);
    assert_eq!(
        whmcs.log_results(),
        ["Daemon Slow", "Daemon Slow", "Refused"]
    );
    let commands = local_api_commands(&whmcs);
    assert!(commands.iter().all(|c| c == "GetInvoice"), "{commands:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn after_a_timeout_the_same_check_leads_to_the_payment_that_paid_part_of_the_invoice() {
    let (daemon, whmcs) = with_a_hanging_whmcs(200).await;
    let fields = [("phone", "01012345678"), ("amount", "200"), ("lang", "en")];
    let (cookie, token) = open_invoice(&whmcs, OWNER, INVOICE).await;
    let first = pay(&whmcs, &cookie, &token, INVOICE, &fields).await;
    assert_timed_out(&first, &whmcs);
    let id = the_one_payment_crediting(&daemon).await;

    // 200 EGP at 50.50 is 3.96 USD: applied in part, the invoice still
    // owes 2.25 and stays unpaid.
    let detail = whmcs_recovers(&daemon, &id).await;
    assert_eq!(
        [
            &detail["invoice"]["state"],
            &detail["invoice"]["applied_amount"]
        ],
        [&json!("applied"), &json!("3.96")]
    );
    let w = &daemon.whmcs;
    let invoice = w.invoice(INVOICE).expect("invoice");
    assert_eq!(
        (invoice.status.as_str(), invoice.balance.as_str()),
        ("Unpaid", "2.25")
    );
    assert_eq!(w.balance(OWNER), "0.00", "all of the credit went to it");

    // The customer comes back: the invoice page asks for the rest
    // (ceil(2.25 × 50.50) = 114), and the same check as before is sent.
    // The daemon answers with the same payment, credited: the reply the
    // module gave up on did not report the credit to nobody.
    whmcs.set_state(mirrored(&daemon, CHECK_TIMEOUT_S));
    let invoice_page = whmcs.get("viewinvoice.php?id=1001", &cookie).await;
    assert!(
        invoice_page.body.contains("Transfer 114 EGP"),
        "{}",
        invoice_page.body
    );
    let again = pay(&whmcs, &cookie, &token, INVOICE, &fields).await;
    assert_eq!(again.status, 303, "{again:?} {}", whmcs.server_log());
    let location = again.location.expect("a redirect to the status page");
    assert_eq!(payment_id_in(&location), id);
    let records = whmcs.records();
    let sent = records.iter().find(|r| r["result"] == "Check Sent");
    let sent = sent.unwrap_or_else(|| panic!("{records:?}"));
    assert_eq!(sent["data"]["state"], "credited", "{sent}");
    let path = location
        .strip_prefix(&daemon.url(""))
        .expect("the daemon's page");
    let shown = daemon.page(path).await;
    assert!(
        shown.body.contains("data-state=\"credited\""),
        "{}",
        shown.body
    );
    assert!(location.starts_with(&daemon.url(&format!("/pay/{STORE_ID}/"))));

    assert_eq!(daemon.all_payments().await.len(), 1);
    assert_eq!(w.add_credit_calls(), 1);
    assert_eq!(w.credits_with_description(CREDIT_LINE), 1);
    assert_eq!(w.applications_to(INVOICE), 1);
    assert_eq!(whmcs.log_results(), ["Daemon Slow", "Check Sent"]);
    let commands = local_api_commands(&whmcs);
    assert!(commands.iter().all(|c| c == "GetInvoice"), "{commands:?}");
}
