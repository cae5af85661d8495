//! Matching, atomically: a check claims the oldest unclaimed transaction of
//! its store with that phone and amount (or waits as `searching`), and a
//! new transaction claims the oldest waiting payment. Candidates are found
//! by an index scan outside the transaction (sled transactions cannot
//! scan), then re-read and claimed inside it; sled runs transactions one at
//! a time, so a transaction is claimed by at most one payment.

use jiff::Timestamp;

use super::antispam;
use super::apply::{Applied, apply_in, index, unindex};
use super::keys::{self, prefix};
use super::payments::{NewPayment, create_in};
use super::records::{PaymentRecord, TransactionRecord};
use super::tx::{T, TxResult, TxView};
use super::{Store, StoreError, Written};
use crate::domain::{IdError, PaymentId, StoreId, TransId};
use crate::machine::{Event, Match, StateName};
use crate::merchant::StoreSettings;

/// Candidates one scan hands to the transaction.
const CANDIDATES_MAX: usize = 16;
/// Scans tried when every candidate was taken by a concurrent claim.
const CLAIM_ROUNDS_MAX: usize = 8;

/// What a check found or made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckOutcome {
    /// An identical check's payment. `newly_reported` is true when it is
    /// `credited` and this reply is the one that reports it.
    Repeat {
        record: PaymentRecord,
        newly_reported: bool,
    },
    /// A new payment that claimed a transaction.
    Matched(Box<Applied>),
    /// A new payment waiting for its transaction.
    Searching(PaymentRecord),
}

impl CheckOutcome {
    pub fn record(&self) -> &PaymentRecord {
        match self {
            CheckOutcome::Repeat { record, .. } | CheckOutcome::Searching(record) => record,
            CheckOutcome::Matched(applied) => &applied.record,
        }
    }
}

/// What storing an incoming transaction did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IngestOutcome {
    /// Stored for the first time; `claimed` when it matched a waiting payment.
    New {
        tx: TransactionRecord,
        claimed: Option<Box<Applied>>,
    },
    /// The same trans_id with the same data was already stored: nothing changed.
    Known(TransactionRecord),
    /// The same trans_id with different data is stored: nothing changed.
    Conflict(TransactionRecord),
}

impl Store {
    /// Answers a check: repeat, claim, or wait.
    pub fn check(
        &self,
        new: &NewPayment,
        now: Timestamp,
    ) -> Result<Written<CheckOutcome>, StoreError> {
        let id = PaymentId::random().map_err(|e| StoreError::Io(e.to_string()))?;
        let tries_max = self.options().credit_tries_max;
        let settings = self
            .shared_store_settings(&new.store_id)?
            .unwrap_or_default();
        let scan =
            keys::match_prefix(prefix::UNCLAIMED, &new.store_id, &new.phone, new.amount).build();
        for round in 0..CLAIM_ROUNDS_MAX {
            let candidates = self.scan_ids(&scan, TransId::parse)?;
            let last_round = round + 1 == CLAIM_ROUNDS_MAX;
            let round = Round {
                candidates: &candidates,
                last_round,
                now,
                tries_max,
                settings: &settings,
            };
            let outcome = self.transact(|view| check_in(view, new, &id, &round))?;
            if let Some(outcome) = outcome {
                match &outcome {
                    CheckOutcome::Matched(applied) => {
                        if applied.record.id == id {
                            self.metrics().created();
                        }
                        self.committed(applied);
                    }
                    CheckOutcome::Searching(_) => self.metrics().created(),
                    CheckOutcome::Repeat { .. } => {}
                }
                let record = outcome.record();
                let changed = vec![(record.id.clone(), record.version)];
                return Ok(self.written_changing(outcome, changed));
            }
        }
        Err(StoreError::Invariant("check found no outcome".into()))
    }

