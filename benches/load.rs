//! The load benchmark (`scripts/load`): starts a fresh release daemon on
//! loopback over a data folder seeded with 0, 10,000 and 1,000,000
//! payments and transactions, and measures with `wrk` (2 threads) the
//! requests/s and p50/p99 latency of: `/healthz` (the baseline: this server
//! stack's limit on this machine), polls of existing payments, rate-limited
//! checks (429), durable checks that create payments, and SMS ingestion.
//! Each is printed as a ratio to the mean of the run's two baselines (first
//! and last scenario at each scale), with the
//! daemon's peak RSS; and, as the storage limits, raw sled loops with 64
//! writers sharing fsyncs (group commit), measured in the same run: plain
//! inserts, and transactions shaped like a check's (six keys over the
//! seven trees). Every write that must be atomic over several keys takes
//! sled's global transaction lock, so the second is the ceiling for
//! anything that creates a payment.

// Tests may unwrap: a panic is how a test reports a failure.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "support/daemon.rs"]
mod daemon;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::mpsc;
use std::time::Instant;

use cashgate::domain::{Amount, ClientId, Lang, Phone, Secret, StoreId, TransId};
use cashgate::merchant::StoreSettings;
use cashgate::payments::{DbOptions, NewPayment, Payments, PaymentsOptions, TransactionRecord};
use daemon::Daemon;

const WRITERS: usize = 64;
const WRITES_PER_WRITER: usize = 1000;
const POLL_IDS: usize = 1000;

struct Row {
    scale: usize,
    name: &'static str,
    connections: usize,
    rps: f64,
    p50_ms: f64,
    p99_ms: f64,
    non_2xx: u64,
}

