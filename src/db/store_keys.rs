//! Store keys as stored: never the key, only its SHA-256, under which the
//! record (store, name, creation, last use) is found in one read; and an
//! entry per (store, name) that lists a store's keys and finds the hash of
//! a key to revoke by name. Both live in the index tree and change
//! together in one write.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::Db;
use super::error::{DbError, Tree};
use super::keys;
use super::tx::{TxResult, WriteTx, abort};
use crate::domain::{KeyName, StoreId};

/// The SHA-256 of a store key: what is kept of it.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyHash(pub [u8; 32]);

impl std::fmt::Debug for KeyHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeyHash(..)")
    }
}

/// One store key, without the key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoreKeyRecord {
    pub store_id: StoreId,
    pub name: KeyName,
    pub created_at: Timestamp,
    /// Saved from memory at most every `console.key_last_use_save_ms`.
    #[serde(default)]
    pub last_used_at: Option<Timestamp>,
}

impl WriteTx<'_> {
    /// Stores a new key; false (and nothing written) when the store already
    /// has a key of that name.
    pub fn insert_store_key(&self, hash: &KeyHash, record: &StoreKeyRecord) -> TxResult<bool> {
        let by_name = keys::store_key_name(&record.store_id, Some(record.name.as_str()));
        if self.contains(Tree::Index, &by_name)? {
            return Ok(false);
        }
        let by_hash = keys::store_key(&hash.0);
        if self.contains(Tree::Index, &by_hash)? {
            // 256 random bits collided: something is badly wrong.
            return abort(DbError::Key { tree: Tree::Index });
        }
        self.put(Tree::Index, &by_hash, record)?;
        self.put_raw(Tree::Index, &by_name, &hash.0)?;
        Ok(true)
    }

    /// Removes a store's key by name; the removed record, if there was one.
    pub fn remove_store_key(
        &self,
        store: &StoreId,
        name: &KeyName,
    ) -> TxResult<Option<StoreKeyRecord>> {
        let by_name = keys::store_key_name(store, Some(name.as_str()));
        let Some(hash) = self.get_raw(Tree::Index, &by_name)? else {
            return Ok(None);
        };
        let Ok(hash) = <[u8; 32]>::try_from(hash.as_ref()) else {
            return abort(DbError::Key { tree: Tree::Index });
        };
        let by_hash = keys::store_key(&hash);
        let record: Option<StoreKeyRecord> = self.get(Tree::Index, &by_hash)?;
        self.del(Tree::Index, &by_hash)?;
        self.del(Tree::Index, &by_name)?;
        Ok(record)
    }

    /// Records a later use of a key that still exists (a revoked key stays
    /// revoked).
    pub fn touch_store_key(&self, hash: &KeyHash, at: Timestamp) -> TxResult<()> {
        let by_hash = keys::store_key(&hash.0);
        let Some(mut record): Option<StoreKeyRecord> = self.get(Tree::Index, &by_hash)? else {
            return Ok(());
        };
        if record.last_used_at.is_none_or(|last| last < at) {
            record.last_used_at = Some(at);
            self.put(Tree::Index, &by_hash, &record)?;
        }
        Ok(())
    }
}

impl Db {
    /// The key whose SHA-256 is `hash`, if it exists (one read).
    pub fn store_key(&self, hash: &KeyHash) -> Result<Option<StoreKeyRecord>, DbError> {
        self.read(Tree::Index, &keys::store_key(&hash.0))
    }

    /// A store's keys in name order, at most `limit`.
    pub fn store_keys_of(
        &self,
        store: &StoreId,
        limit: usize,
    ) -> Result<Vec<(KeyHash, StoreKeyRecord)>, DbError> {
        let mut out = Vec::new();
        let index = self.tree(Tree::Index);
        for item in index
            .scan_prefix(keys::store_key_name(store, None))
            .values()
            .take(limit)
        {
            let hash = <[u8; 32]>::try_from(item?.as_ref())
                .map(KeyHash)
                .map_err(|_| DbError::Key { tree: Tree::Index })?;
            if let Some(record) = self.store_key(&hash)? {
                out.push((hash, record));
            }
        }
        Ok(out)
    }
}
