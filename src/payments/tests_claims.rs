//! The claim rules, transactions waiting for an operator, future transfer
//! times and retention, on a real sled folder, each from the attacker's
//! side and from the honest customer's.

use jiff::{SignedDuration, Timestamp};

use super::tests::{create, new_payment, open, setup, store_id, t0};
use super::*;
use crate::domain::{Amount, ClientId, Phone, TransId};
use crate::machine::{Actor, Decision, Event, HoldReason, StateName};
use crate::merchant::StoreSettings;

fn minutes(n: i64) -> Timestamp {
    t0() + SignedDuration::from_mins(n)
}

/// A store with anti-spam off (the default): only the claim rules hold.
fn plain_store(store: &Payments) {
    store
        .stores()
        .put(&store_id(), &StoreSettings::default())
        .unwrap()
        .durable_blocking()
        .unwrap();
}

fn check_at(store: &Payments, client: u32, at: Timestamp) -> CheckOutcome {
    store
        .check(&new_payment(client), at)
        .unwrap()
        .durable_blocking()
        .unwrap()
}

/// A transfer of 100 from 01012345678 that happened at `transferred`,
/// arriving at `now`.
fn transfer(
    store: &Payments,
    trans_id: &str,
    transferred: Timestamp,
    now: Timestamp,
) -> IngestOutcome {
    let tx = TransactionRecord::new(
        store_id(),
        TransId::parse(trans_id).unwrap(),
        Some(Phone::parse("01012345678").unwrap()),
        Amount::parse("100").unwrap(),
        transferred,
        now,
    );
    store.ingest(&tx, now).unwrap().durable_blocking().unwrap()
}

fn claimed(outcome: &IngestOutcome) -> &Applied {
    match outcome {
        IngestOutcome::New {
            claimed: Some(applied),
            ..
        } => applied,
        other => panic!("expected a claim: {other:?}"),
    }
}

fn sends_add_credit(store: &Payments, record: &PaymentRecord) -> bool {
    let outbox = store.outbox_of(&record.id).unwrap();
    outbox.iter().any(|e| e.effect == Effect::AddCredit)
}

fn no_problems(store: &Payments) {
    assert_eq!(store.verify().unwrap(), Vec::<String>::new());
}

#[test]
fn a_check_staked_before_the_transfer_by_another_client_is_held_and_not_credited() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    plain_store(&store);
    // The attacker stakes (phone, amount) long before anyone pays.
    let staked = check_at(&store, 666, t0());
    assert!(matches!(staked, CheckOutcome::Searching(_)));
    // The victim pays 20 minutes later; the SMS arrives a minute after.
    let arrived = transfer(&store, "014412345678", minutes(20), minutes(21));
    let applied = claimed(&arrived);
    assert_eq!(applied.record.id, staked.record().id);
    assert_eq!(applied.to, StateName::Held);
    assert_eq!(
        applied.record.hold_reasons(),
        &[HoldReason::CheckedBeforeTransfer]
    );
    assert!(!sends_add_credit(&store, &applied.record), "no AddCredit");
    no_problems(&store);
}

#[test]
fn two_clients_waiting_for_one_transfer_make_it_contested_naming_the_other() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    plain_store(&store);
    let first = check_at(&store, 666, minutes(10)).record().clone();
    let second = check_at(&store, 42, minutes(11)).record().clone();
    // The transfer happened at minute 9: both checked after it, honestly timed.
    let arrived = transfer(&store, "014412345678", minutes(9), minutes(12));
    let applied = claimed(&arrived);
    assert_eq!(applied.record.id, first.id, "the oldest waiting claims");
    assert_eq!(applied.to, StateName::Held);
    assert_eq!(applied.record.hold_reasons(), &[HoldReason::Contested]);
    assert_eq!(applied.audit.competing_clients, vec![second.client_id]);
    assert_eq!(
        store.competing_clients(&applied.record).unwrap(),
        vec![ClientId::try_from(42).unwrap()]
    );
    assert!(!sends_add_credit(&store, &applied.record));
    let still = store.payment(&second.id).unwrap().unwrap();
    assert_eq!(still.state_name(), StateName::Searching);
    no_problems(&store);
}

