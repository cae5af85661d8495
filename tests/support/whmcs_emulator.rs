//! A WHMCS emulator for tests: a real HTTP server on `127.0.0.1:0` that
//! answers `POST /includes/api.php` for `AddCredit` and `GetCredits` the
//! way WHMCS does — same status codes, same messages, same order of checks
//! (IP ban, IP whitelist, identifier, secret, account, action, permission,
//! then the action's own checks) — over a credit ledger per client.
//!
//! Faults can be injected: for the next N `AddCredit` calls (a queue) or
//! for all of them, commit and then drop the connection, answer 500 or
//! stall; or answer 500 without committing. `GetCredits` can answer 500,
//! drop or stall. `stop` closes the port; `restart` opens it again.
//!
//! Self-contained (no `crate::support`), so both the `it` binary and a
//! harness-less test binary can include it with `#[path]`. Depends only on
//! hyper, hyper-util, http-body-util, tokio, serde_json, form_urlencoded.

#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::{Map, Value, json};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::{JoinHandle, JoinSet};

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
}

/// What an `AddCredit` call that passed authentication does instead of
/// answering normally.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddCreditFault {
    /// Apply the credit, then close the connection without answering.
    CommitThenDrop,
    /// Apply the credit, then answer HTTP 500.
    CommitThen500,
    /// Apply the credit, then wait this long before answering.
    CommitThenStall(Duration),
    /// Answer HTTP 500 without applying anything.
    FailBefore500,
}

/// What a `GetCredits` call that passed authentication does instead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GetCreditsFault {
    Status500,
    Drop,
    Stall(Duration),
}

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
    newbalance_as_number: bool,
    add_faults: VecDeque<AddCreditFault>,
    add_fault_always: Option<AddCreditFault>,
    get_fault: Option<GetCreditsFault>,
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
            newbalance_as_number: false,
            add_faults: VecDeque::new(),
            add_fault_always: None,
            get_fault: None,
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
    /// and clients 1 to 1000 known.
    pub async fn start() -> WhmcsEmulator {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the WHMCS emulator");
        let addr = listener.local_addr().expect("emulator address");
        let state: Shared = Arc::new(Mutex::new(State::default()));
        let server = tokio::spawn(serve(listener, state.clone()));
        WhmcsEmulator {
            state,
            addr,
            server: Mutex::new(Some(server)),
        }
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
        let server = tokio::spawn(serve(listener, self.state.clone()));
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
        commit(&mut s, client, description, amount, &today())
    }
}

/// Faults.
impl WhmcsEmulator {
    /// Queues `fault` for the next `n` `AddCredit` calls that pass
    /// authentication (before the persistent mode).
    pub fn fail_next_add_credit(&self, n: usize, fault: AddCreditFault) {
        let mut s = self.state();
        s.add_faults.extend(std::iter::repeat_n(fault, n));
    }

    /// A fault for every `AddCredit` call once the queue is empty.
    pub fn set_add_credit_fault(&self, fault: Option<AddCreditFault>) {
        self.state().add_fault_always = fault;
    }

    /// Queued `AddCredit` faults not used yet.
    pub fn pending_add_credit_faults(&self) -> usize {
        self.state().add_faults.len()
    }

    /// A fault for every `GetCredits` call that passes authentication.
    pub fn get_credits_fail(&self, fault: Option<GetCreditsFault>) {
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

    /// Credit lines across all clients.
    pub fn total_credits(&self) -> usize {
        self.state().ledger.values().map(Vec::len).sum()
    }

    /// A client's balance, as WHMCS prints it (`12.34`).
    pub fn balance(&self, client: u32) -> String {
        cents_text(balance_cents(&self.state(), client))
    }
}

fn lock_ignoring_poison<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Accepts until aborted; aborting drops the `JoinSet`, which aborts every
/// connection (stalled ones included).
async fn serve(listener: TcpListener, state: Shared) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    connections.spawn(connection(stream, peer, state.clone()));
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
}

