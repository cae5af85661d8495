//! Crash loop of crediting: the real `cashgate` binary credits a storm of
//! payments into the WHMCS emulator (in this process) while the emulator
//! injects faults (commit then drop, commit then 500, commit then stall,
//! 500 before commit) and the test SIGKILLs the daemon at random moments —
//! also between "in flight" and the answer — and restarts it on the same
//! data folder. At the end no transaction is credited twice in the ledger,
//! each `credited` payment has exactly one credit, every other credit
//! belongs to a `credit_unknown` payment, and every payment is final or
//! waits for an operator with a reason; and the data folder, reopened,
//! passes `Payments::verify`.
//!
//! A third of the payments name an invoice (some for the whole credit,
//! some larger than it), and ApplyCredit gets faults too: at the end no
//! invoice has two applications, every `applied` invoice has exactly one
//! of the amount recorded, and every application belongs to a credited
//! payment whose invoice is `applied` (or `failed`, for an operator).
//!
//! `CRASH_CYCLES` (default 20) and `CRASH_PAYMENTS` (default 200) scale it.
//! `CRASH_SECONDS` (default none) stops starting new cycles once that much
//! time has passed, whichever comes first; `CRASH_SEED` varies the fault
//! choices and kill moments between runs of the same size. Before the
//! assertions the test prints one `crash_credit summary:` line of
//! `key=value` pairs (cycles, payments, credits, duplicates, problems,
//! elapsed_s) for `scripts/soak`.

// Tests may unwrap: a panic is how a test reports a failure.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "it/support/binary.rs"]
#[allow(dead_code)]
mod binary;
#[path = "support/whmcs_emulator.rs"]
mod emulator;

use std::collections::HashMap;
use std::path::Path;
use std::time::{Duration, Instant};

use binary::Binary;
use emulator::{CommitFault, StartEmulator, WhmcsEmulator};
use serde_json::{Value, json};

const STATES: [&str; 8] = [
    "searching",
    "held",
    "crediting",
    "credit_failed",
    "credit_unknown",
    "credited",
    "rejected",
    "expired",
];

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(run());
}

async fn run() {
    cashgate::daemon::install_crypto_provider();
    let cycles = env("CRASH_CYCLES", 20).max(1);
    let total = env("CRASH_PAYMENTS", 200);
    let per_cycle = total.div_ceil(cycles);
    let whmcs = WhmcsEmulator::start().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let config = write_config(dir.path(), &data);
    let mut rng = Rng(0x5DEE_CE66_D1CE_5EED ^ u64::try_from(cycles).unwrap_or(1));
    let seed = u64::try_from(env("CRASH_SEED", 0)).unwrap_or(0);
    if seed != 0 {
        // xorshift must not start from 0.
        rng = Rng((rng.0 ^ seed.rotate_left(29)).max(1));
    }
    let budget = Some(env("CRASH_SECONDS", 0))
        .filter(|&s| s > 0)
        .and_then(|s| u64::try_from(s).ok())
        .map(Duration::from_secs);
    let mut cycles_run = 0usize;
    let mut sent = 0usize;
    let started = Instant::now();
    for cycle in 0..cycles {
        if budget.is_some_and(|b| started.elapsed() >= b) {
            break;
        }
        cycles_run += 1;
        let daemon = Binary::start(&config, &data);
        if cycle == 0 {
            put_store(&daemon, &whmcs).await;
        }
        for _ in 0..3 {
            whmcs.fail_next_add_credit(1, commit_fault(&mut rng));
            whmcs.fail_next_apply_credit(1, commit_fault(&mut rng));
        }
        let storm = storm(&daemon, &whmcs, sent, per_cycle);
        let kill_after = Duration::from_millis(rng.below(700));
        let _ = tokio::time::timeout(kill_after, storm).await;
        sent += per_cycle;
        daemon.kill();
    }
    // A last run without faults or kills settles what can be settled.
    let daemon = Binary::start(&config, &data);
    let payments = settle(&daemon, sent).await;
    explain_duplicates(&daemon, &payments, &whmcs).await;
    // Under a time budget, report the cycles that ran.
    let cycles = cycles_run;
    summarize(&payments, &whmcs, cycles, started.elapsed());
    verify(&payments, &whmcs, cycles, started.elapsed());
    daemon.kill();
    // What the data folder itself says: one live claim per transaction,
    // complete audit trails, every outbox entry accounted for, indexes
    // and counts true to the records.
    let store = cashgate::payments::Payments::open(&data, Default::default()).expect("reopen");
    let problems = store.verify().expect("verify");
    assert!(
        problems.is_empty(),
        "the data folder is inconsistent: {problems:#?}"
    );
}

