//! The facts behind the anti-spam hold rules, read and kept inside the
//! write that claims: which clients a phone was credited to (learned by the
//! `credited` transition's own write) and the recent checks per client and
//! per phone (counted in the check's own write, so a restart does not
//! reset them). The rules themselves are pure (`crate::antispam`).

use jiff::{SignedDuration, Timestamp};

use crate::antispam::ClaimFacts;
use crate::db::{CheckCounter, PaymentRecord, TransactionRecord, TxResult, WriteTx};

/// Clients remembered per phone; the oldest are forgotten first.
const BOUND_CLIENTS_MAX: usize = 64;
/// Check times remembered per key: more than any store's threshold needs.
const RECENT_CHECKS_MAX: usize = 1000;
/// How far back the velocity rule counts checks. A list with no check in
/// it is never read again, and retention removes it.
pub(super) const VELOCITY_WINDOW: SignedDuration = SignedDuration::from_hours(1);

/// Records that this payment's phone paid for its client (on `credited`).
pub(super) fn bind(tx: &WriteTx, payment: &PaymentRecord) -> TxResult<()> {
    let mut clients = tx.bound_clients(&payment.store_id, &payment.phone)?;
    if !clients.contains(&payment.client_id) {
        clients.push(payment.client_id);
        if clients.len() > BOUND_CLIENTS_MAX {
            clients.remove(0);
        }
        tx.put_bound_clients(&payment.store_id, &payment.phone, &clients)?;
    }
    Ok(())
}

fn counters(payment: &PaymentRecord) -> [CheckCounter<'_>; 2] {
    [
        CheckCounter::Client(&payment.store_id, payment.client_id),
        CheckCounter::Phone(&payment.store_id, &payment.phone),
    ]
}

/// Counts a new check (a new payment, never a repeat) for the velocity rule.
pub(super) fn count_check(tx: &WriteTx, payment: &PaymentRecord, now: Timestamp) -> TxResult<()> {
    for counter in counters(payment) {
        let mut times = recent(tx, counter, now)?;
        times.push(now.as_millisecond());
        if times.len() > RECENT_CHECKS_MAX {
            times.remove(0);
        }
        tx.put_recent_checks(counter, &times)?;
    }
    Ok(())
}

/// What the rules need to judge this payment's claim of `transaction`,
/// with `competitors` other payments waiting for it.
pub(super) fn facts(
    tx: &WriteTx,
    payment: &PaymentRecord,
    transaction: &TransactionRecord,
    competitors: u64,
    now: Timestamp,
) -> TxResult<ClaimFacts> {
    let bound_clients = tx.bound_clients(&payment.store_id, &payment.phone)?;
    let [client, phone] = counters(payment);
    let client = recent(tx, client, now)?;
    let phone = recent(tx, phone, now)?;
    Ok(ClaimFacts {
        bound_clients,
        client_checks_last_hour: u32::try_from(client.len()).unwrap_or(u32::MAX),
        phone_checks_last_hour: u32::try_from(phone.len()).unwrap_or(u32::MAX),
        competitors,
        checked_at: payment.created_at,
        transferred_at: transaction.received_at,
    })
}

/// Check times (ms) within the last hour before `now`.
fn recent(tx: &WriteTx, counter: CheckCounter, now: Timestamp) -> TxResult<Vec<i64>> {
    let since = window_start_ms(now);
    let mut times = tx.recent_checks(counter)?;
    times.retain(|t| *t > since);
    Ok(times)
}

/// Where the velocity window starts at `now`, in ms: checks at or before
/// it are no longer counted.
pub(super) fn window_start_ms(now: Timestamp) -> i64 {
    now.saturating_sub(VELOCITY_WINDOW)
        .unwrap_or(now)
        .as_millisecond()
}
