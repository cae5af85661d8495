//! Reads outside any write: one record by key, a payment's history, the
//! lists operators page through (by cursor, `pages`), and the matching
//! scans (sled transactions cannot scan, so matching finds candidates here
//! and re-reads them inside its write).

use serde::de::DeserializeOwned;

use super::Db;
use super::error::{DbError, Tree};
use super::keys::{self, prefix};
use super::pages::{Cursor, CursorError, Direction, Page, Scan};
use super::quarantine::QuarantineEntry;
use super::records::{AuditEntry, PaymentRecord, PaymentSummary, TransactionRecord};
use super::tx::decode;
use crate::domain::{Amount, ClientId, IdError, PaymentId, Phone, StoreId, TransId};
use crate::machine::StateName;

/// Most audit entries one payment's history returns.
const HISTORY_ENTRIES_MAX: usize = 1000;
/// A filtered page reads at most this many keys per key it may return,
/// and at least `FILTERED_SCAN_MIN`: a page of unclaimed transactions
/// among claimed ones stops early and says where to go on.
const FILTERED_SCAN_PER_ITEM: usize = 20;
const FILTERED_SCAN_MIN: usize = 2000;

/// What a paged list answers: a page, or a cursor from another list.
pub type PageResult<T> = Result<Result<Page<T>, CursorError>, DbError>;

fn filtered_scan_max(limit: usize) -> usize {
    limit
        .saturating_mul(FILTERED_SCAN_PER_ITEM)
        .max(FILTERED_SCAN_MIN)
}

impl Db {
    /// Reads and decodes one record.
    pub(super) fn read<R: DeserializeOwned>(
        &self,
        t: Tree,
        key: &[u8],
    ) -> Result<Option<R>, DbError> {
        match self.tree(t).get(key)? {
            Some(bytes) => decode(t, &bytes).map(Some),
            None => Ok(None),
        }
    }

    pub fn payment(&self, id: &PaymentId) -> Result<Option<PaymentRecord>, DbError> {
        self.read(Tree::Payments, &keys::payment(id))
    }

    /// What a poll shows of a payment, without decoding the rest.
    pub fn payment_summary(&self, id: &PaymentId) -> Result<Option<PaymentSummary>, DbError> {
        self.read(Tree::Payments, &keys::payment(id))
    }

    pub fn transaction(
        &self,
        store: &StoreId,
        trans_id: &TransId,
    ) -> Result<Option<TransactionRecord>, DbError> {
        self.read(Tree::Transactions, &keys::transaction(store, trans_id))
    }

    /// A payment's audit trail, oldest first.
    pub fn history(&self, id: &PaymentId) -> Result<Vec<AuditEntry>, DbError> {
        let mut out = Vec::new();
        for item in self
            .tree(Tree::Audit)
            .scan_prefix(keys::payment_prefix(id))
            .take(HISTORY_ENTRIES_MAX)
        {
            let (_, bytes) = item?;
            let entry: AuditEntry = decode(Tree::Audit, &bytes)?;
            out.push(entry.upgraded());
        }
        Ok(out)
    }

    /// One audit entry of a payment.
    pub fn audit_entry(&self, id: &PaymentId, version: u64) -> Result<Option<AuditEntry>, DbError> {
        let entry: Option<AuditEntry> = self.read(Tree::Audit, &keys::audit(id, version))?;
        Ok(entry.map(AuditEntry::upgraded))
    }

    /// Ids of payments in a state (of one store, or of all), from the
    /// state index, at most `limit`.
    pub fn payments_in_state(
        &self,
        state: StateName,
        store: Option<&StoreId>,
        limit: usize,
    ) -> Result<Vec<PaymentId>, DbError> {
        let prefix = keys::state_prefix(state, store);
        let mut out = Vec::new();
        for item in self
            .tree(Tree::Index)
            .scan_prefix(&prefix)
            .keys()
            .take(limit)
        {
            let key = item?;
            // The id follows the store id's separator.
            let tail = key.rsplit(|b| *b == 0).next().unwrap_or_default();
            out.push(parse_key_id(tail, PaymentId::parse)?);
        }
        Ok(out)
    }

    /// A page of the ids of payments in `states` (of one store, or of all),
    /// by state in the order given to the index, then store, then age.
    pub fn payments_page(
        &self,
        states: &[StateName],
        store: Option<&StoreId>,
        cursor: Option<&Cursor>,
        limit: usize,
    ) -> PageResult<PaymentId> {
        let scan = Scan {
            tree: self.tree(Tree::Index),
            prefixes: states
                .iter()
                .map(|s| keys::state_prefix(*s, store))
                .collect(),
            direction: Direction::Ascending,
            limit,
            scan_max: limit,
        };
        scan.run(cursor, |key, _| {
            let tail = key.rsplit(|b| *b == 0).next().unwrap_or_default();
            parse_key_id(tail, PaymentId::parse).map(Some)
        })
    }

