//! What the command line needs beyond argument parsing: logging set-up,
//! the shutdown signal and the offline store commands.

use std::path::Path;

use crate::config::{LogSettings, Settings};
use crate::domain::StoreId;
use crate::merchant::StoreSettings;
use crate::store::open_with_retry;

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

/// Resolves on SIGTERM or SIGINT.
pub async fn shutdown_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut term), Ok(mut int)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) else {
        tracing::error!("cannot listen for signals; stop with SIGKILL");
        return std::future::pending().await;
    };
    tokio::select! {
        _ = term.recv() => tracing::info!("SIGTERM: stopping"),
        _ = int.recv() => tracing::info!("SIGINT: stopping"),
    }
}

/// `cashgate store put ID FILE.json`: what the admin PUT does, offline.
pub fn store_put(config: Option<&Path>, id: &str, file: &Path) -> Result<(), String> {
    let settings = Settings::load(config).map_err(|e| e.to_string())?;
    let id = StoreId::parse(id).map_err(|e| e.to_string())?;
    let body = std::fs::read(file).map_err(|e| format!("{}: {e}", file.display()))?;
    let store = open_with_retry(&settings.data_dir, crate::daemon::store_options(&settings))
        .map_err(|e| e.to_string())?;
    let existing = store.store_settings(&id).map_err(|e| e.to_string())?;
    let new = StoreSettings::from_put_body(&body, existing.as_ref()).map_err(|e| e.to_string())?;
    store
        .put_store_settings(&id, &new)
        .and_then(|w| w.durable_blocking())
        .map_err(|e| e.to_string())?;
    store.close().map_err(|e| e.to_string())?;
    println!("store {id} saved");
    Ok(())
}
