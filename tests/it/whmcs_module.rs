//! cashgate's own WHMCS gateway module (`integrations/whmcs/`), run by
//! Debian's `php` inside a stand-in WHMCS, against the real daemon: the
//! invoice page shows the right EGP amount and never the store id; the
//! callback refuses other clients' and paid invoices without sending a
//! check, shows the daemon's own message for bad input, says so clearly
//! when the daemon is down, and sends a good check with the invoice id
//! before taking the customer to the payment's status page. It never pays
//! the invoice itself. A daemon that is slow because its WHMCS hangs is in
//! `whmcs_module_slow`.

use serde_json::{Value, json};

use crate::support::daemon::{TestDaemon, spawn_daemon};
use crate::whmcs_module_php::{StubWhmcs, hidden};

/// A store id that cannot appear in a page by accident.
pub(crate) const STORE_ID: &str = "shop-7f3kq";
pub(crate) const OWNER: u32 = 42;
const ARABIC_OWNER: u32 = 44;
pub(crate) const INVOICE: u32 = 1001;
const PAID_INVOICE: u32 = 1003;
const CANCELLED_INVOICE: u32 = 1006;
const ARABIC_INVOICE: u32 = 1004;

/// The stand-in's state: the module's settings and WHMCS's invoices.
pub(crate) fn state(daemon_url: &str, check_timeout_s: u32) -> Value {
    let invoice = |userid: u32, status: &str, balance: &str, currency: &str| {
        json!({"userid": userid, "status": status, "total": balance,
            "balance": balance, "currencycode": currency})
    };
    json!({
        "gateway": {"systemUrl": daemon_url, "storeId": STORE_ID,
            "walletNumbers": "01011112222",
            "checkTimeoutSeconds": check_timeout_s.to_string()},
        "invoices": {
            "1001": invoice(OWNER, "Unpaid", "6.21", "USD"),
            "1002": invoice(43, "Unpaid", "10.00", "USD"),
            "1003": invoice(OWNER, "Paid", "6.21", "USD"),
            "1004": invoice(ARABIC_OWNER, "Unpaid", "1.00", "USD"),
            "1005": invoice(OWNER, "Unpaid", "5.00", "EUR"),
            "1006": invoice(OWNER, "Cancelled", "6.21", "USD"),
        },
        "clients": {"42": {"language": "english"}, "44": {"language": "arabic"}},
    })
}

/// A daemon with the module's store (50.50 EGP a dollar) and a stand-in
/// WHMCS whose module points at it.
async fn setup() -> (TestDaemon, StubWhmcs) {
    let daemon = spawn_daemon(|_| {}).await;
    let store = json!({"name": "Test Hosting", "currency_rate": "50.50", "currency_label": "USD"});
    let put = daemon.put_store(STORE_ID, store).await;
    assert!(put.status.is_success(), "{put:?}");
    let whmcs = StubWhmcs::start(state(&daemon.url(""), 3)).await;
    (daemon, whmcs)
}

/// Logs in as `uid`, opens `invoice`, and returns the session cookie and
/// the form's token.
pub(crate) async fn open_invoice(whmcs: &StubWhmcs, uid: u32, invoice: u32) -> (String, String) {
    let cookie = whmcs.login(uid).await;
    let page = whmcs
        .get(&format!("viewinvoice.php?id={invoice}"), &cookie)
        .await;
    let token = hidden(&page.body, "token")
        .unwrap_or_else(|| panic!("no form: {page:?} {}", whmcs.server_log()));
    (cookie, token)
}

pub(crate) async fn pay<'a>(
    whmcs: &StubWhmcs,
    cookie: &str,
    token: &str,
    invoice: u32,
    fields: &[(&'a str, &'a str)],
) -> crate::whmcs_module_php::Page {
    let invoice = invoice.to_string();
    let mut form = vec![("invoice_id", invoice.as_str()), ("token", token)];
    form.extend_from_slice(fields);
    whmcs.post_callback(cookie, &form).await
}

