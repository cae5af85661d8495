//! Merchant stores' settings, kept in the `stores` tree by store id.

use std::sync::Arc;

use super::tx::T;
use super::{Store, StoreError, Written};
use crate::domain::StoreId;
use crate::merchant::StoreSettings;

impl Store {
    pub fn store_settings(&self, id: &StoreId) -> Result<Option<StoreSettings>, StoreError> {
        Ok(self.shared_store_settings(id)?.map(|s| (*s).clone()))
    }

    /// A store's settings without decoding them again: known stores are
    /// cached (there are few; every check reads them), and the cache entry
    /// is replaced by every `put_store_settings`.
    pub fn shared_store_settings(
        &self,
        id: &StoreId,
    ) -> Result<Option<Arc<StoreSettings>>, StoreError> {
        if let Some(hit) = self
            .settings_cache()
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(id)
        {
            return Ok(Some(hit.clone()));
        }
        let Some(settings) = self.read::<StoreSettings>(T::Stores, id.as_str().as_bytes())? else {
            return Ok(None);
        };
        let settings = Arc::new(settings);
        let mut cache = self
            .settings_cache()
            .write()
            .unwrap_or_else(|p| p.into_inner());
        cache.insert(id.clone(), settings.clone());
        Ok(Some(settings))
    }

    /// Creates or replaces a store's settings, closing its WHMCS breaker.
    pub fn put_store_settings(
        &self,
        id: &StoreId,
        settings: &StoreSettings,
    ) -> Result<Written<()>, StoreError> {
        // New settings may fix what tripped the breaker: calls resume.
        self.transact(|view| {
            view.put(T::Stores, id.as_str().as_bytes(), settings)?;
            super::breaker::reset_in(view, id)
        })?;
        let mut cache = self
            .settings_cache()
            .write()
            .unwrap_or_else(|p| p.into_inner());
        cache.insert(id.clone(), Arc::new(settings.clone()));
        Ok(self.written(()))
    }
}
