//! `spawn_daemon`: the real server on 127.0.0.1:0 over a fresh data folder,
//! driven by a manual clock, with a WHMCS emulator that test stores point
//! at; stoppable and restartable on the same folder.

use std::net::SocketAddr;
use std::sync::Arc;

use cashgate::clock::{Clock, ManualClock};
use cashgate::config::Settings;
use jiff::Timestamp;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use super::whmcs::{StartEmulator, WhmcsEmulator};

pub struct TestDaemon {
    pub addr: SocketAddr,
    pub clock: ManualClock,
    pub settings: Settings,
    pub admin_token: String,
    pub dir: Arc<tempfile::TempDir>,
    pub http: reqwest::Client,
    /// The WHMCS every store made by `put_store` credits into.
    pub whmcs: Arc<WhmcsEmulator>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<Result<(), cashgate::daemon::DaemonError>>>,
}

/// A stopped daemon: what it needs to start again where it was.
pub struct Parked {
    pub settings: Settings,
    pub dir: Arc<tempfile::TempDir>,
    pub clock: ManualClock,
    pub whmcs: Arc<WhmcsEmulator>,
}

/// Settings for tests: permissive limits, fast workers, short waits.
pub fn test_settings(dir: &std::path::Path) -> Settings {
    let mut s = Settings {
        listen: "127.0.0.1:0".parse().expect("address"),
        data_dir: dir.to_path_buf(),
        check_wait_ms: 2000,
        ..Settings::default()
    };
    s.workers.poll_interval_ms = 20;
    s.whmcs.timeout_ms = 2000;
    s.whmcs.retry_base_ms = 50;
    s.whmcs.retry_max_ms = 200;
    s.whmcs.reconcile_delay_ms = 50;
    s.whmcs.breaker_recheck_ms = 100;
    let l = &mut s.limits;
    l.checks_per_minute_per_ip = 1_000_000;
    l.checks_per_minute_per_client = 1_000_000;
    l.checks_per_minute_per_phone = 1_000_000;
    l.requests_per_minute_per_store = 1_000_000;
    l.ingest_per_minute_per_store = 1_000_000;
    l.polls_per_minute_per_ip = 1_000_000;
    l.references_per_minute_per_ip = 1_000_000;
    l.references_per_minute_per_store = 1_000_000;
    s
}

/// Starts a daemon over a fresh temporary folder with `adjust` applied.
pub async fn spawn_daemon(adjust: impl FnOnce(&mut Settings)) -> TestDaemon {
    let dir = Arc::new(tempfile::tempdir().expect("tempdir"));
    let mut settings = test_settings(dir.path());
    adjust(&mut settings);
    let clock = ManualClock::starting_at(Timestamp::from_second(1_780_000_000).expect("time"));
    let whmcs = Arc::new(WhmcsEmulator::start().await);
    Parked {
        settings,
        dir,
        clock,
        whmcs,
    }
    .start()
    .await
}

impl Parked {
    pub async fn start(self) -> TestDaemon {
        cashgate::daemon::install_crypto_provider();
        let Parked {
            settings,
            dir,
            clock,
            whmcs,
        } = self;
        let listener = tokio::net::TcpListener::bind(settings.listen)
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let (stop_tx, stop_rx) = oneshot::channel::<()>();
        let run_settings = settings.clone();
        let run_clock = Clock::from(clock.clone());
        let task = tokio::spawn(async move {
            cashgate::daemon::run(run_settings, listener, run_clock, async {
                let _ = stop_rx.await;
            })
            .await
        });
        let mut daemon = TestDaemon {
            addr,
            clock,
            admin_token: String::new(),
            settings,
            dir,
            http: reqwest::Client::builder()
                .no_proxy()
                .build()
                .expect("client"),
            whmcs,
            stop: Some(stop_tx),
            task: Some(task),
        };
        daemon.wait_healthy().await;
        let token =
            std::fs::read_to_string(daemon.dir.path().join("admin_token")).unwrap_or_default();
        daemon.admin_token = token.trim().to_owned();
        daemon
    }
}

impl TestDaemon {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    async fn wait_healthy(&self) {
        for _ in 0..200 {
            if let Ok(r) = self.http.get(self.url("/healthz")).send().await
                && r.status().is_success()
            {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        panic!("daemon did not become healthy");
    }

    /// Stops gracefully and waits until the store is closed.
    pub async fn stop(mut self) -> Parked {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.expect("daemon task").expect("daemon run");
        }
        Parked {
            settings: self.settings.clone(),
            dir: self.dir.clone(),
            clock: self.clock.clone(),
            whmcs: self.whmcs.clone(),
        }
    }

    /// Stops and starts again on the same folder, clock and WHMCS.
    pub async fn restart(self) -> TestDaemon {
        self.stop().await.start().await
    }
}

impl Drop for TestDaemon {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}
