//! Crash loop of crediting: the real `cashgate` binary credits a storm of
//! payments into the WHMCS emulator (in this process) while the emulator
//! injects faults (commit then drop, commit then 500, commit then stall,
//! 500 before commit) and the test SIGKILLs the daemon at random moments —
//! also between "in flight" and the answer — and restarts it on the same
//! data folder. At the end no transaction is credited twice in the ledger,
//! each `credited` payment has exactly one credit, every other credit
//! belongs to a `credit_unknown` payment, and every payment is final or
//! waits for an operator with a reason.
//!
//! `CRASH_CYCLES` (default 20) and `CRASH_PAYMENTS` (default 200) scale it.

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
use emulator::{AddCreditFault, StartEmulator, WhmcsEmulator};
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
    let mut sent = 0usize;
    let started = Instant::now();
    for cycle in 0..cycles {
        let daemon = Binary::start(&config, &data);
        if cycle == 0 {
            put_store(&daemon, &whmcs).await;
        }
        for _ in 0..3 {
            let fault = match rng.below(4) {
                0 => AddCreditFault::CommitThenDrop,
                1 => AddCreditFault::CommitThen500,
                2 => AddCreditFault::CommitThenStall(Duration::from_millis(400)),
                _ => AddCreditFault::FailBefore500,
            };
            whmcs.fail_next_add_credit(1, fault);
        }
        let storm = storm(&daemon, sent, per_cycle);
        let kill_after = Duration::from_millis(rng.below(700));
        let _ = tokio::time::timeout(kill_after, storm).await;
        sent += per_cycle;
        daemon.kill();
    }
    // A last run without faults or kills settles what can be settled.
    let daemon = Binary::start(&config, &data);
    let payments = settle(&daemon).await;
    explain_duplicates(&daemon, &payments, &whmcs).await;
    verify(&payments, &whmcs, cycles, started.elapsed());
    daemon.kill();
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
    let store = json!({"ingest_token": "tok", "whmcs": {"api_url": whmcs.url(), "identifier": emulator::IDENTIFIER, "secret": emulator::SECRET}});
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

/// Payments `first..first + n`: each a transaction and a module check,
/// all at once. Requests cut by the kill simply fail.
async fn storm(daemon: &Binary, first: usize, n: usize) {
    let mut tasks = tokio::task::JoinSet::new();
    for i in first..first + n {
        let http = daemon.http.clone();
        let ingest = daemon.url("/api/stores/5/transactions");
        let check = daemon.url("/api/payment_link_check");
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
            ];
            let _ = http.get(check).query(&query).send().await;
        });
    }
    while tasks.join_next().await.is_some() {}
}

/// Every payment, once none is still `crediting` (or after 120 s).
async fn settle(daemon: &Binary) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let mut payments = Vec::new();
        for state in STATES {
            let url = daemon.url(&format!("/admin/payments?state={state}&limit=1000"));
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
            payments.extend(body["payments"].as_array().cloned().unwrap_or_default());
        }
        let open = payments
            .iter()
            .filter(|p| p["state"] == "crediting")
            .count();
        if open == 0 || Instant::now() > deadline {
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
        if !matches!(p["state"].as_str(), Some("rejected" | "expired")) {
            assert!(
                by_trans.insert(trans_id.clone(), p).is_none(),
                "two live payments claim {trans_id}"
            );
        }
    }
    let mut credits = 0usize;
    let mut duplicates = 0usize;
    let mut unknown_credits = 0usize;
    for (client, ledger) in whmcs.ledgers() {
        for line in ledger {
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
    let count = |s: &str| payments.iter().filter(|p| p["state"] == s).count();
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
