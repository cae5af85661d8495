//! The status page's long poll under load: 1,000 customers' pages waiting
//! at once, each on its own connection from its own loopback address
//! (127.1.x.y, so `limits.connections_per_ip_max` stays at its default),
//! each holding `GET /api/payments/{id}?wait=25&state=searching` as the
//! page's script does. Then the wallet's transaction for every payment
//! arrives (ingestion as fast as the forwarder API takes it), and each
//! poll must answer with the new state.
//!
//! Prints: the polls held, the daemon's open sockets and resident memory
//! before and while they wait, and the time from each transaction's
//! ingestion to its page's poll answering (p50, p99, max), measured from
//! when the ingestion was sent and from when it was acknowledged (durable).
//! `cargo bench --bench longpoll` (release build; `LONGPOLL_PAGES=N`
//! changes the count).

// Tests may unwrap: a panic is how a test reports a failure.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "support/daemon.rs"]
mod daemon;

use std::net::{Ipv4Addr, SocketAddr};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use daemon::Daemon;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpSocket;
use tokio::sync::Mutex;

const INGEST_TOKEN: &str = "longpoll-ingest-token";
/// Ingestions in flight at once while the changes arrive.
const INGEST_CONCURRENCY: usize = 16;

fn start_daemon(work: &Path) -> Daemon {
    let config = work.join("longpoll.toml");
    let text = format!(
        "listen = \"127.0.0.1:0\"\ndata_dir = \"{}\"\n[limits]\nchecks_per_minute_per_ip = 1000000000\n\
         checks_per_minute_per_client = 1000000000\nchecks_per_minute_per_phone = 1000000000\n\
         requests_per_minute_per_store = 1000000000\ningest_per_minute_per_store = 1000000000\n\
         polls_per_minute_per_ip = 1000000000\nconnections_max = 4096\n[log]\nfilter = \"warn\"\njson = true\n",
        work.join("data").display()
    );
    std::fs::write(&config, text).expect("config");
    Daemon::start(&config)
}