    /// Stores an incoming transaction and lets it claim the oldest waiting
    /// payment; idempotent on (store, trans_id).
    pub fn ingest(
        &self,
        tx: &TransactionRecord,
        now: Timestamp,
    ) -> Result<Written<IngestOutcome>, StoreError> {
        let tries_max = self.options().credit_tries_max;
        for round in 0..CLAIM_ROUNDS_MAX {
            let candidates = match &tx.phone {
                Some(phone) => {
                    let scan =
                        keys::match_prefix(prefix::WAITING, &tx.store_id, phone, tx.amount).build();
                    self.scan_ids(&scan, PaymentId::parse)?
                }
                None => Vec::new(),
            };
            let last_round = round + 1 == CLAIM_ROUNDS_MAX;
            let outcome =
                self.transact(|view| ingest_in(view, tx, &candidates, last_round, now, tries_max))?;
            if let Some(outcome) = outcome {
                let changed = match &outcome {
                    IngestOutcome::New {
                        claimed: Some(a), ..
                    } => {
                        self.committed(a);
                        vec![(a.record.id.clone(), a.record.version)]
                    }
                    _ => Vec::new(),
                };
                return Ok(self.written_changing(outcome, changed));
            }
        }
        Err(StoreError::Invariant("ingest found no outcome".into()))
    }

    /// A released transaction claims the oldest payment waiting for it, if
    /// any (the outbox's `rematch` effect).
    pub fn rematch(
        &self,
        store: &StoreId,
        trans_id: &TransId,
        now: Timestamp,
    ) -> Result<Written<Option<Applied>>, StoreError> {
        let tries_max = self.options().credit_tries_max;
        let Some(tx) = self.transaction(store, trans_id)? else {
            return Ok(self.written(None));
        };
        let Some(phone) = tx.phone.as_ref().filter(|_| claimable(&tx)) else {
            return Ok(self.written(None));
        };
        let scan = keys::match_prefix(prefix::WAITING, store, phone, tx.amount).build();
        let candidates = self.scan_ids(&scan, PaymentId::parse)?;
        let applied = self.transact(|view| {
            let tx: Option<TransactionRecord> =
                view.get(T::Transactions, &keys::transaction(store, trans_id))?;
            if !tx.is_some_and(|tx| claimable(&tx)) {
                return Ok(None);
            }
            for id in &candidates {
                let record: Option<PaymentRecord> = view.get(T::Payments, &keys::payment(id))?;
                if let Some(record) = record.filter(|r| r.state_name() == StateName::Searching) {
                    return match claim(view, &record, trans_id, now, tries_max)? {
                        Ok(applied) => Ok(Some(applied)),
                        Err(super::NotApplied::NoCredit) => Ok(None),
                        Err(e) => {
                            fail_invariant(format!("a searching payment refused its match: {e}"))
                        }
                    };
                }
            }
            Ok(None)
        })?;
        if let Some(a) = &applied {
            self.committed(a);
        }
        let changed = applied
            .iter()
            .map(|a| (a.record.id.clone(), a.record.version))
            .collect();
        Ok(self.written_changing(applied, changed))
    }

    /// Marks a `credited` payment as reported by a check reply. True for the
    /// one caller that reports it; false if it is not credited or was
    /// reported already.
    pub fn report_credit(&self, id: &PaymentId) -> Result<Written<bool>, StoreError> {
        let reported = self.transact(|view| {
            let Some(record) = view.get::<PaymentRecord>(T::Payments, &keys::payment(id))? else {
                return Ok(false);
            };
            if record.state_name() != StateName::Credited || record.credit_reported {
                return Ok(false);
            }
            let reported = PaymentRecord {
                credit_reported: true,
                ..record.clone()
            };
            unindex(view, &record)?;
            index(view, &reported)?;
            view.put(T::Payments, &keys::payment(id), &reported)?;
            Ok(true)
        })?;
        Ok(self.written(reported))
    }

    /// The oldest ids under a matching-index prefix (unclaimed
    /// transactions or waiting payments): each key ends in the 8-byte time
    /// and then the id.
    fn scan_ids<I>(
        &self,
        scan: &[u8],
        parse: impl Fn(&str) -> Result<I, IdError>,
    ) -> Result<Vec<I>, StoreError> {
        let mut out = Vec::new();
        for key in self
            .tree(T::Index)
            .scan_prefix(scan)
            .keys()
            .take(CANDIDATES_MAX)
        {
            let key = key?;
            let text = key
                .get(scan.len() + 8..)
                .and_then(|b| std::str::from_utf8(b).ok());
            out.push(
                parse(text.unwrap_or_default()).map_err(|e| StoreError::Decode(e.to_string()))?,
            );
        }
        Ok(out)
    }
}

