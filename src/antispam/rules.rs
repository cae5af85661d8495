//! The four hold rules. Each one that fires adds a reason; any reason holds
//! the payment; with anti-spam off nothing is held.

use crate::domain::{Amount, ClientId};
use crate::merchant::AntiSpamSettings;
use crate::payment::HoldReason;

/// What the store knows when a check claims a transaction.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Facts {
    /// Clients this phone's payments were credited to in this store.
    pub bound_clients: Vec<ClientId>,
    /// Checks (new payments) of this client in the last hour, this one included.
    pub client_checks_last_hour: u32,
    /// Checks (new payments) from this phone in the last hour, this one included.
    pub phone_checks_last_hour: u32,
}

/// The reasons to hold a claim by `client` for `amount`, in a fixed order.
pub fn decide(
    settings: &AntiSpamSettings,
    client: ClientId,
    amount: Amount,
    facts: &Facts,
) -> Vec<HoldReason> {
    if !settings.enabled {
        return Vec::new();
    }
    let mut reasons = Vec::new();
    if settings.hold_new_phone && !facts.bound_clients.contains(&client) {
        reasons.push(HoldReason::NewPhone);
    }
    if settings.hold_shared_phone && facts.bound_clients.iter().any(|c| *c != client) {
        reasons.push(HoldReason::SharedPhone);
    }
    if settings
        .hold_amount_at_or_above
        .is_some_and(|limit| amount >= limit)
    {
        reasons.push(HoldReason::LargeAmount);
    }
    if let Some(limit) = settings.hold_after_checks_per_hour
        && (facts.client_checks_last_hour > limit || facts.phone_checks_last_hour > limit)
    {
        reasons.push(HoldReason::Velocity);
    }
    reasons
}
