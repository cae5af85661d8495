//! The invoice rules, and the settlement's writes on a real sled folder.

use jiff::Timestamp;
use rust_decimal::Decimal;

use super::*;
use crate::db::TransactionRecord;
use crate::domain::{Amount, Lang, Phone, StoreId, TransId};
use crate::machine::{Event, Match};
use crate::payments::{CheckOutcome, NewPayment, PaymentsOptions};

fn dec(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn client(n: u32) -> ClientId {
    ClientId::try_from(n).unwrap()
}

fn invoice(n: u32) -> InvoiceId {
    InvoiceId::try_from(n).unwrap()
}

fn unpaid(credit: &str, balance: &str) -> InvoiceReading {
    InvoiceReading {
        client: client(42),
        unpaid: true,
        status: "Unpaid".into(),
        credit: dec(credit),
        balance: dec(balance),
    }
}

fn attempt(amount: &str, credit_before: &str) -> InvoiceAttempt {
    InvoiceAttempt {
        amount: dec(amount),
        credit_before: dec(credit_before),
        balance_before: dec("10.00"),
    }
}

#[test]
fn the_amount_is_the_credit_or_the_balance_if_smaller() {
    let plan = |balance, credited| {
        plan_application(
            invoice(7),
            &unpaid("0.00", balance),
            client(42),
            dec(credited),
        )
    };
    let InvoicePlan::Apply(partial) = plan("10.00", "4.00") else {
        panic!("an unpaid invoice of the client is paid")
    };
    assert_eq!(
        (
            partial.amount,
            partial.credit_before,
            partial.balance_before
        ),
        (dec("4.00"), dec("0.00"), dec("10.00"))
    );
    let InvoicePlan::Apply(whole) = plan("6.21", "6.22") else {
        panic!("paid")
    };
    assert_eq!(whole.amount, dec("6.21"), "never more than the balance");
}

#[test]
fn another_clients_or_a_closed_invoice_gets_nothing() {
    let theirs = plan_application(invoice(7), &unpaid("0", "5"), client(43), dec("5"));
    assert!(
        matches!(&theirs, InvoicePlan::Settle { state: InvoiceState::Failed, message } if message.contains("client 42")),
        "{theirs:?}"
    );
    let paid = InvoiceReading {
        unpaid: false,
        status: "Paid".into(),
        ..unpaid("5.00", "0.00")
    };
    let plan = plan_application(invoice(7), &paid, client(42), dec("5"));
    assert!(
        matches!(&plan, InvoicePlan::Settle { state: InvoiceState::NotUnpaid, message } if message.contains("Paid")),
        "{plan:?}"
    );
    let nothing_owed = plan_application(invoice(7), &unpaid("5", "0"), client(42), dec("5"));
    assert!(matches!(
        nothing_owed,
        InvoicePlan::Settle {
            state: InvoiceState::NotUnpaid,
            ..
        }
    ));
}

fn step(reading: InvoiceCheck, so_far: u32) -> InvoiceStep {
    settle_unknown(reading, &attempt("4.00", "1.00"), so_far, 5)
}

#[test]
fn credit_grown_by_the_amount_sent_is_applied_and_never_sent_again() {
    let applied = step(InvoiceCheck::Read(unpaid("5.00", "6.00")), 0);
    assert_eq!(
        applied,
        InvoiceStep::Settle {
            state: InvoiceState::Applied,
            applied_amount: Some(dec("4.00")),
            message: None
        }
    );
    let paid_in_full = InvoiceReading {
        unpaid: false,
        status: "Paid".into(),
        ..unpaid("5.00", "0.00")
    };
    assert!(matches!(
        step(InvoiceCheck::Read(paid_in_full), 3),
        InvoiceStep::Settle {
            state: InvoiceState::Applied,
            ..
        }
    ));
    let more = step(InvoiceCheck::Read(unpaid("9.00", "2.00")), 0);
    assert!(
        matches!(&more, InvoiceStep::Settle { state: InvoiceState::Applied, message: Some(m), .. } if m.contains("more than")),
        "{more:?}"
    );
}

#[test]
fn unchanged_credit_must_be_read_twice_before_starting_over() {
    assert!(matches!(
        step(InvoiceCheck::Read(unpaid("1.00", "9.00")), 0),
        InvoiceStep::AskAgain { readings: 1, .. }
    ));
    assert!(matches!(
        step(InvoiceCheck::Read(unpaid("1.00", "9.00")), 1),
        InvoiceStep::StartOver { .. }
    ));
    let closed = InvoiceReading {
        unpaid: false,
        status: "Cancelled".into(),
        ..unpaid("1.00", "9.00")
    };
    assert!(matches!(
        step(InvoiceCheck::Read(closed), 0),
        InvoiceStep::Settle {
            state: InvoiceState::NotUnpaid,
            applied_amount: None,
            ..
        }
    ));
}

#[test]
fn any_other_change_or_no_reading_goes_to_an_operator() {
    for credit in ["3.00", "0.00", "4.99"] {
        let odd = step(InvoiceCheck::Read(unpaid(credit, "5.00")), 0);
        assert!(
            matches!(&odd, InvoiceStep::Settle { state: InvoiceState::Failed, message: Some(m), .. } if m.contains("nothing is sent again")),
            "{credit}: {odd:?}"
        );
    }
    assert!(matches!(
        step(InvoiceCheck::Refused("Invoice ID Not Found".into()), 0),
        InvoiceStep::Settle {
            state: InvoiceState::Failed,
            ..
        }
    ));
    assert!(matches!(
        step(InvoiceCheck::Failed("timeout".into()), 3),
        InvoiceStep::AskAgain { readings: 4, .. }
    ));
    assert!(matches!(
        step(InvoiceCheck::Failed("timeout".into()), 4),
        InvoiceStep::Settle {
            state: InvoiceState::Failed,
            ..
        }
    ));
}

fn t0() -> Timestamp {
    Timestamp::from_second(1_780_000_000).unwrap()
}

fn new_payment(invoice_id: Option<u32>) -> NewPayment {
    NewPayment {
        store_id: StoreId::parse("5").unwrap(),
        client_id: client(42),
        phone: Phone::parse("01012345678").unwrap(),
        amount: Amount::parse("100").unwrap(),
        lang: Lang::En,
        invoice: invoice_id.map(invoice),
    }
}

/// A payment of `new` taken to `credited` through `crediting`.
fn credited(store: &Payments, new: &NewPayment, trans_id: &str) -> PaymentRecord {
    let tx = TransactionRecord::new(
        new.store_id.clone(),
        TransId::parse(trans_id).unwrap(),
        Some(new.phone.clone()),
        new.amount,
        t0(),
        t0(),
    );
    store
        .put_transaction(&tx)
        .unwrap()
        .durable_blocking()
        .unwrap();
    let created = store.create_payment(new, t0()).unwrap();
    let created = created.durable_blocking().unwrap();
    let matched = Event::Matched(Match {
        trans_id: tx.trans_id.clone(),
        credit_amount: dec("100"),
        hold_reasons: Vec::new(),
        competing_clients: Vec::new(),
    });
    for event in [matched, Event::CreditSucceeded] {
        let applied = store.apply(&created.id, &event, t0()).unwrap().unwrap();
        applied.durable_blocking().unwrap();
    }
    store.payment(&created.id).unwrap().unwrap()
}

fn open(dir: &std::path::Path) -> Payments {
    Payments::open(dir, PaymentsOptions::default()).unwrap()
}

#[test]
fn entering_credited_queues_the_settlement_in_the_same_write_only_with_an_invoice() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let with = credited(&store, &new_payment(Some(1001)), "014400000001");
    assert_eq!(with.state_name(), StateName::Credited);
    assert_eq!(
        with.invoice,
        Some(InvoiceSettlement::pending(invoice(1001)))
    );
    let outbox = store.outbox_of(&with.id).unwrap();
    let settle: Vec<&OutboxEntry> = outbox
        .iter()
        .filter(|e| matches!(e.effect, Effect::ApplyCredit { .. }))
        .collect();
    assert_eq!(settle.len(), 1, "{outbox:?}");
    assert_eq!(settle[0].version, with.version, "written by the transition");
    assert_eq!(
        settle[0].effect,
        Effect::ApplyCredit {
            invoice: invoice(1001)
        }
    );
    let without = credited(&store, &new_payment(None), "014400000002");
    let effects: Vec<Effect> = store
        .outbox_of(&without.id)
        .unwrap()
        .into_iter()
        .map(|e| e.effect)
        .collect();
    assert_eq!(effects, vec![Effect::AddCredit]);
    assert_eq!(store.verify().unwrap(), Vec::<String>::new());
}

