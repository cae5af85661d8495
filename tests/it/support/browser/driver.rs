//! The chromedriver behind [`super::Browser`]: one process for the whole
//! test binary, the capabilities of a Chromium session, and the requests
//! fantoccini has no method for.
//!
//! chromedriver starts on first use on a port it picks itself, in a process
//! group of its own under a small shell watchdog. The watchdog waits for
//! its stdin to close — which happens when the test binary exits, however
//! it exits — and then kills the group: chromedriver and every Chromium it
//! started (Chromium outlives a killed chromedriver otherwise).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{OnceLock, mpsc};
use std::time::Duration;

use fantoccini::wd::WebDriverCompatibleCommand;
use fantoccini::{Client, ClientBuilder};
use reqwest::Url;
use serde_json::{Value, json};

use super::Viewport;

/// How long chromedriver may take to say which port it listens on.
const DRIVER_START_MS: u64 = 10_000;
/// How long opening a session (starting a Chromium) or ending one may
/// take; generous, since two cores may be busy compiling or testing.
const SESSION_START_MS: u64 = 60_000;

/// Flags that make Debian's Chromium run headless on a closed network:
/// without the background-networking ones it keeps trying to reach
/// Google's services, and those connections are refused here.
const CHROMIUM_FLAGS: [&str; 9] = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
];

/// The shared chromedriver.
pub struct Driver {
    pub port: u16,
    chromium: PathBuf,
    /// The watchdog shell; its stdin closes when this process exits.
    _watchdog: Child,
}

static DRIVER: OnceLock<Result<Driver, String>> = OnceLock::new();

/// The running chromedriver; panics with what to do when it cannot run.
pub fn driver() -> &'static Driver {
    match DRIVER.get_or_init(|| start(&find_program("chromedriver")?)) {
        Ok(driver) => driver,
        Err(message) => panic!("{message}"),
    }
}

/// `name` on `PATH`, or the message that tells how to get it.
pub fn find_program(name: &str) -> Result<PathBuf, String> {
    std::env::var_os("PATH")
        .iter()
        .flat_map(std::env::split_paths)
        .map(|dir| dir.join(name))
        .find(|path| path.is_file())
        .ok_or_else(|| {
            format!(
                "`{name}` is not installed: run `scripts/test`, which installs \
                 the browser tests' Debian packages"
            )
        })
}

/// Starts `chromedriver` (at `program`) under the watchdog and reads the
/// port it chose.
fn start(program: &Path) -> Result<Driver, String> {
    let chromium = find_program("chromium")?;
    // `cat` returns when our end of its stdin closes, i.e. when this
    // process is gone; then the shell kills its whole process group.
    let mut watchdog = Command::new("sh")
        .args(["-c", r#""$1" --port=0 & cat >/dev/null; kill -KILL 0"#])
        .arg("sh")
        .arg(program)
        .process_group(0)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", program.display()))?;
    let stdout = watchdog.stdout.take().ok_or("no stdout")?;
    let (port_tx, port_rx) = mpsc::channel();
    std::thread::spawn(move || {
        // Keep reading after the port line so chromedriver never blocks
        // on a full pipe.
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(port) = line
                .split("started successfully on port ")
                .nth(1)
                .and_then(|rest| rest.trim_end_matches('.').parse::<u16>().ok())
            {
                let _ = port_tx.send(port);
            }
        }
    });
    let port = port_rx
        .recv_timeout(Duration::from_millis(DRIVER_START_MS))
        .map_err(|_| format!("{} did not report its port", program.display()))?;
    Ok(Driver {
        port,
        chromium,
        _watchdog: watchdog,
    })
}

impl Driver {
    /// A new Chromium session with its profile in `profile`.
    pub async fn session(&self, profile: &Path, viewport: Viewport, lang: &str) -> Client {
        let Value::Object(caps) = capabilities(&self.chromium, profile, viewport, lang) else {
            unreachable!("capabilities are an object")
        };
        // Plain HTTP to chromedriver on loopback: no TLS (the connector
        // type comes with fantoccini's hyper-util features).
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let url = format!("http://127.0.0.1:{}", self.port);
        let mut builder = ClientBuilder::new(connector);
        let connecting = builder.capabilities(caps).connect(&url);
        let limit = Duration::from_millis(SESSION_START_MS);
        match tokio::time::timeout(limit, connecting).await {
            Ok(Ok(client)) => client,
            Ok(Err(e)) => panic!("chromedriver could not start Chromium: {e} (run `scripts/test`)"),
            Err(_) => panic!("Chromium did not start within {SESSION_START_MS} ms"),
        }
    }

    /// Ends a session with a plain blocking request (for `Drop`, where
    /// nothing can be awaited); returns once Chromium has quit.
    pub fn end_session_blocking(&self, session_id: &str) {
        let Ok(mut stream) = TcpStream::connect(("127.0.0.1", self.port)) else {
            return;
        };
        let _ = stream.set_read_timeout(Some(Duration::from_millis(SESSION_START_MS)));
        let request = format!(
            "DELETE /session/{session_id} HTTP/1.1\r\nHost: 127.0.0.1\r\n\
             Content-Length: 0\r\nConnection: close\r\n\r\n"
        );
        // chromedriver answers once the browser has quit (and may keep the
        // connection open after), so the answer's first bytes are enough.
        if stream.write_all(request.as_bytes()).is_ok() {
            let _ = stream.read(&mut [0u8; 512]);
        }
    }
}

/// Chromium's capabilities for one session: the flags, a fresh profile,
/// the language, the size, and both logs the tests read.
fn capabilities(chromium: &Path, profile: &Path, viewport: Viewport, lang: &str) -> Value {
    let mut args: Vec<String> = CHROMIUM_FLAGS.iter().map(|f| f.to_string()).collect();
    args.push(format!("--user-data-dir={}", profile.display()));
    args.push(format!("--lang={lang}"));
    let (width, height) = (viewport.width, viewport.height);
    if !viewport.mobile {
        args.push(format!("--window-size={width},{height}"));
    }
    let mut options = json!({
        "binary": chromium,
        "args": args,
        "prefs": {"intl": {"accept_languages": lang}},
    });
    if viewport.mobile {
        options["mobileEmulation"] = json!({"deviceMetrics": {
            "width": width, "height": height, "pixelRatio": 1, "mobile": true, "touch": true}});
    }
    json!({
        "browserName": "chrome",
        "goog:chromeOptions": options,
        "goog:loggingPrefs": {"browser": "ALL", "performance": "ALL"},
    })
}

/// A POST to a chromedriver endpoint of the session that fantoccini has
/// no method for (`se/log`, the legacy log; `goog/cdp/execute`, DevTools).
#[derive(Debug)]
pub struct SessionPost {
    pub path: &'static str,
    pub body: Value,
}

impl WebDriverCompatibleCommand for SessionPost {
    fn endpoint(
        &self,
        base_url: &Url,
        session_id: Option<&str>,
    ) -> Result<Url, <Url as std::str::FromStr>::Err> {
        let session = session_id.unwrap_or_default();
        base_url.join(&format!("session/{session}/{}", self.path))
    }

    fn method_and_body(&self, _request_url: &Url) -> (http::Method, Option<String>) {
        (http::Method::POST, Some(self.body.to_string()))
    }
}