/// One of the faults of a call that changes something (AddCredit or
/// ApplyCredit).
fn commit_fault(rng: &mut Rng) -> CommitFault {
    match rng.below(4) {
        0 => CommitFault::CommitThenDrop,
        1 => CommitFault::CommitThen500,
        2 => CommitFault::CommitThenStall(Duration::from_millis(400)),
        _ => CommitFault::FailBefore500,
    }
}

/// The invoice payment `i` names, if any: every third one, for the whole
/// credit (`100 + i`) or for 50 more than it (paid in part).
fn invoice_total(i: usize) -> Option<String> {
    match i % 6 {
        0 => Some(format!("{}.00", 100 + i)),
        3 => Some(format!("{}.00", 150 + i)),
        _ => None,
    }
}

fn write_config(dir: &Path, data: &Path) -> std::path::PathBuf {
    let config = dir.join("cashgate.toml");
    let text = format!(
        "listen = \"127.0.0.1:0\"\ndata_dir = \"{}\"\ncheck_wait_ms = 200\n\
         [limits]\nchecks_per_minute_per_ip = 1000000\nchecks_per_minute_per_client = 1000000\n\
         checks_per_minute_per_phone = 1000000\nrequests_per_minute_per_store = 1000000\ningest_per_minute_per_store = 1000000\n\
         polls_per_minute_per_ip = 1000000\n\
         [whmcs]\ntimeout_ms = 250\nretry_base_ms = 20\nretry_max_ms = 100\nreconcile_delay_ms = 50\nreconcile_tries_max = 50\ncredit_tries_max = 50\n\
         [workers]\npoll_interval_ms = 20\n",
        data.display()
    );
    std::fs::write(&config, text).expect("config");
    config
}

async fn put_store(daemon: &Binary, whmcs: &WhmcsEmulator) {
    let store = json!({"name": "Crash", "currency_rate": "1", "ingest_token": "tok", "whmcs": {"api_url": whmcs.url(), "identifier": emulator::IDENTIFIER, "secret": emulator::SECRET}});
    let r = daemon
        .http
        .put(daemon.url("/admin/stores/5"))
        .bearer_auth(&daemon.admin_token)
        .json(&store)
        .send()
        .await
        .expect("PUT store");
    assert!(r.status().is_success(), "{r:?}");
}

/// Payments `first..first + n`: each a transaction and a module check
/// (with an invoice for some), all at once. Requests cut by the kill
/// simply fail.
async fn storm(daemon: &Binary, whmcs: &WhmcsEmulator, first: usize, n: usize) {
    let mut tasks = tokio::task::JoinSet::new();
    for i in first..first + n {
        let http = daemon.http.clone();
        let ingest = daemon.url("/api/stores/5/transactions");
        let check = daemon.url("/api/payment_link_check");
        let client = u32::try_from(i + 1).expect("client id");
        let invoice = invoice_total(i)
            .map(|total| whmcs.create_invoice(client, &total, "Unpaid").to_string())
            .unwrap_or_default();
        tasks.spawn(async move {
            let amount = format!("{}", 100 + i);
            let tx =
                json!({"trans_id": format!("t{i:06}"), "phone": "01012345678", "amount": amount});
            let _ = http.post(ingest).bearer_auth("tok").json(&tx).send().await;
            let client = (i + 1).to_string();
            let query = [
                ("store_id", "5"),
                ("phone", "01012345678"),
                ("amount", amount.as_str()),
                ("client_id", client.as_str()),
                ("invoice_id", invoice.as_str()),
            ];
            let _ = http.get(check).query(&query).send().await;
        });
    }
    while tasks.join_next().await.is_some() {}
}

