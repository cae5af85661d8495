//! The gateway module's contract with the daemon, seen from the wire and
//! from its source: the check is one form-encoded `POST` with the store,
//! client and invoice ids, the phone, the amount and the language, sent
//! from the WHMCS server; and the module's PHP never records a payment,
//! never adds or applies credit, and asks WHMCS's local API for nothing
//! but `GetInvoice`.

use std::path::{Path, PathBuf};

use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use crate::whmcs_module_php::{StubWhmcs, hidden};

/// Largest request the recorder reads, in bytes.
const REQUEST_BYTES_MAX: usize = 64 * 1024;
const PAYMENT_ID: &str = "pay_abcdefghijklmnopqrstuvwxyz";

/// Answers one request with a canned check reply; returns what it got.
async fn record_one(listener: TcpListener) -> String {
    let (mut stream, _) = listener.accept().await.expect("accept");
    let mut request = Vec::new();
    let mut buffer = [0u8; 4096];
    while request.len() < REQUEST_BYTES_MAX {
        let n = stream.read(&mut buffer).await.expect("read");
        request.extend_from_slice(&buffer[..n]);
        if n == 0 || complete(&request) {
            break;
        }
    }
    let body = json!({"status": false, "state": "searching", "payment_id": PAYMENT_ID}).to_string();
    let reply = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(reply.as_bytes()).await.expect("write");
    String::from_utf8_lossy(&request).into_owned()
}

/// Whether the headers and a `Content-Length` body have arrived.
fn complete(request: &[u8]) -> bool {
    let text = String::from_utf8_lossy(request);
    let Some((head, body)) = text.split_once("\r\n\r\n") else {
        return false;
    };
    let length = head
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("content-length:")
                .map(|v| v.trim().parse::<usize>().unwrap_or(0))
        })
        .unwrap_or(0);
    body.len() >= length
}

#[tokio::test(flavor = "multi_thread")]
async fn the_check_carries_store_client_invoice_phone_amount_and_language() {
    let daemon = crate::support::daemon::spawn_daemon(|_| {}).await;
    let store = json!({"name": "Test Hosting", "currency_rate": "1"});
    assert!(
        daemon
            .put_store("shop-7f3kq", store)
            .await
            .status
            .is_success()
    );
    let state = |url: &str| {
        json!({"gateway": {"systemUrl": url, "storeId": "shop-7f3kq"},
            "invoices": {"1001": {"userid": 42, "status": "Unpaid", "total": "100.00",
                "balance": "100.00", "currencycode": "EGP"}},
            "clients": {"42": {"language": "arabic"}}})
    };
    let whmcs = StubWhmcs::start(state(&daemon.url(""))).await;
    let cookie = whmcs.login(42).await;
    let page = whmcs.get("viewinvoice.php?id=1001", &cookie).await;
    let token = hidden(&page.body, "token").unwrap_or_else(|| panic!("{page:?}"));
    assert_eq!(hidden(&page.body, "lang").as_deref(), Some("ar"));

    let recorder = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let recorder_url = format!("http://{}", recorder.local_addr().expect("addr"));
    whmcs.set_state(state(&recorder_url));
    let recorded = tokio::spawn(record_one(recorder));
    let form = [
        ("invoice_id", "1001"),
        ("token", token.as_str()),
        ("lang", "ar"),
        ("phone", "010 1234 5678"),
        ("amount", "100"),
    ];
    let page = whmcs.post_callback(&cookie, &form).await;
    let request = recorded.await.expect("recorder");

    let (head, body) = request.split_once("\r\n\r\n").expect("a request");
    assert!(
        head.starts_with("POST /api/payment_link_check HTTP/1.1\r\n"),
        "{head}"
    );
    assert!(
        head.to_ascii_lowercase()
            .contains("content-type: application/x-www-form-urlencoded"),
        "{head}"
    );
    let mut fields: Vec<(String, String)> = form_urlencoded::parse(body.as_bytes())
        .into_owned()
        .collect();
    fields.sort();
    let expected = [
        ("amount", "100"),
        ("client_id", "42"),
        ("invoice_id", "1001"),
        ("lang", "ar"),
        ("phone", "010 1234 5678"),
        ("store_id", "shop-7f3kq"),
    ];
    let expected: Vec<(String, String)> = expected
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    assert_eq!(fields, expected);

    assert_eq!(page.status, 303, "{page:?}");
    let location = page.location.expect("redirect");
    let status_page = format!("{recorder_url}/pay/shop-7f3kq/payments/{PAYMENT_ID}?return_url=");
    assert!(location.starts_with(&status_page), "{location}");
    assert!(location.ends_with("&lang=ar"), "{location}");
}

fn php_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read dir").flatten() {
        let path = entry.path();
        if path.is_dir() {
            php_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "php") {
            out.push(path);
        }
    }
}

#[test]
fn the_module_never_pays_an_invoice_or_adds_credit_itself() {
    let modules = Path::new(env!("CARGO_MANIFEST_DIR")).join("integrations/whmcs/modules");
    let mut files = Vec::new();
    php_files(&modules, &mut files);
    assert_eq!(files.len(), 3, "{files:?}");
    for file in files {
        let source = std::fs::read_to_string(&file)
            .expect("read")
            .to_ascii_lowercase();
        let squeezed: String = source
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .collect();
        for forbidden in [
            "addinvoicepayment",
            "applycredit",
            "addcredit",
            "addtransaction",
        ] {
            assert!(
                !squeezed.contains(forbidden),
                "{} mentions {forbidden}",
                file.display()
            );
        }
        for (at, _) in source.match_indices("localapi(") {
            let call = &source[at..];
            assert!(
                call.starts_with("localapi('getinvoice'"),
                "{}: {}",
                file.display(),
                &call[..40.min(call.len())]
            );
        }
    }
}
