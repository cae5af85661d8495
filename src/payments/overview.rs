//! What an operator sees first: per store, its payments by state and its
//! transactions waiting for an operator (kept counts, no scan), its WHMCS
//! breaker and the last WHMCS error a payment stopped at; and the held payments that have waited longest. Every read
//! here is bounded.

use jiff::Timestamp;

use super::Payments;
use crate::db::{Breaker, DbError, PaymentRecord};
use crate::domain::{PaymentId, StoreId};
use crate::machine::{State, StateName};

/// Payments of each needs-an-operator state read per store for its last
/// WHMCS error.
const ERRORS_READ_MAX: usize = 50;
/// Held payments read to find those waiting longest.
const HELD_READ_MAX: usize = 500;

/// One store's line of the overview.
#[derive(Debug, Clone)]
pub struct StoreOverview {
    pub store: StoreId,
    /// Payments per state, in the order of [`StateName::ALL`].
    pub counts: Vec<(StateName, u64)>,
    pub breaker: Option<Breaker>,
    pub last_whmcs_error: Option<LastWhmcsError>,
    /// Transactions whose claim ended, waiting for an operator to assign
    /// them (a kept count).
    pub awaiting_operator: u64,
}

/// The newest reason WHMCS gave for a payment that needs an operator.
#[derive(Debug, Clone)]
pub struct LastWhmcsError {
    pub at: Timestamp,
    pub payment_id: PaymentId,
    pub message: String,
}

impl Payments {
    pub fn store_overview(&self, store: &StoreId) -> Result<StoreOverview, DbError> {
        let mut counts = Vec::with_capacity(StateName::ALL.len());
        for state in StateName::ALL {
            counts.push((state, self.store_state_count(state, store)?));
        }
        Ok(StoreOverview {
            store: store.clone(),
            counts,
            breaker: self.breaker(store)?,
            last_whmcs_error: self.last_whmcs_error(store)?,
            awaiting_operator: self.store_awaiting_count(store)?,
        })
    }

    /// The most recently changed `credit_failed` or `credit_unknown`
    /// payment of the store (among the first read of each), with its reason.
    fn last_whmcs_error(&self, store: &StoreId) -> Result<Option<LastWhmcsError>, DbError> {
        let states = [StateName::CreditFailed, StateName::CreditUnknown];
        let mut newest: Option<LastWhmcsError> = None;
        for state in states {
            let Ok(page) = self.payments_page(&[state], Some(store), None, ERRORS_READ_MAX)? else {
                continue;
            };
            for record in page.items {
                let (State::CreditFailed { reason } | State::CreditUnknown { reason }) =
                    &record.state
                else {
                    continue;
                };
                if newest.as_ref().is_none_or(|n| n.at < record.updated_at) {
                    newest = Some(LastWhmcsError {
                        at: record.updated_at,
                        payment_id: record.id.clone(),
                        message: reason.clone(),
                    });
                }
            }
        }
        Ok(newest)
    }

    /// Held payments (of one store, or of all), the longest waiting first,
    /// at most `limit`.
    pub fn longest_held(
        &self,
        store: Option<&StoreId>,
        limit: usize,
    ) -> Result<Vec<PaymentRecord>, DbError> {
        let Ok(page) = self.payments_page(&[StateName::Held], store, None, HELD_READ_MAX)? else {
            return Ok(Vec::new());
        };
        let mut held = page.items;
        held.sort_by_key(|r| r.updated_at);
        held.truncate(limit);
        Ok(held)
    }
}
