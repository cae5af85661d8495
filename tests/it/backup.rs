//! Backups, restores and `verify`: a backup taken while the daemon serves
//! checks and transfers holds everything acknowledged before it and is
//! consistent; one taken at rest restores to a folder that serves the same
//! payments, transactions, outbox and timers; and every file cashgate
//! leaves — in its data folder and in a backup — is owner-only; and
//! `cashgate verify` fails, naming the problem, on a damaged folder.

use std::collections::HashSet;
use std::path::Path;
use std::process::Command;
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};

use crate::support::api::{INGEST_TOKEN, STORE};
use crate::support::daemon::{Parked, TestDaemon, spawn_daemon};
use crate::support::waits::until_state;

const LOAD_TASKS: usize = 8;
const LOAD_PAYMENTS_PER_TASK: usize = 40;

fn cashgate(args: &[&str], envs: &[(&str, &Path)]) -> (bool, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_cashgate"));
    command.args(args);
    for (k, v) in envs {
        command.env(k, v);
    }
    let output = command.output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

/// One customer: a transfer arrives and their check claims it.
async fn pay(daemon: &TestDaemon, task: usize, i: usize) -> Option<String> {
    let phone = format!("010{:08}", task * 1000 + i);
    let trans_id = format!("0144{:08}", task * 1000 + i);
    let client = format!("{}", task * 1000 + i + 1);
    let tx = json!({"trans_id": trans_id, "phone": phone, "amount": "100"});
    daemon.ingest(STORE, INGEST_TOKEN, &tx).await;
    let check = daemon
        .check(&[
            ("store_id", STORE),
            ("phone", &phone),
            ("amount", "100"),
            ("client_id", &client),
        ])
        .await;
    check.body["payment_id"].as_str().map(str::to_owned)
}

/// Every payment with its history and outbox, as the admin API shows them.
async fn everything(daemon: &TestDaemon) -> Vec<Value> {
    let mut out = Vec::new();
    for p in daemon.all_payments().await {
        let id = p["id"].as_str().unwrap();
        out.push(
            daemon
                .admin_get(&format!("/admin/payments/{id}"))
                .await
                .body,
        );
    }
    out.sort_by_key(|p| p["id"].as_str().unwrap().to_owned());
    let txs = daemon
        .admin_get(&format!("/admin/transactions?store_id={STORE}&limit=1000"))
        .await;
    out.push(txs.body);
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn a_backup_under_load_holds_every_acknowledged_payment_and_restores_to_the_same_folder() {
    let daemon = Arc::new(spawn_daemon(|_| {}).await);
    daemon.default_store().await;
    let acknowledged = Arc::new(Mutex::new(Vec::new()));
    let load: Vec<_> = (0..LOAD_TASKS)
        .map(|task| {
            let (daemon, acknowledged) = (daemon.clone(), acknowledged.clone());
            tokio::spawn(async move {
                for i in 0..LOAD_PAYMENTS_PER_TASK {
                    if let Some(id) = pay(&daemon, task, i).await {
                        acknowledged.lock().unwrap().push(id);
                    }
                }
            })
        })
        .collect();
    while acknowledged.lock().unwrap().len() < LOAD_TASKS * LOAD_PAYMENTS_PER_TASK / 3 {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let before: HashSet<String> = acknowledged.lock().unwrap().iter().cloned().collect();
    let tmp = tempfile::tempdir().unwrap();
    let under_load = tmp.path().join("under-load");
    let report = daemon
        .admin_post("/admin/backup", &json!({"to": under_load}))
        .await;
    assert_eq!(report.status, 200, "{report:?}");
    eprintln!(
        "backup under load: {} entries, writes paused {} ms, took {} ms",
        report.body["entries"]
            .as_object()
            .unwrap()
            .values()
            .map(|v| v.as_u64().unwrap())
            .sum::<u64>(),
        report.body["writes_paused_ms"],
        report.body["took_ms"]
    );
    for task in load {
        task.await.unwrap();
    }
    assert!(
        acknowledged.lock().unwrap().len() > before.len(),
        "the load went on after the backup"
    );
    assert!(
        cashgate::data_dir::privacy::exposed(&under_load)
            .unwrap()
            .is_empty()
    );

    let restored = tmp.path().join("restored-under-load");
    let (ok, text) = cashgate(
        &[
            "restore",
            "--from",
            under_load.to_str().unwrap(),
            "--data-dir",
            restored.to_str().unwrap(),
        ],
        &[],
    );
    assert!(ok && text.contains("ok: every invariant holds"), "{text}");
    let (copy, _) = cashgate::daemon::open_folder(
        &restored,
        &cashgate::payments::PaymentsOptions::default(),
        cashgate::data_dir::Purpose::Inspect,
    )
    .unwrap();
    for id in &before {
        let id = cashgate::domain::PaymentId::parse(id).unwrap();
        assert!(
            copy.payment(&id).unwrap().is_some(),
            "{id} was acknowledged before the backup"
        );
    }
    copy.close().unwrap();

    // At rest, through the command line (the daemon holds the folder).
    let daemon = Arc::into_inner(daemon).unwrap();
    let live = everything(&daemon).await;
    let at_rest = tmp.path().join("at-rest");
    let (ok, text) = cashgate(
        &["backup", "--to", at_rest.to_str().unwrap()],
        &[
            ("CASHGATE_DATA_DIR", daemon.dir.path()),
            ("CASHGATE_LISTEN", Path::new(&daemon.addr.to_string())),
        ],
    );
    assert!(ok, "{text}");
    let restored = Arc::new(tempfile::tempdir().unwrap());
    let (ok, text) = cashgate(
        &[
            "restore",
            "--from",
            at_rest.to_str().unwrap(),
            "--data-dir",
            restored.path().to_str().unwrap(),
        ],
        &[],
    );
    assert!(ok, "{text}");
    let settings = crate::support::daemon::test_settings(restored.path());
    let parked = daemon.stop().await;
    let copy = Parked {
        settings,
        dir: restored,
        clock: parked.clock.clone(),
        whmcs: parked.whmcs.clone(),
    }
    .start()
    .await;
    assert_eq!(everything(&copy).await, live);
    copy.stop().await;
}

/// The real binary on its own config in `dir`, serving `data`, with store
/// 5 saved.
async fn binary_with_store(dir: &Path, data: &Path) -> crate::support::binary::Binary {
    let config = dir.join("cashgate.toml");
    std::fs::write(
        &config,
        format!(
            "listen = \"127.0.0.1:0\"\ndata_dir = \"{}\"\n",
            data.display()
        ),
    )
    .unwrap();
    let daemon = crate::support::binary::Binary::start(&config, data);
    let put = daemon
        .http
        .put(daemon.url("/admin/stores/5"))
        .bearer_auth(&daemon.admin_token)
        .json(&json!({"name": "Five", "currency_rate": "1",
            "whmcs": {"api_url": "https://billing.example.com", "identifier": "i", "secret": "s"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), 201);
    daemon
}

#[tokio::test(flavor = "multi_thread")]
async fn the_data_folder_and_its_backups_are_owner_only_after_a_fresh_start() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let daemon = binary_with_store(tmp.path(), &data).await;
    let private = |dir: &Path| {
        let exposed = cashgate::data_dir::privacy::exposed(dir).unwrap();
        assert!(exposed.is_empty(), "{exposed:?}");
        let mode = |p: &Path| {
            use std::os::unix::fs::PermissionsExt;
            std::fs::metadata(p).unwrap().permissions().mode() & 0o777
        };
        assert_eq!(mode(dir), 0o700);
        for file in ["admin_token", "format_version", "db/conf", "db/db"] {
            assert_eq!(mode(&dir.join(file)), 0o600, "{file}");
        }
    };
    private(&data);
    let listen = daemon.base.trim_start_matches("http://").to_owned();
    let through_daemon = tmp.path().join("through-daemon");
    let envs = [
        ("CASHGATE_LISTEN", Path::new(&listen)),
        ("CASHGATE_DATA_DIR", data.as_path()),
    ];
    let (ok, text) = cashgate(&["backup", "--to", through_daemon.to_str().unwrap()], &envs);
    assert!(ok, "{text}");
    private(&through_daemon);
    daemon.kill();
    let offline = tmp.path().join("offline");
    let (ok, text) = cashgate(&["backup", "--to", offline.to_str().unwrap()], &envs);
    assert!(ok, "{text}");
    private(&offline);
    private(&data);
    let (ok, text) = cashgate(&["verify"], &envs);
    assert!(ok && text.contains("ok: every invariant holds"), "{text}");
    let (ok, text) = cashgate(&["backup", "--to", offline.to_str().unwrap()], &envs);
    assert!(!ok && text.contains("not empty"), "{text}");
}

/// `cashgate verify` (the real binary) on a stopped folder: exit 0 and
/// "ok" while it is whole; once a payment's audit trail is gone (removed
/// below cashgate, with sled, as a damaged disk or a hand edit would),
/// exit non-zero with a `problem:` line naming that payment.
#[tokio::test(flavor = "multi_thread")]
async fn verify_exits_non_zero_with_a_problem_line_on_a_damaged_folder_and_zero_on_a_whole_one() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let daemon = binary_with_store(tmp.path(), &data).await;
    let check: Value =
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
    assert_eq!(check["state"], "searching", "{check}");
    let id = check["payment_id"].as_str().unwrap().to_owned();
    daemon.kill();
    let config = tmp.path().join("cashgate.toml");
    let config = config.to_str().unwrap();

    let (ok, text) = cashgate(&["verify", "--config", config], &[]);
    assert!(ok, "{text}");
    assert!(text.contains("ok: every invariant holds"), "{text}");
    assert!(!text.contains("problem:"), "{text}");

    {
        let db = sled::open(data.join("db")).unwrap();
        let audit = db.open_tree("audit").unwrap();
        let keys: Vec<_> = audit
            .scan_prefix(id.as_bytes())
            .keys()
            .collect::<Result<_, _>>()
            .unwrap();
        assert!(!keys.is_empty(), "the payment has an audit trail to remove");
        for key in keys {
            audit.remove(key).unwrap();
        }
        db.flush().unwrap();
    }

    let (ok, text) = cashgate(&["verify", "--config", config], &[]);
    assert!(!ok, "verify passed a damaged folder: {text}");
    assert!(
        text.lines()
            .any(|l| l.starts_with("problem: invariant 4:") && l.contains(&id)),
        "{text}"
    );
    // Every problem is that payment's, and the count says so.
    let problems: Vec<_> = text.lines().filter(|l| l.starts_with("problem:")).collect();
    assert!(problems.iter().all(|l| l.contains(&id)), "{text}");
    assert!(
        text.contains(&format!("{} problems in", problems.len())),
        "{text}"
    );
    assert!(!text.contains("ok: every invariant holds"), "{text}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_transfer_credited_after_the_backup_is_not_credited_again_after_a_restore() {
    let daemon = spawn_daemon(|_| {}).await;
    daemon.default_store().await;
    let check = daemon.check_simple("42", "100").await;
    let id = check.body["payment_id"].as_str().unwrap().to_owned();
    assert_eq!(check.body["state"], "searching");

    // The backup holds the payment still searching.
    let parked = daemon.stop().await;
    let tmp = tempfile::tempdir().unwrap();
    let backup = tmp.path().join("backup");
    let (ok, text) = cashgate(
        &["backup", "--to", backup.to_str().unwrap()],
        &[("CASHGATE_DATA_DIR", parked.dir.path())],
    );
    assert!(ok, "{text}");

    // After it, the transfer arrives and is credited.
    let whmcs = parked.whmcs.clone();
    let clock = parked.clock.clone();
    let daemon = parked.start().await;
    assert_eq!(
        daemon
            .ingest_tx("014412345678", "01012345678", "100")
            .await
            .status,
        201
    );
    until_state(&daemon, &id, "credited").await;
    assert_eq!(whmcs.add_credit_calls(), 1);
    let lost = daemon.stop().await;
    drop(lost);

    // The disk is lost: the backup is restored, and the forwarder posts
    // the notification again. The payment claims it again, but WHMCS has
    // the credit: GetCredits first, no second AddCredit.
    let restored = Arc::new(tempfile::tempdir().unwrap());
    let (ok, text) = cashgate(
        &[
            "restore",
            "--from",
            backup.to_str().unwrap(),
            "--data-dir",
            restored.path().to_str().unwrap(),
        ],
        &[],
    );
    assert!(ok, "{text}");
    let daemon = Parked {
        settings: crate::support::daemon::test_settings(restored.path()),
        dir: restored,
        clock,
        whmcs: whmcs.clone(),
    }
    .start()
    .await;
    assert_eq!(daemon.version_and_state(&id).await.1, "searching");
    let gets_before = whmcs.get_credits_calls();
    daemon.ingest_tx("014412345678", "01012345678", "100").await;
    until_state(&daemon, &id, "credited").await;
    assert_eq!(whmcs.add_credit_calls(), 1, "the credit was sent twice");
    assert_eq!(whmcs.ledger(42).len(), 1, "{:?}", whmcs.ledger(42));
    assert!(
        whmcs.get_credits_calls() > gets_before,
        "GetCredits went first"
    );
    let history = daemon
        .admin_get(&format!("/admin/payments/{id}"))
        .await
        .body["history"]
        .clone();
    assert!(
        history
            .as_array()
            .unwrap()
            .iter()
            .any(|h| h["event"] == "reconciled_found"),
        "{history}"
    );
    daemon.stop().await;
}
