//! Payments and transactions: creating a payment, the claim's life
//! (claim, release, settle) and the reads the API needs.

use jiff::Timestamp;

use super::apply::index;
use super::keys;
use super::records::{AuditEntry, OutboxEntry, PaymentRecord, PaymentSummary, TransactionRecord};
use super::tx::{T, TxResult, TxView, fail};
use super::{Store, StoreError, Written};
use crate::domain::{Amount, ClientId, Lang, PaymentId, Phone, StoreId, TransId};
use crate::machine::{Actor, DeadlineKind, State, StateName};
use crate::merchant::StoreSettings;

/// Most audit entries one payment's history returns.
const HISTORY_ENTRIES_MAX: usize = 1000;

/// What a check asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPayment {
    pub store_id: StoreId,
    pub client_id: ClientId,
    pub phone: Phone,
    pub amount: Amount,
    pub lang: Lang,
}

impl Store {
    /// Creates a `searching` payment with its search deadline.
    pub fn create_payment(
        &self,
        new: &NewPayment,
        now: Timestamp,
    ) -> Result<Written<PaymentRecord>, StoreError> {
        let id = PaymentId::random().map_err(|e| StoreError::Io(e.to_string()))?;
        let settings = self
            .shared_store_settings(&new.store_id)?
            .unwrap_or_default();
        let record = self.transact(|view| create_in(view, new, &id, now, &settings))?;
        self.metrics().created();
        Ok(self.written(record))
    }

    pub fn payment(&self, id: &PaymentId) -> Result<Option<PaymentRecord>, StoreError> {
        self.read(T::Payments, &keys::payment(id))
    }

    /// What a poll shows of a payment, without decoding the rest.
    pub fn payment_summary(&self, id: &PaymentId) -> Result<Option<PaymentSummary>, StoreError> {
        self.read(T::Payments, &keys::payment(id))
    }

    pub fn transaction(
        &self,
        store: &StoreId,
        trans_id: &TransId,
    ) -> Result<Option<TransactionRecord>, StoreError> {
        self.read(T::Transactions, &keys::transaction(store, trans_id))
    }

    /// A payment's audit trail, oldest first.
    pub fn history(&self, id: &PaymentId) -> Result<Vec<AuditEntry>, StoreError> {
        let mut out = Vec::new();
        for item in self
            .tree(T::Audit)
            .scan_prefix(keys::payment_prefix(id))
            .take(HISTORY_ENTRIES_MAX)
        {
            let (_, bytes) = item?;
            out.push(super::tx::decode(T::Audit, &bytes)?);
        }
        Ok(out)
    }

    /// The outbox entries a payment's transitions wrote, oldest first.
    pub fn outbox_of(&self, id: &PaymentId) -> Result<Vec<OutboxEntry>, StoreError> {
        let mut out = Vec::new();
        for item in self
            .tree(T::Outbox)
            .scan_prefix(keys::payment_prefix(id))
            .take(HISTORY_ENTRIES_MAX)
        {
            let (_, bytes) = item?;
            out.push(super::tx::decode(T::Outbox, &bytes)?);
        }
        Ok(out)
    }

