//! What the command line needs beyond argument parsing: logging set-up,
//! the shutdown signal, the offline store commands, and (`ops`) backup,
//! restore and verify.

mod ops;

use std::path::Path;

pub use ops::{backup, restore, verify};

use crate::config::{LogSettings, Settings};
use crate::daemon::open_folder;
use crate::data_dir::{OpenError, Purpose};
use crate::domain::StoreId;
use crate::merchant::StoreSettings;
use crate::payments::DbError;

/// Text or JSON logs to stderr, filtered by the `log.filter` setting.
pub fn init_logging(log: &LogSettings) {
    let filter = tracing_subscriber::EnvFilter::try_new(&log.filter)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let result = if log.json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
    if result.is_err() {
        eprintln!("cashgate: logging was already set up");
    }
}

/// Installs the SIGTERM and SIGINT handlers now, and returns a future that
/// resolves when either arrives. Installing them before the daemon says it
/// is serving means a SIGTERM right after that line still stops it
/// gracefully instead of killing it. Call it inside the runtime.
pub fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    use tokio::signal::unix::{SignalKind, signal};
    let term = signal(SignalKind::terminate());
    let int = signal(SignalKind::interrupt());
    async move {
        let (Ok(mut term), Ok(mut int)) = (term, int) else {
            tracing::error!("cannot listen for signals; stop with SIGKILL");
            return std::future::pending().await;
        };
        tokio::select! {
            _ = term.recv() => tracing::info!("SIGTERM: stopping"),
            _ = int.recv() => tracing::info!("SIGINT: stopping"),
        }
    }
}

/// `cashgate store put ID FILE.json`: what the admin PUT does, offline.
pub fn store_put(config: Option<&Path>, id: &str, file: &Path) -> Result<(), String> {
    let settings = Settings::load(config).map_err(|e| e.to_string())?;
    let id = StoreId::parse(id).map_err(|e| e.to_string())?;
    let body = std::fs::read(file).map_err(|e| format!("{}: {e}", file.display()))?;
    let options = crate::daemon::payments_options(&settings);
    let (payments, _) =
        open_folder(&settings.data_dir, &options, Purpose::Serve).map_err(|e| e.to_string())?;
    let existing = payments.stores().get(&id).map_err(|e| e.to_string())?;
    let new = StoreSettings::from_put_body(&body, existing.as_ref()).map_err(|e| e.to_string())?;
    payments
        .stores()
        .put(&id, &new)
        .and_then(|w| w.durable_blocking())
        .map_err(|e| e.to_string())?;
    payments.close().map_err(|e| e.to_string())?;
    println!("store {id} saved");
    Ok(())
}

/// `cashgate store check ID`: the store preflight. With the daemon
/// stopped it reads the store from the data folder and calls WHMCS itself;
/// while the daemon runs (the folder is locked) it asks the daemon's admin
/// API. Prints the checklist; fails when an item fails.
pub fn store_check(config: Option<&Path>, id: &str) -> Result<(), String> {
    let settings = Settings::load(config).map_err(|e| e.to_string())?;
    let id = StoreId::parse(id).map_err(|e| e.to_string())?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    crate::daemon::install_crypto_provider();
    let options = crate::daemon::payments_options(&settings);
    let report: serde_json::Value =
        match open_folder(&settings.data_dir, &options, Purpose::Inspect) {
            Ok((payments, _)) => {
                let stored = payments.stores().get(&id).map_err(|e| e.to_string())?;
                payments.close().map_err(|e| e.to_string())?;
                let stored = stored.ok_or_else(|| format!("store {id} is not known"))?;
                let timeout = std::time::Duration::from_millis(settings.whmcs.timeout_ms);
                let client = crate::whmcs::WhmcsClient::new(timeout).map_err(|e| e.to_string())?;
                let report = runtime
                    .block_on(client.preflight(&crate::whmcs::Credentials::from(&stored.whmcs)));
                serde_json::to_value(report).map_err(|e| e.to_string())?
            }
            Err(OpenError::Db(DbError::Locked(_))) => {
                let path = format!("/admin/stores/{id}/preflight");
                runtime.block_on(ask_daemon(&settings, &path, None))?
            }
            Err(e) => return Err(e.to_string()),
        };
    println!(
        "{}",
        serde_json::to_string_pretty(&report).unwrap_or_default()
    );
    match report["ok"].as_bool() {
        Some(true) => Ok(()),
        _ => Err(format!(
            "store {id}: the WHMCS settings need fixing (see the checks above)"
        )),
    }
}

/// A `POST` to the running daemon's admin API on loopback (the folder is
/// locked: the daemon holds it).
async fn ask_daemon(
    settings: &Settings,
    path: &str,
    body: Option<serde_json::Value>,
) -> Result<serde_json::Value, String> {
    crate::daemon::install_crypto_provider();
    let token = crate::daemon::admin_token(settings).map_err(|e| e.to_string())?;
    let mut addr = settings.listen;
    if addr.ip().is_unspecified() {
        addr.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
    }
    let url = format!("http://{addr}{path}");
    let mut request = reqwest::Client::builder()
        .no_proxy()
        .build()
        .map_err(|e| e.to_string())?
        .post(&url)
        .bearer_auth(token.expose());
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.map_err(|e| {
        format!("the data folder is in use and the daemon at {addr} did not answer: {e}")
    })?;
    let status = response.status();
    let body: serde_json::Value = response.json().await.map_err(|e| e.to_string())?;
    if !status.is_success() {
        return Err(format!("the daemon answered {status}: {body}"));
    }
    Ok(body)
}
