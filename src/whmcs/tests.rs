//! Unit tests of the pure parts: the classifier, the answer readers, the
//! amount format, the endpoint, the description and the preflight checklist.

use std::str::FromStr;

use proptest::prelude::*;
use rust_decimal::Decimal;
use serde_json::{Value, json};

use super::client::amount_text;
use super::*;
use crate::domain::{ClientId, TransId};

fn body(v: Value) -> Vec<u8> {
    v.to_string().into_bytes()
}

fn error_body(message: &str) -> Vec<u8> {
    body(json!({"result": "error", "message": message}))
}

fn rejection(status: u16, raw: &[u8]) -> Rejection {
    match classify(status, raw) {
        CallOutcome::Permanent(r) => r,
        other => panic!("HTTP {status} {:?}: expected Permanent, got {other:?}", raw),
    }
}

fn is_unknown(o: &CallOutcome<Value>) -> bool {
    matches!(o, CallOutcome::Unknown(_))
}

fn dec(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

#[test]
fn refusals_before_the_action_are_permanent_and_trip_the_breaker() {
    let cases = [
        (
            "Invalid IP 203.0.113.7",
            WhmcsRefusal::InvalidIp {
                seen_ip: Some("203.0.113.7".into()),
            },
        ),
        ("IP Banned", WhmcsRefusal::IpBanned),
        ("Invalid or missing credentials", WhmcsRefusal::Credentials),
        ("Authentication Failed", WhmcsRefusal::Credentials),
        (
            "Administrator Account Disabled",
            WhmcsRefusal::AccountDisabled,
        ),
        (
            r#"Invalid Permissions: API action "addcredit" is not allowed"#,
            WhmcsRefusal::Permission {
                action: "addcredit".into(),
            },
        ),
        (
            r#"Invalid Permissions: API action "GetCredits" is not allowed"#,
            WhmcsRefusal::Permission {
                action: "getcredits".into(),
            },
        ),
    ];
    for (message, refusal) in cases {
        let r = rejection(403, &error_body(message));
        assert_eq!(r.refusal, refusal, "{message}");
        assert_eq!(r.message, message);
        assert_eq!(r.http_status, 403);
        assert!(r.trips_breaker(), "{message}");
    }
}

#[test]
fn action_errors_are_permanent_and_do_not_trip_the_breaker() {
    let cases = [
        ("Type can only be add or remove", WhmcsRefusal::Other),
        ("No Amount Provided", WhmcsRefusal::Other),
        (
            "Amount must be in decimal format: ### or ###.##",
            WhmcsRefusal::AmountFormat,
        ),
        ("Client ID Not Found", WhmcsRefusal::ClientNotFound),
        ("Date Format is not Valid", WhmcsRefusal::Other),
        ("Admin ID Not Found", WhmcsRefusal::Other),
        ("Command Not Found", WhmcsRefusal::Other),
    ];
    for (message, refusal) in cases {
        let r = rejection(200, &error_body(message));
        assert_eq!(r.refusal, refusal, "{message}");
        assert_eq!(r.message, message);
        assert_eq!(r.http_status, 200);
        assert!(!r.trips_breaker(), "{message}");
    }
}

#[test]
fn other_client_errors_are_permanent_other() {
    let empty_action = rejection(400, &error_body("Empty action request"));
    assert_eq!(empty_action.refusal, WhmcsRefusal::Other);
    assert_eq!(empty_action.message, "Empty action request");
    assert_eq!(empty_action.http_status, 400);
    let forbidden_html = rejection(403, b"<html><body>Forbidden</body></html>");
    assert_eq!(forbidden_html.refusal, WhmcsRefusal::Other);
    assert!(forbidden_html.message.contains("Forbidden"));
    for status in [401, 404, 405, 410, 429] {
        let r = rejection(status, b"<h1>Not Found</h1>");
        assert_eq!(r.refusal, WhmcsRefusal::Other, "{status}");
        assert!(!r.trips_breaker());
    }
    assert_eq!(rejection(404, b"").message, "(empty body)");
    let moved = rejection(301, b"");
    assert_eq!(moved.refusal, WhmcsRefusal::Other);
    assert_eq!(moved.http_status, 301);
}

#[test]
fn success_needs_a_2xx_json_body_that_says_success() {
    let ok = classify(200, br#"{"result":"success","newbalance":"1.00"}"#);
    assert!(ok.is_success());
    let bom = classify(200, b"\xEF\xBB\xBF{\"result\":\"success\"}");
    assert!(bom.is_success());
    let padded = classify(200, b"\n  {\"result\":\"success\"}\n");
    assert!(padded.is_success());
    let unknown = [
        (200, &b"<html>Maintenance</html>"[..]),
        (200, b""),
        (200, b"result=success;newbalance=1.00;"),
        (200, b"{\"newbalance\":\"1.00\"}"),
        (200, b"{\"result\":\"Success\"}"),
        (200, b"{\"result\":true}"),
        (200, b"[\"success\"]"),
        (200, b"\"success\""),
        (200, b"{\"result\":\"success\""),
        (500, b"{\"result\":\"success\"}"),
        (502, b"<html>Bad Gateway</html>"),
        (
            503,
            b"{\"result\":\"error\",\"message\":\"Client ID Not Found\"}",
        ),
        (504, b""),
        (403, b"{\"result\":\"success\"}"),
        (404, b"{\"result\":\"success\"}"),
        (100, b""),
        (600, b"{\"result\":\"success\"}"),
    ];
    for (status, raw) in unknown {
        let o = classify(status, raw);
        assert!(is_unknown(&o), "HTTP {status} {raw:?}: {o:?}");
    }
}

#[test]
fn messages_are_trimmed_cleaned_and_capped() {
    let r = rejection(200, &error_body("  Client ID Not Found \n"));
    assert_eq!(r.message, "Client ID Not Found");
    assert_eq!(r.refusal, WhmcsRefusal::ClientNotFound);
    let long = "x".repeat(1000);
    let r = rejection(200, &error_body(&long));
    assert_eq!(r.message.chars().count(), MESSAGE_CHARS_MAX + 1);
    assert!(r.message.ends_with('…'));
    let r = rejection(403, &error_body("bad\u{7}\rthing"));
    assert_eq!(r.message, "bad  thing");
    let r = rejection(403, br#"{"result":"error","message":42}"#);
    assert_eq!(r.message, "42");
    let r = rejection(403, br#"{"result":"error"}"#);
    assert_eq!((r.message.as_str(), r.refusal), ("", WhmcsRefusal::Other));
}

#[test]
fn the_ip_whmcs_saw_is_read_from_invalid_ip() {
    let seen = |m: &str| match WhmcsRefusal::from_message(m) {
        WhmcsRefusal::InvalidIp { seen_ip } => seen_ip,
        other => panic!("{m}: {other:?}"),
    };
    assert_eq!(seen("Invalid IP 1.2.3.4"), Some("1.2.3.4".into()));
    assert_eq!(seen(" invalid ip 1.2.3.4  "), Some("1.2.3.4".into()));
    assert_eq!(seen("Invalid IP 2001:db8::1"), Some("2001:db8::1".into()));
    assert_eq!(seen("Invalid IP"), None);
    assert_eq!(seen("Invalid IP somewhere"), None);
    assert_eq!(
        WhmcsRefusal::from_message("Invalid IPs"),
        WhmcsRefusal::Other,
        "a different message"
    );
    assert_eq!(
        WhmcsRefusal::from_message("Invalid Permissions"),
        WhmcsRefusal::Permission {
            action: String::new()
        }
    );
}

#[test]
fn new_balance_is_read_from_a_string_or_a_number() {
    let read = |v: Value| new_balance(&v);
    assert_eq!(read(json!({"newbalance": "123.45"})), Some(dec("123.45")));
    assert_eq!(read(json!({"newbalance": 123.45})), Some(dec("123.45")));
    assert_eq!(read(json!({"newbalance": 7})), Some(dec("7")));
    assert_eq!(read(json!({"newbalance": " 0.50 "})), Some(dec("0.50")));
    assert_eq!(read(json!({"newbalance": "n/a"})), None);
    assert_eq!(read(json!({"newbalance": null})), None);
    assert_eq!(read(json!({"result": "success"})), None);
}

#[test]
fn credit_lists_in_every_known_shape() {
    let ours = "VodafoneCash payment - trans_id: 014412345678";
    let line = json!({"id": "17", "date": "2026-11-20",
        "description": ours, "amount": "4.95", "relid": "0"});
    let client = ClientId::try_from(42).ok();
    let manual = json!({"id": 18, "date": "2026-11-21", "description": "Manual", "amount": 10});
    let two = json!({"result": "success", "totalresults": 2, "clientid": "42",
        "credits": {"credit": [line, manual]}});
    let lines = credit_lines(&two, client).unwrap();
    assert_eq!(lines.len(), 2);
    assert_eq!(
        lines[0],
        CreditLine {
            id: "17".into(),
            date: "2026-11-20".into(),
            description: ours.into(),
            amount: "4.95".into(),
        }
    );
    assert_eq!(
        (lines[1].id.as_str(), lines[1].amount.as_str()),
        ("18", "10")
    );
    let one = json!({"result": "success", "totalresults": "1", "credits": {"credit": line}});
    assert_eq!(credit_lines(&one, client).unwrap().len(), 1);
    let bare = json!({"result": "success", "totalresults": 1, "credits": [line]});
    assert_eq!(credit_lines(&bare, client).unwrap().len(), 1);
    for empty in [
        json!({"result": "success", "totalresults": 0, "clientid": "42", "credits": []}),
        json!({"result": "success", "totalresults": 0, "credits": {}}),
        json!({"result": "success", "totalresults": "0", "credits": {"credit": []}}),
        json!({"result": "success", "totalresults": 0}),
        json!({"result": "success", "credits": null}),
    ] {
        assert_eq!(credit_lines(&empty, client), Ok(Vec::new()), "{empty}");
    }
}

#[test]
fn credit_lists_that_cannot_be_read_whole_are_refused() {
    let client = ClientId::try_from(42).ok();
    let refused = [
        json!({"result": "success", "totalresults": 3, "credits": []}),
        json!({"result": "success", "totalresults": 2,
            "credits": {"credit": [{"description": "a"}]}}),
        json!({"result": "success", "totalresults": "many", "credits": []}),
        json!({"result": "success", "credits": "none"}),
        json!({"result": "success", "credits": [{"description": "a"}, "b"]}),
        json!({"result": "success", "credits": {"credit": "x"}}),
        json!({"result": "success", "credits": {"credit": [{"id": "1"}]}}),
        json!({"result": "success", "credits": {"credit": [7]}}),
        json!({"result": "success", "clientid": "43", "credits": []}),
    ];
    for answer in refused {
        assert!(credit_lines(&answer, client).is_err(), "{answer}");
    }
}

#[test]
fn has_credit_for_matches_the_exact_description() {
    let t = TransId::parse("014412345678").unwrap();
    let line = |d: &str| CreditLine {
        id: "1".into(),
        date: String::new(),
        description: d.into(),
        amount: "1.00".into(),
    };
    assert!(has_credit_for(&[line("Other"), line(&description(&t))], &t));
    for near in [
        "VodafoneCash payment - trans_id: 0144123456789",
        "VodafoneCash payment - trans_id: 01441234567",
        "vodafonecash payment - trans_id: 014412345678",
        "VodafoneCash payment - trans_id: 014412345678 ",
    ] {
        assert!(!has_credit_for(&[line(near)], &t), "{near}");
    }
    assert!(!has_credit_for(&[], &t));
}

#[test]
fn description_and_endpoint() {
    let t = TransId::parse("014412345678").unwrap();
    assert_eq!(
        description(&t),
        "VodafoneCash payment - trans_id: 014412345678"
    );
    let cases = [
        (
            "https://billing.example.com",
            "https://billing.example.com/includes/api.php",
        ),
        (
            "https://billing.example.com/",
            "https://billing.example.com/includes/api.php",
        ),
        (
            "https://example.com/whmcs//",
            "https://example.com/whmcs/includes/api.php",
        ),
        (
            "https://example.com/includes/api.php",
            "https://example.com/includes/api.php",
        ),
        (
            "https://example.com/includes/api.php/",
            "https://example.com/includes/api.php",
        ),
        (
            " http://127.0.0.1:8080 ",
            "http://127.0.0.1:8080/includes/api.php",
        ),
    ];
    for (api_url, expected) in cases {
        assert_eq!(endpoint(api_url), expected, "{api_url}");
    }
}

#[test]
fn amounts_are_sent_plain_with_two_places() {
    let cases = [
        ("123.45", Some("123.45")),
        ("100", Some("100.00")),
        ("100.500", Some("100.50")),
        ("0.5", Some("0.50")),
        ("0.01", Some("0.01")),
        ("99999999.99", Some("99999999.99")),
        ("1.005", None),
        ("0", None),
        ("0.00", None),
        ("-5", None),
    ];
    for (input, expected) in cases {
        assert_eq!(amount_text(dec(input)).as_deref(), expected, "{input}");
    }
    let thousand = Decimal::from_scientific("1e3").unwrap();
    assert_eq!(amount_text(thousand).as_deref(), Some("1000.00"));
}

#[test]
fn a_zero_timeout_is_refused() {
    assert!(matches!(
        WhmcsClient::new(std::time::Duration::ZERO),
        Err(WhmcsError::ZeroTimeout)
    ));
}

proptest! {
    /// Any status and bytes: no panic, and `Success` only for a 2xx whose
    /// body is a JSON object with `"result": "success"`.
    #[test]
    fn the_classifier_is_total_and_never_invents_success(
        status in 0u16..1000,
        raw in proptest::collection::vec(any::<u8>(), 0..256),
    ) {
        let outcome = classify(status, &raw);
        if outcome.is_success() {
            prop_assert!((200..300).contains(&status));
            let json = raw.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&raw);
            let v: Value = serde_json::from_slice(json).unwrap();
            prop_assert_eq!(v["result"].as_str(), Some("success"));
        }
        if let CallOutcome::Permanent(r) = &outcome {
            prop_assert!(r.message.chars().count() <= MESSAGE_CHARS_MAX + 1);
            prop_assert!(status < 500);
        }
    }

    #[test]
    fn json_answers_classify_by_status_then_result(
        status in 0u16..1000,
        result in prop_oneof![Just("success"), Just("error"), Just("other")],
        message in ".{0,40}",
    ) {
        let raw = body(json!({"result": result, "message": message}));
        let outcome = classify(status, &raw);
        let expected = match (status, result) {
            (200..=299, "success") => "success",
            (200..=299, "error") | (300..=399, _) => "permanent",
            (400..=499, "success") => "unknown",
            (400..=499, _) => "permanent",
            _ => "unknown",
        };
        prop_assert_eq!(outcome.kind(), expected);
    }
}
