//! Pages in a real browser: Debian's headless Chromium driven over
//! WebDriver (`chromedriver`, see [`driver`]) with `fantoccini`.
//!
//! Each [`Browser`] is a session of its own with a fresh profile, so tests
//! run sessions in parallel, at a phone's or a desktop's size and in a
//! language of their choice. A session records what a person checking the
//! page would look for: the console's errors (including CSP violations)
//! and every request the page made, across navigations.
//!
//! A machine without Chromium or chromedriver fails these tests with a
//! message to run `scripts/test`, which installs them; nothing is skipped.

mod driver;

use std::path::Path;
use std::time::Duration;

use fantoccini::{Client, Locator};
use reqwest::Url;
use serde_json::{Value, json};

pub use driver::find_program;
use driver::{SessionPost, driver};

/// How long [`Browser::wait_for`] waits for a condition.
const WAIT_MS: u64 = 10_000;
const WAIT_POLL_MS: u64 = 50;

/// Set to `1` to write [`Browser::screenshot_for_docs`] pictures into
/// `docs/screenshots/`; unset, tests leave the checkout as it was.
pub const SCREENSHOTS_VAR: &str = "CASHGATE_SCREENSHOTS";

/// The page area a session shows, in CSS pixels.
#[derive(Debug, Clone, Copy)]
pub struct Viewport {
    pub name: &'static str,
    pub width: u32,
    pub height: u32,
    /// Emulates a phone (Chromium keeps desktop windows at least ~500 px
    /// wide, so a narrow viewport needs device emulation).
    pub mobile: bool,
}

/// A small phone.
pub const MOBILE: Viewport = Viewport {
    name: "360",
    width: 360,
    height: 780,
    mobile: true,
};

/// A laptop screen.
pub const DESKTOP: Viewport = Viewport {
    name: "desktop",
    width: 1280,
    height: 900,
    mobile: false,
};

/// One line of the browser's console.
#[derive(Debug, Clone)]
pub struct ConsoleEntry {
    /// `SEVERE`, `WARNING`, `INFO`, ...
    pub level: String,
    /// `console-api`, `security` (CSP), `network`, `javascript`, ...
    pub source: String,
    pub message: String,
}

/// A request the browser sent for a page.
#[derive(Debug, Clone)]
pub struct SentRequest {
    pub method: String,
    pub url: String,
    /// `Document`, `Script`, `Fetch`, `Image`, ...
    pub kind: String,
}

/// A browser session: one Chromium with a fresh profile.
pub struct Browser {
    client: Client,
    session_id: String,
    console: Vec<ConsoleEntry>,
    requests: Vec<SentRequest>,
    closed: bool,
    /// Removed after the browser has quit (dropped after `Drop::drop`).
    _profile: tempfile::TempDir,
}

impl Browser {
    /// A new session showing `viewport`, its language (navigator and
    /// `Accept-Language`) set to `lang` (`en`, `ar`).
    pub async fn open(viewport: Viewport, lang: &str) -> Browser {
        let profile = tempfile::tempdir().expect("profile folder");
        let client = driver().session(profile.path(), viewport, lang).await;
        let session_id = client.session_id().await.ok().flatten();
        let session_id = session_id.expect("a session id");
        Browser {
            client,
            session_id,
            console: Vec::new(),
            requests: Vec::new(),
            closed: false,
            _profile: profile,
        }
    }

    pub async fn goto(&self, url: &str) {
        self.client.goto(url).await.expect("navigate");
    }

    /// Runs `script` (a function body: `return ...`) in the page.
    pub async fn eval(&self, script: &str) -> Value {
        self.client
            .execute(script, vec![])
            .await
            .unwrap_or_else(|e| panic!("script {script:?} failed: {e}"))
    }

    /// Waits until `condition` (a JavaScript expression) is true.
    pub async fn wait_for(&self, condition: &str) {
        let script = format!("return !!({condition});");
        let deadline = tokio::time::Instant::now() + Duration::from_millis(WAIT_MS);
        // A navigation in progress makes a script fail; that is "not yet".
        while !matches!(
            self.client.execute(&script, vec![]).await,
            Ok(Value::Bool(true))
        ) {
            assert!(
                tokio::time::Instant::now() < deadline,
                "`{condition}` still false after {WAIT_MS} ms"
            );
            tokio::time::sleep(Duration::from_millis(WAIT_POLL_MS)).await;
        }
    }

    /// Sends `keys` to whatever has the focus, as a keyboard would
    /// (`fantoccini::key::Key` values for Tab, Enter, ...).
    pub async fn press(&self, keys: &str) {
        let focused = self
            .client
            .active_element()
            .await
            .expect("a focused element");
        focused.send_keys(keys).await.expect("keys");
    }

    /// What every page must be: no console error, no request to another
    /// origin than `origin`.
    pub async fn assert_clean(&mut self, origin: &str) {
        let errors = self.console_errors().await;
        assert!(errors.is_empty(), "console errors: {errors:#?}");
        let elsewhere = self.requests_to_other_origins(origin).await;
        assert!(
            elsewhere.is_empty(),
            "requests to other origins: {elsewhere:#?}"
        );
    }

    /// Nothing is wider than the screen (no sideways scrolling, nothing cut).
    pub async fn assert_fits(&self) {
        let widths = self
            .eval("return [document.documentElement.scrollWidth, window.innerWidth]")
            .await;
        assert!(
            widths[0].as_u64() <= widths[1].as_u64(),
            "page {widths} wider than the screen"
        );
    }

