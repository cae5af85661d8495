//! What junk checks cost on disk, and what the retention sweep gives back
//! (`cargo bench --bench retention`): a daemon (this library, in process,
//! on a manual clock) over a fresh folder takes `RETENTION_CHECKS`
//! (default 20,000) checks through its HTTP API, each a new payment that
//! no money answers; the folder's size is measured after them, after
//! their search window closed and after the sweep removed them
//! (`retention.keep_days` later) — in `RETENTION_WAVES` (default 3) waves,
//! then after a restart. sled does not shrink its files when data goes; it
//! writes into the space freed, so what retention bounds is the folder's
//! growth: later waves should take (almost) no more room than the first.
//! `RETENTION_SWEEP=0` runs the same waves with nothing removed.

// A benchmark may unwrap: a panic is how it reports a failure.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use cashgate::clock::{Clock, ManualClock};
use cashgate::config::Settings;
use jiff::{SignedDuration, Timestamp};
use serde_json::json;

const CONCURRENCY: usize = 64;

struct Running {
    base: String,
    token: String,
    http: reqwest::Client,
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<()>,
}

fn main() {
    let checks: usize = std::env::var("RETENTION_CHECKS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20_000);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(run(checks));
}

fn settings(dir: &Path) -> Settings {
    let mut s = Settings {
        listen: "127.0.0.1:0".parse().unwrap(),
        data_dir: dir.to_path_buf(),
        ..Settings::default()
    };
    let l = &mut s.limits;
    l.checks_per_minute_per_ip = 1_000_000_000;
    l.checks_per_minute_per_client = 1_000_000_000;
    l.checks_per_minute_per_phone = 1_000_000_000;
    l.requests_per_minute_per_store = 1_000_000_000;
    l.connections_per_ip_max = 4096;
    s.workers.poll_interval_ms = 20;
    s.workers.batch_max = 1000;
    s.retention.interval_ms = 50;
    if !sweeping() {
        s.retention.keep_days = 0;
    }
    s.log.filter = "warn".into();
    s
}

async fn start(dir: &Path, clock: &ManualClock) -> Running {
    cashgate::daemon::install_crypto_provider();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let settings = settings(dir);
    let clock = Clock::from(clock.clone());
    let task = tokio::spawn(async move {
        let shutdown = async {
            let _ = stopped.await;
        };
        cashgate::daemon::run(settings, listener, clock, shutdown)
            .await
            .unwrap();
    });
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    for _ in 0..500 {
        if http.get(format!("{base}/healthz")).send().await.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let token = std::fs::read_to_string(dir.join("admin_token")).unwrap();
    Running {
        base,
        token: token.trim().to_owned(),
        http,
        stop,
        task,
    }
}

impl Running {
    async fn shut(self) {
        let _ = self.stop.send(());
        self.task.await.unwrap();
    }

    async fn expired(&self) -> f64 {
        let text = self
            .http
            .get(format!("{}/metrics", self.base))
            .bearer_auth(&self.token)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        text.lines()
            .find(|l| l.starts_with(r#"cashgate_payments{state="expired"}"#))
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0.0)
    }

    async fn wait_expired(&self, n: usize) {
        let wanted = n as f64;
        while self.expired().await != wanted {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

async fn junk(daemon: &Running, checks: usize, wave: u32) {
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut workers = Vec::new();
    for _ in 0..CONCURRENCY {
        let (http, base, next) = (daemon.http.clone(), daemon.base.clone(), next.clone());
        workers.push(tokio::spawn(async move {
            loop {
                let n = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if n >= checks {
                    break;
                }
                let url = format!(
                    "{base}/api/payment_link_check?store_id=5&phone=010{:08}&amount={}&client_id={}{wave}",
                    n,
                    1 + n % 5000,
                    n + 1
                );
                let status = http.get(url).send().await.unwrap().status();
                assert_eq!(status, 200);
            }
        }));
    }
    for worker in workers {
        worker.await.unwrap();
    }
}

async fn run(checks: usize) {
    let work = tempfile::tempdir().unwrap();
    let dir = work.path().join("data");
    let clock = ManualClock::starting_at(Timestamp::from_second(1_780_000_000).unwrap());
    let daemon = start(&dir, &clock).await;
    let store = json!({"name": "Junk", "currency_rate": "1", "ingest_token": "t",
        "whmcs": {"api_url": "http://127.0.0.1:9", "identifier": "i", "secret": "s"}});
    let put = daemon
        .http
        .put(format!("{}/admin/stores/5", daemon.base))
        .bearer_auth(&daemon.token)
        .json(&store)
        .send()
        .await
        .unwrap();
    assert!(put.status().is_success());
    let empty = settle_size(&dir).await;
    let per = |bytes: u64| bytes.saturating_sub(empty) as f64 / checks as f64;
    // Each wave: junk checks, their windows close, the sweep removes them.
    // sled reuses the space freed, so later waves grow the folder less.
    for wave in 1..=waves() {
        let started = Instant::now();
        junk(&daemon, checks, wave).await;
        let elapsed = started.elapsed().as_secs_f64();
        let full = settle_size(&dir).await;
        println!(
            "wave {wave}: {checks} junk checks in {elapsed:.1} s: folder {} ({:.0} bytes a check since empty)",
            mib(full),
            per(full)
        );
        clock.advance(SignedDuration::from_hours(1));
        let waves_kept = if sweeping() { 1 } else { wave as usize };
        daemon.wait_expired(checks * waves_kept).await;
        let expired = settle_size(&dir).await;
        println!(
            "wave {wave}: their search windows closed: folder {}",
            mib(expired)
        );
        clock.advance(SignedDuration::from_hours(31 * 24));
        let swept_at = Instant::now();
        if !sweeping() {
            println!("wave {wave}: no sweep (RETENTION_SWEEP=0)");
            continue;
        }
        daemon.wait_expired(0).await;
        let sweep_s = swept_at.elapsed().as_secs_f64();
        let swept = settle_size(&dir).await;
        println!(
            "wave {wave}: 31 days later the sweep removed them in {sweep_s:.1} s: folder {}",
            mib(swept)
        );
    }
    daemon.shut().await;
    let daemon = start(&dir, &clock).await;
    let reopened = settle_size(&dir).await;
    println!("after a restart: folder {}", mib(reopened));
    daemon.shut().await;
}

/// `RETENTION_SWEEP=0` keeps everything, to compare.
fn sweeping() -> bool {
    std::env::var("RETENTION_SWEEP").map_or(true, |v| v != "0")
}

fn waves() -> u32 {
    std::env::var("RETENTION_WAVES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3)
}

/// The folder's size once sled's background flush has run.
async fn settle_size(dir: &Path) -> u64 {
    tokio::time::sleep(Duration::from_millis(1500)).await;
    dir_size(dir)
}

fn mib(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1e6)
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
