//! Typed settings: built-in defaults, then a TOML file (`--config`), then
//! `CASHGATE_*` variables, last wins (README, "Configuration"). Every limit
//! is a setting with its unit in its name.

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::domain::Secret;

mod claims;
mod limits;

pub use claims::{ClaimSettings, RetentionSettings};
pub use limits::LimitSettings;
mod console;
pub use console::ConsoleSettings;

/// The module gives up after 30 s; a check reply must come well before.
const CHECK_WAIT_MS_MAX: u64 = 25_000;
/// Shortest admin token accepted: it guards every store's money, so it
/// must not be guessable (the generated one has 64 hex characters).
pub const ADMIN_TOKEN_CHARS_MIN: usize = 32;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    pub listen: SocketAddr,
    pub data_dir: PathBuf,
    /// Base of links in emails; `http://` + the bound address when unset.
    pub public_url: Option<String>,
    /// Generated and kept in the data folder when unset.
    pub admin_token: Option<Secret>,
    /// A bearer token that reads `/metrics` only (the admin token does
    /// too); unset means only the admin token.
    pub metrics_token: Option<Secret>,
    pub mail: MailSettings,
    pub limits: LimitSettings,
    /// Peers whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<IpAddr>,
    pub whmcs: WhmcsClientSettings,
    /// How long a check reply waits for the credit.
    pub check_wait_ms: u64,
    pub storage: StorageSettings,
    pub workers: WorkerSettings,
    pub log: LogSettings,
    /// `cashgate demo` only: the pay pages offer "simulate the wallet SMS".
    /// No file or variable can turn it on, so `serve` never has it.
    #[serde(skip)]
    pub demo: bool,
    /// The claim rules every store has, and future transfer times.
    pub claims: ClaimSettings,
    /// What is removed, and when.
    pub retention: RetentionSettings,
    /// The operator console: sessions and store keys.
    pub console: ConsoleSettings,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MailSettings {
    /// `smtp://host:port`, `smtps://…`, credentials as `smtp://user:pass@host`;
    /// unset means `.eml` files under the data folder.
    pub smtp_url: Option<Secret>,
    pub from: String,
    /// Sending tries of one approval email before it is given up.
    pub tries_max: u32,
    /// First retry delay; each further try doubles it, up to the maximum.
    pub retry_base_ms: u64,
    pub retry_max_ms: u64,
    /// One SMTP conversation's time limit.
    pub timeout_ms: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WhmcsClientSettings {
    pub timeout_ms: u64,
    /// Failed AddCredit tries before `credit_failed`.
    pub credit_tries_max: u32,
    /// First retry delay after a call that reached nobody; doubles per try.
    pub retry_base_ms: u64,
    pub retry_max_ms: u64,
    /// How long after an unknown outcome GetCredits is first asked, so a
    /// WHMCS request still running has finished by then.
    pub reconcile_delay_ms: u64,
    /// GetCredits tries before an unknown outcome goes to an operator.
    pub reconcile_tries_max: u32,
    /// For this long after `cashgate restore`, a payment's first AddCredit
    /// waits for GetCredits to show its transaction is not credited yet
    /// (the backup may predate credits WHMCS already holds); 0 never.
    pub restored_first_credit_check_ms: u64,
    /// WHMCS calls in flight at once, across stores (one per store).
    pub concurrency_max: usize,
    /// How often a payment waiting behind an open breaker looks again.
    pub breaker_recheck_ms: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StorageSettings {
    /// sled's page cache.
    pub cache_bytes: u64,
    /// How long a group commit gathers writes before one fsync covers them.
    pub group_commit_window_us: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WorkerSettings {
    /// How often the timer and outbox workers look for due work.
    pub poll_interval_ms: u64,
    /// Most timers or outbox entries one scan takes.
    pub batch_max: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LogSettings {
    /// One JSON object a line instead of text.
    pub json: bool,
    /// A `tracing` filter such as `info` or `cashgate=debug`.
    pub filter: String,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            data_dir: PathBuf::from("./cashgate-data"),
            public_url: None,
            admin_token: None,
            metrics_token: None,
            mail: MailSettings::default(),
            limits: LimitSettings::default(),
            trusted_proxies: Vec::new(),
            whmcs: WhmcsClientSettings::default(),
            check_wait_ms: 8000,
            storage: StorageSettings::default(),
            workers: WorkerSettings::default(),
            log: LogSettings::default(),
            demo: false,
            claims: ClaimSettings::default(),
            retention: RetentionSettings::default(),
            console: ConsoleSettings::default(),
        }
    }
}

impl Default for MailSettings {
    fn default() -> Self {
        MailSettings {
            smtp_url: None,
            from: "cashgate <cashgate@localhost>".to_owned(),
            tries_max: 12,
            retry_base_ms: 10_000,
            retry_max_ms: 3_600_000,
            timeout_ms: 30_000,
        }
    }
}

impl Default for WhmcsClientSettings {
    fn default() -> Self {
        WhmcsClientSettings {
            timeout_ms: 15_000,
            credit_tries_max: 8,
            retry_base_ms: 2_000,
            retry_max_ms: 300_000,
            reconcile_delay_ms: 60_000,
            reconcile_tries_max: 10,
            restored_first_credit_check_ms: 7 * 24 * 60 * 60 * 1000,
            concurrency_max: 8,
            breaker_recheck_ms: 30_000,
        }
    }
}

impl Default for StorageSettings {
    fn default() -> Self {
        StorageSettings {
            cache_bytes: crate::db::CACHE_BYTES_DEFAULT,
            group_commit_window_us: 2000,
        }
    }
}

impl Default for WorkerSettings {
    fn default() -> Self {
        WorkerSettings {
            poll_interval_ms: 250,
            batch_max: 256,
        }
    }
}

impl Default for LogSettings {
    fn default() -> Self {
        LogSettings {
            json: false,
            filter: "info".to_owned(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Toml { path: PathBuf, message: String },
    #[error("{variable}: {message}")]
    Variable { variable: String, message: String },
    #[error("{0}")]
    Invalid(String),
}

impl Settings {
    /// Defaults, then the file (if any), then the process's environment.
    pub fn load(file: Option<&Path>) -> Result<Settings, ConfigError> {
        let mut settings = match file {
            Some(path) => Settings::from_file(path)?,
            None => Settings::default(),
        };
        settings.apply_env(|name| std::env::var(name).ok())?;
        settings.validate()?;
        Ok(settings)
    }

    pub fn from_file(path: &Path) -> Result<Settings, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        toml::from_str(&text).map_err(|e| ConfigError::Toml {
            path: path.to_owned(),
            message: e.to_string(),
        })
    }

    /// Applies every `CASHGATE_*` variable that `lookup` knows.
    pub fn apply_env(
        &mut self,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<(), ConfigError> {
        for (variable, apply) in ENV_TABLE {
            if let Some(value) = lookup(variable) {
                apply(self, value.trim()).map_err(|message| ConfigError::Variable {
                    variable: (*variable).to_owned(),
                    message,
                })?;
            }
        }
        Ok(())
    }

    pub fn validate(&self) -> Result<(), ConfigError> {
        if let Some(token) = self.admin_token.as_ref().filter(|t| !t.is_empty())
            && token.expose().chars().count() < ADMIN_TOKEN_CHARS_MIN
        {
            return Err(ConfigError::Invalid(admin_token_too_short()));
        }
        if let Some(token) = self.metrics_token.as_ref().filter(|t| !t.is_empty())
            && token.expose().chars().count() < ADMIN_TOKEN_CHARS_MIN
        {
            return Err(ConfigError::Invalid(format!(
                "metrics_token (CASHGATE_METRICS_TOKEN) must be at least {ADMIN_TOKEN_CHARS_MIN} characters"
            )));
        }
        self.retention.validate().map_err(ConfigError::Invalid)?;
        // A request must be allowed to outlast its longest wait (a check's
        // wait for the credit, a 30 s poll), or a timeout could cancel a
        // reply after it committed what it reports.
        let longest_wait_ms = self.check_wait_ms.max(30_000);
        if self.limits.request_timeout_ms < longest_wait_ms + 5_000 {
            return Err(ConfigError::Invalid(format!(
                "limits.request_timeout_ms must be at least {} (the longest wait plus 5 s)",
                longest_wait_ms + 5_000
            )));
        }
        if self.check_wait_ms > CHECK_WAIT_MS_MAX {
            return Err(ConfigError::Invalid(format!(
                "check_wait_ms must be at most {CHECK_WAIT_MS_MAX} (the WHMCS module gives up after 30 s)"
            )));
        }
        let l = &self.limits;
        let quotas = [
            l.checks_per_minute_per_ip,
            l.checks_per_minute_per_client,
            l.checks_per_minute_per_phone,
            l.requests_per_minute_per_store,
            l.server_checks_per_minute_per_store,
            l.ingest_per_minute_per_store,
            l.polls_per_minute_per_ip,
            l.references_per_minute_per_ip,
            l.references_per_minute_per_store,
            l.sign_ins_per_minute_per_ip,
        ];
        if quotas.contains(&0) {
            return Err(ConfigError::Invalid(
                "every limits.*_per_minute_* must be at least 1".into(),
            ));
        }
        if l.body_bytes_max == 0 || l.connections_max == 0 {
            return Err(ConfigError::Invalid(
                "limits.body_bytes_max and limits.connections_max must be at least 1".into(),
            ));
        }
        if l.connections_per_ip_max == 0 || l.first_byte_timeout_ms == 0 || l.idle_timeout_ms == 0 {
            return Err(ConfigError::Invalid(
                "limits.connections_per_ip_max, limits.first_byte_timeout_ms and \
                 limits.idle_timeout_ms must be at least 1"
                    .into(),
            ));
        }
        self.console.validate().map_err(ConfigError::Invalid)?;
        if self.whmcs.credit_tries_max == 0
            || self.whmcs.concurrency_max == 0
            || self.workers.batch_max == 0
        {
            return Err(ConfigError::Invalid(
                "whmcs.credit_tries_max and workers.batch_max must be at least 1".into(),
            ));
        }
        Ok(())
    }
}

/// Why a configured admin token is refused, naming the setting and its
/// variable.
pub fn admin_token_too_short() -> String {
    format!(
        "admin_token (CASHGATE_ADMIN_TOKEN) must be at least {ADMIN_TOKEN_CHARS_MIN} characters; \
         leave it unset to have one generated into the data folder"
    )
}

type Apply = fn(&mut Settings, &str) -> Result<(), String>;

fn parse<T: std::str::FromStr>(value: &str) -> Result<T, String>
where
    T::Err: std::fmt::Display,
{
    value.parse::<T>().map_err(|e| format!("{value:?}: {e}"))
}

/// Every variable and the setting it overrides.
const ENV_TABLE: &[(&str, Apply)] = &[
    ("CASHGATE_LISTEN", |s, v| {
        s.listen = parse(v)?;
        Ok(())
    }),
    ("CASHGATE_DATA_DIR", |s, v| {
        s.data_dir = PathBuf::from(v);
        Ok(())
    }),
    ("CASHGATE_PUBLIC_URL", |s, v| {
        s.public_url = Some(v.to_owned());
        Ok(())
    }),
    ("CASHGATE_ADMIN_TOKEN", |s, v| {
        s.admin_token = Some(Secret::new(v));
        Ok(())
    }),
    ("CASHGATE_METRICS_TOKEN", |s, v| {
        s.metrics_token = Some(Secret::new(v));
        Ok(())
    }),
    ("CASHGATE_SMTP_URL", |s, v| {
        s.mail.smtp_url = Some(Secret::new(v));
        Ok(())
    }),
    ("CASHGATE_MAIL_FROM", |s, v| {
        s.mail.from = v.to_owned();
        Ok(())
    }),
    ("CASHGATE_CHECKS_PER_MINUTE_PER_IP", |s, v| {
        s.limits.checks_per_minute_per_ip = parse(v)?;
        Ok(())
    }),
    ("CASHGATE_CHECKS_PER_MINUTE_PER_CLIENT", |s, v| {
        s.limits.checks_per_minute_per_client = parse(v)?;
        Ok(())
    }),
    ("CASHGATE_CHECKS_PER_MINUTE_PER_PHONE", |s, v| {
        s.limits.checks_per_minute_per_phone = parse(v)?;
        Ok(())
    }),
    ("CASHGATE_REQUESTS_PER_MINUTE_PER_STORE", |s, v| {
        s.limits.requests_per_minute_per_store = parse(v)?;
        Ok(())
    }),
    ("CASHGATE_SERVER_CHECKS_PER_MINUTE_PER_STORE", |s, v| {
        s.limits.server_checks_per_minute_per_store = parse(v)?;
        Ok(())
    }),
    ("CASHGATE_INGEST_PER_MINUTE_PER_STORE", |s, v| {
        s.limits.ingest_per_minute_per_store = parse(v)?;
        Ok(())
    }),
    ("CASHGATE_POLLS_PER_MINUTE_PER_IP", |s, v| {
        s.limits.polls_per_minute_per_ip = parse(v)?;
        Ok(())
    }),
    ("CASHGATE_TRUSTED_PROXIES", |s, v| {
        s.trusted_proxies = v
            .split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(parse::<IpAddr>)
            .collect::<Result<_, _>>()?;
        Ok(())
    }),
    ("CASHGATE_WHMCS_TIMEOUT_MS", |s, v| {
        s.whmcs.timeout_ms = parse(v)?;
        Ok(())
    }),
    ("CASHGATE_CHECK_WAIT_MS", |s, v| {
        s.check_wait_ms = parse(v)?;
        Ok(())
    }),
    ("CASHGATE_LOG_JSON", |s, v| {
        s.log.json = parse(v)?;
        Ok(())
    }),
    ("CASHGATE_LOG", |s, v| {
        s.log.filter = v.to_owned();
        Ok(())
    }),
];

#[cfg(test)]
mod tests;
