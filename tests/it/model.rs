//! The model-based test of `fuzz/payment_model`, as a proptest: random
//! bytes become operations (checks, SMS, decisions valid and forged, WHMCS
//! answers, time, reboots) applied to the real store and to the model,
//! which must agree after every step.

use arbitrary::{Arbitrary, Unstructured};
use cashgate::model::{Harness, Op};
use proptest::prelude::*;

const OPS_MAX: usize = 120;

fn run(bytes: &[u8]) -> Result<usize, String> {
    let mut input = Unstructured::new(bytes);
    let mut harness = Harness::new().map_err(|e| e.to_string())?;
    let mut steps = 0;
    while steps < OPS_MAX {
        let Ok(op) = Op::arbitrary(&mut input) else {
            break;
        };
        harness
            .apply(op)
            .map_err(|e| format!("step {steps} ({op:?}): {e}"))?;
        steps += 1;
    }
    Ok(steps)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn the_store_agrees_with_the_model_after_every_operation(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        let outcome = run(&bytes);
        prop_assert!(outcome.is_ok(), "{}", outcome.unwrap_err());
    }
}

/// A fixed script that reaches every state, so a broken harness cannot
/// pass by doing nothing.
#[test]
fn a_scripted_run_reaches_every_state() {
    use cashgate::model::{WhmcsAnswer, Who};
    let mut h = Harness::new().unwrap();
    let script = [
        Op::Sms {
            tx: 0,
            phone: 0,
            amount: 0,
            ahead: 0,
        },
        Op::Check {
            client: 0,
            phone: 0,
            amount: 0,
        }, // held (new phone)
        Op::Decide {
            payment: 0,
            approve: true,
            who: Who::Stranger,
        }, // forged: refused
        Op::Decide {
            payment: 0,
            approve: true,
            who: Who::Approver,
        },
        Op::Whmcs {
            payment: 0,
            answer: WhmcsAnswer::Success,
        }, // credited
        Op::Check {
            client: 0,
            phone: 0,
            amount: 0,
        }, // reports it
        Op::Sms {
            tx: 1,
            phone: 0,
            amount: 0,
            ahead: 0,
        },
        Op::Check {
            client: 0,
            phone: 0,
            amount: 0,
        }, // not held now: crediting
        Op::Whmcs {
            payment: 1,
            answer: WhmcsAnswer::Permanent,
        }, // credit_failed
        Op::Retry { payment: 1 },
        Op::Whmcs {
            payment: 1,
            answer: WhmcsAnswer::UnknownRefused,
        }, // credit_unknown
        Op::Reboot,
        Op::MarkCredited { payment: 1 },
        Op::Sms {
            tx: 2,
            phone: 1,
            amount: 1,
            ahead: 0,
        },
        Op::Check {
            client: 1,
            phone: 1,
            amount: 1,
        }, // held
        Op::Decide {
            payment: 2,
            approve: false,
            who: Who::Operator,
        }, // rejected: t2 waits for an operator
        Op::Check {
            client: 2,
            phone: 1,
            amount: 1,
        }, // cannot claim t2: searching
        Op::Assign { tx: 2, payment: 3 }, // the operator hands it over: crediting
        Op::Check {
            client: 3,
            phone: 0,
            amount: 1,
        }, // searching
        Op::Advance { minutes: 31 },      // expired
    ];
    for (n, op) in script.into_iter().enumerate() {
        h.apply(op)
            .unwrap_or_else(|e| panic!("step {n} {op:?}: {e}"));
    }
    assert_eq!(h.visited(), cashgate::machine::StateName::ALL.to_vec());
}

/// A script from the attacker's side: a check staked before the transfer
/// and a rival client waiting give both claim rules' reasons (the store
/// and the model agree on them and on whom they name); the rejected claim
/// waits for an operator, whose assignment credits; a transfer dated past
/// the skew is never stored.
#[test]
fn a_scripted_run_holds_staked_and_contested_claims_and_needs_an_operator() {
    use cashgate::machine::HoldReason;
    use cashgate::model::Who;
    let mut h = Harness::new().unwrap();
    let script = [
        Op::Check {
            client: 0,
            phone: 0,
            amount: 0,
        }, // the attacker stakes a claim
        Op::Advance { minutes: 6 },
        Op::Check {
            client: 1,
            phone: 0,
            amount: 0,
        }, // the customer checks after paying
        Op::Sms {
            tx: 0,
            phone: 0,
            amount: 0,
            ahead: 0,
        }, // held: new phone, contested (naming client 2), checked before
        Op::Decide {
            payment: 0,
            approve: false,
            who: Who::Approver,
        }, // rejected: t0 waits for an operator
        Op::Check {
            client: 2,
            phone: 0,
            amount: 0,
        }, // a fresh check does not get it
        Op::Assign { tx: 0, payment: 1 }, // the operator gives it to the customer
        Op::Sms {
            tx: 1,
            phone: 1,
            amount: 1,
            ahead: 251,
        }, // eleven minutes ahead: quarantined
        Op::Sms {
            tx: 1,
            phone: 1,
            amount: 1,
            ahead: 250,
        }, // ten minutes ahead: clock skew, stored
    ];
    for (n, op) in script.into_iter().enumerate() {
        h.apply(op)
            .unwrap_or_else(|e| panic!("step {n} {op:?}: {e}"));
    }
    let seen = h.reasons_seen();
    for reason in [HoldReason::Contested, HoldReason::CheckedBeforeTransfer] {
        assert!(seen.contains(&reason), "{reason:?} not reached: {seen:?}");
    }
}