#[test]
fn a_check_that_finds_a_transfer_others_wait_for_is_contested_too() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    plain_store(&store);
    // A transfer stored without matching (a bulk load), and a client waiting.
    let tx = TransactionRecord::new(
        store_id(),
        TransId::parse("014412345678").unwrap(),
        Some(Phone::parse("01012345678").unwrap()),
        Amount::parse("100").unwrap(),
        t0(),
        t0(),
    );
    let waiting = check_at(&store, 7, minutes(1));
    assert!(matches!(waiting, CheckOutcome::Searching(_)));
    store
        .put_transaction(&tx)
        .unwrap()
        .durable_blocking()
        .unwrap();
    let outcome = check_at(&store, 42, minutes(2));
    let CheckOutcome::Matched(applied) = outcome else {
        panic!("the check claims the stored transfer: {outcome:?}");
    };
    assert_eq!(applied.to, StateName::Held);
    assert_eq!(applied.record.hold_reasons(), &[HoldReason::Contested]);
    assert_eq!(
        applied.audit.competing_clients,
        vec![ClientId::try_from(7).unwrap()]
    );
    no_problems(&store);
}

#[test]
fn an_honest_check_after_the_transfer_is_not_held_by_the_claim_rules() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    plain_store(&store);
    // Paid at minute 10, checked at minute 11, the SMS comes at minute 12.
    let check = check_at(&store, 42, minutes(11));
    let arrived = transfer(&store, "014412345678", minutes(10), minutes(12));
    let applied = claimed(&arrived);
    assert_eq!(applied.record.id, check.record().id);
    assert_eq!(applied.to, StateName::Crediting);
    assert!(sends_add_credit(&store, &applied.record));
    // Checked up to the grace before the transfer (clock skew): not held.
    let early = check_at(&store, 43, minutes(20));
    let arrived = transfer(&store, "014412345679", minutes(25), minutes(26));
    assert_eq!(claimed(&arrived).record.id, early.record().id);
    assert_eq!(claimed(&arrived).to, StateName::Crediting);
    // And a check made after the SMS claims it at once.
    transfer(&store, "014412345680", minutes(30), minutes(31));
    let CheckOutcome::Matched(late) = check_at(&store, 44, minutes(32)) else {
        panic!("a check after the SMS claims it");
    };
    assert_eq!(late.to, StateName::Crediting);
    no_problems(&store);
}

#[test]
fn a_rejected_claim_waits_for_an_operator_and_no_check_or_transfer_takes_it() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    setup(&store);
    let attacker = check_at(&store, 666, t0()).record().clone();
    let victim = check_at(&store, 42, minutes(21)).record().clone();
    let arrived = transfer(&store, "014412345678", minutes(20), minutes(22));
    assert_eq!(claimed(&arrived).record.id, attacker.id);
    let reject = Event::Reject(Decision {
        actor: Actor::Operator {
            by: Default::default(),
            ip: None,
        },
        note: None,
    });
    store
        .apply(&attacker.id, &reject, minutes(23))
        .unwrap()
        .unwrap()
        .durable_blocking()
        .unwrap();
    // Not passed on to the next waiting payment, nor claimed by a check.
    assert!(
        store
            .due_outbox(Lane::Internal, Timestamp::MAX, 10)
            .unwrap()
            .is_empty()
    );
    let victim_now = store.payment(&victim.id).unwrap().unwrap();
    assert_eq!(victim_now.state_name(), StateName::Searching);
    let again = check_at(&store, 777, minutes(24));
    assert!(matches!(again, CheckOutcome::Searching(_)), "{again:?}");
    let trans_id = TransId::parse("014412345678").unwrap();
    let waiting = store.awaiting_page(None, None, 10).unwrap().unwrap().items;
    assert_eq!(waiting.len(), 1);
    assert_eq!(waiting[0].trans_id, trans_id);
    assert_eq!(store.awaiting_count().unwrap(), 1);
    no_problems(&store);
    // The operator assigns it to the victim's payment: credited without a hold.
    let request = AssignRequest {
        store_id: store_id(),
        trans_id,
        payment_id: victim.id.clone(),
        operator: Actor::Operator {
            by: Default::default(),
            ip: None,
        },
        note: Some("receipt from the customer".into()),
    };
    let applied = store
        .assign(&request, minutes(25))
        .unwrap()
        .unwrap()
        .durable_blocking()
        .unwrap();
    assert_eq!(applied.to, StateName::Crediting);
    assert!(sends_add_credit(&store, &applied.record));
    assert_eq!(store.awaiting_count().unwrap(), 0);
    assert!(
        store
            .awaiting_page(None, None, 10)
            .unwrap()
            .unwrap()
            .items
            .is_empty()
    );
    no_problems(&store);
}

