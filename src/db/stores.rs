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

/// The most stores [`Db::all_store_settings`] reads.
const STORES_LISTED_MAX: usize = 100_000;

impl Db {
    pub fn store_settings(&self, id: &StoreId) -> Result<Option<StoreSettings>, DbError> {
        self.read(Tree::Stores, id.as_str().as_bytes())
    }

    /// Every stored store (at most `STORES_LISTED_MAX`), by id.
    pub fn all_store_settings(&self) -> Result<Vec<(StoreId, StoreSettings)>, DbError> {
        let mut out = Vec::new();
        for item in self.tree(Tree::Stores).iter().take(STORES_LISTED_MAX) {
            let (key, bytes) = item?;
            let id = std::str::from_utf8(&key)
                .ok()
                .and_then(|k| StoreId::parse(k).ok())
                .ok_or(DbError::Key { tree: Tree::Stores })?;
            out.push((id, super::tx::decode(Tree::Stores, &bytes)?));
        }
        Ok(out)
    }
}
