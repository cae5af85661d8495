//! Connection limits over real sockets: one address cannot take every
//! connection slot, with idle sockets or with long polls; silent and idle
//! connections are closed after their deadlines; behind a trusted proxy
//! the cap applies to each forwarded client, not to the proxy.
//!
//! Linux loopback accepts any 127/8 source address, so each test speaks
//! from several client addresses on one machine.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio::task::JoinSet;
use tokio::time::Instant;

use crate::support::daemon::{TestDaemon, spawn_daemon};

/// The default per-address cap, spelled out so the counts below are clear.
const PER_ADDRESS_MAX: usize = 64;
/// The old global default, small enough for one address to fill it.
const CONNECTIONS_MAX: usize = 1024;
/// Open files the flooding tests need: their sockets and the daemon's.
const DESCRIPTORS_NEEDED: u64 = 6_000;

/// What a socket saw within the time it was given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Seen {
    /// A reply with this status.
    Status(u16),
    /// Closed (or reset) without a status line.
    Closed,
    /// Nothing: the connection is open and waiting.
    Silent,
}

fn ip(last: u8) -> Ipv4Addr {
    Ipv4Addr::new(127, 0, 0, last)
}

async fn connect_from(source: Ipv4Addr, to: SocketAddr) -> TcpStream {
    let socket = TcpSocket::new_v4().expect("socket");
    socket
        .bind(SocketAddr::from((source, 0)))
        .expect("bind a 127/8 source address");
    socket.connect(to).await.expect("connect")
}

/// An HTTP client whose connections come from `source`.
fn client_from(source: Ipv4Addr) -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .local_address(IpAddr::V4(source))
        .build()
        .expect("client")
}

fn get(path: &str, forwarded_for: Option<&str>) -> String {
    let forwarded = forwarded_for.map_or(String::new(), |f| format!("x-forwarded-for: {f}\r\n"));
    format!("GET {path} HTTP/1.1\r\nhost: cashgate\r\n{forwarded}\r\n")
}

/// Reads what `stream` says within `wait`: its first status line, a close,
/// or nothing.
async fn seen_within(stream: &mut TcpStream, wait: Duration) -> Seen {
    let deadline = Instant::now() + wait;
    let mut bytes = Vec::new();
    let mut chunk = [0u8; 1024];
    loop {
        match tokio::time::timeout_at(deadline, stream.read(&mut chunk)).await {
            Err(_) if bytes.is_empty() => return Seen::Silent,
            Ok(Ok(0) | Err(_)) | Err(_) => break,
            Ok(Ok(n)) => bytes.extend_from_slice(&chunk[..n]),
        }
        if bytes.windows(2).any(|w| w == b"\r\n") {
            break;
        }
    }
    let status = String::from_utf8_lossy(&bytes)
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok());
    status.map_or(Seen::Closed, Seen::Status)
}

/// What each socket saw within `wait`, all watched at once; the sockets
/// are given back so the held ones stay open.
async fn seen_by_all(
    streams: Vec<(Ipv4Addr, TcpStream)>,
    wait: Duration,
) -> Vec<(Ipv4Addr, Seen, TcpStream)> {
    let mut watching = JoinSet::new();
    for (source, mut stream) in streams {
        watching.spawn(async move {
            let seen = seen_within(&mut stream, wait).await;
            (source, seen, stream)
        });
    }
    let mut all = Vec::new();
    while let Some(done) = watching.join_next().await {
        all.push(done.expect("watcher"));
    }
    all
}

/// Waits until the daemon closes `stream`, at most `wait`.
async fn closed_within(stream: &mut TcpStream, wait: Duration) -> bool {
    let mut sink = [0u8; 4096];
    tokio::time::timeout(wait, async {
        while let Ok(n) = stream.read(&mut sink).await {
            if n == 0 {
                break;
            }
        }
    })
    .await
    .is_ok()
}

/// Raises this process's soft limit of open files with util-linux's
/// `prlimit` when it is below `needed` (the standard library cannot).
fn ensure_descriptors(needed: u64) {
    let (soft, hard) = open_files_limits();
    if soft < needed {
        let _ = std::process::Command::new("prlimit")
            .arg("--pid")
            .arg(std::process::id().to_string())
            .arg(format!("--nofile={}:{hard}", needed.min(hard)))
            .status();
    }
    let (soft, _) = open_files_limits();
    assert!(
        soft >= needed,
        "this test needs {needed} open files, the limit is {soft}: raise `ulimit -n`"
    );
}

fn open_files_limits() -> (u64, u64) {
    let limits = std::fs::read_to_string("/proc/self/limits").expect("/proc/self/limits");
    let line = limits
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .expect("open files line");
    let value = |n| match line.split_whitespace().nth(n) {
        Some("unlimited") => u64::MAX,
        Some(v) => v.parse().expect("a number"),
        None => 0,
    };
    (value(3), value(4))
}

