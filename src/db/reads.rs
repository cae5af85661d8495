//! Reads outside any write: one record by key, a payment's history, the
//! lists operators page through, and the matching scans (sled
//! transactions cannot scan, so matching finds candidates here and
//! re-reads them inside its write).

use serde::de::DeserializeOwned;

use super::Db;
use super::error::{DbError, Tree};
use super::keys::{self, prefix};
use super::records::{AuditEntry, PaymentRecord, PaymentSummary, TransactionRecord};
use super::tx::decode;
use crate::domain::{Amount, ClientId, IdError, PaymentId, Phone, StoreId, TransId};
use crate::machine::StateName;

/// Most audit entries one payment's history returns.
const HISTORY_ENTRIES_MAX: usize = 1000;

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

    /// Transactions waiting for an operator (of one store, or of all),
    /// longest waiting first per store, at most `limit`.
    pub fn awaiting_transactions(
        &self,
        store: Option<&StoreId>,
        limit: usize,
    ) -> Result<Vec<TransactionRecord>, DbError> {
        let mut out = Vec::new();
        for item in self
            .tree(Tree::Index)
            .scan_prefix(keys::awaiting_prefix(store))
            .keys()
            .take(limit)
        {
            let key = item?;
            let bad = || DbError::Key { tree: Tree::Index };
            // 'a', the store id and its separator, 8 bytes of time, the trans_id.
            let rest = key.get(1..).ok_or_else(bad)?;
            let split = rest.iter().position(|b| *b == 0).ok_or_else(bad)?;
            let store = parse_key_id(rest.get(..split).unwrap_or_default(), StoreId::parse)?;
            let trans_id = parse_key_id(rest.get(split + 9..).unwrap_or_default(), TransId::parse)?;
            if let Some(tx) = self.transaction(&store, &trans_id)? {
                out.push(tx);
            }
        }
        Ok(out)
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
