//! The console when WHMCS refuses a credit (the emulator denies our IP):
//! the overview shows the store's paused WHMCS calls and the last WHMCS
//! error as the page draws them, the `credit_failed` queue lists the
//! payment with WHMCS's words, and a retry posted from the console takes
//! the machine's edge back to `crediting` and on to `credited`.

use crate::support::api::STORE;
use crate::support::console::{Console, hidden};
use crate::support::daemon::spawn_daemon;
use crate::support::waits::until_state;

/// The overview's card of `store`.
fn store_card<'a>(overview: &'a str, store: &str) -> &'a str {
    let start = overview
        .find(&format!(r#"data-store="{store}""#))
        .expect("the store's card");
    let rest = &overview[start..];
    &rest[..rest.find("</li>").expect("the card's end")]
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refused_credit_is_shown_to_the_store_key_and_a_retry_from_the_console_credits_it() {
    let daemon = spawn_daemon(|_| {}).await;
    daemon.default_store().await;
    daemon.whmcs.deny_ip(true);
    let tx = daemon.ingest_tx("014412345678", "01012345678", "100").await;
    assert_eq!(tx.status, 201);
    let id = daemon.check_simple("42", "100").await.body["payment_id"]
        .as_str()
        .unwrap()
        .to_owned();
    until_state(&daemon, &id, "credit_failed").await;
    let detail = daemon
        .admin_get(&format!("/admin/payments/{id}"))
        .await
        .body;
    let whmcs_said = detail["state_detail"].as_str().unwrap().to_owned();
    assert!(whmcs_said.contains("Invalid IP 127.0.0.1"), "{whmcs_said}");

    let key = daemon.store_key(STORE, "desk").await;
    let console = Console::sign_in(&daemon, &key).await;
    let overview = console.get("/console").await.body;
    let card = store_card(&overview, STORE);
    let paused = card
        .split(r#"<span class="bad">paused since <time datetime=""#)
        .nth(1)
        .unwrap_or_else(|| panic!("WHMCS calls paused: {card}"));
    assert!(
        paused.contains(": Invalid IP 127.0.0.1")
            && paused.contains(r#"WHMCS saw our IP as <bdi dir="ltr">127.0.0.1</bdi>"#),
        "the breaker, its reason and the IP WHMCS saw: {card}"
    );
    let last_error = card
        .split("Last WHMCS error</dt>")
        .nth(1)
        .unwrap_or_else(|| panic!("the last WHMCS error: {card}"));
    assert!(
        last_error.contains(&format!(": {whmcs_said} ")),
        "WHMCS's words: {card}"
    );
    assert!(
        last_error.contains(&format!(r#"href="/console/payments/{id}""#)),
        "{card}"
    );

    let queue = console.get("/console/queues/credit_failed").await;
    assert_eq!(queue.status, 200);
    assert!(queue.body.contains(&format!(r#"data-payment="{id}""#)));
    assert!(
        queue
            .body
            .contains(&format!(r#"<dd class="whmcs">{whmcs_said}</dd>"#))
    );
    let retry = format!("/console/payments/{id}/retry");
    assert!(queue.body.contains(&format!(r#"formaction="{retry}""#)));
    let version = hidden(&queue.body, "version").expect("the form's version");

    // The merchant whitelists the IP; the store's key retries from the queue.
    daemon.whmcs.deny_ip(false);
    let retried = console
        .post(
            &retry,
            &[
                ("version", &version),
                ("back", "/console/queues/credit_failed"),
            ],
        )
        .await;
    assert_eq!(retried.status, 303, "{}", retried.body);
    assert_eq!(retried.location(), Some("/console/queues/credit_failed"));
    until_state(&daemon, &id, "credited").await;
    assert_eq!(daemon.whmcs.total_credits(), 1);
    let history = daemon
        .admin_get(&format!("/admin/payments/{id}"))
        .await
        .body["history"]
        .as_array()
        .unwrap()
        .clone();
    let edges: Vec<(&str, &str, &str)> = history
        .iter()
        .map(|h| {
            (
                h["event"].as_str().unwrap_or(""),
                h["from"].as_str().unwrap_or(""),
                h["to"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert!(
        edges.contains(&("retry", "credit_failed", "crediting")),
        "the machine's retry edge: {edges:?}"
    );
    let by = history.iter().find(|h| h["event"] == "retry").unwrap();
    assert_eq!(by["actor"]["by"], "key:desk");

    let overview = console.get("/console").await.body;
    let card = store_card(&overview, STORE);
    assert!(
        card.contains(r#"<span class="ok">flowing</span>"#),
        "{card}"
    );
    let queue = console.get("/console/queues/credit_failed").await.body;
    assert!(!queue.contains(&format!(r#"data-payment="{id}""#)));
}