/// What one claiming round of a check knows before its transaction.
struct Round<'a> {
    candidates: &'a [TransId],
    last_round: bool,
    now: Timestamp,
    tries_max: u32,
    settings: &'a StoreSettings,
}

fn check_in(
    view: &TxView,
    new: &NewPayment,
    id: &PaymentId,
    round: &Round,
) -> TxResult<Option<CheckOutcome>> {
    let Round {
        candidates,
        last_round,
        now,
        tries_max,
        settings,
    } = *round;
    let chosen = first_claimable(view, new, candidates)?;
    if let Some(repeat) = repeat_check(view, new)? {
        // The customer submits again: a payment still searching claims a
        // transaction that became free meanwhile (released by a rejection).
        if let (CheckOutcome::Repeat { record, .. }, Some(trans_id)) = (&repeat, &chosen)
            && record.state_name() == StateName::Searching
        {
            return match claim(view, record, trans_id, now, tries_max)? {
                Ok(applied) => Ok(Some(CheckOutcome::Matched(Box::new(applied)))),
                Err(super::NotApplied::NoCredit) => Ok(Some(repeat)),
                Err(not_applied) => fail_invariant(format!(
                    "a searching payment refused its match: {not_applied}"
                )),
            };
        }
        return Ok(Some(repeat));
    }
    if chosen.is_none() && candidates.len() == CANDIDATES_MAX && !last_round {
        return Ok(None);
    }
    let record = create_in(view, new, id, now, settings)?;
    // Counted only while the velocity rule is on: every check pays for it.
    let anti_spam = &settings.anti_spam;
    if anti_spam.enabled && anti_spam.hold_after_checks_per_hour.is_some() {
        antispam::count_check(view, &record, now)?;
    }
    let Some(trans_id) = chosen else {
        return Ok(Some(CheckOutcome::Searching(record)));
    };
    match claim(view, &record, &trans_id, now, tries_max)? {
        Ok(applied) => Ok(Some(CheckOutcome::Matched(Box::new(applied)))),
        Err(super::NotApplied::NoCredit) => Ok(Some(CheckOutcome::Searching(record))),
        Err(not_applied) => {
            fail_invariant(format!("a new payment refused its match: {not_applied}"))
        }
    }
}

/// The first candidate no payment holds.
fn first_claimable(
    view: &TxView,
    new: &NewPayment,
    candidates: &[TransId],
) -> TxResult<Option<TransId>> {
    for trans_id in candidates {
        let tx: Option<TransactionRecord> =
            view.get(T::Transactions, &keys::transaction(&new.store_id, trans_id))?;
        if tx.is_some_and(|tx| claimable(&tx)) {
            return Ok(Some(trans_id.clone()));
        }
    }
    Ok(None)
}

/// An identical check's payment, if the check index has one for it.
fn repeat_check(view: &TxView, new: &NewPayment) -> TxResult<Option<CheckOutcome>> {
    let key = keys::check(&new.store_id, new.client_id, &new.phone, new.amount);
    let Some(raw) = view.get_raw(T::Index, &key)? else {
        return Ok(None);
    };
    let text = std::str::from_utf8(&raw).unwrap_or_default();
    let Ok(existing) = PaymentId::parse(text) else {
        return fail_invariant(format!("check index holds {text:?}"));
    };
    let Some(record) = view.get::<PaymentRecord>(T::Payments, &keys::payment(&existing))? else {
        return fail_invariant(format!("check index points at missing payment {existing}"));
    };
    if record.state_name() != StateName::Credited || record.credit_reported {
        return Ok(Some(CheckOutcome::Repeat {
            record,
            newly_reported: false,
        }));
    }
    // This reply reports the credit: remember it, so the next identical
    // check starts a new payment and one transfer never pays twice.
    let reported = PaymentRecord {
        credit_reported: true,
        ..record.clone()
    };
    unindex(view, &record)?;
    index(view, &reported)?;
    view.put(T::Payments, &keys::payment(&reported.id), &reported)?;
    Ok(Some(CheckOutcome::Repeat {
        record: reported,
        newly_reported: true,
    }))
}

