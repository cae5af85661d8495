//! Every admin route against every kind of caller: the admin token, a key
//! of the store the resource belongs to, a key of another store, a
//! revoked key, no key. Another store's resources answer exactly as
//! unknown ones (`404`), admin-only routes answer `403` to any store key,
//! and every operator decision's audit entry names who made it.

use reqwest::Method;
use serde_json::{Value, json};

use crate::support::daemon::{TestDaemon, spawn_daemon};

const OWN: &str = "5";
const OTHER: &str = "6";

async fn holding_store(daemon: &TestDaemon, id: &str) {
    daemon.holding_store(id).await;
}

async fn held(daemon: &TestDaemon, store: &str, n: u32) -> String {
    daemon.held_in(store, n).await
}

/// The callers, in the order each table row lists their expected status.
struct Callers {
    admin: String,
    own: String,
    other: String,
    revoked: String,
}

impl Callers {
    fn tokens(&self) -> [(&'static str, Option<&str>); 5] {
        [
            ("admin token", Some(&self.admin)),
            ("own store key", Some(&self.own)),
            ("other store key", Some(&self.other)),
            ("revoked key", Some(&self.revoked)),
            ("no key", None),
        ]
    }
}

async fn callers(daemon: &TestDaemon) -> Callers {
    let revoked = daemon.store_key(OWN, "gone").await;
    let gone = daemon
        .admin_as(
            Method::DELETE,
            &format!("/admin/stores/{OWN}/keys/gone"),
            Some(&daemon.admin_token),
            None,
        )
        .await;
    assert_eq!(gone.status, 200, "{gone:?}");
    Callers {
        admin: daemon.admin_token.clone(),
        own: daemon.store_key(OWN, "own").await,
        other: daemon.store_key(OTHER, "other").await,
        revoked,
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn every_admin_route_answers_each_kind_of_caller_as_the_access_rules_say() {
    // Wrong tokens are limited per address; this table sends many.
    let daemon = spawn_daemon(|s| s.limits.auth_failures_per_minute_per_ip = 1000).await;
    holding_store(&daemon, OWN).await;
    holding_store(&daemon, OTHER).await;
    let who = callers(&daemon).await;
    let payment = held(&daemon, OWN, 0).await;
    // One held payment per decision row: a decision taken is taken once,
    // so the admin (asked last) finds it decided unless no key could see it.
    const THIRD: &str = "7";
    holding_store(&daemon, THIRD).await;
    let (approved_by_own, rejected_by_own) =
        (held(&daemon, OWN, 1).await, held(&daemon, OWN, 2).await);
    let (approved_by_other, rejected_by_other) =
        (held(&daemon, OTHER, 3).await, held(&daemon, OTHER, 4).await);
    let (approved_by_admin, rejected_by_admin) =
        (held(&daemon, THIRD, 5).await, held(&daemon, THIRD, 6).await);
    let whmcs = json!({"api_url": daemon.whmcs.url(), "identifier": crate::support::whmcs::IDENTIFIER, "secret": crate::support::whmcs::SECRET});
    let settings = json!({"name": "Renamed", "currency_rate": "1", "ingest_token": crate::support::api::INGEST_TOKEN, "whmcs": whmcs, "anti_spam": {"enabled": true, "approvers": ["owner@example.com"]}});
    // (method, path, body, [admin, own, other, revoked, none])
    let rows: Vec<(Method, String, Option<Value>, [u16; 5])> = vec![
        (
            Method::GET,
            format!("/admin/stores/{OWN}"),
            None,
            [200, 200, 404, 401, 401],
        ),
        (
            Method::PUT,
            format!("/admin/stores/{OWN}"),
            Some(settings.clone()),
            [200, 200, 404, 401, 401],
        ),
        (
            Method::PUT,
            "/admin/stores/77".into(),
            Some(settings.clone()),
            [201, 404, 404, 401, 401],
        ),
        (
            Method::POST,
            format!("/admin/stores/{OWN}/preflight"),
            None,
            [200, 200, 404, 401, 401],
        ),
        (
            Method::GET,
            format!("/admin/stores/{OWN}/keys"),
            None,
            [200, 403, 403, 401, 401],
        ),
        (
            Method::POST,
            format!("/admin/stores/{OWN}/keys"),
            Some(json!({"name": "fresh"})),
            [201, 403, 403, 401, 401],
        ),
        (
            Method::DELETE,
            format!("/admin/stores/{OWN}/keys/fresh"),
            None,
            [200, 403, 403, 401, 401],
        ),
        (
            Method::GET,
            format!("/admin/payments?store_id={OWN}"),
            None,
            [200, 200, 404, 401, 401],
        ),
        (
            Method::GET,
            "/admin/payments?state=held".into(),
            None,
            [200, 403, 403, 401, 401],
        ),
        (
            Method::GET,
            format!("/admin/payments/{payment}"),
            None,
            [200, 200, 404, 401, 401],
        ),
        (
            Method::POST,
            format!("/admin/payments/{approved_by_own}/approve"),
            None,
            [409, 200, 404, 401, 401],
        ),
        (
            Method::POST,
            format!("/admin/payments/{rejected_by_own}/reject"),
            None,
            [409, 200, 404, 401, 401],
        ),
        (
            Method::POST,
            format!("/admin/payments/{approved_by_other}/approve"),
            None,
            [409, 404, 200, 401, 401],
        ),
        (
            Method::POST,
            format!("/admin/payments/{rejected_by_other}/reject"),
            None,
            [409, 404, 200, 401, 401],
        ),
        (
            // A store no key opens: only the admin decides.
            Method::POST,
            format!("/admin/payments/{approved_by_admin}/approve"),
            None,
            [200, 404, 404, 401, 401],
        ),
        (
            Method::POST,
            format!("/admin/payments/{rejected_by_admin}/reject"),
            None,
            [200, 404, 404, 401, 401],
        ),
        (
            Method::POST,
            format!("/admin/payments/{payment}/retry"),
            None,
            [409, 409, 404, 401, 401],
        ),
        (
            Method::POST,
            format!("/admin/payments/{payment}/mark_credited"),
            None,
            [409, 409, 404, 401, 401],
        ),
        (
            Method::GET,
            format!("/admin/transactions?store_id={OWN}"),
            None,
            [200, 200, 404, 401, 401],
        ),
        (
            Method::GET,
            format!("/admin/transactions?store_id={OTHER}"),
            None,
            [200, 404, 200, 401, 401],
        ),
        (
            Method::GET,
            format!("/admin/quarantine?store_id={OWN}"),
            None,
            [200, 200, 404, 401, 401],
        ),
        (
            Method::GET,
            "/admin/quarantine".into(),
            None,
            [200, 403, 403, 401, 401],
        ),
        (
            Method::GET,
            format!("/admin/transactions/awaiting?store_id={OWN}"),
            None,
            [200, 200, 404, 401, 401],
        ),
        (
            Method::GET,
            "/admin/transactions/awaiting".into(),
            None,
            [200, 403, 403, 401, 401],
        ),
        (
            // The held payment's own transaction: claimed, so refused
            // (409) for those who may see it, and not there for others.
            Method::POST,
            format!("/admin/transactions/{OWN}/014400000000/assign"),
            Some(json!({"payment_id": payment})),
            [409, 409, 404, 401, 401],
        ),
        (
            Method::POST,
            "/admin/backup".into(),
            Some(json!({"to": "relative/folder"})),
            [400, 403, 403, 401, 401],
        ),
    ];
    let mut wrong = Vec::new();
    for (method, path, body, expected) in &rows {
        // Store keys first, the admin last: its writes (a new key, a
        // deleted one) must not change what the others are tested on.
        let tokens = who.tokens();
        for i in [1, 2, 3, 4, 0] {
            let (caller, token) = tokens[i];
            let answer = daemon
                .admin_as(method.clone(), path, token, body.as_ref())
                .await;
            if answer.status.as_u16() != expected[i] {
                wrong.push(format!(
                    "{method} {path} as {caller}: {} {}",
                    answer.status, answer.body
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn decisions_name_their_key_and_another_store_s_payment_reads_as_unknown() {
    let daemon = spawn_daemon(|_| {}).await;
    holding_store(&daemon, OWN).await;
    holding_store(&daemon, OTHER).await;
    let who = callers(&daemon).await;
    let (by_key, by_admin, by_other) = (
        held(&daemon, OWN, 1).await,
        held(&daemon, OWN, 2).await,
        held(&daemon, OWN, 3).await,
    );

    let approve = |id: &str| format!("/admin/payments/{id}/approve");
    let reject = |id: &str| format!("/admin/payments/{id}/reject");
    let note = json!({"note": "checked with the customer"});
    let mine = daemon
        .admin_as(Method::POST, &approve(&by_key), Some(&who.own), Some(&note))
        .await;
    assert_eq!(mine.status, 200, "{mine:?}");
    let admin = daemon
        .admin_as(Method::POST, &reject(&by_admin), Some(&who.admin), None)
        .await;
    assert_eq!(admin.status, 200, "{admin:?}");
    for (id, by) in [(&by_key, "key:own"), (&by_admin, "admin")] {
        let detail = daemon.admin_get(&format!("/admin/payments/{id}")).await;
        let history = detail.body["history"].as_array().unwrap().clone();
        let decision = history.iter().find(|h| h["from"] == "held").unwrap();
        assert_eq!(decision["actor"]["kind"], "operator");
        assert_eq!(decision["actor"]["by"], by, "{decision}");
    }

    // The other store's key: its answer for a real payment of store 5 is
    // byte for byte the answer for a payment that does not exist.
    let unknown = "pay_aaaaaaaaaaaaaaaaaaaaaaaaaa";
    for (method, path) in [
        (Method::GET, format!("/admin/payments/{by_other}")),
        (Method::POST, approve(&by_other)),
    ] {
        let real = daemon
            .admin_as(method.clone(), &path, Some(&who.other), None)
            .await;
        let fake = path.replace(&by_other, unknown);
        let fake = daemon.admin_as(method, &fake, Some(&who.other), None).await;
        assert_eq!(
            (real.status.as_u16(), &real.body),
            (404, &fake.body),
            "{path}"
        );
    }
    let unknown_store = daemon
        .admin_as(Method::GET, "/admin/stores/999", Some(&who.other), None)
        .await;
    let own_store = daemon
        .admin_as(
            Method::GET,
            &format!("/admin/stores/{OWN}"),
            Some(&who.other),
            None,
        )
        .await;
    assert_eq!(own_store.body, unknown_store.body);
    assert_eq!(
        daemon.version_and_state(&by_other).await.1,
        "held",
        "nothing changed"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_key_is_shown_once_survives_a_restart_and_fails_at_once_when_revoked() {
    let daemon = spawn_daemon(|_| {}).await;
    holding_store(&daemon, OWN).await;
    let key = daemon.store_key(OWN, "laptop").await;
    assert!(key.starts_with("cgk_") && key.len() >= 40, "{key}");
    let taken = daemon
        .admin_post(
            &format!("/admin/stores/{OWN}/keys"),
            &json!({"name": "laptop"}),
        )
        .await;
    assert_eq!(taken.status, 409);
    let bad_name = daemon
        .admin_post(
            &format!("/admin/stores/{OWN}/keys"),
            &json!({"name": "<b>x</b>"}),
        )
        .await;
    assert_eq!(bad_name.status, 400);
    let used = daemon
        .admin_as(
            Method::GET,
            &format!("/admin/stores/{OWN}"),
            Some(&key),
            None,
        )
        .await;
    assert_eq!(used.status, 200);

    let listed = daemon.admin_get(&format!("/admin/stores/{OWN}/keys")).await;
    let text = listed.body.to_string();
    assert!(!text.contains(&key), "the key is never listed: {text}");
    let entry = &listed.body["keys"][0];
    assert_eq!(entry["name"], "laptop");
    assert!(
        entry["created_at"].is_string() && entry["last_used_at"].is_string(),
        "{entry}"
    );

    let daemon = daemon.restart().await;
    let after = daemon
        .admin_as(
            Method::GET,
            &format!("/admin/stores/{OWN}"),
            Some(&key),
            None,
        )
        .await;
    assert_eq!(after.status, 200, "the key survives a restart");
    let listed = daemon.admin_get(&format!("/admin/stores/{OWN}/keys")).await;
    assert!(
        listed.body["keys"][0]["last_used_at"].is_string(),
        "last use was saved at the stop"
    );

    let revoked = daemon
        .admin_as(
            Method::DELETE,
            &format!("/admin/stores/{OWN}/keys/laptop"),
            Some(&daemon.admin_token),
            None,
        )
        .await;
    assert_eq!(revoked.status, 200);
    let next = daemon
        .admin_as(
            Method::GET,
            &format!("/admin/stores/{OWN}"),
            Some(&key),
            None,
        )
        .await;
    assert_eq!(next.status, 401, "a revoked key fails on its next request");
    let again = daemon
        .admin_as(
            Method::DELETE,
            &format!("/admin/stores/{OWN}/keys/laptop"),
            Some(&daemon.admin_token),
            None,
        )
        .await;
    assert_eq!(again.status, 404);
}

#[tokio::test(flavor = "multi_thread")]
async fn lists_page_by_cursor_past_what_one_page_holds() {
    let daemon = spawn_daemon(|_| {}).await;
    daemon.default_store().await;
    let mut made = Vec::new();
    for client in 1..=7 {
        let reply = daemon.check_simple(&client.to_string(), "100").await;
        made.push(reply.body["payment_id"].as_str().unwrap().to_owned());
    }
    let mut seen = Vec::new();
    let mut path = "/admin/payments?state=searching&limit=3".to_owned();
    let mut pages = 0;
    loop {
        let page = daemon.admin_get(&path).await;
        assert_eq!(page.status, 200, "{page:?}");
        pages += 1;
        for p in page.body["payments"].as_array().unwrap() {
            seen.push(p["id"].as_str().unwrap().to_owned());
        }
        match page.body["next_cursor"].as_str() {
            Some(next) => path = format!("/admin/payments?state=searching&limit=3&cursor={next}"),
            None => break,
        }
        assert!(pages < 10, "the pages never end");
    }
    made.sort();
    let mut sorted = seen.clone();
    sorted.sort();
    assert_eq!(sorted, made, "every payment once");
    assert!(pages >= 3);
    for bad in ["%00", "not-a-cursor!", "AAAA"] {
        let answer = daemon
            .admin_get(&format!("/admin/payments?state=held&cursor={bad}"))
            .await;
        assert_eq!(answer.status, 400, "{bad}: {answer:?}");
    }
}

/// The real binary, logging everything (`trace`, every crate): a key made,
/// used on the admin API and to sign in to the console, then revoked and
/// tried again, never appears in a log line — nor does the session it
/// opened.
#[tokio::test(flavor = "multi_thread")]
async fn store_keys_and_sessions_never_reach_the_log() {
    use crate::support::binary::Binary;
    use crate::support::console::{Console, hidden};
    cashgate::daemon::install_crypto_provider();
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("cashgate.toml");
    let data = dir.path().join("data");
    let settings = format!(
        "listen = \"127.0.0.1:0\"\ndata_dir = \"{}\"\n[log]\nfilter = \"trace\"\n",
        data.display()
    );
    std::fs::write(&config, settings).unwrap();
    let daemon = Binary::start(&config, &data);
    let admin = daemon.admin_token.clone();
    let call = |method: Method, path: &str, token: &str, body: Option<Value>| {
        let mut req = daemon
            .http
            .request(method, daemon.url(path))
            .bearer_auth(token);
        if let Some(body) = body {
            req = req.json(&body);
        }
        req.send()
    };
    let put = call(
        Method::PUT,
        "/admin/stores/5",
        &admin,
        Some(json!({"name": "Five", "currency_rate": "1", "ingest_token": "forwarder-token",
            "whmcs": {"api_url": "http://127.0.0.1:9", "identifier": "id", "secret": "whmcs-secret"}})),
    )
    .await
    .unwrap();
    assert!(put.status().is_success());
    let made: Value = call(
        Method::POST,
        "/admin/stores/5/keys",
        &admin,
        Some(json!({"name": "laptop"})),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let key = made["key"].as_str().unwrap().to_owned();
    assert_eq!(
        call(Method::GET, "/admin/stores/5", &key, None)
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(
        call(Method::GET, "/admin/payments?store_id=5", &key, None)
            .await
            .unwrap()
            .status(),
        200
    );

    let console = Console {
        base: daemon.base.clone(),
        http: crate::support::console::no_redirects(),
        session: None,
        csrf: None,
    };
    let form = console.get("/console/login").await;
    let login_cookie = form.cookie_pair("cashgate_login").unwrap();
    let csrf = hidden(&form.body, "csrf").unwrap();
    let signed = console
        .post_raw(
            "/console/login",
            &[("token", &key), ("csrf", &csrf)],
            Some(&login_cookie),
        )
        .await;
    assert_eq!(signed.status, 303);
    let session = signed.cookie_pair("cashgate_session").unwrap();
    let mut failed = Console {
        session: None,
        ..console
    };
    assert_eq!(failed.try_sign_in(&format!("{key}x")).await, 401);
    failed.session = Some(session.clone());
    assert_eq!(failed.get("/console").await.status, 200);

    let revoked = call(Method::DELETE, "/admin/stores/5/keys/laptop", &admin, None)
        .await
        .unwrap();
    assert_eq!(revoked.status(), 200);
    assert_eq!(
        call(Method::GET, "/admin/stores/5", &key, None)
            .await
            .unwrap()
            .status(),
        401
    );
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;

    let lines = daemon.log_lines();
    assert!(
        lines.len() > 20,
        "the log is being read: {} lines",
        lines.len()
    );
    assert!(
        lines.iter().any(|l| l.contains("store key created")),
        "the log names the key's creation"
    );
    let secret_parts = [
        key.as_str(),
        &key[4..],
        &key[20..40],
        session.split('=').nth(1).unwrap(),
    ];
    for line in &lines {
        for part in secret_parts {
            assert!(!line.contains(part), "a secret reached the log: {line}");
        }
    }
}
