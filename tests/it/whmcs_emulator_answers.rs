//! The WHMCS emulator itself, spoken to over raw HTTP without the client:
//! AddCredit's refusals in WHMCS's order, WHMCS's `key=value;` text without
//! `responsetype=json`, and a `CommitThenDrop` that sends no answer at all.

use std::time::Duration;

use serde_json::Value;

use crate::support::whmcs::{AddCreditFault, IDENTIFIER, SECRET, StartEmulator, WhmcsEmulator};

async fn post(http: &reqwest::Client, api: &str, form: &[(&str, &str)]) -> (u16, String) {
    let r = http.post(api).form(form).send().await.expect("send");
    let status = r.status().as_u16();
    (status, r.text().await.expect("body"))
}

/// The emulator itself, spoken to without the client: WHMCS's messages in
/// WHMCS's order, and `key=value;` text without `responsetype=json`.
#[tokio::test(flavor = "multi_thread")]
async fn the_emulator_answers_like_whmcs() {
    let emulator = WhmcsEmulator::start().await;
    let http = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("client");
    let api = format!("{}/includes/api.php", emulator.url());
    let auth = [("identifier", IDENTIFIER), ("secret", SECRET)];
    let zero = [("action", "AddCredit"), ("clientid", "0"), ("amount", "0")];
    let (status, text) = post(&http, &api, &[&auth[..], &zero[..]].concat()).await;
    assert_eq!(
        (status, text.as_str()),
        (200, "result=error;message=No Amount Provided;")
    );
    let add = |extra: &[(&'static str, &'static str)]| {
        let mut form = vec![("responsetype", "json"), ("action", "AddCredit")];
        form.extend_from_slice(&auth);
        form.extend_from_slice(extra);
        form
    };
    let cases = [
        (
            add(&[("clientid", "0"), ("amount", "0")]),
            200,
            "No Amount Provided",
        ),
        (
            add(&[("type", "x"), ("amount", "0")]),
            200,
            "Type can only be add or remove",
        ),
        (
            add(&[("clientid", "0"), ("amount", "1,000")]),
            200,
            "Amount must be in decimal format: ### or ###.##",
        ),
        (
            add(&[("clientid", "0"), ("amount", "1.234")]),
            200,
            "Amount must be in decimal format: ### or ###.##",
        ),
        (
            add(&[("clientid", "0"), ("amount", "5")]),
            200,
            "Client ID Not Found",
        ),
        (
            add(&[("clientid", "1"), ("amount", "5"), ("date", "yesterday")]),
            200,
            "Date Format is not Valid",
        ),
        (
            add(&[("clientid", "1"), ("amount", "5"), ("adminid", "9")]),
            200,
            "Admin ID Not Found",
        ),
        (add(&[("action", "")]), 400, "Empty action request"),
        (add(&[("action", "GetClients")]), 200, "Command Not Found"),
        (add(&[("secret", "x")]), 403, "Authentication Failed"),
        (
            add(&[("identifier", "")]),
            403,
            "Invalid or missing credentials",
        ),
    ];
    for (form, expected_status, message) in cases {
        let (status, text) = post(&http, &api, &form).await;
        assert_eq!(status, expected_status, "{message}");
        let body: Value = serde_json::from_str(&text).expect("json");
        assert_eq!(body["result"], "error", "{message}");
        assert_eq!(body["message"], message);
    }
    let (status, _) = post(&http, &format!("{}/api.php", emulator.url()), &add(&[])).await;
    assert_eq!(status, 404);
    assert_eq!(emulator.total_credits(), 0);
    let (status, text) = post(&http, &api, &add(&[("clientid", "7"), ("amount", "12.5")])).await;
    assert_eq!(status, 200);
    let body: Value = serde_json::from_str(&text).expect("json");
    assert_eq!(
        body,
        serde_json::json!({"result": "success", "newbalance": "12.50"})
    );
    assert_eq!(emulator.ledger(7)[0].amount, "12.50");
    assert_eq!(emulator.balance(7), "12.50");
}

/// `CommitThenDrop` closes the connection without a byte of answer.
#[tokio::test(flavor = "multi_thread")]
async fn commit_then_drop_sends_no_answer_at_all() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let emulator = WhmcsEmulator::start().await;
    emulator.fail_next_add_credit(1, AddCreditFault::CommitThenDrop);
    let form = format!(
        "responsetype=json&identifier={IDENTIFIER}&secret={SECRET}\
         &action=AddCredit&clientid=7&amount=1.00&description=x"
    );
    let request = format!(
        "POST /includes/api.php HTTP/1.1\r\nHost: whmcs\r\n\
         Content-Type: application/x-www-form-urlencoded\r\n\
         Content-Length: {}\r\n\r\n{form}",
        form.len()
    );
    let mut stream = tokio::net::TcpStream::connect(emulator.addr())
        .await
        .expect("connect");
    stream.write_all(request.as_bytes()).await.expect("write");
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut answer)).await;
    assert!(read.is_ok(), "the connection was closed");
    assert!(answer.is_empty(), "{}", String::from_utf8_lossy(&answer));
    assert_eq!(emulator.credits_with_description("x"), 1);
}
