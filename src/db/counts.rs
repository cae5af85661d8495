//! Counts kept beside the indexes: payments per state and outbox entries
//! per lane. The writes that change an index change its count in the same
//! transaction, so opening a data folder or scraping `/metrics` reads a
//! few keys instead of scanning millions (a scan of a million state index
//! entries cost about 56 MiB of resident memory in sled).

use std::collections::HashMap;

use super::Db;
use super::error::{DbError, Tree};
use super::keys::{self, prefix};
use super::outbox::Lane;
use super::tx::decode_count;
use crate::domain::StoreId;
use crate::machine::StateName;

/// Counts a folder written before counts were kept, once, at open (nothing
/// else writes then).
pub(super) fn keep_counts(index: &sled::Tree) -> Result<(), DbError> {
    keep_store_counts(index)?;
    keep_store_awaiting_counts(index)?;
    if index.get(keys::counts_kept())?.is_none() {
        let mut batch = sled::Batch::default();
        for state in StateName::ALL {
            let count = scan(index, &keys::state_prefix(state, None));
            batch.insert(keys::state_count(state), &count.to_be_bytes()[..]);
        }
        batch.insert(keys::counts_kept(), &[][..]);
        index.apply_batch(batch)?;
        index.flush()?;
    }
    if index.get(keys::lane_counts_kept())?.is_none() {
        let mut batch = sled::Batch::default();
        for lane in Lane::ALL {
            let count = scan(index, &lane_prefix(lane));
            batch.insert(keys::lane_count(lane), &count.to_be_bytes()[..]);
        }
        batch.insert(keys::lane_counts_kept(), &[][..]);
        index.apply_batch(batch)?;
        index.flush()?;
    }
    Ok(())
}

/// Counts each store's payments per state from the state index, once, for
/// a folder written before those counts were kept.
fn keep_store_counts(index: &sled::Tree) -> Result<(), DbError> {
    if index.get(keys::store_counts_kept())?.is_some() {
        return Ok(());
    }
    let mut batch = sled::Batch::default();
    for ((code, store), count) in tally_state_index(index)? {
        let mut key = keys::store_state_counts();
        key.push(code);
        key.extend_from_slice(&store);
        batch.insert(key, &count.to_be_bytes()[..]);
    }
    batch.insert(keys::store_counts_kept(), &[][..]);
    index.apply_batch(batch)?;
    index.flush()?;
    Ok(())
}

/// Counts each store's transactions waiting for an operator, once, for a
/// folder written before those counts were kept.
fn keep_store_awaiting_counts(index: &sled::Tree) -> Result<(), DbError> {
    if index.get(keys::store_awaiting_counts_kept())?.is_some() {
        return Ok(());
    }
    let mut batch = sled::Batch::default();
    for (store, count) in tally_awaiting_index(index)? {
        let key: Vec<u8> = keys::store_awaiting_counts()
            .into_iter()
            .chain(store)
            .collect();
        batch.insert(key, &count.to_be_bytes()[..]);
    }
    batch.insert(keys::store_awaiting_counts_kept(), &[][..]);
    index.apply_batch(batch)?;
    index.flush()?;
    Ok(())
}

/// Waiting transactions per store id bytes, by scanning their index.
fn tally_awaiting_index(index: &sled::Tree) -> Result<HashMap<Vec<u8>, u64>, DbError> {
    let mut tally: HashMap<Vec<u8>, u64> = HashMap::new();
    for key in index.scan_prefix(keys::awaiting_prefix(None)).keys() {
        let key = key?;
        // a, store id, 0, released time, trans_id
        let rest = key.get(1..).ok_or(DbError::Key { tree: Tree::Index })?;
        let store = rest.split(|b| *b == 0).next().unwrap_or_default();
        *tally.entry(store.to_vec()).or_default() += 1;
    }
    Ok(tally)
}

