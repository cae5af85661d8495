//! Writing payments, their audit entries and transactions inside a
//! [`WriteTx`], with every index entry derived from them: payments by
//! state (and its counts, in all and per store), waiting `searching`
//! payments, the open payment of an identical check, timers, unclaimed
//! transactions, and the search entries by phone and client id.

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

    /// Replaces `before` (as read in this write) by `after`, moving every
    /// index entry derived from it.
    pub fn update_payment(&self, before: &PaymentRecord, after: &PaymentRecord) -> TxResult<()> {
        self.unindex(before)?;
        self.index(after)?;
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

    /// Stores a transaction, keeping its entry in the index of unclaimed
    /// transactions (by phone and amount) true to its claim.
    pub fn put_transaction(&self, tx: &TransactionRecord) -> TxResult<()> {
        let key = keys::transaction(&tx.store_id, &tx.trans_id);
        if let Some(phone) = &tx.phone {
            let unclaimed =
                keys::unclaimed(&tx.store_id, phone, tx.amount, tx.received_at, &tx.trans_id);
            if tx.is_claimable() {
                self.put_raw(Tree::Index, &unclaimed, &[])?;
            } else {
                self.del(Tree::Index, &unclaimed)?;
            }
        }
        self.put(Tree::Transactions, &key, tx)
    }

    /// Writes every index entry derived from a payment record.
    fn index(&self, r: &PaymentRecord) -> TxResult<()> {
        let id = &r.id;
        let state = r.state_name();
        self.put_raw(Tree::Index, &keys::by_state(state, &r.store_id, id), &[])?;
        self.add_to_count(&keys::state_count(state), 1)?;
        self.add_to_count(&keys::store_state_count(state, &r.store_id), 1)?;
        if state == StateName::Searching {
            let key = keys::waiting(&r.store_id, &r.phone, r.amount, r.created_at, id);
            self.put_raw(Tree::Index, &key, &[])?;
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
    fn unindex(&self, r: &PaymentRecord) -> TxResult<()> {
        let id = &r.id;
        let state = r.state_name();
        self.del(Tree::Index, &keys::by_state(state, &r.store_id, id))?;
        self.add_to_count(&keys::state_count(state), -1)?;
        self.add_to_count(&keys::store_state_count(state, &r.store_id), -1)?;
        self.del(
            Tree::Index,
            &keys::waiting(&r.store_id, &r.phone, r.amount, r.created_at, id),
        )?;
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
