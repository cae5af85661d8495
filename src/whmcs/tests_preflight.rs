//! Unit tests of the preflight checklist: every item in its place, and each
//! failing answer naming what to fix.

use serde_json::{Value, json};

use super::*;

fn permanent(status: u16, message: &str) -> CallOutcome<Value> {
    let body = json!({"result": "error", "message": message}).to_string();
    classify(status, body.as_bytes())
}

fn denied(action: &str) -> CallOutcome<Value> {
    permanent(
        403,
        &format!("Invalid Permissions: API action \"{action}\" is not allowed"),
    )
}

/// The answers of a healthy WHMCS, each as WHMCS words it.
fn healthy() -> PreflightAnswers {
    PreflightAnswers {
        add_credit: permanent(200, "No Amount Provided"),
        get_credits: Some(permanent(200, "Client ID Not Found")),
        apply_credit: Some(permanent(200, "Invoice ID Not Found")),
        get_invoice: Some(permanent(200, "Invoice ID Not Found")),
    }
}

/// Only the `AddCredit` answer: the credentials were refused, so nothing
/// else was called.
fn only_add(add_credit: CallOutcome<Value>) -> PreflightAnswers {
    PreflightAnswers {
        add_credit,
        get_credits: None,
        apply_credit: None,
        get_invoice: None,
    }
}

fn failing(p: &Preflight) -> Vec<&str> {
    p.checks
        .iter()
        .filter(|c| !c.ok)
        .map(|c| c.name.as_str())
        .collect()
}

const ALL: [&str; 7] = [
    "url",
    "credentials",
    "ip_whitelisting",
    "addcredit_permission",
    "getcredits_permission",
    "applycredit_permission",
    "getinvoice_permission",
];

#[test]
fn a_healthy_whmcs_passes_every_item_in_order() {
    let report = assess(&healthy());
    assert!(report.ok, "{report:?}");
    let names: Vec<&str> = report.checks.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ALL);
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["ok"], true);
    assert_eq!(json["checks"][0]["name"], "url");
    assert!(json["checks"][0]["message"].is_string());
}

#[test]
fn refusals_before_the_action_name_what_to_fix() {
    let ip = assess(&only_add(permanent(403, "Invalid IP 203.0.113.7")));
    assert_eq!(failing(&ip), &ALL[1..]);
    let item = ip.check("ip_whitelisting").unwrap();
    assert!(item.message.contains("203.0.113.7"), "{item:?}");
    assert!(ip.check("url").unwrap().ok);
    let creds = assess(&only_add(permanent(403, "Authentication Failed")));
    let mut expected = vec!["credentials"];
    expected.extend_from_slice(&ALL[3..]);
    assert_eq!(failing(&creds), expected);
    for broken in [
        CallOutcome::Transient("connection refused".into()),
        classify(200, b"<html>WordPress</html>"),
        classify(404, b"Not Found"),
    ] {
        let p = assess(&only_add(broken));
        assert_eq!(failing(&p), ALL, "{p:?}");
    }
}

#[test]
fn each_missing_permission_is_its_own_item() {
    let no_add = PreflightAnswers {
        add_credit: denied("addcredit"),
        ..healthy()
    };
    assert_eq!(failing(&assess(&no_add)), ["addcredit_permission"]);
    let cases = [
        ("getcredits_permission", "GetCredits"),
        ("applycredit_permission", "ApplyCredit"),
        ("getinvoice_permission", "GetInvoice"),
    ];
    for (item, action) in cases {
        let mut answers = healthy();
        let slot = match item {
            "getcredits_permission" => &mut answers.get_credits,
            "applycredit_permission" => &mut answers.apply_credit,
            _ => &mut answers.get_invoice,
        };
        *slot = Some(denied(&action.to_ascii_lowercase()));
        let report = assess(&answers);
        assert_eq!(failing(&report), [item], "{report:?}");
        let message = &report.check(item).unwrap().message;
        assert!(message.contains(action), "{message}");
        assert!(message.contains("API Roles"), "{message}");
    }
}

#[test]
fn an_invoice_call_that_is_not_answered_is_not_taken_as_allowed() {
    let outcomes = [
        CallOutcome::Unknown("HTTP 500".into()),
        CallOutcome::Transient("connection refused".into()),
        classify(404, b"Not Found"),
    ];
    for outcome in outcomes {
        let answers = PreflightAnswers {
            get_invoice: Some(outcome.clone()),
            ..healthy()
        };
        let report = assess(&answers);
        assert_eq!(failing(&report), ["getinvoice_permission"], "{outcome:?}");
        let message = &report.check("getinvoice_permission").unwrap().message;
        assert!(message.contains("could not be checked"), "{message}");
    }
    let missing = PreflightAnswers {
        apply_credit: None,
        ..healthy()
    };
    assert_eq!(failing(&assess(&missing)), ["applycredit_permission"]);
}
