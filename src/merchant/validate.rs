//! What a store must hold to be saved, and how an admin `PUT` body (or
//! `cashgate store put`'s file) becomes [`StoreSettings`]: a JSON object
//! with a `name`, a `whmcs` section (`api_url`, `identifier`, `secret`)
//! and a positive `currency_rate`. Anything else is a [`StoreError`] that
//! names the field, and nothing is saved.

use std::fmt;

use rust_decimal::Decimal;
use serde_json::Value;

use super::StoreSettings;

const STORE_NAME_CHARS_MAX: usize = 200;
const APPROVERS_MAX: usize = 20;
const CHECK_IPS_MAX: usize = 50;
/// Each of `return_origins` and `embed_origins`.
const ORIGINS_MAX: usize = 20;
const WALLET_NUMBERS_MAX: usize = 10;
/// The WHMCS API script; `api_url` is the base URL it lives under.
const API_SCRIPT: &str = "/includes/api.php";

/// Why a store's settings are refused: which field, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct StoreError {
    /// The field as a dotted path (`whmcs.api_url`, `anti_spam.approvers[0]`);
    /// empty when the body as a whole is wrong.
    pub field: String,
    pub problem: Problem,
}

/// What is wrong with a field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// The body is not JSON at all (the parser's message).
    NotJson(String),
    NotAnObject,
    Missing,
    Empty,
    /// The value does not have the field's type or form (serde's message).
    Malformed(String),
    NotHttpUrl,
    CredentialsInUrl,
    QueryInUrl,
    ApiScriptInUrl,
    NotPositive,
    TooLong {
        chars_max: usize,
    },
    TooMany {
        max: usize,
    },
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::NotJson(why) => write!(f, "the body is not JSON ({why})"),
            Problem::NotAnObject => f.write_str("must be a JSON object"),
            Problem::Missing => f.write_str("is required"),
            Problem::Empty => f.write_str("must not be empty"),
            Problem::Malformed(why) => f.write_str(why),
            Problem::NotHttpUrl => f.write_str("must be an http:// or https:// URL with a host"),
            Problem::CredentialsInUrl => {
                f.write_str("must not carry credentials (use identifier and secret)")
            }
            Problem::QueryInUrl => f.write_str("must not have a query or a fragment"),
            Problem::ApiScriptInUrl => write!(
                f,
                "is the WHMCS base URL: leave out the trailing {API_SCRIPT}"
            ),
            Problem::NotPositive => f.write_str("must be greater than zero"),
            Problem::TooLong { chars_max } => write!(f, "is longer than {chars_max} characters"),
            Problem::TooMany { max } => write!(f, "has more than {max} entries"),
        }
    }
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.field.is_empty() {
            write!(f, "the store {}", self.problem)
        } else {
            write!(f, "{}: {}", self.field, self.problem)
        }
    }
}

fn refuse<T>(field: &str, problem: Problem) -> Result<T, StoreError> {
    Err(StoreError {
        field: field.to_owned(),
        problem,
    })
}

impl StoreSettings {
    /// Reads a PUT body. `name`, `whmcs` and `currency_rate` are required;
    /// other omitted fields take their defaults, except the secrets
    /// (`whmcs.secret`, `ingest_token`), which keep their stored values
    /// when omitted on an update.
    pub fn from_put_body(
        body: &[u8],
        existing: Option<&StoreSettings>,
    ) -> Result<StoreSettings, StoreError> {
        let value: Value = match serde_json::from_slice(body) {
            Ok(v) => v,
            Err(e) => return refuse("", Problem::NotJson(e.to_string())),
        };
        // serde would also read a struct from a JSON array.
        for (pointer, field) in [("", ""), ("/whmcs", "whmcs"), ("/anti_spam", "anti_spam")] {
            if value.pointer(pointer).is_some_and(|v| !v.is_object()) {
                return refuse(field, Problem::NotAnObject);
            }
        }
        let mut settings: StoreSettings =
            serde_path_to_error::deserialize(&value).map_err(|e| StoreError {
                field: field_of(e.path()),
                problem: Problem::Malformed(e.inner().to_string()),
            })?;
        if let Some(old) = existing {
            if value.pointer("/whmcs/secret").is_none() {
                settings.whmcs.secret = old.whmcs.secret.clone();
            }
            if value.get("ingest_token").is_none() {
                settings.ingest_token = old.ingest_token.clone();
            }
        }
        for (pointer, field) in [
            ("/name", "name"),
            ("/whmcs", "whmcs"),
            ("/whmcs/api_url", "whmcs.api_url"),
            ("/whmcs/identifier", "whmcs.identifier"),
            ("/currency_rate", "currency_rate"),
        ] {
            if value.pointer(pointer).is_none() {
                return refuse(field, Problem::Missing);
            }
        }
        if settings.whmcs.secret.is_empty() && value.pointer("/whmcs/secret").is_none() {
            return refuse("whmcs.secret", Problem::Missing);
        }
        settings.validate()?;
        Ok(settings)
    }

