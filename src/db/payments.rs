//! Writing payments, their audit entries and transactions inside a
//! [`WriteTx`], with every index entry derived from them: payments by
//! state (and its counts, in all and per store), waiting `searching`
//! payments (and their count per phone and amount), the open payment of an
//! identical check, timers, payments the retention sweep may remove,
//! unclaimed transactions and transactions waiting for an operator (and
//! their count), and the search entries by phone and client id.

use super::error::{Invariant, Tree};
use super::keys;
use super::records::{AuditEntry, PaymentRecord, TransactionRecord};
use super::tx::{TxResult, WriteTx, abort};
use crate::domain::{Amount, ClientId, PaymentId, Phone, StoreId, TransId};
use crate::machine::StateName;

impl WriteTx<'_> {
    pub fn payment(&self, id: &PaymentId) -> TxResult<Option<PaymentRecord>> {
        self.get(Tree::Payments, &keys::payment(id))
    }

    /// Stores a new payment with its index entries; its id must be new.
    pub fn insert_payment(&self, record: &PaymentRecord) -> TxResult<()> {
        let key = keys::payment(&record.id);
        if self.contains(Tree::Payments, &key)? {
            return abort(Invariant::PaymentExists(record.id.clone()));
        }
        self.put(Tree::Payments, &key, record)?;
        self.put_search_entries(record)?;
        self.index(record)
    }

    /// The entries operators search by phone and client id. Written once,
    /// with the payment: a payment's store, phone and client never change.
    pub(super) fn put_search_entries(&self, r: &PaymentRecord) -> TxResult<()> {
        let phone = keys::by_phone(&r.phone, &r.store_id, &r.id);
        self.put_raw(Tree::Index, &phone, &[])?;
        let client = keys::by_client(r.client_id, &r.store_id, &r.id);
        self.put_raw(Tree::Index, &client, &[])
    }

    /// Removes a payment's search entries (when the payment is deleted).
    pub(super) fn del_search_entries(&self, r: &PaymentRecord) -> TxResult<()> {
        self.del(Tree::Index, &keys::by_phone(&r.phone, &r.store_id, &r.id))?;
        self.del(
            Tree::Index,
            &keys::by_client(r.client_id, &r.store_id, &r.id),
        )
    }

    /// Replaces `before` (as read in this write) by `after`, moving every
    /// index entry derived from it. When nothing indexed changes (an
    /// invoice's settlement), the index is left alone: a newer identical
    /// check may own the check key by now, and re-indexing would take it
    /// back.
    pub fn update_payment(&self, before: &PaymentRecord, after: &PaymentRecord) -> TxResult<()> {
        if indexed_fields(before) != indexed_fields(after) {
            self.unindex(before)?;
            self.index(after)?;
        }
        self.put(Tree::Payments, &keys::payment(&after.id), after)
    }

    pub fn put_audit(&self, entry: &AuditEntry) -> TxResult<()> {
        self.put(
            Tree::Audit,
            &keys::audit(&entry.payment_id, entry.version),
            entry,
        )
    }

    /// The payment an identical check (store, client, phone, amount) finds.
    pub fn repeat_of(
        &self,
        store: &StoreId,
        client: ClientId,
        phone: &Phone,
        amount: Amount,
    ) -> TxResult<Option<PaymentRecord>> {
        let key = keys::check(store, client, phone, amount);
        let Some(raw) = self.get_raw(Tree::Index, &key)? else {
            return Ok(None);
        };
        let text = std::str::from_utf8(&raw).unwrap_or_default();
        let Ok(id) = PaymentId::parse(text) else {
            return abort(super::DbError::Key { tree: Tree::Index });
        };
        match self.payment(&id)? {
            Some(record) => Ok(Some(record)),
            None => abort(Invariant::CheckIndexDangling(id)),
        }
    }

    pub fn transaction(
        &self,
        store: &StoreId,
        trans_id: &TransId,
    ) -> TxResult<Option<TransactionRecord>> {
        self.get(Tree::Transactions, &keys::transaction(store, trans_id))
    }

    /// How many `searching` payments wait for this phone and amount, as
    /// counted by the writes (exact inside a write, unlike a scan).
    pub fn waiting_count(&self, store: &StoreId, phone: &Phone, amount: Amount) -> TxResult<u64> {
        let key = keys::waiting_count(store, phone, amount);
        Ok(self
            .get_raw(Tree::Index, &key)?
            .map_or(0, |v| super::tx::decode_count(&v)))
    }

    /// Stores a transaction, keeping its entries in the index of unclaimed
    /// transactions (by phone and amount) and in the index of those that
    /// wait for an operator (with its count) true to its record.
    pub fn put_transaction(&self, tx: &TransactionRecord) -> TxResult<()> {
        let key = keys::transaction(&tx.store_id, &tx.trans_id);
        let before: Option<TransactionRecord> = self.get(Tree::Transactions, &key)?;
        if let Some(phone) = &tx.phone {
            let unclaimed =
                keys::unclaimed(&tx.store_id, phone, tx.amount, tx.received_at, &tx.trans_id);
            if tx.is_claimable() {
                self.put_raw(Tree::Index, &unclaimed, &[])?;
            } else {
                self.del(Tree::Index, &unclaimed)?;
            }
        }
        let was = before.and_then(|b| b.awaiting_operator).map(|r| r.at);
        let is = tx.awaiting_operator.as_ref().map(|r| r.at);
        if was != is {
            if let Some(at) = was {
                self.del(Tree::Index, &keys::awaiting(&tx.store_id, at, &tx.trans_id))?;
                self.add_to_count(&keys::awaiting_count(), -1)?;
                self.add_to_group_count(&keys::store_awaiting_count(&tx.store_id), -1)?;
            }
            if let Some(at) = is {
                self.put_raw(
                    Tree::Index,
                    &keys::awaiting(&tx.store_id, at, &tx.trans_id),
                    &[],
                )?;
                self.add_to_count(&keys::awaiting_count(), 1)?;
                self.add_to_group_count(&keys::store_awaiting_count(&tx.store_id), 1)?;
            }
        }
        self.put(Tree::Transactions, &key, tx)
    }

    /// Writes every index entry derived from a payment record (on insert,
    /// a new identical check takes the check key).
    fn index(&self, r: &PaymentRecord) -> TxResult<()> {
        let id = &r.id;
        let state = r.state_name();
        self.put_raw(Tree::Index, &keys::by_state(state, &r.store_id, id), &[])?;
        self.add_to_count(&keys::state_count(state), 1)?;
        self.add_to_count(&keys::store_state_count(state, &r.store_id), 1)?;
        if state == StateName::Searching {
            let key = keys::waiting(&r.store_id, &r.phone, r.amount, r.created_at, id);
            self.put_raw(Tree::Index, &key, &[])?;
            let count = keys::waiting_count(&r.store_id, &r.phone, r.amount);
            self.add_to_group_count(&count, 1)?;
        }
        if let Some(ended) = r.ended_unclaimed() {
            self.put_raw(Tree::Index, &keys::retention(ended, id), &[])?;
        }
        if r.answers_repeat_checks() {
            let key = keys::check(&r.store_id, r.client_id, &r.phone, r.amount);
            self.put_raw(Tree::Index, &key, id.as_str().as_bytes())?;
        }
        if let Some(deadline) = r.deadline {
            self.put_raw(Tree::Index, &keys::timer(deadline.at, id), &[])?;
        }
        Ok(())
    }

    /// Removes every index entry derived from a payment record.
    pub(super) fn unindex(&self, r: &PaymentRecord) -> TxResult<()> {
        let id = &r.id;
        let state = r.state_name();
        self.del(Tree::Index, &keys::by_state(state, &r.store_id, id))?;
        self.add_to_count(&keys::state_count(state), -1)?;
        self.add_to_count(&keys::store_state_count(state, &r.store_id), -1)?;
        if state == StateName::Searching {
            self.del(
                Tree::Index,
                &keys::waiting(&r.store_id, &r.phone, r.amount, r.created_at, id),
            )?;
            let count = keys::waiting_count(&r.store_id, &r.phone, r.amount);
            self.add_to_group_count(&count, -1)?;
        }
        if let Some(ended) = r.ended_unclaimed() {
            self.del(Tree::Index, &keys::retention(ended, id))?;
        }
        let check = keys::check(&r.store_id, r.client_id, &r.phone, r.amount);
        // A newer identical check may own the key by now: only remove our own.
        if self
            .get_raw(Tree::Index, &check)?
            .is_some_and(|v| v.as_ref() == id.as_str().as_bytes())
        {
            self.del(Tree::Index, &check)?;
        }
        if let Some(deadline) = r.deadline {
            self.del(Tree::Index, &keys::timer(deadline.at, id))?;
        }
        Ok(())
    }
}

/// What the index entries of a payment are derived from.
fn indexed_fields(
    r: &PaymentRecord,
) -> (
    &PaymentId,
    StateName,
    &StoreId,
    &Phone,
    Amount,
    ClientId,
    jiff::Timestamp,
    bool,
    Option<super::records::Deadline>,
) {
    (
        &r.id,
        r.state_name(),
        &r.store_id,
        &r.phone,
        r.amount,
        r.client_id,
        r.created_at,
        r.answers_repeat_checks(),
        r.deadline,
    )
}
