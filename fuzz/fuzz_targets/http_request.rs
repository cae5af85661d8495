//! Arbitrary bytes as an HTTP/1.1 connection into the real router (over an
//! in-memory pipe, no socket): never a panic, never a 5xx.
#![no_main]

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use cashgate::antispam::RateLimits;
use cashgate::approvals::Signer;
use cashgate::clock::Clock;
use cashgate::config::Settings;
use cashgate::domain::{Secret, StoreId};
use cashgate::http::{App, Peer, Sessions, handle};
use cashgate::merchant::StoreSettings;
use cashgate::payments::{DbOptions, Payments, PaymentsOptions};
use cashgate::whmcs::WhmcsClient;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use libfuzzer_sys::fuzz_target;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::runtime::Runtime;

static WORLD: OnceLock<(Runtime, Arc<App>)> = OnceLock::new();

fn world() -> &'static (Runtime, Arc<App>) {
    WORLD.get_or_init(|| {
        cashgate::daemon::install_crypto_provider();
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
        let dir = std::env::temp_dir().join(format!("cashgate-fuzz-http-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let options = PaymentsOptions { db: DbOptions { sync_writes: false, ..DbOptions::default() }, ..PaymentsOptions::default() };
        let payments = Payments::open(&dir, options).expect("store");
        let mut settings = Settings { data_dir: dir.clone(), check_wait_ms: 20, ..Settings::default() };
        settings.limits.request_timeout_ms = 2000;
        let store_settings = StoreSettings { ingest_token: Secret::new("tok"), ..StoreSettings::default() };
        payments.stores().put(&StoreId::parse("5").expect("id"), &store_settings).expect("put").durable_blocking().expect("durable");
        let app = App {
            stores: payments.stores().clone(),
            payments,
            limits: Arc::new(RateLimits::new(&settings.limits)),
            whmcs: WhmcsClient::new(Duration::from_millis(200)).expect("client"),
            signer: Arc::new(Signer::from_key([7; 32])),
            settings: Arc::new(settings),
            clock: Clock::System,
            admin_token: Secret::new("admin"),
            public_url: "http://127.0.0.1:8080".into(),
            sessions: Sessions::new(&cashgate::config::ConsoleSettings::default()),
        };
        (runtime, Arc::new(app))
    })
}

/// Every status code in the bytes the server wrote.
fn statuses(reply: &[u8]) -> Vec<u16> {
    let marker = b"HTTP/1.1 ";
    let mut out = Vec::new();
    for i in 0..reply.len().saturating_sub(marker.len() + 3) {
        if &reply[i..i + marker.len()] == marker {
            let digits = &reply[i + marker.len()..i + marker.len() + 3];
            if let Ok(code) = std::str::from_utf8(digits).unwrap_or("").parse::<u16>() {
                out.push(code);
            }
        }
    }
    out
}

fuzz_target!(|data: &[u8]| {
    let (runtime, app) = world();
    let reply = runtime.block_on(async {
        let (mut client, server) = tokio::io::duplex(1 << 16);
        let app = app.clone();
        let peer = Peer { addr: SocketAddr::from(([203, 0, 113, 9], 40000)) };
        let connection = tokio::spawn(async move {
            let service = service_fn(move |req| {
                let app = app.clone();
                async move { Ok::<_, Infallible>(handle(app, peer, req).await) }
            });
            let _ = hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(server), service).await;
        });
        let _ = client.write_all(data).await;
        let _ = client.shutdown().await;
        let mut reply = Vec::new();
        let _ = tokio::time::timeout(Duration::from_secs(3), client.read_to_end(&mut reply)).await;
        drop(client);
        // Wait for the connection task to end (or be cancelled) so nothing
        // it owns outlives this input.
        connection.abort();
        let _ = connection.await;
        reply
    });
    for status in statuses(&reply) {
        assert!(status < 500, "answered {status}: {}", String::from_utf8_lossy(&reply));
    }
});
