//! A claim by reference: the check names the transaction by the reference
//! number on the customer's receipt (`trans_id`), for transfers whose
//! notification carries no usable payer phone (InstaPay). It claims that
//! unclaimed transaction of the store when the amount matches. Unless the
//! transfer's phone is also the check's, the claim is held for a human with
//! the reason `claimed_by_reference`, whatever the store's anti-spam
//! setting: a reference number is easier to learn than a phone to pay from.
//!
//! A reference that names no such transaction (unknown, claimed already,
//! another amount) changes nothing here: the caller goes on with the
//! ordinary check, so the answer says no more than "not found yet".

use jiff::Timestamp;

use super::check::{
    CLAIM_ROUNDS_MAX, CheckOutcome, NewPayment, Round, create_counted, repeat_check,
};
use super::matching::{RIVALS_MAX, claim_searching_with, competition};
use super::{Payments, Written};
use crate::db::{DbError, Invariant, PaymentRecord, TransactionRecord, TxResult, WriteTx};
use crate::domain::{PaymentId, TransId};
use crate::machine::{HoldReason, StateName};

impl Payments {
    /// Claims the transaction `reference` for this check when it is
    /// unclaimed and of the check's amount: for an identical check's
    /// payment that still searches, else for a new payment. `None` (nothing
    /// written) when the reference does not name such a transaction.
    pub fn check_reference(
        &self,
        new: &NewPayment,
        reference: &TransId,
        now: Timestamp,
    ) -> Result<Option<Written<CheckOutcome>>, DbError> {
        let id = PaymentId::random().map_err(|_| DbError::Random)?;
        let settings = self.stores().shared(&new.store_id)?.unwrap_or_default();
        for round in 0..CLAIM_ROUNDS_MAX {
            // Who else waits for the check's phone and amount: the claim
            // rules apply to a claim by reference as to any other.
            let rivals =
                self.db()
                    .waiting_payments(&new.store_id, &new.phone, new.amount, RIVALS_MAX)?;
            let round = Round {
                candidates: &[],
                rivals: &rivals,
                last_round: round + 1 == CLAIM_ROUNDS_MAX,
                claiming: self.claiming(now),
                settings: &settings,
            };
            let outcome = match self
                .db()
                .transact(|tx| reference_in(tx, new, reference, &id, &round))?
            {
                Found::Stale => continue,
                Found::Nothing => return Ok(None),
                Found::Outcome(outcome) => *outcome,
            };
            if outcome.record().id == id {
                self.metrics().created();
            }
            if let CheckOutcome::Matched(applied) = &outcome {
                self.committed(applied);
            }
            let record = outcome.record();
            let changed = vec![(record.id.clone(), record.version)];
            return Ok(Some(self.written(self.db().durable(outcome), changed)));
        }
        Err(Invariant::NoOutcome.into())
    }
}

/// What one claiming write found.
enum Found {
    /// The scan of waiting payments was stale: scan again.
    Stale,
    /// The reference names no claimable transaction of this amount.
    Nothing,
    Outcome(Box<CheckOutcome>),
}

/// The claim inside one write.
fn reference_in(
    tx: &WriteTx,
    new: &NewPayment,
    reference: &TransId,
    id: &PaymentId,
    round: &Round,
) -> TxResult<Found> {
    let Some(transfer) = claimable(tx, new, reference)? else {
        return Ok(Found::Nothing);
    };
    let extra = extra_reasons(new, &transfer);
    let key = (&new.store_id, &new.phone, new.amount);
    // An identical check's payment that still searches claims; a new one
    // is counted only once it exists.
    let target = match repeat_check(tx, new)? {
        Some(CheckOutcome::Repeat { record, .. })
            if record.state_name() == StateName::Searching =>
        {
            Some(record)
        }
        Some(repeat) => return Ok(Found::Outcome(Box::new(repeat))),
        None => None,
    };
    let claimant = target.as_ref().map(|r| &r.id);
    let Some(competition) = competition(tx, key, claimant, round.rivals, round.last_round)? else {
        return Ok(Found::Stale);
    };
    let target = match target {
        Some(record) => record,
        None => create_counted(tx, new, id, round.claiming.now, round.settings)?,
    };
    let claimed =
        claim_searching_with(tx, &target, reference, &competition, &round.claiming, extra)?;
    Ok(Found::Outcome(Box::new(answer(claimed, target, id))))
}

/// The transaction `reference` names, if no payment holds it and its amount
/// is the check's.
fn claimable(
    tx: &WriteTx,
    new: &NewPayment,
    reference: &TransId,
) -> TxResult<Option<TransactionRecord>> {
    let found = tx.transaction(&new.store_id, reference)?;
    Ok(found.filter(|t| t.is_claimable() && t.amount == new.amount))
}

/// Held for a human unless the transfer came from the check's phone.
fn extra_reasons(new: &NewPayment, transfer: &TransactionRecord) -> &'static [HoldReason] {
    if transfer.phone.as_ref() == Some(&new.phone) {
        &[]
    } else {
        &[HoldReason::ClaimedByReference]
    }
}

/// What the check found: the claim, or the payment that could not claim
/// (the amount converts to no credit) as a repeat or a new searching one.
fn answer(
    claimed: Option<super::Applied>,
    target: PaymentRecord,
    new_id: &PaymentId,
) -> CheckOutcome {
    match claimed {
        Some(applied) => CheckOutcome::Matched(Box::new(applied)),
        None if target.id == *new_id => CheckOutcome::Searching(target),
        None => CheckOutcome::Repeat {
            record: target,
            newly_reported: false,
        },
    }
}
