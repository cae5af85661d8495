//! `cashgate demo`: the whole thing on one machine in one command, for a
//! newcomer. The daemon runs on a temporary data folder (removed on exit)
//! with the built-in WHMCS simulator ([`crate::whmcs_sim`]) and a demo
//! store; the pay page's URL is printed. The pages run in demo mode
//! (`settings.demo`), which adds "simulate the wallet SMS" to the status
//! page. With `--anti-spam` the demo store holds every payment for an
//! approver; the approval emails are `.eml` files in the data folder and
//! their links are printed as they are written.
//!
//! Nothing here is reachable from `cashgate serve`.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::clock::Clock;
use crate::config::Settings;
use crate::domain::{Secret, StoreId};
use crate::merchant::StoreSettings;
use crate::payments::{Payments, PaymentsOptions};
use crate::whmcs_sim::{IDENTIFIER, SECRET, WhmcsEmulator};

/// The demo store's id.
pub const DEMO_STORE: &str = "demo";
/// The simulated WHMCS client the demo pays for.
const DEMO_CLIENT: u32 = 1;
/// The simulated invoice's total, in the demo store's currency (USD).
const DEMO_INVOICE_TOTAL: &str = "2.00";
/// EGP per USD in the demo store.
const DEMO_RATE: &str = "50.50";
const DEMO_APPROVER: &str = "approver@example.com";
/// How often the demo looks for new approval emails.
const MAIL_POLL_MS: u64 = 300;

/// What `cashgate demo` was asked for.
#[derive(Debug, Clone)]
pub struct DemoOptions {
    pub listen: SocketAddr,
    /// Hold payments for an approver (the email's link is printed).
    pub anti_spam: bool,
}

/// Runs the demo until SIGINT or SIGTERM, then removes its folder.
pub fn run(options: &DemoOptions) -> Result<(), String> {
    let folder = tempfile::Builder::new()
        .prefix("cashgate-demo-")
        .tempdir()
        .map_err(|e| format!("cannot create a temporary folder: {e}"))?;
    let settings = Settings {
        listen: options.listen,
        data_dir: folder.path().join("data"),
        demo: true,
        ..Settings::default()
    };
    crate::cli::init_logging(&settings.log);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let result = runtime.block_on(serve(settings, options, folder.path()));
    drop(runtime);
    folder
        .close()
        .map_err(|e| format!("cannot remove the demo folder: {e}"))?;
    println!("cashgate demo: stopped; its temporary folder is removed");
    result
}

async fn serve(settings: Settings, options: &DemoOptions, folder: &Path) -> Result<(), String> {
    crate::daemon::install_crypto_provider();
    let shutdown = crate::cli::shutdown_signal();
    let whmcs = WhmcsEmulator::try_start()
        .await
        .map_err(|e| format!("cannot start the WHMCS simulator: {e}"))?;
    let invoice = whmcs.create_invoice(DEMO_CLIENT, DEMO_INVOICE_TOTAL, "Unpaid");
    let store = demo_store(&whmcs, options.anti_spam)?;
    let data_dir = settings.data_dir.clone();
    let payments_options = crate::daemon::payments_options(&settings);
    tokio::task::spawn_blocking(move || save_store(&data_dir, payments_options, &store))
        .await
        .map_err(|e| e.to_string())??;
    let listener = listen(settings.listen).await?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    print!(
        "{}",
        banner(addr, &whmcs, invoice, options.anti_spam, folder)
    );
    if options.anti_spam {
        tokio::spawn(print_approval_links(settings.data_dir.join("mail")));
    }
    crate::daemon::run(settings, listener, Clock::System, shutdown)
        .await
        .map_err(|e| e.to_string())
}

/// The asked-for address, or a free port when it is taken (a newcomer's
/// 8080 often is).
async fn listen(addr: SocketAddr) -> Result<tokio::net::TcpListener, String> {
    match tokio::net::TcpListener::bind(addr).await {
        Ok(listener) => Ok(listener),
        Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => {
            println!("{addr} is in use; the demo takes a free port instead");
            tokio::net::TcpListener::bind(SocketAddr::new(addr.ip(), 0))
                .await
                .map_err(|e| format!("cannot listen on {}: {e}", addr.ip()))
        }
        Err(e) => Err(format!("cannot listen on {addr}: {e}")),
    }
}

/// The demo store: its WHMCS is the simulator, its wallet a made-up number.
fn demo_store(whmcs: &WhmcsEmulator, anti_spam: bool) -> Result<StoreSettings, String> {
    let json = serde_json::json!({
        "name": "Demo Hosting",
        "currency_rate": DEMO_RATE,
        "currency_label": "USD",
        "wallet_numbers": ["01011112222"],
        "ingest_token": random_token()?,
        "whmcs": {"api_url": whmcs.url(), "identifier": IDENTIFIER, "secret": SECRET},
        "anti_spam": {"enabled": anti_spam, "approvers": [DEMO_APPROVER], "hold_new_phone": true},
    });
    StoreSettings::from_put_body(json.to_string().as_bytes(), None).map_err(|e| e.to_string())
}

