//! The payment use cases on a real sled folder.

use jiff::{SignedDuration, Timestamp};
use rust_decimal::Decimal;

use super::*;
use crate::domain::{Amount, ClientId, Email, Lang, PaymentId, Phone, StoreId, TransId};
use crate::machine::{Actor, Decision, Event, HoldReason, IntentKind, Match, StateName};
use crate::merchant::StoreSettings;

pub(super) fn t0() -> Timestamp {
    Timestamp::from_second(1_780_000_000).unwrap()
}

pub(super) fn store_id() -> StoreId {
    StoreId::parse("5").unwrap()
}

pub(super) fn open(dir: &std::path::Path) -> Payments {
    Payments::open(dir, PaymentsOptions::default()).unwrap()
}

pub(super) fn owner() -> Email {
    Email::parse("owner@example.com").unwrap()
}

pub(super) fn setup(store: &Payments) {
    let mut settings = StoreSettings::default();
    settings.anti_spam.enabled = true;
    settings.anti_spam.approvers = vec![owner()];
    store
        .stores()
        .put(&store_id(), &settings)
        .unwrap()
        .durable_blocking()
        .unwrap();
}

pub(super) fn transaction(trans_id: &str) -> TransactionRecord {
    TransactionRecord::new(
        store_id(),
        TransId::parse(trans_id).unwrap(),
        Some(Phone::parse("01012345678").unwrap()),
        Amount::parse("100").unwrap(),
        t0(),
        t0(),
    )
}

pub(super) fn new_payment(client: u32) -> NewPayment {
    NewPayment {
        store_id: store_id(),
        client_id: ClientId::try_from(client).unwrap(),
        phone: Phone::parse("01012345678").unwrap(),
        amount: Amount::parse("100").unwrap(),
        lang: Lang::En,
        invoice: None,
    }
}

fn matched(trans_id: &str, hold: bool) -> Event {
    Event::Matched(Match {
        trans_id: TransId::parse(trans_id).unwrap(),
        credit_amount: Decimal::new(10000, 2),
        hold_reasons: if hold {
            vec![HoldReason::NewPhone]
        } else {
            vec![]
        },
        competing_clients: Vec::new(),
    })
}

pub(super) fn store_transaction(store: &Payments, trans_id: &str) {
    store
        .put_transaction(&transaction(trans_id))
        .unwrap()
        .durable_blocking()
        .unwrap();
}

pub(super) fn create(store: &Payments, new: &NewPayment) -> PaymentRecord {
    store
        .create_payment(new, t0())
        .unwrap()
        .durable_blocking()
        .unwrap()
}

pub(super) fn apply(
    store: &Payments,
    id: &PaymentId,
    event: &Event,
) -> Result<Applied, NotApplied> {
    store
        .apply(id, event, t0())
        .unwrap()
        .map(|w| w.durable_blocking().unwrap())
}

#[test]
fn a_transition_writes_state_audit_outbox_claim_and_timer_together() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    setup(&store);
    store_transaction(&store, "014412345678");
    let created = create(&store, &new_payment(42));
    assert_eq!(created.version, 1);

    let applied = apply(&store, &created.id, &matched("014412345678", true)).unwrap();
    assert_eq!(
        (applied.from, applied.to),
        (StateName::Searching, StateName::Held)
    );

    let record = store.payment(&created.id).unwrap().unwrap();
    assert_eq!(record.version, 2);
    assert_eq!(record.hold_reasons(), &[HoldReason::NewPhone]);
    let history = store.history(&created.id).unwrap();
    assert_eq!(history.len(), 2);
    assert_eq!(
        history[1].event,
        AuditEvent::Machine(crate::machine::EventKind::Matched)
    );
    assert_eq!(history[1].hold_reasons, vec![HoldReason::NewPhone]);
    assert_eq!(history[1].reason, None);
    assert_eq!(
        history[1].intents,
        vec![
            IntentKind::ClaimTransaction,
            IntentKind::NotifyApprovers,
            IntentKind::SetDeadline
        ]
    );
    let outbox = store.outbox_of(&created.id).unwrap();
    assert_eq!(outbox.len(), 1);
    assert!(matches!(outbox[0].effect, Effect::NotifyApprovers { .. }));
    let tx = store
        .transaction(&store_id(), &TransId::parse("014412345678").unwrap())
        .unwrap()
        .unwrap();
    assert_eq!(tx.claimed_by, Some(created.id.clone()));
    // The search timer is gone; the approval timer is due in 48 hours.
    assert!(
        store
            .due_timers(t0() + SignedDuration::from_hours(47), 10)
            .unwrap()
            .is_empty()
    );
    let due = store
        .due_timers(t0() + SignedDuration::from_hours(48), 10)
        .unwrap();
    assert_eq!(due.len(), 1);
    assert_eq!(due[0].payment_id, created.id);
    assert_eq!(
        store.payments_in_state(StateName::Held, None, 10).unwrap(),
        vec![created.id.clone()]
    );
    assert!(
        store
            .payments_in_state(StateName::Searching, None, 10)
            .unwrap()
            .is_empty()
    );
}

