//! Limits that cannot be turned against customers (findings 4 and 6),
//! each from the attacker's side (the attacker is still limited) and from
//! the honest customer's (junk from others does not refuse them). Client
//! addresses come through a trusted proxy's `X-Forwarded-For`.

use reqwest::StatusCode;
use serde_json::json;

use crate::support::api::STORE;
use crate::support::daemon::{TestDaemon, spawn_daemon};

/// The store's WHMCS server.
const WHMCS_SERVER: &str = "198.51.100.7";
const OWNER_PHONE: &str = "01012345678";

async fn start(adjust: impl FnOnce(&mut cashgate::config::Settings)) -> TestDaemon {
    let daemon = spawn_daemon(|s| {
        let l = &mut s.limits;
        l.checks_per_minute_per_ip = 30;
        l.checks_per_minute_per_client = 10;
        l.checks_per_minute_per_phone = 10;
        l.requests_per_minute_per_store = 600;
        l.server_checks_per_minute_per_store = 600;
        s.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
        adjust(s);
    })
    .await;
    let made = daemon
        .put_store(STORE, json!({"check_ips": [WHMCS_SERVER]}))
        .await;
    assert!(made.status.is_success(), "{made:?}");
    daemon
}

async fn check_as(
    daemon: &TestDaemon,
    address: &str,
    store: &str,
    client: &str,
    phone: &str,
    amount: &str,
) -> StatusCode {
    daemon
        .http
        .get(daemon.url("/api/payment_link_check"))
        .header("x-forwarded-for", address)
        .query(&[
            ("store_id", store),
            ("client_id", client),
            ("phone", phone),
            ("amount", amount),
        ])
        .send()
        .await
        .unwrap()
        .status()
}

/// A phone that is not the owner's, one per `n`.
fn other_phone(n: u32) -> String {
    format!("0111{n:07}")
}

