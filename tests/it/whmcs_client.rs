//! The WHMCS client against the WHMCS emulator: successes land in the
//! ledger once, every fault gets the right classification, refusals carry
//! their typed reason, and the preflight names what to fix without ever
//! crediting anyone.

use crate::support::outcomes::{assert_unknown, dec, failing, rejection};
use std::time::{Duration, Instant};

use cashgate::domain::{ClientId, Secret, TransId};
use cashgate::merchant::WhmcsSettings;
use cashgate::whmcs::{
    CallOutcome, Credentials, WhmcsClient, WhmcsRefusal, description, has_credit_for,
};
use rust_decimal::Decimal;
use serde_json::Value;

use crate::support::whmcs::{
    AddCreditFault, GetCreditsFault, IDENTIFIER, SECRET, StartEmulator, WhmcsEmulator,
};

const CLIENT: u32 = 42;

fn whmcs_client(timeout: Duration) -> WhmcsClient {
    cashgate::daemon::install_crypto_provider();
    WhmcsClient::new(timeout).expect("WHMCS client")
}

fn settings(url: &str) -> WhmcsSettings {
    WhmcsSettings {
        api_url: url.to_owned(),
        identifier: IDENTIFIER.to_owned(),
        secret: Secret::new(SECRET),
    }
}

fn client_id(n: u32) -> ClientId {
    ClientId::try_from(n).expect("client id")
}

fn trans(id: &str) -> TransId {
    TransId::parse(id).expect("trans id")
}

/// One `AddCredit` of 4.95 to client 42 for `trans_id`.
async fn credit(
    whmcs: &WhmcsClient,
    s: &WhmcsSettings,
    trans_id: &str,
) -> CallOutcome<Option<Decimal>> {
    let c = Credentials::from(s);
    whmcs
        .add_credit(&c, client_id(CLIENT), dec("4.95"), &trans(trans_id))
        .await
}

