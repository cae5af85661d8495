//! Malformed requests to the pay pages — bad stores, phones, amounts,
//! client ids, references, oversized fields and bodies, broken UTF-8,
//! forged `return_url`s, unknown payments, wrong methods: each gets a 4xx
//! page (HTML, with the pages' CSP) or the form again, never a 5xx, and
//! none creates a payment or echoes a forged URL back.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::support::api::STORE;
use crate::support::daemon::{TestDaemon, spawn_daemon};

/// One request: method, path (with query) and an optional raw body.
struct Case {
    method: Method,
    path: String,
    body: Option<Vec<u8>>,
}

fn get(path: impl Into<String>) -> Case {
    Case {
        method: Method::GET,
        path: path.into(),
        body: None,
    }
}

fn post(path: impl Into<String>, body: impl Into<Vec<u8>>) -> Case {
    Case {
        method: Method::POST,
        path: path.into(),
        body: Some(body.into()),
    }
}

/// A form post to store 5 whose fields are valid except the one replaced.
fn form_with(field: &str, value: &str) -> Case {
    let mut fields = vec![
        ("phone", "01012345678"),
        ("amount", "100"),
        ("client_id", "42"),
        ("lang", "en"),
    ];
    fields.retain(|(name, _)| *name != field);
    fields.push((field, value));
    let mut body = form_urlencoded::Serializer::new(String::new());
    for (name, value) in &fields {
        body.append_pair(name, value);
    }
    post(format!("/pay/{STORE}"), body.finish())
}

const PHONES: [&str; 16] = [
    "",
    "0",
    "0123",
    "01312345678",
    "0101234567",
    "010123456789",
    "abc",
    "+441012345678",
    "\u{0}",
    "0101234567\n",
    "٠١٣١٢٣٤٥٦٧٨",
    "+2001012345678",
    "01012345678x",
    "(010)12345678",
    "0101.234.5678",
    "<script>alert(1)</script>",
];

const AMOUNTS: [&str; 18] = [
    "",
    "0",
    "-1",
    "1e3",
    "1,000",
    "abc",
    "100.001",
    ".5",
    "5.",
    "NaN",
    "inf",
    "999999999",
    "+5",
    "1 000",
    "0.001",
    "100.500",
    "١٠٠٫٠٠١",
    "0x10",
];

const CLIENT_IDS: [&str; 14] = [
    "",
    "0",
    "-1",
    "abc",
    "99999999999",
    "1.5",
    "4294967296",
    "٤٢x",
    "42 43",
    "0x2a",
    "+42",
    "1e2",
    "\u{202e}42",
    "42;DROP",
];

const REFERENCES: [&str; 10] = [
    "a b",
    "01/44",
    "<script>",
    "\u{0}",
    "0144%",
    "ref\u{202e}",
    "x'--",
    "😀",
    "a.b",
    "0144\n12",
];

/// Return URLs nobody may be sent to (the other fields are invalid, so no
/// payment is made either way).
const FORGED_RETURNS: [&str; 16] = [
    "https://evil.example/",
    "http://evil.example/x?y=1",
    "//evil.example/",
    "/\\evil.example",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)",
    "https://127.0.0.1.evil.example/",
    "https://evil.example@127.0.0.1/",
    "http://[::1]:1/",
    "ftp://evil.example/",
    "https://evil.example/\r\nSet-Cookie: x=1",
    "\u{0}https://evil.example/",
    "https:evil.example",
    "file:///etc/passwd",
];

