//! `GetInvoice` and `ApplyCredit` of the real WHMCS client against the WHMCS
//! emulator: an application moves the client's credit onto the invoice
//! exactly once, every refusal carries its typed reason and changes
//! nothing, every fault gets the right classification, and the preflight
//! names a missing ApplyCredit or GetInvoice permission without applying
//! anything (`whmcs_invoices_preflight`).

use crate::support::outcomes::{assert_unknown, dec, rejection};
use std::time::Duration;

use cashgate::domain::{ClientId, InvoiceId, Secret};
use cashgate::merchant::WhmcsSettings;
use cashgate::whmcs::{
    AppliedCredit, CallOutcome, Credentials, Invoice, InvoiceStatus, WhmcsClient, WhmcsRefusal,
};

use crate::support::whmcs::{
    ApplyCreditFault, GetInvoiceFault, IDENTIFIER, SECRET, StartEmulator, WhmcsEmulator,
};

pub const CLIENT: u32 = 42;

fn whmcs_client(timeout: Duration) -> WhmcsClient {
    cashgate::daemon::install_crypto_provider();
    WhmcsClient::new(timeout).expect("WHMCS client")
}

fn settings(url: &str) -> WhmcsSettings {
    WhmcsSettings {
        api_url: url.to_owned(),
        identifier: IDENTIFIER.to_owned(),
        secret: Secret::new(SECRET),
    }
}

fn invoice_id(n: u32) -> InvoiceId {
    InvoiceId::try_from(n).expect("invoice id")
}

/// An emulator, a client with `timeout`, and the emulator's settings.
pub async fn setup(timeout: Duration) -> (WhmcsEmulator, WhmcsClient, WhmcsSettings) {
    let emulator = WhmcsEmulator::start().await;
    let s = settings(&emulator.url());
    (emulator, whmcs_client(timeout), s)
}

async fn apply(
    whmcs: &WhmcsClient,
    s: &WhmcsSettings,
    invoice: u32,
    amount: &str,
) -> CallOutcome<AppliedCredit> {
    let c = Credentials::from(s);
    whmcs
        .apply_credit(&c, invoice_id(invoice), dec(amount))
        .await
}

async fn get(whmcs: &WhmcsClient, s: &WhmcsSettings, invoice: u32) -> CallOutcome<Invoice> {
    whmcs
        .get_invoice(&Credentials::from(s), invoice_id(invoice))
        .await
}

#[tokio::test(flavor = "multi_thread")]
async fn get_invoice_reads_the_invoice_as_strings_or_numbers() {
    let (emulator, whmcs, s) = setup(Duration::from_secs(5)).await;
    let id = emulator.create_invoice(CLIENT, "6.21", "Unpaid");
    let expected = Invoice {
        id: invoice_id(id),
        client: ClientId::try_from(CLIENT).expect("client"),
        status: InvoiceStatus::Unpaid,
        total: dec("6.21"),
        credit: dec("0.00"),
        balance: dec("6.21"),
    };
    assert_eq!(
        get(&whmcs, &s, id).await,
        CallOutcome::Success(expected.clone())
    );
    emulator.invoice_money_as_numbers(true);
    assert_eq!(get(&whmcs, &s, id).await, CallOutcome::Success(expected));
    let paid = emulator.create_invoice(CLIENT, "10.00", "Paid");
    let CallOutcome::Success(read) = get(&whmcs, &s, paid).await else {
        panic!("GetInvoice failed");
    };
    assert_eq!(read.status, InvoiceStatus::Paid);
    let r = rejection(get(&whmcs, &s, 99_999).await);
    assert_eq!(
        (r.refusal.clone(), r.http_status),
        (WhmcsRefusal::InvoiceNotFound, 200)
    );
    assert!(!r.trips_breaker());
    assert_eq!(emulator.get_invoice_calls(), 4);
}

