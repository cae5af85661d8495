//! A table of malformed requests across every endpoint: each gets a 4xx
//! (a malformed amount, such as `100.001`, the code `invalid_amount`),
//! the daemon stays up, and no payment is created.

use reqwest::Method;
use serde_json::json;

use crate::support::api::{INGEST_TOKEN, STORE};
use crate::support::daemon::spawn_daemon;

struct Bad {
    method: Method,
    path: String,
    auth: Option<&'static str>,
    body: Option<Vec<u8>>,
    /// The error code the answer must carry, where one is certain.
    error: Option<&'static str>,
}

impl Bad {
    fn expecting(self, error: &'static str) -> Bad {
        Bad {
            error: Some(error),
            ..self
        }
    }
}

fn bad(method: Method, path: impl Into<String>) -> Bad {
    Bad {
        method,
        path: path.into(),
        auth: None,
        body: None,
        error: None,
    }
}

fn with_body(
    method: Method,
    path: impl Into<String>,
    auth: Option<&'static str>,
    body: impl Into<Vec<u8>>,
) -> Bad {
    Bad {
        method,
        path: path.into(),
        auth,
        body: Some(body.into()),
        error: None,
    }
}

fn check(query: &str) -> Bad {
    bad(Method::GET, format!("/api/payment_link_check?{query}"))
}

