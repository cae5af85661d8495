//! Typed access to sled's multi-tree transactions. Every transaction spans
//! all trees, so one write can touch any of them; the closure may run more
//! than once on conflict, so it does nothing but read and write sled.

use serde::Serialize;
use serde::de::DeserializeOwned;
use sled::Transactional;
use sled::transaction::{
    ConflictableTransactionError, ConflictableTransactionResult, TransactionError,
    TransactionalTree,
};

use super::{Store, StoreError};

pub(crate) const TREES: usize = 7;
pub(crate) const TREE_NAMES: [&str; TREES] = [
    "stores",
    "payments",
    "transactions",
    "audit",
    "outbox",
    "index",
    "quarantine",
];

/// The trees by name; the discriminant is the position in `TREE_NAMES`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum T {
    Stores = 0,
    Payments = 1,
    Transactions = 2,
    Audit = 3,
    Outbox = 4,
    Index = 5,
    Quarantine = 6,
}

pub(crate) type TxResult<R> = ConflictableTransactionResult<R, StoreError>;

/// Aborts the transaction with a storage error.
pub(crate) fn fail<R>(e: StoreError) -> TxResult<R> {
    Err(ConflictableTransactionError::Abort(e))
}

/// A transaction's view of every tree.
pub(crate) struct TxView<'a> {
    trees: &'a [TransactionalTree],
}

impl TxView<'_> {
    fn tree(&self, t: T) -> &TransactionalTree {
        &self.trees[t as usize]
    }

    pub fn get<R: DeserializeOwned>(&self, t: T, key: &[u8]) -> TxResult<Option<R>> {
        match self.tree(t).get(key)? {
            Some(bytes) => decode(t, &bytes).map(Some).or_else(fail),
            None => Ok(None),
        }
    }

    pub fn contains(&self, t: T, key: &[u8]) -> TxResult<bool> {
        Ok(self.tree(t).get(key)?.is_some())
    }

    pub fn get_raw(&self, t: T, key: &[u8]) -> TxResult<Option<sled::IVec>> {
        Ok(self.tree(t).get(key)?)
    }

    pub fn put<R: Serialize>(&self, t: T, key: &[u8], value: &R) -> TxResult<()> {
        let bytes = encode(value).or_else(fail)?;
        self.tree(t).insert(key, bytes)?;
        Ok(())
    }

    pub fn put_raw(&self, t: T, key: &[u8], value: &[u8]) -> TxResult<()> {
        self.tree(t).insert(key, value)?;
        Ok(())
    }

    pub fn del(&self, t: T, key: &[u8]) -> TxResult<()> {
        self.tree(t).remove(key)?;
        Ok(())
    }
}

pub(crate) fn encode<R: Serialize>(value: &R) -> Result<Vec<u8>, StoreError> {
    serde_json::to_vec(value).map_err(|e| StoreError::Decode(format!("encode: {e}")))
}

pub(crate) fn decode<R: DeserializeOwned>(t: T, bytes: &[u8]) -> Result<R, StoreError> {
    serde_json::from_slice(bytes)
        .map_err(|e| StoreError::Decode(format!("{}: {e}", TREE_NAMES[t as usize])))
}

impl Store {
    /// Runs `f` as one serialisable transaction over every tree.
    pub(crate) fn transact<R>(&self, f: impl Fn(&TxView) -> TxResult<R>) -> Result<R, StoreError> {
        let result = self
            .trees()
            .all
            .as_slice()
            .transaction(|trees: &Vec<TransactionalTree>| f(&TxView { trees }));
        result.map_err(|e| match e {
            TransactionError::Abort(e) => e,
            TransactionError::Storage(e) => StoreError::from(e),
        })
    }

    pub(crate) fn tree(&self, t: T) -> &sled::Tree {
        &self.trees().all[t as usize]
    }

    /// Reads and decodes one record outside a transaction.
    pub(crate) fn read<R: DeserializeOwned>(
        &self,
        t: T,
        key: &[u8],
    ) -> Result<Option<R>, StoreError> {
        match self.tree(t).get(key)? {
            Some(bytes) => decode(t, &bytes).map(Some),
            None => Ok(None),
        }
    }
}
