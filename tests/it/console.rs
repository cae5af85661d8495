//! The console over HTTP, as a browser uses it: sign-in and its cookie,
//! what a store key sees and cannot see, actions at the version a page
//! showed, CSRF, sign-out, idle expiry, revoked keys, the sign-in limit,
//! store settings with write-only secrets, times in the store's zone.

use reqwest::Method;
use serde_json::json;

use crate::support::console::{Console, hidden};
use crate::support::daemon::spawn_daemon;

const OWN: &str = "5";
const OTHER: &str = "6";

#[tokio::test(flavor = "multi_thread")]
async fn a_store_key_signs_in_and_sees_its_own_store_only() {
    let daemon = spawn_daemon(|_| {}).await;
    daemon.holding_store(OWN).await;
    daemon.holding_store(OTHER).await;
    let mine = daemon.held_in(OWN, 1).await;
    let theirs = daemon.held_in(OTHER, 2).await;
    let key = daemon.store_key(OWN, "laptop").await;

    let mut console = Console::anonymous(&daemon);
    let signed_out = console.get("/console").await;
    assert_eq!(signed_out.status, 401, "the sign-in page");
    assert!(signed_out.body.contains(r#"name="token""#));
    assert_eq!(console.try_sign_in(&key).await, 303);
    let session = console.session.clone().expect("a session cookie");
    assert!(!session.contains(&key), "the cookie is not the key");
    let console = Console::sign_in(&daemon, &key).await;
    let overview = console.get("/console").await;
    for header in [
        "content-security-policy",
        "x-frame-options",
        "x-content-type-options",
    ] {
        assert!(overview.headers.contains_key(header), "{header}");
    }
    let csp = overview.headers["content-security-policy"]
        .to_str()
        .unwrap();
    assert!(
        csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
        "{csp}"
    );
    assert!(overview.body.contains("Store 5") && !overview.body.contains("Store 6"));
    assert!(overview.body.contains("key:laptop"));
    assert!(
        !overview.body.contains("Outbox"),
        "the outbox is every store's: admin only"
    );

    let queue = console.get("/console/queues/held").await;
    assert!(
        queue.body.contains(&mine) && !queue.body.contains(&theirs),
        "{}",
        queue.body
    );
    assert_eq!(
        console
            .get(&format!("/console/payments/{mine}"))
            .await
            .status,
        200
    );
    for path in [
        format!("/console/payments/{theirs}"),
        "/console/payments/pay_aaaaaaaaaaaaaaaaaaaaaaaaaa".to_owned(),
        format!("/console/queues/held?store={OTHER}"),
        format!("/console/stores/{OTHER}"),
        format!("/console/transactions?store={OTHER}"),
        format!("/console/quarantine?store={OTHER}"),
        format!("/console/search?q={theirs}&store={OTHER}"),
    ] {
        assert_eq!(console.get(&path).await.status, 404, "{path}");
    }
    let search = console.get(&format!("/console/search?q={theirs}")).await;
    assert_eq!(search.status, 200);
    assert!(
        !search.body.contains(&format!("/console/payments/{theirs}")),
        "another store's payment is no result"
    );
    let found = console.get("/console/search?q=01012345678").await;
    assert!(
        found.body.contains(&format!("/console/payments/{mine}")),
        "by phone"
    );
    let by_client = console.get("/console/search?q=101").await;
    assert!(
        by_client
            .body
            .contains(&format!("/console/payments/{mine}")),
        "by client id"
    );
    let by_trans = console.get("/console/search?q=014400000001").await;
    assert!(
        by_trans.body.contains(&format!("/console/payments/{mine}")),
        "by trans_id"
    );

    let admin = Console::sign_in(&daemon, &daemon.admin_token).await;
    let all = admin.get("/console").await.body;
    assert!(all.contains("Store 5") && all.contains("Store 6") && all.contains("Outbox"));
}

#[tokio::test(flavor = "multi_thread")]
async fn an_action_goes_through_the_machine_at_the_version_the_page_showed() {
    let daemon = spawn_daemon(|_| {}).await;
    daemon.holding_store(OWN).await;
    let id = daemon.held_in(OWN, 1).await;
    let key = daemon.store_key(OWN, "desk").await;
    let console = Console::sign_in(&daemon, &key).await;
    let page = console.get(&format!("/console/payments/{id}")).await;
    let version = hidden(&page.body, "version").expect("the form carries the version");
    assert!(
        page.body.contains(r#"formaction="/console/payments/"#) || page.body.contains("/approve")
    );
    assert!(
        !page.body.contains("/mark_credited\""),
        "held has no mark_credited edge"
    );

    let approved = console
        .post(
            &format!("/console/payments/{id}/approve"),
            &[("version", &version), ("note", "known customer")],
        )
        .await;
    assert_eq!(approved.status, 303, "{}", approved.body);
    assert_eq!(
        approved.location(),
        Some(format!("/console/payments/{id}").as_str())
    );
    let credited = daemon.poll(&id, "?wait=5&state=crediting").await;
    assert_eq!(credited.body["state"], "credited");
    let detail = daemon.admin_get(&format!("/admin/payments/{id}")).await;
    let history = detail.body["history"].as_array().unwrap().clone();
    let decision = history.iter().find(|h| h["event"] == "approve").unwrap();
    assert_eq!(decision["actor"]["by"], "key:desk");
    assert_eq!(decision["reason"], "known customer");

    let (version_now, state) = daemon.version_and_state(&id).await;
    let stale = console
        .post(
            &format!("/console/payments/{id}/reject"),
            &[("version", &version)],
        )
        .await;
    assert_eq!(stale.status, 409, "the payment moved on");
    assert!(stale.body.contains(&format!("/console/payments/{id}")));
    let current = version_now.to_string();
    let refused = console
        .post(
            &format!("/console/payments/{id}/reject"),
            &[("version", &current)],
        )
        .await;
    assert_eq!(refused.status, 409, "credited has no reject edge");
    assert_eq!(daemon.version_and_state(&id).await, (version_now, state));
    let shown = console.get(&format!("/console/payments/{id}")).await.body;
    assert!(
        shown.contains("known customer") && shown.contains("an operator (key:desk)"),
        "{shown}"
    );
    assert!(
        shown.contains("WHMCS added the credit"),
        "the timeline in words"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn forms_without_their_session_s_token_change_nothing() {
    let daemon = spawn_daemon(|_| {}).await;
    daemon.holding_store(OWN).await;
    let id = daemon.held_in(OWN, 1).await;
    let key = daemon.store_key(OWN, "desk").await;
    let console = Console::sign_in(&daemon, &key).await;
    let other = Console::sign_in(&daemon, &daemon.admin_token).await;
    let path = format!("/console/payments/{id}/reject");
    let before = daemon.version_and_state(&id).await;
    let version = before.0.to_string();
    let session = console.session.as_deref();
    let other_csrf = other.csrf.clone().unwrap();
    /// What is wrong, the form, the cookie sent, the status expected.
    type Case<'a> = (&'a str, Vec<(&'a str, &'a str)>, Option<&'a str>, u16);
    let cases: Vec<Case> = vec![
        ("no token", vec![("version", &version)], session, 403),
        (
            "empty token",
            vec![("version", &version), ("csrf", "")],
            session,
            403,
        ),
        (
            "another session's token",
            vec![("version", &version), ("csrf", &other_csrf)],
            session,
            403,
        ),
        (
            "a made-up token",
            vec![("version", &version), ("csrf", "AAAA")],
            session,
            403,
        ),
        (
            "no session",
            vec![
                ("version", &version),
                ("csrf", console.csrf.as_deref().unwrap()),
            ],
            None,
            401,
        ),
        (
            "a forged session",
            vec![
                ("version", &version),
                ("csrf", console.csrf.as_deref().unwrap()),
            ],
            Some("cashgate_session=forged"),
            401,
        ),
    ];
    for (what, fields, cookie, status) in cases {
        let answer = console.post_raw(&path, &fields, cookie).await;
        assert_eq!(answer.status.as_u16(), status, "{what}: {}", answer.body);
    }
    assert_eq!(
        daemon.version_and_state(&id).await,
        before,
        "nothing changed"
    );
    let logout = console.post_raw("/console/logout", &[], session).await;
    assert_eq!(logout.status, 403, "sign-out needs the token too");
    assert_eq!(console.get("/console").await.status, 200, "still signed in");
}

#[tokio::test(flavor = "multi_thread")]
async fn sign_out_idle_time_and_revoked_keys_end_sessions() {
    let daemon = spawn_daemon(|s| s.console.session_idle_ms = 60_000).await;
    daemon.holding_store(OWN).await;
    let key = daemon.store_key(OWN, "desk").await;

    let console = Console::sign_in(&daemon, &key).await;
    let out = console.post("/console/logout", &[]).await;
    assert_eq!(out.status, 303);
    assert!(
        out.set_cookies()
            .iter()
            .any(|c| c.starts_with("cashgate_session=;") && c.contains("Max-Age=0"))
    );
    assert_eq!(
        console.get("/console").await.status,
        401,
        "the old cookie opens nothing"
    );
    let again = console.post("/console/logout", &[]).await;
    assert_eq!(again.status, 401);

    let idle = Console::sign_in(&daemon, &key).await;
    daemon.clock.advance(jiff::SignedDuration::from_secs(50));
    assert_eq!(idle.get("/console").await.status, 200);
    daemon.clock.advance(jiff::SignedDuration::from_secs(50));
    assert_eq!(
        idle.get("/console").await.status,
        200,
        "idle time counts from the last request"
    );
    daemon.clock.advance(jiff::SignedDuration::from_secs(61));
    assert_eq!(idle.get("/console").await.status, 401, "idle too long");

    let revoked = Console::sign_in(&daemon, &key).await;
    let gone = daemon
        .admin_as(
            Method::DELETE,
            &format!("/admin/stores/{OWN}/keys/desk"),
            Some(&daemon.admin_token),
            None,
        )
        .await;
    assert_eq!(gone.status, 200);
    assert_eq!(
        revoked.get("/console").await.status,
        401,
        "a revoked key's session ends"
    );
    let mut retry = Console::anonymous(&daemon);
    assert_eq!(retry.try_sign_in(&key).await, 401);
}

#[tokio::test(flavor = "multi_thread")]
async fn sign_in_sets_a_strict_cookie_and_failed_attempts_are_limited_per_address() {
    let daemon = spawn_daemon(|s| {
        s.public_url = Some("https://pay.example.com".into());
        s.limits.sign_ins_per_minute_per_ip = 4;
    })
    .await;
    let console = Console::anonymous(&daemon);
    let form = console.get("/console/login").await;
    let login = form.set_cookies().join(" | ");
    assert!(
        login.contains("HttpOnly") && login.contains("SameSite=Strict") && login.contains("Secure"),
        "{login}"
    );
    let csrf = form.csrf().unwrap();
    let forged = console
        .post_raw(
            "/console/login",
            &[("token", &daemon.admin_token), ("csrf", &csrf)],
            None,
        )
        .await;
    assert_eq!(
        forged.status, 403,
        "a sign-in without the form's cookie (login CSRF)"
    );
    let mut fresh = Console::anonymous(&daemon);
    let form = fresh.get("/console/login").await;
    let pair = form.cookie_pair("cashgate_login").unwrap();
    let answer = fresh
        .post_raw(
            "/console/login",
            &[
                ("token", &daemon.admin_token),
                ("csrf", &form.csrf().unwrap()),
            ],
            Some(&pair),
        )
        .await;
    let session = answer
        .set_cookies()
        .into_iter()
        .find(|c| c.starts_with("cashgate_session="))
        .unwrap_or_default();
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/console", "Secure"] {
        assert!(session.contains(attribute), "{attribute}: {session}");
    }
    for _ in 0..2 {
        assert_eq!(
            fresh
                .try_sign_in("wrong-token-wrong-token-wrong-token")
                .await,
            401
        );
    }
    assert_eq!(
        fresh.try_sign_in(&daemon.admin_token).await,
        429,
        "the right token waits too"
    );
    let limited = fresh.get("/console/login").await;
    assert_eq!(limited.status, 200, "the form still shows");
}

#[tokio::test(flavor = "multi_thread")]
async fn store_settings_are_edited_with_secrets_write_only() {
    let daemon = spawn_daemon(|_| {}).await;
    daemon.holding_store(OWN).await;
    let key = daemon.store_key(OWN, "desk").await;
    let console = Console::sign_in(&daemon, &key).await;
    let page = console.get(&format!("/console/stores/{OWN}")).await;
    assert_eq!(page.status, 200);
    assert!(
        !page.body.contains(crate::support::api::INGEST_TOKEN),
        "secrets are never shown"
    );
    assert!(!page.body.contains(crate::support::whmcs::SECRET));
    assert!(page.body.contains(r#"data-set="true""#));

    let save = |name: &'static str, rate: &'static str, zone: &'static str| {
        vec![
            ("name", name),
            ("currency_rate", rate),
            ("currency_label", "USD"),
            ("time_zone", zone),
            ("search_window", "30m"),
            ("whmcs_api_url", "http://127.0.0.1:9"),
            ("whmcs_identifier", "ident"),
            ("anti_spam_enabled", "on"),
            ("approvers", "owner@example.com\nsecond@example.com"),
            ("hold_new_phone", "on"),
            ("approval_window", "24h"),
            ("approver_lang", "ar"),
            ("check_ips", "203.0.113.10"),
        ]
    };
    let saved = console
        .post(
            &format!("/console/stores/{OWN}"),
            &save("Renamed", "50.50", "Asia/Dubai"),
        )
        .await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    let shown = daemon.admin_get(&format!("/admin/stores/{OWN}")).await.body;
    assert_eq!(shown["name"], "Renamed");
    assert_eq!(shown["currency_rate"], "50.50");
    assert_eq!(shown["time_zone"], "Asia/Dubai");
    assert_eq!(
        shown["anti_spam"]["approvers"],
        json!(["owner@example.com", "second@example.com"])
    );
    assert_eq!(shown["anti_spam"]["approver_lang"], "ar");
    assert_eq!(shown["anti_spam"]["hold_shared_phone"], false, "unchecked");
    assert_eq!(shown["check_ips"], json!(["203.0.113.10"]));
    assert_eq!(
        shown["whmcs"]["secret_set"], true,
        "a blank secret keeps the stored one"
    );
    let tx = daemon.ingest_tx("014499999999", "01012345678", "77").await;
    assert_eq!(tx.status, 201, "the forwarder's token was kept");

    for (rate, zone) in [
        ("0", "Africa/Cairo"),
        ("50", "Mars/Olympus"),
        ("abc", "UTC"),
    ] {
        let refused = console
            .post(
                &format!("/console/stores/{OWN}"),
                &save("Broken", rate, zone),
            )
            .await;
        assert_eq!(refused.status, 422, "{rate} {zone}");
        assert!(refused.body.contains("role=\"alert\""));
    }
    assert_eq!(
        daemon.admin_get(&format!("/admin/stores/{OWN}")).await.body["name"],
        "Renamed"
    );

    let mut with_secret = save("Renamed", "50.50", "UTC");
    with_secret.push(("ingest_token", "new-forwarder-token"));
    assert_eq!(
        console
            .post(&format!("/console/stores/{OWN}"), &with_secret)
            .await
            .status,
        303
    );
    let old = daemon.ingest_tx("014499999998", "01012345678", "78").await;
    assert_eq!(old.status, 401, "the token was replaced");

    let created = console
        .post("/console/stores/99", &save("New", "1", "UTC"))
        .await;
    assert_eq!(created.status, 404, "a store key creates no store");
    let admin = Console::sign_in(&daemon, &daemon.admin_token).await;
    let incomplete = admin
        .post("/console/stores/99", &save("New", "1", "UTC"))
        .await;
    assert_eq!(incomplete.status, 422, "a new store needs its WHMCS secret");
    assert!(incomplete.body.contains("whmcs"), "{}", incomplete.body);
    assert_eq!(daemon.admin_get("/admin/stores/99").await.status, 404);
    let mut complete = save("New", "1", "UTC");
    complete.push(("whmcs_secret", "new-store-secret"));
    complete.push(("ingest_token", "new-store-forwarder"));
    let made = admin.post("/console/stores/99", &complete).await;
    assert_eq!(made.status, 303, "{}", made.body);
    assert_eq!(
        daemon.admin_get("/admin/stores/99").await.body["name"],
        "New"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_preflight_ticks_the_go_live_checklist() {
    let daemon = spawn_daemon(|_| {}).await;
    daemon.holding_store(OWN).await;
    let key = daemon.store_key(OWN, "desk").await;
    let console = Console::sign_in(&daemon, &key).await;
    let before = console.get(&format!("/console/stores/{OWN}")).await.body;
    assert!(before.contains("not checked yet"));
    let page = console
        .post(&format!("/console/stores/{OWN}/preflight"), &[])
        .await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body.contains("WHMCS accepts every call"),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("AddCredit permission") && page.body.contains("GetCredits permission")
    );
    assert!(
        page.body.contains(r#"class="bad""#),
        "no transfer arrived yet: that item fails"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn times_read_in_the_store_s_zone_and_hostile_text_is_escaped() {
    let daemon = spawn_daemon(|_| {}).await;
    let store = json!({"name": "<script>alert('store')</script>", "time_zone": "Asia/Dubai",
        "anti_spam": {"enabled": true, "approvers": ["owner@example.com"]}});
    assert!(daemon.put_store(OWN, store).await.status.is_success());
    let id = daemon.held_in(OWN, 1).await;
    let note = json!({"note": "<img src=x onerror=alert(1)>"});
    let rejected = daemon
        .admin_post(&format!("/admin/payments/{id}/reject"), &note)
        .await;
    assert_eq!(rejected.status, 200);

    let admin = Console::sign_in(&daemon, &daemon.admin_token).await;
    for path in [
        format!("/console/payments/{id}"),
        "/console".to_owned(),
        "/console/stores".to_owned(),
    ] {
        let body = admin.get(&path).await.body;
        assert!(
            !body.contains("<script>alert") && !body.contains("<img src=x"),
            "{path}: {body}"
        );
    }
    let detail = admin.get(&format!("/console/payments/{id}")).await.body;
    assert!(
        detail.contains("&lt;img src=x onerror=alert(1)&gt;"),
        "{detail}"
    );
    let created: jiff::Timestamp = daemon
        .admin_get(&format!("/admin/payments/{id}"))
        .await
        .body["created_at"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let dubai = cashgate::domain::TimeZoneName::parse("Asia/Dubai").unwrap();
    let local = cashgate::locale::date_time(created, dubai.zone(), cashgate::domain::Lang::En);
    assert!(detail.contains(&local), "{local} in {detail}");
    let arabic = admin.get(&format!("/console/payments/{id}?lang=ar")).await;
    assert!(arabic.body.contains(r#"dir="rtl""#) && arabic.body.contains("مرفوضة"));
    let remembered = arabic.cookie_pair("cashgate_lang").unwrap();
    assert_eq!(remembered, "cashgate_lang=ar");
}