    /// A page of a store's transactions in trans_id order; `unclaimed_only`
    /// keeps those no payment holds or was credited with.
    pub fn transactions_page(
        &self,
        store: &StoreId,
        unclaimed_only: bool,
        cursor: Option<&Cursor>,
        limit: usize,
    ) -> PageResult<TransactionRecord> {
        let scan = Scan {
            tree: self.tree(Tree::Transactions),
            prefixes: vec![keys::Key::raw().text(store.as_str()).build()],
            direction: Direction::Ascending,
            limit,
            scan_max: filtered_scan_max(limit),
        };
        scan.run(cursor, |_, bytes| {
            let tx: TransactionRecord = decode(Tree::Transactions, bytes)?;
            Ok((!unclaimed_only || tx.is_claimable()).then_some(tx))
        })
    }

    /// A page of the quarantine, newest first, optionally of one store.
    pub fn quarantine_page(
        &self,
        store: Option<&StoreId>,
        cursor: Option<&Cursor>,
        limit: usize,
    ) -> PageResult<QuarantineEntry> {
        // Quarantine keys are the 8 bytes of an id.
        if cursor.is_some_and(|c| c.key().len() != 8) {
            return Ok(Err(CursorError));
        }
        let scan = Scan {
            tree: self.tree(Tree::Quarantine),
            prefixes: vec![Vec::new()],
            direction: Direction::Descending,
            limit,
            scan_max: if store.is_some() {
                filtered_scan_max(limit)
            } else {
                limit
            },
        };
        scan.run(cursor, |_, bytes| {
            let entry: QuarantineEntry = decode(Tree::Quarantine, bytes)?;
            Ok(store.is_none_or(|s| *s == entry.store_id).then_some(entry))
        })
    }

    /// A page of store ids, in id order.
    pub fn stores_page(&self, cursor: Option<&Cursor>, limit: usize) -> PageResult<StoreId> {
        let is_store_id =
            |c: &Cursor| std::str::from_utf8(c.key()).is_ok_and(|t| StoreId::parse(t).is_ok());
        if cursor.is_some_and(|c| !is_store_id(c)) {
            return Ok(Err(CursorError));
        }
        let scan = Scan {
            tree: self.tree(Tree::Stores),
            prefixes: vec![Vec::new()],
            direction: Direction::Ascending,
            limit,
            scan_max: limit,
        };
        scan.run(cursor, |key, _| {
            std::str::from_utf8(key)
                .ok()
                .and_then(|text| StoreId::parse(text).ok())
                .map(Some)
                .ok_or(DbError::Key { tree: Tree::Stores })
        })
    }