fn table(status_page: &str) -> Vec<Case> {
    let mut t = Vec::new();
    for phone in PHONES {
        t.push(form_with("phone", phone));
    }
    for amount in AMOUNTS {
        t.push(form_with("amount", amount));
    }
    for client in CLIENT_IDS {
        t.push(form_with("client_id", client));
    }
    for reference in REFERENCES {
        t.push(form_with("trans_id", reference));
    }
    for forged in FORGED_RETURNS {
        let mut case = form_with("phone", "0123");
        if let Some(body) = case.body.as_mut() {
            let encoded: String = form_urlencoded::byte_serialize(forged.as_bytes()).collect();
            body.extend_from_slice(format!("&return_url={encoded}").as_bytes());
        }
        t.push(case);
        let encoded: String = form_urlencoded::byte_serialize(forged.as_bytes()).collect();
        t.push(get(format!(
            "/pay/{STORE}?client_id=42&return_url={encoded}"
        )));
        t.push(get(format!("{status_page}?return_url={encoded}")));
    }
    let long = "x".repeat(65);
    for store in [
        "999",
        "a%2Fb",
        "%2E%2E",
        "x%20y",
        "%C3%BC",
        long.as_str(),
        "%FF",
        "5%00",
        "-",
        "_",
    ] {
        t.push(get(format!("/pay/{store}")));
        t.push(post(
            format!("/pay/{store}"),
            "phone=01012345678&amount=100&client_id=42",
        ));
        t.push(get(format!(
            "/pay/{store}/payments/pay_aaaaaaaaaaaaaaaaaaaaaaaaaa"
        )));
    }
    for id in [
        "nope",
        "pay_",
        "pay_AAAAAAAAAAAAAAAAAAAAAAAAAA",
        "pay_aaaaaaaaaaaaaaaaaaaaaaaaaa",
        "%00",
        "%FF%FE",
    ] {
        t.push(get(format!("/pay/{STORE}/payments/{id}")));
        t.push(post(format!("/pay/{STORE}/payments/{id}"), "x=1"));
        t.push(post(
            format!("/pay/{STORE}/payments/{id}/simulate-sms"),
            "lang=en",
        ));
    }
    // Broken UTF-8, raw and percent-encoded, in every field.
    for field in [
        "phone",
        "amount",
        "client_id",
        "trans_id",
        "lang",
        "return_url",
    ] {
        t.push(post(
            format!("/pay/{STORE}"),
            format!("{field}=%FF%FE%C3%28&phone=%80"),
        ));
        let mut raw = format!("{field}=").into_bytes();
        raw.extend_from_slice(&[0xff, 0xfe, 0xc3, 0x28]);
        raw.extend_from_slice(b"&amount=100&client_id=42");
        t.push(post(format!("/pay/{STORE}"), raw));
    }
    // Oversized: one field, too many fields, a body over the limit.
    t.push(form_with("phone", &"1".repeat(3000)));
    t.push(form_with("trans_id", &"1".repeat(3000)));
    t.push(post(format!("/pay/{STORE}"), vec!["a=1"; 70].join("&")));
    t.push(post(format!("/pay/{STORE}"), vec![b'a'; 70_000]));
    t.push(post(format!("/pay/{STORE}"), vec![b'&'; 70_000]));
    t.push(get(format!("/pay/{STORE}?{}", vec!["a=1"; 70].join("&"))));
    t.push(get(format!("/pay/{STORE}?amount={}", "9".repeat(3000))));
    // Shapes that are not a form at all.
    t.push(post(
        format!("/pay/{STORE}"),
        r#"{"phone":"01012345678","amount":"100","client_id":"42"}"#,
    ));
    t.push(post(format!("/pay/{STORE}"), ""));
    t.push(post(format!("/pay/{STORE}"), "=&=&&=="));
    for method in [Method::PUT, Method::DELETE, Method::PATCH] {
        t.push(Case {
            method: method.clone(),
            path: format!("/pay/{STORE}"),
            body: None,
        });
        t.push(Case {
            method,
            path: status_page.to_owned(),
            body: None,
        });
    }
    // Garbage in the merchant's link: the form shows, prefilled with
    // nothing it could not read.
    for query in [
        "amount=%FF",
        "amount=-5",
        "amount=1e9",
        "invoice_amount=-1",
        "invoice_amount=1e999",
        "invoice_amount=99999999",
        "invoice_amount=%00",
        "client_id=abc",
        "client_id=-1",
        "invoice_id=-5",
        "invoice_id=1.5",
        "invoice_id=%3Cscript%3E",
        "lang=%FF",
        "lang=xx",
        "lang=ar%00",
        "amount=100&amount=200",
        "client_id=42&client_id=%FF",
        "return_url=%FF%FE",
        "return_url=https%3A%2F%2Fevil.example%2F%FF",
        "%FF=%FF",
    ] {
        t.push(get(format!("/pay/{STORE}?{query}")));
        t.push(get(format!("{status_page}?{query}")));
    }
    t.push(get("/pay"));
    t.push(get("/pay/"));
    t.push(get(format!("/pay/{STORE}/payments")));
    t.push(get(format!("{status_page}/extra")));
    t.push(get("/assets/pay.js"));
    t.push(get("/assets/pay.0000000000000000.css"));
    t.push(get("/assets/..%2Fsrc%2Flib.rs"));
    t
}

