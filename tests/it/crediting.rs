//! Crediting against the WHMCS emulator: every fault the issue names, the
//! breaker, operator actions, the preflight, and the module's end to end.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::support::api::{INGEST_TOKEN, STORE};
use crate::support::daemon::{TestDaemon, spawn_daemon};
use crate::support::waits::{until, until_state};
use crate::support::whmcs::{AddCreditFault, GetCreditsFault, StartEmulator};

const DESCRIPTION: &str = "VodafoneCash payment - trans_id: 014412345678";

/// A payment of client `client` that claims transaction `trans_id`.
async fn pay(daemon: &TestDaemon, trans_id: &str, client: &str) -> String {
    let tx = daemon.ingest_tx(trans_id, "01012345678", "100").await;
    assert_eq!(tx.status, 201, "{tx:?}");
    let check = daemon.check_simple(client, "100").await;
    check.body["payment_id"]
        .as_str()
        .expect("payment id")
        .to_owned()
}

fn events(detail: &Value) -> Vec<String> {
    detail["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["event"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_credit_committed_before_the_connection_dropped_is_found_not_repeated() {
    for fault in [
        AddCreditFault::CommitThenDrop,
        AddCreditFault::CommitThen500,
    ] {
        let daemon = spawn_daemon(|_| {}).await;
        daemon.default_store().await;
        daemon.whmcs.fail_next_add_credit(1, fault);
        let id = pay(&daemon, "014412345678", "42").await;
        let detail = until_state(&daemon, &id, "credited").await;
        assert_eq!(
            daemon.whmcs.credits_with_description(DESCRIPTION),
            1,
            "{fault:?}: exactly one credit"
        );
        assert_eq!(
            daemon.whmcs.add_credit_calls(),
            1,
            "{fault:?}: never sent again"
        );
        assert!(daemon.whmcs.get_credits_calls() >= 1);
        assert!(
            events(&detail).contains(&"reconciled_found".to_owned()),
            "{fault:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_credit_committed_then_stalled_past_the_timeout_is_found_not_repeated() {
    let daemon = spawn_daemon(|s| s.whmcs.timeout_ms = 400).await;
    daemon.default_store().await;
    daemon.whmcs.fail_next_add_credit(
        1,
        AddCreditFault::CommitThenStall(Duration::from_millis(1500)),
    );
    let id = pay(&daemon, "014412345678", "42").await;
    until_state(&daemon, &id, "credited").await;
    assert_eq!(daemon.whmcs.credits_with_description(DESCRIPTION), 1);
    assert_eq!(daemon.whmcs.add_credit_calls(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_500_before_committing_is_reconciled_as_absent_and_sent_again() {
    let daemon = spawn_daemon(|_| {}).await;
    daemon.default_store().await;
    daemon
        .whmcs
        .fail_next_add_credit(1, AddCreditFault::FailBefore500);
    let id = pay(&daemon, "014412345678", "42").await;
    let detail = until_state(&daemon, &id, "credited").await;
    assert_eq!(daemon.whmcs.credits_with_description(DESCRIPTION), 1);
    assert_eq!(
        daemon.whmcs.add_credit_calls(),
        2,
        "sent again only after GetCredits showed nothing"
    );
    let e = events(&detail);
    let absent = e
        .iter()
        .position(|x| x == "reconciled_absent")
        .expect("reconciled");
    assert_eq!(&e[absent + 1..], ["credit_succeeded"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_outcome_getcredits_cannot_settle_goes_to_an_operator_without_a_second_send() {
    let daemon = spawn_daemon(|s| s.whmcs.reconcile_tries_max = 3).await;
    daemon.default_store().await;
    daemon
        .whmcs
        .fail_next_add_credit(1, AddCreditFault::CommitThen500);
    daemon
        .whmcs
        .get_credits_fail(Some(GetCreditsFault::Status500));
    let id = pay(&daemon, "014412345678", "42").await;
    let detail = until_state(&daemon, &id, "credit_unknown").await;
    assert_eq!(
        daemon.whmcs.add_credit_calls(),
        1,
        "no second AddCredit while the outcome is unknown"
    );
    assert_eq!(daemon.whmcs.get_credits_calls(), 3);
    assert!(
        detail["state_detail"]
            .as_str()
            .unwrap()
            .contains("GetCredits failed 3 times"),
        "{detail:#}"
    );
    // The operator looks in WHMCS, finds the credit, and says so.
    let marked = daemon
        .admin_post(
            &format!("/admin/payments/{id}/mark_credited"),
            &json!({"note": "seen in WHMCS"}),
        )
        .await;
    assert_eq!(marked.body["state"], "credited");
    assert_eq!(daemon.whmcs.credits_with_description(DESCRIPTION), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn getcredits_refused_leaves_the_outcome_to_an_operator_who_can_retry() {
    let daemon = spawn_daemon(|_| {}).await;
    daemon.default_store().await;
    daemon
        .whmcs
        .fail_next_add_credit(1, AddCreditFault::FailBefore500);
    daemon.whmcs.allow_get_credits(false);
    let id = pay(&daemon, "014412345678", "42").await;
    let detail = until_state(&daemon, &id, "credit_unknown").await;
    assert!(
        detail["state_detail"]
            .as_str()
            .unwrap()
            .contains("getcredits"),
        "{detail:#}"
    );
    assert_eq!(daemon.whmcs.add_credit_calls(), 1);
    // The operator checked WHMCS (nothing there), grants the permission, retries.
    daemon.whmcs.allow_get_credits(true);
    let retried = daemon
        .admin_post(&format!("/admin/payments/{id}/retry"), &json!({}))
        .await;
    assert_eq!(retried.body["state"], "crediting");
    until_state(&daemon, &id, "credited").await;
    assert_eq!(daemon.whmcs.credits_with_description(DESCRIPTION), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_ip_error_fails_the_payment_pauses_the_store_and_names_the_ip() {
    let daemon = spawn_daemon(|_| {}).await;
    daemon.default_store().await;
    daemon.whmcs.deny_ip(true);
    let first = pay(&daemon, "014412345678", "42").await;
    let failed = until_state(&daemon, &first, "credit_failed").await;
    assert!(
        failed["state_detail"]
            .as_str()
            .unwrap()
            .contains("Invalid IP 127.0.0.1"),
        "{failed:#}"
    );
    // The store's other payments wait, visibly, and WHMCS is not called again.
    let second = pay(&daemon, "014400000002", "43").await;
    let waiting = until(&daemon, &second, |d| d["waiting"].is_string()).await;
    assert_eq!(waiting["state"], "crediting");
    let why = waiting["waiting"].as_str().unwrap();
    assert!(why.contains("127.0.0.1") && why.contains("paused"), "{why}");
    let listed = daemon.admin_get("/admin/payments?state=crediting").await;
    assert!(
        listed.body["payments"][0]["waiting"]
            .as_str()
            .unwrap()
            .contains("127.0.0.1")
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        daemon.whmcs.calls("AddCredit"),
        1,
        "one call to a store that refused our IP"
    );
    // The merchant whitelists the IP; the operator retries the failed payment.
    daemon.whmcs.deny_ip(false);
    daemon
        .admin_post(&format!("/admin/payments/{first}/retry"), &json!({}))
        .await;
    until_state(&daemon, &first, "credited").await;
    until_state(&daemon, &second, "credited").await;
    assert_eq!(daemon.whmcs.total_credits(), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_secret_stops_calls_until_the_store_settings_change() {
    let daemon = spawn_daemon(|_| {}).await;
    daemon.default_store().await;
    daemon.whmcs.set_secret("rotated-by-the-merchant");
    let first = pay(&daemon, "014412345678", "42").await;
    let failed = until_state(&daemon, &first, "credit_failed").await;
    assert!(
        failed["state_detail"]
            .as_str()
            .unwrap()
            .contains("Authentication Failed")
    );
    let second = pay(&daemon, "014400000002", "43").await;
    until(&daemon, &second, |d| d["waiting"].is_string()).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        daemon.whmcs.calls("AddCredit"),
        1,
        "one failed login, not one per payment"
    );
    // New settings (the new secret) close the breaker: the waiting payment goes on.
    let whmcs = json!({"api_url": daemon.whmcs.url(), "identifier": crate::support::whmcs::IDENTIFIER, "secret": "rotated-by-the-merchant"});
    let saved = daemon.put_store(STORE, json!({"whmcs": whmcs})).await;
    assert_eq!(saved.status, 200, "{saved:?}");
    until_state(&daemon, &second, "credited").await;
    assert_eq!(
        daemon.version_and_state(&first).await.1,
        "credit_failed",
        "the failed one waits for an operator"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unknown_client_fails_only_its_payment() {
    let daemon = spawn_daemon(|_| {}).await;
    daemon.default_store().await;
    daemon.whmcs.remove_client(42);
    let unknown = pay(&daemon, "014412345678", "42").await;
    let failed = until_state(&daemon, &unknown, "credit_failed").await;
    assert!(
        failed["state_detail"]
            .as_str()
            .unwrap()
            .contains("Client ID Not Found")
    );
    let other = pay(&daemon, "014400000002", "43").await;
    until_state(&daemon, &other, "credited").await;
    assert_eq!(
        daemon.whmcs.calls("AddCredit"),
        2,
        "no breaker for an unknown client"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_whmcs_that_cannot_be_reached_is_retried_then_given_up() {
    let daemon = spawn_daemon(|s| s.whmcs.credit_tries_max = 50).await;
    daemon.default_store().await;
    daemon.whmcs.stop().await;
    let id = pay(&daemon, "014412345678", "42").await;
    let retrying = until(&daemon, &id, |d| d["version"].as_u64().unwrap_or(0) >= 5).await;
    assert_eq!(retrying["state"], "crediting");
    assert!(events(&retrying).contains(&"credit_transient_failure".to_owned()));
    daemon.whmcs.restart().await.unwrap();
    until_state(&daemon, &id, "credited").await;
    assert_eq!(daemon.whmcs.credits_with_description(DESCRIPTION), 1);

    let few = spawn_daemon(|s| s.whmcs.credit_tries_max = 2).await;
    few.default_store().await;
    few.whmcs.stop().await;
    let id = pay(&few, "014412345678", "42").await;
    let failed = until_state(&few, &id, "credit_failed").await;
    assert!(
        failed["state_detail"]
            .as_str()
            .unwrap()
            .contains("gave up after 2 tries"),
        "{failed:#}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_preflight_proves_the_settings_and_credits_nobody() {
    let daemon = spawn_daemon(|s| s.limits.preflights_per_minute_per_store = 100).await;
    daemon.default_store().await;
    let preflight = |d: &TestDaemon| {
        let url = d.url(&format!("/admin/stores/{STORE}/preflight"));
        let token = d.admin_token.clone();
        let http = d.http.clone();
        async move {
            http.post(url)
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
                .json::<Value>()
                .await
                .unwrap()
        }
    };
    let check = |report: &Value, name: &str| {
        report["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == name)
            .cloned()
            .unwrap()
    };
    let healthy = preflight(&daemon).await;
    assert_eq!(healthy["ok"], true, "{healthy:#}");
    assert_eq!(healthy["checks"].as_array().unwrap().len(), 7);

    daemon.whmcs.deny_ip(true);
    let denied = preflight(&daemon).await;
    assert_eq!(denied["ok"], false);
    let ip = check(&denied, "ip_whitelisting");
    assert_eq!(ip["ok"], false);
    assert!(
        ip["message"].as_str().unwrap().contains("127.0.0.1"),
        "{ip}"
    );
    daemon.whmcs.deny_ip(false);

    daemon.whmcs.set_secret("other");
    let wrong = preflight(&daemon).await;
    assert_eq!(check(&wrong, "credentials")["ok"], false, "{wrong:#}");
    daemon.whmcs.set_secret(crate::support::whmcs::SECRET);

    daemon.whmcs.allow_get_credits(false);
    let no_get = preflight(&daemon).await;
    let get = check(&no_get, "getcredits_permission");
    assert_eq!(get["ok"], false);
    assert!(
        get["message"]
            .as_str()
            .unwrap()
            .to_lowercase()
            .contains("getcredits"),
        "{get}"
    );
    assert_eq!(check(&no_get, "addcredit_permission")["ok"], true);

    assert_eq!(
        daemon.whmcs.total_credits(),
        0,
        "no credit was added by any preflight"
    );
    let breaker = daemon.admin_get(&format!("/admin/stores/{STORE}")).await;
    assert_eq!(breaker.status, 200);
    // Preflights do not trip the breaker: a payment is credited normally.
    daemon.whmcs.allow_get_credits(true);
    let id = pay(&daemon, "014412345678", "42").await;
    until_state(&daemon, &id, "credited").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn preflights_are_limited_to_a_few_a_minute_per_store() {
    let daemon = spawn_daemon(|_| {}).await;
    daemon.default_store().await;
    let mut statuses = Vec::new();
    for _ in 0..4 {
        let r = daemon
            .admin_post(&format!("/admin/stores/{STORE}/preflight"), &json!({}))
            .await;
        statuses.push(r.status.as_u16());
    }
    assert_eq!(statuses, vec![200, 200, 200, 429]);
}

#[tokio::test(flavor = "multi_thread")]
async fn sms_in_and_a_module_check_get_status_true_with_the_credit_in_whmcs() {
    let daemon = spawn_daemon(|_| {}).await;
    daemon
        .put_store(
            STORE,
            json!({"currency_rate": "50.50", "currency_label": "USD"}),
        )
        .await;
    let sms = "تم استلام مبلغ 300 جنيه من رقم 01012345678 المسجل بإسم Jane Doe على رقم محفظتك 01011112222.\nرقم العملية: 014412345678\nتاريخ العملية: 17:10 26-04-25";
    let ingested = daemon
        .ingest(
            STORE,
            INGEST_TOKEN,
            &json!({"from": "VF-Cash", "text": sms, "sentStamp": 1_777_000_000_000u64}),
        )
        .await;
    assert_eq!(ingested.status, 201);
    let query =
        "phone=01012345678&amount=300&user_name=Jane+Doe+%2842%29&store_id=5&lang=en&client_id=42";
    let started = Instant::now();
    let reply: Value = daemon
        .http
        .get(daemon.url(&format!("/api/payment_link_check?{query}")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(started.elapsed() < Duration::from_millis(daemon.settings.check_wait_ms + 1000));
    assert_eq!(reply["status"], true, "{reply:#}");
    assert_eq!(reply["state"], "credited");
    let ledger = daemon.whmcs.ledger(42);
    assert_eq!(
        ledger.len(),
        1,
        "the credit is in WHMCS when status is true"
    );
    assert_eq!(ledger[0].description, DESCRIPTION);
    assert_eq!(ledger[0].amount, "5.94");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_check_made_too_early_reports_status_true_once_and_never_again() {
    let daemon = spawn_daemon(|_| {}).await;
    daemon.default_store().await;
    let early = daemon.check_simple("42", "100").await;
    assert_eq!(early.body["state"], "searching");
    assert_eq!(early.body["status"], false);
    let id = early.body["payment_id"].as_str().unwrap().to_owned();
    daemon.ingest_tx("014412345678", "01012345678", "100").await;
    until_state(&daemon, &id, "credited").await;
    let again = daemon.check_simple("42", "100").await;
    assert_eq!(again.body["payment_id"], id.as_str());
    assert_eq!(again.body["status"], true, "reported once");
    for _ in 0..3 {
        let later = daemon.check_simple("42", "100").await;
        assert_eq!(later.body["status"], false, "never twice");
        assert_ne!(
            later.body["payment_id"],
            id.as_str(),
            "a new transfer is a new payment"
        );
    }
    assert_eq!(
        daemon.poll(&id, "").await.body["status"],
        false,
        "polls never report status true"
    );
    assert_eq!(daemon.whmcs.total_credits(), 1);
}

/// Regression (found by the crash loop): a scan's stale copy of an entry
/// whose call just had an unknown outcome made a second AddCredit. The
/// worker now reads the entry again under the store's lock and every
/// write is a compare-and-swap.
#[tokio::test(flavor = "multi_thread")]
async fn a_stale_copy_of_an_entry_never_sends_a_second_credit() {
    use cashgate::clock::{Clock, ManualClock};
    use cashgate::domain::{Amount, ClientId, Lang, Phone, StoreId, TransId};
    use cashgate::payments::{Lane, NewPayment, Payments, PaymentsOptions, TransactionRecord};
    use cashgate::worker::Crediter;

    cashgate::daemon::install_crypto_provider();
    let whmcs = crate::support::whmcs::WhmcsEmulator::start().await;
    let dir = tempfile::tempdir().unwrap();
    let store = Payments::open(dir.path(), PaymentsOptions::default()).unwrap();
    let clock = ManualClock::starting_at(jiff::Timestamp::from_second(1_780_000_000).unwrap());
    let store_id = StoreId::parse(STORE).unwrap();
    let body = json!({"name": "Test", "currency_rate": "1", "whmcs": {"api_url": whmcs.url(), "identifier": crate::support::whmcs::IDENTIFIER, "secret": crate::support::whmcs::SECRET}});
    let settings =
        cashgate::merchant::StoreSettings::from_put_body(body.to_string().as_bytes(), None)
            .unwrap();
    store
        .stores()
        .put(&store_id, &settings)
        .unwrap()
        .durable()
        .await
        .unwrap();
    let tx = TransactionRecord::new(
        store_id.clone(),
        TransId::parse("014412345678").unwrap(),
        Some(Phone::parse("01012345678").unwrap()),
        Amount::parse("100").unwrap(),
        clock.now(),
        clock.now(),
    );
    store
        .ingest(&tx, clock.now())
        .unwrap()
        .durable()
        .await
        .unwrap();
    let new = NewPayment {
        store_id,
        client_id: ClientId::try_from(42).unwrap(),
        phone: Phone::parse("01012345678").unwrap(),
        amount: Amount::parse("100").unwrap(),
        lang: Lang::En,
        invoice: None,
    };
    store
        .check(&new, clock.now())
        .unwrap()
        .durable()
        .await
        .unwrap();
    let (key, stale) = store
        .due_outbox(Lane::Whmcs, clock.now(), 10)
        .unwrap()
        .remove(0);

    let mut settings = crate::support::daemon::test_settings(dir.path()).whmcs;
    settings.reconcile_delay_ms = 1000;
    let client = cashgate::whmcs::WhmcsClient::new(Duration::from_secs(2)).unwrap();
    let crediter = Crediter::new(store.clone(), Clock::from(clock.clone()), client, settings);
    whmcs.fail_next_add_credit(1, AddCreditFault::CommitThenDrop);
    crediter.perform(key.clone(), stale.clone()).await.unwrap();
    assert_eq!(whmcs.add_credit_calls(), 1);
    // The stale copy comes back (as from a scan made before the call).
    clock.advance(jiff::SignedDuration::from_secs(2));
    crediter.perform(key, stale).await.unwrap();
    assert_eq!(
        whmcs.add_credit_calls(),
        1,
        "never sent again before GetCredits"
    );
    assert_eq!(whmcs.get_credits_calls(), 1);
    assert_eq!(whmcs.credits_with_description(DESCRIPTION), 1);
    let payment = store.payment(&stale_payment(&store)).unwrap().unwrap();
    assert_eq!(payment.state_name().as_str(), "credited");
}

fn stale_payment(store: &cashgate::payments::Payments) -> cashgate::domain::PaymentId {
    store
        .payments_in_state(cashgate::machine::StateName::Credited, None, 1)
        .unwrap()
        .remove(0)
}

/// Review finding: an amount that converts to no credit at the store's
/// rate is refused at check time (400), and a transaction of such an
/// amount is stored but claims nothing (it used to fail the whole write).
#[tokio::test(flavor = "multi_thread")]
async fn amounts_too_small_to_credit_are_refused_or_left_unclaimed() {
    let daemon = spawn_daemon(|_| {}).await;
    daemon.put_store(STORE, json!({"currency_rate": "1"})).await;
    let early = daemon.check_simple("42", "0.01").await;
    assert_eq!(early.body["state"], "searching");
    daemon
        .put_store(STORE, json!({"currency_rate": "50.50"}))
        .await;
    let refused = daemon.check_simple("43", "0.01").await;
    assert_eq!(refused.status, 400);
    assert_eq!(refused.body["error"], "invalid_amount");
    let tx = daemon
        .ingest_tx("014412345678", "01012345678", "0.01")
        .await;
    assert_eq!(tx.status, 201, "{tx:?}");
    assert_eq!(
        tx.body["payment_id"],
        Value::Null,
        "not claimed: it would credit nothing"
    );
    assert_eq!(
        daemon
            .http
            .get(daemon.url("/healthz"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
}
