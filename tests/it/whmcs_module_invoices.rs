//! cashgate's own WHMCS module and the invoice it sends with the check,
//! under `php`, against the real daemon crediting into the WHMCS emulator:
//! a held payment waits (the invoice stays unpaid), an approval hours
//! later pays the invoice from the credit once, and the module then
//! refuses the paid invoice. A check as the public VodafoneCash module
//! sends it (no `invoice_id`) behaves as before and touches no invoice.

use serde_json::{Value, json};

use crate::invoices::settled;
use crate::support::daemon::spawn_daemon;
use crate::whmcs_module::{INVOICE, OWNER, STORE_ID, open_invoice, pay, state};
use crate::whmcs_module_php::StubWhmcs;

#[tokio::test(flavor = "multi_thread")]
async fn a_held_payment_is_approved_hours_later_and_then_its_invoice_is_paid() {
    let daemon = spawn_daemon(|_| {}).await;
    let store = json!({"name": "Test Hosting", "currency_rate": "50.50", "currency_label": "USD",
        "anti_spam": {"enabled": true, "approvers": ["owner@example.com"]}});
    let put = daemon.put_store(STORE_ID, store).await;
    assert!(put.status.is_success(), "{put:?}");
    // One WHMCS seen through two stand-ins: the module's local API (php)
    // and the daemon's remote API (the emulator) hold the same invoice.
    assert_eq!(
        daemon.whmcs.create_invoice(OWNER, "6.21", "Unpaid"),
        INVOICE
    );
    let whmcs = StubWhmcs::start(state(&daemon.url(""), 3)).await;
    let tx = json!({"trans_id": "014412345678", "phone": "01012345678", "amount": "314"});
    let ingested = daemon
        .ingest(STORE_ID, crate::support::api::INGEST_TOKEN, &tx)
        .await;
    assert_eq!(ingested.status, 201, "{ingested:?}");

    let (cookie, token) = open_invoice(&whmcs, OWNER, INVOICE).await;
    let fields = [("phone", "01012345678"), ("amount", "314"), ("lang", "en")];
    let page = pay(&whmcs, &cookie, &token, INVOICE, &fields).await;
    assert_eq!(page.status, 303, "{page:?} {}", whmcs.server_log());
    let location = page.location.expect("a redirect to the status page");
    let id = location
        .rsplit_once("/payments/")
        .and_then(|(_, rest)| rest.split('?').next())
        .expect("a payment id")
        .to_owned();
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
    let mut paid = state(&daemon.url(""), 3);
    paid["invoices"]["1001"]["status"] = json!("Paid");
    whmcs.set_state(paid);
    let invoice_page = whmcs.get("viewinvoice.php?id=1001", &cookie).await;
    assert!(
        !invoice_page.body.contains("<form"),
        "{}",
        invoice_page.body
    );
    let again = pay(&whmcs, &cookie, &token, INVOICE, &fields).await;
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
