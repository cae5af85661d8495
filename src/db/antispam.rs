//! The stored facts behind the anti-spam rules, as plain lists: which
//! clients a phone was credited to, and the times of recent checks per
//! client and per phone. What they mean is decided in `crate::payments`.

use super::error::Tree;
use super::keys;
use super::tx::{TxResult, WriteTx};
use crate::domain::{ClientId, Phone, StoreId};

/// Whose recent checks a list counts.
#[derive(Debug, Clone, Copy)]
pub enum CheckCounter<'a> {
    Client(&'a StoreId, ClientId),
    Phone(&'a StoreId, &'a Phone),
}

impl CheckCounter<'_> {
    fn key(&self) -> Vec<u8> {
        match self {
            CheckCounter::Client(store, client) => keys::client_checks(store, *client),
            CheckCounter::Phone(store, phone) => keys::phone_checks(store, phone),
        }
    }
}

impl WriteTx<'_> {
    /// The clients this phone's payments were credited to in this store.
    pub fn bound_clients(&self, store: &StoreId, phone: &Phone) -> TxResult<Vec<ClientId>> {
        Ok(self
            .get(Tree::Index, &keys::binding(store, phone))?
            .unwrap_or_default())
    }

    pub fn put_bound_clients(
        &self,
        store: &StoreId,
        phone: &Phone,
        clients: &[ClientId],
    ) -> TxResult<()> {
        self.put(Tree::Index, &keys::binding(store, phone), &clients)
    }

    /// Stored check times (milliseconds since the epoch).
    pub fn recent_checks(&self, counter: CheckCounter) -> TxResult<Vec<i64>> {
        Ok(self.get(Tree::Index, &counter.key())?.unwrap_or_default())
    }

    pub fn put_recent_checks(&self, counter: CheckCounter, times_ms: &[i64]) -> TxResult<()> {
        self.put(Tree::Index, &counter.key(), &times_ms)
    }
}