async fn connection(stream: TcpStream, peer: SocketAddr, state: Shared) {
    let service = service_fn(move |req| handle(state.clone(), peer, req));
    // An error here is a dropped connection (on purpose or by the client).
    let _ = http1::Builder::new()
        .serve_connection(TokioIo::new(stream), service)
        .await;
}

/// What to do with a request once decided.
enum Plan {
    Answer(Answer),
    /// Close the connection without answering.
    Drop,
    Stall(Duration, Answer),
}

/// An answer: WHMCS's fields (JSON or `key=value;` text), or a bare page.
struct Answer {
    status: u16,
    body: AnswerBody,
}

enum AnswerBody {
    /// In WHMCS's order (`result` first).
    Fields(Vec<(String, Value)>),
    Page(&'static str),
}

impl Answer {
    fn error(status: u16, message: &str) -> Answer {
        let fields = vec![
            ("result".to_owned(), Value::from("error")),
            ("message".to_owned(), Value::from(message)),
        ];
        Answer {
            status,
            body: AnswerBody::Fields(fields),
        }
    }

    fn success(fields: Vec<(&str, Value)>) -> Answer {
        let mut all = vec![("result".to_owned(), Value::from("success"))];
        all.extend(fields.into_iter().map(|(k, v)| (k.to_owned(), v)));
        Answer {
            status: 200,
            body: AnswerBody::Fields(all),
        }
    }

    fn page(status: u16, page: &'static str) -> Answer {
        Answer {
            status,
            body: AnswerBody::Page(page),
        }
    }

