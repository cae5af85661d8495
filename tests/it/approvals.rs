//! Approvals end to end: emails over real SMTP, scanner-safe pages, nonce
//! and cookie checks, decisions, races and the approval window.

use std::time::Duration;

use serde_json::json;

use crate::support::api::STORE;
use crate::support::approvals::{open_page, post_form, read_email};
use crate::support::daemon::{TestDaemon, spawn_daemon};
use crate::support::smtp::SmtpServer;

const APPROVERS: [&str; 2] = ["owner@example.com", "partner@example.com"];

/// A store that holds every new phone, with two approvers.
async fn holding_store(daemon: &TestDaemon) {
    let a = daemon
        .put_store(
            STORE,
            json!({"name": "Example Hosting", "currency_rate": "50.50", "currency_label": "USD",
            "anti_spam": {"enabled": true, "approvers": APPROVERS, "hold_new_phone": true}}),
        )
        .await;
    assert!(a.status.is_success(), "{a:?}");
}

/// A held payment claiming transaction `trans_id`; returns its id.
async fn held_payment(daemon: &TestDaemon, trans_id: &str, client: &str) -> String {
    daemon.ingest_tx(trans_id, "01012345678", "100").await;
    let reply = daemon.check_simple(client, "100").await;
    assert_eq!(reply.body["state"], "held", "{:?}", reply.body);
    reply.body["payment_id"].as_str().unwrap().to_owned()
}

async fn with_smtp(smtp: &SmtpServer) -> TestDaemon {
    let url = smtp.url();
    spawn_daemon(move |s| {
        s.mail.smtp_url = Some(cashgate::domain::Secret::new(url));
        s.mail.retry_base_ms = 50;
    })
    .await
}

