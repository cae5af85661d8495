//! The hold rules. Each one that fires adds a reason; any reason holds the
//! payment. The store's four anti-spam rules apply only with its anti-spam
//! on; the two claim rules (`contested`, `checked_before_transfer`) apply
//! to every store, because without them a claim can be stolen by being
//! first (docs/claims-and-limits.md).

use jiff::{SignedDuration, Timestamp};

use crate::domain::{Amount, ClientId};
use crate::machine::HoldReason;
use crate::merchant::AntiSpamSettings;

/// The platform's settings of the claim rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClaimRules {
    /// How much earlier than the transfer's own time a payment may have
    /// been created and still count as checked after paying: clocks
    /// differ, and an SMS gives the time only to the minute.
    pub checked_before_transfer_grace: SignedDuration,
}

impl Default for ClaimRules {
    fn default() -> Self {
        ClaimRules {
            checked_before_transfer_grace: SignedDuration::from_mins(5),
        }
    }
}

/// What the store knows when a payment claims a transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimFacts {
    /// Clients this phone's payments were credited to in this store.
    pub bound_clients: Vec<ClientId>,
    /// Checks (new payments) of this client in the last hour, this one included.
    pub client_checks_last_hour: u32,
    /// Checks (new payments) from this phone in the last hour, this one included.
    pub phone_checks_last_hour: u32,
    /// Other payments (each of another client) waiting for a transfer of
    /// this phone and amount, counted exactly.
    pub competitors: u64,
    /// When the claiming payment was created (its check).
    pub checked_at: Timestamp,
    /// When the transfer itself happened (the notification's time, else
    /// when it was received).
    pub transferred_at: Timestamp,
}

impl Default for ClaimFacts {
    fn default() -> Self {
        ClaimFacts {
            bound_clients: Vec::new(),
            client_checks_last_hour: 0,
            phone_checks_last_hour: 0,
            competitors: 0,
            checked_at: Timestamp::UNIX_EPOCH,
            transferred_at: Timestamp::UNIX_EPOCH,
        }
    }
}

/// The reasons to hold a claim by `client` for `amount`, in a fixed order:
/// the store's rules, then the claim rules.
pub fn decide(
    settings: &AntiSpamSettings,
    rules: &ClaimRules,
    client: ClientId,
    amount: Amount,
    facts: &ClaimFacts,
) -> Vec<HoldReason> {
    let mut reasons = store_rules(settings, client, amount, facts);
    if facts.competitors > 0 {
        reasons.push(HoldReason::Contested);
    }
    let staked_before = facts
        .transferred_at
        .checked_sub(rules.checked_before_transfer_grace)
        .is_ok_and(|latest_honest| facts.checked_at < latest_honest);
    if staked_before {
        reasons.push(HoldReason::CheckedBeforeTransfer);
    }
    reasons
}

