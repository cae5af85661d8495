//! Store keys: bearer credentials that open the admin API and the console
//! for one store only. A key is 256 random bits, shown once when it is
//! made; only its SHA-256 is kept (a random key needs no slow hash: there
//! is nothing to guess from the digest), so a request's key is found with
//! one read and a revoked key fails on its next request.
//!
//! Last use is noted in memory on every request and saved at most every
//! `console.key_last_use_save_ms` (and when the daemon stops): a key in
//! constant use must not turn every read into a durable write. A crash
//! loses at most that much of "last used".

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use jiff::Timestamp;
use sha2::{Digest, Sha256};

use crate::db::{Db, DbError, Durable, KeyHash, StoreKeyRecord};
use crate::domain::{KeyName, Secret, StoreId};

/// Every key starts with this, so a key is recognised in a config file or
/// a leaked log, and a token of another shape is refused without a read.
const KEY_PREFIX: &str = "cgk_";
/// Random bytes per key (256 bits).
const KEY_RANDOM_BYTES: usize = 32;
/// Base32 characters of 32 bytes, unpadded.
const KEY_BODY_CHARS: usize = 52;
/// Keys one store may hold: enough for every person and machine that
/// needs one; a store that wants more should revoke the unused.
pub const STORE_KEYS_MAX: usize = 50;

/// A key just made: the only time the key itself is seen.
#[derive(Debug)]
pub struct NewKey {
    pub name: KeyName,
    pub key: Secret,
    pub created_at: Timestamp,
}

/// Who a valid key belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyHolder {
    pub store: StoreId,
    pub name: KeyName,
    hash: KeyHash,
}

impl KeyHolder {
    /// A holder whose key was never stored, for tests of access rules.
    #[cfg(test)]
    pub fn for_tests(store: StoreId, name: KeyName) -> KeyHolder {
        KeyHolder {
            store,
            name,
            hash: KeyHash([0; 32]),
        }
    }
}

/// Why a key was not made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum KeyRefused {
    #[error("the store already has a key of that name")]
    NameTaken,
    #[error("the store already has {STORE_KEYS_MAX} keys")]
    TooMany,
}

/// The store keys of one data folder. Cheap to clone.
#[derive(Clone)]
pub struct StoreKeys {
    db: Db,
    /// Last uses not saved yet, by key.
    unsaved_uses: Arc<Mutex<HashMap<KeyHash, Timestamp>>>,
}

impl StoreKeys {
    pub fn new(db: Db) -> StoreKeys {
        StoreKeys {
            db,
            unsaved_uses: Arc::default(),
        }
    }

    /// Makes a key for `store` under `name`.
    pub fn create(
        &self,
        store: &StoreId,
        name: &KeyName,
        now: Timestamp,
    ) -> Result<Result<Durable<NewKey>, KeyRefused>, DbError> {
        if self.db.store_keys_of(store, STORE_KEYS_MAX)?.len() >= STORE_KEYS_MAX {
            return Ok(Err(KeyRefused::TooMany));
        }
        let key = random_key()?;
        let record = StoreKeyRecord {
            store_id: store.clone(),
            name: name.clone(),
            created_at: now,
            last_used_at: None,
        };
        let hash = hash_of(key.expose());
        let inserted = self.db.transact(|tx| tx.insert_store_key(&hash, &record))?;
        if !inserted {
            return Ok(Err(KeyRefused::NameTaken));
        }
        let made = NewKey {
            name: name.clone(),
            key,
            created_at: now,
        };
        Ok(Ok(self.db.durable(made)))
    }

    /// A store's keys, with last uses not saved yet.
    pub fn list(&self, store: &StoreId) -> Result<Vec<StoreKeyRecord>, DbError> {
        let unsaved = self.unsaved();
        let keys = self.db.store_keys_of(store, STORE_KEYS_MAX)?;
        Ok(keys
            .into_iter()
            .map(|(hash, mut record)| {
                if let Some(at) = unsaved.get(&hash) {
                    record.last_used_at = record.last_used_at.max(Some(*at));
                }
                record
            })
            .collect())
    }

    /// Revokes a key: `None` when the store has no key of that name.
    pub fn revoke(
        &self,
        store: &StoreId,
        name: &KeyName,
    ) -> Result<Option<Durable<StoreKeyRecord>>, DbError> {
        let removed = self.db.transact(|tx| tx.remove_store_key(store, name))?;
        // A use noted before the revocation is saved harmlessly: saving
        // touches only keys that still exist.
        Ok(removed.map(|record| self.db.durable(record)))
    }