#[tokio::test(flavor = "multi_thread")]
async fn an_emailed_link_survives_scanners_and_only_the_humans_post_decides() {
    let smtp = SmtpServer::start();
    let daemon = with_smtp(&smtp).await;
    holding_store(&daemon).await;
    let id = held_payment(&daemon, "014412345678", "42").await;

    let messages = tokio::task::spawn_blocking(move || smtp.wait_for(2, Duration::from_secs(10)))
        .await
        .unwrap();
    assert_eq!(messages.len(), 2, "one email per approver");
    let emails: Vec<_> = messages.iter().map(read_email).collect();
    let mut recipients: Vec<String> = emails.iter().flat_map(|e| e.to.clone()).collect();
    recipients.sort();
    assert_eq!(recipients, vec!["owner@example.com", "partner@example.com"]);
    for email in &emails {
        for needle in [
            "014412345678",
            "01012345678",
            "100.00",
            "1.98 USD",
            "42",
            "first payment from this phone",
        ] {
            assert!(email.text.contains(needle), "text part lacks {needle}");
            assert!(email.html.contains(needle), "HTML part lacks {needle}");
        }
        assert!(
            email.link.starts_with(&daemon.url("/approvals/")),
            "{}",
            email.link
        );
    }
    let link = emails
        .iter()
        .find(|e| e.to[0] == "owner@example.com")
        .unwrap()
        .link
        .clone();

    // Mail scanners fetch the link, some many times, some with HEAD.
    let before = daemon.version_and_state(&id).await;
    for _ in 0..5 {
        let scanned = open_page(&link, None).await;
        assert_eq!(scanned.status, 200);
        assert!(scanned.body.contains(r#"<form method="post">"#));
    }
    let head = daemon.http.head(&link).send().await.unwrap();
    assert_eq!(head.status(), 200);
    assert_eq!(
        daemon.version_and_state(&id).await,
        before,
        "no GET or HEAD changed anything"
    );
    assert_eq!(before.1, "held");

    // The human opens the page and approves.
    let page = open_page(&link, None).await;
    let set_cookie = page.set_cookie.clone().unwrap();
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/approvals/"] {
        assert!(set_cookie.contains(attribute), "{set_cookie}");
    }
    let nonce = page.nonce.clone().unwrap();
    let (status, location) = post_form(
        &link,
        page.cookie.as_deref(),
        &[
            ("decision", "approve"),
            ("nonce", &nonce),
            ("note", "I know her"),
        ],
    )
    .await;
    assert_eq!(status, 303);
    assert!(link.ends_with(&location.unwrap()));
    // Approved: on to crediting, and (the WHMCS emulator answering) credited.
    let credited = daemon.poll(&id, "?wait=5&state=crediting").await;
    assert_eq!(credited.body["state"], "credited");
    let (version, state) = daemon.version_and_state(&id).await;
    let detail = daemon.admin_get(&format!("/admin/payments/{id}")).await;
    let history = detail.body["history"].as_array().unwrap().clone();
    let decision = history
        .iter()
        .find(|h| h["from"] == "held")
        .unwrap()
        .clone();
    assert_eq!(decision["to"], "crediting");
    assert_eq!(decision["event"], "approve");
    assert_eq!(decision["actor"]["kind"], "approver");
    assert_eq!(decision["actor"]["email"], "owner@example.com");
    assert_eq!(decision["actor"]["ip"], "127.0.0.1");
    assert_eq!(decision["reason"], "I know her");

    // A second POST changes nothing and shows who decided.
    let (again, _) = post_form(
        &link,
        page.cookie.as_deref(),
        &[("decision", "reject"), ("nonce", &nonce)],
    )
    .await;
    assert_eq!(again, 409);
    assert_eq!(daemon.version_and_state(&id).await, (version, state));
    let shown = open_page(&link, None).await;
    assert!(
        shown.body.contains("owner@example.com") && shown.body.contains("approve"),
        "who decided what"
    );
    assert!(!shown.body.contains("<form"), "no form once decided");
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_tokens_and_bad_nonces_get_4xx_pages_and_change_nothing() {
    let daemon = spawn_daemon(|_| {}).await;
    holding_store(&daemon).await;
    let id = held_payment(&daemon, "014412345678", "42").await;
    let link = daemon.approval_link(&id, "owner@example.com").await;
    let before = daemon.version_and_state(&id).await;
    let page = open_page(&link, None).await;
    let nonce = page.nonce.clone().unwrap();
    let cookie = page.cookie.clone().unwrap();

    let mut tampered = link.clone();
    let last = tampered.pop().unwrap();
    tampered.push(if last == 'A' { 'B' } else { 'A' });
    assert_eq!(open_page(&tampered, None).await.status, 400);
    let (status, _) = post_form(
        &tampered,
        Some(&cookie),
        &[("decision", "approve"), ("nonce", &nonce)],
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(
        open_page(&daemon.url("/approvals/nonsense"), None)
            .await
            .status,
        400
    );

    // Missing cookie, missing nonce, a nonce of another page, a forged one.
    let other = held_payment(&daemon, "014412345679", "43").await;
    let other_link = daemon.approval_link(&other, "owner@example.com").await;
    let other_page = open_page(&other_link, None).await;
    let cases: [(Option<&str>, Option<&str>); 5] = [
        (None, Some(&nonce)),
        (Some(&cookie), None),
        (other_page.cookie.as_deref(), other_page.nonce.as_deref()),
        (Some(&cookie), other_page.nonce.as_deref()),
        (Some("cashgate_nonce=forged.forged"), Some("forged.forged")),
    ];
    for (cookie, nonce) in cases {
        let mut fields = vec![("decision", "approve")];
        if let Some(nonce) = nonce {
            fields.push(("nonce", nonce));
        }
        let (status, _) = post_form(&link, cookie, &fields).await;
        assert_eq!(status, 403, "cookie {cookie:?} nonce {nonce:?}");
    }
    let (status, _) = post_form(
        &link,
        Some(&cookie),
        &[("decision", "maybe"), ("nonce", &nonce)],
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(
        daemon.version_and_state(&id).await,
        before,
        "nothing changed"
    );

    // A token for a version the payment moved on from.
    daemon
        .admin_post(&format!("/admin/payments/{id}/approve"), &json!({}))
        .await;
    let credited = daemon.poll(&id, "?wait=5&state=crediting").await;
    assert_eq!(credited.body["state"], "credited");
    let moved = daemon.version_and_state(&id).await;
    let (status, _) = post_form(
        &link,
        Some(&cookie),
        &[("decision", "reject"), ("nonce", &nonce)],
    )
    .await;
    assert_eq!(status, 409);
    assert_eq!(daemon.version_and_state(&id).await, moved);
    assert!(
        open_page(&link, None).await.body.contains("an operator"),
        "shows who decided"
    );

    // An expired token.
    let expiring = held_payment(&daemon, "014412345670", "44").await;
    let expiring_link = daemon.approval_link(&expiring, "owner@example.com").await;
    daemon.clock.advance(jiff::SignedDuration::from_hours(49));
    assert_eq!(open_page(&expiring_link, None).await.status, 400);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_scanners_get_after_the_humans_get_does_not_break_the_humans_post() {
    let daemon = spawn_daemon(|_| {}).await;
    holding_store(&daemon).await;
    let id = held_payment(&daemon, "014412345678", "42").await;
    let link = daemon.approval_link(&id, "partner@example.com").await;
    let human = open_page(&link, None).await;
    // The scanner fetches (its own cookie jar), and the human opens a
    // second tab, whose cookie now carries both nonces.
    open_page(&link, None).await;
    let second_tab = open_page(&link, human.cookie.as_deref()).await;
    let (status, _) = post_form(
        &link,
        second_tab.cookie.as_deref(),
        &[
            ("decision", "reject"),
            ("nonce", human.nonce.as_deref().unwrap()),
        ],
    )
    .await;
    assert_eq!(status, 303, "the first tab's form still works");
    assert_eq!(daemon.version_and_state(&id).await.1, "rejected");
}

/// Finding 3: a rejected claim's transaction waits for an operator; the
/// attacker cannot win it back by checking again.
#[tokio::test(flavor = "multi_thread")]
async fn a_rejection_leaves_the_transaction_to_an_operator_not_to_a_new_check() {
    let daemon = spawn_daemon(|_| {}).await;
    holding_store(&daemon).await;
    let id = held_payment(&daemon, "014412345678", "666").await;
    let link = daemon.approval_link(&id, "owner@example.com").await;
    let page = open_page(&link, None).await;
    let (status, _) = post_form(
        &link,
        page.cookie.as_deref(),
        &[
            ("decision", "reject"),
            ("nonce", page.nonce.as_deref().unwrap()),
        ],
    )
    .await;
    assert_eq!(status, 303);
    assert_eq!(daemon.version_and_state(&id).await.1, "rejected");
    let again = daemon.check_simple("667", "100").await;
    assert_eq!(again.body["state"], "searching");
    assert_eq!(again.body["transaction_id"], serde_json::Value::Null);
    let waiting = daemon.admin_get("/admin/transactions/awaiting").await;
    assert_eq!(waiting.body["transactions"][0]["trans_id"], "014412345678");
}

#[tokio::test(flavor = "multi_thread")]
async fn approve_racing_reject_ends_in_exactly_one_outcome_every_time() {
    let daemon = spawn_daemon(|_| {}).await;
    holding_store(&daemon).await;
    for round in 0..100u32 {
        let id = held_payment(
            &daemon,
            &format!("race{round:05}"),
            &format!("{}", 1000 + round),
        )
        .await;
        let approve_link = daemon.approval_link(&id, "owner@example.com").await;
        let reject_link = daemon.approval_link(&id, "partner@example.com").await;
        let a = open_page(&approve_link, None).await;
        let r = open_page(&reject_link, None).await;
        let (a_cookie, a_nonce) = (a.cookie.unwrap(), a.nonce.unwrap());
        let (r_cookie, r_nonce) = (r.cookie.unwrap(), r.nonce.unwrap());
        let approve = tokio::spawn(async move {
            post_form(
                &approve_link,
                Some(&a_cookie),
                &[("decision", "approve"), ("nonce", &a_nonce)],
            )
            .await
            .0
        });
        let reject = tokio::spawn(async move {
            post_form(
                &reject_link,
                Some(&r_cookie),
                &[("decision", "reject"), ("nonce", &r_nonce)],
            )
            .await
            .0
        });
        let (approved, rejected) = (approve.await.unwrap(), reject.await.unwrap());
        let detail = daemon.admin_get(&format!("/admin/payments/{id}")).await;
        let history = detail.body["history"].as_array().unwrap().clone();
        let decisions: Vec<&str> = history
            .iter()
            .filter(|h| h["from"] == "held")
            .map(|h| h["event"].as_str().unwrap())
            .collect();
        match (approved.as_u16(), rejected.as_u16()) {
            (303, 409) => assert_eq!(decisions, vec!["approve"], "round {round}"),
            (409, 303) => {
                assert_eq!(decisions, vec!["reject"], "round {round}");
                assert_eq!(detail.body["state"], "rejected", "round {round}");
            }
            other => panic!("round {round}: {other:?}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_approval_window_expires_a_held_payment_across_a_restart() {
    let daemon = spawn_daemon(|_| {}).await;
    holding_store(&daemon).await;
    let id = held_payment(&daemon, "014412345678", "666").await;
    daemon.clock.advance(jiff::SignedDuration::from_hours(47));
    let daemon = daemon.restart().await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(daemon.version_and_state(&id).await.1, "held");
    let parked = daemon.stop().await;
    let clock = parked.clock.clone();
    clock.advance(jiff::SignedDuration::from_hours(2));
    let daemon = parked.start().await;
    let expired = daemon.poll(&id, "?wait=5&state=held").await;
    assert_eq!(expired.body["state"], "expired");
    let history = daemon
        .admin_get(&format!("/admin/payments/{id}"))
        .await
        .body["history"]
        .clone();
    assert_eq!(
        history.as_array().unwrap().last().unwrap()["event"],
        "approval_window_over"
    );
    // No decision in time: the transaction waits for an operator, and a
    // fresh check (the attacker's again, or anyone's) does not take it.
    let again = daemon.check_simple("666", "100").await;
    assert_eq!(again.body["transaction_id"], serde_json::Value::Null);
    let owner = daemon.check_simple("42", "100").await;
    assert_eq!(owner.body["state"], "searching");
    let waiting = daemon.admin_get("/admin/transactions/awaiting").await;
    let listed = &waiting.body["transactions"][0];
    assert_eq!(listed["trans_id"], "014412345678");
    assert_eq!(listed["awaiting_operator"]["ended_in"], "expired");
}

#[tokio::test(flavor = "multi_thread")]
async fn without_smtp_the_emails_are_eml_files_in_the_data_folder() {
    let daemon = spawn_daemon(|_| {}).await;
    holding_store(&daemon).await;
    held_payment(&daemon, "014412345678", "42").await;
    let mail_dir = daemon.dir.path().join("mail");
    let mut files = Vec::new();
    for _ in 0..100 {
        files = std::fs::read_dir(&mail_dir)
            .map(|d| d.filter_map(Result::ok).map(|e| e.path()).collect())
            .unwrap_or_default();
        if files.len() >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(files.len(), 2, "{files:?}");
    assert!(
        files
            .iter()
            .all(|f| f.extension().is_some_and(|e| e == "eml"))
    );
    let raw = std::fs::read(&files[0]).unwrap();
    let email = read_email(&crate::support::smtp::Received {
        from: String::new(),
        to: vec!["x".into()],
        data: raw,
    });
    assert!(email.link.contains("/approvals/v1."));
}

/// The held transition is durable with its outbox entry before any email
/// leaves: the daemon is SIGKILLed while its SMTP server is unreachable
/// (the send failed and waits for a retry), and after a restart with the
/// server up, the email is sent.
#[tokio::test(flavor = "multi_thread")]
async fn an_email_pending_when_the_daemon_is_killed_is_sent_after_a_restart() {
    use crate::support::binary::Binary;
    cashgate::daemon::install_crypto_provider();
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let config = dir.path().join("cashgate.toml");
    let data = dir.path().join("data");
    std::fs::write(
        &config,
        format!(
            "listen = \"127.0.0.1:0\"\ndata_dir = \"{}\"\ncheck_wait_ms = 100\n[mail]\nsmtp_url = \"smtp://127.0.0.1:{port}\"\nretry_base_ms = 100\nretry_max_ms = 300\n[workers]\npoll_interval_ms = 50\n",
            data.display()
        ),
    )
    .unwrap();
    let daemon = Binary::start(&config, &data);
    let admin = daemon.admin_token.clone();
    // Nothing is credited here: the WHMCS URL is never called.
    let store = json!({"name": "Five", "currency_rate": "1", "ingest_token": "tok",
        "whmcs": {"api_url": "http://127.0.0.1:9", "identifier": "i", "secret": "s"},
        "anti_spam": {"enabled": true, "approvers": ["owner@example.com"]}});
    let put = daemon
        .http
        .put(daemon.url("/admin/stores/5"))
        .bearer_auth(&admin)
        .json(&store)
        .send()
        .await
        .unwrap();
    assert!(put.status().is_success());
    let tx = json!({"trans_id": "014412345678", "phone": "01012345678", "amount": "100"});
    daemon
        .http
        .post(daemon.url("/api/stores/5/transactions"))
        .bearer_auth("tok")
        .json(&tx)
        .send()
        .await
        .unwrap();
    let check: serde_json::Value =
        daemon
            .http
            .get(daemon.url(
                "/api/payment_link_check?store_id=5&phone=01012345678&amount=100&client_id=42",
            ))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
    assert_eq!(check["state"], "held");
    let id = check["payment_id"].as_str().unwrap().to_owned();
    // Wait until a send was tried and failed (nothing was delivered).
    let mut tries = 0;
    for _ in 0..200 {
        let detail: serde_json::Value = daemon
            .http
            .get(daemon.url(&format!("/admin/payments/{id}")))
            .bearer_auth(&admin)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        tries = detail["outbox"][0]["tries"].as_u64().unwrap_or(0);
        if tries > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(tries > 0, "the email was tried while SMTP was down");
    daemon.kill();

    let smtp = SmtpServer::start_on(std::net::TcpListener::bind(("127.0.0.1", port)).unwrap());
    let restarted = Binary::start(&config, &data);
    let messages = tokio::task::spawn_blocking(move || smtp.wait_for(1, Duration::from_secs(15)))
        .await
        .unwrap();
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0].to, vec!["owner@example.com"]);
    assert_eq!(messages[0].from, "cashgate@localhost");
    let email = read_email(&messages[0]);
    assert!(
        email.link.starts_with(&restarted.url("/approvals/")),
        "{}",
        email.link
    );
    restarted.kill();
}
