//! Invoices paid by the daemon against the WHMCS emulator: a check that
//! names an `invoice_id` gets its invoice paid from the credit with
//! ApplyCredit, once — with the customer still waiting, or hours later
//! after an approval with the customer gone; a credit smaller than the
//! balance is applied in part; an invoice already paid, or another
//! client's, gets nothing and says so. The payment's state never changes.
//! Faults and a killed daemon are in `invoices_faults`.

use serde_json::{Value, json};

use crate::support::api::{Answer, STORE};
use crate::support::daemon::{TestDaemon, spawn_daemon};

pub const CLIENT: u32 = 42;

/// A module-style check for store 5 by client 42 from 01012345678.
pub async fn check_for(daemon: &TestDaemon, amount: &str, invoice: Option<u32>) -> Answer {
    let invoice = invoice.map(|i| i.to_string());
    let mut params = vec![
        ("store_id", STORE),
        ("phone", "01012345678"),
        ("amount", amount),
        ("client_id", "42"),
    ];
    if let Some(invoice) = &invoice {
        params.push(("invoice_id", invoice.as_str()));
    }
    daemon.check(&params).await
}

pub use crate::support::waits::until;

/// The detail once the invoice is no longer `pending`.
pub async fn settled(daemon: &TestDaemon, id: &str) -> Value {
    let detail = until(daemon, id, |d| d["invoice"]["state"] != "pending").await;
    assert_ne!(detail["invoice"]["state"], "pending", "{detail:#}");
    detail
}

