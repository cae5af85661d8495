//! Transactions that wait for an operator, and the operator's assignment
//! of one to a waiting payment. A claim that ended (rejected, expired)
//! leaves its transaction waiting for an operator (`claims`); nothing
//! matches it again by itself. The operator, who can ask the customer for
//! the receipt, assigns it to a `searching` payment of the same store and
//! amount: the machine's `assign` edge, straight to `crediting`.

use jiff::Timestamp;

use super::transition::{Applied, NotApplied, transition_in};
use super::{Payments, Written};
use crate::db::{Cursor, DbError, PageResult, Released, TransactionRecord};
use crate::domain::{PaymentId, StoreId, TransId};
use crate::machine::{Actor, Assignment, Decision, Event, Refusal, StateName};

/// Why an assignment changed nothing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AssignRefused {
    #[error("no such transaction in this store")]
    UnknownTransaction,
    #[error("no such payment in this store")]
    UnknownPayment,
    #[error("the transaction is held by {0}")]
    Claimed(PaymentId),
    #[error("the transaction was credited to {0}")]
    Credited(PaymentId),
    #[error("the payment's amount differs from the transaction's")]
    AmountDiffers,
    #[error("the payment is {0}; only a searching payment can be assigned a transaction")]
    NotSearching(StateName),
    #[error("the amount is too small to credit at the store's currency rate")]
    NoCredit,
    #[error("refused: {0}")]
    Refused(Refusal),
}

/// What an operator asks: this transaction to that payment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssignRequest {
    pub store_id: StoreId,
    pub trans_id: TransId,
    pub payment_id: PaymentId,
    /// An `Actor::Operator`.
    pub operator: Actor,
    pub note: Option<String>,
}

impl Payments {
    /// Assigns a transaction that no payment holds to a `searching` payment
    /// of the same store and amount, in one write.
    pub fn assign(
        &self,
        request: &AssignRequest,
        now: Timestamp,
    ) -> Result<Result<Written<Applied>, AssignRefused>, DbError> {
        let tries_max = self.tries_max();
        let outcome = self.db().transact(|tx| {
            let r = request;
            let Some(transaction) = tx.transaction(&r.store_id, &r.trans_id)? else {
                return Ok(Err(AssignRefused::UnknownTransaction));
            };
            if let Some(id) = &transaction.credited_to {
                return Ok(Err(AssignRefused::Credited(id.clone())));
            }
            if let Some(id) = &transaction.claimed_by {
                return Ok(Err(AssignRefused::Claimed(id.clone())));
            }
            let payment = tx
                .payment(&r.payment_id)?
                .filter(|p| p.store_id == r.store_id);
            let Some(payment) = payment else {
                return Ok(Err(AssignRefused::UnknownPayment));
            };
            if payment.amount != transaction.amount {
                return Ok(Err(AssignRefused::AmountDiffers));
            }
            if payment.state_name() != StateName::Searching {
                return Ok(Err(AssignRefused::NotSearching(payment.state_name())));
            }
            let settings = tx.store_settings(&r.store_id)?.unwrap_or_default();
            let Some(credit_amount) = payment.amount.convert(settings.currency_rate) else {
                return Ok(Err(AssignRefused::NoCredit));
            };
            let event = Event::Assign(Assignment {
                trans_id: r.trans_id.clone(),
                credit_amount,
                decision: Decision {
                    actor: r.operator.clone(),
                    note: r.note.clone(),
                },
            });
            Ok(
                match transition_in(tx, &payment.id, &event, now, tries_max)? {
                    Ok(applied) => Ok(applied),
                    Err(NotApplied::Refused { refusal, .. }) => {
                        Err(AssignRefused::Refused(refusal))
                    }
                    Err(_) => Err(AssignRefused::UnknownPayment),
                },
            )
        })?;
        Ok(outcome.map(|applied| self.transitioned(applied)))
    }

    /// A page of the transactions waiting for an operator (of one store,
    /// or of all): by store, then longest waiting first.
    pub fn awaiting_page(
        &self,
        store: Option<&StoreId>,
        cursor: Option<&Cursor>,
        limit: usize,
    ) -> PageResult<TransactionRecord> {
        self.db().awaiting_page(store, cursor, limit)
    }

    /// How many of a store's transactions wait for an operator (a kept
    /// count).
    pub fn store_awaiting_count(&self, store: &StoreId) -> Result<u64, DbError> {
        self.db().store_awaiting_count(store)
    }

    /// How many transactions wait for an operator (a kept count).
    pub fn awaiting_count(&self) -> Result<u64, DbError> {
        self.db().awaiting_count()
    }

    /// A rematch queued by an earlier version, when a claim ended: the
    /// transaction waits for an operator now instead, as every released
    /// one does. Nothing changes if something holds it meanwhile.
    pub fn release_to_operator(
        &self,
        store: &StoreId,
        trans_id: &TransId,
        from: &PaymentId,
        now: Timestamp,
    ) -> Result<Written<bool>, DbError> {
        let pending = self.db().write(|tx| {
            let Some(mut transaction) = tx.transaction(store, trans_id)? else {
                return Ok(false);
            };
            if !transaction.is_claimable() {
                return Ok(false);
            }
            let ended_in = tx
                .payment(from)?
                .map_or(StateName::Rejected, |p| p.state_name());
            transaction.awaiting_operator = Some(Released {
                at: now,
                from: from.clone(),
                ended_in,
            });
            tx.put_transaction(&transaction)?;
            Ok(true)
        })?;
        Ok(self.written(pending, Vec::new()))
    }
}