fn main() {
    let seconds: u64 = std::env::var("LOAD_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10);
    let scales: Vec<usize> = std::env::var("LOAD_SCALES")
        .unwrap_or_else(|_| "0,10000,1000000".into())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    let work = std::env::temp_dir().join(format!("cashgate-load-{}", std::process::id()));
    std::fs::create_dir_all(&work).expect("work folder");
    let raw = group_commit_rate(&work.join("raw"), RawWrite::Insert);
    println!("raw sled group commit ({WRITERS} writers): {raw:.0} durable inserts/s");
    let raw_tx = group_commit_rate(&work.join("raw-tx"), RawWrite::Transaction);
    println!("raw sled group commit ({WRITERS} writers): {raw_tx:.0} durable transactions/s");
    if std::env::var_os("LOAD_RAW_ONLY").is_some() {
        return;
    }
    let mut rows = Vec::new();
    let mut rss = Vec::new();
    for scale in scales {
        let dir = work.join(format!("scale-{scale}"));
        let started = Instant::now();
        let ids = seed(&dir, scale);
        println!(
            "seeded {scale} payments and transactions in {:.1} s",
            started.elapsed().as_secs_f64()
        );
        let (scale_rows, memory) = measure(&work, &dir, scale, &ids, seconds);
        rows.extend(scale_rows);
        rss.push((scale, memory));
        let size = dir_size(&dir);
        println!(
            "data folder at scale {scale}: {:.0} MiB on disk",
            size as f64 / 1048576.0
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
    print_table(&rows, (raw, raw_tx), &rss);
    let _ = std::fs::remove_dir_all(&work);
}

/// What each raw writer does once: a plain insert, or one transaction
/// shaped like a check's (a 300-byte record, an audit entry and four index
/// entries) over all seven trees cashgate opens.
#[derive(Clone, Copy)]
enum RawWrite {
    Insert,
    Transaction,
}

/// Durable writes/s of raw sled with 64 writers and one flush thread that
/// answers every writer queued during a flush (group commit).
fn group_commit_rate(dir: &Path, write: RawWrite) -> f64 {
    let db = sled::Config::new()
        .path(dir)
        .cache_capacity(64 << 20)
        .open()
        .expect("sled");
    let trees: Vec<sled::Tree> = (0..7)
        .map(|t| db.open_tree(format!("t{t}")).expect("tree"))
        .collect();
    let (tx, rx) = mpsc::channel::<mpsc::Sender<()>>();
    let flusher_db = db.clone();
    let flusher = std::thread::spawn(move || {
        while let Ok(first) = rx.recv() {
            let mut batch = vec![first];
            batch.extend(rx.try_iter());
            let _ = flusher_db.flush();
            for waiter in batch {
                let _ = waiter.send(());
            }
        }
    });
    let started = Instant::now();
    let writers: Vec<_> = (0..WRITERS)
        .map(|w| {
            let db = db.clone();
            let trees = trees.clone();
            let tx = tx.clone();
            std::thread::spawn(move || {
                for i in 0..WRITES_PER_WRITER {
                    let key = format!("w{w:03}-{i:08}");
                    match write {
                        RawWrite::Insert => {
                            let _ = db.insert(key.as_bytes(), &[0u8; 200][..]);
                        }
                        RawWrite::Transaction => raw_transaction(&trees, key.as_bytes()),
                    }
                    let (done_tx, done_rx) = mpsc::channel();
                    let _ = tx.send(done_tx);
                    let _ = done_rx.recv();
                }
            })
        })
        .collect();
    for w in writers {
        let _ = w.join();
    }
    let rate = (WRITERS * WRITES_PER_WRITER) as f64 / started.elapsed().as_secs_f64();
    drop(tx);
    let _ = flusher.join();
    drop((db, trees));
    let _ = std::fs::remove_dir_all(dir);
    rate
}

fn raw_transaction(trees: &[sled::Tree], key: &[u8]) {
    use sled::Transactional;
    let _ = trees.transaction(
        |t| -> sled::transaction::ConflictableTransactionResult<(), ()> {
            t[1].insert(key, &[1u8; 300][..])?;
            t[3].insert([key, b"-1"].concat(), &[2u8; 100][..])?;
            for index in [b'w', b's', b'c', b't'] {
                t[5].insert([&[index][..], key].concat(), &[][..])?;
            }
            Ok(())
        },
    );
}

/// A store "5" and `n` searching payments and unclaimed transactions,
/// written through the store (one flush at the end). Returns payment ids to poll.
fn seed(dir: &Path, n: usize) -> Vec<String> {
    let options = PaymentsOptions {
        db: DbOptions {
            sync_writes: false,
            cache_bytes: 64 << 20,
            ..DbOptions::default()
        },
        ..PaymentsOptions::default()
    };
    let store = Payments::open(dir, options).expect("store");
    let store_id = StoreId::parse("5").expect("id");
    // A store that can credit (checks for one that cannot are refused);
    // no check here matches a transaction, so WHMCS is never called.
    let settings = StoreSettings {
        name: "Load".into(),
        ingest_token: Secret::new("tok"),
        whmcs: cashgate::merchant::WhmcsSettings {
            api_url: "http://127.0.0.1:9".into(),
            identifier: "load".into(),
            secret: Secret::new("load"),
        },
        ..StoreSettings::default()
    };
    store
        .stores()
        .put(&store_id, &settings)
        .expect("put")
        .durable_blocking()
        .expect("durable");
    let now = jiff::Timestamp::now();
    let mut ids = Vec::new();
    for i in 0..n.max(POLL_IDS) {
        let phone = Phone::parse(&format!("012{:08}", i % 100_000_000)).expect("phone");
        let amount = Amount::parse(&format!("{}", 1 + i % 5000)).expect("amount");
        if i < n {
            let tx = TransactionRecord::new(
                store_id.clone(),
                TransId::parse(&format!("seed{i:09}")).expect("trans id"),
                Some(Phone::parse(&format!("015{:08}", i % 100_000_000)).expect("phone")),
                amount,
                now,
                now,
            );
            let _ = store.put_transaction(&tx).expect("tx");
        }
        let new = NewPayment {
            store_id: store_id.clone(),
            client_id: ClientId::try_from(u32::try_from(i % 2_000_000_000 + 1).expect("client"))
                .expect("client"),
            phone,
            amount,
            lang: Lang::En,
            invoice: None,
        };
        let record = store
            .create_payment(&new, now)
            .expect("payment")
            .durable_blocking()
            .expect("durable");
        if ids.len() < POLL_IDS {
            ids.push(record.id.to_string());
        }
    }
    store.close().expect("close");
    // Stamped as the daemon would, so it serves the folder as it is
    // instead of first migrating it (with a backup) as an older one.
    cashgate::data_dir::version::write(dir, cashgate::data_dir::version::CURRENT)
        .expect("format version");
    ids
}

fn start_daemon(work: &Path, dir: &Path) -> Daemon {
    let config = work.join("load.toml");
    let text = format!(
        "listen = \"127.0.0.1:0\"\ndata_dir = \"{}\"\n[limits]\nchecks_per_minute_per_ip = 1000000000\n\
         requests_per_minute_per_store = 1000000000\ningest_per_minute_per_store = 1000000000\npolls_per_minute_per_ip = 1000000000\n\
         connections_max = 4096\nconnections_per_ip_max = 4096\n[log]\nfilter = \"warn\"\njson = true\n",
        dir.display()
    );
    std::fs::write(&config, text).expect("config");
    Daemon::start(&config)
}

/// `VmHWM` (peak) or `VmRSS` (now) of a process, in MiB.
fn rss_mib(pid: u32, field: &str) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

/// Every scenario against one daemon over the seeded folder.
fn measure(
    work: &Path,
    dir: &Path,
    scale: usize,
    ids: &[String],
    seconds: u64,
) -> (Vec<Row>, (f64, f64)) {
    let daemon = start_daemon(work, dir);
    // What the open data folder costs before any request.
    std::thread::sleep(std::time::Duration::from_secs(1));
    let at_start = rss_mib(daemon.child.id(), "VmRSS:");
    let scripts = write_scripts(work, ids);
    let run = |name, script: Option<&PathBuf>, path: &str, connections| {
        let mut row = wrk(&daemon.base(), path, script, connections, seconds);
        row.scale = scale;
        row.name = name;
        row
    };
    let rows = vec![
        run("baseline /healthz", None, "/healthz", 64),
        run("polls", Some(&scripts[0]), "/", 64),
        run("polls, 16 connections", Some(&scripts[0]), "/", 16),
        // One client opening new payments (a new amount each time): past
        // its ten a minute, every check is a 429. (A repeat of an open
        // payment is never limited, so one fixed URL would not do.)
        run("rate-limited checks (429)", Some(&scripts[3]), "/", 64),
        run("durable checks", Some(&scripts[1]), "/", 64),
        run("SMS ingestion", Some(&scripts[2]), "/", 64),
        // wrk and the daemon share two cores, so the baseline drifts by
        // ±10% within a run; ratios use the mean of both baselines.
        run("baseline /healthz, again", None, "/healthz", 64),
    ];
    let peak = rss_mib(daemon.child.id(), "VmHWM:");
    (rows, (at_start, peak))
}

fn write_scripts(work: &Path, ids: &[String]) -> Vec<PathBuf> {
    let list = ids
        .iter()
        .map(|id| format!("\"{id}\""))
        .collect::<Vec<_>>()
        .join(",");
    let polls = format!(
        "local ids = {{{list}}}\nlocal n = 0\nrequest = function()\n  n = n + 1\n  return wrk.format(\"GET\", \"/api/payments/\" .. ids[(n % #ids) + 1])\nend\n"
    );
    let unique = "local threads = 0\nfunction setup(thread)\n  threads = threads + 1\n  thread:set(\"tid\", threads)\nend\n\
                  function init(args)\n  n = tid * 10000000\nend\n";
    let checks = format!(
        "{unique}request = function()\n  n = n + 1\n  return wrk.format(\"GET\", string.format(\"/api/payment_link_check?phone=010%08d&amount=100&store_id=5&client_id=%d\", n % 100000000, n))\nend\n"
    );
    let limited = format!(
        "{unique}request = function()\n  n = n + 1\n  return wrk.format(\"GET\", string.format(\"/api/payment_link_check?phone=01012345678&amount=%d&store_id=5&client_id=7\", 1 + n % 10000000))\nend\n"
    );
    let ingest = format!(
        "{unique}wrk.method = \"POST\"\nwrk.headers[\"Authorization\"] = \"Bearer tok\"\nwrk.headers[\"Content-Type\"] = \"application/json\"\n\
         request = function()\n  n = n + 1\n  return wrk.format(nil, \"/api/stores/5/transactions\", nil, string.format('{{\"trans_id\":\"L%d\",\"phone\":\"011%08d\",\"amount\":\"50\"}}', n, n % 100000000))\nend\n"
    );
    [
        ("polls.lua", polls),
        ("checks.lua", checks),
        ("ingest.lua", ingest),
        ("limited.lua", limited),
    ]
    .into_iter()
    .map(|(name, text)| {
        let path = work.join(name);
        let mut f = std::fs::File::create(&path).expect("script");
        f.write_all(text.as_bytes()).expect("write script");
        path
    })
    .collect()
}

fn wrk(base: &str, path: &str, script: Option<&PathBuf>, connections: usize, seconds: u64) -> Row {
    let mut cmd = Command::new("wrk");
    cmd.args([
        "-t2",
        &format!("-c{connections}"),
        &format!("-d{seconds}s"),
        "--latency",
    ]);
    if let Some(script) = script {
        cmd.arg("-s").arg(script);
    }
    let output = cmd
        .arg(format!("{base}{path}"))
        .output()
        .expect("wrk (scripts/load installs it)");
    let text = String::from_utf8_lossy(&output.stdout).to_string();
    let number = |prefix: &str| {
        text.lines()
            .find(|l| l.trim_start().starts_with(prefix))
            .and_then(|l| l.split_whitespace().nth(1).map(str::to_owned))
    };
    Row {
        scale: 0,
        name: "",
        connections,
        rps: number("Requests/sec:")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0.0),
        p50_ms: number("50%").map_or(f64::NAN, |v| millis(&v)),
        p99_ms: number("99%").map_or(f64::NAN, |v| millis(&v)),
        non_2xx: text
            .lines()
            .find(|l| l.contains("Non-2xx or 3xx responses:"))
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0),
    }
}

/// wrk's latency text (`812.00us`, `1.23ms`, `2.01s`) in milliseconds.
fn millis(v: &str) -> f64 {
    let (number, factor) = if let Some(n) = v.strip_suffix("us") {
        (n, 0.001)
    } else if let Some(n) = v.strip_suffix("ms") {
        (n, 1.0)
    } else if let Some(n) = v.strip_suffix('s') {
        (n, 1000.0)
    } else {
        (v, 1.0)
    };
    number.parse::<f64>().map_or(f64::NAN, |n| n * factor)
}

fn dir_size(dir: &Path) -> u64 {
    let mut total = 0;
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let path = e.path();
            total += if path.is_dir() {
                dir_size(&path)
            } else {
                e.metadata().map_or(0, |m| m.len())
            };
        }
    }
    total
}