    /// Every payment, in id order (for `verify`: a full scan).
    pub fn all_payments(&self) -> impl Iterator<Item = Result<PaymentRecord, DbError>> + '_ {
        self.tree(Tree::Payments).iter().map(|item| {
            let (_, bytes) = item?;
            decode(Tree::Payments, &bytes)
        })
    }

    /// The payment an identical check (store, client, phone, amount) would
    /// find, if any.
    pub fn open_payment_of(
        &self,
        store: &StoreId,
        client: ClientId,
        phone: &Phone,
        amount: Amount,
    ) -> Result<Option<PaymentId>, DbError> {
        let key = keys::check(store, client, phone, amount);
        match self.tree(Tree::Index).get(key)? {
            Some(raw) => parse_key_id(&raw, PaymentId::parse).map(Some),
            None => Ok(None),
        }
    }

    /// Every transaction, in key order (for `verify`: a full scan).
    pub fn all_transactions(
        &self,
    ) -> impl Iterator<Item = Result<TransactionRecord, DbError>> + '_ {
        self.tree(Tree::Transactions).iter().map(|item| {
            let (_, bytes) = item?;
            decode(Tree::Transactions, &bytes)
        })
    }

    /// Whether a transaction is listed as unclaimed (by phone and amount)
    /// and as waiting for an operator (for `verify`).
    pub fn transaction_listed(&self, tx: &TransactionRecord) -> Result<(bool, bool), DbError> {
        let index = self.tree(Tree::Index);
        let unclaimed = match &tx.phone {
            Some(phone) => index.contains_key(keys::unclaimed(
                &tx.store_id,
                phone,
                tx.amount,
                tx.received_at,
                &tx.trans_id,
            ))?,
            None => false,
        };
        let awaiting = match &tx.awaiting_operator {
            Some(released) => {
                index.contains_key(keys::awaiting(&tx.store_id, released.at, &tx.trans_id))?
            }
            None => false,
        };
        Ok((unclaimed, awaiting))
    }

    /// The states under which the state index lists a payment (exactly
    /// one when the index is right; for `verify`).
    pub fn indexed_states(
        &self,
        store: &StoreId,
        id: &PaymentId,
    ) -> Result<Vec<StateName>, DbError> {
        let mut out = Vec::new();
        for state in StateName::ALL {
            if self
                .tree(Tree::Index)
                .contains_key(keys::by_state(state, store, id))?
            {
                out.push(state);
            }
        }
        Ok(out)
    }

    /// A store's transactions in trans_id order, at most `limit`;
    /// `unclaimed_only` keeps those no payment holds or was credited with.
    pub fn transactions_of(
        &self,
        store: &StoreId,
        unclaimed_only: bool,
        limit: usize,
    ) -> Result<Vec<TransactionRecord>, DbError> {
        let prefix = keys::Key::raw().text(store.as_str()).build();
        let mut out = Vec::new();
        for item in self.tree(Tree::Transactions).scan_prefix(prefix) {
            if out.len() >= limit {
                break;
            }
            let (_, bytes) = item?;
            let tx: TransactionRecord = decode(Tree::Transactions, &bytes)?;
            if !unclaimed_only || tx.is_claimable() {
                out.push(tx);
            }
        }
        Ok(out)
    }

    /// A page of the transactions waiting for an operator (of one store,
    /// or of all): by store, then longest waiting first.
    pub fn awaiting_page(
        &self,
        store: Option<&StoreId>,
        cursor: Option<&Cursor>,
        limit: usize,
    ) -> PageResult<TransactionRecord> {
        let scan = Scan {
            tree: self.tree(Tree::Index),
            prefixes: vec![keys::awaiting_prefix(store)],
            direction: Direction::Ascending,
            limit,
            scan_max: limit,
        };
        scan.run(cursor, |key, _| {
            let bad = || DbError::Key { tree: Tree::Index };
            // 'a', the store id and its separator, 8 bytes of time, the trans_id.
            let rest = key.get(1..).ok_or_else(bad)?;
            let split = rest.iter().position(|b| *b == 0).ok_or_else(bad)?;
            let store = parse_key_id(rest.get(..split).unwrap_or_default(), StoreId::parse)?;
            let trans_id = parse_key_id(rest.get(split + 9..).unwrap_or_default(), TransId::parse)?;
            self.transaction(&store, &trans_id)
        })
    }

    /// The oldest `searching` payments of a store waiting for a transfer
    /// from `phone` of `amount`, at most `limit`.
    pub fn waiting_payments(
        &self,
        store: &StoreId,
        phone: &Phone,
        amount: Amount,
        limit: usize,
    ) -> Result<Vec<PaymentId>, DbError> {
        let scan = keys::match_prefix(prefix::WAITING, store, phone, amount).build();
        self.scan_ids(&scan, limit, PaymentId::parse)
    }

    /// The oldest unclaimed transactions of a store from `phone` of
    /// `amount`, at most `limit`.
    pub fn unclaimed_transactions(
        &self,
        store: &StoreId,
        phone: &Phone,
        amount: Amount,
        limit: usize,
    ) -> Result<Vec<TransId>, DbError> {
        let scan = keys::match_prefix(prefix::UNCLAIMED, store, phone, amount).build();
        self.scan_ids(&scan, limit, TransId::parse)
    }

    /// The ids under a matching-index prefix: each key ends in the 8-byte
    /// time and then the id.
    fn scan_ids<I>(
        &self,
        scan: &[u8],
        limit: usize,
        parse: impl Fn(&str) -> Result<I, IdError>,
    ) -> Result<Vec<I>, DbError> {
        let mut out = Vec::new();
        for key in self.tree(Tree::Index).scan_prefix(scan).keys().take(limit) {
            let key = key?;
            out.push(parse_key_id(
                key.get(scan.len() + 8..).unwrap_or_default(),
                &parse,
            )?);
        }
        Ok(out)
    }
}

/// An id at the end of an index key.
fn parse_key_id<I>(bytes: &[u8], parse: impl Fn(&str) -> Result<I, IdError>) -> Result<I, DbError> {
    std::str::from_utf8(bytes)
        .ok()
        .and_then(|text| parse(text).ok())
        .ok_or(DbError::Key { tree: Tree::Index })
}
