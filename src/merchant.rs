//! A merchant's store settings: its WHMCS, currency rate, ingest token,
//! anti-spam rules, windows and check IPs (docs/design.md, "Stores").
//! Store settings live in the database (admin API), not in the config
//! file; `crate::stores` reads and saves them.

use std::net::IpAddr;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::domain::{Amount, Email, Lang, Secret, TimeZoneName, Window};
use crate::machine::Policy;

const STORE_NAME_CHARS_MAX: usize = 200;
const APPROVERS_MAX: usize = 20;
const CHECK_IPS_MAX: usize = 50;

/// Everything cashgate knows about one merchant's store.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoreSettings {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub whmcs: WhmcsSettings,
    /// How many EGP one unit of the store's WHMCS currency costs.
    #[serde(default = "one")]
    pub currency_rate: Decimal,
    #[serde(default = "egp")]
    pub currency_label: String,
    /// The SMS forwarder's bearer token.
    #[serde(default)]
    pub ingest_token: Secret,
    #[serde(default)]
    pub anti_spam: AntiSpamSettings,
    /// How long a `searching` payment waits for its transaction.
    #[serde(default = "thirty_minutes")]
    pub search_window: Window,
    /// The store's WHMCS servers: checks from them skip the per-IP limit.
    #[serde(default)]
    pub check_ips: Vec<IpAddr>,
    /// Where the store's people are: times in the console, on approval
    /// pages and in approval emails read in this IANA zone.
    #[serde(default)]
    pub time_zone: TimeZoneName,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WhmcsSettings {
    #[serde(default)]
    pub api_url: String,
    #[serde(default)]
    pub identifier: String,
    #[serde(default)]
    pub secret: Secret,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AntiSpamSettings {
    #[serde(default)]
    pub enabled: bool,
    /// Who may approve or reject a held payment (parsed when the store is
    /// saved; a typo is refused then, not when a payment is held).
    #[serde(default)]
    pub approvers: Vec<Email>,
    #[serde(default = "yes")]
    pub hold_new_phone: bool,
    #[serde(default = "yes")]
    pub hold_shared_phone: bool,
    #[serde(default)]
    pub hold_amount_at_or_above: Option<Amount>,
    #[serde(default)]
    pub hold_after_checks_per_hour: Option<u32>,
    #[serde(default = "two_days")]
    pub approval_window: Window,
    #[serde(default)]
    pub approver_lang: Lang,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SettingsError {
    #[error("currency_rate must be greater than zero")]
    CurrencyRate,
    #[error("name is longer than {STORE_NAME_CHARS_MAX} characters")]
    NameTooLong,
    #[error("at most {APPROVERS_MAX} approvers")]
    TooManyApprovers,
    #[error("at most {CHECK_IPS_MAX} check_ips")]
    TooManyCheckIps,
    #[error("whmcs.api_url must start with http:// or https://")]
    ApiUrl,
}

fn one() -> Decimal {
    Decimal::ONE
}
fn egp() -> String {
    "EGP".to_owned()
}
fn yes() -> bool {
    true
}
fn thirty_minutes() -> Window {
    Window::from_minutes(30)
}
fn two_days() -> Window {
    Window::from_hours(48)
}

impl Default for StoreSettings {
    fn default() -> Self {
        StoreSettings {
            name: String::new(),
            whmcs: WhmcsSettings::default(),
            currency_rate: one(),
            currency_label: egp(),
            ingest_token: Secret::default(),
            anti_spam: AntiSpamSettings::default(),
            search_window: thirty_minutes(),
            check_ips: Vec::new(),
            time_zone: TimeZoneName::default(),
        }
    }
}

impl Default for AntiSpamSettings {
    fn default() -> Self {
        AntiSpamSettings {
            enabled: false,
            approvers: Vec::new(),
            hold_new_phone: true,
            hold_shared_phone: true,
            hold_amount_at_or_above: None,
            hold_after_checks_per_hour: None,
            approval_window: two_days(),
            approver_lang: Lang::En,
        }
    }
}

/// Why a store PUT body was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PutError {
    #[error("the body is not a valid store: {0}")]
    Json(String),
    #[error(transparent)]
    Invalid(#[from] SettingsError),
}

impl StoreSettings {
    /// Reads a PUT body: omitted fields take their defaults, except the
    /// secrets (`whmcs.secret`, `ingest_token`), which keep their stored
    /// values when omitted on an update.
    pub fn from_put_body(
        body: &[u8],
        existing: Option<&StoreSettings>,
    ) -> Result<StoreSettings, PutError> {
        let value: serde_json::Value =
            serde_json::from_slice(body).map_err(|e| PutError::Json(e.to_string()))?;
        let mut settings: StoreSettings =
            serde_json::from_value(value.clone()).map_err(|e| PutError::Json(e.to_string()))?;
        if let Some(old) = existing {
            if value.pointer("/whmcs/secret").is_none() {
                settings.whmcs.secret = old.whmcs.secret.clone();
            }
            if value.get("ingest_token").is_none() {
                settings.ingest_token = old.ingest_token.clone();
            }
        }
        settings.validate()?;
        Ok(settings)
    }

    /// Checks what serde's types cannot: ranges, list sizes, address shapes.
    pub fn validate(&self) -> Result<(), SettingsError> {
        if self.currency_rate <= Decimal::ZERO {
            return Err(SettingsError::CurrencyRate);
        }
        if self.name.chars().count() > STORE_NAME_CHARS_MAX {
            return Err(SettingsError::NameTooLong);
        }
        if self.anti_spam.approvers.len() > APPROVERS_MAX {
            return Err(SettingsError::TooManyApprovers);
        }
        if self.check_ips.len() > CHECK_IPS_MAX {
            return Err(SettingsError::TooManyCheckIps);
        }
        let url = self.whmcs.api_url.trim();
        if !(url.is_empty() || url.starts_with("http://") || url.starts_with("https://")) {
            return Err(SettingsError::ApiUrl);
        }
        Ok(())
    }

    /// What the payment machine's guards need from these settings.
    pub fn policy(&self, credit_tries_max: u32) -> Policy {
        Policy {
            approvers: self.anti_spam.approvers.clone(),
            approval_window: self.anti_spam.approval_window.duration(),
            credit_tries_max,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn omitted_fields_take_their_defaults_and_anti_spam_is_off() {
        let s: StoreSettings = serde_json::from_str("{}").unwrap();
        assert_eq!(s, StoreSettings::default());
        assert!(!s.anti_spam.enabled);
        assert_eq!(s.search_window.to_string(), "30m");
        assert_eq!(s.anti_spam.approval_window.to_string(), "48h");
        assert_eq!(s.time_zone.as_str(), "Africa/Cairo");
    }

    #[test]
    fn the_design_example_parses() {
        let json = r#"{
          "name": "Example Hosting",
          "whmcs": {"api_url": "https://billing.example.com", "identifier": "abc", "secret": "def"},
          "currency_rate": "50.50", "currency_label": "USD", "ingest_token": "tok",
          "anti_spam": {"enabled": true, "approvers": ["owner@example.com"],
            "hold_new_phone": true, "hold_shared_phone": true,
            "hold_amount_at_or_above": "5000", "hold_after_checks_per_hour": 10,
            "approval_window": "48h", "approver_lang": "en"},
          "search_window": "30m", "check_ips": ["203.0.113.10"]}"#;
        let s: StoreSettings = serde_json::from_str(json).unwrap();
        s.validate().unwrap();
        assert_eq!(s.currency_rate.to_string(), "50.50");
        assert_eq!(
            s.anti_spam.hold_amount_at_or_above.unwrap().to_string(),
            "5000.00"
        );
        assert_eq!(format!("{:?}", s.whmcs.secret), "Secret(***)");
    }

    #[test]
    fn an_update_keeps_omitted_secrets_and_resets_other_omitted_fields() {
        let first =
            br#"{"name": "A", "ingest_token": "tok", "whmcs": {"identifier": "id", "secret": "s3"},
            "anti_spam": {"enabled": true}}"#;
        let old = StoreSettings::from_put_body(first, None).unwrap();
        let update = br#"{"name": "B", "whmcs": {"identifier": "id2"}}"#;
        let new = StoreSettings::from_put_body(update, Some(&old)).unwrap();
        assert_eq!(new.name, "B");
        assert!(new.ingest_token.matches("tok"));
        assert!(new.whmcs.secret.matches("s3"));
        assert_eq!(new.whmcs.identifier, "id2");
        assert!(!new.anti_spam.enabled, "omitted fields take their defaults");
        let rotate = br#"{"ingest_token": "new"}"#;
        let rotated = StoreSettings::from_put_body(rotate, Some(&new)).unwrap();
        assert!(rotated.ingest_token.matches("new"));
        assert!(StoreSettings::from_put_body(b"[1]", None).is_err());
        assert!(StoreSettings::from_put_body(br#"{"currency_rate": "0"}"#, None).is_err());
    }

    #[test]
    fn invalid_settings_are_refused() {
        let mut s = StoreSettings {
            currency_rate: Decimal::ZERO,
            ..Default::default()
        };
        assert_eq!(s.validate(), Err(SettingsError::CurrencyRate));
        s.currency_rate = Decimal::ONE;
        for bad in ["not an email", "a@b@c.com"] {
            let body = format!(r#"{{"anti_spam": {{"approvers": ["{bad}"]}}}}"#);
            assert!(
                StoreSettings::from_put_body(body.as_bytes(), None).is_err(),
                "{bad}"
            );
        }
        s.whmcs.api_url = "ftp://x".into();
        assert_eq!(s.validate(), Err(SettingsError::ApiUrl));
        assert!(serde_json::from_str::<StoreSettings>(r#"{"nmae": "typo"}"#).is_err());
        assert!(serde_json::from_str::<StoreSettings>(r#"{"search_window": "soon"}"#).is_err());
        assert!(serde_json::from_str::<StoreSettings>(r#"{"time_zone": "Cairo"}"#).is_err());
    }
}
