//! Merchant stores' settings, kept in the `stores` tree by store id.

use super::Db;
use super::error::{DbError, Tree};
use super::tx::{TxResult, WriteTx};
use crate::domain::StoreId;
use crate::merchant::StoreSettings;

impl WriteTx<'_> {
    pub fn store_settings(&self, id: &StoreId) -> TxResult<Option<StoreSettings>> {
        self.get(Tree::Stores, id.as_str().as_bytes())
    }

    pub fn put_store_settings(&self, id: &StoreId, settings: &StoreSettings) -> TxResult<()> {
        self.put(Tree::Stores, id.as_str().as_bytes(), settings)
    }
}

impl Db {
    pub fn store_settings(&self, id: &StoreId) -> Result<Option<StoreSettings>, DbError> {
        self.read(Tree::Stores, id.as_str().as_bytes())
    }
}
