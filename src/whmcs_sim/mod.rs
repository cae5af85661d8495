//! A WHMCS simulator (the tests' emulator, and `cashgate demo`'s WHMCS):
//! a real HTTP server on `127.0.0.1:0` that
//! answers `POST /includes/api.php` for `AddCredit`, `GetCredits`,
//! `GetInvoice` and `ApplyCredit` the way WHMCS does — same status codes,
//! same messages, same order of checks (IP ban, IP whitelist, identifier,
//! secret, account, action, permission, then the action's own checks) —
//! over a credit log per client and a set of invoices.
//!
//! The client's credit balance is the sum of its credit log: `AddCredit`
//! adds a line; `ApplyCredit` adds a negative `Credit Applied to Invoice
//! #N` line (as WHMCS does), raises the invoice's applied credit, lowers
//! its total and balance, marks it `Paid` when the balance reaches 0, and
//! records the application in a ledger that tests read to assert "applied
//! exactly once".
//!
//! Faults can be injected: for the next N `AddCredit` or `ApplyCredit`
//! calls (a queue) or for all of them, commit and then drop the
//! connection, answer 500 or stall; or answer 500 without committing.
//! `GetCredits` and `GetInvoice` can answer 500, drop or stall. `stop`
//! closes the port; `restart` opens it again. `GET /clientarea.php?client=N`
//! shows a client's credit balance and lines (the demo's "store").
//!
//! It lives in the library so that the demo can run it; the tests reach
//! it through `tests/support/whmcs_emulator.rs`. Self-contained: nothing
//! else in the crate uses it or is used by it (hyper, hyper-util,
//! http-body-util, tokio, serde_json, form_urlencoded only).

mod answer;
mod client_area;
mod credits;
mod invoices;
mod server;

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::task::JoinHandle;

#[allow(unused_imports)]
pub use invoices::{Application, LedgerInvoice};

/// The API identifier the emulator accepts unless told otherwise.
pub const IDENTIFIER: &str = "ident";
/// The API secret the emulator accepts unless told otherwise.
pub const SECRET: &str = "s3cret";
/// The path WHMCS serves its API on.
pub const API_PATH: &str = "/includes/api.php";

/// One line of a client's credit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credit {
    pub id: u64,
    pub date: String,
    pub description: String,
    pub amount: String,
    /// The invoice a `Credit Applied to Invoice` line is for; 0 otherwise.
    pub relid: u32,
}

/// What a call that changes something (`AddCredit`, `ApplyCredit`) and
/// passed authentication does instead of answering normally.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommitFault {
    /// Commit the change, then close the connection without answering.
    CommitThenDrop,
    /// Commit the change, then answer HTTP 500.
    CommitThen500,
    /// Commit the change, then wait this long before answering.
    CommitThenStall(Duration),
    /// Answer HTTP 500 without changing anything.
    FailBefore500,
}

pub type AddCreditFault = CommitFault;
pub type ApplyCreditFault = CommitFault;

/// What a call that only reads (`GetCredits`, `GetInvoice`) and passed
/// authentication does instead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadFault {
    Status500,
    Drop,
    Stall(Duration),
}

pub type GetCreditsFault = ReadFault;
pub type GetInvoiceFault = ReadFault;

struct State {
    identifier: String,
    secret: String,
    clients: BTreeSet<u32>,
    ledger: BTreeMap<u32, Vec<Credit>>,
    next_credit_id: u64,
    deny_ip: bool,
    ban_ip: bool,
    account_disabled: bool,
    allow_add_credit: bool,
    allow_get_credits: bool,
    allow_apply_credit: bool,
    allow_get_invoice: bool,
    newbalance_as_number: bool,
    invoice_money_as_numbers: bool,
    add_faults: VecDeque<CommitFault>,
    add_fault_always: Option<CommitFault>,
    get_fault: Option<ReadFault>,
    invoices: BTreeMap<u32, invoices::InvoiceRecord>,
    next_invoice_id: u32,
    applications: Vec<Application>,
    apply_faults: VecDeque<CommitFault>,
    apply_fault_always: Option<CommitFault>,
    get_invoice_fault: Option<ReadFault>,
    /// An invoice paid by other means just before the next ApplyCredit for
    /// it is answered: its id and the status it takes.
    close_before_apply: Option<(u32, String)>,
    requests: usize,
    calls: HashMap<String, usize>,
    authorised: HashMap<String, usize>,
    secret_in_url: usize,
}