#[test]
fn a_step_changes_the_settlement_and_the_entry_together_and_never_the_state() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let record = credited(&store, &new_payment(Some(1001)), "014400000001");
    let (key, entry) = store
        .due_outbox(crate::db::Lane::Whmcs, t0(), 10)
        .unwrap()
        .into_iter()
        .next()
        .unwrap();
    let settlement = record.invoice.clone().unwrap();
    let begun = store
        .begin_invoice_attempt(&key, &entry, &settlement, attempt("100", "0"))
        .unwrap()
        .durable_blocking()
        .unwrap();
    let (in_flight, sent) = begun.unwrap();
    assert_eq!(in_flight.status, OutboxStatus::InFlight);
    let stored = store.payment(&record.id).unwrap().unwrap();
    assert_eq!(stored.invoice.as_ref(), Some(&sent));
    assert_eq!(
        (sent.tries, sent.attempt.clone()),
        (1, Some(attempt("100", "0")))
    );
    // A stale copy of the entry writes nothing.
    let stale = store
        .record_invoice_step(&key, &entry, &entry, &settlement, None)
        .unwrap();
    assert!(!stale.durable_blocking().unwrap());
    let done = OutboxEntry {
        status: OutboxStatus::Done,
        ..in_flight.clone()
    };
    let applied = InvoiceSettlement {
        state: InvoiceState::Applied,
        applied_amount: Some(dec("100")),
        ..sent.clone()
    };
    let step = store.record_invoice_step(&key, &in_flight, &done, &applied, None);
    assert!(step.unwrap().durable_blocking().unwrap());
    let after = store.payment(&record.id).unwrap().unwrap();
    assert_eq!(after.invoice, Some(applied.clone()));
    assert_eq!(
        (after.state.clone(), after.version),
        (record.state, record.version)
    );
    assert_eq!(store.outbox_entry(&key).unwrap(), Some(done.clone()));
    // A settled invoice is never written again.
    let again = store.record_invoice_step(&key, &done, &done, &applied, None);
    assert!(!again.unwrap().durable_blocking().unwrap());
    assert_eq!(store.verify().unwrap(), Vec::<String>::new());
}

