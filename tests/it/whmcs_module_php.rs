//! A stand-in WHMCS for the gateway module's tests: Debian's `php` serving a
//! temporary WHMCS root (`php -S` on 127.0.0.1) that holds a copy of
//! `integrations/whmcs/modules/` and the PHP stand-ins from
//! `integrations/whmcs/tests/whmcs_stub/` (init.php, gatewayfunctions.php,
//! viewinvoice.php, login.php). The test writes the stub's state (gateway
//! settings, invoices, clients) as JSON and reads back what the module
//! did (local API calls, gateway log). A missing `php` or `php-curl` fails
//! the test with what to run; it never passes silently.

use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};
use serde_json::Value;

/// How long `php -S` may take to start listening.
const PHP_START_MS_MAX: u64 = 10_000;

const INSTALL_HINT: &str = "run scripts/test, which installs Debian's php-cli and php-curl \
     (or: apt-get install -y php-cli php-curl)";

/// A response as the browser would see it (redirects not followed).
#[derive(Debug)]
pub struct Page {
    pub status: u16,
    pub location: Option<String>,
    pub body: String,
}

/// A running stand-in WHMCS. Dropping it stops `php`.
pub struct StubWhmcs {
    root: tempfile::TempDir,
    addr: SocketAddr,
    php: Child,
    http: reqwest::Client,
}

/// Where the repository keeps the module and the stand-ins.
fn integration_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("integrations/whmcs")
}

/// Fails the test unless `php` with curl is installed.
pub fn require_php() {
    let probe = Command::new("php")
        .args(["-r", "exit(function_exists('curl_init') ? 0 : 3);"])
        .output();
    match probe {
        Err(e) => panic!("php is not installed ({e}): {INSTALL_HINT}"),
        Ok(out) if out.status.code() == Some(3) => {
            panic!("php has no curl extension: {INSTALL_HINT}")
        }
        Ok(out) if !out.status.success() => panic!(
            "php does not run ({}): {INSTALL_HINT}",
            String::from_utf8_lossy(&out.stderr)
        ),
        Ok(_) => {}
    }
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create dir");
    for entry in std::fs::read_dir(from).expect("read dir") {
        let entry = entry.expect("dir entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("file type").is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy file");
        }
    }
}

fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("addr").port()
}

impl StubWhmcs {
    /// Starts `php -S` over a fresh WHMCS root with `state`; its
    /// `whmcs_url` is set to the stand-in's own URL.
    pub async fn start(state: Value) -> StubWhmcs {
        require_php();
        let root = tempfile::tempdir().expect("tempdir");
        copy_tree(&integration_dir().join("tests/whmcs_stub"), root.path());
        copy_tree(
            &integration_dir().join("modules"),
            &root.path().join("modules"),
        );
        let sessions = root.path().join("sessions");
        std::fs::create_dir_all(&sessions).expect("sessions dir");
        let addr = SocketAddr::from(([127, 0, 0, 1], free_port()));
        let log = std::fs::File::create(root.path().join("php-server.log")).expect("log");
        let php = Command::new("php")
            .arg("-d")
            .arg(format!("session.save_path={}", sessions.display()))
            .args(["-d", "display_errors=stderr", "-d", "error_reporting=E_ALL"])
            .arg("-S")
            .arg(addr.to_string())
            .arg("-t")
            .arg(root.path())
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log"))
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("could not start php -S ({e}): {INSTALL_HINT}"));
        let http = reqwest::Client::builder()
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client");
        let stub = StubWhmcs {
            root,
            addr,
            php,
            http,
        };
        stub.set_state(state);
        stub.wait_listening();
        stub
    }

    fn wait_listening(&self) {
        let started = Instant::now();
        while TcpStream::connect(self.addr).is_err() {
            assert!(
                started.elapsed() < Duration::from_millis(PHP_START_MS_MAX),
                "php -S did not listen on {}: {}",
                self.addr,
                self.server_log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// WHMCS's base URL, with the trailing `/` WHMCS gives it.
    pub fn url(&self) -> String {
        format!("http://{}/", self.addr)
    }

    /// Replaces the stand-in's state (read on every request).
    pub fn set_state(&self, mut state: Value) {
        state["whmcs_url"] = Value::from(self.url());
        let text = serde_json::to_string(&state).expect("state json");
        std::fs::write(self.root.path().join("stub_state.json"), text).expect("write state");
    }

    /// `php -S`'s own log (PHP warnings and errors), for failure messages.
    pub fn server_log(&self) -> String {
        std::fs::read_to_string(self.root.path().join("php-server.log")).unwrap_or_default()
    }

    /// What the module did: local API calls and gateway log entries.
    pub fn records(&self) -> Vec<Value> {
        let text =
            std::fs::read_to_string(self.root.path().join("records.jsonl")).unwrap_or_default();
        let lines = text.lines().filter(|l| !l.trim().is_empty());
        lines
            .map(|l| serde_json::from_str(l).expect("record"))
            .collect()
    }

    /// Gateway log entries' results, oldest first.
    pub fn log_results(&self) -> Vec<String> {
        self.records()
            .iter()
            .filter(|r| r["kind"] == "logTransaction")
            .map(|r| r["result"].as_str().unwrap_or_default().to_owned())
            .collect()
    }

    /// A new browser session logged in as `uid`; returns its cookie.
    pub async fn login(&self, uid: u32) -> String {
        let url = format!("{}login.php?uid={uid}", self.url());
        let r = self.http.get(url).send().await.expect("login");
        let cookie = r
            .headers()
            .get(SET_COOKIE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .map(str::to_owned);
        cookie.unwrap_or_else(|| panic!("no session cookie: {}", self.server_log()))
    }

    pub async fn get(&self, path: &str, cookie: &str) -> Page {
        let r = self
            .http
            .get(format!("{}{path}", self.url()))
            .header(COOKIE, cookie);
        page(r.send().await.expect("GET")).await
    }

    /// Posts the invoice form to the module's callback.
    pub async fn post_callback(&self, cookie: &str, form: &[(&str, &str)]) -> Page {
        let url = format!("{}modules/gateways/callback/cashgate.php", self.url());
        let r = self.http.post(url).header(COOKIE, cookie).form(form);
        page(r.send().await.expect("POST")).await
    }
}

async fn page(r: reqwest::Response) -> Page {
    let status = r.status().as_u16();
    let location = r
        .headers()
        .get(LOCATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let body = r.text().await.unwrap_or_default();
    Page {
        status,
        location,
        body,
    }
}

/// The value of the hidden input `name` in a page.
pub fn hidden(body: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = body.find(&marker)? + marker.len();
    let end = body[start..].find('"')? + start;
    Some(body[start..end].to_owned())
}

impl Drop for StubWhmcs {
    fn drop(&mut self) {
        let _ = self.php.kill();
        let _ = self.php.wait();
    }
}