fn mean(values: impl Iterator<Item = f64>) -> f64 {
    let (sum, n) = values.fold((0.0, 0.0), |(sum, n), v| (sum + v, n + 1.0));
    if n > 0.0 { sum / n } else { 1.0 }
}

fn print_table(rows: &[Row], (raw, raw_tx): (f64, f64), rss: &[(usize, (f64, f64))]) {
    println!("\n| stored | scenario | conns | req/s | p50 ms | p99 ms | non-2xx | ratio |");
    println!("|---:|---|---:|---:|---:|---:|---:|---|");
    for row in rows {
        let baseline = mean(
            rows.iter()
                .filter(|r| r.scale == row.scale && r.name.starts_with("baseline"))
                .map(|r| r.rps),
        );
        let ratio = if row.name == "durable checks" || row.name == "SMS ingestion" {
            format!(
                "{:.2}× mean baseline, {:.2}× raw inserts, {:.2}× raw transactions",
                row.rps / baseline,
                row.rps / raw,
                row.rps / raw_tx
            )
        } else {
            format!("{:.2}× mean baseline", row.rps / baseline)
        };
        println!(
            "| {} | {} | {} | {:.0} | {:.2} | {:.2} | {} | {ratio} |",
            row.scale, row.name, row.connections, row.rps, row.p50_ms, row.p99_ms, row.non_2xx
        );
    }
    println!(
        "\nraw sled group commit ({WRITERS} writers): {raw:.0} durable 200-byte inserts/s, \
         {raw_tx:.0} durable check-shaped transactions/s"
    );
    for (scale, (at_start, peak)) in rss {
        println!(
            "RSS of the daemon with {scale} stored: {at_start:.0} MiB a second after start, {peak:.0} MiB at peak"
        );
    }
    let p50 = |scale| {
        rows.iter()
            .find(|r| r.scale == scale && r.name == "durable checks")
            .map(|r| r.p50_ms)
    };
    if let (Some(small), Some(large)) = (p50(10_000), p50(1_000_000)) {
        println!(
            "durable check p50 at 1,000,000 / at 10,000: {:.2}",
            large / small
        );
    }
}
