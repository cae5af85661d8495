//! A match: a `searching` payment and a transaction with its phone and
//! amount meet (in a check or an ingest). The hold verdict — the store's
//! anti-spam rules and the claim rules every store has — and the credit at
//! the store's rate go into the `matched` event, whose transition claims
//! the transaction.
//!
//! The claim rules need to know who else waits for the same phone and
//! amount. A scan outside the write names them (sled transactions cannot
//! scan); inside the write the kept count of waiting payments says how
//! many there are exactly, so a competitor that arrived after the scan is
//! never missed: the write asks for a fresh scan instead.

use jiff::Timestamp;

use super::antispam;
use super::transition::{Applied, NotApplied, transition_in};
use crate::antispam::ClaimRules;
use crate::db::{Invariant, PaymentRecord, TxResult, WriteTx, abort};
use crate::domain::{Amount, ClientId, PaymentId, Phone, StoreId, TransId};
use crate::machine::{Event, HoldReason, Match, Refusal, StateName};

/// Waiting payments one scan reads: the claimant is among the oldest, and
/// a contested hold names at most this many competing clients (the count
/// of competitors is exact however many there are).
pub(super) const RIVALS_MAX: usize = 64;

/// The other payments waiting for the same phone and amount, as seen
/// inside the write.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct Competition {
    /// How many there are (from the kept count: exact).
    pub others: u64,
    /// Their clients, oldest payment first (at most `RIVALS_MAX`).
    pub clients: Vec<ClientId>,
}

/// What one claiming write knows besides the payment and the transaction.
#[derive(Debug, Clone, Copy)]
pub(super) struct Claiming {
    pub now: Timestamp,
    pub tries_max: u32,
    pub rules: ClaimRules,
}

/// Who else waits for (store, phone, amount), as seen inside the write.
/// `claimant` is the payment that will claim, if it is already stored
/// (it is then one of the counted). `None` when the scan `rivals` is
/// stale — a payment joined or left since — and the caller should scan
/// again; on the last round the count is trusted and the names are the
/// ones still waiting.
pub(super) fn competition(
    tx: &WriteTx,
    key: (&StoreId, &Phone, Amount),
    claimant: Option<&PaymentId>,
    rivals: &[PaymentId],
    last_round: bool,
) -> TxResult<Option<Competition>> {
    let (store, phone, amount) = key;
    let counted = tx.waiting_count(store, phone, amount)?;
    let others = counted.saturating_sub(u64::from(claimant.is_some()));
    let mut clients = Vec::new();
    for id in rivals.iter().filter(|id| Some(*id) != claimant) {
        let still = tx.payment(id)?.filter(|r| {
            r.state_name() == StateName::Searching
                && (&r.store_id, &r.phone, r.amount) == (store, phone, amount)
        });
        if let Some(record) = still {
            clients.push(record.client_id);
        }
    }
    let complete_scan = rivals.len() < RIVALS_MAX;
    let named = u64::try_from(clients.len()).unwrap_or(u64::MAX);
    if complete_scan && named != others && !last_round {
        return Ok(None);
    }
    Ok(Some(Competition { others, clients }))
}

/// Applies `matched` for `trans_id` to a `searching` payment, with the
/// hold verdict and the credit converted at the store's rate.
/// `extra_reasons` hold it beyond the rules' (a claim by reference adds
/// its own, whatever the store's anti-spam setting).
pub(super) fn claim(
    tx: &WriteTx,
    record: &PaymentRecord,
    trans_id: &TransId,
    competition: &Competition,
    at: &Claiming,
    extra_reasons: &[HoldReason],
) -> TxResult<Result<Applied, NotApplied>> {
    let settings = tx.store_settings(&record.store_id)?.unwrap_or_default();
    let Some(transaction) = tx.transaction(&record.store_id, trans_id)? else {
        return abort(Invariant::TransactionMissing(trans_id.clone()));
    };
    let facts = antispam::facts(tx, record, &transaction, competition.others, at.now)?;
    let mut hold_reasons = crate::antispam::decide(
        &settings.anti_spam,
        &at.rules,
        record.client_id,
        record.amount,
        &facts,
    );
    for reason in extra_reasons {
        if !hold_reasons.contains(reason) {
            hold_reasons.push(*reason);
        }
    }
    let Some(credit_amount) = record.amount.convert(settings.currency_rate) else {
        // Nothing to credit at the store's rate (it rounds to 0.00): the
        // transaction stays unclaimed rather than failing the whole write.
        tracing::warn!(payment_id = %record.id, amount = %record.amount, rate = %settings.currency_rate,
            "amount converts to no credit at the store's rate: not claimed");
        return Ok(Err(NotApplied::NoCredit));
    };
    let competing_clients = if facts.competitors > 0 {
        competition.clients.clone()
    } else {
        Vec::new()
    };
    let event = Event::Matched(Match {
        trans_id: trans_id.clone(),
        credit_amount,
        hold_reasons,
        competing_clients,
    });
    transition_in(tx, &record.id, &event, at.now, at.tries_max)
}

/// `claim_with` where a refusal other than `NoCredit` is impossible (the
/// payment was read `searching` in this same write): anything else aborts.
/// `None` (nothing written) when there is nothing to credit.
pub(super) fn claim_searching(
    tx: &WriteTx,
    record: &PaymentRecord,
    trans_id: &TransId,
    competition: &Competition,
    at: &Claiming,
) -> TxResult<Option<Applied>> {
    claim_searching_with(tx, record, trans_id, competition, at, &[])
}

/// `claim_searching` with extra reasons to hold.
pub(super) fn claim_searching_with(
    tx: &WriteTx,
    record: &PaymentRecord,
    trans_id: &TransId,
    competition: &Competition,
    at: &Claiming,
    extra_reasons: &[HoldReason],
) -> TxResult<Option<Applied>> {
    match claim(tx, record, trans_id, competition, at, extra_reasons)? {
        Ok(applied) => Ok(Some(applied)),
        Err(NotApplied::NoCredit) => Ok(None),
        Err(NotApplied::Refused { refusal, .. }) => abort(Invariant::MatchRefused {
            payment: record.id.clone(),
            refusal,
        }),
        Err(NotApplied::UnknownPayment | NotApplied::VersionMoved { .. }) => {
            abort(Invariant::MatchRefused {
                payment: record.id.clone(),
                refusal: Refusal::NotAllowedInState,
            })
        }
    }
}
