//! A release cashgate daemon for a benchmark: started with `serve` on a
//! config file that logs JSON, its address read from the "serving" log
//! line, stopped with SIGTERM when dropped.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};

pub struct Daemon {
    pub child: Child,
    pub addr: SocketAddr,
}

impl Daemon {
    /// Starts the daemon on `config` (which must set `[log] json = true`)
    /// and waits until it serves.
    pub fn start(config: &Path) -> Daemon {
        let mut child = Command::new(env!("CARGO_BIN_EXE_cashgate"))
            .args(["serve", "--config"])
            .arg(config)
            .env("CASHGATE_LOG", "info")
            .stderr(Stdio::piped())
            .spawn()
            .expect("start cashgate");
        let mut lines = BufReader::new(child.stderr.take().expect("stderr")).lines();
        let listen = loop {
            let line = lines.next().expect("daemon exited").expect("log");
            let log: serde_json::Value = serde_json::from_str(&line).unwrap_or_default();
            if let Some(listen) = log["fields"]["listen"].as_str() {
                break listen.to_owned();
            }
        };
        // Keep reading, so a full pipe never blocks the daemon.
        std::thread::spawn(move || for _ in lines {});
        Daemon {
            child,
            addr: listen.parse().expect("address"),
        }
    }

    /// `http://host:port`.
    pub fn base(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
    }
}