#[tokio::test(flavor = "multi_thread")]
async fn apply_credit_pays_the_invoice_once_from_the_clients_credit() {
    let (emulator, whmcs, s) = setup(Duration::from_secs(5)).await;
    emulator.insert_credit(
        CLIENT,
        "VodafoneCash payment - trans_id: 014412345678",
        "10.00",
    );
    let id = emulator.create_invoice(CLIENT, "6.21", "Unpaid");
    let applied = apply(&whmcs, &s, id, "6.21").await;
    let expected = AppliedCredit {
        invoice: invoice_id(id),
        amount: Some(dec("6.21")),
        invoice_paid: Some(true),
    };
    assert_eq!(applied, CallOutcome::Success(expected));
    assert_eq!(emulator.applications_to(id), 1);
    assert_eq!(emulator.balance(CLIENT), "3.79");
    let invoice = emulator.invoice(id).expect("invoice");
    assert_eq!(
        (invoice.status.as_str(), invoice.balance.as_str()),
        ("Paid", "0.00")
    );
    assert_eq!(invoice.credit, "6.21");
    let log = whmcs
        .get_credits(
            &Credentials::from(&s),
            ClientId::try_from(CLIENT).expect("client"),
        )
        .await;
    let CallOutcome::Success(lines) = log else {
        panic!("GetCredits failed: {log:?}");
    };
    let line = lines.last().expect("a line");
    let want = format!("Credit Applied to Invoice #{id}");
    assert_eq!(
        (line.description.as_str(), line.amount.as_str()),
        (want.as_str(), "-6.21")
    );

    let again = rejection(apply(&whmcs, &s, id, "6.21").await);
    assert_eq!(again.refusal, WhmcsRefusal::InvoiceNotUnpaid);
    assert!(!again.trips_breaker());
    assert_eq!(
        emulator.applications_to(id),
        1,
        "a paid invoice takes nothing"
    );
    assert_eq!(emulator.balance(CLIENT), "3.79");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_partial_application_leaves_the_invoice_unpaid_with_its_balance() {
    let (emulator, whmcs, s) = setup(Duration::from_secs(5)).await;
    emulator.invoice_money_as_numbers(true);
    emulator.insert_credit(CLIENT, "Manual", "2.50");
    let id = emulator.create_invoice(CLIENT, "6.21", "Unpaid");
    let CallOutcome::Success(applied) = apply(&whmcs, &s, id, "2.5").await else {
        panic!("ApplyCredit failed");
    };
    assert_eq!(
        (applied.amount, applied.invoice_paid),
        (Some(dec("2.50")), Some(false))
    );
    let CallOutcome::Success(read) = get(&whmcs, &s, id).await else {
        panic!("GetInvoice failed");
    };
    assert_eq!(
        (read.status, read.balance, read.credit),
        (InvoiceStatus::Unpaid, dec("3.71"), dec("2.50"))
    );
    assert_eq!(read.total, dec("3.71"));
    assert_eq!(emulator.balance(CLIENT), "0.00");
}

#[tokio::test(flavor = "multi_thread")]
async fn apply_credit_refusals_are_typed_and_change_nothing() {
    let (emulator, whmcs, s) = setup(Duration::from_secs(5)).await;
    emulator.insert_credit(CLIENT, "Manual", "5.00");
    let id = emulator.create_invoice(CLIENT, "4.00", "Unpaid");
    let cancelled = emulator.create_invoice(CLIENT, "4.00", "Cancelled");
    let cases = [
        (id, "6.00", WhmcsRefusal::CreditBalanceTooLow),
        (id, "4.50", WhmcsRefusal::ExceedsInvoiceBalance),
        (99_999, "1.00", WhmcsRefusal::InvoiceNotFound),
        (cancelled, "1.00", WhmcsRefusal::InvoiceNotUnpaid),
    ];
    for (invoice, amount, refusal) in cases {
        let r = rejection(apply(&whmcs, &s, invoice, amount).await);
        assert_eq!(
            (r.refusal.clone(), r.http_status),
            (refusal, 200),
            "{amount}"
        );
        assert!(!r.trips_breaker(), "{r}");
    }
    let sent = emulator.apply_credit_calls();
    for amount in ["1.005", "0", "-1"] {
        let r = rejection(apply(&whmcs, &s, id, amount).await);
        assert_eq!(
            (r.refusal, r.http_status),
            (WhmcsRefusal::AmountFormat, 0),
            "{amount}"
        );
    }
    assert_eq!(
        emulator.apply_credit_calls(),
        sent,
        "refused before sending"
    );
    assert!(emulator.applications().is_empty());
    assert_eq!(emulator.balance(CLIENT), "5.00");
    assert_eq!(emulator.invoice(id).expect("invoice").balance, "4.00");
}

#[tokio::test(flavor = "multi_thread")]
async fn faults_after_the_commit_are_unknown_and_applied_once() {
    let (emulator, whmcs, s) = setup(Duration::from_millis(500)).await;
    emulator.insert_credit(CLIENT, "Manual", "30.00");
    emulator.fail_next_apply_credit(1, ApplyCreditFault::CommitThenDrop);
    emulator.fail_next_apply_credit(1, ApplyCreditFault::CommitThen500);
    emulator.fail_next_apply_credit(1, ApplyCreditFault::CommitThenStall(Duration::from_secs(5)));
    assert_eq!(emulator.pending_apply_credit_faults(), 3);
    for _ in 0..3 {
        let id = emulator.create_invoice(CLIENT, "10.00", "Unpaid");
        assert_unknown(&apply(&whmcs, &s, id, "10.00").await);
        assert_eq!(emulator.applications_to(id), 1, "WHMCS committed it");
        let CallOutcome::Success(read) = get(&whmcs, &s, id).await else {
            panic!("GetInvoice failed");
        };
        assert_eq!(
            (read.status, read.balance),
            (InvoiceStatus::Paid, dec("0.00")),
            "GetInvoice settles it"
        );
    }
    assert_eq!(emulator.pending_apply_credit_faults(), 0);
    assert_eq!(emulator.balance(CLIENT), "0.00");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_500_before_the_commit_is_unknown_and_applies_nothing() {
    let (emulator, whmcs, s) = setup(Duration::from_secs(5)).await;
    emulator.insert_credit(CLIENT, "Manual", "10.00");
    let id = emulator.create_invoice(CLIENT, "10.00", "Unpaid");
    emulator.set_apply_credit_fault(Some(ApplyCreditFault::FailBefore500));
    assert_unknown(&apply(&whmcs, &s, id, "10.00").await);
    assert!(emulator.applications().is_empty());
    let CallOutcome::Success(read) = get(&whmcs, &s, id).await else {
        panic!("GetInvoice failed");
    };
    assert_eq!(
        (read.status, read.balance),
        (InvoiceStatus::Unpaid, dec("10.00"))
    );
    emulator.set_apply_credit_fault(None);
    assert!(apply(&whmcs, &s, id, "10.00").await.is_success());
    assert_eq!(emulator.applications_to(id), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn get_invoice_faults_are_unknown_and_a_closed_port_is_transient() {
    let (emulator, whmcs, s) = setup(Duration::from_millis(500)).await;
    let id = emulator.create_invoice(CLIENT, "1.00", "Unpaid");
    for fault in [
        GetInvoiceFault::Status500,
        GetInvoiceFault::Drop,
        GetInvoiceFault::Stall(Duration::from_secs(5)),
    ] {
        emulator.get_invoice_fail(Some(fault));
        assert_unknown(&get(&whmcs, &s, id).await);
    }
    emulator.get_invoice_fail(None);
    assert!(get(&whmcs, &s, id).await.is_success());
    emulator.stop().await;
    let down = get(&whmcs, &s, id).await;
    assert!(matches!(down, CallOutcome::Transient(_)), "{down:?}");
    let down = apply(&whmcs, &s, id, "1.00").await;
    assert!(matches!(down, CallOutcome::Transient(_)), "{down:?}");
    assert!(emulator.applications().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn missing_invoice_permissions_are_refused_and_trip_the_breaker() {
    let (emulator, whmcs, s) = setup(Duration::from_secs(5)).await;
    emulator.insert_credit(CLIENT, "Manual", "10.00");
    let id = emulator.create_invoice(CLIENT, "1.00", "Unpaid");
    emulator.allow_apply_credit(false);
    let r = rejection(apply(&whmcs, &s, id, "1.00").await);
    let expected = WhmcsRefusal::Permission {
        action: "applycredit".into(),
    };
    assert_eq!((r.refusal.clone(), r.http_status), (expected, 403));
    assert!(r.trips_breaker());
    emulator.allow_get_invoice(false);
    let r = rejection(get(&whmcs, &s, id).await);
    let expected = WhmcsRefusal::Permission {
        action: "getinvoice".into(),
    };
    assert_eq!(r.refusal, expected);
    assert!(r.trips_breaker());
    assert!(emulator.applications().is_empty());
}
