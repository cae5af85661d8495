//! `cashgate backup`, `cashgate restore` and `cashgate verify`
//! (docs/operations.md). Each prints what it did as JSON or one line per
//! problem, and fails (exit code 1) when something is wrong.

use std::path::Path;

use serde_json::json;

use super::ask_daemon;
use crate::config::Settings;
use crate::daemon::{open_folder, payments_options};
use crate::data_dir::{OpenError, Purpose, privacy};
use crate::payments::{DbError, Payments, PaymentsOptions, VERIFY_PAYMENTS_MAX};

/// `cashgate backup --to DIR`: a consistent copy of the data folder into
/// a missing or empty folder. With the daemon stopped it copies the folder
/// itself; while the daemon holds it, the daemon makes the copy (admin
/// API, `POST /admin/backup`), on this host.
pub fn backup(config: Option<&Path>, to: &Path) -> Result<(), String> {
    let settings = Settings::load(config).map_err(|e| e.to_string())?;
    let to = std::path::absolute(to).map_err(|e| format!("{}: {e}", to.display()))?;
    let options = payments_options(&settings);
    let report = match open_folder(&settings.data_dir, &options, Purpose::Inspect) {
        Ok((payments, format_version)) => {
            let report = payments.backup(&settings.data_dir, &to, format_version);
            payments.close().map_err(|e| e.to_string())?;
            serde_json::to_value(report.map_err(|e| e.to_string())?).map_err(|e| e.to_string())?
        }
        Err(OpenError::Db(DbError::Locked(_))) => {
            let runtime = runtime()?;
            let body = json!({"to": to});
            runtime.block_on(ask_daemon(&settings, "/admin/backup", Some(body)))?
        }
        Err(e) => return Err(e.to_string()),
    };
    print_json(&report);
    Ok(())
}

/// `cashgate restore --from BACKUP --data-dir NEW`: the backup into a new
/// or empty folder, then `verify` on the result.
pub fn restore(from: &Path, data_dir: &Path) -> Result<(), String> {
    let report = crate::data_dir::restore(from, data_dir).map_err(|e| e.to_string())?;
    print_json(&serde_json::to_value(&report).map_err(|e| e.to_string())?);
    distrust_queued_credits(data_dir)?;
    verify_folder(data_dir, &PaymentsOptions::default())
}

/// A restored folder may be older than what WHMCS already credited: its
/// queued AddCredits wait for GetCredits before anything is sent again.
fn distrust_queued_credits(dir: &Path) -> Result<(), String> {
    let (payments, _) =
        open_folder(dir, &PaymentsOptions::default(), Purpose::Serve).map_err(|e| e.to_string())?;
    let marked = payments
        .distrust_queued_credits(jiff::Timestamp::now())
        .map_err(|e| e.to_string());
    payments.close().map_err(|e| e.to_string())?;
    let marked = marked?;
    if marked > 0 {
        eprintln!(
            "{marked} queued AddCredit calls will first ask WHMCS (GetCredits) whether the credit \
             is already there: the backup may predate them"
        );
    }
    Ok(())
}

/// `cashgate verify [--data-dir DIR]`: every stored invariant, offline.
/// Prints each problem and fails when there is any; incomplete stores and
/// loose permissions are printed as warnings only.
pub fn verify(config: Option<&Path>, data_dir: Option<&Path>) -> Result<(), String> {
    let settings = Settings::load(config).map_err(|e| e.to_string())?;
    let dir = data_dir.unwrap_or(&settings.data_dir);
    verify_folder(dir, &payments_options(&settings))
}

fn verify_folder(dir: &Path, options: &PaymentsOptions) -> Result<(), String> {
    let (payments, format_version) = match open_folder(dir, options, Purpose::Inspect) {
        Ok(opened) => opened,
        Err(OpenError::Db(DbError::Locked(_))) => {
            return Err(format!(
                "{} is in use by the running daemon: back it up (cashgate backup --to DIR) \
                 and verify the backup (cashgate verify --data-dir DIR)",
                dir.display()
            ));
        }
        Err(e) => return Err(e.to_string()),
    };
    let result = report(&payments, dir, format_version);
    payments.close().map_err(|e| e.to_string())?;
    let problems = result?;
    if problems == 0 {
        Ok(())
    } else {
        Err(format!("{problems} problems in {}", dir.display()))
    }
}

/// Prints the folder's warnings and problems; returns how many problems.
fn report(payments: &Payments, dir: &Path, format_version: u32) -> Result<usize, String> {
    let stored = payments.payments_stored().map_err(|e| e.to_string())?;
    println!(
        "{}: format version {format_version}, {stored} payments",
        dir.display()
    );
    if stored > u64::try_from(VERIFY_PAYMENTS_MAX).unwrap_or(u64::MAX) {
        println!("warning: only the first {VERIFY_PAYMENTS_MAX} payments are checked");
    }
    for store in payments.stores().incomplete().map_err(|e| e.to_string())? {
        let refused = if store.checks_refused {
            " (checks for it are refused)"
        } else {
            ""
        };
        println!(
            "warning: store {} is incomplete: {}{refused}",
            store.id, store.problem
        );
    }
    for path in privacy::exposed(dir).map_err(|e| e.to_string())? {
        println!(
            "warning: {} is open to group or others (chmod go-rwx)",
            path.display()
        );
    }
    let problems = payments.verify().map_err(|e| e.to_string())?;
    for problem in &problems {
        println!("problem: {problem}");
    }
    if problems.is_empty() {
        println!("ok: every invariant holds");
    }
    Ok(problems.len())
}

fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())
}

fn print_json(value: &serde_json::Value) {
    println!(
        "{}",
        serde_json::to_string_pretty(value).unwrap_or_default()
    );
}