impl Default for State {
    fn default() -> Self {
        State {
            identifier: IDENTIFIER.to_owned(),
            secret: SECRET.to_owned(),
            clients: (1..=1000).collect(),
            ledger: BTreeMap::new(),
            next_credit_id: 1,
            deny_ip: false,
            ban_ip: false,
            account_disabled: false,
            allow_add_credit: true,
            allow_get_credits: true,
            allow_apply_credit: true,
            allow_get_invoice: true,
            newbalance_as_number: false,
            invoice_money_as_numbers: false,
            add_faults: VecDeque::new(),
            add_fault_always: None,
            get_fault: None,
            invoices: BTreeMap::new(),
            next_invoice_id: 1001,
            applications: Vec::new(),
            apply_faults: VecDeque::new(),
            apply_fault_always: None,
            get_invoice_fault: None,
            close_before_apply: None,
            requests: 0,
            calls: HashMap::new(),
            authorised: HashMap::new(),
            secret_in_url: 0,
        }
    }
}

type Shared = Arc<Mutex<State>>;

/// The running emulator. Dropping it closes the port and every connection.
pub struct WhmcsEmulator {
    state: Shared,
    addr: SocketAddr,
    server: Mutex<Option<JoinHandle<()>>>,
}

impl WhmcsEmulator {
    /// Starts on `127.0.0.1` on a free port, with the default credentials
    /// and clients 1 to 1000 known. (The tests' `start` unwraps this.)
    pub async fn try_start() -> std::io::Result<WhmcsEmulator> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let state: Shared = Arc::new(Mutex::new(State::default()));
        let server = tokio::spawn(server::serve(listener, state.clone()));
        Ok(WhmcsEmulator {
            state,
            addr,
            server: Mutex::new(Some(server)),
        })
    }

    /// The WHMCS base URL, like `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Closes the port and every open connection (calls then fail to
    /// connect). The ledger and the settings are kept.
    pub async fn stop(&self) {
        let server = lock_ignoring_poison(&self.server).take();
        if let Some(server) = server {
            server.abort();
            let _ = server.await;
        }
    }

    /// Opens the same port again after [`stop`](Self::stop).
    pub async fn restart(&self) -> std::io::Result<()> {
        self.stop().await;
        let listener = TcpListener::bind(self.addr).await?;
        let server = tokio::spawn(server::serve(listener, self.state.clone()));
        *lock_ignoring_poison(&self.server) = Some(server);
        Ok(())
    }

    fn state(&self) -> MutexGuard<'_, State> {
        lock_ignoring_poison(&self.state)
    }
}

impl Drop for WhmcsEmulator {
    fn drop(&mut self) {
        if let Some(server) = lock_ignoring_poison(&self.server).take() {
            server.abort();
        }
    }
}

/// Switches: credentials, IP, permissions, clients, answer shapes.
impl WhmcsEmulator {
    pub fn set_credentials(&self, identifier: &str, secret: &str) {
        let mut s = self.state();
        s.identifier = identifier.to_owned();
        s.secret = secret.to_owned();
    }

    /// The secret WHMCS expects; any other gets `Authentication Failed`.
    pub fn set_secret(&self, secret: &str) {
        self.state().secret = secret.to_owned();
    }

    /// `403 Invalid IP 127.0.0.1` for every call.
    pub fn deny_ip(&self, deny: bool) {
        self.state().deny_ip = deny;
    }

    /// `403 IP Banned` for every call.
    pub fn ban_ip(&self, ban: bool) {
        self.state().ban_ip = ban;
    }

    /// `403 Administrator Account Disabled` after valid credentials.
    pub fn disable_account(&self, disabled: bool) {
        self.state().account_disabled = disabled;
    }