/// Payments per (state code, store id bytes), by scanning the state index.
fn tally_state_index(index: &sled::Tree) -> Result<HashMap<(u8, Vec<u8>), u64>, DbError> {
    let mut tally: HashMap<(u8, Vec<u8>), u64> = HashMap::new();
    for key in index.scan_prefix([prefix::STATE]).keys() {
        let key = key?;
        // s, state code, store id, 0, payment id
        let (Some(&code), Some(rest)) = (key.get(1), key.get(2..)) else {
            return Err(DbError::Key { tree: Tree::Index });
        };
        let store = rest.split(|b| *b == 0).next().unwrap_or_default();
        *tally.entry((code, store.to_vec())).or_default() += 1;
    }
    Ok(tally)
}

/// Where a lane's due entries start in the index.
pub(super) fn lane_prefix(lane: Lane) -> [u8; 2] {
    [prefix::OUTBOX_DUE, lane.code()]
}

fn scan(index: &sled::Tree, prefix: &[u8]) -> u64 {
    let count = index.scan_prefix(prefix).keys().count();
    u64::try_from(count).unwrap_or(u64::MAX)
}

fn kept(index: &sled::Tree, key: &[u8]) -> Result<u64, DbError> {
    Ok(index.get(key)?.map_or(0, |v| decode_count(&v)))
}

/// How many entries some indexes hold (a full scan: for `verify`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct IndexSizes {
    /// Claimable transactions with a phone.
    pub unclaimed: u64,
    /// Transactions waiting for an operator.
    pub awaiting: u64,
    /// Payments that ended `expired` without a transaction.
    pub retention: u64,
}

impl Db {
    pub fn index_sizes(&self) -> Result<IndexSizes, DbError> {
        let index = self.tree(Tree::Index);
        Ok(IndexSizes {
            unclaimed: scan(index, &[prefix::UNCLAIMED]),
            awaiting: scan(index, &[prefix::AWAITING]),
            retention: scan(index, &[prefix::RETENTION]),
        })
    }

    /// Payments in a state, as counted by the writes.
    pub fn state_count(&self, state: StateName) -> Result<u64, DbError> {
        kept(self.tree(Tree::Index), &keys::state_count(state))
    }

    /// Transactions waiting for an operator, as counted by the writes.
    pub fn awaiting_count(&self) -> Result<u64, DbError> {
        kept(self.tree(Tree::Index), &keys::awaiting_count())
    }

    /// One store's transactions waiting for an operator, as counted by the
    /// writes.
    pub fn store_awaiting_count(&self, store: &StoreId) -> Result<u64, DbError> {
        kept(self.tree(Tree::Index), &keys::store_awaiting_count(store))
    }

    /// One store's payments in a state, as counted by the writes.
    pub fn store_state_count(&self, state: StateName, store: &StoreId) -> Result<u64, DbError> {
        kept(
            self.tree(Tree::Index),
            &keys::store_state_count(state, store),
        )
    }

    /// Entries waiting in a lane (due or not), as counted by the writes.
    pub fn lane_count(&self, lane: Lane) -> Result<u64, DbError> {
        kept(self.tree(Tree::Index), &keys::lane_count(lane))
    }

    /// Every kept count that disagrees with its index (a full scan: for
    /// `verify`, never for a request).
    pub fn count_problems(&self) -> Result<Vec<String>, DbError> {
        let index = self.tree(Tree::Index);
        let mut problems = Vec::new();
        for (marker, what) in [
            (keys::counts_kept(), "state"),
            (keys::lane_counts_kept(), "lane"),
            (keys::retention_kept(), "retention and waiting"),
        ] {
            if index.get(marker)?.is_none() {
                problems.push(format!("index: {what} counts are not kept"));
            }
        }
        for state in StateName::ALL {
            let counted = self.state_count(state)?;
            let indexed = scan(index, &keys::state_prefix(state, None));
            if counted != indexed {
                problems.push(format!(
                    "index: {counted} {state} payments counted, {indexed} indexed"
                ));
            }
        }
        problems.extend(store_count_problems(index)?);
        for lane in Lane::ALL {
            let counted = self.lane_count(lane)?;
            let indexed = scan(index, &lane_prefix(lane));
            if counted != indexed {
                problems.push(format!(
                    "index: {counted} {} outbox entries counted, {indexed} queued",
                    lane.name()
                ));
            }
        }
        let counted = self.awaiting_count()?;
        let indexed = scan(index, &keys::awaiting_prefix(None));
        if counted != indexed {
            problems.push(format!(
                "index: {counted} transactions counted as waiting for an operator, {indexed} indexed"
            ));
        }
        problems.extend(store_awaiting_count_problems(index)?);
        problems.extend(waiting_count_problems(index)?);
        Ok(problems)
    }
}