/// `VmRSS` of a process, in MiB.
fn rss_mib(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

/// Open sockets of a process.
fn sockets(pid: u32) -> usize {
    let Ok(entries) = std::fs::read_dir(format!("/proc/{pid}/fd")) else {
        return 0;
    };
    entries
        .filter_map(Result::ok)
        .filter(|e| {
            std::fs::read_link(e.path())
                .is_ok_and(|target| target.to_string_lossy().starts_with("socket:"))
        })
        .count()
}

/// The `i`-th customer's own loopback address.
fn source(i: usize) -> Ipv4Addr {
    let i = u32::try_from(i).expect("count");
    Ipv4Addr::new(
        127,
        1,
        u8::try_from(i / 250).expect("< 62,500"),
        u8::try_from(i % 250 + 1).expect("byte"),
    )
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = (p * (sorted.len() - 1) as f64).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// One page's poll: connects from `from`, sends, and returns the moment
/// the whole answer arrived and its state.
async fn hold_poll(
    from: Ipv4Addr,
    to: SocketAddr,
    id: String,
    ready: Arc<tokio::sync::Barrier>,
) -> (Instant, String) {
    let socket = TcpSocket::new_v4().expect("socket");
    socket
        .bind(SocketAddr::from((from, 0)))
        .expect("bind a loopback source");
    let mut stream = socket.connect(to).await.expect("connect");
    let request = format!(
        "GET /api/payments/{id}?wait=25&state=searching HTTP/1.1\r\nHost: {to}\r\nAccept: application/json\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await.expect("send");
    ready.wait().await;
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.expect("read");
    let arrived = Instant::now();
    let text = String::from_utf8_lossy(&answer);
    let state = text
        .split("\"state\":\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or("?")
        .to_owned();
    (arrived, state)
}

#[tokio::main]
async fn main() {
    let pages: usize = std::env::var("LONGPOLL_PAGES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1000);
    let work = std::env::temp_dir().join(format!("cashgate-longpoll-{}", std::process::id()));
    std::fs::create_dir_all(&work).expect("work folder");
    cashgate::daemon::install_crypto_provider();
    let daemon = start_daemon(&work);
    let pid = daemon.child.id();
    let base = daemon.base();
    let http = reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let token = std::fs::read_to_string(work.join("data/admin_token")).expect("admin token");
    // WHMCS on a closed port: crediting fails to connect and backs off,
    // which keeps the workers' share of the machine small and steady.
    let store = serde_json::json!({"name": "Load Hosting", "ingest_token": INGEST_TOKEN,
        "whmcs": {"api_url": "http://127.0.0.1:9", "identifier": "x", "secret": "y"}});
    let put = http
        .put(format!("{base}/admin/stores/5"))
        .bearer_auth(token.trim())
        .json(&store)
        .send()
        .await
        .unwrap();
    assert!(put.status().is_success(), "{:?}", put.text().await);

    let mut ids = Vec::with_capacity(pages);
    for i in 0..pages {
        let phone = format!("0101{:07}", i);
        let client = (i + 1).to_string();
        let reply = http
            .post(format!("{base}/pay/5"))
            .form(&[
                ("phone", phone.as_str()),
                ("amount", "100"),
                ("client_id", &client),
            ])
            .send()
            .await
            .unwrap();
        let location = reply.headers()["location"].to_str().unwrap().to_owned();
        let id = location
            .split("/payments/")
            .nth(1)
            .unwrap()
            .split('?')
            .next()
            .unwrap()
            .to_owned();
        ids.push(id);
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let rss_before = rss_mib(pid);
    let sockets_before = sockets(pid);

    let ready = Arc::new(tokio::sync::Barrier::new(pages + 1));
    let mut polls = Vec::with_capacity(pages);
    for (i, id) in ids.iter().enumerate() {
        polls.push(tokio::spawn(hold_poll(
            source(i),
            daemon.addr,
            id.clone(),
            ready.clone(),
        )));
    }
    ready.wait().await;
    // Let every request reach its wait.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let waiting = polls.iter().filter(|p| !p.is_finished()).count();
    let rss_waiting = rss_mib(pid);
    let sockets_waiting = sockets(pid);

    // Every payment's transaction arrives.
    let sent_at = Arc::new(Mutex::new(vec![None; pages]));
    let acked_at = Arc::new(Mutex::new(vec![None; pages]));
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let started = Instant::now();
    let mut ingesters = Vec::new();
    for _ in 0..INGEST_CONCURRENCY {
        let (http, base, next, sent_at, acked_at) = (
            http.clone(),
            base.clone(),
            next.clone(),
            sent_at.clone(),
            acked_at.clone(),
        );
        ingesters.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if i >= pages {
                    break;
                }
                let body = serde_json::json!({"trans_id": format!("LP{i:08}"),
                    "phone": format!("0101{:07}", i), "amount": "100"});
                sent_at.lock().await[i] = Some(Instant::now());
                let reply = http
                    .post(format!("{base}/api/stores/5/transactions"))
                    .bearer_auth(INGEST_TOKEN)
                    .json(&body)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(reply.status(), 201);
                acked_at.lock().await[i] = Some(Instant::now());
            }
        }));
    }
    for ingester in ingesters {
        ingester.await.unwrap();
    }
    let ingest_took = started.elapsed();
    let mut from_sent = Vec::new();
    let mut from_acked = Vec::new();
    let mut states = std::collections::BTreeMap::new();
    for (i, poll) in polls.into_iter().enumerate() {
        let (arrived, state) = poll.await.unwrap();
        *states.entry(state).or_insert(0usize) += 1;
        let sent = sent_at.lock().await[i].unwrap();
        let acked = acked_at.lock().await[i].unwrap();
        from_sent.push(arrived.saturating_duration_since(sent));
        from_acked.push(arrived.saturating_duration_since(acked));
    }
    from_sent.sort();
    from_acked.sort();
    println!(
        "long polls held at once: {waiting} of {pages} (each from its own 127.1.x.y address; connections_per_ip_max at its default)"
    );
    println!("daemon sockets: {sockets_before} before, {sockets_waiting} while the polls wait");
    println!(
        "daemon RSS: {rss_before:.1} MiB before, {rss_waiting:.1} MiB while they wait ({:.1} KiB per waiting page)",
        (rss_waiting - rss_before) * 1024.0 / pages as f64
    );
    println!(
        "{pages} transactions ingested in {:.0} ms ({INGEST_CONCURRENCY} at a time)",
        ms(ingest_took)
    );
    println!("states the polls answered: {states:?}");
    println!(
        "poll answered after its transaction was sent: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        ms(percentile(&from_sent, 0.5)),
        ms(percentile(&from_sent, 0.99)),
        ms(percentile(&from_sent, 1.0))
    );
    println!(
        "poll answered after its ingestion was acknowledged (durable): p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        ms(percentile(&from_acked, 0.5)),
        ms(percentile(&from_acked, 0.99)),
        ms(percentile(&from_acked, 1.0))
    );
    drop(daemon);
    let _ = std::fs::remove_dir_all(&work);
}
