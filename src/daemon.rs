//! Wires the daemon together: open the data folder, recover, start the
//! workers, serve HTTP until shutdown, then stop the workers and close it.
//! Tests call [`run`] with a listener on port 0 and their own clock.

use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use lettre::message::Mailbox;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::antispam::RateLimits;
use crate::approvals::Signer;
use crate::clock::Clock;
use crate::config::{ADMIN_TOKEN_CHARS_MIN, Settings};
use crate::data_dir::{ADMIN_TOKEN, OpenError, Purpose, write_private};
use crate::db::{DbError, DbOptions};
use crate::domain::Secret;
use crate::http::{App, Sessions, serve};
use crate::metrics::Metrics;
use crate::payments::{Payments, PaymentsOptions};
use crate::stores::Stores;
use crate::whmcs::{WhmcsClient, WhmcsError};
use crate::worker::{
    Crediter, MailSender, MailSetupError, Mailer, Rematcher, run_credits, run_key_use_saver,
    run_lane, run_limiter_cleanup, run_retention, run_timers,
};

/// The startup log line counts due timers up to this many. Counting every
/// timer scanned the whole timer index, which with a million payments left
/// about 68 MiB more resident in sled (measured: 232 against 300 MiB RSS a
/// second after start).
const STARTUP_TIMERS_COUNTED_MAX: usize = 1000;