#[tokio::test(flavor = "multi_thread")]
async fn junk_naming_a_phone_cannot_429_its_owners_first_check() {
    let daemon = start(|_| {}).await;
    // The attacker names the owner's phone with random client ids, from
    // three addresses: each is limited after ten new payments.
    for (a, address) in ["203.0.113.1", "203.0.113.2", "203.0.113.3"]
        .into_iter()
        .enumerate()
    {
        let first = 5000 + 100 * u32::try_from(a).unwrap();
        for client in first..first + 10 {
            let client = client.to_string();
            let status = check_as(&daemon, address, STORE, &client, OWNER_PHONE, "100").await;
            assert_eq!(status, StatusCode::OK, "{address} client {client}");
        }
        let next = (first + 10).to_string();
        let eleventh = check_as(&daemon, address, STORE, &next, OWNER_PHONE, "100").await;
        assert_eq!(
            eleventh,
            StatusCode::TOO_MANY_REQUESTS,
            "the attacker is limited"
        );
    }
    // The owner's own first check, from home and through the store's WHMCS.
    let home = check_as(&daemon, "192.0.2.50", STORE, "42", OWNER_PHONE, "100").await;
    assert_eq!(home, StatusCode::OK);
    let module = check_as(&daemon, WHMCS_SERVER, STORE, "43", OWNER_PHONE, "200").await;
    assert_eq!(module, StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread")]
async fn junk_naming_a_client_id_cannot_lock_that_client_out() {
    let daemon = start(|_| {}).await;
    for (a, address) in ["203.0.113.1", "203.0.113.2"].into_iter().enumerate() {
        let first = 100 * u32::try_from(a).unwrap();
        for n in first..first + 10 {
            let status = check_as(&daemon, address, STORE, "42", &other_phone(n), "100").await;
            assert_eq!(status, StatusCode::OK);
        }
        let next = other_phone(first + 10);
        let eleventh = check_as(&daemon, address, STORE, "42", &next, "100").await;
        assert_eq!(
            eleventh,
            StatusCode::TOO_MANY_REQUESTS,
            "the attacker is limited"
        );
    }
    let home = check_as(&daemon, "192.0.2.50", STORE, "42", OWNER_PHONE, "100").await;
    assert_eq!(home, StatusCode::OK);
    let module = check_as(&daemon, WHMCS_SERVER, STORE, "42", OWNER_PHONE, "150").await;
    assert_eq!(module, StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_customer_repeating_their_own_open_check_is_never_limited_for_it() {
    let daemon = start(|_| {}).await;
    // Through the WHMCS module the customer clicks "check" again and again.
    for n in 0..40 {
        let status = check_as(&daemon, WHMCS_SERVER, STORE, "42", OWNER_PHONE, "100").await;
        assert_eq!(status, StatusCode::OK, "repeat {n}");
    }
    // From their own address, past the ten new payments a minute.
    for n in 0..20 {
        let status = check_as(&daemon, "192.0.2.50", STORE, "44", OWNER_PHONE, "300").await;
        assert_eq!(status, StatusCode::OK, "repeat {n}");
    }
    // New payments still count: the same client opening eleven is limited.
    for n in 0..10 {
        let amount = format!("{}", 500 + n);
        let status = check_as(&daemon, WHMCS_SERVER, STORE, "45", &other_phone(n), &amount).await;
        assert_eq!(status, StatusCode::OK);
    }
    let eleventh = check_as(&daemon, WHMCS_SERVER, STORE, "45", OWNER_PHONE, "999").await;
    assert_eq!(eleventh, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(daemon.all_payments().await.len(), 12, "one per new check");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_flood_from_many_addresses_spends_the_public_budget_not_the_stores_servers() {
    let daemon = start(|s| {
        s.limits.requests_per_minute_per_store = 20;
        s.limits.server_checks_per_minute_per_store = 5;
    })
    .await;
    let mut limited = 0;
    for n in 0..40u32 {
        let address = format!("203.0.113.{}", n + 1);
        let client = format!("{}", 7000 + n);
        let status = check_as(&daemon, &address, STORE, &client, &other_phone(n), "100").await;
        if status == StatusCode::TOO_MANY_REQUESTS {
            limited += 1;
        }
    }
    assert_eq!(
        limited, 20,
        "the public budget holds the flood to 20 new payments"
    );
    // The store's WHMCS servers have their own budget.
    for n in 0..5u32 {
        let client = format!("{}", 100 + n);
        let status = check_as(&daemon, WHMCS_SERVER, STORE, &client, OWNER_PHONE, "100").await;
        assert_eq!(status, StatusCode::OK, "server check {n}");
    }
    let sixth = check_as(&daemon, WHMCS_SERVER, STORE, "106", OWNER_PHONE, "100").await;
    assert_eq!(
        sixth,
        StatusCode::TOO_MANY_REQUESTS,
        "and it is bounded too"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_per_address_limit_is_taken_only_once_the_store_exists() {
    let daemon = start(|s| s.limits.checks_per_minute_per_ip = 2).await;
    for store in ["404", "nope", "7"] {
        let status = check_as(&daemon, "203.0.113.9", store, "1", OWNER_PHONE, "100").await;
        assert_eq!(status, StatusCode::NOT_FOUND, "store {store}");
    }
    let invalid = check_as(&daemon, "203.0.113.9", "no/such", "1", OWNER_PHONE, "100").await;
    assert_eq!(invalid, StatusCode::BAD_REQUEST);
    // Those spent nothing: two checks of a real store, then the limit.
    for client in ["1", "2"] {
        let status = check_as(&daemon, "203.0.113.9", STORE, client, OWNER_PHONE, "100").await;
        assert_eq!(status, StatusCode::OK);
    }
    let third = check_as(&daemon, "203.0.113.9", STORE, "3", OWNER_PHONE, "100").await;
    assert_eq!(third, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test(flavor = "multi_thread")]
async fn past_the_limiters_key_cap_new_clients_are_not_locked_out() {
    let daemon = start(|s| {
        s.limits.limiter_keys_max = 3;
        s.limits.checks_per_minute_per_ip = 2;
    })
    .await;
    // Three addresses fill the per-address limiter; each is still limited.
    for n in 1..=3 {
        let address = format!("203.0.113.{n}");
        for client in ["1", "2"] {
            let status = check_as(&daemon, &address, STORE, client, &other_phone(n), "100").await;
            assert_eq!(status, StatusCode::OK);
        }
        let third = check_as(&daemon, &address, STORE, "3", &other_phone(n), "100").await;
        assert_eq!(
            third,
            StatusCode::TOO_MANY_REQUESTS,
            "{address} keeps its limit"
        );
    }
    // The attacker's many other addresses, then an honest newcomer.
    for n in 10..30u32 {
        let address = format!("203.0.113.{n}");
        let client = format!("{}", 800 + n);
        check_as(&daemon, &address, STORE, &client, &other_phone(n), "100").await;
    }
    let newcomer = check_as(&daemon, "192.0.2.77", STORE, "42", OWNER_PHONE, "100").await;
    assert_eq!(
        newcomer,
        StatusCode::OK,
        "no shared fallback bucket to lock it out"
    );
}