#[test]
fn a_refused_event_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    setup(&store);
    let created = create(&store, &new_payment(42));
    let approve = Event::Approve(Decision {
        actor: Actor::Operator {
            by: crate::machine::OperatorName::Admin,
            ip: None,
        },
        note: None,
    });
    let refused = apply(&store, &created.id, &approve).unwrap_err();
    assert!(matches!(
        refused,
        NotApplied::Refused {
            state: StateName::Searching,
            ..
        }
    ));
    assert_eq!(store.payment(&created.id).unwrap().unwrap(), created);
    assert_eq!(store.history(&created.id).unwrap().len(), 1);
    let unknown = PaymentId::random().unwrap();
    assert_eq!(
        apply(&store, &unknown, &approve).unwrap_err(),
        NotApplied::UnknownPayment
    );
}

#[test]
fn a_claimed_transaction_cannot_be_claimed_again() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    setup(&store);
    store_transaction(&store, "014412345678");
    let a = create(&store, &new_payment(42));
    let b = create(&store, &new_payment(43));
    apply(&store, &a.id, &matched("014412345678", false)).unwrap();
    let err = store
        .apply(&b.id, &matched("014412345678", false), t0())
        .err()
        .unwrap();
    assert!(
        matches!(
            err,
            DbError::Invariant(crate::db::Invariant::AlreadyClaimed { .. })
        ),
        "{err:?}"
    );
    assert_eq!(
        store.payment(&b.id).unwrap().unwrap(),
        b,
        "the failed write left nothing behind"
    );
}

#[test]
fn reject_hands_the_transaction_to_an_operator_and_credit_settles_it_once() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    setup(&store);
    store_transaction(&store, "014412345678");
    let trans_id = TransId::parse("014412345678").unwrap();
    let a = create(&store, &new_payment(42));
    apply(&store, &a.id, &matched("014412345678", true)).unwrap();
    let reject = Event::Reject(Decision {
        actor: Actor::Operator {
            by: crate::machine::OperatorName::Admin,
            ip: None,
        },
        note: Some("not theirs".into()),
    });
    apply(&store, &a.id, &reject).unwrap();
    let tx = store.transaction(&store_id(), &trans_id).unwrap().unwrap();
    assert_eq!(tx.claimed_by, None);
    let released = tx.awaiting_operator.expect("waits for an operator");
    assert_eq!(
        (released.from, released.ended_in),
        (a.id.clone(), StateName::Rejected)
    );

    // No match takes it, even one made behind matching's back.
    let b = create(&store, &new_payment(43));
    let err = store
        .apply(&b.id, &matched("014412345678", false), t0())
        .err()
        .unwrap();
    assert!(
        matches!(
            err,
            DbError::Invariant(crate::db::Invariant::AwaitingOperator(_))
        ),
        "{err:?}"
    );
    let assign = AssignRequest {
        store_id: store_id(),
        trans_id: trans_id.clone(),
        payment_id: b.id.clone(),
        operator: Actor::Operator {
            by: Default::default(),
            ip: None,
        },
        note: Some("receipt checked".into()),
    };
    let assigned = store.assign(&assign, t0()).unwrap().unwrap();
    assert_eq!(
        assigned.durable_blocking().unwrap().to,
        StateName::Crediting
    );
    apply(&store, &b.id, &Event::CreditSucceeded).unwrap();
    let tx = store.transaction(&store_id(), &trans_id).unwrap().unwrap();
    assert_eq!(tx.credited_to, Some(b.id.clone()));
    let refused = apply(&store, &b.id, &Event::CreditSucceeded).unwrap_err();
    assert!(matches!(
        refused,
        NotApplied::Refused {
            state: StateName::Credited,
            ..
        }
    ));
}

