//! The durable facts behind the anti-spam rules: which clients a phone was
//! credited to (learned by the `credited` transition's own write) and the
//! recent checks per client and per phone (counted in the check's own
//! write, so a restart does not reset them).

use jiff::{SignedDuration, Timestamp};

use super::keys;
use super::records::PaymentRecord;
use super::tx::{T, TxResult, TxView};
use crate::antispam::ClaimFacts;
use crate::domain::ClientId;

/// Clients remembered per phone; the oldest are forgotten first.
const BOUND_CLIENTS_MAX: usize = 64;
/// Check times remembered per key: more than any store's threshold needs.
const RECENT_CHECKS_MAX: usize = 1000;

/// Records that this payment's phone paid for its client (on `credited`).
pub(crate) fn bind(view: &TxView, payment: &PaymentRecord) -> TxResult<()> {
    let key = keys::binding(&payment.store_id, &payment.phone);
    let mut clients: Vec<ClientId> = view.get(T::Index, &key)?.unwrap_or_default();
    if !clients.contains(&payment.client_id) {
        clients.push(payment.client_id);
        if clients.len() > BOUND_CLIENTS_MAX {
            clients.remove(0);
        }
        view.put(T::Index, &key, &clients)?;
    }
    Ok(())
}

/// Counts a new check (a new payment, never a repeat) for the velocity rule.
pub(crate) fn count_check(view: &TxView, payment: &PaymentRecord, now: Timestamp) -> TxResult<()> {
    for key in [
        keys::client_checks(&payment.store_id, payment.client_id),
        keys::phone_checks(&payment.store_id, &payment.phone),
    ] {
        let mut times = recent(view, &key, now)?;
        times.push(now.as_millisecond());
        if times.len() > RECENT_CHECKS_MAX {
            times.remove(0);
        }
        view.put(T::Index, &key, &times)?;
    }
    Ok(())
}

/// What the rules need to judge this payment's claim.
pub(crate) fn facts(
    view: &TxView,
    payment: &PaymentRecord,
    now: Timestamp,
) -> TxResult<ClaimFacts> {
    let bound_clients = view
        .get(T::Index, &keys::binding(&payment.store_id, &payment.phone))?
        .unwrap_or_default();
    let client = recent(
        view,
        &keys::client_checks(&payment.store_id, payment.client_id),
        now,
    )?;
    let phone = recent(
        view,
        &keys::phone_checks(&payment.store_id, &payment.phone),
        now,
    )?;
    Ok(ClaimFacts {
        bound_clients,
        client_checks_last_hour: u32::try_from(client.len()).unwrap_or(u32::MAX),
        phone_checks_last_hour: u32::try_from(phone.len()).unwrap_or(u32::MAX),
    })
}

/// Check times (ms) within the last hour before `now`.
fn recent(view: &TxView, key: &[u8], now: Timestamp) -> TxResult<Vec<i64>> {
    let since = now
        .saturating_sub(SignedDuration::from_hours(1))
        .unwrap_or(now)
        .as_millisecond();
    let mut times: Vec<i64> = view.get(T::Index, key)?.unwrap_or_default();
    times.retain(|t| *t > since);
    Ok(times)
}