#[test]
fn an_expired_hold_also_leaves_the_transaction_to_an_operator() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    setup(&store);
    let held = check_at(&store, 666, t0()).record().clone();
    transfer(&store, "014412345678", minutes(20), minutes(21));
    let later = minutes(21) + SignedDuration::from_hours(49);
    for written in store.close_due_windows(later, 10).unwrap() {
        written.durable_blocking().unwrap();
    }
    assert_eq!(
        store.payment(&held.id).unwrap().unwrap().state_name(),
        StateName::Expired
    );
    let tx = store
        .transaction(&store_id(), &TransId::parse("014412345678").unwrap())
        .unwrap()
        .unwrap();
    assert_eq!(
        tx.awaiting_operator.map(|r| r.ended_in),
        Some(StateName::Expired)
    );
    // The attacker's fresh check does not get it back.
    let again = check_at(&store, 666, later);
    assert!(matches!(again, CheckOutcome::Searching(_)), "{again:?}");
    no_problems(&store);
}

#[test]
fn an_assignment_is_refused_unless_the_payment_waits_for_that_amount() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    plain_store(&store);
    transfer(&store, "014412345678", t0(), t0());
    let request = |payment_id: &crate::domain::PaymentId| AssignRequest {
        store_id: store_id(),
        trans_id: TransId::parse("014412345678").unwrap(),
        payment_id: payment_id.clone(),
        operator: Actor::Operator {
            by: Default::default(),
            ip: None,
        },
        note: None,
    };
    let mut other = new_payment(9);
    other.amount = Amount::parse("99").unwrap();
    let wrong_amount = create(&store, &other);
    let refused = store.assign(&request(&wrong_amount.id), t0()).unwrap();
    assert_eq!(refused.err(), Some(AssignRefused::AmountDiffers));
    let unknown = crate::domain::PaymentId::random().unwrap();
    let refused = store.assign(&request(&unknown), t0()).unwrap();
    assert_eq!(refused.err(), Some(AssignRefused::UnknownPayment));
    // Not an operator: the machine refuses.
    let mut forged = request(&create(&store, &new_payment(10)).id);
    forged.operator = Actor::System;
    let refused = store.assign(&forged, t0()).unwrap();
    assert!(matches!(refused.err(), Some(AssignRefused::Refused(_))));
    no_problems(&store);
}

#[test]
fn a_transfer_dated_past_the_skew_is_not_stored_and_one_within_it_is() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    plain_store(&store);
    let waiting = check_at(&store, 42, t0());
    // An Arabic date read in the wrong order: years ahead.
    let years = t0() + SignedDuration::from_hours(4 * 365 * 24);
    let outcome = transfer(&store, "014412345678", years, t0());
    assert!(
        matches!(outcome, IngestOutcome::FromTheFuture(_)),
        "{outcome:?}"
    );
    let trans_id = TransId::parse("014412345678").unwrap();
    assert_eq!(store.transaction(&store_id(), &trans_id).unwrap(), None);
    let still = store.payment(&waiting.record().id).unwrap().unwrap();
    assert_eq!(still.state_name(), StateName::Searching, "never matched");
    let eleven = transfer(&store, "014412345679", minutes(11), t0());
    assert!(matches!(eleven, IngestOutcome::FromTheFuture(_)));
    // Nine minutes ahead is clock skew: stored (and, being 9 minutes after
    // the check, held as checked before the transfer).
    let nine = transfer(&store, "014412345680", minutes(9), t0());
    assert_eq!(
        claimed(&nine).record.hold_reasons(),
        &[HoldReason::CheckedBeforeTransfer]
    );
    no_problems(&store);
}
