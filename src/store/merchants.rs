//! Merchant stores' settings, kept in the `stores` tree by store id, with
//! an in-memory cache of the known ones (every check reads them).

use std::sync::{Arc, RwLockWriteGuard};

use super::tx::T;
use super::{Store, StoreError, Written};
use crate::domain::StoreId;
use crate::merchant::StoreSettings;

type Cache = std::collections::HashMap<StoreId, Arc<StoreSettings>>;

impl Store {
    pub fn store_settings(&self, id: &StoreId) -> Result<Option<StoreSettings>, StoreError> {
        Ok(self.shared_store_settings(id)?.map(|s| (*s).clone()))
    }

    /// A store's settings without decoding them again. Unknown ids are not
    /// cached (nobody can fill the cache with them).
    pub fn shared_store_settings(
        &self,
        id: &StoreId,
    ) -> Result<Option<Arc<StoreSettings>>, StoreError> {
        let hit = self
            .settings_cache()
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(id)
            .cloned();
        if hit.is_some() {
            return Ok(hit);
        }
        // Filled under the write lock, which `put_store_settings` holds
        // across its write: a fill can never put back older settings.
        let mut cache = self.cache_for_write();
        if let Some(hit) = cache.get(id) {
            return Ok(Some(hit.clone()));
        }
        let Some(settings) = self.read::<StoreSettings>(T::Stores, id.as_str().as_bytes())? else {
            return Ok(None);
        };
        let settings = Arc::new(settings);
        cache.insert(id.clone(), settings.clone());
        Ok(Some(settings))
    }

    /// Creates or replaces a store's settings, closing its WHMCS breaker
    /// (new settings may fix what tripped it: calls resume).
    pub fn put_store_settings(
        &self,
        id: &StoreId,
        settings: &StoreSettings,
    ) -> Result<Written<()>, StoreError> {
        let mut cache = self.cache_for_write();
        self.transact(|view| {
            view.put(T::Stores, id.as_str().as_bytes(), settings)?;
            super::breaker::reset_in(view, id)
        })?;
        cache.insert(id.clone(), Arc::new(settings.clone()));
        drop(cache);
        Ok(self.written(()))
    }

    fn cache_for_write(&self) -> RwLockWriteGuard<'_, Cache> {
        self.settings_cache()
            .write()
            .unwrap_or_else(|p| p.into_inner())
    }
}
