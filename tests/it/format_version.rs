//! The data folder's format version. `tests/fixtures/format-v1/` is a
//! folder written by the cashgate before format versions (commit 369b65e,
//! through its HTTP API; `make.sh` there rebuilds it), with what that
//! daemon reported about its payments. Today's daemon opens it, backs it
//! up, migrates it (owner-only, stamped 2) and serves the same payments;
//! the stores that version accepted unvalidated still load.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use cashgate::clock::ManualClock;
use cashgate::data_dir::{Purpose, privacy, version};
use cashgate::payments::PaymentsOptions;
use serde_json::{Value, json};

use crate::support::daemon::{Parked, TestDaemon, test_settings};
use crate::support::whmcs::{StartEmulator, WhmcsEmulator};

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/format-v1")
}

/// Copies the fixture's folder with the modes the old daemon left: the
/// folders 0755, sled's files 0644, the two secrets 0600 (git keeps none).
fn copy_old_folder(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    std::fs::set_permissions(to, std::fs::Permissions::from_mode(0o755)).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_old_folder(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
            let secret =
                ["admin_token", "approval_key"].contains(&entry.file_name().to_str().unwrap());
            let mode = if secret { 0o600 } else { 0o644 };
            std::fs::set_permissions(&target, std::fs::Permissions::from_mode(mode)).unwrap();
        }
    }
}

/// What the fixture's expectations compare: these fields of each payment.
fn projected(payments: &[Value]) -> Vec<Value> {
    let mut out: Vec<Value> = payments
        .iter()
        .map(|p| {
            let keys = [
                "id",
                "store_id",
                "client_id",
                "state",
                "version",
                "amount",
                "claim",
                "deadline",
            ];
            Value::Object(
                keys.iter()
                    .map(|k| ((*k).to_owned(), p[*k].clone()))
                    .collect(),
            )
        })
        .collect();
    out.sort_by_key(|p| p["id"].as_str().unwrap_or_default().to_owned());
    out
}

async fn start_on(dir: Arc<tempfile::TempDir>) -> TestDaemon {
    let settings = test_settings(dir.path());
    Parked {
        settings,
        dir,
        clock: ManualClock::starting_at(jiff::Timestamp::from_second(1_780_000_000).unwrap()),
        whmcs: Arc::new(WhmcsEmulator::start().await),
    }
    .start()
    .await
}

fn backups(data: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(data.join("backups"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_folder_of_the_previous_format_is_backed_up_migrated_and_serves_the_same_payments() {
    let expected: Value =
        serde_json::from_str(&std::fs::read_to_string(fixture().join("expected.json")).unwrap())
            .unwrap();
    let tmp = Arc::new(tempfile::tempdir().unwrap());
    let data = tmp.path().to_path_buf();
    copy_old_folder(&fixture().join("data"), &data);
    assert!(
        !privacy::exposed(&data).unwrap().is_empty(),
        "the old modes"
    );
    assert_eq!(version::read(&data).unwrap(), version::Found::Version(1));

    let daemon = start_on(tmp.clone()).await;
    assert_eq!(version::read(&data).unwrap(), version::Found::Version(2));
    assert!(
        privacy::exposed(&data).unwrap().is_empty(),
        "{:?}",
        privacy::exposed(&data)
    );
    let saved = backups(&data);
    assert_eq!(saved.len(), 1, "{saved:?}");
    let manifest = cashgate::data_dir::backup::read_manifest(&saved[0]).unwrap();
    assert_eq!(manifest.format_version, 1);

    let payments = daemon.all_payments().await;
    assert_eq!(
        projected(&payments),
        projected(expected["payments"].as_array().unwrap())
    );
    for (store, txs) in expected["transactions"].as_object().unwrap() {
        let shown = daemon
            .admin_get(&format!("/admin/transactions?store_id={store}"))
            .await;
        let mut seen: Vec<Value> = shown.body["transactions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| json!([t["trans_id"], t["payment_id"], t["credited_to"]]))
            .collect();
        seen.sort_by_key(|t| t[0].as_str().unwrap_or_default().to_owned());
        assert_eq!(&Value::Array(seen), txs, "store {store}");
    }
    let quarantine = daemon.admin_get("/admin/quarantine").await;
    let reasons: Vec<&Value> = quarantine.body["quarantine"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| &q["reason"])
        .collect();
    assert_eq!(
        reasons,
        expected["quarantine"]
            .as_array()
            .unwrap()
            .iter()
            .collect::<Vec<_>>()
    );

    // `PUT {}` and `PUT []` were saved then: they load, and say what they lack.
    for store in ["7", "8"] {
        assert_eq!(
            daemon
                .admin_get(&format!("/admin/stores/{store}"))
                .await
                .status,
            200
        );
        let check = daemon
            .check(&[
                ("store_id", store),
                ("phone", "01012345678"),
                ("amount", "100"),
                ("client_id", "1"),
            ])
            .await;
        assert_eq!(check.status, 409, "{check:?}");
        assert_eq!(check.body["error"], "store_not_ready");
    }
    // The API script's URL was accepted then and still credits: checks go on.
    let check = daemon
        .check(&[
            ("store_id", "9"),
            ("phone", "01012345678"),
            ("amount", "100"),
            ("client_id", "1"),
        ])
        .await;
    assert_eq!(check.body["state"], "searching", "{check:?}");

    // A restart finds the current version: no second backup.
    let parked = daemon.stop().await;
    let daemon = parked.start().await;
    assert_eq!(backups(&data).len(), 1);
    daemon.stop().await;

    let (payments, format_version) =
        cashgate::daemon::open_folder(&data, &PaymentsOptions::default(), Purpose::Inspect)
            .unwrap();
    assert_eq!(format_version, 2);
    assert_eq!(payments.verify().unwrap(), Vec::<String>::new());
    let mut incomplete: Vec<(String, String, bool)> = payments
        .stores()
        .incomplete()
        .unwrap()
        .into_iter()
        .map(|s| (s.id.to_string(), s.problem.field, s.checks_refused))
        .collect();
    incomplete.sort();
    assert_eq!(
        incomplete,
        vec![
            ("7".into(), "name".into(), true),
            ("8".into(), "name".into(), true),
            ("9".into(), "whmcs.api_url".into(), false),
        ]
    );
    payments.close().unwrap();

    // The automatic backup is a whole version-1 folder with the same payments.
    let (backup, format_version) =
        cashgate::daemon::open_folder(&saved[0], &PaymentsOptions::default(), Purpose::Inspect)
            .unwrap();
    assert_eq!(format_version, 1);
    assert_eq!(backup.verify().unwrap(), Vec::<String>::new());
    assert_eq!(backup.payments_stored().unwrap(), 6);
    backup.close().unwrap();
}

#[test]
fn a_folder_of_a_newer_format_is_refused_with_a_clear_message() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    std::fs::create_dir(&data).unwrap();
    version::write(&data, version::CURRENT + 1).unwrap();
    for args in [
        vec!["serve"],
        vec!["verify"],
        vec!["backup", "--to", "/nonexistent/x"],
    ] {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_cashgate"))
            .args(&args)
            .env("CASHGATE_DATA_DIR", &data)
            .env("CASHGATE_LISTEN", "127.0.0.1:0")
            .output()
            .unwrap();
        assert!(!output.status.success(), "{args:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains("format version 3") && stderr.contains("newer than this cashgate"),
            "{args:?}: {stderr}"
        );
    }
    assert!(!data.join("db").exists(), "nothing opened it");
}
