//! `cashgate serve`: built-in defaults, health, graceful stop on SIGTERM.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::daemon::spawn_daemon;

#[tokio::test(flavor = "multi_thread")]
async fn healthz_answers_and_unknown_routes_get_a_json_404() {
    let daemon = spawn_daemon(|_| {}).await;
    let health = daemon
        .http
        .get(daemon.url("/healthz"))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    let missing = daemon.http.get(daemon.url("/nope")).send().await.unwrap();
    assert_eq!(missing.status(), 404);
    let body: serde_json::Value = missing.json().await.unwrap();
    assert_eq!(body["status"], false);
    assert_eq!(body["error"], "invalid_request");
    assert!(
        !daemon.admin_token.is_empty(),
        "an admin token was generated"
    );
    daemon.stop().await;
}

/// The real binary: binds, serves, and on SIGTERM drains and exits 0.
#[test]
fn the_binary_stops_gracefully_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_cashgate"))
        .arg("serve")
        .env("CASHGATE_LISTEN", "127.0.0.1:0")
        .env("CASHGATE_DATA_DIR", dir.path())
        .env("CASHGATE_LOG_JSON", "true")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let addr = loop {
        let line = lines.next().expect("daemon log").unwrap();
        let log: serde_json::Value = serde_json::from_str(&line).unwrap_or_default();
        if let Some(listen) = log["fields"]["listen"].as_str() {
            break listen.to_owned();
        }
    };
    let health = std::net::TcpStream::connect(&addr).and_then(|mut s| {
        use std::io::{Read, Write};
        s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")?;
        let mut reply = String::new();
        s.read_to_string(&mut reply)?;
        Ok(reply)
    });
    assert!(health.unwrap().starts_with("HTTP/1.1 200"));
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let started = Instant::now();
    let exit = loop {
        if let Some(exit) = child.try_wait().unwrap() {
            break exit;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "did not stop on SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(exit.success(), "{exit:?}");
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    assert!(
        rest.iter().any(|l| l.contains("cashgate stopped")),
        "{rest:?}"
    );
    assert!(dir.path().join("admin_token").exists());
}

/// Recovery: a deadline written while the daemon was down fires after it
/// starts, from the timer index, driven by the daemon's clock.
#[tokio::test(flavor = "multi_thread")]
async fn a_deadline_stored_before_a_restart_fires_after_it() {
    use cashgate::domain::{Amount, ClientId, Lang, Phone, StoreId};
    use cashgate::machine::StateName;
    use cashgate::payments::{NewPayment, Payments, PaymentsOptions};

    let daemon = spawn_daemon(|_| {}).await;
    let parked = daemon.stop().await;
    let (dir, clock) = (parked.dir.clone(), parked.clock.clone());
    let new = NewPayment {
        store_id: StoreId::parse("5").unwrap(),
        client_id: ClientId::try_from(42).unwrap(),
        phone: Phone::parse("01012345678").unwrap(),
        amount: Amount::parse("100").unwrap(),
        lang: Lang::En,
        invoice: None,
    };
    let store = Payments::open(dir.path(), PaymentsOptions::default()).unwrap();
    let created = store
        .create_payment(&new, clock.now())
        .unwrap()
        .durable()
        .await
        .unwrap();
    store.close().unwrap();

    clock.advance(jiff::SignedDuration::from_mins(31));
    let daemon = parked.start().await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let dir = daemon.stop().await.dir;

    let store = Payments::open(dir.path(), PaymentsOptions::default()).unwrap();
    let record = store.payment(&created.id).unwrap().unwrap();
    assert_eq!(record.state_name(), StateName::Expired);
    let history = store.history(&created.id).unwrap();
    assert_eq!(history.last().unwrap().event.as_str(), "search_window_over");
    assert!(store.verify().unwrap().is_empty());
    store.close().unwrap();
}

/// A client that never finishes its headers is cut off after
/// `limits.header_read_timeout_ms`.
#[tokio::test(flavor = "multi_thread")]
async fn slow_headers_are_cut_off() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let daemon = spawn_daemon(|s| s.limits.header_read_timeout_ms = 300).await;
    let mut stream = tokio::net::TcpStream::connect(daemon.addr).await.unwrap();
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    let started = std::time::Instant::now();
    let mut rest = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut rest)).await;
    assert!(read.is_ok(), "the connection stayed open");
    assert!(started.elapsed() < Duration::from_secs(3));
}

/// At most `limits.connections_max` connections are served at once; the
/// next one waits until a slot frees.
#[tokio::test(flavor = "multi_thread")]
async fn connections_beyond_the_limit_wait_for_a_free_slot() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let daemon = spawn_daemon(|s| s.limits.connections_max = 2).await;
    // spawn_daemon's health check used a pooled connection: drop the client.
    let held_a = tokio::net::TcpStream::connect(daemon.addr).await.unwrap();
    let held_b = tokio::net::TcpStream::connect(daemon.addr).await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut third = tokio::net::TcpStream::connect(daemon.addr).await.unwrap();
    third
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut reply = Vec::new();
    let early =
        tokio::time::timeout(Duration::from_millis(500), third.read_to_end(&mut reply)).await;
    assert!(
        early.is_err(),
        "served beyond the limit: {:?}",
        String::from_utf8_lossy(&reply)
    );
    drop(held_a);
    drop(held_b);
    let late = tokio::time::timeout(Duration::from_secs(5), third.read_to_end(&mut reply)).await;
    assert!(late.is_ok());
    assert!(String::from_utf8_lossy(&reply).starts_with("HTTP/1.1 200"));
}