#[derive(Debug, thiserror::Error)]
pub enum DaemonError {
    #[error(transparent)]
    Db(#[from] DbError),
    #[error(transparent)]
    Open(#[from] OpenError),
    #[error("admin token file {path}: {source}")]
    AdminToken {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}", crate::config::admin_token_too_short())]
    AdminTokenTooShort,
    #[error(
        "admin token file {path} holds fewer than {ADMIN_TOKEN_CHARS_MIN} characters; \
         delete it to have a new one generated"
    )]
    AdminTokenFileTooShort { path: PathBuf },
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("approval key: {0}")]
    Key(std::io::Error),
    #[error(transparent)]
    Mail(#[from] MailSetupError),
    #[error("WHMCS client: {0}")]
    Whmcs(#[from] WhmcsError),
}

/// Installs `ring` as the process's TLS crypto provider (reqwest and lettre
/// share it; no C crypto is built). Safe to call more than once.
pub fn install_crypto_provider() {
    // An error means a provider is already installed, which is what we want.
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// Runs the daemon on `listener` until `shutdown` resolves.
pub async fn run(
    settings: Settings,
    listener: TcpListener,
    clock: Clock,
    shutdown: impl Future<Output = ()>,
) -> Result<(), DaemonError> {
    install_crypto_provider();
    let payments = open_payments(&settings).await?;
    let admin_token = admin_token(&settings)?;
    let public_url = match &settings.public_url {
        Some(url) => url.trim_end_matches('/').to_owned(),
        None => format!("http://{}", listener.local_addr()?),
    };
    tracing::info!(
        listen = %listener.local_addr()?,
        data_dir = %settings.data_dir.display(),
        timers_due = payments
            .due_timers(jiff::Timestamp::now(), STARTUP_TIMERS_COUNTED_MAX)
            .map_or(0, |due| due.len()),
        outbox = payments.outbox_depth().unwrap_or(0),
        "cashgate is serving; pending timers and outbox work resume from their indexes"
    );
    let signer = Arc::new(Signer::load_or_create(&settings.data_dir).map_err(DaemonError::Key)?);
    let mailer = Mailer::from_settings(&settings.mail, &settings.data_dir)?;
    let from: Mailbox = settings
        .mail
        .from
        .parse()
        .map_err(|_| MailSetupError::From(settings.mail.from.clone()))?;
    let limits = Arc::new(RateLimits::new(&settings.limits));
    let client = WhmcsClient::new(Duration::from_millis(settings.whmcs.timeout_ms))?;
    let sessions = Sessions::new(&settings.console);
    let app = Arc::new(App {
        payments: payments.clone(),
        stores: payments.stores().clone(),
        limits,
        whmcs: client.clone(),
        signer: signer.clone(),
        settings: Arc::new(settings),
        sessions,
        clock,
        admin_token,
        public_url,
    });
    let mail = MailSender {
        payments: payments.clone(),
        clock: app.clock.clone(),
        mailer,
        signer,
        public_url: app.public_url.clone(),
        from,
        settings: app.settings.mail.clone(),
    };
    let crediter = Arc::new(Crediter::new(
        payments.clone(),
        app.clock.clone(),
        client,
        app.settings.whmcs.clone(),
    ));
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut workers = spawn_workers(&app, mail, stop_rx.clone());
    workers.push(tokio::spawn(run_credits(
        crediter,
        app.settings.workers.clone(),
        stop_rx,
    )));
    serve(listener, app, shutdown).await;
    let _ = stop_tx.send(true);
    for worker in workers {
        if let Err(e) = worker.await {
            tracing::error!(error = %e, "a worker ended abnormally");
        }
    }
    tokio::task::spawn_blocking(move || payments.close())
        .await
        .map_err(|e| std::io::Error::other(e.to_string()))??;
    tracing::info!("cashgate stopped");
    Ok(())
}

/// Starts the background loops: timers, each outbox lane, limiter cleanup,
/// the retention sweep.
fn spawn_workers(app: &App, mail: MailSender, stop: watch::Receiver<bool>) -> Vec<JoinHandle<()>> {
    let workers = app.settings.workers.clone();
    let rematcher = Rematcher {
        payments: app.payments.clone(),
        clock: app.clock.clone(),
    };
    vec![
        tokio::spawn(run_timers(
            app.payments.clone(),
            app.clock.clone(),
            workers.clone(),
            stop.clone(),
        )),
        tokio::spawn(run_lane(
            app.payments.clone(),
            app.clock.clone(),
            workers.clone(),
            rematcher,
            stop.clone(),
        )),
        tokio::spawn(run_lane(
            app.payments.clone(),
            app.clock.clone(),
            workers,
            mail,
            stop.clone(),
        )),
        tokio::spawn(run_limiter_cleanup(
            app.limits.clone(),
            app.settings.limits.limiter_cleanup_interval_ms,
            stop.clone(),
        )),
        tokio::spawn(run_retention(
            app.payments.clone(),
            app.clock.clone(),
            app.settings.retention.clone(),
            stop.clone(),
        )),
        tokio::spawn(run_key_use_saver(
            app.stores.keys().clone(),
            app.settings.console.key_last_use_save_ms,
            stop,
        )),
    ]
}

/// Opens the data folder to serve, off the async threads (sled's open
/// reads files; a migration may back the folder up first), and warns
/// about stores that today's rules would refuse.
pub async fn open_payments(settings: &Settings) -> Result<Payments, DaemonError> {
    let dir = settings.data_dir.clone();
    let options = payments_options(settings);
    let payments = tokio::task::spawn_blocking(move || open_folder(&dir, &options, Purpose::Serve))
        .await
        .map_err(|e| std::io::Error::other(e.to_string()))??
        .0;
    for store in payments.stores().incomplete()? {
        tracing::warn!(
            store_id = %store.id,
            problem = %store.problem,
            checks_refused = store.checks_refused,
            "a store saved under older rules is incomplete: complete it with PUT /admin/stores/ID"
        );
    }
    Ok(payments)
}

/// Opens a data folder for `purpose` (`data_dir::open`): the database,
/// its stores and the payment use cases, with the folder's format version.
pub fn open_folder(
    dir: &std::path::Path,
    options: &PaymentsOptions,
    purpose: Purpose,
) -> Result<(Payments, u32), OpenError> {
    let metrics = Arc::new(Metrics::new());
    let opened = crate::data_dir::open(dir, &options.db, metrics.clone(), purpose)?;
    let stores = Stores::new(opened.db.clone());
    let payments = Payments::new(opened.db, stores, metrics, options.clone());
    Ok((payments, opened.format_version))
}

/// The use cases' settings, from the daemon's.
pub fn payments_options(settings: &Settings) -> PaymentsOptions {
    let ms = |n: u64| jiff::SignedDuration::from_millis(i64::try_from(n).unwrap_or(i64::MAX));
    PaymentsOptions {
        credit_tries_max: settings.whmcs.credit_tries_max,
        claims: crate::antispam::ClaimRules {
            checked_before_transfer_grace: ms(settings.claims.checked_before_transfer_grace_ms),
        },
        transfer_time_skew_max: ms(settings.claims.transfer_time_skew_max_ms),
        db: DbOptions {
            cache_bytes: settings.storage.cache_bytes,
            sync_writes: true,
            group_commit_window_us: settings.storage.group_commit_window_us,
        },
    }
}

/// The configured admin token, else the one in the data folder, else a new
/// one written there (readable by the owner only). A token shorter than
/// [`ADMIN_TOKEN_CHARS_MIN`] is refused: the daemon does not start.
pub fn admin_token(settings: &Settings) -> Result<Secret, DaemonError> {
    if let Some(token) = settings.admin_token.as_ref().filter(|t| !t.is_empty()) {
        if !long_enough(token.expose()) {
            return Err(DaemonError::AdminTokenTooShort);
        }
        return Ok(token.clone());
    }
    let path = settings.data_dir.join(ADMIN_TOKEN);
    let wrap = |source| DaemonError::AdminToken {
        path: path.clone(),
        source,
    };
    match std::fs::read_to_string(&path) {
        Ok(text) if !text.trim().is_empty() => {
            if !long_enough(text.trim()) {
                return Err(DaemonError::AdminTokenFileTooShort { path });
            }
            return Ok(Secret::new(text.trim()));
        }
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(wrap(e)),
    }
    let token = new_token().map_err(wrap)?;
    write_private(&path, token.expose()).map_err(wrap)?;
    tracing::info!(path = %path.display(), "created an admin token; read it from this file");
    Ok(token)
}

fn long_enough(token: &str) -> bool {
    token.chars().count() >= ADMIN_TOKEN_CHARS_MIN
}

fn new_token() -> std::io::Result<Secret> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| std::io::Error::other(e.to_string()))?;
    Ok(Secret::new(data_encoding::HEXLOWER.encode(&bytes)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings_with(dir: &std::path::Path, token: Option<&str>) -> Settings {
        Settings {
            data_dir: dir.to_path_buf(),
            admin_token: token.map(Secret::new),
            ..Settings::default()
        }
    }

    #[test]
    fn a_configured_admin_token_shorter_than_32_characters_refuses_to_start() {
        let dir = tempfile::tempdir().unwrap();
        let short = "x".repeat(ADMIN_TOKEN_CHARS_MIN - 1);
        let err = admin_token(&settings_with(dir.path(), Some(&short))).unwrap_err();
        assert!(matches!(err, DaemonError::AdminTokenTooShort), "{err}");
        let message = err.to_string();
        assert!(
            message.contains("admin_token") && message.contains("CASHGATE_ADMIN_TOKEN"),
            "names the setting: {message}"
        );
        assert!(
            !dir.path().join("admin_token").exists(),
            "nothing generated in its place"
        );
        // Characters, not bytes: 31 Arabic letters are still too short.
        let arabic = "ب".repeat(ADMIN_TOKEN_CHARS_MIN - 1);
        assert!(admin_token(&settings_with(dir.path(), Some(&arabic))).is_err());
        let exact = "y".repeat(ADMIN_TOKEN_CHARS_MIN);
        let token = admin_token(&settings_with(dir.path(), Some(&exact))).unwrap();
        assert!(token.matches(&exact));
    }

    #[test]
    fn the_generated_token_is_64_hex_characters_and_a_short_token_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let token = admin_token(&settings_with(dir.path(), None)).unwrap();
        assert_eq!(token.expose().len(), 64);
        assert!(token.expose().bytes().all(|b| b.is_ascii_hexdigit()));
        let again = admin_token(&settings_with(dir.path(), Some(""))).unwrap();
        assert!(
            again.matches(token.expose()),
            "an empty setting means unset"
        );
        let other = tempfile::tempdir().unwrap();
        std::fs::write(other.path().join("admin_token"), "short\n").unwrap();
        let err = admin_token(&settings_with(other.path(), None)).unwrap_err();
        assert!(
            matches!(err, DaemonError::AdminTokenFileTooShort { .. }),
            "{err}"
        );
    }
}