    /// Ids of payments in a state (of one store, or of all), from the state
    /// index, at most `limit`.
    pub fn payments_in_state(
        &self,
        state: StateName,
        store: Option<&StoreId>,
        limit: usize,
    ) -> Result<Vec<PaymentId>, StoreError> {
        let prefix = keys::state_prefix(state, store);
        let mut out = Vec::new();
        for item in self.tree(T::Index).scan_prefix(&prefix).keys().take(limit) {
            let key = item?;
            // The id follows the store id's separator.
            let tail = key.rsplit(|b| *b == 0).next().unwrap_or_default();
            let id = PaymentId::parse(std::str::from_utf8(tail).unwrap_or_default())
                .map_err(|e| StoreError::Decode(e.to_string()))?;
            out.push(id);
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
    ) -> Result<Vec<TransactionRecord>, StoreError> {
        let prefix = keys::Key::raw().text(store.as_str()).build();
        let mut out = Vec::new();
        for item in self.tree(T::Transactions).scan_prefix(prefix) {
            if out.len() >= limit {
                break;
            }
            let (_, bytes) = item?;
            let tx: TransactionRecord = super::tx::decode(T::Transactions, &bytes)?;
            if !unclaimed_only || (tx.claimed_by.is_none() && tx.credited_to.is_none()) {
                out.push(tx);
            }
        }
        Ok(out)
    }

    /// Stores a transaction record as it is (tests and ingestion use it;
    /// matching comes with the API).
    pub fn put_transaction(&self, tx: &TransactionRecord) -> Result<Written<()>, StoreError> {
        self.transact(|view| {
            view.put(
                T::Transactions,
                &keys::transaction(&tx.store_id, &tx.trans_id),
                tx,
            )?;
            if let (Some(phone), None, None) = (&tx.phone, &tx.claimed_by, &tx.credited_to) {
                let key =
                    keys::unclaimed(&tx.store_id, phone, tx.amount, tx.received_at, &tx.trans_id);
                view.put_raw(T::Index, &key, &[])?;
            }
            Ok(())
        })?;
        Ok(self.written(()))
    }
}

/// The payment-creating write, inside a caller's transaction.
pub(crate) fn create_in(
    view: &TxView,
    new: &NewPayment,
    id: &PaymentId,
    now: Timestamp,
    settings: &StoreSettings,
) -> TxResult<PaymentRecord> {
    let deadline_at = now
        .saturating_add(settings.search_window.duration())
        .unwrap_or(Timestamp::MAX);
    let record = PaymentRecord {
        id: id.clone(),
        store_id: new.store_id.clone(),
        client_id: new.client_id,
        phone: new.phone.clone(),
        amount: new.amount,
        lang: new.lang,
        created_at: now,
        updated_at: now,
        version: 1,
        state: State::Searching {},
        claim: None,
        deadline: Some(super::Deadline {
            kind: DeadlineKind::Search,
            at: deadline_at,
        }),
        credit_reported: false,
    };
    if view.contains(T::Payments, &keys::payment(id))? {
        return fail(StoreError::Invariant(format!(
            "payment id {id} already exists"
        )));
    }
    view.put(T::Payments, &keys::payment(id), &record)?;
    index(view, &record)?;
    let audit = AuditEntry {
        payment_id: id.clone(),
        version: 1,
        at: now,
        event: "created".to_owned(),
        actor: Actor::System,
        from: None,
        to: StateName::Searching,
        reason: None,
        intents: Vec::new(),
    };
    view.put(T::Audit, &keys::audit(id, 1), &audit)?;
    Ok(record)
}

fn load_tx(view: &TxView, store: &StoreId, trans_id: &TransId) -> TxResult<TransactionRecord> {
    match view.get(T::Transactions, &keys::transaction(store, trans_id))? {
        Some(tx) => Ok(tx),
        None => fail(StoreError::Invariant(format!(
            "transaction {trans_id} is not stored"
        ))),
    }
}

fn unclaimed_key(tx: &TransactionRecord) -> Option<Vec<u8>> {
    let phone = tx.phone.as_ref()?;
    Some(keys::unclaimed(
        &tx.store_id,
        phone,
        tx.amount,
        tx.received_at,
        &tx.trans_id,
    ))
}

/// Invariant 1: a transaction is claimed by at most one live payment.
pub(crate) fn claim_transaction(
    view: &TxView,
    payment: &PaymentRecord,
    trans_id: &TransId,
) -> TxResult<()> {
    let mut tx = load_tx(view, &payment.store_id, trans_id)?;
    if let Some(holder) = tx.claimed_by.as_ref().or(tx.credited_to.as_ref()) {
        return fail(StoreError::Invariant(format!(
            "transaction {trans_id} is already claimed by {holder}"
        )));
    }
    tx.claimed_by = Some(payment.id.clone());
    if let Some(key) = unclaimed_key(&tx) {
        view.del(T::Index, &key)?;
    }
    view.put(
        T::Transactions,
        &keys::transaction(&tx.store_id, trans_id),
        &tx,
    )
}

/// The claim ends (rejected, expired): the transaction may be claimed again.
pub(crate) fn release_transaction(view: &TxView, payment: &PaymentRecord) -> TxResult<()> {
    let Some(claim) = &payment.claim else {
        return fail(StoreError::Invariant(format!(
            "{} releases no claim",
            payment.id
        )));
    };
    let mut tx = load_tx(view, &payment.store_id, &claim.trans_id)?;
    if tx.claimed_by.as_ref() != Some(&payment.id) || tx.credited_to.is_some() {
        return fail(StoreError::Invariant(format!(
            "{} releases transaction {} it does not hold",
            payment.id, claim.trans_id
        )));
    }
    tx.claimed_by = None;
    if let Some(key) = unclaimed_key(&tx) {
        view.put_raw(T::Index, &key, &[])?;
    }
    view.put(
        T::Transactions,
        &keys::transaction(&tx.store_id, &claim.trans_id),
        &tx,
    )
}

/// Invariant 1: a transaction is credited at most once. Also records the
/// (store, phone, client) binding that anti-spam learns from.
pub(crate) fn settle_transaction(view: &TxView, payment: &PaymentRecord) -> TxResult<()> {
    let Some(claim) = &payment.claim else {
        return fail(StoreError::Invariant(format!(
            "{} settles no claim",
            payment.id
        )));
    };
    let mut tx = load_tx(view, &payment.store_id, &claim.trans_id)?;
    if tx.claimed_by.as_ref() != Some(&payment.id) || tx.credited_to.is_some() {
        return fail(StoreError::Invariant(format!(
            "transaction {} credited twice or by a payment that does not hold it",
            claim.trans_id
        )));
    }
    tx.credited_to = Some(payment.id.clone());
    view.put(
        T::Transactions,
        &keys::transaction(&tx.store_id, &claim.trans_id),
        &tx,
    )?;
    super::antispam::bind(view, payment)
}