#[test]
fn everything_survives_a_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    setup(&store);
    store_transaction(&store, "014412345678");
    let a = create(&store, &new_payment(42));
    apply(&store, &a.id, &matched("014412345678", true)).unwrap();
    let before = store.payment(&a.id).unwrap().unwrap();
    let history = store.history(&a.id).unwrap();
    store.close().unwrap();

    let store = open(dir.path());
    assert_eq!(store.payment(&a.id).unwrap().unwrap(), before);
    assert_eq!(store.history(&a.id).unwrap(), history);
    let approve = Event::Approve(Decision {
        actor: Actor::Approver {
            email: owner(),
            ip: None,
            user_agent: None,
        },
        note: None,
    });
    let applied = apply(&store, &a.id, &approve).unwrap();
    assert_eq!(applied.to, StateName::Crediting);
    assert_eq!(applied.record.version, 3);
}

#[test]
fn verify_finds_a_missing_audit_entry_and_a_double_claim() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    setup(&store);
    store_transaction(&store, "014412345678");
    let a = create(&store, &new_payment(42));
    apply(&store, &a.id, &matched("014412345678", false)).unwrap();
    assert_eq!(store.verify().unwrap(), Vec::<String>::new());

    // A second payment that claims the same transaction behind the store's back.
    let b = create(&store, &new_payment(43));
    let mut forged = store.payment(&b.id).unwrap().unwrap();
    forged.claim = store.payment(&a.id).unwrap().unwrap().claim;
    crate::db::forge::put_payment(store.db(), &forged);
    crate::db::forge::remove_audit(store.db(), &a.id, 2);
    let problems = store.verify().unwrap();
    assert!(
        problems.iter().any(|p| p.starts_with("invariant 1")),
        "{problems:?}"
    );
    assert!(
        problems.iter().any(|p| p.starts_with("invariant 4")),
        "{problems:?}"
    );
}

#[test]
fn a_poll_summary_decodes_the_same_fields_as_the_full_record() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    setup(&store);
    store_transaction(&store, "014412345678");
    let mut new = new_payment(42);
    new.lang = Lang::Ar;
    let a = create(&store, &new);
    let before = store.payment_summary(&a.id).unwrap().unwrap();
    assert_eq!(before.state_name(), StateName::Searching);
    assert_eq!(before.claim, None);
    // Held, with reasons and a claim: every field the summary names.
    apply(&store, &a.id, &matched("014412345678", true)).unwrap();
    let full = store.payment(&a.id).unwrap().unwrap();
    let summary = store.payment_summary(&a.id).unwrap().unwrap();
    assert_eq!(summary, PaymentSummary::from(&full));
    assert_eq!(summary.lang, Lang::Ar);
    assert_eq!(summary.state_name(), StateName::Held);
    assert_eq!(
        summary.claim.map(|c| c.trans_id.to_string()).as_deref(),
        Some("014412345678")
    );
    assert_eq!(
        store
            .payment_summary(&PaymentId::random().unwrap())
            .unwrap(),
        None
    );
}

#[test]
fn a_restored_folder_sends_no_queued_credit_before_get_credits() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    setup(&store);
    store_transaction(&store, "014412345678");
    let a = create(&store, &new_payment(42));
    apply(&store, &a.id, &matched("014412345678", false)).unwrap();
    let queued = |store: &Payments| store.due_outbox(Lane::Whmcs, t0(), 10).unwrap();
    let before = queued(&store);
    assert_eq!(before.len(), 1);
    assert!(
        !before[0].1.needs_reconcile,
        "a fresh credit is sent at once"
    );

    assert_eq!(store.distrust_queued_credits(t0()).unwrap(), 1);
    let after = queued(&store);
    assert_eq!(after.len(), 1, "still queued, in the same lane");
    let entry = &after[0].1;
    assert!(entry.needs_reconcile, "GetCredits first");
    assert_eq!(entry.status, OutboxStatus::Pending);
    assert_eq!(entry.reconcile_tries, 0);
    assert_eq!(
        store.distrust_queued_credits(t0()).unwrap(),
        0,
        "once is enough"
    );
    assert_eq!(store.verify().unwrap(), Vec::<String>::new());
}