async fn send(daemon: &TestDaemon, case: &Case) -> reqwest::Response {
    let client = reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let mut request = client.request(case.method.clone(), daemon.url(&case.path));
    if let Some(body) = &case.body {
        request = request
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body.clone());
    }
    request
        .send()
        .await
        .unwrap_or_else(|e| panic!("{} {}: {e}", case.method, case.path))
}

#[tokio::test(flavor = "multi_thread")]
async fn two_hundred_malformed_pay_page_requests_get_4xx_or_the_form_and_create_nothing() {
    let daemon = spawn_daemon(|_| {}).await;
    let store = json!({"name": "Example Hosting", "wallet_numbers": ["01011112222"]});
    assert!(daemon.put_store(STORE, store).await.status.is_success());
    // One real payment, whose status page the table also attacks.
    let real = daemon
        .pay_ok(
            STORE,
            &[
                ("phone", "01099999999"),
                ("amount", "50"),
                ("client_id", "9"),
            ],
        )
        .await;
    let status_page = format!("/pay/{STORE}/payments/{real}");
    let cases = table(&status_page);
    assert!(cases.len() >= 200, "only {} cases", cases.len());
    let mut seen = std::collections::BTreeMap::new();
    for case in &cases {
        let response = send(&daemon, case).await;
        let status = response.status();
        *seen.entry(status.as_u16()).or_insert(0) += 1;
        let what = format!(
            "{} {}",
            case.method,
            case.path.chars().take(120).collect::<String>()
        );
        let csp = response.headers().get("content-security-policy").cloned();
        let body = response.text().await.unwrap_or_default();
        let form_again = body.contains(r#"<form method="post" action="/pay/5""#);
        // A GET of a page of a known store and payment shows that page,
        // whatever else its query says.
        let page_anyway = case.method == Method::GET && status == StatusCode::OK;
        assert!(
            status.is_client_error() || page_anyway,
            "{what} got {status}: {}",
            body.chars().take(300).collect::<String>()
        );
        assert!(!status.is_server_error(), "{what} got {status}");
        // Every HTML page is a pay page here (paths like `/pay/%2E%2E`
        // are normalised away by the client before they are sent).
        if body.starts_with("<!DOCTYPE html>") || form_again {
            assert!(csp.is_some(), "{what}: a pay page without its CSP");
        }
        for forged in [
            "evil.example",
            "javascript:",
            "vbscript:",
            "data:text",
            "file:",
        ] {
            assert!(!body.contains(forged), "{what} echoed {forged}");
        }
        assert!(!body.contains("<script>alert"), "{what} echoed a script");
    }
    eprintln!(
        "{} malformed pay-page requests, by status: {seen:?}",
        cases.len()
    );
    for status in [400, 404, 405, 413] {
        assert!(seen.contains_key(&status), "no {status} among {seen:?}");
    }
    let payments = daemon.all_payments().await;
    assert_eq!(payments.len(), 1, "only the real payment: {payments:#?}");
    let health = daemon
        .http
        .get(daemon.url("/healthz"))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
}