async fn waiting_payment(daemon: &TestDaemon) -> String {
    daemon.default_store().await;
    let check = daemon.check_simple("42", "100").await;
    check.body["payment_id"].as_str().expect("id").to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn eleven_hundred_idle_sockets_from_one_address_leave_another_address_served_within_a_second()
{
    ensure_descriptors(DESCRIPTORS_NEEDED);
    let daemon = spawn_daemon(|s| {
        s.limits.connections_max = CONNECTIONS_MAX;
        s.limits.connections_per_ip_max = PER_ADDRESS_MAX;
        // Only the per-address cap is at work here, not the deadline.
        s.limits.first_byte_timeout_ms = 120_000;
    })
    .await;
    let mut idle = Vec::new();
    for _ in 0..1_100 {
        idle.push((ip(1), connect_from(ip(1), daemon.addr).await));
    }
    let reply = tokio::time::timeout(
        Duration::from_secs(1),
        client_from(ip(2)).get(daemon.url("/healthz")).send(),
    )
    .await
    .expect("answered within a second")
    .expect("reply");
    assert_eq!(reply.status(), 200);
    let seen = seen_by_all(idle, Duration::from_millis(1500)).await;
    let held = seen.iter().filter(|s| s.1 == Seen::Silent).count();
    let refused = seen.iter().filter(|s| s.1 == Seen::Status(429)).count();
    assert_eq!(held + refused, 1_100, "each was held or told 429");
    assert!(
        (1..=PER_ADDRESS_MAX).contains(&held),
        "{held} held from one address"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn silent_and_idle_connections_are_closed_after_their_deadlines_but_a_long_answer_is_not() {
    let daemon = spawn_daemon(|s| {
        s.limits.first_byte_timeout_ms = 300;
        s.limits.idle_timeout_ms = 600;
    })
    .await;
    let opened = Instant::now();
    let mut silent = connect_from(ip(2), daemon.addr).await;
    assert!(closed_within(&mut silent, Duration::from_secs(5)).await);
    assert!(opened.elapsed() >= Duration::from_millis(300), "not before");

    let mut kept = connect_from(ip(2), daemon.addr).await;
    kept.write_all(get("/healthz", None).as_bytes())
        .await
        .unwrap();
    let sent = Instant::now();
    assert_eq!(
        seen_within(&mut kept, Duration::from_secs(5)).await,
        Seen::Status(200)
    );
    assert!(closed_within(&mut kept, Duration::from_secs(5)).await);
    assert!(sent.elapsed() >= Duration::from_millis(600), "not before");

    // A poll that waits 2 s is being answered, not idle.
    let id = waiting_payment(&daemon).await;
    let mut poll = connect_from(ip(2), daemon.addr).await;
    let path = format!("/api/payments/{id}?wait=2");
    poll.write_all(get(&path, None).as_bytes()).await.unwrap();
    let asked = Instant::now();
    assert_eq!(
        seen_within(&mut poll, Duration::from_secs(10)).await,
        Seen::Status(200)
    );
    assert!(asked.elapsed() >= Duration::from_secs(2), "it did wait");
}

#[tokio::test(flavor = "multi_thread")]
async fn long_polls_from_two_addresses_leave_a_third_address_served() {
    ensure_descriptors(DESCRIPTORS_NEEDED);
    let daemon = spawn_daemon(|s| {
        s.limits.connections_max = CONNECTIONS_MAX;
        s.limits.connections_per_ip_max = PER_ADDRESS_MAX;
    })
    .await;
    let id = waiting_payment(&daemon).await;
    let poll = get(&format!("/api/payments/{id}?wait=30"), None);
    let sources = [ip(11), ip(12)];
    let mut polls = Vec::new();
    for n in 0..1_150 {
        let source = sources[n % 2];
        let mut stream = connect_from(source, daemon.addr).await;
        // A refused socket may be closed already; what it saw is read below.
        let _ = stream.write_all(poll.as_bytes()).await;
        polls.push((source, stream));
    }
    let third = client_from(ip(13));
    for path in ["/healthz".to_owned(), format!("/api/payments/{id}")] {
        let reply =
            tokio::time::timeout(Duration::from_secs(1), third.get(daemon.url(&path)).send())
                .await
                .unwrap_or_else(|_| panic!("{path} answered within a second"))
                .expect("reply");
        assert_eq!(reply.status(), 200, "{path}");
    }
    let seen = seen_by_all(polls, Duration::from_millis(1500)).await;
    for source in sources {
        let from: Vec<Seen> = seen.iter().filter(|s| s.0 == source).map(|s| s.1).collect();
        let waiting = from.iter().filter(|s| **s == Seen::Silent).count();
        let refused = from
            .iter()
            .filter(|s| matches!(s, Seen::Status(429) | Seen::Closed))
            .count();
        assert_eq!(from.len(), 575);
        assert_eq!(waiting + refused, 575, "{source}: {from:?}");
        assert!(
            (1..=PER_ADDRESS_MAX).contains(&waiting),
            "{source}: {waiting} polls waiting"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn behind_a_trusted_proxy_each_forwarded_client_has_the_cap_and_the_proxy_has_none() {
    const CAP: usize = 4;
    let proxy = ip(5);
    let daemon = spawn_daemon(|s| {
        s.limits.connections_per_ip_max = CAP;
        s.trusted_proxies = vec![IpAddr::V4(proxy)];
    })
    .await;
    let id = waiting_payment(&daemon).await;
    let poll = format!("/api/payments/{id}?wait=30");
    let mut streams = Vec::new();
    for _ in 0..10 {
        let mut stream = connect_from(proxy, daemon.addr).await;
        let request = get(&poll, Some("6.6.6.6, 203.0.113.7"));
        stream.write_all(request.as_bytes()).await.unwrap();
        streams.push((proxy, stream));
    }
    let seen = seen_by_all(streams, Duration::from_millis(1500)).await;
    let waiting = seen.iter().filter(|s| s.1 == Seen::Silent).count();
    let limited = seen.iter().filter(|s| s.1 == Seen::Status(429)).count();
    assert_eq!(
        (waiting, limited),
        (CAP, 10 - CAP),
        "one customer's polls are capped"
    );
    // An eleventh connection from the proxy, for another customer.
    let mut other = connect_from(proxy, daemon.addr).await;
    let request = get(&format!("/api/payments/{id}"), Some("203.0.113.8"));
    other.write_all(request.as_bytes()).await.unwrap();
    assert_eq!(
        seen_within(&mut other, Duration::from_secs(2)).await,
        Seen::Status(200),
        "the proxy's sockets are not capped, and another customer is served"
    );
}
