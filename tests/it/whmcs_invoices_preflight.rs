//! The preflight's ApplyCredit and GetInvoice items against the WHMCS
//! emulator, and the emulator's own ApplyCredit spoken to over raw HTTP.

use crate::support::outcomes::failing;
use std::time::Duration;

use cashgate::whmcs::Credentials;

use crate::support::whmcs::{IDENTIFIER, SECRET, StartEmulator, WhmcsEmulator};
use crate::whmcs_invoices::{CLIENT, setup};

#[tokio::test(flavor = "multi_thread")]
async fn the_preflight_names_a_missing_invoice_permission_and_applies_nothing() {
    let (emulator, whmcs, s) = setup(Duration::from_secs(5)).await;
    emulator.insert_credit(CLIENT, "Manual", "10.00");
    let id = emulator.create_invoice(CLIENT, "5.00", "Unpaid");
    let c = Credentials::from(&s);
    let healthy = whmcs.preflight(&c).await;
    assert!(healthy.ok, "{healthy:?}");
    assert_eq!(emulator.authorised_calls("applycredit"), 1);
    assert_eq!(emulator.authorised_calls("getinvoice"), 1);

    emulator.allow_apply_credit(false);
    let no_apply = whmcs.preflight(&c).await;
    assert_eq!(failing(&no_apply), ["applycredit_permission"]);
    let message = &no_apply
        .check("applycredit_permission")
        .expect("item")
        .message;
    assert!(
        message.contains("ApplyCredit") && message.contains("API Roles"),
        "{message}"
    );

    emulator.allow_get_invoice(false);
    let neither = whmcs.preflight(&c).await;
    assert_eq!(
        failing(&neither),
        ["applycredit_permission", "getinvoice_permission"]
    );
    emulator.allow_apply_credit(true);
    let no_get = whmcs.preflight(&c).await;
    assert_eq!(failing(&no_get), ["getinvoice_permission"]);
    let message = &no_get.check("getinvoice_permission").expect("item").message;
    assert!(message.contains("GetInvoice"), "{message}");

    emulator.set_secret("other");
    let before = emulator.calls("applycredit");
    let refused = whmcs.preflight(&c).await;
    assert!(!refused.check("credentials").expect("item").ok);
    assert_eq!(
        emulator.calls("applycredit"),
        before,
        "no calls after a failed login"
    );

    assert!(
        emulator.applications().is_empty(),
        "the preflight applies nothing"
    );
    assert_eq!(emulator.invoice(id).expect("invoice").balance, "5.00");
    assert_eq!(emulator.balance(CLIENT), "10.00");
}

async fn post(http: &reqwest::Client, api: &str, form: &[(&str, String)]) -> serde_json::Value {
    let r = http.post(api).form(form).send().await.expect("send");
    assert_eq!(r.status(), 200);
    r.json().await.expect("json")
}

/// The emulator itself, spoken to without the client: ApplyCredit's
/// refusals in WHMCS's order, `full`, and rounding like PHP's `round`.
#[tokio::test(flavor = "multi_thread")]
async fn the_emulator_applies_credit_like_whmcs() {
    let emulator = WhmcsEmulator::start().await;
    let http = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("client");
    let api = format!("{}/includes/api.php", emulator.url());
    let apply = |invoice: &str, amount: &str| {
        [
            ("identifier", IDENTIFIER),
            ("secret", SECRET),
            ("responsetype", "json"),
            ("action", "ApplyCredit"),
            ("invoiceid", invoice),
            ("amount", amount),
        ]
        .map(|(k, v)| (k, v.to_owned()))
    };
    emulator.insert_credit(7, "Manual", "3.00");
    let paid = emulator.create_invoice(7, "1.00", "Paid");
    let id = emulator.create_invoice(7, "5.00", "Unpaid");
    let (paid, id) = (paid.to_string(), id.to_string());
    let cases = [
        ("0", "1.00", "Invoice ID Not Found"),
        ("abc", "1.00", "Invoice ID Not Found"),
        (paid.as_str(), "99.00", "Invoice Not in Unpaid Status"),
        (
            id.as_str(),
            "4.00",
            "Amount exceeds customer credit balance",
        ),
        (
            id.as_str(),
            "full",
            "Amount exceeds customer credit balance",
        ),
        (
            id.as_str(),
            "0.004",
            "Credit Amount to apply must be greater than zero",
        ),
        (
            id.as_str(),
            "many",
            "Credit Amount to apply must be greater than zero",
        ),
    ];
    for (invoice, amount, message) in cases {
        let body = post(&http, &api, &apply(invoice, amount)).await;
        assert_eq!(
            (body["result"].as_str(), body["message"].as_str()),
            (Some("error"), Some(message)),
            "{invoice} {amount}"
        );
    }
    let body = post(&http, &api, &apply(&id, "1.005")).await;
    assert_eq!(
        body,
        serde_json::json!({"result": "success", "invoiceid": id, "amount": "1.01", "invoicepaid": "false"})
    );
    emulator.insert_credit(7, "Manual", "10.00");
    let body = post(&http, &api, &apply(&id, "4.00")).await;
    assert_eq!(body["message"], "Amount Exceeds Invoice Balance");
    let body = post(&http, &api, &apply(&id, "full")).await;
    assert_eq!(
        (body["amount"].as_str(), body["invoicepaid"].as_str()),
        (Some("3.99"), Some("true"))
    );
    assert_eq!(emulator.applications().len(), 2);
    assert_eq!(emulator.balance(7), "8.00");
}
