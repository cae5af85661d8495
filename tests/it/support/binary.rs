//! The real `cashgate` binary as a child process: started with a config
//! file, found through its JSON log line, stopped with SIGKILL or SIGTERM.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};

pub struct Binary {
    pub child: Child,
    pub base: String,
    pub admin_token: String,
    pub http: reqwest::Client,
    /// Every log line the daemon wrote after it said it serves.
    pub log: Arc<Mutex<Vec<String>>>,
}

impl Binary {
    /// Starts `cashgate serve --config FILE` and waits until it serves.
    pub fn start(config: &Path, data_dir: &Path) -> Binary {
        // Before the child exists: the client below needs it, and a panic
        // after the spawn would leave the child running.
        cashgate::daemon::install_crypto_provider();
        let mut child = Command::new(env!("CARGO_BIN_EXE_cashgate"))
            .args(["serve", "--config"])
            .arg(config)
            .env("CASHGATE_LOG_JSON", "true")
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn cashgate");
        let stderr = child.stderr.take().expect("stderr");
        let mut lines = BufReader::new(stderr).lines();
        let listen = loop {
            let line = lines
                .next()
                .expect("the daemon exited before serving")
                .expect("log line");
            let log: serde_json::Value = serde_json::from_str(&line).unwrap_or_default();
            if let Some(listen) = log["fields"]["listen"].as_str() {
                break listen.to_owned();
            }
        };
        // Keep draining the log so the child never blocks on a full pipe;
        // with CASHGATE_TEST_LOGS set, keep it in that folder.
        let keep = std::env::var_os("CASHGATE_TEST_LOGS")
            .map(|d| std::path::PathBuf::from(d).join(format!("{}.log", child.id())));
        let log = Arc::new(Mutex::new(Vec::new()));
        let kept = log.clone();
        std::thread::spawn(move || {
            use std::io::Write;
            let mut file = keep.and_then(|p| std::fs::File::create(p).ok());
            for line in lines.map_while(Result::ok) {
                if let Some(f) = file.as_mut() {
                    let _ = writeln!(f, "{line}");
                }
                if let Ok(mut kept) = kept.lock() {
                    kept.push(line);
                }
            }
        });
        let admin_token =
            std::fs::read_to_string(data_dir.join("admin_token")).expect("admin token");
        Binary {
            child,
            base: format!("http://{listen}"),
            admin_token: admin_token.trim().to_owned(),
            http: reqwest::Client::builder()
                .no_proxy()
                .build()
                .expect("client"),
            log,
        }
    }

    /// The log lines written so far.
    pub fn log_lines(&self) -> Vec<String> {
        self.log.lock().map(|l| l.clone()).unwrap_or_default()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// SIGKILL: no shutdown code runs.
    pub fn kill(mut self) {
        self.child.kill().expect("SIGKILL");
        let _ = self.child.wait();
    }
}

impl Drop for Binary {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
