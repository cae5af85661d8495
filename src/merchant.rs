//! A merchant's store settings: its WHMCS, currency rate, ingest token,
//! anti-spam rules, windows, check IPs, and what its pay pages show and
//! allow (wallet numbers, return and embedding origins) (docs/design.md,
//! "Stores"; docs/pages.md).
//! Store settings live in the database (admin API), not in the config
//! file; `crate::stores` reads and saves them. What a saved store must
//! hold — and how an admin `PUT` body becomes one — is in `validate`.
//!
//! Stored settings are read with serde and its defaults, never through
//! the validation: a store saved by an older cashgate, under looser rules,
//! still loads. `validate` says what such a store lacks; checks are refused
//! only for a store that cannot credit at all (`can_credit`).

mod validate;

pub use validate::{Problem, StoreError};

use std::net::IpAddr;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::domain::{Amount, Email, Lang, Origin, Phone, Secret, TimeZoneName, Window};
use crate::machine::Policy;

/// Everything cashgate knows about one merchant's store. The serde
/// defaults are for stores saved before fields existed; a `PUT` must name
/// `name`, `whmcs` and `currency_rate` (see `validate`).
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
    /// The wallet numbers customers pay to, shown on the pay page.
    #[serde(default)]
    pub wallet_numbers: Vec<Phone>,
    /// Where a status page may link the customer back to (`return_url`);
    /// when not set, the origin of `whmcs.api_url` (see `return_origins`).
    #[serde(default)]
    pub return_origins: Option<Vec<Origin>>,
    /// Origins that may show the pay pages in a frame (CSP
    /// `frame-ancestors`); none by default.
    #[serde(default)]
    pub embed_origins: Vec<Origin>,
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
            wallet_numbers: Vec::new(),
            return_origins: None,
            embed_origins: Vec::new(),
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

impl StoreSettings {
    /// The origins a `return_url` may point at: `return_origins` when set,
    /// else the origin of `whmcs.api_url` (the WHMCS the invoices are in),
    /// so the link back to an invoice works without more settings. The
    /// rule for a whole URL is `http::pay::return_url`.
    pub fn return_origins(&self) -> Vec<Origin> {
        match &self.return_origins {
            Some(origins) => origins.clone(),
            None => url::Url::parse(self.whmcs.api_url.trim())
                .ok()
                .and_then(|url| Origin::of(&url))
                .into_iter()
                .collect(),
        }
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
    fn return_origins_default_to_the_whmcs_origin() {
        let body = br#"{"name": "A", "currency_rate": "1",
            "whmcs": {"api_url": "https://Billing.example.com/whmcs/", "identifier": "i", "secret": "s"}}"#;
        let s = StoreSettings::from_put_body(body, None).unwrap();
        assert_eq!(s.return_origins, None);
        assert_eq!(
            s.return_origins(),
            vec![Origin::parse("https://billing.example.com").unwrap()]
        );
        assert!(s.wallet_numbers.is_empty() && s.embed_origins.is_empty());
        assert!(
            StoreSettings::default().return_origins().is_empty(),
            "no WHMCS, no link back"
        );
    }

    #[test]
    fn pay_page_settings_parse_at_the_edge() {
        let listed: StoreSettings = serde_json::from_str(
            r#"{"whmcs": {"api_url": "https://billing.example.com"},
                "return_origins": ["https://shop.example.com"],
                "embed_origins": ["https://shop.example.com:8443"],
                "wallet_numbers": ["+20 101 111 2222"]}"#,
        )
        .unwrap();
        let allowed = listed.return_origins();
        assert_eq!(allowed.len(), 1);
        assert_eq!(allowed[0].as_str(), "https://shop.example.com");
        assert_eq!(listed.wallet_numbers[0].as_str(), "01011112222");
        for bad in [
            r#"{"wallet_numbers": ["12345"]}"#,
            r#"{"return_origins": ["https://shop.example.com/path"]}"#,
            r#"{"embed_origins": ["*"]}"#,
        ] {
            assert!(serde_json::from_str::<StoreSettings>(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn return_origins_replace_the_default_and_are_checked() {
        let body = br#"{"name": "A", "currency_rate": "1",
            "whmcs": {"api_url": "https://billing.example.com", "identifier": "i", "secret": "s"},
            "return_origins": ["https://portal.example.com", "http://127.0.0.1:8080/"]}"#;
        let s = StoreSettings::from_put_body(body, None).unwrap();
        let origins: Vec<&str> = s
            .return_origins
            .iter()
            .flatten()
            .map(Origin::as_str)
            .collect();
        assert_eq!(
            origins,
            ["https://portal.example.com", "http://127.0.0.1:8080"]
        );
        assert_eq!(
            s.return_origins().len(),
            2,
            "the list replaces the WHMCS origin"
        );
        let json = serde_json::to_value(&s).unwrap();
        assert_eq!(
            json["return_origins"],
            serde_json::json!(["https://portal.example.com", "http://127.0.0.1:8080"])
        );
        let with = |origins: serde_json::Value| {
            let mut body: serde_json::Value = serde_json::from_slice(body).unwrap();
            body["return_origins"] = origins;
            StoreSettings::from_put_body(body.to_string().as_bytes(), None)
        };
        for bad in [
            serde_json::json!(["https://portal.example.com/path"]),
            serde_json::json!(["ftp://portal.example.com"]),
            serde_json::json!("https://portal.example.com"),
        ] {
            let refused = with(bad.clone()).unwrap_err();
            assert!(
                refused.field.starts_with("return_origins"),
                "{bad}: {}",
                refused.field
            );
        }
        let many: Vec<String> = (0..21)
            .map(|i| format!("https://s{i}.example.com"))
            .collect();
        let refused = with(serde_json::json!(many)).unwrap_err();
        assert_eq!(refused.field, "return_origins");
    }

    #[test]
    fn a_time_zone_must_be_an_iana_name() {
        assert!(serde_json::from_str::<StoreSettings>(r#"{"time_zone": "Cairo"}"#).is_err());
        let s: StoreSettings = serde_json::from_str(r#"{"time_zone": "Asia/Dubai"}"#).unwrap();
        assert_eq!(s.time_zone.zone().iana_name(), Some("Asia/Dubai"));
    }
}
