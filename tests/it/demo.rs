//! `cashgate demo` as a newcomer runs it: the real binary on a free port,
//! its printed pay page opened in Chromium, the form filled in, "simulate
//! the wallet SMS" pressed, and the page turning credited; with
//! `--anti-spam`, held until the printed approval link is approved in a
//! second browser. Stopping it removes its temporary folder.

use std::io::{BufRead, BufReader};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use crate::support::browser::{Browser, DESKTOP, MOBILE};

/// How long the demo may take to print a line it is expected to print.
const LINE_WAIT_MS: u64 = 60_000;

/// The running `cashgate demo` and the lines it prints.
struct Demo {
    child: Child,
    lines: mpsc::Receiver<String>,
    /// Everything printed so far (for failure messages).
    printed: Vec<String>,
}

impl Demo {
    fn start(extra: &[&str]) -> Demo {
        let mut child = Command::new(env!("CARGO_BIN_EXE_cashgate"))
            .args(["demo", "--listen", "127.0.0.1:0"])
            .args(extra)
            .env("CASHGATE_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start cashgate demo");
        let stdout: ChildStdout = child.stdout.take().expect("stdout");
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Demo {
            child,
            lines,
            printed: Vec::new(),
        }
    }

    /// The rest of the first printed line that starts with `prefix`.
    fn value_after(&mut self, prefix: &str) -> String {
        loop {
            let line = self
                .lines
                .recv_timeout(Duration::from_millis(LINE_WAIT_MS))
                .unwrap_or_else(|_| panic!("no `{prefix}` line; printed: {:#?}", self.printed));
            self.printed.push(line.clone());
            if let Some(rest) = line.strip_prefix(prefix) {
                return rest.trim().to_owned();
            }
        }
    }

    /// SIGTERM, then the exit status and the rest of what it printed.
    fn stop(mut self) -> (std::process::ExitStatus, Vec<String>) {
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        let status = self.child.wait().expect("wait");
        let rest: Vec<String> = self.lines.try_iter().collect();
        (status, rest)
    }
}

impl Drop for Demo {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn origin_of(url: &str) -> String {
    let parsed = reqwest::Url::parse(url).expect("a URL");
    parsed.origin().ascii_serialization()
}

/// Pays on the demo's pay page and presses the demo's SMS button
/// (`screenshot`: the name to save the status page under, first).
async fn pay_and_simulate_the_sms(browser: &Browser, pay_page: &str, screenshot: Option<&str>) {
    browser.goto(pay_page).await;
    browser.fill("#phone", "01012345678").await;
    browser
        .click(r#"form[action="/pay/demo"] button[type="submit"]"#)
        .await;
    browser
        .wait_for("document.getElementById('payment-state') && document.getElementById('payment-state').dataset.state === 'searching'")
        .await;
    browser
        .eval("window.cashgateTestMark = 'same document'; return true")
        .await;
    if let Some(name) = screenshot {
        browser.screenshot_for_docs(name).await;
    }
    browser.click("#payment-demo button").await;
}

async fn wait_for_state(browser: &Browser, state: &str) {
    browser
        .wait_for(&format!(
            "document.getElementById('payment-state').dataset.state === '{state}'"
        ))
        .await;
    let mark = browser.eval("return window.cashgateTestMark || null").await;
    assert_eq!(mark, "same document", "the page was reloaded");
}

#[tokio::test(flavor = "multi_thread")]
async fn cashgate_demo_takes_a_payment_from_the_form_to_credited() {
    let mut demo = Demo::start(&[]);
    let pay_page = demo.value_after("Pay page:");
    let client_area = demo.value_after("WHMCS client area (simulated):");
    let folder = demo.value_after("Data folder:");
    let folder = folder.split(" (").next().unwrap_or_default().to_owned();
    assert!(std::path::Path::new(&folder).is_dir(), "{folder}");
    let origin = origin_of(&pay_page);

    let mut browser = Browser::open(MOBILE, "en").await;
    pay_and_simulate_the_sms(&browser, &pay_page, Some("demo-status-360")).await;
    wait_for_state(&browser, "credited").await;
    assert!(browser.text("main").await.contains("2.00 USD"));
    // Back to the simulated client area, which shows the credit.
    browser.click("#return-link").await;
    browser
        .wait_for("document.body && document.body.innerText.includes('2.00')")
        .await;
    assert!(
        browser
            .url()
            .await
            .starts_with(&client_area[..client_area.find('?').unwrap_or(client_area.len())])
    );
    let errors = browser.console_errors().await;
    assert!(errors.is_empty(), "console errors: {errors:#?}");
    let sim = origin_of(&client_area);
    let elsewhere = browser.requests_to_other_origins(&origin).await;
    assert!(
        elsewhere.iter().all(|r| r.url.starts_with(&sim)),
        "requests beyond the demo and its WHMCS: {elsewhere:#?}"
    );
    browser.close().await;

    let (status, _) = demo.stop();
    assert!(status.success(), "{status}");
    assert!(
        !std::path::Path::new(&folder).exists(),
        "the demo removed its folder"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn cashgate_demo_with_anti_spam_waits_for_the_emailed_approval() {
    let mut demo = Demo::start(&["--anti-spam"]);
    let pay_page = demo.value_after("Pay page:");
    let origin = origin_of(&pay_page);
    // Once credited, the page leads back there by itself after 5 s.
    let sim = origin_of(&demo.value_after("WHMCS client area (simulated):"));
    let (mut customer, mut approver) =
        tokio::join!(Browser::open(DESKTOP, "en"), Browser::open(MOBILE, "en"));
    pay_and_simulate_the_sms(&customer, &pay_page, None).await;
    wait_for_state(&customer, "held").await;
    assert!(
        customer
            .text("#payment-demo")
            .await
            .contains("approval email")
    );

    let link = demo.value_after("Approval link:");
    assert!(link.starts_with(&format!("{origin}/approvals/")), "{link}");
    approver.goto(&link).await;
    approver
        .click(r#"button[name="decision"][value="approve"]"#)
        .await;
    wait_for_state(&customer, "credited").await;
    for browser in [&mut customer, &mut approver] {
        let errors = browser.console_errors().await;
        assert!(errors.is_empty(), "console errors: {errors:#?}");
        let elsewhere = browser.requests_to_other_origins(&origin).await;
        assert!(
            elsewhere.iter().all(|r| r.url.starts_with(&sim)),
            "{elsewhere:#?}"
        );
    }
    customer.close().await;
    approver.close().await;
    let (status, _) = demo.stop();
    assert!(status.success(), "{status}");
}