    /// The holder of `token` if it is a store key that exists now, noting
    /// its use at `now`.
    pub fn authenticate(&self, token: &str, now: Timestamp) -> Result<Option<KeyHolder>, DbError> {
        if !looks_like_a_key(token) {
            return Ok(None);
        }
        let hash = hash_of(token);
        let Some(record) = self.db.store_key(&hash)? else {
            return Ok(None);
        };
        self.unsaved().insert(hash, now);
        Ok(Some(KeyHolder {
            store: record.store_id,
            name: record.name,
            hash,
        }))
    }

    /// Whether a holder's key still exists (a console session asks on
    /// every request, so a revoked key's sessions end at once), noting its
    /// use.
    pub fn still_valid(&self, holder: &KeyHolder, now: Timestamp) -> Result<bool, DbError> {
        let valid = self
            .db
            .store_key(&holder.hash)?
            .is_some_and(|r| r.store_id == holder.store && r.name == holder.name);
        if valid {
            self.unsaved().insert(holder.hash, now);
        }
        Ok(valid)
    }

    /// Saves the last uses noted since the previous save, in one write;
    /// how many.
    pub fn save_last_uses(&self) -> Result<Durable<usize>, DbError> {
        let uses: Vec<(KeyHash, Timestamp)> = self.unsaved().drain().collect();
        self.db.write(|tx| {
            for (hash, at) in &uses {
                tx.touch_store_key(hash, *at)?;
            }
            Ok(uses.len())
        })
    }

    fn unsaved(&self) -> std::sync::MutexGuard<'_, HashMap<KeyHash, Timestamp>> {
        self.unsaved_uses.lock().unwrap_or_else(|p| p.into_inner())
    }
}

fn hash_of(key: &str) -> KeyHash {
    KeyHash(Sha256::digest(key.as_bytes()).into())
}

fn looks_like_a_key(token: &str) -> bool {
    token.strip_prefix(KEY_PREFIX).is_some_and(|body| {
        body.len() == KEY_BODY_CHARS && body.bytes().all(|b| matches!(b, b'a'..=b'z' | b'2'..=b'7'))
    })
}

fn random_key() -> Result<Secret, DbError> {
    let mut bytes = [0u8; KEY_RANDOM_BYTES];
    getrandom::fill(&mut bytes).map_err(|_| DbError::Random)?;
    let body = data_encoding::BASE32_NOPAD
        .encode(&bytes)
        .to_ascii_lowercase();
    Ok(Secret::new(format!("{KEY_PREFIX}{body}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> (tempfile::TempDir, StoreKeys) {
        let dir = tempfile::tempdir().unwrap();
        let metrics = std::sync::Arc::new(crate::metrics::Metrics::new());
        let db = Db::open(dir.path(), &crate::db::DbOptions::default(), metrics).unwrap();
        (dir, StoreKeys::new(db))
    }

    #[test]
    fn a_key_is_shown_once_found_by_its_hash_and_fails_once_revoked() {
        let (_dir, keys) = keys();
        let store = StoreId::parse("5").unwrap();
        let name = KeyName::parse("laptop").unwrap();
        let now = Timestamp::from_second(1_800_000_000).unwrap();
        let made = keys.create(&store, &name, now).unwrap().unwrap();
        let made = made.durable_blocking().unwrap();
        assert!(
            looks_like_a_key(made.key.expose()),
            "{}",
            made.key.expose().len()
        );
        let holder = keys.authenticate(made.key.expose(), now).unwrap().unwrap();
        assert_eq!(
            (holder.store.as_str(), holder.name.as_str()),
            ("5", "laptop")
        );
        let again = keys.create(&store, &name, now).unwrap();
        assert_eq!(again.err(), Some(KeyRefused::NameTaken));
        let listed = keys.list(&store).unwrap();
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].last_used_at, Some(now), "unsaved uses are listed");
        let saved = keys.save_last_uses().unwrap().durable_blocking().unwrap();
        assert_eq!(saved, 1);
        assert_eq!(
            keys.list(&store).unwrap()[0].last_used_at,
            Some(now),
            "saved"
        );
        let none = keys.save_last_uses().unwrap().durable_blocking().unwrap();
        assert_eq!(none, 0);

        keys.revoke(&store, &name)
            .unwrap()
            .unwrap()
            .durable_blocking()
            .unwrap();
        assert!(keys.authenticate(made.key.expose(), now).unwrap().is_none());
        assert!(!keys.still_valid(&holder, now).unwrap());
        assert!(keys.revoke(&store, &name).unwrap().is_none());
        assert!(keys.list(&store).unwrap().is_empty());
    }

    #[test]
    fn tokens_of_another_shape_are_refused_without_a_lookup() {
        let (_dir, keys) = keys();
        let now = Timestamp::from_second(1_800_000_000).unwrap();
        for token in [
            "",
            "cgk_",
            "cgk_AAAA",
            &format!("cgk_{}", "a".repeat(53)),
            "admin",
        ] {
            assert!(!looks_like_a_key(token));
            assert!(keys.authenticate(token, now).unwrap().is_none());
        }
    }
}