fn table() -> Vec<Bad> {
    let ok = "store_id=5&phone=01012345678&amount=100&client_id=42";
    let mut t = Vec::new();
    for phone in [
        "",
        "0",
        "0123",
        "01312345678",
        "0101234567",
        "010123456789",
        "abc",
        "+441012345678",
        "%00",
        "0101234567%0A",
        "٠١٣١٢٣٤٥٦٧٨",
        "+2001012345678",
        "01012345678x",
        "(010)12345678",
        "0101.234.5678",
    ] {
        t.push(check(&format!(
            "store_id=5&phone={phone}&amount=100&client_id=42"
        )));
    }
    for amount in [
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
        "%2B5",
        "1 000",
        "0.001",
    ] {
        t.push(
            check(&format!(
                "store_id=5&phone=01012345678&amount={amount}&client_id=42"
            ))
            .expecting("invalid_amount"),
        );
    }
    for client in [
        "client_id=0",
        "client_id=-1",
        "client_id=abc",
        "client_id=99999999999",
        "user_name=Jane",
        "user_name=Jane+(x)",
        "user_name=Jane+(0)",
        "client_id=1.5",
    ] {
        t.push(check(&format!(
            "store_id=5&phone=01012345678&amount=100&{client}"
        )));
    }
    for store in ["", "a%2Fb", "%2E%2E", "x%20y", "ü", &"x".repeat(65), "999"] {
        t.push(check(&format!(
            "store_id={store}&phone=01012345678&amount=100&client_id=42"
        )));
    }
    t.push(check("phone=01012345678&amount=100&client_id=42"));
    t.push(check(&format!("{ok}&x={}", "y".repeat(3000))));
    t.push(check(&vec!["a=1"; 70].join("&")));
    t.push(bad(Method::PUT, format!("/api/payment_link_check?{ok}")));
    t.push(bad(Method::DELETE, "/api/payment_link_check"));
    t.push(with_body(
        Method::POST,
        "/api/payment_link_check",
        None,
        vec![b'a'; 70_000],
    ));
    t.push(with_body(
        Method::POST,
        "/api/payment_link_check",
        None,
        "phone=1&amount=x",
    ));
    for id in [
        "nope",
        "pay_",
        "pay_AAAAAAAAAAAAAAAAAAAAAAAAAA",
        "pay_aaaaaaaaaaaaaaaaaaaaaaaaaa",
        "%00",
    ] {
        t.push(bad(Method::GET, format!("/api/payments/{id}")));
    }
    t.push(bad(
        Method::GET,
        "/api/payments/pay_aaaaaaaaaaaaaaaaaaaaaaaaaa?wait=abc",
    ));
    t.push(bad(
        Method::GET,
        "/api/payments/pay_aaaaaaaaaaaaaaaaaaaaaaaaaa?state=paid",
    ));
    t.push(bad(
        Method::POST,
        "/api/payments/pay_aaaaaaaaaaaaaaaaaaaaaaaaaa",
    ));
    for store in ["999", "a.b", "%20"] {
        t.push(bad(Method::GET, format!("/api/public/store/{store}/rate")));
    }
    t.push(bad(Method::POST, "/api/public/store/5/rate"));
    let ingest = format!("/api/stores/{STORE}/transactions");
    t.push(with_body(
        Method::POST,
        ingest.clone(),
        None,
        r#"{"trans_id":"1","phone":"01012345678","amount":"1"}"#,
    ));
    t.push(with_body(
        Method::POST,
        ingest.clone(),
        Some("wrong"),
        r#"{"trans_id":"1","phone":"01012345678","amount":"1"}"#,
    ));
    for body in [
        "not json",
        "[]",
        "{}",
        "null",
        r#"{"trans_id": 5}"#,
        r#"{"trans_id": "a b", "phone": "01012345678", "amount": "1"}"#,
        r#"{"trans_id": "t1", "phone": "0123", "amount": "1"}"#,
        r#"{"trans_id": "t1", "phone": 5, "amount": "1"}"#,
        r#"{"trans_id": "t1", "phone": "01012345678", "amount": "-1"}"#,
        r#"{"trans_id": "t1", "phone": "01012345678"}"#,
        r#"{"trans_id": "t1", "phone": "01012345678", "amount": "1", "received_at": "yesterday"}"#,
        r#"{"event": "sms:received", "payload": {}}"#,
        r#"{"from": 5, "text": "x"}"#,
        r#"{"from": "VF-Cash", "text": "hello"}"#,
        r#"{"from": "someone", "text": "تم استلام مبلغ 5 جنيه"}"#,
    ] {
        t.push(with_body(
            Method::POST,
            ingest.clone(),
            Some(INGEST_TOKEN),
            body,
        ));
    }
    t.push(with_body(
        Method::POST,
        ingest.clone(),
        Some(INGEST_TOKEN),
        vec![b' '; 70_000],
    ));
    t.push(with_body(
        Method::POST,
        "/api/stores/999/transactions",
        Some(INGEST_TOKEN),
        "{}",
    ));
    t.push(with_body(
        Method::POST,
        "/api/stores/a.b/transactions",
        Some(INGEST_TOKEN),
        "{}",
    ));
    t.push(bad(Method::GET, ingest.clone()));
    for (method, path) in [
        (Method::GET, "/admin/stores/5"),
        (Method::GET, "/admin/payments"),
        (
            Method::POST,
            "/admin/payments/pay_aaaaaaaaaaaaaaaaaaaaaaaaaa/approve",
        ),
        (Method::GET, "/admin/transactions?store_id=5"),
        (Method::GET, "/admin/quarantine"),
    ] {
        t.push(bad(method.clone(), path));
        t.push(Bad {
            method,
            path: path.into(),
            auth: Some("wrong"),
            body: None,
            error: None,
        });
    }
    for (method, path, body) in [
        (Method::PUT, "/admin/stores/6", "not json"),
        (Method::PUT, "/admin/stores/6", r#"{"currency_rate": "0"}"#),
        (Method::PUT, "/admin/stores/6", r#"{"typo": 1}"#),
        (Method::PUT, "/admin/stores/a.b", "{}"),
        (
            Method::PUT,
            "/admin/stores/6",
            r#"{"search_window": "never"}"#,
        ),
        (
            Method::PUT,
            "/admin/stores/6",
            r#"{"anti_spam": {"approvers": ["x"]}}"#,
        ),
        (
            Method::POST,
            "/admin/payments/pay_aaaaaaaaaaaaaaaaaaaaaaaaaa/approve",
            "",
        ),
        (Method::POST, "/admin/payments/nope/approve", ""),
        (
            Method::POST,
            "/admin/payments/pay_aaaaaaaaaaaaaaaaaaaaaaaaaa/explode",
            "",
        ),
        (
            Method::POST,
            "/admin/payments/pay_aaaaaaaaaaaaaaaaaaaaaaaaaa/approve",
            "not json",
        ),
        (Method::POST, "/admin/backup", ""),
        (
            Method::POST,
            "/admin/backup",
            r#"{"to": "relative/folder"}"#,
        ),
        (Method::POST, "/admin/backup", r#"{"to": "/"}"#),
        (Method::GET, "/admin/backup", ""),
        (Method::GET, "/admin/payments?state=paid", ""),
        (Method::GET, "/admin/payments?limit=x", ""),
        (Method::GET, "/admin/payments/nope", ""),
        (Method::GET, "/admin/stores/999", ""),
        (Method::GET, "/admin/transactions", ""),
        (Method::DELETE, "/admin/stores/5", ""),
        (Method::GET, "/admin/nothing", ""),
    ] {
        t.push(with_body(method, path, Some("ADMIN"), body));
    }
    for path in [
        "/",
        "/api",
        "/api/",
        "//",
        "/api/payment_link_check/x",
        "/healthz/x",
        "/%00",
        "/admin",
    ] {
        t.push(bad(Method::GET, path));
    }
    t.push(bad(Method::POST, "/healthz"));
    t
}

#[tokio::test(flavor = "multi_thread")]
async fn malformed_requests_get_a_4xx_and_change_nothing() {
    let daemon = spawn_daemon(|_| {}).await;
    daemon.default_store().await;
    let table = table();
    assert!(table.len() >= 100, "{} requests", table.len());
    for case in &table {
        let mut req = daemon
            .http
            .request(case.method.clone(), daemon.url(&case.path));
        match case.auth {
            Some("ADMIN") => req = req.bearer_auth(&daemon.admin_token),
            Some(token) => req = req.bearer_auth(token),
            None => {}
        }
        if let Some(body) = &case.body {
            req = req.body(body.clone());
        }
        let response = req
            .send()
            .await
            .unwrap_or_else(|e| panic!("{} {}: {e}", case.method, case.path));
        let status = response.status();
        assert!(
            status.is_client_error(),
            "{} {} got {status}",
            case.method,
            case.path
        );
        let body: serde_json::Value = response
            .json()
            .await
            .unwrap_or_else(|e| panic!("{} {}: not JSON: {e}", case.method, case.path));
        assert_eq!(body["status"], false, "{} {}", case.method, case.path);
        assert!(
            body["error"].is_string() && body["message"].is_string(),
            "{} {}: {body}",
            case.method,
            case.path
        );
        if let Some(error) = case.error {
            assert_eq!(body["error"], error, "{} {}", case.method, case.path);
        }
    }
    assert_eq!(
        daemon
            .http
            .get(daemon.url("/healthz"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    assert!(
        daemon.all_payments().await.is_empty(),
        "no payment was created"
    );
    let stored = daemon
        .admin_get(&format!("/admin/transactions?store_id={STORE}"))
        .await;
    assert!(
        stored.body["transactions"].as_array().unwrap().is_empty(),
        "no transaction was stored"
    );
    assert_eq!(
        daemon.admin_get("/admin/stores/6").await.status,
        404,
        "no store was created"
    );
    let _ = json!({});
}

#[tokio::test(flavor = "multi_thread")]
async fn raw_protocol_garbage_does_not_take_the_daemon_down() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let daemon = spawn_daemon(|_| {}).await;
    let garbage: [&[u8]; 5] = [
        b"GARBAGE\r\n\r\n",
        b"GET / HTTP/9.9\r\n\r\n",
        b"GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n",
        b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03",
        b"GET /healthz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    ];
    for bytes in garbage {
        let mut stream = tokio::net::TcpStream::connect(daemon.addr).await.unwrap();
        stream.write_all(bytes).await.unwrap();
        let mut reply = Vec::new();
        let _ = tokio::time::timeout(
            std::time::Duration::from_secs(2),
            stream.read_to_end(&mut reply),
        )
        .await;
        let text = String::from_utf8_lossy(&reply);
        assert!(!text.starts_with("HTTP/1.1 5"), "{text}");
    }
    assert_eq!(
        daemon
            .http
            .get(daemon.url("/healthz"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
}