#[tokio::test(flavor = "multi_thread")]
async fn a_success_adds_exactly_one_ledger_line() {
    let emulator = WhmcsEmulator::start().await;
    let whmcs = whmcs_client(Duration::from_secs(5));
    let s = settings(&emulator.url());
    let first = credit(&whmcs, &s, "014412345678").await;
    assert_eq!(first, CallOutcome::Success(Some(dec("4.95"))));
    let ledger = emulator.ledger(CLIENT);
    assert_eq!(ledger.len(), 1);
    assert_eq!(ledger[0].description, description(&trans("014412345678")));
    assert_eq!(ledger[0].amount, "4.95");
    assert_eq!(emulator.total_credits(), 1);
    emulator.newbalance_as_number(true);
    let second = credit(&whmcs, &s, "014412345679").await;
    assert_eq!(second, CallOutcome::Success(Some(dec("9.90"))));
    assert_eq!(emulator.authorised_calls("AddCredit"), 2);
    assert_eq!(
        emulator.secret_in_url(),
        0,
        "the secret travels in the body"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn get_credits_finds_our_description() {
    let emulator = WhmcsEmulator::start().await;
    let whmcs = whmcs_client(Duration::from_secs(5));
    let s = settings(&emulator.url());
    let c = Credentials::from(&s);
    let empty = whmcs.get_credits(&c, client_id(CLIENT)).await;
    assert_eq!(empty, CallOutcome::Success(Vec::new()));
    emulator.insert_credit(CLIENT, "Manual top-up", "10.00");
    assert!(credit(&whmcs, &s, "014412345678").await.is_success());
    let CallOutcome::Success(lines) = whmcs.get_credits(&c, client_id(CLIENT)).await else {
        panic!("GetCredits failed");
    };
    assert_eq!(lines.len(), 2);
    assert!(has_credit_for(&lines, &trans("014412345678")));
    assert!(!has_credit_for(&lines, &trans("014412345679")));
    let line = lines.iter().find(|l| l.description.starts_with("Vodafone"));
    assert_eq!(line.map(|l| l.amount.as_str()), Some("4.95"));
    assert_eq!(emulator.get_credits_calls(), 2);
    assert_eq!(emulator.total_credits(), 2, "GetCredits adds nothing");
}

#[tokio::test(flavor = "multi_thread")]
async fn commit_then_drop_and_commit_then_500_are_unknown_and_committed() {
    let emulator = WhmcsEmulator::start().await;
    let whmcs = whmcs_client(Duration::from_secs(5));
    let s = settings(&emulator.url());
    emulator.fail_next_add_credit(1, AddCreditFault::CommitThenDrop);
    emulator.fail_next_add_credit(1, AddCreditFault::CommitThen500);
    assert_eq!(emulator.pending_add_credit_faults(), 2);
    assert_unknown(&credit(&whmcs, &s, "000000000001").await);
    assert_eq!(
        emulator.credits_with_description("VodafoneCash payment - trans_id: 000000000001"),
        1
    );
    assert_unknown(&credit(&whmcs, &s, "000000000002").await);
    assert_eq!(
        emulator.credits_with_description("VodafoneCash payment - trans_id: 000000000002"),
        1
    );
    assert_eq!(emulator.pending_add_credit_faults(), 0);
    assert!(
        credit(&whmcs, &s, "000000000003").await.is_success(),
        "the queue is used up"
    );
    assert_eq!(emulator.ledger(CLIENT).len(), 3);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stall_past_the_client_timeout_is_unknown_and_committed() {
    let emulator = WhmcsEmulator::start().await;
    let whmcs = whmcs_client(Duration::from_millis(300));
    let s = settings(&emulator.url());
    emulator.set_add_credit_fault(Some(AddCreditFault::CommitThenStall(Duration::from_secs(
        5,
    ))));
    let started = Instant::now();
    assert_unknown(&credit(&whmcs, &s, "014412345678").await);
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(emulator.ledger(CLIENT).len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn fail_before_500_is_unknown_and_commits_nothing() {
    let emulator = WhmcsEmulator::start().await;
    let whmcs = whmcs_client(Duration::from_secs(5));
    let s = settings(&emulator.url());
    emulator.set_add_credit_fault(Some(AddCreditFault::FailBefore500));
    assert_unknown(&credit(&whmcs, &s, "014412345678").await);
    assert_unknown(&credit(&whmcs, &s, "014412345678").await);
    assert_eq!(emulator.total_credits(), 0);
    emulator.set_add_credit_fault(None);
    assert!(credit(&whmcs, &s, "014412345678").await.is_success());
    assert_eq!(emulator.total_credits(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_closed_port_is_transient_and_a_restart_serves_again() {
    let emulator = WhmcsEmulator::start().await;
    let whmcs = whmcs_client(Duration::from_secs(5));
    let s = settings(&emulator.url());
    assert!(credit(&whmcs, &s, "000000000001").await.is_success());
    emulator.stop().await;
    let refused = credit(&whmcs, &s, "000000000002").await;
    assert!(matches!(refused, CallOutcome::Transient(_)), "{refused:?}");
    emulator.restart().await.expect("restart on the same port");
    assert!(credit(&whmcs, &s, "000000000002").await.is_success());
    assert_eq!(emulator.total_credits(), 2);
    let unused = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = unused.local_addr().expect("addr").port();
    drop(unused);
    let nowhere = settings(&format!("http://127.0.0.1:{port}"));
    let refused = credit(&whmcs, &nowhere, "000000000003").await;
    assert!(matches!(refused, CallOutcome::Transient(_)), "{refused:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn ip_refusals_are_permanent_and_trip_the_breaker() {
    let emulator = WhmcsEmulator::start().await;
    let whmcs = whmcs_client(Duration::from_secs(5));
    let s = settings(&emulator.url());
    emulator.deny_ip(true);
    let r = rejection(credit(&whmcs, &s, "014412345678").await);
    assert_eq!(
        r.refusal,
        WhmcsRefusal::InvalidIp {
            seen_ip: Some("127.0.0.1".into())
        }
    );
    assert_eq!(
        (r.http_status, r.message.as_str()),
        (403, "Invalid IP 127.0.0.1")
    );
    assert!(r.trips_breaker());
    emulator.ban_ip(true);
    let r = rejection(credit(&whmcs, &s, "014412345678").await);
    assert_eq!(r.refusal, WhmcsRefusal::IpBanned);
    assert!(r.trips_breaker());
    assert_eq!(emulator.authorised_calls("addcredit"), 0);
    assert_eq!(emulator.total_credits(), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn credential_refusals_are_permanent_and_never_echo_the_secret() {
    let emulator = WhmcsEmulator::start().await;
    let whmcs = whmcs_client(Duration::from_secs(5));
    let mut s = settings(&emulator.url());
    s.secret = Secret::new("wrong-secret-value");
    let r = rejection(credit(&whmcs, &s, "014412345678").await);
    assert_eq!(
        (r.refusal.clone(), r.message.as_str()),
        (WhmcsRefusal::Credentials, "Authentication Failed")
    );
    assert!(r.trips_breaker());
    let shown = format!("{r} {r:?}");
    assert!(!shown.contains("wrong-secret-value"), "{shown}");
    s.identifier = "nobody".into();
    let r = rejection(credit(&whmcs, &s, "014412345678").await);
    assert_eq!(r.message, "Invalid or missing credentials");
    assert_eq!(r.refusal, WhmcsRefusal::Credentials);
    emulator.disable_account(true);
    let r = rejection(credit(&whmcs, &settings(&emulator.url()), "014412345678").await);
    assert_eq!(r.refusal, WhmcsRefusal::AccountDisabled);
    assert_eq!(emulator.total_credits(), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn permission_refusals_name_the_action() {
    let emulator = WhmcsEmulator::start().await;
    let whmcs = whmcs_client(Duration::from_secs(5));
    let s = settings(&emulator.url());
    let c = Credentials::from(&s);
    emulator.allow_get_credits(false);
    let r = rejection(whmcs.get_credits(&c, client_id(CLIENT)).await);
    assert_eq!(
        r.refusal,
        WhmcsRefusal::Permission {
            action: "getcredits".into()
        }
    );
    assert_eq!(
        r.message,
        r#"Invalid Permissions: API action "getcredits" is not allowed"#
    );
    assert!(r.trips_breaker());
    emulator.allow_add_credit(false);
    let r = rejection(credit(&whmcs, &s, "014412345678").await);
    assert_eq!(
        r.refusal,
        WhmcsRefusal::Permission {
            action: "addcredit".into()
        }
    );
    assert_eq!(emulator.total_credits(), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unknown_client_is_permanent_and_does_not_trip_the_breaker() {
    let emulator = WhmcsEmulator::start().await;
    let whmcs = whmcs_client(Duration::from_secs(5));
    let s = settings(&emulator.url());
    let c = Credentials::from(&s);
    let missing = client_id(5000);
    let r = rejection(
        whmcs
            .add_credit(&c, missing, dec("1.00"), &trans("014412345678"))
            .await,
    );
    assert_eq!(
        (r.refusal.clone(), r.http_status),
        (WhmcsRefusal::ClientNotFound, 200)
    );
    assert!(!r.trips_breaker());
    let r = rejection(whmcs.get_credits(&c, missing).await);
    assert_eq!(r.refusal, WhmcsRefusal::ClientNotFound);
    let r = rejection(
        whmcs
            .add_credit(&c, client_id(CLIENT), dec("1.005"), &trans("014412345678"))
            .await,
    );
    assert_eq!(
        (r.refusal.clone(), r.http_status),
        (WhmcsRefusal::AmountFormat, 0)
    );
    assert_eq!(
        emulator.add_credit_calls(),
        1,
        "a bad amount is refused before sending"
    );
    assert_eq!(emulator.total_credits(), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn get_credits_faults_are_unknown() {
    let emulator = WhmcsEmulator::start().await;
    let whmcs = whmcs_client(Duration::from_millis(500));
    let s = settings(&emulator.url());
    let c = Credentials::from(&s);
    for fault in [
        GetCreditsFault::Status500,
        GetCreditsFault::Drop,
        GetCreditsFault::Stall(Duration::from_secs(5)),
    ] {
        emulator.get_credits_fail(Some(fault));
        assert_unknown(&whmcs.get_credits(&c, client_id(CLIENT)).await);
    }
    emulator.get_credits_fail(None);
    assert!(whmcs.get_credits(&c, client_id(CLIENT)).await.is_success());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_url_is_permanent_and_the_api_path_may_be_given() {
    let emulator = WhmcsEmulator::start().await;
    let whmcs = whmcs_client(Duration::from_secs(5));
    let r = rejection(
        credit(
            &whmcs,
            &settings(&format!("{}/whmcs", emulator.url())),
            "000000000001",
        )
        .await,
    );
    assert_eq!(
        (r.refusal.clone(), r.http_status),
        (WhmcsRefusal::Other, 404)
    );
    let full = settings(&format!("{}/includes/api.php", emulator.url()));
    assert!(credit(&whmcs, &full, "000000000001").await.is_success());
    let slash = settings(&format!("{}/", emulator.url()));
    assert!(credit(&whmcs, &slash, "000000000002").await.is_success());
    let r = rejection(credit(&whmcs, &settings("ftp://example.com"), "000000000003").await);
    assert_eq!(r.http_status, 0);
    assert_eq!(emulator.total_credits(), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_preflight_names_what_to_fix_and_credits_nothing() {
    let emulator = WhmcsEmulator::start().await;
    let whmcs = whmcs_client(Duration::from_secs(5));
    let s = settings(&emulator.url());
    let c = Credentials::from(&s);
    let healthy = whmcs.preflight(&c).await;
    assert!(healthy.ok, "{healthy:?}");
    assert_eq!(healthy.checks.len(), 7);
    assert_eq!(emulator.authorised_calls("addcredit"), 1);
    assert_eq!(emulator.authorised_calls("getcredits"), 1);

    emulator.allow_get_credits(false);
    let no_get = whmcs.preflight(&c).await;
    assert_eq!(failing(&no_get), ["getcredits_permission"]);
    let message = &no_get
        .check("getcredits_permission")
        .expect("check")
        .message;
    assert!(message.contains("GetCredits"), "{message}");
    emulator.allow_get_credits(true);

    let mut wrong = settings(&emulator.url());
    wrong.secret = Secret::new("nope");
    let bad_secret = whmcs.preflight(&Credentials::from(&wrong)).await;
    assert!(!bad_secret.ok);
    assert!(!bad_secret.check("credentials").expect("check").ok);
    assert!(bad_secret.check("ip_whitelisting").expect("check").ok);

    emulator.deny_ip(true);
    let before = emulator.requests();
    let ip = whmcs.preflight(&c).await;
    assert_eq!(emulator.requests() - before, 1, "no second failed call");
    let check = ip.check("ip_whitelisting").expect("check");
    assert!(
        !check.ok && check.message.contains("127.0.0.1"),
        "{check:?}"
    );
    assert!(ip.check("url").expect("check").ok);
    emulator.deny_ip(false);

    emulator.stop().await;
    let down = whmcs.preflight(&c).await;
    assert!(!down.check("url").expect("check").ok, "{down:?}");
    assert_eq!(failing(&down).len(), 7);

    assert_eq!(emulator.total_credits(), 0, "the preflight never credits");
    let json: Value = serde_json::to_value(&healthy).expect("json");
    assert_eq!(json["ok"], true);
    assert_eq!(json["checks"][0]["name"], "url");
}
