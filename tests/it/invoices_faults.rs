//! Invoices under faults: every fault the WHMCS emulator injects on
//! ApplyCredit and GetInvoice, a refusal that opens the breaker, retries
//! that run out, and the real binary killed with SIGKILL between sending
//! ApplyCredit and its answer. Whatever happens, no invoice gets two
//! applications from one payment.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::invoices::{CLIENT, check_for, settled, until};
use crate::support::api::STORE;
use crate::support::binary::Binary;
use crate::support::daemon::{TestDaemon, spawn_daemon};
use crate::support::whmcs::{ApplyCreditFault, GetInvoiceFault, StartEmulator, WhmcsEmulator};

/// A daemon whose WHMCS calls time out after 400 ms, a store, an unpaid
/// invoice of 100.00 and a transaction of 100 EGP waiting for the check.
async fn setup() -> (TestDaemon, u32) {
    let daemon = spawn_daemon(|s| s.whmcs.timeout_ms = 400).await;
    daemon.default_store().await;
    let invoice = daemon.whmcs.create_invoice(CLIENT, "100.00", "Unpaid");
    let tx = daemon.ingest_tx("014412345678", "01012345678", "100").await;
    assert_eq!(tx.status, 201, "{tx:?}");
    (daemon, invoice)
}

fn payment_id(reply: &crate::support::api::Answer) -> String {
    reply.body["payment_id"]
        .as_str()
        .unwrap_or_else(|| panic!("{reply:?}"))
        .to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn every_apply_credit_fault_ends_in_exactly_one_application() {
    let faults = [
        (ApplyCreditFault::CommitThenDrop, 1),
        (ApplyCreditFault::CommitThen500, 1),
        (
            ApplyCreditFault::CommitThenStall(Duration::from_millis(1500)),
            1,
        ),
        // Nothing committed: sent again, but only after GetInvoice showed
        // twice that nothing was applied.
        (ApplyCreditFault::FailBefore500, 2),
    ];
    for (fault, calls) in faults {
        let (daemon, invoice) = setup().await;
        daemon.whmcs.fail_next_apply_credit(1, fault);
        let reply = check_for(&daemon, "100", Some(invoice)).await;
        let detail = settled(&daemon, &payment_id(&reply)).await;
        assert_eq!(
            detail["invoice"]["state"], "applied",
            "{fault:?}: {detail:#}"
        );
        assert_eq!(daemon.whmcs.applications_to(invoice), 1, "{fault:?}");
        assert_eq!(daemon.whmcs.apply_credit_calls(), calls, "{fault:?}");
        assert!(
            daemon.whmcs.get_invoice_calls() >= 2,
            "{fault:?}: read to settle it"
        );
        assert_eq!(detail["invoice"]["tries"], calls, "{fault:?}");
        assert_eq!(
            daemon.whmcs.invoice(invoice).expect("invoice").status,
            "Paid"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn get_invoice_faults_before_the_call_only_delay_it() {
    let faults = [
        GetInvoiceFault::Status500,
        GetInvoiceFault::Drop,
        GetInvoiceFault::Stall(Duration::from_millis(1500)),
    ];
    for fault in faults {
        let (daemon, invoice) = setup().await;
        daemon.whmcs.get_invoice_fail(Some(fault));
        let reply = check_for(&daemon, "100", Some(invoice)).await;
        let id = payment_id(&reply);
        until(&daemon, &id, |_| daemon.whmcs.get_invoice_calls() >= 3).await;
        assert_eq!(
            daemon.whmcs.apply_credit_calls(),
            0,
            "{fault:?}: not read yet"
        );
        let detail = daemon
            .admin_get(&format!("/admin/payments/{id}"))
            .await
            .body;
        assert_eq!(detail["invoice"]["state"], "pending", "{fault:?}");
        assert!(
            detail["invoice"]["message"]
                .as_str()
                .is_some_and(|m| m.contains("GetInvoice")),
            "{fault:?}: the reason is visible: {detail:#}"
        );
        daemon.whmcs.get_invoice_fail(None);
        let detail = settled(&daemon, &id).await;
        assert_eq!(detail["invoice"]["state"], "applied", "{fault:?}");
        assert_eq!(daemon.whmcs.applications_to(invoice), 1, "{fault:?}");
        assert_eq!(daemon.whmcs.apply_credit_calls(), 1, "{fault:?}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unknown_outcome_waits_for_get_invoice_however_long_it_fails() {
    for fault in [GetInvoiceFault::Status500, GetInvoiceFault::Drop] {
        let (daemon, invoice) = setup().await;
        daemon
            .whmcs
            .fail_next_apply_credit(1, ApplyCreditFault::CommitThenDrop);
        let reply = check_for(&daemon, "100", Some(invoice)).await;
        let id = payment_id(&reply);
        daemon.whmcs.get_invoice_fail(Some(fault));
        let reads = daemon.whmcs.get_invoice_calls();
        until(&daemon, &id, |_| {
            daemon.whmcs.get_invoice_calls() >= reads + 3
        })
        .await;
        assert_eq!(
            daemon.whmcs.apply_credit_calls(),
            1,
            "{fault:?}: nothing sent"
        );
        daemon.whmcs.get_invoice_fail(None);
        let detail = settled(&daemon, &id).await;
        assert_eq!(detail["invoice"]["state"], "applied", "{fault:?}");
        assert_eq!(daemon.whmcs.applications_to(invoice), 1, "{fault:?}");
        assert_eq!(daemon.whmcs.apply_credit_calls(), 1, "{fault:?}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_outcome_that_cannot_be_settled_goes_to_an_operator_never_sent_again() {
    let daemon = spawn_daemon(|s| s.whmcs.reconcile_tries_max = 3).await;
    daemon.default_store().await;
    let invoice = daemon.whmcs.create_invoice(CLIENT, "100.00", "Unpaid");
    daemon.ingest_tx("014412345678", "01012345678", "100").await;
    daemon
        .whmcs
        .fail_next_apply_credit(1, ApplyCreditFault::CommitThen500);
    let reply = check_for(&daemon, "100", Some(invoice)).await;
    daemon
        .whmcs
        .get_invoice_fail(Some(GetInvoiceFault::Status500));
    let detail = settled(&daemon, &payment_id(&reply)).await;
    assert_eq!(detail["invoice"]["state"], "failed", "{detail:#}");
    let message = detail["invoice"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("check the invoice in WHMCS"), "{message}");
    assert_eq!(detail["state"], "credited");
    assert_eq!(daemon.whmcs.apply_credit_calls(), 1);
    assert_eq!(daemon.whmcs.applications_to(invoice), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn applications_that_never_get_through_give_up_without_applying() {
    let daemon = spawn_daemon(|s| s.whmcs.credit_tries_max = 3).await;
    daemon.default_store().await;
    let invoice = daemon.whmcs.create_invoice(CLIENT, "100.00", "Unpaid");
    daemon.ingest_tx("014412345678", "01012345678", "100").await;
    daemon
        .whmcs
        .set_apply_credit_fault(Some(ApplyCreditFault::FailBefore500));
    let reply = check_for(&daemon, "100", Some(invoice)).await;
    let detail = settled(&daemon, &payment_id(&reply)).await;
    assert_eq!(detail["invoice"]["state"], "failed", "{detail:#}");
    assert!(
        detail["invoice"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("gave up after 3 tries")),
        "{detail:#}"
    );
    assert_eq!(daemon.whmcs.apply_credit_calls(), 3);
    assert!(daemon.whmcs.applications().is_empty());
    assert_eq!(daemon.whmcs.balance(CLIENT), "100.00");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_permission_refusal_opens_the_breaker_and_the_invoice_waits_for_new_settings() {
    let (daemon, invoice) = setup().await;
    daemon.whmcs.allow_apply_credit(false);
    let reply = check_for(&daemon, "100", Some(invoice)).await;
    assert_eq!(reply.body["status"], true, "the credit is there: {reply:?}");
    let id = payment_id(&reply);
    let detail = until(&daemon, &id, |_| daemon.whmcs.apply_credit_calls() == 1).await;
    assert_eq!(detail["invoice"]["state"], "pending");
    // More business time: the breaker holds every call to this WHMCS.
    let calls = daemon.whmcs.requests();
    for _ in 0..10 {
        daemon.clock.advance(jiff::SignedDuration::from_millis(500));
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert_eq!(daemon.whmcs.requests(), calls, "nothing more was sent");
    let detail = daemon
        .admin_get(&format!("/admin/payments/{id}"))
        .await
        .body;
    let message = detail["invoice"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("Invalid Permissions"), "{detail:#}");
    assert!(daemon.whmcs.applications().is_empty());

    daemon.whmcs.allow_apply_credit(true);
    daemon.default_store().await;
    let detail = settled(&daemon, &id).await;
    assert_eq!(detail["invoice"]["state"], "applied", "{detail:#}");
    assert_eq!(daemon.whmcs.applications_to(invoice), 1);
}

/// A config for the real binary against `whmcs`'s emulator.
fn write_config(dir: &std::path::Path, data: &std::path::Path) -> std::path::PathBuf {
    let config = dir.join("cashgate.toml");
    let text = format!(
        "listen = \"127.0.0.1:0\"\ndata_dir = \"{}\"\ncheck_wait_ms = 200\n\
         [whmcs]\ntimeout_ms = 60000\nretry_base_ms = 20\nretry_max_ms = 100\nreconcile_delay_ms = 50\n\
         [workers]\npoll_interval_ms = 20\n",
        data.display()
    );
    std::fs::write(&config, text).expect("config");
    config
}

async fn admin(daemon: &Binary, method: reqwest::Method, path: &str, body: &Value) -> Value {
    let r = daemon
        .http
        .request(method, daemon.url(path))
        .bearer_auth(&daemon.admin_token)
        .json(body)
        .send()
        .await
        .expect("admin request");
    r.json().await.unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_daemon_killed_between_apply_credit_and_its_answer_applies_once_after_restart() {
    let whmcs = WhmcsEmulator::start().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let config = write_config(dir.path(), &data);
    let daemon = Binary::start(&config, &data);
    let store = json!({"name": "Invoices", "currency_rate": "1", "ingest_token": "tok", "whmcs": {"api_url": whmcs.url(),
        "identifier": crate::support::whmcs::IDENTIFIER, "secret": crate::support::whmcs::SECRET}});
    admin(&daemon, reqwest::Method::PUT, "/admin/stores/5", &store).await;
    let invoice = whmcs.create_invoice(CLIENT, "100.00", "Unpaid");
    // WHMCS commits the application, then holds its answer for a minute.
    whmcs.fail_next_apply_credit(
        1,
        ApplyCreditFault::CommitThenStall(Duration::from_secs(60)),
    );
    let tx = json!({"trans_id": "014412345678", "phone": "01012345678", "amount": "100"});
    let ingest = daemon.http.post(daemon.url("/api/stores/5/transactions"));
    ingest
        .bearer_auth("tok")
        .json(&tx)
        .send()
        .await
        .expect("ingest");
    let invoice_id = invoice.to_string();
    let query = [
        ("store_id", STORE),
        ("phone", "01012345678"),
        ("amount", "100"),
        ("client_id", "42"),
        ("invoice_id", invoice_id.as_str()),
    ];
    let check = daemon.http.get(daemon.url("/api/payment_link_check"));
    let reply: Value = check
        .query(&query)
        .send()
        .await
        .expect("check")
        .json()
        .await
        .expect("json");
    let id = reply["payment_id"].as_str().expect("payment id").to_owned();
    let started = Instant::now();
    while whmcs.applications_to(invoice) == 0 {
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "ApplyCredit never arrived"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    daemon.kill();

    let restarted = Binary::start(&config, &data);
    let path = format!("/admin/payments/{id}");
    let started = Instant::now();
    let detail = loop {
        let detail = admin(&restarted, reqwest::Method::GET, &path, &Value::Null).await;
        if detail["invoice"]["state"] != "pending" || started.elapsed() > Duration::from_secs(15) {
            break detail;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(detail["invoice"]["state"], "applied", "{detail:#}");
    assert_eq!(whmcs.applications_to(invoice), 1);
    assert_eq!(whmcs.apply_credit_calls(), 1, "never sent again");
    assert_eq!(detail["invoice"]["tries"], 1);
    restarted.kill();
}
