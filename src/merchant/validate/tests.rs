use serde_json::{Value, json};

use super::*;

fn valid() -> Value {
    json!({
        "name": "Example Hosting",
        "whmcs": {"api_url": "https://billing.example.com", "identifier": "ident", "secret": "s3"},
        "currency_rate": "50.50",
    })
}

fn put(body: &Value, existing: Option<&StoreSettings>) -> Result<StoreSettings, StoreError> {
    StoreSettings::from_put_body(body.to_string().as_bytes(), existing)
}

fn refused_field(body: &Value) -> String {
    match put(body, None) {
        Ok(s) => panic!("accepted {body}: {s:?}"),
        Err(e) => e.field,
    }
}

/// `valid()` with the value at `pointer` replaced (or removed with `None`).
fn with(pointer: &str, new: Option<Value>) -> Value {
    let mut body = valid();
    let (parent, key) = pointer.rsplit_once('/').unwrap();
    let object = body.pointer_mut(parent).unwrap().as_object_mut().unwrap();
    match new {
        Some(v) => object.insert(key.to_owned(), v),
        None => object.remove(key),
    };
    body
}

#[test]
fn a_complete_store_is_accepted() {
    let s = put(&valid(), None).unwrap();
    assert_eq!(s.name, "Example Hosting");
    assert_eq!(s.currency_rate.to_string(), "50.50");
    assert!(!s.anti_spam.enabled, "omitted fields take their defaults");
    for url in [
        "http://127.0.0.1:8080",
        "https://billing.example.com/",
        "https://example.com/whmcs",
    ] {
        put(&with("/whmcs/api_url", Some(json!(url))), None).unwrap();
    }
}

#[test]
fn a_body_that_is_not_an_object_is_refused_as_a_whole() {
    for body in [&b"[]"[..], b"\"x\"", b"null", b"7", b"not json", b""] {
        let e = StoreSettings::from_put_body(body, None).unwrap_err();
        assert_eq!(e.field, "", "{}", String::from_utf8_lossy(body));
    }
    let e = StoreSettings::from_put_body(b"[]", None).unwrap_err();
    assert_eq!(e.problem, Problem::NotAnObject);
    assert_eq!(e.to_string(), "the store must be a JSON object");
}

#[test]
fn each_required_field_is_named_when_missing() {
    assert_eq!(refused_field(&json!({})), "name");
    for (pointer, field) in [
        ("/name", "name"),
        ("/whmcs", "whmcs"),
        ("/whmcs/api_url", "whmcs.api_url"),
        ("/whmcs/identifier", "whmcs.identifier"),
        ("/whmcs/secret", "whmcs.secret"),
        ("/currency_rate", "currency_rate"),
    ] {
        let e = put(&with(pointer, None), None).unwrap_err();
        assert_eq!((e.field.as_str(), &e.problem), (field, &Problem::Missing));
    }
}