fn check(store: &Payments, new: &NewPayment) -> CheckOutcome {
    store.check(new, t0()).unwrap().durable_blocking().unwrap()
}

#[test]
fn a_repeat_keeps_the_open_payments_invoice_but_a_credit_belongs_to_its_own_invoice() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let a = new_payment(Some(1001));
    let CheckOutcome::Searching(first) = check(&store, &a) else {
        panic!("nothing to claim yet")
    };
    let b = new_payment(Some(1002));
    let repeat = check(&store, &b);
    assert!(
        matches!(&repeat, CheckOutcome::Repeat { record, newly_reported: false } if record.id == first.id),
        "an open payment answers whatever the invoice: {repeat:?}"
    );
    assert_eq!(
        store.payment(&first.id).unwrap().unwrap().invoice,
        Some(InvoiceSettlement::pending(invoice(1001))),
        "a repeat never points the payment at another invoice"
    );

    // Credited (not reported yet): a check for another invoice starts afresh.
    let paid = credited(&store, &new_payment(Some(1003)), "014400000009");
    assert!(paid.answers_repeat_checks());
    let other = NewPayment {
        amount: paid.amount,
        ..new_payment(Some(1004))
    };
    let CheckOutcome::Searching(fresh) = check(&store, &other) else {
        panic!("a new payment")
    };
    assert_ne!(fresh.id, paid.id);
    assert!(!store.payment(&paid.id).unwrap().unwrap().credit_reported);
    // The credited payment's settlement write does not take the key back.
    let (key, entry) = store
        .due_outbox(crate::db::Lane::Whmcs, t0(), 10)
        .unwrap()
        .into_iter()
        .find(|(_, e)| e.payment_id == paid.id)
        .unwrap();
    let waiting = OutboxEntry {
        last_error: Some("later".into()),
        ..entry.clone()
    };
    let settlement = paid.invoice.clone().unwrap();
    let step = store.record_invoice_step(&key, &entry, &waiting, &settlement, None);
    assert!(step.unwrap().durable_blocking().unwrap());
    let again = check(&store, &other);
    assert!(
        matches!(&again, CheckOutcome::Repeat { record, .. } if record.id == fresh.id),
        "{again:?}"
    );
    assert_eq!(store.verify().unwrap(), Vec::<String>::new());
}