fn payment_id(answer: &Answer) -> String {
    answer.body["payment_id"]
        .as_str()
        .unwrap_or_else(|| panic!("no payment id: {answer:?}"))
        .to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_invoice_is_paid_while_the_customer_still_waits_for_the_reply() {
    let daemon = spawn_daemon(|_| {}).await;
    daemon.default_store().await;
    let invoice = daemon.whmcs.create_invoice(CLIENT, "100.00", "Unpaid");
    daemon.ingest_tx("014412345678", "01012345678", "100").await;
    let reply = check_for(&daemon, "100", Some(invoice)).await;
    assert_eq!(reply.status, 200, "{reply:?}");
    assert_eq!(reply.body["status"], true, "{reply:?}");
    assert_eq!(
        reply.body["invoice"],
        json!({"id": invoice, "state": "applied", "applied_amount": "100.00"}),
        "the reply waited for the invoice too"
    );
    let paid = daemon.whmcs.invoice(invoice).expect("invoice");
    assert_eq!(
        (paid.status.as_str(), paid.balance.as_str()),
        ("Paid", "0.00")
    );
    assert_eq!(daemon.whmcs.applications_to(invoice), 1);
    assert_eq!(daemon.whmcs.balance(CLIENT), "0.00", "the credit paid it");

    let id = payment_id(&reply);
    let poll = daemon.poll(&id, "").await;
    assert_eq!(poll.body["invoice"], reply.body["invoice"]);
    assert_eq!(poll.body["status"], false, "polls never say status: true");
    let detail = daemon
        .admin_get(&format!("/admin/payments/{id}"))
        .await
        .body;
    assert_eq!(detail["state"], "credited");
    assert_eq!(detail["invoice"]["state"], "applied");
    assert_eq!(detail["invoice"]["tries"], 1);
    let effects: Vec<&Value> = detail["outbox"]
        .as_array()
        .expect("outbox")
        .iter()
        .map(|e| &e["effect"]["kind"])
        .collect();
    assert_eq!(effects, [&json!("add_credit"), &json!("apply_credit")]);
}

#[tokio::test(flavor = "multi_thread")]
async fn held_then_approved_hours_later_pays_the_invoice_with_the_customer_gone() {
    let daemon = spawn_daemon(|_| {}).await;
    let anti_spam = json!({"enabled": true, "approvers": ["owner@example.com"]});
    let put = daemon
        .put_store(STORE, json!({"anti_spam": anti_spam}))
        .await;
    assert!(put.status.is_success(), "{put:?}");
    let invoice = daemon.whmcs.create_invoice(CLIENT, "100.00", "Unpaid");
    daemon.ingest_tx("014412345678", "01012345678", "100").await;
    let reply = check_for(&daemon, "100", Some(invoice)).await;
    assert_eq!(reply.body["state"], "held", "{reply:?}");
    assert_eq!(reply.body["invoice"]["state"], "pending");
    let id = payment_id(&reply);

    daemon.clock.advance(jiff::SignedDuration::from_hours(5));
    let approve = daemon
        .admin_post(&format!("/admin/payments/{id}/approve"), &json!({}))
        .await;
    assert_eq!(approve.status, 200, "{approve:?}");
    let detail = settled(&daemon, &id).await;
    assert_eq!(detail["state"], "credited");
    assert_eq!(detail["credit_reported"], false, "nobody was waiting");
    assert_eq!(
        [
            &detail["invoice"]["state"],
            &detail["invoice"]["applied_amount"]
        ],
        [&json!("applied"), &json!("100.00")]
    );
    assert_eq!(
        daemon.whmcs.invoice(invoice).expect("invoice").status,
        "Paid"
    );
    assert_eq!(daemon.whmcs.applications_to(invoice), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_credit_smaller_than_the_balance_is_applied_in_part_and_nothing_else_is_paid() {
    let daemon = spawn_daemon(|_| {}).await;
    daemon.default_store().await;
    let invoice = daemon.whmcs.create_invoice(CLIENT, "10.00", "Unpaid");
    let other = daemon.whmcs.create_invoice(CLIENT, "3.00", "Unpaid");
    daemon.ingest_tx("014412345678", "01012345678", "4").await;
    let reply = check_for(&daemon, "4", Some(invoice)).await;
    assert_eq!(
        reply.body["invoice"],
        json!({"id": invoice, "state": "applied", "applied_amount": "4.00"}),
        "{reply:?}"
    );
    let partial = daemon.whmcs.invoice(invoice).expect("invoice");
    assert_eq!(
        (
            partial.status.as_str(),
            partial.credit.as_str(),
            partial.balance.as_str()
        ),
        ("Unpaid", "4.00", "6.00")
    );
    let untouched = daemon.whmcs.invoice(other).expect("invoice");
    assert_eq!(
        (untouched.status.as_str(), untouched.credit.as_str()),
        ("Unpaid", "0.00")
    );
    let applications = daemon.whmcs.applications();
    assert_eq!(applications.len(), 1, "{applications:?}");
    assert_eq!(applications[0].amount, "4.00");
    assert_eq!(daemon.whmcs.balance(CLIENT), "0.00");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_invoice_paid_by_other_means_gets_nothing_and_the_credit_stays_visibly() {
    let daemon = spawn_daemon(|_| {}).await;
    daemon.default_store().await;
    let invoice = daemon.whmcs.create_invoice(CLIENT, "100.00", "Unpaid");
    daemon.whmcs.set_invoice_status(invoice, "Paid");
    daemon.ingest_tx("014412345678", "01012345678", "100").await;
    let reply = check_for(&daemon, "100", Some(invoice)).await;
    assert_eq!(reply.body["status"], true, "the credit is there: {reply:?}");
    assert_eq!(reply.body["invoice"]["state"], "not_unpaid");
    assert_eq!(reply.body["invoice"]["applied_amount"], Value::Null);
    assert!(daemon.whmcs.applications().is_empty());
    assert_eq!(daemon.whmcs.apply_credit_calls(), 0, "GetInvoice said so");
    assert_eq!(daemon.whmcs.balance(CLIENT), "100.00", "the credit stays");
    let id = payment_id(&reply);
    let detail = daemon
        .admin_get(&format!("/admin/payments/{id}"))
        .await
        .body;
    assert_eq!(detail["state"], "credited");
    let message = detail["invoice"]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("Paid") && message.contains("credit stays"),
        "{detail:#}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_invoice_paid_between_the_reading_and_apply_credit_is_nothing_to_do() {
    let daemon = spawn_daemon(|_| {}).await;
    daemon.default_store().await;
    let invoice = daemon.whmcs.create_invoice(CLIENT, "100.00", "Unpaid");
    daemon
        .whmcs
        .close_invoice_before_next_apply(invoice, "Paid");
    daemon.ingest_tx("014412345678", "01012345678", "100").await;
    let reply = check_for(&daemon, "100", Some(invoice)).await;
    assert_eq!(reply.body["invoice"]["state"], "not_unpaid", "{reply:?}");
    assert_eq!(daemon.whmcs.apply_credit_calls(), 1);
    assert!(daemon.whmcs.applications().is_empty());
    let id = payment_id(&reply);
    let detail = daemon
        .admin_get(&format!("/admin/payments/{id}"))
        .await
        .body;
    let message = detail["invoice"]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("Invoice Not in Unpaid Status"),
        "{detail:#}"
    );
    assert_eq!(daemon.whmcs.balance(CLIENT), "100.00");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unknown_outcome_on_an_invoice_paid_meanwhile_is_nothing_to_do() {
    let daemon = spawn_daemon(|_| {}).await;
    daemon.default_store().await;
    let invoice = daemon.whmcs.create_invoice(CLIENT, "100.00", "Unpaid");
    daemon.ingest_tx("014412345678", "01012345678", "100").await;
    // A 500 that committed nothing; business time stands still until the
    // invoice is paid by hand, then GetInvoice settles the outcome.
    daemon
        .whmcs
        .fail_next_apply_credit(1, crate::support::whmcs::ApplyCreditFault::FailBefore500);
    let reply = check_for(&daemon, "100", Some(invoice)).await;
    assert_eq!(reply.body["invoice"]["state"], "pending", "{reply:?}");
    assert_eq!(daemon.whmcs.apply_credit_calls(), 1);
    daemon.whmcs.set_invoice_status(invoice, "Paid");
    let detail = settled(&daemon, &payment_id(&reply)).await;
    assert_eq!(detail["invoice"]["state"], "not_unpaid", "{detail:#}");
    assert!(daemon.whmcs.applications().is_empty());
    assert_eq!(daemon.whmcs.apply_credit_calls(), 1, "never sent again");
}

#[tokio::test(flavor = "multi_thread")]
async fn another_clients_invoice_is_never_paid_from_this_credit() {
    let daemon = spawn_daemon(|_| {}).await;
    daemon.default_store().await;
    let theirs = daemon.whmcs.create_invoice(43, "100.00", "Unpaid");
    daemon.insert_credit_for(43).await;
    daemon.ingest_tx("014412345678", "01012345678", "100").await;
    let reply = check_for(&daemon, "100", Some(theirs)).await;
    assert_eq!(reply.body["invoice"]["state"], "failed", "{reply:?}");
    let id = payment_id(&reply);
    let detail = daemon
        .admin_get(&format!("/admin/payments/{id}"))
        .await
        .body;
    let message = detail["invoice"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("belongs to client 43"), "{detail:#}");
    assert_eq!(
        detail["state"], "credited",
        "the payment's state is untouched"
    );
    assert_eq!(daemon.whmcs.apply_credit_calls(), 0);
    assert_eq!(
        daemon.whmcs.invoice(theirs).expect("invoice").status,
        "Unpaid"
    );
}

impl TestDaemon {
    /// Gives client `client` credit in WHMCS (so ApplyCredit could spend it).
    async fn insert_credit_for(&self, client: u32) {
        self.whmcs.insert_credit(client, "by hand", "500.00");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn invoice_id_is_optional_and_a_bad_one_is_refused_naming_it() {
    let daemon = spawn_daemon(|_| {}).await;
    daemon.default_store().await;
    for bad in ["0", "-4", "12a", "2147483648", "1.5"] {
        let params = [
            ("store_id", STORE),
            ("phone", "01012345678"),
            ("amount", "100"),
            ("client_id", "42"),
            ("invoice_id", bad),
        ];
        let reply = daemon.check(&params).await;
        assert_eq!(reply.status, 400, "{bad}: {reply:?}");
        assert_eq!(reply.body["error"], "invalid_request");
        let message = reply.body["message"].as_str().unwrap_or_default();
        assert!(message.contains("invoice_id"), "{message}");
    }
    assert!(daemon.all_payments().await.is_empty(), "nothing created");
    let none = check_for(&daemon, "100", None).await;
    assert_eq!(none.status, 200);
    assert_eq!(none.body["invoice"], Value::Null);
    let empty = daemon
        .check(&[
            ("store_id", STORE),
            ("phone", "01012345678"),
            ("amount", "101"),
            ("client_id", "42"),
            ("invoice_id", ""),
        ])
        .await;
    assert_eq!(empty.status, 200, "an empty invoice_id is none: {empty:?}");
    assert_eq!(empty.body["invoice"], Value::Null);
}
