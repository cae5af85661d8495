//! Merchant stores: their settings, read through an in-memory cache (every
//! check reads them) and saved in one write with the reset of the store's
//! WHMCS breaker (new settings may fix what tripped it: calls resume).

use std::collections::HashMap;
use std::sync::{Arc, RwLock, RwLockWriteGuard};

use crate::db::{Cursor, Db, DbError, Durable, PageResult};
use crate::domain::StoreId;
use crate::merchant::{StoreError, StoreSettings};
use crate::store_keys::StoreKeys;

type Cache = HashMap<StoreId, Arc<StoreSettings>>;

/// A stored store that today's rules would refuse (saved by an older
/// cashgate): it loads and keeps its payments, but an operator should
/// complete it.
#[derive(Debug, Clone)]
pub struct Incomplete {
    pub id: StoreId,
    /// The first problem `StoreSettings::validate` finds.
    pub problem: StoreError,
    /// Whether it lacks what a credit needs, so checks for it are refused.
    pub checks_refused: bool,
}

/// The stores of one data folder. Cheap to clone.
#[derive(Clone)]
pub struct Stores {
    db: Db,
    /// Known stores' settings. Unknown ids are not cached, so nobody can
    /// fill it with them; it holds at most one entry per saved store.
    cache: Arc<RwLock<Cache>>,
    /// The keys that open one store's admin API and console.
    keys: StoreKeys,
}

impl Stores {
    pub fn new(db: Db) -> Stores {
        Stores {
            keys: StoreKeys::new(db.clone()),
            db,
            cache: Arc::default(),
        }
    }

    pub fn keys(&self) -> &StoreKeys {
        &self.keys
    }

    /// A page of store ids, in id order.
    pub fn ids_page(&self, cursor: Option<&Cursor>, limit: usize) -> PageResult<StoreId> {
        self.db.stores_page(cursor, limit)
    }

    /// A store's settings, if the store exists.
    pub fn get(&self, id: &StoreId) -> Result<Option<StoreSettings>, DbError> {
        Ok(self.shared(id)?.map(|s| (*s).clone()))
    }

    /// A store's settings without copying them.
    pub fn shared(&self, id: &StoreId) -> Result<Option<Arc<StoreSettings>>, DbError> {
        let hit = self
            .cache
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(id)
            .cloned();
        if hit.is_some() {
            return Ok(hit);
        }
        // Filled under the write lock, which `put` holds across its write:
        // a fill can never put back older settings.
        let mut cache = self.cache_for_write();
        if let Some(hit) = cache.get(id) {
            return Ok(Some(hit.clone()));
        }
        let Some(settings) = self.db.store_settings(id)? else {
            return Ok(None);
        };
        let settings = Arc::new(settings);
        cache.insert(id.clone(), settings.clone());
        Ok(Some(settings))
    }

    /// Creates or replaces a store's settings and closes its breaker.
    pub fn put(&self, id: &StoreId, settings: &StoreSettings) -> Result<Durable<()>, DbError> {
        let mut cache = self.cache_for_write();
        let pending = self.db.write(|tx| {
            tx.put_store_settings(id, settings)?;
            tx.reset_breaker(id)
        })?;
        cache.insert(id.clone(), Arc::new(settings.clone()));
        Ok(pending)
    }

    /// Every stored store that today's rules would refuse.
    pub fn incomplete(&self) -> Result<Vec<Incomplete>, DbError> {
        let mut out = Vec::new();
        for (id, settings) in self.db.all_store_settings()? {
            if let Err(problem) = settings.validate() {
                let checks_refused = settings.can_credit().is_err();
                out.push(Incomplete {
                    id,
                    problem,
                    checks_refused,
                });
            }
        }
        Ok(out)
    }

    fn cache_for_write(&self) -> RwLockWriteGuard<'_, Cache> {
        self.cache.write().unwrap_or_else(|p| p.into_inner())
    }
}
