//! When the folder was last restored from a backup. A restored folder may
//! be older than what WHMCS already credited, so for a while after a
//! restore the crediting worker asks GetCredits before a payment's first
//! AddCredit (`worker::credit`); this is the one fact it needs.

use jiff::Timestamp;

use super::Db;
use super::error::{DbError, Tree};
use super::keys::{Key, prefix};
use super::tx::{TxResult, WriteTx};

fn key() -> Vec<u8> {
    Key::new(prefix::META).text("restored_at").build()
}

impl WriteTx<'_> {
    pub fn set_restored_at(&self, at: Timestamp) -> TxResult<()> {
        self.put(Tree::Index, &key(), &at)
    }
}

impl Db {
    pub fn restored_at(&self) -> Result<Option<Timestamp>, DbError> {
        self.read(Tree::Index, &key())
    }
}