fn save_store(
    data_dir: &Path,
    options: PaymentsOptions,
    store: &StoreSettings,
) -> Result<(), String> {
    let id = StoreId::parse(DEMO_STORE).map_err(|e| e.to_string())?;
    let payments = Payments::open(data_dir, options).map_err(|e| e.to_string())?;
    payments
        .stores()
        .put(&id, store)
        .and_then(|written| written.durable_blocking())
        .map_err(|e| e.to_string())?;
    payments.close().map_err(|e| e.to_string())
}

fn random_token() -> Result<Secret, String> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| e.to_string())?;
    Ok(Secret::new(data_encoding::HEXLOWER.encode(&bytes)))
}

/// What the demo prints once it serves: where to go and what to do.
fn banner(
    addr: SocketAddr,
    whmcs: &WhmcsEmulator,
    invoice: u32,
    anti_spam: bool,
    folder: &Path,
) -> String {
    let client_area = format!("{}/clientarea.php?client={DEMO_CLIENT}", whmcs.url());
    let back: String = form_urlencoded::byte_serialize(client_area.as_bytes()).collect();
    let pay = format!(
        "http://{addr}/pay/{DEMO_STORE}?invoice_amount={DEMO_INVOICE_TOTAL}&client_id={DEMO_CLIENT}\
         &invoice_id={invoice}&return_url={back}"
    );
    let mut text = format!(
        "\ncashgate demo: no real money moves here.\n\n\
         Pay page: {pay}\n\
         WHMCS client area (simulated): {client_area}\n\
         Data folder: {} (removed when the demo stops)\n\
         Admin API token: in the data folder's data/admin_token\n\n\
         Open the pay page, type any Egyptian mobile number (01012345678 will do) and press\n\
         \"Check my payment\". On the next page press \"Simulate the wallet SMS\" and watch it\n\
         turn credited.\n",
        folder.display()
    );
    if anti_spam {
        text.push_str(
            "\nAnti-spam is on: the payment waits for an approver. The approval email is written\n\
             to the data folder's mail/ and its link is printed here; open it in another window\n\
             and approve.\n",
        );
    }
    text.push_str("\nStop with Ctrl-C.\n\n");
    text
}

/// Prints the approval link of each new email in `mail_dir`.
async fn print_approval_links(mail_dir: PathBuf) {
    let mut seen = std::collections::HashSet::new();
    loop {
        tokio::time::sleep(Duration::from_millis(MAIL_POLL_MS)).await;
        let Ok(entries) = std::fs::read_dir(&mail_dir) else {
            continue;
        };
        for path in entries.filter_map(Result::ok).map(|e| e.path()) {
            if path.extension().is_none_or(|e| e != "eml") || !seen.insert(path.clone()) {
                continue;
            }
            let raw = std::fs::read_to_string(&path).unwrap_or_default();
            match approval_link(&raw) {
                Some(link) => println!(
                    "Approval email written to {}\nApproval link: {link}\n",
                    path.display()
                ),
                None => println!("Email written to {}\n", path.display()),
            }
        }
    }
}

/// The approval link in a raw message: its parts may be quoted-printable
/// (soft line breaks, `=3D`) or base64.
fn approval_link(raw: &str) -> Option<String> {
    let unfolded = raw
        .replace("=\r\n", "")
        .replace("=\n", "")
        .replace("=3D", "=");
    if let Some(link) = find_link(&unfolded) {
        return Some(link);
    }
    raw.split("\r\n\r\n").find_map(|block| {
        let joined: String = block.lines().map(str::trim).collect();
        let bytes = data_encoding::BASE64.decode(joined.as_bytes()).ok()?;
        find_link(&String::from_utf8(bytes).ok()?)
    })
}

fn find_link(text: &str) -> Option<String> {
    let start = text.find("http")?;
    let link: String = text[start..]
        .chars()
        .take_while(|c| !c.is_whitespace() && !matches!(c, '<' | '"' | '>'))
        .collect();
    link.contains("/approvals/").then_some(link)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_approval_link_is_found_in_quoted_printable_and_base64_parts() {
        let qp = "Content-Transfer-Encoding: quoted-printable\r\n\r\nOpen:\r\nhttp://127.0.0.1:8080/appro=\r\nvals/abc.def\r\n";
        assert_eq!(
            approval_link(qp).as_deref(),
            Some("http://127.0.0.1:8080/approvals/abc.def")
        );
        let body = data_encoding::BASE64.encode(b"Link: http://h/approvals/t0k.en\n");
        let b64 = format!("Content-Transfer-Encoding: base64\r\n\r\n{body}\r\n");
        assert_eq!(
            approval_link(&b64).as_deref(),
            Some("http://h/approvals/t0k.en")
        );
        assert_eq!(approval_link("no link here http://h/other"), None);
    }
}
