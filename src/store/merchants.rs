//! Merchant stores' settings, kept in the `stores` tree by store id.

use super::tx::T;
use super::{Store, StoreError, Written};
use crate::domain::StoreId;
use crate::merchant::StoreSettings;

impl Store {
    pub fn store_settings(&self, id: &StoreId) -> Result<Option<StoreSettings>, StoreError> {
        self.read(T::Stores, id.as_str().as_bytes())
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
        Ok(self.written(()))
    }
}