    /// Clicks the element `css` selects.
    pub async fn click(&self, css: &str) {
        let element = self
            .client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no element {css:?}: {e}"));
        element.click().await.expect("click");
    }

    /// Types `text` into the field `css` selects, after clearing it.
    pub async fn fill(&self, css: &str, text: &str) {
        let element = self
            .client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no element {css:?}: {e}"));
        element.clear().await.expect("clear");
        element.send_keys(text).await.expect("type");
    }

    /// The address the session shows now.
    pub async fn url(&self) -> String {
        self.client
            .current_url()
            .await
            .expect("current url")
            .to_string()
    }

    /// The text of the element `css` selects.
    pub async fn text(&self, css: &str) -> String {
        let element = self.client.find(Locator::Css(css)).await;
        let element = element.unwrap_or_else(|e| panic!("no element {css:?}: {e}"));
        element.text().await.expect("text")
    }

    /// A PNG of the whole page (beyond the viewport), written to `path`.
    pub async fn screenshot(&self, path: &Path) {
        // Beyond the viewport only when the page is taller: Chromium 148
        // shifts a right-to-left page sideways when it captures "beyond"
        // a viewport that already holds all of it.
        let taller = self
            .eval("return document.documentElement.scrollHeight > window.innerHeight")
            .await;
        let params = json!({"format": "png", "captureBeyondViewport": taller == Value::Bool(true)});
        let shot = self.cdp("Page.captureScreenshot", params).await;
        let data = shot["data"].as_str().expect("screenshot data");
        let png = data_encoding::BASE64
            .decode(data.as_bytes())
            .expect("base64");
        if let Some(folder) = path.parent() {
            std::fs::create_dir_all(folder).expect("screenshot folder");
        }
        std::fs::write(path, png).expect("write screenshot");
    }

    /// Writes `docs/screenshots/{name}.png` when `CASHGATE_SCREENSHOTS=1`.
    pub async fn screenshot_for_docs(&self, name: &str) {
        if std::env::var(SCREENSHOTS_VAR).is_ok_and(|v| v == "1") {
            let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/screenshots");
            self.screenshot(&folder.join(format!("{name}.png"))).await;
        }
    }

    /// Every console entry so far at level `SEVERE`: `console.error`,
    /// uncaught exceptions, CSP violations, failed loads.
    pub async fn console_errors(&mut self) -> Vec<ConsoleEntry> {
        for entry in self.log("browser").await {
            self.console.push(ConsoleEntry {
                level: entry["level"].as_str().unwrap_or_default().to_owned(),
                source: entry["source"].as_str().unwrap_or_default().to_owned(),
                message: entry["message"].as_str().unwrap_or_default().to_owned(),
            });
        }
        let severe = self.console.iter().filter(|e| e.level == "SEVERE");
        severe.cloned().collect()
    }

    /// Every request the browser sent for pages so far (documents, form
    /// posts, redirects, scripts, images, fetches, favicons).
    pub async fn requests(&mut self) -> Vec<SentRequest> {
        for entry in self.log("performance").await {
            let event: Value = entry["message"]
                .as_str()
                .and_then(|m| serde_json::from_str(m).ok())
                .unwrap_or_default();
            let event = &event["message"];
            if event["method"] != "Network.requestWillBeSent" {
                continue;
            }
            let params = &event["params"];
            self.requests.push(SentRequest {
                method: params["request"]["method"].as_str().unwrap_or("").into(),
                url: params["request"]["url"].as_str().unwrap_or("").into(),
                kind: params["type"].as_str().unwrap_or("").into(),
            });
        }
        self.requests.clone()
    }

    /// The requests that went to an origin other than `origin`
    /// (`http://127.0.0.1:8080`). Chromium's own `chrome:` pages (its new
    /// tab, before the first navigation) and `data:`/`blob:` URLs, which
    /// never reach the network, are not counted.
    pub async fn requests_to_other_origins(&mut self, origin: &str) -> Vec<SentRequest> {
        let local_only = ["chrome", "chrome-untrusted", "data", "blob", "about"];
        let elsewhere = |request: &SentRequest| match Url::parse(&request.url) {
            Ok(url) if local_only.contains(&url.scheme()) => false,
            Ok(url) => url.origin().ascii_serialization() != origin,
            Err(_) => true,
        };
        let requests = self.requests().await;
        requests.into_iter().filter(elsewhere).collect()
    }

    /// Ends the session and quits its Chromium.
    pub async fn close(mut self) {
        self.closed = true;
        let client = self.client.clone();
        client.close().await.expect("close the session");
    }

    /// Drains one of chromedriver's logs (`browser`, `performance`).
    async fn log(&self, kind: &'static str) -> Vec<Value> {
        let command = SessionPost {
            path: "se/log",
            body: json!({"type": kind}),
        };
        let entries = self.client.issue_cmd(command).await;
        let entries = entries.unwrap_or_else(|e| panic!("{kind} log: {e}"));
        entries.as_array().cloned().unwrap_or_default()
    }

    /// A Chrome DevTools command through chromedriver.
    async fn cdp(&self, cmd: &str, params: Value) -> Value {
        let command = SessionPost {
            path: "goog/cdp/execute",
            body: json!({"cmd": cmd, "params": params}),
        };
        let answer = self.client.issue_cmd(command).await;
        answer.unwrap_or_else(|e| panic!("{cmd}: {e}"))
    }
}

impl Drop for Browser {
    /// A test that panicked never reached `close`: end the session now, so
    /// its Chromium quits before the test binary exits.
    fn drop(&mut self) {
        if !self.closed {
            driver().end_session_blocking(&self.session_id);
        }
    }
}
