//! Stores are validated: a store is a JSON object with a name, a WHMCS
//! section (`api_url`, `identifier`, `secret`) and a positive currency
//! rate; anything else is `422 invalid_request` naming the field, and
//! nothing is saved — over HTTP and through `cashgate store put`.

use serde_json::{Value, json};

use crate::support::api::STORE;
use crate::support::daemon::spawn_daemon;

fn complete() -> Value {
    json!({
        "name": "Example Hosting",
        "whmcs": {"api_url": "https://billing.example.com", "identifier": "ident", "secret": "s3"},
        "currency_rate": "50.50",
        "ingest_token": "tok",
    })
}

/// `complete()` with the field at `pointer` replaced, or removed (`None`).
fn with(pointer: &str, value: Option<Value>) -> Value {
    let mut body = complete();
    let (parent, key) = pointer.rsplit_once('/').unwrap();
    let object = body.pointer_mut(parent).unwrap().as_object_mut().unwrap();
    match value {
        Some(v) => object.insert(key.to_owned(), v),
        None => object.remove(key),
    };
    body
}

async fn put_raw(daemon: &crate::support::daemon::TestDaemon, id: &str, body: &str) -> Value {
    let response = daemon
        .http
        .put(daemon.url(&format!("/admin/stores/{id}")))
        .bearer_auth(&daemon.admin_token)
        .body(body.to_owned())
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let mut body: Value = response.json().await.unwrap();
    body["http_status"] = json!(status);
    body
}

#[tokio::test(flavor = "multi_thread")]
async fn empty_and_incomplete_stores_are_refused_with_the_field_named_and_nothing_saved() {
    let daemon = spawn_daemon(|_| {}).await;
    let mut cases: Vec<(String, &str)> = vec![
        ("[]".into(), ""),
        ("{}".into(), "name"),
        ("null".into(), ""),
        ("not json".into(), ""),
    ];
    for (pointer, value, field) in [
        ("/name", None, "name"),
        ("/name", Some(json!("")), "name"),
        ("/whmcs", None, "whmcs"),
        ("/whmcs", Some(json!([])), "whmcs"),
        ("/whmcs/api_url", None, "whmcs.api_url"),
        (
            "/whmcs/api_url",
            Some(json!("billing.example.com")),
            "whmcs.api_url",
        ),
        (
            "/whmcs/api_url",
            Some(json!("https://admin:pw@billing.example.com")),
            "whmcs.api_url",
        ),
        (
            "/whmcs/api_url",
            Some(json!("https://billing.example.com/includes/api.php")),
            "whmcs.api_url",
        ),
        ("/whmcs/identifier", None, "whmcs.identifier"),
        ("/whmcs/identifier", Some(json!("")), "whmcs.identifier"),
        ("/whmcs/secret", None, "whmcs.secret"),
        ("/whmcs/secret", Some(json!("")), "whmcs.secret"),
        ("/currency_rate", None, "currency_rate"),
        ("/currency_rate", Some(json!("0")), "currency_rate"),
        ("/currency_rate", Some(json!("-2")), "currency_rate"),
        ("/currency_rate", Some(json!("many")), "currency_rate"),
        ("/search_window", Some(json!("soon")), "search_window"),
        (
            "/anti_spam",
            Some(json!({"approvers": ["x"]})),
            "anti_spam.approvers[0]",
        ),
        ("/typo", Some(json!(1)), "typo"),
    ] {
        cases.push((with(pointer, value).to_string(), field));
    }
    for (body, field) in &cases {
        let answer = put_raw(&daemon, "7", body).await;
        assert_eq!(answer["http_status"], 422, "{body}: {answer}");
        assert_eq!(answer["error"], "invalid_request", "{body}");
        assert_eq!(answer["field"], *field, "{body}: {answer}");
        if !field.is_empty() {
            let message = answer["message"].as_str().unwrap();
            assert!(message.contains(field), "{body}: {message}");
        }
        let stored = daemon.admin_get("/admin/stores/7").await;
        assert_eq!(stored.status, 404, "{body} saved a store");
    }
    let created = put_raw(&daemon, "7", &complete().to_string()).await;
    assert_eq!(created["http_status"], 201, "{created}");
    assert!(created.get("field").is_none());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refused_update_leaves_the_stored_store_as_it_was() {
    let daemon = spawn_daemon(|_| {}).await;
    let first = put_raw(&daemon, STORE, &complete().to_string()).await;
    assert_eq!(first["http_status"], 201);
    let refused = put_raw(
        &daemon,
        STORE,
        &with("/currency_rate", Some(json!("0"))).to_string(),
    )
    .await;
    assert_eq!(refused["http_status"], 422);
    let shown = daemon.admin_get(&format!("/admin/stores/{STORE}")).await;
    assert_eq!(shown.body["currency_rate"], "50.50");
    // An update may leave the secrets out: they are kept.
    let mut update = with("/whmcs/secret", None);
    update.as_object_mut().unwrap().remove("ingest_token");
    let kept = put_raw(&daemon, STORE, &update.to_string()).await;
    assert_eq!(kept["http_status"], 200, "{kept}");
    assert_eq!(kept["whmcs"]["secret_set"], true);
    assert_eq!(kept["ingest_token_set"], true);
}

#[test]
fn cashgate_store_put_refuses_the_same_bodies_and_names_the_field() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    for (body, field) in [
        ("[]", "the store must be a JSON object"),
        ("{}", "name: is required"),
        (
            r#"{"name": "A", "currency_rate": "1", "whmcs": {"api_url": "https://u:p@x.com", "identifier": "i", "secret": "s"}}"#,
            "whmcs.api_url",
        ),
    ] {
        let file = dir.path().join("store.json");
        std::fs::write(&file, body).unwrap();
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_cashgate"))
            .args(["store", "put", "7"])
            .arg(&file)
            .env("CASHGATE_DATA_DIR", &data)
            .output()
            .unwrap();
        assert!(!output.status.success(), "{body} was saved");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(field), "{body}: {stderr}");
    }
    let (payments, _) = cashgate::daemon::open_folder(
        &data,
        &cashgate::payments::PaymentsOptions::default(),
        cashgate::data_dir::Purpose::Inspect,
    )
    .unwrap();
    let stored = payments
        .stores()
        .get(&cashgate::domain::StoreId::parse("7").unwrap())
        .unwrap();
    assert!(stored.is_none(), "nothing was saved");
    payments.close().unwrap();
}
