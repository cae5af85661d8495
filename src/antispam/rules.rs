//! The four hold rules. Each one that fires adds a reason; any reason holds
//! the payment; with anti-spam off nothing is held.

use crate::domain::{Amount, ClientId};
use crate::machine::HoldReason;
use crate::merchant::AntiSpamSettings;

/// What the store knows when a check claims a transaction.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClaimFacts {
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
    facts: &ClaimFacts,
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

#[cfg(test)]
mod tests {
    use super::*;

    fn client(n: u32) -> ClientId {
        ClientId::try_from(n).unwrap()
    }

    fn amount(a: &str) -> Amount {
        Amount::parse(a).unwrap()
    }

    fn on() -> AntiSpamSettings {
        AntiSpamSettings {
            enabled: true,
            hold_new_phone: false,
            hold_shared_phone: false,
            ..AntiSpamSettings::default()
        }
    }

    #[test]
    fn with_anti_spam_off_nothing_is_held() {
        let settings = AntiSpamSettings {
            enabled: false,
            hold_amount_at_or_above: Some(amount("1")),
            hold_after_checks_per_hour: Some(0),
            ..AntiSpamSettings::default()
        };
        let facts = ClaimFacts {
            bound_clients: vec![client(7)],
            client_checks_last_hour: 100,
            phone_checks_last_hour: 100,
        };
        assert!(decide(&settings, client(42), amount("99999"), &facts).is_empty());
    }

    #[test]
    fn new_phone_fires_until_this_client_was_credited_from_it() {
        let settings = AntiSpamSettings {
            hold_new_phone: true,
            ..on()
        };
        let unknown = ClaimFacts::default();
        assert_eq!(
            decide(&settings, client(42), amount("10"), &unknown),
            vec![HoldReason::NewPhone]
        );
        let known = ClaimFacts {
            bound_clients: vec![client(42)],
            ..ClaimFacts::default()
        };
        assert!(decide(&settings, client(42), amount("10"), &known).is_empty());
    }

    #[test]
    fn shared_phone_fires_when_another_client_was_credited_from_it() {
        let settings = AntiSpamSettings {
            hold_shared_phone: true,
            ..on()
        };
        let facts = ClaimFacts {
            bound_clients: vec![client(42)],
            ..ClaimFacts::default()
        };
        assert!(decide(&settings, client(42), amount("10"), &facts).is_empty());
        assert_eq!(
            decide(&settings, client(666), amount("10"), &facts),
            vec![HoldReason::SharedPhone]
        );
        assert!(decide(&settings, client(666), amount("10"), &ClaimFacts::default()).is_empty());
    }

    #[test]
    fn large_amount_fires_at_and_above_the_threshold() {
        let settings = AntiSpamSettings {
            hold_amount_at_or_above: Some(amount("5000")),
            ..on()
        };
        let f = ClaimFacts::default();
        assert!(
            decide(&settings, client(1), amount("4999.99"), &f).is_empty(),
            "just under"
        );
        assert_eq!(
            decide(&settings, client(1), amount("5000"), &f),
            vec![HoldReason::LargeAmount],
            "at"
        );
        assert_eq!(
            decide(&settings, client(1), amount("5000.01"), &f),
            vec![HoldReason::LargeAmount],
            "over"
        );
    }

    #[test]
    fn velocity_fires_above_n_checks_of_the_client_or_the_phone() {
        let settings = AntiSpamSettings {
            hold_after_checks_per_hour: Some(10),
            ..on()
        };
        let counted = |client_checks, phone_checks| ClaimFacts {
            client_checks_last_hour: client_checks,
            phone_checks_last_hour: phone_checks,
            ..ClaimFacts::default()
        };
        assert!(
            decide(&settings, client(1), amount("1"), &counted(9, 9)).is_empty(),
            "just under"
        );
        assert!(
            decide(&settings, client(1), amount("1"), &counted(10, 10)).is_empty(),
            "at N"
        );
        assert_eq!(
            decide(&settings, client(1), amount("1"), &counted(11, 1)),
            vec![HoldReason::Velocity],
            "client over"
        );
        assert_eq!(
            decide(&settings, client(1), amount("1"), &counted(1, 11)),
            vec![HoldReason::Velocity],
            "phone over"
        );
    }

    #[test]
    fn every_firing_rule_adds_its_reason() {
        let settings = AntiSpamSettings {
            hold_new_phone: true,
            hold_shared_phone: true,
            hold_amount_at_or_above: Some(amount("100")),
            hold_after_checks_per_hour: Some(1),
            ..on()
        };
        let facts = ClaimFacts {
            bound_clients: vec![client(42)],
            client_checks_last_hour: 2,
            phone_checks_last_hour: 2,
        };
        assert_eq!(
            decide(&settings, client(666), amount("100"), &facts),
            vec![
                HoldReason::NewPhone,
                HoldReason::SharedPhone,
                HoldReason::LargeAmount,
                HoldReason::Velocity
            ]
        );
    }
}