    pub fn allow_add_credit(&self, allow: bool) {
        self.state().allow_add_credit = allow;
    }

    pub fn allow_get_credits(&self, allow: bool) {
        self.state().allow_get_credits = allow;
    }

    pub fn allow_apply_credit(&self, allow: bool) {
        self.state().allow_apply_credit = allow;
    }

    pub fn allow_get_invoice(&self, allow: bool) {
        self.state().allow_get_invoice = allow;
    }

    /// `newbalance` as a JSON number instead of a string.
    pub fn newbalance_as_number(&self, number: bool) {
        self.state().newbalance_as_number = number;
    }

    pub fn add_client(&self, client: u32) {
        self.state().clients.insert(client);
    }

    pub fn remove_client(&self, client: u32) {
        self.state().clients.remove(&client);
    }

    /// Adds a line to a client's ledger directly (a credit made by hand).
    pub fn insert_credit(&self, client: u32, description: &str, amount: &str) -> Credit {
        let mut s = self.state();
        credits::commit(&mut s, client, description, amount, &credits::today(), 0)
    }
}

/// Faults.
impl WhmcsEmulator {
    /// Queues `fault` for the next `n` `AddCredit` calls that pass
    /// authentication (before the persistent mode).
    pub fn fail_next_add_credit(&self, n: usize, fault: CommitFault) {
        let mut s = self.state();
        s.add_faults.extend(std::iter::repeat_n(fault, n));
    }

    /// A fault for every `AddCredit` call once the queue is empty.
    pub fn set_add_credit_fault(&self, fault: Option<CommitFault>) {
        self.state().add_fault_always = fault;
    }

    /// Queued `AddCredit` faults not used yet.
    pub fn pending_add_credit_faults(&self) -> usize {
        self.state().add_faults.len()
    }

    /// A fault for every `GetCredits` call that passes authentication.
    pub fn get_credits_fail(&self, fault: Option<ReadFault>) {
        self.state().get_fault = fault;
    }
}

/// Counters and the ledger.
impl WhmcsEmulator {
    /// Every request received on the API path.
    pub fn requests(&self) -> usize {
        self.state().requests
    }

    /// Requests naming `action` (case-insensitive), authorised or not.
    pub fn calls(&self, action: &str) -> usize {
        let s = self.state();
        s.calls
            .get(&action.to_ascii_lowercase())
            .copied()
            .unwrap_or(0)
    }

    /// Requests for `action` that passed IP, credential and permission
    /// checks and reached the action itself.
    pub fn authorised_calls(&self, action: &str) -> usize {
        let s = self.state();
        let key = action.to_ascii_lowercase();
        s.authorised.get(&key).copied().unwrap_or(0)
    }

    pub fn add_credit_calls(&self) -> usize {
        self.calls("addcredit")
    }

    pub fn get_credits_calls(&self) -> usize {
        self.calls("getcredits")
    }

    /// Requests that carried `secret` in the URL's query (should be none).
    pub fn secret_in_url(&self) -> usize {
        self.state().secret_in_url
    }

    pub fn ledger(&self, client: u32) -> Vec<Credit> {
        self.state()
            .ledger
            .get(&client)
            .cloned()
            .unwrap_or_default()
    }

    /// Every client's ledger.
    pub fn ledgers(&self) -> Vec<(u32, Vec<Credit>)> {
        let s = self.state();
        s.ledger.iter().map(|(c, l)| (*c, l.clone())).collect()
    }

    /// Credit lines with exactly this description, across all clients.
    pub fn credits_with_description(&self, description: &str) -> usize {
        let s = self.state();
        let lines = s.ledger.values().flatten();
        lines.filter(|c| c.description == description).count()
    }

    /// Credit lines across all clients (`Credit Applied to Invoice` lines
    /// included).
    pub fn total_credits(&self) -> usize {
        self.state().ledger.values().map(Vec::len).sum()
    }

    /// A client's balance, as WHMCS prints it (`12.34`).
    pub fn balance(&self, client: u32) -> String {
        credits::cents_text(credits::balance_cents(&self.state(), client))
    }
}

fn lock_ignoring_poison<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}
