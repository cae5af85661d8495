//! A check: the customer says "I paid this amount from this phone". It
//! repeats an identical open check's payment, claims the oldest unclaimed
//! transaction of the store with that phone and amount, or waits as a new
//! `searching` payment. Candidates are found by an index scan outside the
//! write (sled transactions cannot scan), then re-read and claimed inside
//! it; writes run one at a time, so a transaction is claimed at most once.

use jiff::Timestamp;

use super::matching::{Claiming, RIVALS_MAX, claim_searching, competition};
use super::transition::Applied;
use super::{Payments, Written, antispam};
use crate::db::{
    AuditEntry, AuditEvent, DbError, Deadline, Invariant, InvoiceSettlement, PaymentRecord,
    TxResult, WriteTx,
};
use crate::domain::{Amount, ClientId, InvoiceId, Lang, PaymentId, Phone, StoreId, TransId};
use crate::machine::{Actor, DeadlineKind, State, StateName};
use crate::merchant::StoreSettings;

/// Candidates one scan hands to the write.
pub(super) const CANDIDATES_MAX: usize = 16;
/// Scans tried when every candidate was taken by a concurrent claim.
pub(super) const CLAIM_ROUNDS_MAX: usize = 8;

/// What a check asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPayment {
    pub store_id: StoreId,
    pub client_id: ClientId,
    pub phone: Phone,
    pub amount: Amount,
    pub lang: Lang,
    /// The WHMCS invoice to pay from the credit, if the check named one.
    pub invoice: Option<InvoiceId>,
}

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

/// What one claiming round of a check knows before its write.
pub(super) struct Round<'a> {
    pub candidates: &'a [TransId],
    /// Payments waiting for the same phone and amount (scanned only when
    /// there is a transaction to claim).
    pub rivals: &'a [PaymentId],
    pub last_round: bool,
    pub claiming: Claiming,
    pub settings: &'a StoreSettings,
}

impl Payments {
    /// Answers a check: repeat, claim, or wait.
    pub fn check(
        &self,
        new: &NewPayment,
        now: Timestamp,
    ) -> Result<Written<CheckOutcome>, DbError> {
        let id = PaymentId::random().map_err(|_| DbError::Random)?;
        let settings = self.stores().shared(&new.store_id)?.unwrap_or_default();
        for round in 0..CLAIM_ROUNDS_MAX {
            let candidates = self.db().unclaimed_transactions(
                &new.store_id,
                &new.phone,
                new.amount,
                CANDIDATES_MAX,
            )?;
            // Who else waits matters only when there is something to claim.
            let rivals = match candidates.is_empty() {
                true => Vec::new(),
                false => {
                    self.db()
                        .waiting_payments(&new.store_id, &new.phone, new.amount, RIVALS_MAX)?
                }
            };
            let round = Round {
                candidates: &candidates,
                rivals: &rivals,
                last_round: round + 1 == CLAIM_ROUNDS_MAX,
                claiming: self.claiming(now),
                settings: &settings,
            };
            let Some(outcome) = self.db().transact(|tx| check_in(tx, new, &id, &round))? else {
                continue;
            };
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
            return Ok(self.written(self.db().durable(outcome), changed));
        }
        Err(Invariant::NoOutcome.into())
    }

    /// Whether this check would open a new payment rather than repeat an
    /// open one (read outside any write: for the limits, which count only
    /// new payments; a race makes the check itself decide otherwise at
    /// worst once).
    pub fn opens_new_payment(&self, new: &NewPayment) -> Result<bool, DbError> {
        let open =
            self.db()
                .open_payment_of(&new.store_id, new.client_id, &new.phone, new.amount)?;
        Ok(open.is_none())
    }

    /// Creates a `searching` payment with its search deadline (what a check
    /// does when nothing matches; tests and benchmarks call it directly).
    pub fn create_payment(
        &self,
        new: &NewPayment,
        now: Timestamp,
    ) -> Result<Written<PaymentRecord>, DbError> {
        let id = PaymentId::random().map_err(|_| DbError::Random)?;
        let settings = self.stores().shared(&new.store_id)?.unwrap_or_default();
        let pending = self
            .db()
            .write(|tx| create_in(tx, new, &id, now, &settings))?;
        self.metrics().created();
        Ok(self.written(pending, Vec::new()))
    }

    /// Marks a `credited` payment as reported by a check reply. True for the
    /// one caller that reports it; false if it is not credited or was
    /// reported already.
    pub fn report_credit(&self, id: &PaymentId) -> Result<Written<bool>, DbError> {
        let pending = self.db().write(|tx| {
            let Some(record) = tx.payment(id)? else {
                return Ok(false);
            };
            report_in(tx, &record).map(|reported| reported.is_some())
        })?;
        Ok(self.written(pending, Vec::new()))
    }
}

