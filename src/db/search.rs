//! Operators' search by phone and by client id: two index entries per
//! payment, written with it (`put_search_entries`), keyed by the value
//! searched for first, so one prefix scan finds a phone's payments in
//! every store or in one. Each entry is an empty value under a key of
//! about 50 bytes. A folder written before these entries existed gets them
//! once, at open.

use serde::Deserialize;

use super::Db;
use super::error::{DbError, Tree};
use super::keys;
use super::pages::{Cursor, Direction, Scan};
use super::reads::PageResult;
use super::records::PaymentRecord;
use super::tx::decode;
use crate::domain::{ClientId, PaymentId, Phone, StoreId};

/// Payments written in one batch while a folder gets its search entries.
const BACKFILL_BATCH_MAX: usize = 10_000;

/// The fields of a payment record its search entries need.
#[derive(Deserialize)]
struct Searchable {
    id: PaymentId,
    store_id: StoreId,
    client_id: ClientId,
    phone: Phone,
}

/// Writes the search entries of every payment, once, for a folder written
/// before they existed (nothing else writes while a folder opens).
pub(super) fn keep_search_entries(
    payments: &sled::Tree,
    index: &sled::Tree,
) -> Result<(), DbError> {
    if index.get(keys::search_kept())?.is_some() {
        return Ok(());
    }
    let mut batch = sled::Batch::default();
    let mut in_batch = 0usize;
    let mut total = 0usize;
    for item in payments.iter() {
        let (_, bytes) = item?;
        let p: Searchable = decode(Tree::Payments, &bytes)?;
        batch.insert(keys::by_phone(&p.phone, &p.store_id, &p.id), &[][..]);
        batch.insert(keys::by_client(p.client_id, &p.store_id, &p.id), &[][..]);
        in_batch += 1;
        total += 1;
        if in_batch >= BACKFILL_BATCH_MAX {
            index.apply_batch(std::mem::take(&mut batch))?;
            in_batch = 0;
        }
    }
    batch.insert(keys::search_kept(), &[][..]);
    index.apply_batch(batch)?;
    index.flush()?;
    if total > 0 {
        tracing::info!(
            payments = total,
            "search entries written for existing payments"
        );
    }
    Ok(())
}

impl Db {
    /// Payments paid from `phone` (in one store, or in all), newest first.
    pub fn payments_by_phone(
        &self,
        phone: &Phone,
        store: Option<&StoreId>,
        cursor: Option<&Cursor>,
        limit: usize,
    ) -> PageResult<PaymentId> {
        self.search(keys::phone_search(phone, store).build(), cursor, limit)
    }

    /// Payments of WHMCS client `client` (in one store, or in all), newest
    /// first.
    pub fn payments_by_client(
        &self,
        client: ClientId,
        store: Option<&StoreId>,
        cursor: Option<&Cursor>,
        limit: usize,
    ) -> PageResult<PaymentId> {
        self.search(keys::client_search(client, store).build(), cursor, limit)
    }

    /// Whether a payment has both its search entries (for `verify`).
    pub fn has_search_entries(&self, r: &PaymentRecord) -> Result<bool, DbError> {
        let index = self.tree(Tree::Index);
        Ok(
            index.contains_key(keys::by_phone(&r.phone, &r.store_id, &r.id))?
                && index.contains_key(keys::by_client(r.client_id, &r.store_id, &r.id))?,
        )
    }

    fn search(
        &self,
        prefix: Vec<u8>,
        cursor: Option<&Cursor>,
        limit: usize,
    ) -> PageResult<PaymentId> {
        let scan = Scan {
            tree: self.tree(Tree::Index),
            prefixes: vec![prefix],
            direction: Direction::Descending,
            limit,
            scan_max: limit,
        };
        scan.run(cursor, |key, _| {
            // The id is the key's tail after the store's separator; ids are
            // 30 ASCII characters, so read them from the end.
            let tail = key
                .len()
                .checked_sub(PAYMENT_ID_LEN)
                .and_then(|start| key.get(start..))
                .unwrap_or_default();
            std::str::from_utf8(tail)
                .ok()
                .and_then(|t| PaymentId::parse(t).ok())
                .map(Some)
                .ok_or(DbError::Key { tree: Tree::Index })
        })
    }
}

/// `pay_` and 26 characters.
const PAYMENT_ID_LEN: usize = 30;
