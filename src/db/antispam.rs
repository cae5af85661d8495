//! The stored facts behind the anti-spam rules, as plain lists: which
//! clients a phone was credited to, and the times of recent checks per
//! client and per phone. What they mean, and when a list of check times
//! is old enough to go, is decided in `crate::payments`; this module
//! pages through the lists and deletes one only while it is still old.

use std::ops::Bound;

use super::Db;
use super::error::{DbError, Tree};
use super::keys::{self, prefix};
use super::tx::{TxResult, WriteTx, decode};
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

/// Where a pass over the check-time lists goes on: after the last key
/// looked at (the start when empty). Opaque outside this module.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CounterCursor(Option<Vec<u8>>);

/// One page of check-time lists.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CounterPage {
    /// The lists whose newest check is at or before the asked time.
    pub stale: Vec<CounterKey>,
    /// How many lists the page looked at.
    pub looked_at: usize,
    /// Where the next page starts; `None` when this page reached the end.
    pub next: Option<CounterCursor>,
}

/// The key of one check-time list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CounterKey(Vec<u8>);

impl Db {
    /// Looks at up to `limit` check-time lists after `cursor`, in key
    /// order, and names those with no check after `before_ms` (an empty
    /// or unreadable list too: nothing can count it).
    pub fn check_counters_page(
        &self,
        cursor: &CounterCursor,
        before_ms: i64,
        limit: usize,
    ) -> Result<CounterPage, DbError> {
        let start = match &cursor.0 {
            Some(last) => Bound::Excluded(last.clone()),
            None => Bound::Included(vec![prefix::VELOCITY]),
        };
        let mut page = CounterPage::default();
        let mut last = None;
        for item in self.tree(Tree::Index).range((start, Bound::Unbounded)) {
            let (key, bytes) = item?;
            if key.first() != Some(&prefix::VELOCITY) {
                return Ok(page);
            }
            if page.looked_at >= limit {
                page.next = last.map(|k| CounterCursor(Some(k)));
                return Ok(page);
            }
            page.looked_at += 1;
            if newest(&bytes).is_none_or(|t| t <= before_ms) {
                page.stale.push(CounterKey(key.to_vec()));
            }
            last = Some(key.to_vec());
        }
        Ok(page)
    }
}

impl WriteTx<'_> {
    /// Deletes a check-time list if it still has no check after
    /// `before_ms` (a check may have been counted since it was read).
    pub fn delete_counter_if_stale(&self, key: &CounterKey, before_ms: i64) -> TxResult<bool> {
        let Some(bytes) = self.get_raw(Tree::Index, &key.0)? else {
            return Ok(false);
        };
        if newest(&bytes).is_some_and(|t| t > before_ms) {
            return Ok(false);
        }
        self.del(Tree::Index, &key.0)?;
        Ok(true)
    }
}

/// The newest check time in a stored list; `None` when it holds none or
/// cannot be read.
fn newest(bytes: &[u8]) -> Option<i64> {
    decode::<Vec<i64>>(Tree::Index, bytes)
        .ok()
        .and_then(|times| times.into_iter().max())
}