/// Each (store, phone, amount) count of waiting payments against the
/// waiting index itself.
fn waiting_count_problems(index: &sled::Tree) -> Result<Vec<String>, DbError> {
    let mut indexed: std::collections::HashMap<Vec<u8>, u64> = std::collections::HashMap::new();
    for item in index.scan_prefix([prefix::WAITING]).keys() {
        let key = item?;
        let group = keys::waiting_count_of(&key, super::PAYMENT_ID_LEN)
            .ok_or(DbError::Key { tree: Tree::Index })?;
        *indexed.entry(group).or_default() += 1;
    }
    let mut problems = Vec::new();
    for item in index.scan_prefix([prefix::WAITING_COUNT]) {
        let (key, value) = item?;
        let counted = decode_count(&value);
        let found = indexed.remove(key.as_ref()).unwrap_or(0);
        if counted != found {
            problems.push(format!(
                "index: {counted} waiting payments counted for a phone and amount, {found} indexed"
            ));
        }
    }
    for found in indexed.values() {
        problems.push(format!(
            "index: {found} waiting payments for a phone and amount are not counted"
        ));
    }
    Ok(problems)
}

/// Per-store counts of waiting transactions that disagree with their
/// index, either way.
fn store_awaiting_count_problems(index: &sled::Tree) -> Result<Vec<String>, DbError> {
    let mut problems = Vec::new();
    if index.get(keys::store_awaiting_counts_kept())?.is_none() {
        problems.push("index: per-store counts of waiting transactions are not kept".to_owned());
    }
    let mut indexed = tally_awaiting_index(index)?;
    let counts = keys::store_awaiting_counts();
    for item in index.scan_prefix(&counts) {
        let (key, value) = item?;
        let store = key.get(counts.len()..).unwrap_or_default().to_vec();
        let counted = decode_count(&value);
        let found = indexed.remove(&store).unwrap_or(0);
        if counted != found {
            let store = String::from_utf8_lossy(&store);
            problems.push(format!(
                "index: store {store} has {counted} transactions counted as waiting for an operator, {found} indexed"
            ));
        }
    }
    for (store, found) in indexed {
        let store = String::from_utf8_lossy(&store);
        problems.push(format!(
            "index: store {store} has {found} transactions waiting for an operator, none counted"
        ));
    }
    Ok(problems)
}

/// Per-store counts that disagree with the state index, either way.
fn store_count_problems(index: &sled::Tree) -> Result<Vec<String>, DbError> {
    let mut problems = Vec::new();
    if index.get(keys::store_counts_kept())?.is_none() {
        problems.push("index: per-store state counts are not kept".to_owned());
    }
    let mut indexed = tally_state_index(index)?;
    let counts = keys::store_state_counts();
    for item in index.scan_prefix(&counts) {
        let (key, value) = item?;
        let code = key.get(counts.len()).copied().unwrap_or_default();
        let store = key.get(counts.len() + 1..).unwrap_or_default().to_vec();
        let counted = decode_count(&value);
        let found = indexed.remove(&(code, store.clone())).unwrap_or(0);
        if counted != found {
            let store = String::from_utf8_lossy(&store);
            problems.push(format!(
                "index: store {store} has {counted} payments counted in state {code}, {found} indexed"
            ));
        }
    }
    for ((code, store), found) in indexed {
        let store = String::from_utf8_lossy(&store);
        problems.push(format!(
            "index: store {store} has {found} payments indexed in state {code}, none counted"
        ));
    }
    Ok(problems)
}