fn check_in(
    tx: &WriteTx,
    new: &NewPayment,
    id: &PaymentId,
    round: &Round,
) -> TxResult<Option<CheckOutcome>> {
    let chosen = first_claimable(tx, new, round.candidates)?;
    let key = (&new.store_id, &new.phone, new.amount);
    if let Some(repeat) = repeat_check(tx, new)? {
        // The customer submits again: a payment still searching claims a
        // transaction that is free now (one that arrived while a
        // concurrent write held it, or was stored without matching).
        if let (CheckOutcome::Repeat { record, .. }, Some(trans_id)) = (&repeat, &chosen)
            && record.state_name() == StateName::Searching
        {
            let rivals = round.rivals;
            let Some(competition) =
                competition(tx, key, Some(&record.id), rivals, round.last_round)?
            else {
                return Ok(None);
            };
            let claimed = claim_searching(tx, record, trans_id, &competition, &round.claiming)?;
            return Ok(Some(match claimed {
                Some(applied) => CheckOutcome::Matched(Box::new(applied)),
                None => repeat,
            }));
        }
        return Ok(Some(repeat));
    }
    if chosen.is_none() && round.candidates.len() == CANDIDATES_MAX && !round.last_round {
        return Ok(None);
    }
    // Read before the new payment joins the count: who waited already.
    let competition = match &chosen {
        Some(_) => match competition(tx, key, None, round.rivals, round.last_round)? {
            Some(competition) => competition,
            None => return Ok(None),
        },
        None => Default::default(),
    };
    let record = create_counted(tx, new, id, round.claiming.now, round.settings)?;
    let Some(trans_id) = chosen else {
        return Ok(Some(CheckOutcome::Searching(record)));
    };
    let claimed = claim_searching(tx, &record, &trans_id, &competition, &round.claiming)?;
    Ok(Some(match claimed {
        Some(applied) => CheckOutcome::Matched(Box::new(applied)),
        None => CheckOutcome::Searching(record),
    }))
}

/// The first candidate no payment holds.
fn first_claimable(
    tx: &WriteTx,
    new: &NewPayment,
    candidates: &[TransId],
) -> TxResult<Option<TransId>> {
    for trans_id in candidates {
        let record = tx.transaction(&new.store_id, trans_id)?;
        if record.is_some_and(|r| r.is_claimable()) {
            return Ok(Some(trans_id.clone()));
        }
    }
    Ok(None)
}

/// A new payment for a check, counted for the velocity rule.
pub(super) fn create_counted(
    tx: &WriteTx,
    new: &NewPayment,
    id: &PaymentId,
    now: Timestamp,
    settings: &StoreSettings,
) -> TxResult<PaymentRecord> {
    let record = create_in(tx, new, id, now, settings)?;
    // Counted only while the velocity rule is on: every check pays for it.
    let anti_spam = &settings.anti_spam;
    if anti_spam.enabled && anti_spam.hold_after_checks_per_hour.is_some() {
        antispam::count_check(tx, &record, now)?;
    }
    Ok(record)
}

/// An identical check's payment, if there is one. The invoice is not
/// part of what makes checks identical: an open payment answers a repeat
/// whatever invoice it names, and keeps the invoice of the check that
/// created it (a later check never points a transfer at another invoice).
/// But a credited payment's credit belongs to its own invoice: a check for
/// another invoice (or for none, or one when it had none) is not told of
/// it, and starts a new payment instead.
pub(super) fn repeat_check(tx: &WriteTx, new: &NewPayment) -> TxResult<Option<CheckOutcome>> {
    let Some(record) = tx.repeat_of(&new.store_id, new.client_id, &new.phone, new.amount)? else {
        return Ok(None);
    };
    let invoice = record.invoice.as_ref().map(|i| i.id);
    if record.state_name() == StateName::Credited && invoice != new.invoice {
        return Ok(None);
    }
    Ok(Some(match report_in(tx, &record)? {
        Some(reported) => CheckOutcome::Repeat {
            record: reported,
            newly_reported: true,
        },
        None => CheckOutcome::Repeat {
            record,
            newly_reported: false,
        },
    }))
}

/// If the payment is `credited` and not reported yet, this reply reports
/// it: remember that, so the next identical check starts a new payment and
/// one transfer never pays twice. The reported record, or `None`.
fn report_in(tx: &WriteTx, record: &PaymentRecord) -> TxResult<Option<PaymentRecord>> {
    if record.state_name() != StateName::Credited || record.credit_reported {
        return Ok(None);
    }
    let reported = PaymentRecord {
        credit_reported: true,
        ..record.clone()
    };
    tx.update_payment(record, &reported)?;
    Ok(Some(reported))
}

/// The payment-creating write, inside a caller's write.
pub(super) fn create_in(
    tx: &WriteTx,
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
        deadline: Some(Deadline {
            kind: DeadlineKind::Search,
            at: deadline_at,
        }),
        credit_reported: false,
        invoice: new.invoice.map(InvoiceSettlement::pending),
    };
    tx.insert_payment(&record)?;
    tx.put_audit(&AuditEntry {
        payment_id: id.clone(),
        version: 1,
        at: now,
        event: AuditEvent::Created,
        actor: Actor::System,
        from: None,
        to: StateName::Searching,
        hold_reasons: Vec::new(),
        competing_clients: Vec::new(),
        reason: None,
        intents: Vec::new(),
    })?;
    Ok(record)
}
