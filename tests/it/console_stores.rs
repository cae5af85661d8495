//! The pay pages' store settings in the console's one store form: wallet
//! numbers, the sites a customer may be sent back to, the sites that may
//! frame the pages. Saved through the same validation as the admin API,
//! read back in the form, in effect on the pay page; a bad value is shown
//! with the form (`422`, naming the field) and nothing is saved.

use serde_json::{Value, json};

use crate::support::console::Console;
use crate::support::daemon::spawn_daemon;

const OWN: &str = "5";

/// The form as a browser sends it, with the pay pages' fields given.
fn form<'a>(extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut fields = vec![
        ("name", "Five"),
        ("currency_rate", "1"),
        ("currency_label", "EGP"),
        ("time_zone", "Africa/Cairo"),
        ("search_window", "30m"),
        ("whmcs_api_url", "https://billing.example.com"),
        ("whmcs_identifier", "ident"),
        ("approval_window", "48h"),
        ("approver_lang", "en"),
    ];
    fields.extend_from_slice(extra);
    fields
}

#[tokio::test(flavor = "multi_thread")]
async fn pay_page_settings_are_edited_in_the_store_form_and_a_bad_origin_changes_nothing() {
    let daemon = spawn_daemon(|_| {}).await;
    daemon.holding_store(OWN).await;
    let key = daemon.store_key(OWN, "desk").await;
    let console = Console::sign_in(&daemon, &key).await;
    let path = format!("/console/stores/{OWN}");
    let empty = console.get(&path).await.body;
    for field in [
        "wallet_numbers",
        "return_origins",
        "return_never",
        "embed_origins",
    ] {
        assert!(empty.contains(&format!(r#"name="{field}""#)), "{field}");
    }

    let saved = console
        .post(
            &path,
            &form(&[
                ("wallet_numbers", "+20 101 111 2222\r\n01099998888"),
                (
                    "return_origins",
                    "https://shop.example.com\nhttp://127.0.0.1:8080/",
                ),
                ("embed_origins", "https://shop.example.com:8443"),
            ]),
        )
        .await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    let store = daemon.admin_get(&format!("/admin/stores/{OWN}")).await.body;
    assert_eq!(
        store["wallet_numbers"],
        json!(["01011112222", "01099998888"])
    );
    assert_eq!(
        store["return_origins"],
        json!(["https://shop.example.com", "http://127.0.0.1:8080"])
    );
    assert_eq!(
        store["embed_origins"],
        json!(["https://shop.example.com:8443"])
    );
    let shown = console.get(&path).await.body;
    for text in [
        ">01011112222\n01099998888</textarea>",
        ">https://shop.example.com\nhttp://127.0.0.1:8080</textarea>",
        ">https://shop.example.com:8443</textarea>",
    ] {
        assert!(shown.contains(text), "{text:?} read back in {shown}");
    }
    // In effect on the customer's pay page.
    let pay = daemon
        .http
        .get(daemon.url(&format!("/pay/{OWN}")))
        .send()
        .await
        .unwrap();
    let csp = pay.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        csp.contains("frame-ancestors https://shop.example.com:8443"),
        "{csp}"
    );
    assert!(pay.text().await.unwrap().contains("010 1111 2222"));

    // Refused: shown with the form, naming the field; nothing saved.
    for (field, value, named) in [
        (
            "return_origins",
            "https://shop.example.com/path",
            "return_origins",
        ),
        ("embed_origins", "*", "embed_origins"),
        ("wallet_numbers", "12345", "wallet_numbers"),
        (
            "hold_after_checks_per_hour",
            "many",
            "anti_spam.hold_after_checks_per_hour",
        ),
    ] {
        let refused = console.post(&path, &form(&[(field, value)])).await;
        assert_eq!(refused.status, 422, "{field}={value}: {}", refused.body);
        let alert = refused
            .body
            .split(r#"role="alert">"#)
            .nth(1)
            .unwrap_or_default();
        assert!(alert.starts_with(named), "{field}: {alert:.120}");
    }
    let both = console
        .post(
            &path,
            &form(&[
                ("return_origins", "https://shop.example.com"),
                ("return_never", "on"),
            ]),
        )
        .await;
    assert_eq!(both.status, 422, "a list and 'never' at once");
    assert!(both.body.contains(r#"role="alert">return_origins"#));
    let unchanged: Value = daemon.admin_get(&format!("/admin/stores/{OWN}")).await.body;
    assert_eq!(unchanged, store, "nothing was saved");

    // "Never": an empty list; nothing listed: the WHMCS address's origin.
    let never = console.post(&path, &form(&[("return_never", "on")])).await;
    assert_eq!(never.status, 303);
    let store = daemon.admin_get(&format!("/admin/stores/{OWN}")).await.body;
    assert_eq!(store["return_origins"], json!([]));
    assert_eq!(store["wallet_numbers"], json!([]), "a blank list clears it");
    let shown = console.get(&path).await.body;
    assert!(
        shown.contains(r#"name="return_never" type="checkbox" value="on" checked"#),
        "{shown}"
    );
    let default = console.post(&path, &form(&[])).await;
    assert_eq!(default.status, 303);
    let store = daemon.admin_get(&format!("/admin/stores/{OWN}")).await.body;
    assert_eq!(store["return_origins"], Value::Null);
}