    fn server_error() -> Answer {
        Answer::page(
            500,
            "<html><body><h1>500 Internal Server Error</h1></body></html>",
        )
    }
}

type Reply = Result<Response<Full<Bytes>>, std::io::Error>;

async fn handle(state: Shared, peer: SocketAddr, req: Request<Incoming>) -> Reply {
    let path = req.uri().path().to_owned();
    let query = req.uri().query().unwrap_or_default().to_owned();
    let form = req
        .headers()
        .get(hyper::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    let body = match req.into_body().collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(_) => Bytes::new(),
    };
    if path != API_PATH {
        return Ok(render(Answer::page(404, "<h1>Not Found</h1>"), false));
    }
    let params = request_params(&query, form.then_some(&body[..]));
    let json = params.get("responsetype").is_some_and(|v| v == "json");
    let plan = decide(
        &mut lock_ignoring_poison(&state),
        peer.ip(),
        &query,
        &params,
    );
    match plan {
        Plan::Answer(answer) => Ok(render(answer, json)),
        Plan::Drop => Err(std::io::Error::other("emulated: connection dropped")),
        Plan::Stall(wait, answer) => {
            tokio::time::sleep(wait).await;
            Ok(render(answer, json))
        }
    }
}

/// PHP's `$_REQUEST`: the query, overridden by a form-encoded body.
fn request_params(query: &str, body: Option<&[u8]>) -> HashMap<String, String> {
    let mut params: HashMap<String, String> = form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    if let Some(body) = body {
        params.extend(form_urlencoded::parse(body).into_owned());
    }
    params
}

/// Authentication in WHMCS's order, then the action.
fn decide(s: &mut State, ip: IpAddr, query: &str, p: &HashMap<String, String>) -> Plan {
    s.requests += 1;
    if form_urlencoded::parse(query.as_bytes()).any(|(k, _)| k == "secret") {
        s.secret_in_url += 1;
    }
    let action = p
        .get("action")
        .map(|a| a.to_ascii_lowercase())
        .unwrap_or_default();
    if !action.is_empty() {
        *s.calls.entry(action.clone()).or_default() += 1;
    }
    let given = |name: &str| p.get(name).map(String::as_str).unwrap_or_default();
    let refusal = if s.ban_ip {
        Some(Answer::error(403, "IP Banned"))
    } else if s.deny_ip {
        Some(Answer::error(403, &format!("Invalid IP {ip}")))
    } else if given("identifier").is_empty() || given("identifier") != s.identifier {
        Some(Answer::error(403, "Invalid or missing credentials"))
    } else if given("secret") != s.secret {
        Some(Answer::error(403, "Authentication Failed"))
    } else if s.account_disabled {
        Some(Answer::error(403, "Administrator Account Disabled"))
    } else {
        action_refusal(s, &action)
    };
    if let Some(answer) = refusal {
        return Plan::Answer(answer);
    }
    *s.authorised.entry(action.clone()).or_default() += 1;
    if action == "addcredit" {
        add_credit_plan(s, p)
    } else {
        get_credits_plan(s, p)
    }
}

/// Empty, unknown or forbidden actions.
fn action_refusal(s: &State, action: &str) -> Option<Answer> {
    let allowed = match action {
        "" => return Some(Answer::error(400, "Empty action request")),
        "addcredit" => s.allow_add_credit,
        "getcredits" => s.allow_get_credits,
        _ => return Some(Answer::error(200, "Command Not Found")),
    };
    let message = format!("Invalid Permissions: API action \"{action}\" is not allowed");
    (!allowed).then(|| Answer::error(403, &message))
}

fn add_credit_plan(s: &mut State, p: &HashMap<String, String>) -> Plan {
    let fault = s.add_faults.pop_front().or(s.add_fault_always);
    if fault == Some(AddCreditFault::FailBefore500) {
        return Plan::Answer(Answer::server_error());
    }
    let answer = add_credit(s, p);
    match fault {
        None | Some(AddCreditFault::FailBefore500) => Plan::Answer(answer),
        Some(AddCreditFault::CommitThenDrop) => Plan::Drop,
        Some(AddCreditFault::CommitThen500) => Plan::Answer(Answer::server_error()),
        Some(AddCreditFault::CommitThenStall(wait)) => Plan::Stall(wait, answer),
    }
}

/// `AddCredit`'s checks in WHMCS's order, then the credit.
fn add_credit(s: &mut State, p: &HashMap<String, String>) -> Answer {
    let given = |name: &str| p.get(name).map(String::as_str);
    let kind = given("type").unwrap_or("add");
    if kind != "add" && kind != "remove" {
        return Answer::error(200, "Type can only be add or remove");
    }
    let amount = given("amount").unwrap_or_default();
    if amount.is_empty() || amount == "0" {
        return Answer::error(200, "No Amount Provided");
    }
    let Some(cents) = decimal_cents(amount) else {
        return Answer::error(200, "Amount must be in decimal format: ### or ###.##");
    };
    let client = given("clientid").and_then(|c| c.parse::<u32>().ok());
    let Some(client) = client.filter(|c| s.clients.contains(c)) else {
        return Answer::error(200, "Client ID Not Found");
    };
    let date = match given("date") {
        Some(d) if !is_date(d) => return Answer::error(200, "Date Format is not Valid"),
        Some(d) => d.to_owned(),
        None => today(),
    };
    if given("adminid").is_some_and(|a| a != "1") {
        return Answer::error(200, "Admin ID Not Found");
    }
    let signed = if kind == "remove" { -cents } else { cents };
    let description = given("description").unwrap_or_default();
    commit(s, client, description, &cents_text(signed), &date);
    let balance = cents_text(balance_cents(s, client));
    let newbalance = if s.newbalance_as_number {
        balance
            .parse::<f64>()
            .map(Value::from)
            .unwrap_or(Value::Null)
    } else {
        Value::from(balance)
    };
    Answer::success(vec![("newbalance", newbalance)])
}

fn commit(s: &mut State, client: u32, description: &str, amount: &str, date: &str) -> Credit {
    let credit = Credit {
        id: s.next_credit_id,
        date: date.to_owned(),
        description: description.to_owned(),
        amount: amount.to_owned(),
    };
    s.next_credit_id += 1;
    s.ledger.entry(client).or_default().push(credit.clone());
    credit
}

fn get_credits_plan(s: &mut State, p: &HashMap<String, String>) -> Plan {
    let answer = get_credits(s, p);
    match s.get_fault {
        None => Plan::Answer(answer),
        Some(GetCreditsFault::Status500) => Plan::Answer(Answer::server_error()),
        Some(GetCreditsFault::Drop) => Plan::Drop,
        Some(GetCreditsFault::Stall(wait)) => Plan::Stall(wait, answer),
    }
}

fn get_credits(s: &State, p: &HashMap<String, String>) -> Answer {
    let client = p.get("clientid").and_then(|c| c.parse::<u32>().ok());
    let Some(client) = client.filter(|c| s.clients.contains(c)) else {
        return Answer::error(200, "Client ID Not Found");
    };
    let lines: Vec<Value> = s
        .ledger
        .get(&client)
        .into_iter()
        .flatten()
        .map(|c| {
            json!({"id": c.id.to_string(), "date": c.date, "description": c.description,
                "amount": c.amount, "relid": "0"})
        })
        .collect();
    let total = Value::from(lines.len());
    let credits = if lines.is_empty() {
        json!([])
    } else {
        json!({ "credit": lines })
    };
    Answer::success(vec![
        ("totalresults", total),
        ("clientid", Value::from(client.to_string())),
        ("credits", credits),
    ])
}

/// The answer as JSON (`responsetype=json`) or WHMCS's `key=value;` text.
fn render(answer: Answer, json: bool) -> Response<Full<Bytes>> {
    let (content_type, text) = match answer.body {
        AnswerBody::Page(page) => ("text/html", page.to_owned()),
        AnswerBody::Fields(fields) if json => {
            let object: Map<String, Value> = fields.into_iter().collect();
            ("application/json", Value::Object(object).to_string())
        }
        AnswerBody::Fields(fields) => {
            let text: String = fields
                .iter()
                .filter(|(_, v)| !v.is_object() && !v.is_array())
                .map(|(k, v)| match v {
                    Value::String(s) => format!("{k}={s};"),
                    other => format!("{k}={other};"),
                })
                .collect();
            ("text/html", text)
        }
    };
    let mut response = Response::new(Full::new(Bytes::from(text)));
    *response.status_mut() =
        StatusCode::from_u16(answer.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if let Ok(value) = hyper::header::HeaderValue::from_str(content_type) {
        response
            .headers_mut()
            .insert(hyper::header::CONTENT_TYPE, value);
    }
    response
}

/// `^\d+(\.\d{1,2})?$` in cents.
fn decimal_cents(amount: &str) -> Option<i64> {
    let (whole, frac) = amount.split_once('.').unwrap_or((amount, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    let frac_ok = !amount.contains('.') || (1..=2).contains(&frac.len());
    if whole.is_empty() || whole.len() > 12 || !digits(whole) || !digits(frac) || !frac_ok {
        return None;
    }
    let frac_cents = format!("{frac:0<2}").parse::<i64>().ok()?;
    Some(whole.parse::<i64>().ok()? * 100 + frac_cents)
}

fn cents_text(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let abs = cents.unsigned_abs();
    format!("{sign}{}.{:02}", abs / 100, abs % 100)
}

fn balance_cents(s: &State, client: u32) -> i64 {
    s.ledger
        .get(&client)
        .into_iter()
        .flatten()
        .filter_map(|c| {
            let (negative, digits) = match c.amount.strip_prefix('-') {
                Some(rest) => (true, rest),
                None => (false, c.amount.as_str()),
            };
            decimal_cents(digits).map(|v| if negative { -v } else { v })
        })
        .sum()
}

/// `YYYY-MM-DD` with plausible month and day.
fn is_date(d: &str) -> bool {
    let parts: Vec<&str> = d.split('-').collect();
    let number = |s: &str, len: usize| {
        (s.len() == len && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse::<u32>().ok())
            .flatten()
    };
    match parts.as_slice() {
        [y, m, day] => {
            number(y, 4).is_some()
                && number(m, 2).is_some_and(|m| (1..=12).contains(&m))
                && number(day, 2).is_some_and(|day| (1..=31).contains(&day))
        }
        _ => false,
    }
}

/// Today's UTC date as `YYYY-MM-DD` (civil-from-days, no date crate).
fn today() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let z = i64::try_from(secs / 86_400).unwrap_or(0) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}
