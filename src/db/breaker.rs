//! The per-store WHMCS circuit breaker, durable: after an authentication,
//! IP or permission error, that store's WHMCS is not called again until
//! its settings change or an operator retries one of its payments (WHMCS
//! bans an IP after repeated failed logins).

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::Db;
use super::error::{DbError, Tree};
use super::keys::{Key, prefix};
use super::tx::{TxResult, WriteTx};
use crate::domain::{PaymentId, StoreId};

/// Why a store's WHMCS calls are paused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Breaker {
    pub opened_at: Timestamp,
    /// WHMCS's own message, e.g. `Authentication Failed`.
    pub reason: String,
    /// For an IP error: the address WHMCS saw (to whitelist).
    pub seen_ip: Option<String>,
    /// The payment whose call was refused.
    pub payment_id: PaymentId,
}

impl Breaker {
    /// What operators and the payment detail read.
    pub fn describe(&self) -> String {
        let ip = match &self.seen_ip {
            Some(ip) => format!(" (WHMCS saw the IP {ip}: whitelist it in WHMCS)"),
            None => String::new(),
        };
        format!(
            "WHMCS calls for this store are paused since {} because WHMCS answered \"{}\"{ip}; fix the store's WHMCS settings or retry payment {}",
            self.opened_at, self.reason, self.payment_id
        )
    }
}

fn key(store: &StoreId) -> Vec<u8> {
    Key::new(prefix::BREAKER).text(store.as_str()).build()
}

impl WriteTx<'_> {
    pub fn open_breaker(&self, store: &StoreId, breaker: &Breaker) -> TxResult<()> {
        self.put(Tree::Index, &key(store), breaker)
    }

    pub fn reset_breaker(&self, store: &StoreId) -> TxResult<()> {
        self.del(Tree::Index, &key(store))
    }
}

impl Db {
    pub fn breaker(&self, store: &StoreId) -> Result<Option<Breaker>, DbError> {
        self.read(Tree::Index, &key(store))
    }
}