#[tokio::test(flavor = "multi_thread")]
async fn the_invoice_page_shows_the_egp_amount_and_never_the_store_id() {
    let (daemon, whmcs) = setup().await;
    let cookie = whmcs.login(OWNER).await;
    let page = whmcs.get("viewinvoice.php?id=1001", &cookie).await;
    assert_eq!(page.status, 200, "{}", whmcs.server_log());
    // ceil(6.21 × 50.50) = ceil(313.605) = 314 pounds.
    assert!(
        page.body.contains(
            "name=\"amount\" type=\"text\" inputmode=\"decimal\" dir=\"ltr\" required value=\"314\""
        ),
        "{}",
        page.body
    );
    assert!(page.body.contains("Transfer 314 EGP"), "{}", page.body);
    assert!(page.body.contains("01011112222"));
    assert!(
        page.body
            .contains("/modules/gateways/callback/cashgate.php")
    );
    assert!(!page.body.contains(STORE_ID), "{}", page.body);
    assert!(
        !page.body.contains(&daemon.addr.to_string()),
        "the daemon stays server-side"
    );
    assert!(!page.body.contains("<script"), "{}", page.body);

    let paid = whmcs.get("viewinvoice.php?id=1003", &cookie).await;
    assert!(
        !paid.body.contains("<form"),
        "a paid invoice has no form: {}",
        paid.body
    );
    let euro = whmcs.get("viewinvoice.php?id=1005", &cookie).await;
    assert!(!euro.body.contains("<form"), "{}", euro.body);
    assert!(
        euro.body.contains("not available for invoices in EUR"),
        "{}",
        euro.body
    );

    let arabic = whmcs.login(ARABIC_OWNER).await;
    let page = whmcs.get("viewinvoice.php?id=1004", &arabic).await;
    // ceil(1.00 × 50.50) = 51.
    assert!(
        page.body.contains("dir=\"rtl\"") && page.body.contains("value=\"51\""),
        "{}",
        page.body
    );
    assert!(!page.body.contains(STORE_ID));
    assert!(
        daemon.all_payments().await.is_empty(),
        "showing the page sends no check"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_good_check_takes_the_customer_to_the_status_page_of_the_new_payment() {
    let (daemon, whmcs) = setup().await;
    let (cookie, token) = open_invoice(&whmcs, OWNER, INVOICE).await;
    let page = pay(
        &whmcs,
        &cookie,
        &token,
        INVOICE,
        &[("phone", "01012345678"), ("amount", "314"), ("lang", "en")],
    )
    .await;
    assert_eq!(page.status, 303, "{page:?} {}", whmcs.server_log());
    let location = page.location.expect("a redirect");
    let prefix = format!("{}/pay/{STORE_ID}/payments/", daemon.url(""));
    let rest = location
        .strip_prefix(&prefix)
        .unwrap_or_else(|| panic!("{location}"));
    let (payment_id, query) = rest.split_once('?').expect("a query");
    let return_url = format!("{}viewinvoice.php?id={INVOICE}", whmcs.url());
    let expected: Vec<(String, String)> = vec![
        ("return_url".into(), return_url),
        ("lang".into(), "en".into()),
    ];
    let got: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    assert_eq!(got, expected);

    let payment = daemon
        .admin_get(&format!("/admin/payments/{payment_id}"))
        .await;
    assert_eq!(payment.status, 200, "{payment:?}");
    let body = &payment.body;
    let fields = [
        &body["id"],
        &body["store_id"],
        &body["client_id"],
        &body["phone"],
        &body["amount"],
    ];
    let expected = [
        json!(payment_id),
        json!(STORE_ID),
        json!(OWNER),
        json!("01012345678"),
        json!("314.00"),
    ];
    assert_eq!(fields.map(Value::clone), expected, "{body:#}");
    assert_eq!(daemon.all_payments().await.len(), 1);
    assert_eq!(whmcs.log_results(), ["Check Sent"]);
    let commands: Vec<Value> = whmcs
        .records()
        .iter()
        .filter(|r| r["kind"] == "localAPI")
        .map(|r| r["command"].clone())
        .collect();
    assert!(commands.iter().all(|c| c == "GetInvoice"), "{commands:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn another_clients_or_a_paid_invoice_is_refused_without_a_check() {
    let (daemon, whmcs) = setup().await;
    let (cookie, token) = open_invoice(&whmcs, 43, 1002).await;
    let fields = [("phone", "01012345678"), ("amount", "314")];
    let page = pay(&whmcs, &cookie, &token, INVOICE, &fields).await;
    assert_eq!(page.status, 403, "{page:?}");
    assert!(
        page.body.contains("does not belong to your account"),
        "{}",
        page.body
    );

    let (cookie, token) = open_invoice(&whmcs, OWNER, INVOICE).await;
    let page = pay(&whmcs, &cookie, &token, PAID_INVOICE, &fields).await;
    assert_eq!(page.status, 409, "{page:?}");
    assert!(page.body.contains("already paid"), "{}", page.body);
    let page = pay(&whmcs, &cookie, &token, CANCELLED_INVOICE, &fields).await;
    assert_eq!(page.status, 409, "{page:?}");
    assert!(
        page.body.contains("not waiting for payment"),
        "{}",
        page.body
    );

    let page = pay(&whmcs, &cookie, "forged", INVOICE, &fields).await;
    assert_eq!(page.status, 403, "{page:?}");
    assert!(page.body.contains("form has expired"), "{}", page.body);
    let stranger = whmcs.login(0).await;
    let page = pay(&whmcs, &stranger, &token, INVOICE, &fields).await;
    assert_eq!(page.status, 403, "{page:?}");
    assert!(page.body.contains("log in"), "{}", page.body);

    assert!(
        daemon.all_payments().await.is_empty(),
        "no check reached the daemon"
    );
    assert_eq!(whmcs.log_results(), ["Refused"; 5]);
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_input_shows_the_daemons_own_message_in_the_customers_language() {
    let (daemon, whmcs) = setup().await;
    let cases = [(OWNER, INVOICE, "en"), (ARABIC_OWNER, ARABIC_INVOICE, "ar")];
    for (uid, invoice, lang) in cases {
        let (cookie, token) = open_invoice(&whmcs, uid, invoice).await;
        for (phone, amount) in [("12345", "314"), ("01012345678", "1.234")] {
            let page = pay(
                &whmcs,
                &cookie,
                &token,
                invoice,
                &[("phone", phone), ("amount", amount), ("lang", lang)],
            )
            .await;
            let direct = daemon
                .check(&[
                    ("store_id", STORE_ID),
                    ("client_id", &uid.to_string()),
                    ("phone", phone),
                    ("amount", amount),
                    ("lang", lang),
                ])
                .await;
            let message = direct.body["message"]
                .as_str()
                .expect("the daemon's message");
            assert_eq!(page.status, direct.status.as_u16(), "{page:?}");
            let escaped = message
                .replace('&', "&amp;")
                .replace('"', "&quot;")
                .replace('\'', "&apos;")
                .replace('<', "&lt;")
                .replace('>', "&gt;");
            assert!(
                page.body.contains(&escaped),
                "{lang}: {message} not in {}",
                page.body
            );
            assert_eq!(page.body.contains("dir=\"rtl\""), lang == "ar");
        }
    }
    assert!(daemon.all_payments().await.is_empty());
    assert_eq!(whmcs.log_results(), ["Refused by cashgate"; 4]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_daemon_that_is_down_gets_a_clear_message() {
    let (daemon, whmcs) = setup().await;
    let (cookie, token) = open_invoice(&whmcs, OWNER, INVOICE).await;
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let nowhere = format!("http://{}", closed.local_addr().expect("addr"));
    drop(closed);
    whmcs.set_state(state(&nowhere, 3));
    let page = pay(
        &whmcs,
        &cookie,
        &token,
        INVOICE,
        &[("phone", "01012345678"), ("amount", "314")],
    )
    .await;
    assert_eq!(page.status, 502, "{page:?}");
    assert!(page.body.contains("could not be reached"), "{}", page.body);
    assert!(
        page.body.contains("viewinvoice.php?id=1001"),
        "a way back: {}",
        page.body
    );
    let invoice_page = whmcs.get("viewinvoice.php?id=1001", &cookie).await;
    assert!(
        !invoice_page.body.contains("<form"),
        "{}",
        invoice_page.body
    );
    assert!(
        invoice_page.body.contains("not available right now"),
        "{}",
        invoice_page.body
    );
    assert_eq!(whmcs.log_results(), ["Daemon Down"]);
    assert!(daemon.all_payments().await.is_empty());
}