/// The store's own anti-spam rules: nothing with anti-spam off.
fn store_rules(
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

    /// The verdict under the default claim rules.
    fn verdict(
        settings: &AntiSpamSettings,
        client: ClientId,
        amount: Amount,
        facts: &ClaimFacts,
    ) -> Vec<HoldReason> {
        decide(settings, &ClaimRules::default(), client, amount, facts)
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
            ..ClaimFacts::default()
        };
        assert!(verdict(&settings, client(42), amount("99999"), &facts).is_empty());
    }

    #[test]
    fn new_phone_fires_until_this_client_was_credited_from_it() {
        let settings = AntiSpamSettings {
            hold_new_phone: true,
            ..on()
        };
        let unknown = ClaimFacts::default();
        assert_eq!(
            verdict(&settings, client(42), amount("10"), &unknown),
            vec![HoldReason::NewPhone]
        );
        let known = ClaimFacts {
            bound_clients: vec![client(42)],
            ..ClaimFacts::default()
        };
        assert!(verdict(&settings, client(42), amount("10"), &known).is_empty());
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
        assert!(verdict(&settings, client(42), amount("10"), &facts).is_empty());
        assert_eq!(
            verdict(&settings, client(666), amount("10"), &facts),
            vec![HoldReason::SharedPhone]
        );
        assert!(
            decide(
                &settings,
                &ClaimRules::default(),
                client(666),
                amount("10"),
                &ClaimFacts::default()
            )
            .is_empty()
        );
    }

    #[test]
    fn large_amount_fires_at_and_above_the_threshold() {
        let settings = AntiSpamSettings {
            hold_amount_at_or_above: Some(amount("5000")),
            ..on()
        };
        let f = ClaimFacts::default();
        assert!(
            verdict(&settings, client(1), amount("4999.99"), &f).is_empty(),
            "just under"
        );
        assert_eq!(
            verdict(&settings, client(1), amount("5000"), &f),
            vec![HoldReason::LargeAmount],
            "at"
        );
        assert_eq!(
            verdict(&settings, client(1), amount("5000.01"), &f),
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
            decide(
                &settings,
                &ClaimRules::default(),
                client(1),
                amount("1"),
                &counted(9, 9)
            )
            .is_empty(),
            "just under"
        );
        assert!(
            decide(
                &settings,
                &ClaimRules::default(),
                client(1),
                amount("1"),
                &counted(10, 10)
            )
            .is_empty(),
            "at N"
        );
        assert_eq!(
            decide(
                &settings,
                &ClaimRules::default(),
                client(1),
                amount("1"),
                &counted(11, 1)
            ),
            vec![HoldReason::Velocity],
            "client over"
        );
        assert_eq!(
            decide(
                &settings,
                &ClaimRules::default(),
                client(1),
                amount("1"),
                &counted(1, 11)
            ),
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
            ..ClaimFacts::default()
        };
        assert_eq!(
            verdict(&settings, client(666), amount("100"), &facts),
            vec![
                HoldReason::NewPhone,
                HoldReason::SharedPhone,
                HoldReason::LargeAmount,
                HoldReason::Velocity
            ]
        );
    }

    fn at(minute: i64) -> Timestamp {
        Timestamp::from_second(1_780_000_000 + minute * 60).unwrap()
    }

    fn timed(checked: i64, transferred: i64) -> ClaimFacts {
        ClaimFacts {
            checked_at: at(checked),
            transferred_at: at(transferred),
            ..ClaimFacts::default()
        }
    }

    #[test]
    fn a_check_staked_before_the_transfer_is_held_whatever_the_anti_spam_setting() {
        let rules = ClaimRules::default();
        for enabled in [false, true] {
            let settings = AntiSpamSettings {
                enabled,
                hold_new_phone: false,
                hold_shared_phone: false,
                ..AntiSpamSettings::default()
            };
            let held =
                |facts: &ClaimFacts| decide(&settings, &rules, client(1), amount("100"), facts);
            assert_eq!(
                held(&timed(0, 6)),
                vec![HoldReason::CheckedBeforeTransfer],
                "six minutes before the transfer"
            );
            assert!(
                held(&timed(0, 5)).is_empty(),
                "within the grace: clock skew"
            );
            assert!(
                held(&timed(3, 2)).is_empty(),
                "an honest check after paying"
            );
            assert!(held(&timed(0, 0)).is_empty());
        }
    }

    #[test]
    fn a_transfer_that_other_clients_wait_for_is_contested_whatever_the_setting() {
        let settings = AntiSpamSettings::default();
        assert!(!settings.enabled);
        let alone = ClaimFacts::default();
        let rules = ClaimRules::default();
        assert!(decide(&settings, &rules, client(1), amount("100"), &alone).is_empty());
        let rivals = ClaimFacts {
            competitors: 1,
            ..ClaimFacts::default()
        };
        assert_eq!(
            decide(&settings, &rules, client(1), amount("100"), &rivals),
            vec![HoldReason::Contested]
        );
    }

    #[test]
    fn the_claim_rules_come_after_the_stores_rules() {
        let settings = AntiSpamSettings {
            hold_amount_at_or_above: Some(amount("100")),
            ..on()
        };
        let facts = ClaimFacts {
            competitors: 2,
            ..timed(0, 60)
        };
        assert_eq!(
            verdict(&settings, client(1), amount("100"), &facts),
            vec![
                HoldReason::LargeAmount,
                HoldReason::Contested,
                HoldReason::CheckedBeforeTransfer
            ]
        );
    }
}