/// The transaction's write. `None` asks for a fresh scan, as in `check_in`.
fn ingest_in(
    view: &TxView,
    tx: &TransactionRecord,
    candidates: &[PaymentId],
    last_round: bool,
    now: Timestamp,
    tries_max: u32,
) -> TxResult<Option<IngestOutcome>> {
    let key = keys::transaction(&tx.store_id, &tx.trans_id);
    if let Some(stored) = view.get::<TransactionRecord>(T::Transactions, &key)? {
        let same = stored.phone == tx.phone && stored.amount == tx.amount;
        return Ok(Some(if same {
            IngestOutcome::Known(stored)
        } else {
            IngestOutcome::Conflict(stored)
        }));
    }
    let mut chosen = None;
    for id in candidates {
        let record: Option<PaymentRecord> = view.get(T::Payments, &keys::payment(id))?;
        if let Some(record) = record.filter(|r| r.state_name() == StateName::Searching) {
            chosen = Some(record);
            break;
        }
    }
    if chosen.is_none() && candidates.len() == CANDIDATES_MAX && !last_round {
        return Ok(None);
    }
    let fresh = TransactionRecord {
        claimed_by: None,
        credited_to: None,
        stored_at: now,
        ..tx.clone()
    };
    view.put(T::Transactions, &key, &fresh)?;
    if let Some(phone) = &fresh.phone {
        let unclaimed = keys::unclaimed(
            &fresh.store_id,
            phone,
            fresh.amount,
            fresh.received_at,
            &fresh.trans_id,
        );
        view.put_raw(T::Index, &unclaimed, &[])?;
    }
    let claimed = match chosen {
        Some(record) => match claim(view, &record, &fresh.trans_id, now, tries_max)? {
            Ok(applied) => Some(Box::new(applied)),
            Err(super::NotApplied::NoCredit) => None,
            Err(not_applied) => {
                return fail_invariant(format!(
                    "a searching payment refused its match: {not_applied}"
                ));
            }
        },
        None => None,
    };
    let stored = view.get(T::Transactions, &key)?.unwrap_or(fresh);
    Ok(Some(IngestOutcome::New {
        tx: stored,
        claimed,
    }))
}

fn claimable(tx: &TransactionRecord) -> bool {
    tx.claimed_by.is_none() && tx.credited_to.is_none()
}

/// Applies `matched` with the anti-spam verdict and the converted credit.
fn claim(
    view: &TxView,
    record: &PaymentRecord,
    trans_id: &TransId,
    now: Timestamp,
    tries_max: u32,
) -> TxResult<Result<Applied, super::NotApplied>> {
    let settings: StoreSettings = view
        .get(T::Stores, record.store_id.as_str().as_bytes())?
        .unwrap_or_default();
    let facts = antispam::facts(view, record, now)?;
    let hold_reasons =
        crate::antispam::decide(&settings.anti_spam, record.client_id, record.amount, &facts);
    let Some(credit_amount) = record.amount.convert(settings.currency_rate) else {
        // Nothing to credit at the store's rate (it rounds to 0.00): the
        // transaction stays unclaimed rather than failing the whole write.
        tracing::warn!(payment_id = %record.id, amount = %record.amount, rate = %settings.currency_rate,
            "amount converts to no credit at the store's rate: not claimed");
        return Ok(Err(super::NotApplied::NoCredit));
    };
    let event = Event::Matched(Match {
        trans_id: trans_id.clone(),
        credit_amount,
        hold_reasons,
    });
    apply_in(view, &record.id, &event, now, tries_max)
}

fn fail_invariant<R>(message: String) -> TxResult<R> {
    super::tx::fail(StoreError::Invariant(message))
}
