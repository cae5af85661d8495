//! Request limits over HTTP: 429 with Retry-After, nothing changed;
//! X-Forwarded-For believed only from trusted proxies; a store's check_ips
//! skip the per-IP limit but not the others.

use serde_json::json;

use crate::support::api::STORE;
use crate::support::daemon::{TestDaemon, spawn_daemon};

async fn check_from(daemon: &TestDaemon, client: &str, xff: Option<&str>) -> reqwest::Response {
    let mut req = daemon
        .http
        .get(daemon.url("/api/payment_link_check"))
        .query(&[
            ("store_id", STORE),
            ("phone", "01012345678"),
            ("amount", "100"),
            ("client_id", client),
            ("lang", "ar"),
        ]);
    if let Some(xff) = xff {
        req = req.header("x-forwarded-for", xff);
    }
    req.send().await.unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_check_after_n_from_one_ip_is_429_with_retry_after_and_changes_nothing() {
    let daemon = spawn_daemon(|s| s.limits.checks_per_minute_per_ip = 3).await;
    daemon.default_store().await;
    for client in ["1", "2", "3"] {
        assert_eq!(check_from(&daemon, client, None).await.status(), 200);
    }
    let limited = check_from(&daemon, "4", None).await;
    assert_eq!(limited.status(), 429);
    let retry_after: u64 = limited.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        (1..=20).contains(&retry_after),
        "one check every 20 s: {retry_after}"
    );
    let body: serde_json::Value = limited.json().await.unwrap();
    assert_eq!(body["error"], "rate_limited");
    assert!(
        body["message"].as_str().unwrap().contains("طلبات"),
        "localised: {body}"
    );
    assert_eq!(
        daemon.all_payments().await.len(),
        3,
        "the limited check made no payment"
    );
    // A forged X-Forwarded-For from an untrusted peer changes nothing.
    for forged in ["203.0.113.1", "203.0.113.2", "10.9.8.7, 198.51.100.1"] {
        assert_eq!(
            check_from(&daemon, "5", Some(forged)).await.status(),
            429,
            "{forged}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn behind_a_trusted_proxy_each_forwarded_client_has_its_own_limit() {
    let daemon = spawn_daemon(|s| {
        s.limits.checks_per_minute_per_ip = 2;
        s.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
    })
    .await;
    daemon.default_store().await;
    // The proxy appends the address it saw; the client's own entry is forged.
    let alice = "6.6.6.6, 203.0.113.10";
    let bob = "203.0.113.20";
    assert_eq!(check_from(&daemon, "1", Some(alice)).await.status(), 200);
    assert_eq!(check_from(&daemon, "2", Some(alice)).await.status(), 200);
    assert_eq!(check_from(&daemon, "3", Some(alice)).await.status(), 429);
    assert_eq!(
        check_from(&daemon, "4", Some("7.7.7.7, 203.0.113.10"))
            .await
            .status(),
        429,
        "forging the left part does not help"
    );
    assert_eq!(check_from(&daemon, "5", Some(bob)).await.status(), 200);
    assert_eq!(check_from(&daemon, "6", Some(bob)).await.status(), 200);
    assert_eq!(check_from(&daemon, "7", Some(bob)).await.status(), 429);
}

#[tokio::test(flavor = "multi_thread")]
async fn check_ips_skip_the_ip_limit_but_not_the_client_limit() {
    let daemon = spawn_daemon(|s| {
        s.limits.checks_per_minute_per_ip = 2;
        s.limits.checks_per_minute_per_client = 3;
    })
    .await;
    daemon
        .put_store(STORE, json!({"check_ips": ["127.0.0.1"]}))
        .await;
    for client in 1..=10 {
        let r = check_from(&daemon, &client.to_string(), None).await;
        assert_eq!(r.status(), 200, "the store's WHMCS server: client {client}");
    }
    // Client 99 opens three new payments (three amounts), and repeats the
    // first as often as it likes: repeats are not counted.
    let d = &daemon;
    let check_99 = |amount: &'static str| async move {
        d.check(&[
            ("store_id", STORE),
            ("phone", "01112345678"),
            ("amount", amount),
            ("client_id", "99"),
        ])
        .await
    };
    for amount in ["5", "6", "7", "5", "5", "5", "6"] {
        assert_eq!(check_99(amount).await.status, 200, "amount {amount}");
    }
    let fourth = check_99("8").await;
    assert_eq!(fourth.status, 429, "the per-client limit still applies");
    // Another store without check_ips limits the same IP.
    daemon.put_store("6", json!({})).await;
    for (client, status) in [("1", 200), ("2", 200), ("3", 429)] {
        let r = daemon
            .check(&[
                ("store_id", "6"),
                ("phone", "01012345678"),
                ("amount", "1"),
                ("client_id", client),
            ])
            .await;
        assert_eq!(r.status, status, "client {client}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn ingestion_is_limited_per_store_and_polls_per_ip() {
    let daemon = spawn_daemon(|s| {
        s.limits.ingest_per_minute_per_store = 2;
        s.limits.polls_per_minute_per_ip = 2;
    })
    .await;
    daemon.default_store().await;
    assert_eq!(daemon.ingest_tx("t1", "01012345678", "1").await.status, 201);
    assert_eq!(daemon.ingest_tx("t2", "01012345678", "2").await.status, 201);
    let third = daemon.ingest_tx("t3", "01012345678", "3").await;
    assert_eq!(third.status, 429);
    let stored = daemon
        .admin_get(&format!("/admin/transactions?store_id={STORE}"))
        .await;
    assert_eq!(stored.body["transactions"].as_array().unwrap().len(), 2);
    let id = "pay_aaaaaaaaaaaaaaaaaaaaaaaaaa";
    assert_eq!(daemon.poll(id, "").await.status, 404);
    assert_eq!(daemon.poll(id, "").await.status, 404);
    assert_eq!(daemon.poll(id, "").await.status, 429);
}

/// Review finding: requests with a wrong ingest token are limited per IP
/// and never spend the store's quota, so they cannot crowd out the
/// merchant's forwarder; an address that used up its wrong tokens gets
/// none compared, not even a right one (or guessing would be unlimited).
#[tokio::test(flavor = "multi_thread")]
async fn wrong_tokens_do_not_spend_the_stores_ingest_quota() {
    let daemon = spawn_daemon(|s| {
        s.limits.ingest_per_minute_per_store = 2;
        s.limits.auth_failures_per_minute_per_ip = 3;
        s.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
    })
    .await;
    daemon.default_store().await;
    let body = json!({"trans_id": "t1", "phone": "01012345678", "amount": "1"});
    let from = |token: &'static str, address: &'static str| {
        daemon
            .http
            .post(daemon.url(&format!("/api/stores/{STORE}/transactions")))
            .bearer_auth(token)
            .header("x-forwarded-for", address)
            .json(&body)
            .send()
    };
    let mut statuses = Vec::new();
    for _ in 0..5 {
        statuses.push(
            from("wrong", "203.0.113.66")
                .await
                .unwrap()
                .status()
                .as_u16(),
        );
    }
    assert_eq!(
        statuses,
        vec![401, 401, 401, 429, 429],
        "failures are limited per IP"
    );
    let guessed = from(crate::support::api::INGEST_TOKEN, "203.0.113.66")
        .await
        .unwrap();
    assert_eq!(guessed.status(), 429, "a right guess is not even compared");
    assert_eq!(
        daemon.ingest_tx("t1", "01012345678", "1").await.status,
        201,
        "the forwarder still gets through"
    );
    assert_eq!(daemon.ingest_tx("t2", "01012345678", "2").await.status, 201);
    assert_eq!(
        daemon.ingest_tx("t3", "01012345678", "3").await.status,
        429,
        "the store's own quota"
    );
}

/// A HEAD of the check would have its effects but could not carry
/// `"status": true`: it is not allowed.
#[tokio::test(flavor = "multi_thread")]
async fn a_head_check_is_not_allowed_and_changes_nothing() {
    let daemon = spawn_daemon(|_| {}).await;
    daemon.default_store().await;
    let head =
        daemon
            .http
            .head(daemon.url(
                "/api/payment_link_check?store_id=5&phone=01012345678&amount=100&client_id=42",
            ))
            .send()
            .await
            .unwrap();
    assert_eq!(head.status(), 405);
    assert!(daemon.all_payments().await.is_empty());
}