#[test]
fn each_malformed_field_is_named() {
    let cases = [
        ("/name", json!(""), "name"),
        ("/name", json!("   "), "name"),
        ("/name", json!(5), "name"),
        ("/name", json!("x".repeat(201)), "name"),
        ("/whmcs", json!("https://x"), "whmcs"),
        ("/whmcs", json!([]), "whmcs"),
        ("/anti_spam", json!([true]), "anti_spam"),
        ("/whmcs/api_url", json!(""), "whmcs.api_url"),
        (
            "/whmcs/api_url",
            json!("billing.example.com"),
            "whmcs.api_url",
        ),
        (
            "/whmcs/api_url",
            json!("ftp://billing.example.com"),
            "whmcs.api_url",
        ),
        ("/whmcs/api_url", json!("https://"), "whmcs.api_url"),
        (
            "/whmcs/api_url",
            json!("https://u:p@billing.example.com"),
            "whmcs.api_url",
        ),
        (
            "/whmcs/api_url",
            json!("https://u@billing.example.com"),
            "whmcs.api_url",
        ),
        (
            "/whmcs/api_url",
            json!("https://x.com/includes/api.php"),
            "whmcs.api_url",
        ),
        (
            "/whmcs/api_url",
            json!("https://x.com/w/includes/API.php/"),
            "whmcs.api_url",
        ),
        (
            "/whmcs/api_url",
            json!("https://x.com/?a=1"),
            "whmcs.api_url",
        ),
        ("/whmcs/api_url", json!(7), "whmcs.api_url"),
        ("/whmcs/identifier", json!(""), "whmcs.identifier"),
        ("/whmcs/secret", json!(""), "whmcs.secret"),
        ("/whmcs/typo", json!("x"), "whmcs.typo"),
        ("/currency_rate", json!("0"), "currency_rate"),
        ("/currency_rate", json!("-1"), "currency_rate"),
        ("/currency_rate", json!("fifty"), "currency_rate"),
        ("/search_window", json!("soon"), "search_window"),
        ("/check_ips", json!(["not an ip"]), "check_ips[0]"),
        (
            "/anti_spam",
            json!({"approvers": ["ok@example.com", "x"]}),
            "anti_spam.approvers[1]",
        ),
        ("/typo", json!(1), "typo"),
    ];
    for (pointer, value, field) in cases {
        let body = with(pointer, Some(value.clone()));
        assert_eq!(refused_field(&body), field, "{pointer} = {value}");
    }
    let too_many: Vec<String> = (0..21).map(|i| format!("a{i}@example.com")).collect();
    let body = with("/anti_spam", Some(json!({"approvers": too_many})));
    assert_eq!(refused_field(&body), "anti_spam.approvers");
}

#[test]
fn the_message_names_the_field_and_the_fix() {
    let e = put(
        &with("/whmcs/api_url", Some(json!("https://u:p@x.com"))),
        None,
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "whmcs.api_url: must not carry credentials (use identifier and secret)"
    );
    let e = put(&with("/currency_rate", None), None).unwrap_err();
    assert_eq!(e.to_string(), "currency_rate: is required");
}

#[test]
fn an_update_keeps_omitted_secrets_and_resets_other_omitted_fields() {
    let mut first = valid();
    first["ingest_token"] = json!("tok");
    first["anti_spam"] = json!({"enabled": true});
    let old = put(&first, None).unwrap();
    let update = with("/whmcs/secret", None);
    let new = put(&update, Some(&old)).unwrap();
    assert!(new.ingest_token.matches("tok"));
    assert!(new.whmcs.secret.matches("s3"));
    assert!(!new.anti_spam.enabled, "omitted fields take their defaults");
    assert_eq!(
        refused_field(&update),
        "whmcs.secret",
        "a new store has no secret to keep"
    );
    let mut rotate = valid();
    rotate["ingest_token"] = json!("new");
    assert!(
        put(&rotate, Some(&new))
            .unwrap()
            .ingest_token
            .matches("new")
    );
    // A stored store without a secret (saved under older rules) has none to keep.
    let secretless = StoreSettings::default();
    let e = put(&update, Some(&secretless)).unwrap_err();
    assert_eq!(e.field, "whmcs.secret");
}

#[test]
fn a_store_saved_under_older_rules_loads_and_says_what_it_lacks() {
    // What `PUT {}` stored before stores were validated.
    let old: StoreSettings = serde_json::from_str("{}").unwrap();
    assert_eq!(old.validate().unwrap_err().field, "name");
    assert_eq!(old.can_credit().unwrap_err().field, "whmcs.api_url");
    // The script's own URL was accepted then, and still credits.
    let mut script = put(&valid(), None).unwrap();
    script.whmcs.api_url = "https://billing.example.com/includes/api.php".into();
    assert_eq!(
        script.validate().unwrap_err().problem,
        Problem::ApiScriptInUrl
    );
    script.can_credit().unwrap();
    let mut no_identifier = script.clone();
    no_identifier.whmcs.identifier = String::new();
    assert_eq!(
        no_identifier.can_credit().unwrap_err().field,
        "whmcs.identifier"
    );
}
