//! Crash test of the transition write: a child process (this binary, re-run
//! with `CRASH_CHILD` set) applies transitions and prints each one after it
//! returned; the parent SIGKILLs it right after reading a line, reopens the
//! folder, and checks that every returned transition is there with its
//! audit and outbox entries, and that the one in flight is all or nothing.
//!
//! `CRASH_CYCLES` sets the number of kill/reopen cycles (default 20).

// Tests may unwrap: a panic is how a test reports a failure.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};

use cashgate::domain::{Amount, ClientId, Email, Lang, PaymentId, Phone, StoreId, TransId};
use cashgate::machine::{Actor, Decision, Event, HoldReason, Match, StateName};
use cashgate::merchant::StoreSettings;
use cashgate::payments::{NewPayment, Payments, PaymentsOptions, TransactionRecord};
use jiff::Timestamp;
use rust_decimal::Decimal;

const LISTED: &str = "owner@example.com";

fn main() {
    if let Ok(dir) = std::env::var("CRASH_CHILD") {
        let seed = std::env::var("CRASH_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(1);
        child(Path::new(&dir), seed);
        return;
    }
    let cycles: u64 = std::env::var("CRASH_CYCLES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20);
    let dir = tempfile::tempdir().expect("tempdir");
    let mut checked = 0usize;
    for cycle in 0..cycles {
        checked += parent_cycle(dir.path(), cycle);
    }
    let store = open(dir.path());
    let payments: usize = StateName::ALL
        .iter()
        .map(|s| store.payments_in_state(*s, None, usize::MAX).unwrap().len())
        .sum();
    println!(
        "crash_transition: {cycles} cycles, {checked} returned transitions checked, {payments} payments stored, 0 problems"
    );
}

/// Runs one child, kills it after a random number of returned transitions,
/// and checks what the folder holds. Returns how many lines it checked.
fn parent_cycle(dir: &Path, cycle: u64) -> usize {
    let mut rng = Rng(cycle.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let kill_after = 1 + rng.below(60);
    let mut child = Command::new(std::env::current_exe().expect("own path"))
        .env("CRASH_CHILD", dir)
        .env("CRASH_SEED", (cycle + 1).to_string())
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn child");
    let stdout = child.stdout.take().expect("child stdout");
    let mut returned = Vec::new();
    for line in BufReader::new(stdout).lines() {
        let line = line.expect("child output");
        returned.push(line);
        if u64::try_from(returned.len()).unwrap_or(u64::MAX) >= kill_after {
            break;
        }
    }
    child.kill().expect("SIGKILL");
    let status = child.wait().expect("reap child");
    assert!(
        !status.success(),
        "the child must die by the signal, not finish: {status:?}"
    );

    let store = open(dir);
    for line in &returned {
        check_line(&store, line);
    }
    let problems = store.verify().expect("verify");
    assert!(problems.is_empty(), "cycle {cycle}: {problems:#?}");
    store.close().expect("close");
    returned.len()
}

/// `created ID` or `applied ID VERSION STATE`: the write must be there.
fn check_line(store: &Payments, line: &str) {
    let parts: Vec<&str> = line.split(' ').collect();
    let id = PaymentId::parse(parts.get(1).copied().unwrap_or_default()).expect("payment id");
    let record = store
        .payment(&id)
        .expect("read")
        .unwrap_or_else(|| panic!("lost: {line}"));
    if parts[0] == "applied" {
        let version: u64 = parts[2].parse().expect("version");
        assert!(record.version >= version, "lost transition: {line}");
        let history = store.history(&id).expect("history");
        let entry = &history[usize::try_from(version - 1).expect("index")];
        assert_eq!(entry.to.as_str(), parts[3], "audit of {line}");
        let outbox = store.outbox_of(&id).expect("outbox");
        let wanted = entry.intents.iter().filter(|k| k.queues_outbox()).count();
        assert_eq!(
            outbox.iter().filter(|o| o.version == version).count(),
            wanted,
            "outbox of {line}"
        );
    }
}

fn open(dir: &Path) -> Payments {
    Payments::open(dir, PaymentsOptions::default()).expect("open store")
}

/// The child: drives payments through the machine forever, printing each
/// write after it is durable, until it is killed.
fn child(dir: &Path, seed: u64) {
    let store = open(dir);
    let store_id = StoreId::parse("5").expect("store id");
    let mut settings = StoreSettings::default();
    settings.anti_spam.approvers = vec![Email::parse(LISTED).expect("email")];
    store
        .stores()
        .put(&store_id, &settings)
        .and_then(|w| w.durable_blocking())
        .expect("settings");
    let mut rng = Rng(seed);
    let mut out = std::io::stdout().lock();
    for n in 0.. {
        let now = Timestamp::now();
        let trans_id = TransId::parse(&format!("c{seed}n{n}")).expect("trans id");
        let phone = Phone::parse("01012345678").expect("phone");
        let amount = Amount::parse("100").expect("amount");
        let tx = TransactionRecord::new(
            store_id.clone(),
            trans_id.clone(),
            Some(phone.clone()),
            amount,
            now,
            now,
        );
        store
            .put_transaction(&tx)
            .and_then(|w| w.durable_blocking())
            .expect("tx");
        let new = NewPayment {
            store_id: store_id.clone(),
            client_id: ClientId::try_from(u32::try_from(n % 1000 + 1).expect("client"))
                .expect("client"),
            phone,
            amount,
            lang: Lang::En,
            invoice: None,
        };
        let record = store
            .create_payment(&new, now)
            .and_then(|w| w.durable_blocking())
            .expect("create");
        writeln!(out, "created {}", record.id)
            .and_then(|()| out.flush())
            .expect("stdout");
        for event in script(&mut rng, &trans_id) {
            if let Ok(written) = store
                .apply(&record.id, &event, Timestamp::now())
                .expect("apply")
            {
                let applied = written.durable_blocking().expect("durable");
                writeln!(
                    out,
                    "applied {} {} {}",
                    applied.record.id, applied.record.version, applied.to
                )
                .and_then(|()| out.flush())
                .expect("stdout");
            }
        }
    }
}

/// A random path through the machine for one payment.
fn script(rng: &mut Rng, trans_id: &TransId) -> Vec<Event> {
    let hold = rng.below(2) == 0;
    let matched = Event::Matched(Match {
        trans_id: trans_id.clone(),
        credit_amount: Decimal::new(10000, 2),
        hold_reasons: if hold {
            vec![HoldReason::NewPhone]
        } else {
            vec![]
        },
        competing_clients: Vec::new(),
    });
    let approver = Decision {
        actor: Actor::Approver {
            email: Email::parse(LISTED).expect("email"),
            ip: None,
            user_agent: None,
        },
        note: None,
    };
    let operator = Decision {
        actor: Actor::Operator {
            by: cashgate::machine::OperatorName::Admin,
            ip: None,
        },
        note: None,
    };
    let mut events = vec![matched];
    if hold {
        match rng.below(3) {
            0 => events.push(Event::Reject(approver.clone())),
            1 => events.push(Event::ApprovalWindowOver),
            _ => events.push(Event::Approve(approver)),
        }
    }
    match rng.below(4) {
        0 => events.push(Event::CreditSucceeded),
        1 => events.extend([Event::ReconciledAbsent, Event::ReconciledFound]),
        2 => events.extend([
            Event::CreditPermanentFailure {
                reason: "Authentication Failed".into(),
            },
            Event::Retry(operator.clone()),
            Event::CreditSucceeded,
        ]),
        _ => events.extend([
            Event::Unreconcilable {
                reason: "timeout".into(),
            },
            Event::MarkCredited(operator),
        ]),
    }
    events
}

/// xorshift64: enough randomness for kill points and paths.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}
