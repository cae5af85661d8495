//! The one atomic write: a sled transaction over every tree, seen through
//! [`WriteTx`]. Every change of a payment — its record, audit entry,
//! outbox entries, index entries and counts — is made inside one of them.
//! The closure may run more than once on conflict, so it must do nothing
//! but read and write through the `WriteTx` (no I/O, no side effects).

use serde::Serialize;
use serde::de::DeserializeOwned;
use sled::transaction::{ConflictableTransactionError, TransactionalTree};

use super::error::{DbError, Tree};

/// What a write's closure returns: its value, or an abort.
pub type TxResult<R> = sled::transaction::ConflictableTransactionResult<R, DbError>;

/// Aborts the write with a storage error: nothing of it is kept.
pub fn abort<R>(e: impl Into<DbError>) -> TxResult<R> {
    Err(ConflictableTransactionError::Abort(e.into()))
}

/// A transaction's view of every tree. The typed operations on payments,
/// transactions, the outbox and the rest live in the modules that own
/// those records; this type only holds the trees.
pub struct WriteTx<'a> {
    pub(super) trees: &'a [TransactionalTree],
}

impl WriteTx<'_> {
    fn tree(&self, t: Tree) -> &TransactionalTree {
        &self.trees[t as usize]
    }

    pub(super) fn get<R: DeserializeOwned>(&self, t: Tree, key: &[u8]) -> TxResult<Option<R>> {
        match self.tree(t).get(key)? {
            Some(bytes) => decode(t, &bytes).map(Some).or_else(abort),
            None => Ok(None),
        }
    }

    pub(super) fn contains(&self, t: Tree, key: &[u8]) -> TxResult<bool> {
        Ok(self.tree(t).get(key)?.is_some())
    }

    pub(super) fn get_raw(&self, t: Tree, key: &[u8]) -> TxResult<Option<sled::IVec>> {
        Ok(self.tree(t).get(key)?)
    }

    pub(super) fn put<R: Serialize>(&self, t: Tree, key: &[u8], value: &R) -> TxResult<()> {
        let bytes = encode(t, value).or_else(abort)?;
        self.tree(t).insert(key, bytes)?;
        Ok(())
    }

    pub(super) fn put_raw(&self, t: Tree, key: &[u8], value: &[u8]) -> TxResult<()> {
        self.tree(t).insert(key, value)?;
        Ok(())
    }

    pub(super) fn del(&self, t: Tree, key: &[u8]) -> TxResult<()> {
        self.tree(t).remove(key)?;
        Ok(())
    }

    /// Adds `delta` to the 8-byte count at `key` in the index tree.
    pub(super) fn add_to_count(&self, key: &[u8], delta: i64) -> TxResult<()> {
        let now = self
            .get_raw(Tree::Index, key)?
            .map_or(0, |v| decode_count(&v));
        let next = now.saturating_add_signed(delta);
        self.put_raw(Tree::Index, key, &next.to_be_bytes())
    }
}

impl WriteTx<'_> {
    /// Like `add_to_count`, for counts kept per group (phone and amount):
    /// a count that reaches zero is removed, so the index does not keep a
    /// key for every group ever seen.
    pub(super) fn add_to_group_count(&self, key: &[u8], delta: i64) -> TxResult<()> {
        let now = self
            .get_raw(Tree::Index, key)?
            .map_or(0, |v| decode_count(&v));
        match now.saturating_add_signed(delta) {
            0 => self.del(Tree::Index, key),
            next => self.put_raw(Tree::Index, key, &next.to_be_bytes()),
        }
    }
}

pub(super) fn encode<R: Serialize>(t: Tree, value: &R) -> Result<Vec<u8>, DbError> {
    serde_json::to_vec(value).map_err(|e| DbError::Encode {
        tree: t,
        source: std::sync::Arc::new(e),
    })
}

pub(super) fn decode<R: DeserializeOwned>(t: Tree, bytes: &[u8]) -> Result<R, DbError> {
    serde_json::from_slice(bytes).map_err(|e| DbError::Decode {
        tree: t,
        source: std::sync::Arc::new(e),
    })
}

/// A stored count; anything but 8 bytes reads as 0 (and `verify` reports it).
pub(super) fn decode_count(bytes: &[u8]) -> u64 {
    <[u8; 8]>::try_from(bytes).map_or(0, u64::from_be_bytes)
}
