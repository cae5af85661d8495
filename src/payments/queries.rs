//! Reads the API, the pages and the workers make: a payment and its
//! history, lists for operators (paged by cursor), transactions, the
//! quarantine, a store's breaker, and why a `crediting` payment waits.

use super::Payments;
use crate::db::{
    AuditEntry, Breaker, Cursor, DbError, OutboxEntry, Page, PageResult, PaymentRecord,
    PaymentSummary, QuarantineEntry, TransactionRecord,
};
use crate::domain::{ClientId, PaymentId, StoreId, TransId};
use crate::machine::StateName;

/// The other clients a `contested` hold named, from a payment's history
/// (the last entry into `held`).
pub fn competing_in(history: &[AuditEntry]) -> Vec<ClientId> {
    history
        .iter()
        .rev()
        .find(|a| a.to == StateName::Held)
        .map(|a| a.competing_clients.clone())
        .unwrap_or_default()
}

impl Payments {
    pub fn payment(&self, id: &PaymentId) -> Result<Option<PaymentRecord>, DbError> {
        self.db().payment(id)
    }

    /// What a poll shows of a payment, without decoding the rest.
    pub fn payment_summary(&self, id: &PaymentId) -> Result<Option<PaymentSummary>, DbError> {
        self.db().payment_summary(id)
    }

    pub fn transaction(
        &self,
        store: &StoreId,
        trans_id: &TransId,
    ) -> Result<Option<TransactionRecord>, DbError> {
        self.db().transaction(store, trans_id)
    }

    /// A payment's audit trail, oldest first.
    pub fn history(&self, id: &PaymentId) -> Result<Vec<AuditEntry>, DbError> {
        self.db().history(id)
    }

    /// The other clients a held payment's `contested` hold names (one read:
    /// a held payment's latest audit entry is the match that held it).
    pub fn competing_clients(&self, record: &PaymentRecord) -> Result<Vec<ClientId>, DbError> {
        if record.state_name() != StateName::Held {
            return Ok(Vec::new());
        }
        let entry = self.db().audit_entry(&record.id, record.version)?;
        Ok(entry.map(|a| a.competing_clients).unwrap_or_default())
    }

    /// The outbox entries a payment's transitions wrote, oldest first.
    pub fn outbox_of(&self, id: &PaymentId) -> Result<Vec<OutboxEntry>, DbError> {
        self.db().outbox_of(id)
    }

    /// Payments in a state (of one store, or of all), at most `limit`.
    pub fn payments_in_state(
        &self,
        state: StateName,
        store: Option<&StoreId>,
        limit: usize,
    ) -> Result<Vec<PaymentId>, DbError> {
        self.db().payments_in_state(state, store, limit)
    }

    /// A page of payments in `states` (of one store, or of all): by state
    /// in the order of [`StateName::ALL`], then store, then age.
    pub fn payments_page(
        &self,
        states: &[StateName],
        store: Option<&StoreId>,
        cursor: Option<&Cursor>,
        limit: usize,
    ) -> PageResult<PaymentRecord> {
        match self.db().payments_page(states, store, cursor, limit)? {
            Ok(page) => self.records(page).map(Ok),
            Err(e) => Ok(Err(e)),
        }
    }

    /// The records of a page of ids (a payment is never deleted, so every
    /// id the index lists has one; a missing one is skipped, and `verify`
    /// reports it).
    pub(super) fn records(&self, page: Page<PaymentId>) -> Result<Page<PaymentRecord>, DbError> {
        let mut items = Vec::with_capacity(page.items.len());
        for id in &page.items {
            if let Some(record) = self.payment(id)? {
                items.push(record);
            }
        }
        Ok(Page {
            items,
            next: page.next,
        })
    }

    /// One store's payments in a state, as counted by the writes.
    pub fn store_state_count(&self, state: StateName, store: &StoreId) -> Result<u64, DbError> {
        self.db().store_state_count(state, store)
    }

    /// A page of a store's transactions in trans_id order.
    pub fn transactions_page(
        &self,
        store: &StoreId,
        unclaimed_only: bool,
        cursor: Option<&Cursor>,
        limit: usize,
    ) -> PageResult<TransactionRecord> {
        self.db()
            .transactions_page(store, unclaimed_only, cursor, limit)
    }

    /// A page of the quarantine, newest first (of one store, or of all).
    pub fn quarantine_page(
        &self,
        store: Option<&StoreId>,
        cursor: Option<&Cursor>,
        limit: usize,
    ) -> PageResult<QuarantineEntry> {
        self.db().quarantine_page(store, cursor, limit)
    }

    /// The store's open WHMCS breaker, if any.
    pub fn breaker(&self, store: &StoreId) -> Result<Option<Breaker>, DbError> {
        self.db().breaker(store)
    }

    /// Why a `crediting` payment is not credited yet: its store's open
    /// breaker, else the last problem its pending AddCredit entry met.
    /// `outbox` may pass the payment's entries when the caller has them.
    pub fn waiting_reason(
        &self,
        record: &PaymentRecord,
        outbox: Option<&[OutboxEntry]>,
    ) -> Result<Option<String>, DbError> {
        if record.state_name() != StateName::Crediting {
            return Ok(None);
        }
        if let Some(breaker) = self.breaker(&record.store_id)? {
            return Ok(Some(breaker.describe()));
        }
        let read;
        let outbox = match outbox {
            Some(o) => o,
            None => {
                read = self.outbox_of(&record.id)?;
                &read
            }
        };
        Ok(outbox
            .iter()
            .rev()
            .find(|e| e.is_queued())
            .and_then(|e| e.last_error.clone()))
    }
}