/// Most payments one list answers: more in one state would be cut.
const LIST_MAX: usize = 1000;

/// Every payment, once none is still `crediting` and no credited one's
/// invoice is still `pending` (or after 120 s). A payment that changed
/// state between two lists of one round is in both: that round is read
/// again.
async fn settle(daemon: &Binary, sent: usize) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let mut payments = Vec::new();
        for state in STATES {
            let url = daemon.url(&format!("/admin/payments?state={state}&limit={LIST_MAX}"));
            let body: Value = daemon
                .http
                .get(url)
                .bearer_auth(&daemon.admin_token)
                .send()
                .await
                .expect("list")
                .json()
                .await
                .expect("json");
            let listed = body["payments"].as_array().cloned().unwrap_or_default();
            assert!(
                sent <= LIST_MAX || listed.len() < LIST_MAX,
                "{state}: the list may be cut; run at most {LIST_MAX} CRASH_PAYMENTS"
            );
            payments.extend(listed);
        }
        let mut ids: Vec<&str> = payments.iter().filter_map(|p| p["id"].as_str()).collect();
        ids.sort_unstable();
        let moved = ids.windows(2).any(|w| w[0] == w[1]);
        let open = payments
            .iter()
            .filter(|p| {
                p["state"] == "crediting"
                    || (p["state"] == "credited" && p["invoice"]["state"] == "pending")
            })
            .count();
        if (open == 0 && !moved) || Instant::now() > deadline {
            return payments;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Prints the full history of any payment whose transaction was credited
/// more than once, so a failure can be understood.
async fn explain_duplicates(daemon: &Binary, payments: &[Value], whmcs: &WhmcsEmulator) {
    for p in payments.iter().filter(|p| !p["claim"].is_null()) {
        let trans_id = p["claim"]["trans_id"].as_str().unwrap_or_default();
        let description = format!("VodafoneCash payment - trans_id: {trans_id}");
        if whmcs.credits_with_description(&description) > 1 {
            let url = daemon.url(&format!(
                "/admin/payments/{}",
                p["id"].as_str().unwrap_or_default()
            ));
            let detail: Value = daemon
                .http
                .get(url)
                .bearer_auth(&daemon.admin_token)
                .send()
                .await
                .expect("detail")
                .json()
                .await
                .expect("json");
            eprintln!("DUPLICATE {trans_id}: {detail:#}");
            eprintln!(
                "ledger: {:?}",
                whmcs
                    .ledgers()
                    .into_iter()
                    .flat_map(|(_, l)| l)
                    .filter(|c| c.description == description)
                    .collect::<Vec<_>>()
            );
        }
    }
}

fn verify(payments: &[Value], whmcs: &WhmcsEmulator, cycles: usize, took: Duration) {
    let mut by_trans: HashMap<String, &Value> = HashMap::new();
    for p in payments.iter().filter(|p| !p["claim"].is_null()) {
        let trans_id = p["claim"]["trans_id"]
            .as_str()
            .expect("trans_id")
            .to_owned();
        if !matches!(p["state"].as_str(), Some("rejected" | "expired"))
            && let Some(other) = by_trans.insert(trans_id.clone(), p)
        {
            panic!("two live payments claim {trans_id}: {other} and {p}");
        }
    }
    let mut credits = 0usize;
    let mut duplicates = 0usize;
    let mut unknown_credits = 0usize;
    for (client, ledger) in whmcs.ledgers() {
        // `Credit Applied to Invoice #N` lines are checked with the invoices.
        for line in ledger.into_iter().filter(|l| l.relid == 0) {
            credits += 1;
            let trans_id = line
                .description
                .rsplit(' ')
                .next()
                .unwrap_or_default()
                .to_owned();
            if whmcs.credits_with_description(&line.description) > 1 {
                duplicates += 1;
            }
            let owner = by_trans.get(&trans_id).unwrap_or_else(|| {
                panic!("ledger credit for {trans_id} (client {client}) has no payment")
            });
            match owner["state"].as_str() {
                Some("credited") => {}
                Some("credit_unknown") => unknown_credits += 1,
                other => panic!("ledger credit for {trans_id} belongs to a {other:?} payment"),
            }
        }
    }
    for p in payments {
        let state = p["state"].as_str().unwrap_or_default();
        match state {
            "credited" => {
                let trans_id = p["claim"]["trans_id"].as_str().expect("claim");
                let description = format!("VodafoneCash payment - trans_id: {trans_id}");
                assert_eq!(
                    whmcs.credits_with_description(&description),
                    1,
                    "credited {trans_id} must have exactly one credit"
                );
            }
            "rejected" | "expired" | "searching" => {}
            "credit_unknown" | "credit_failed" => assert!(
                p["state_detail"].is_string(),
                "{state} without a reason: {p}"
            ),
            other => panic!("payment left in {other}: {p}"),
        }
    }
    let invoices = verify_invoices(payments, whmcs);
    let count = |s: &str| payments.iter().filter(|p| p["state"] == s).count();
    println!("{invoices}");
    println!(
        "crash_credit: {cycles} cycles, {} payments ({} credited, {} credit_unknown, {} credit_failed, {} searching), \
         {credits} ledger credits ({unknown_credits} of them for credit_unknown payments), {duplicates} duplicates, {} AddCredit calls, {} GetCredits calls, {:.1} s",
        payments.len(),
        count("credited"),
        count("credit_unknown"),
        count("credit_failed"),
        count("searching"),
        whmcs.add_credit_calls(),
        whmcs.get_credits_calls(),
        took.as_secs_f64()
    );
    assert_eq!(duplicates, 0, "a transaction was credited twice");
}

/// Prints the `crash_credit summary:` line. It counts, without stopping at
/// the first, what `verify` asserts, so a soak reports every problem of a
/// failed run (the first few also in words, on stderr).
fn summarize(payments: &[Value], whmcs: &WhmcsEmulator, cycles: usize, took: Duration) {
    let problems = problems(payments, whmcs);
    for problem in problems.iter().take(20) {
        eprintln!("PROBLEM {problem}");
    }
    // `Credit Applied to Invoice #N` lines (relid set) are not credits.
    let lines: Vec<_> = whmcs
        .ledgers()
        .into_iter()
        .flat_map(|(_, l)| l)
        .filter(|l| l.relid == 0)
        .collect();
    let credits = lines.len();
    let duplicates = lines
        .iter()
        .filter(|line| whmcs.credits_with_description(&line.description) > 1)
        .count();
    let count = |s: &str| payments.iter().filter(|p| p["state"] == s).count();
    println!(
        "crash_credit summary: cycles={cycles} payments={} credited={} credit_unknown={} credit_failed={} \
         credits={credits} duplicates={duplicates} problems={} add_credit_calls={} elapsed_s={:.1}",
        payments.len(),
        count("credited"),
        count("credit_unknown"),
        count("credit_failed"),
        problems.len(),
        whmcs.add_credit_calls(),
        took.as_secs_f64()
    );
}

/// What `verify` would assert, as sentences.
fn problems(payments: &[Value], whmcs: &WhmcsEmulator) -> Vec<String> {
    let mut problems = Vec::new();
    let mut by_trans: HashMap<String, &Value> = HashMap::new();
    for p in payments.iter().filter(|p| !p["claim"].is_null()) {
        let trans_id = p["claim"]["trans_id"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        if !matches!(p["state"].as_str(), Some("rejected" | "expired"))
            && by_trans.insert(trans_id.clone(), p).is_some()
        {
            problems.push(format!("two live payments claim {trans_id}"));
        }
    }
    for (client, ledger) in whmcs.ledgers() {
        for line in ledger.into_iter().filter(|l| l.relid == 0) {
            let trans_id = line.description.rsplit(' ').next().unwrap_or_default();
            if whmcs.credits_with_description(&line.description) > 1 {
                problems.push(format!("{trans_id} credited more than once"));
            }
            match by_trans.get(trans_id).map(|p| p["state"].as_str()) {
                None => problems.push(format!(
                    "ledger credit for {trans_id} (client {client}) has no payment"
                )),
                Some(Some("credited" | "credit_unknown")) => {}
                Some(other) => problems.push(format!(
                    "ledger credit for {trans_id} belongs to a {other:?} payment"
                )),
            }
        }
    }
    for p in payments {
        match p["state"].as_str().unwrap_or_default() {
            "credited" => {
                let trans_id = p["claim"]["trans_id"].as_str().unwrap_or_default();
                let description = format!("VodafoneCash payment - trans_id: {trans_id}");
                let n = whmcs.credits_with_description(&description);
                if n != 1 {
                    problems.push(format!("credited {trans_id} has {n} credits"));
                }
            }
            "rejected" | "expired" | "searching" => {}
            state @ ("credit_unknown" | "credit_failed") if !p["state_detail"].is_string() => {
                problems.push(format!("{state} without a reason: {}", p["id"]));
            }
            "credit_unknown" | "credit_failed" => {}
            other => problems.push(format!("payment {} left in {other}", p["id"])),
        }
    }
    problems
}

/// No invoice has two applications; each `applied` invoice has one, of the
/// amount recorded; each application belongs to a credited payment whose
/// invoice is `applied` (or `failed`, left to an operator). A summary.
fn verify_invoices(payments: &[Value], whmcs: &WhmcsEmulator) -> String {
    let mut states: HashMap<String, usize> = HashMap::new();
    let mut owners: HashMap<u64, &Value> = HashMap::new();
    for p in payments.iter().filter(|p| !p["invoice"].is_null()) {
        let invoice = p["invoice"]["id"].as_u64().expect("invoice id");
        assert!(
            owners.insert(invoice, p).is_none(),
            "two payments name {invoice}"
        );
        let state = p["invoice"]["state"].as_str().unwrap_or_default();
        *states.entry(state.to_owned()).or_default() += 1;
        let id = u32::try_from(invoice).expect("invoice id");
        let applications = whmcs.applications_to(id);
        assert!(
            applications <= 1,
            "invoice {invoice} applied {applications} times: {p}"
        );
        if state == "applied" {
            let application = whmcs
                .applications()
                .into_iter()
                .find(|a| a.invoice == id)
                .unwrap_or_else(|| panic!("applied invoice {invoice} has no application: {p}"));
            assert_eq!(
                application.amount,
                p["invoice"]["applied_amount"].as_str().unwrap_or_default(),
                "{p}"
            );
        }
    }
    let applications = whmcs.applications();
    for a in &applications {
        let owner = owners
            .get(&u64::from(a.invoice))
            .unwrap_or_else(|| panic!("application to {} has no payment", a.invoice));
        assert_eq!(owner["state"], "credited", "{owner}");
        assert!(
            matches!(
                owner["invoice"]["state"].as_str(),
                Some("applied" | "failed")
            ),
            "an application to {} but the payment says {owner}",
            a.invoice
        );
    }
    format!(
        "crash_credit invoices: {} named, {applications} applications, states {states:?}, {} ApplyCredit calls, {} GetInvoice calls",
        owners.len(),
        whmcs.apply_credit_calls(),
        whmcs.get_invoice_calls(),
        applications = applications.len(),
    )
}

/// xorshift64 for fault choice and kill moments.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n.max(1)
    }
}