    /// Everything a store must hold to be saved today. A store saved by an
    /// older cashgate may fail this and still load (see `can_credit`).
    pub fn validate(&self) -> Result<(), StoreError> {
        if self.name.trim().is_empty() {
            return refuse("name", Problem::Empty);
        }
        if self.name.chars().count() > STORE_NAME_CHARS_MAX {
            let chars_max = STORE_NAME_CHARS_MAX;
            return refuse("name", Problem::TooLong { chars_max });
        }
        check_api_url(&self.whmcs.api_url)?;
        self.can_credit()?;
        if self.anti_spam.approvers.len() > APPROVERS_MAX {
            let max = APPROVERS_MAX;
            return refuse("anti_spam.approvers", Problem::TooMany { max });
        }
        if self.check_ips.len() > CHECK_IPS_MAX {
            return refuse("check_ips", Problem::TooMany { max: CHECK_IPS_MAX });
        }
        if self.return_origins.as_ref().map_or(0, Vec::len) > ORIGINS_MAX {
            return refuse("return_origins", Problem::TooMany { max: ORIGINS_MAX });
        }
        if self.embed_origins.len() > ORIGINS_MAX {
            return refuse("embed_origins", Problem::TooMany { max: ORIGINS_MAX });
        }
        if self.wallet_numbers.len() > WALLET_NUMBERS_MAX {
            let max = WALLET_NUMBERS_MAX;
            return refuse("wallet_numbers", Problem::TooMany { max });
        }
        Ok(())
    }

    /// Whether the store has what a credit needs: a WHMCS URL, identifier
    /// and secret. Checks for a store without them are refused — a check
    /// would claim the customer's transfer and never credit it. Cheap (no
    /// URL parsing): it runs on every check.
    pub fn can_credit(&self) -> Result<(), StoreError> {
        let url = self.whmcs.api_url.trim();
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return refuse("whmcs.api_url", Problem::NotHttpUrl);
        }
        if self.whmcs.identifier.trim().is_empty() {
            return refuse("whmcs.identifier", Problem::Empty);
        }
        if self.whmcs.secret.is_empty() {
            return refuse("whmcs.secret", Problem::Empty);
        }
        if self.currency_rate <= Decimal::ZERO {
            return refuse("currency_rate", Problem::NotPositive);
        }
        Ok(())
    }
}

/// The WHMCS base URL: http(s) with a host, no credentials, no query, and
/// not the API script itself (a trailing `/` is fine: it is dropped).
fn check_api_url(text: &str) -> Result<(), StoreError> {
    const FIELD: &str = "whmcs.api_url";
    if text.trim().is_empty() {
        return refuse(FIELD, Problem::Empty);
    }
    let Ok(url) = url::Url::parse(text.trim()) else {
        return refuse(FIELD, Problem::NotHttpUrl);
    };
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none_or(str::is_empty) {
        return refuse(FIELD, Problem::NotHttpUrl);
    }
    if !url.username().is_empty() || url.password().is_some() {
        return refuse(FIELD, Problem::CredentialsInUrl);
    }
    if url.query().is_some() || url.fragment().is_some() {
        return refuse(FIELD, Problem::QueryInUrl);
    }
    let path = url.path().trim_end_matches('/').to_ascii_lowercase();
    if path.ends_with(API_SCRIPT) {
        return refuse(FIELD, Problem::ApiScriptInUrl);
    }
    Ok(())
}

/// serde_path_to_error's path as the field's name (`.` is the root).
fn field_of(path: &serde_path_to_error::Path) -> String {
    let text = path.to_string();
    if text == "." { String::new() } else { text }
}

#[cfg(test)]
mod tests;
