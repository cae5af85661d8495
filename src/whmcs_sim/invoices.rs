//! Invoices: `GetInvoice` and `ApplyCredit` with WHMCS's refusals in
//! WHMCS's order (`Invoice ID Not Found`, `Invoice Not in Unpaid Status`,
//! `Amount exceeds customer credit balance`, `Amount Exceeds Invoice
//! Balance`, `Credit Amount to apply must be greater than zero`), and the
//! test-side API to create invoices, read them and read the ledger of
//! applications.
//!
//! An invoice keeps its subtotal and the credit applied to it; its total
//! is the subtotal less that credit and its balance is the total (the
//! emulator takes no other payments).

use std::collections::HashMap;

use serde_json::{Value, json};

use super::answer::{Answer, Plan};
use super::credits::{balance_cents, cents_text, commit, decimal_cents, today};
use super::{CommitFault, ReadFault, State, WhmcsEmulator};

/// What the emulator keeps about an invoice.
pub(super) struct InvoiceRecord {
    client: u32,
    status: String,
    subtotal_cents: i64,
    credit_cents: i64,
}

impl InvoiceRecord {
    fn total_cents(&self) -> i64 {
        self.subtotal_cents - self.credit_cents
    }

    fn balance_cents(&self) -> i64 {
        self.total_cents()
    }
}

/// An invoice as a test sees it, money as WHMCS prints it (`12.34`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerInvoice {
    pub id: u32,
    pub client: u32,
    pub status: String,
    pub total: String,
    pub credit: String,
    pub balance: String,
}

/// One `ApplyCredit` that WHMCS committed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Application {
    pub invoice: u32,
    pub client: u32,
    pub amount: String,
}

/// Invoices, from the test's side.
impl WhmcsEmulator {
    /// Creates an invoice of `total` (`12.34`; anything else is taken as
    /// 0.00) for `client` with `status` (`Unpaid`, `Paid`, `Cancelled`, …)
    /// and returns its id (from 1001). The client becomes known to WHMCS if
    /// it was not.
    pub fn create_invoice(&self, client: u32, total: &str, status: &str) -> u32 {
        let subtotal_cents = decimal_cents(total).unwrap_or(0);
        let mut s = self.state();
        let id = s.next_invoice_id;
        s.next_invoice_id += 1;
        s.clients.insert(client);
        let record = InvoiceRecord {
            client,
            status: status.to_owned(),
            subtotal_cents,
            credit_cents: 0,
        };
        s.invoices.insert(id, record);
        id
    }

    /// Sets an invoice's status (paid by hand, cancelled, …).
    pub fn set_invoice_status(&self, id: u32, status: &str) {
        if let Some(invoice) = self.state().invoices.get_mut(&id) {
            invoice.status = status.to_owned();
        }
    }

    pub fn invoice(&self, id: u32) -> Option<LedgerInvoice> {
        let s = self.state();
        s.invoices.get(&id).map(|r| LedgerInvoice {
            id,
            client: r.client,
            status: r.status.clone(),
            total: cents_text(r.total_cents()),
            credit: cents_text(r.credit_cents),
            balance: cents_text(r.balance_cents()),
        })
    }

    /// Every committed `ApplyCredit`, oldest first.
    pub fn applications(&self) -> Vec<Application> {
        self.state().applications.clone()
    }

    /// How many times credit was applied to `invoice`.
    pub fn applications_to(&self, invoice: u32) -> usize {
        let s = self.state();
        s.applications
            .iter()
            .filter(|a| a.invoice == invoice)
            .count()
    }

    /// Money fields of invoice answers as JSON numbers instead of strings
    /// (some WHMCS versions send them so).
    pub fn invoice_money_as_numbers(&self, numbers: bool) {
        self.state().invoice_money_as_numbers = numbers;
    }

    /// Queues `fault` for the next `n` `ApplyCredit` calls that pass
    /// authentication (before the persistent mode).
    pub fn fail_next_apply_credit(&self, n: usize, fault: CommitFault) {
        let mut s = self.state();
        s.apply_faults.extend(std::iter::repeat_n(fault, n));
    }

    /// A fault for every `ApplyCredit` call once the queue is empty.
    pub fn set_apply_credit_fault(&self, fault: Option<CommitFault>) {
        self.state().apply_fault_always = fault;
    }

    pub fn pending_apply_credit_faults(&self) -> usize {
        self.state().apply_faults.len()
    }

    /// A fault for every `GetInvoice` call that passes authentication.
    pub fn get_invoice_fail(&self, fault: Option<ReadFault>) {
        self.state().get_invoice_fault = fault;
    }

    /// Sets the invoice's status to `status` just before the next
    /// `ApplyCredit` for it is answered (paid by other means meanwhile).
    pub fn close_invoice_before_next_apply(&self, id: u32, status: &str) {
        self.state().close_before_apply = Some((id, status.to_owned()));
    }

    pub fn apply_credit_calls(&self) -> usize {
        self.calls("applycredit")
    }

    pub fn get_invoice_calls(&self) -> usize {
        self.calls("getinvoice")
    }
}

pub(super) fn apply_credit_plan(s: &mut State, p: &HashMap<String, String>) -> Plan {
    let asked = php_int(p.get("invoiceid").map(String::as_str).unwrap_or_default());
    if let Some((id, status)) = s.close_before_apply.take_if(|(id, _)| *id == asked)
        && let Some(invoice) = s.invoices.get_mut(&id)
    {
        invoice.status = status;
    }
    let fault = s.apply_faults.pop_front().or(s.apply_fault_always);
    if fault == Some(CommitFault::FailBefore500) {
        return Plan::Answer(Answer::server_error());
    }
    let answer = apply_credit(s, p);
    match fault {
        None | Some(CommitFault::FailBefore500) => Plan::Answer(answer),
        Some(CommitFault::CommitThenDrop) => Plan::Drop,
        Some(CommitFault::CommitThen500) => Plan::Answer(Answer::server_error()),
        Some(CommitFault::CommitThenStall(wait)) => Plan::Stall(wait, answer),
    }
}

/// `ApplyCredit`'s checks in WHMCS's order, then the application.
fn apply_credit(s: &mut State, p: &HashMap<String, String>) -> Answer {
    let id = php_int(p.get("invoiceid").map(String::as_str).unwrap_or_default());
    let Some(invoice) = s.invoices.get(&id) else {
        return Answer::error(200, "Invoice ID Not Found");
    };
    if invoice.status != "Unpaid" {
        return Answer::error(200, "Invoice Not in Unpaid Status");
    }
    let (client, balance) = (invoice.client, invoice.balance_cents());
    let amount = match p.get("amount").map(String::as_str) {
        Some("full") => balance,
        given => php_round_cents(given.unwrap_or_default()),
    };
    if balance_cents(s, client) < amount {
        return Answer::error(200, "Amount exceeds customer credit balance");
    }
    if balance < amount {
        return Answer::error(200, "Amount Exceeds Invoice Balance");
    }
    if amount <= 0 {
        return Answer::error(200, "Credit Amount to apply must be greater than zero");
    }
    let paid = apply(s, id, client, amount);
    let numbers = s.invoice_money_as_numbers;
    Answer::success(vec![
        ("invoiceid", Value::from(id.to_string())),
        ("amount", money(amount, numbers)),
        (
            "invoicepaid",
            Value::from(if paid { "true" } else { "false" }),
        ),
    ])
}

/// Commits one application; true when it paid the invoice.
fn apply(s: &mut State, id: u32, client: u32, amount: i64) -> bool {
    let description = format!("Credit Applied to Invoice #{id}");
    commit(s, client, &description, &cents_text(-amount), &today(), id);
    s.applications.push(Application {
        invoice: id,
        client,
        amount: cents_text(amount),
    });
    let Some(invoice) = s.invoices.get_mut(&id) else {
        return false;
    };
    invoice.credit_cents += amount;
    if invoice.balance_cents() <= 0 {
        invoice.status = "Paid".to_owned();
    }
    invoice.status == "Paid"
}

pub(super) fn get_invoice_plan(s: &mut State, p: &HashMap<String, String>) -> Plan {
    let answer = get_invoice(s, p);
    match s.get_invoice_fault {
        None => Plan::Answer(answer),
        Some(ReadFault::Status500) => Plan::Answer(Answer::server_error()),
        Some(ReadFault::Drop) => Plan::Drop,
        Some(ReadFault::Stall(wait)) => Plan::Stall(wait, answer),
    }
}

fn get_invoice(s: &State, p: &HashMap<String, String>) -> Answer {
    let id = php_int(p.get("invoiceid").map(String::as_str).unwrap_or_default());
    let Some(invoice) = s.invoices.get(&id) else {
        return Answer::error(200, "Invoice ID Not Found");
    };
    let numbers = s.invoice_money_as_numbers;
    Answer::success(vec![
        ("invoiceid", Value::from(id.to_string())),
        ("invoicenum", Value::from("")),
        ("userid", Value::from(invoice.client.to_string())),
        ("status", Value::from(invoice.status.clone())),
        ("subtotal", money(invoice.subtotal_cents, numbers)),
        ("credit", money(invoice.credit_cents, numbers)),
        ("tax", money(0, numbers)),
        ("total", money(invoice.total_cents(), numbers)),
        ("balance", money(invoice.balance_cents(), numbers)),
        ("currencycode", Value::from("USD")),
        ("transactions", json!({"transaction": []})),
    ])
}

/// Money as WHMCS prints it (`"6.21"`), or as a JSON number.
fn money(cents: i64, number: bool) -> Value {
    let text = cents_text(cents);
    if number {
        // As PHP's json_encode writes a float: a JSON number, which
        // serde_json reads as a double.
        serde_json::from_str(&text).unwrap_or(Value::Null)
    } else {
        Value::from(text)
    }
}

/// PHP's `(int)` of a request field: its leading digits, else 0.
fn php_int(text: &str) -> u32 {
    let digits: String = text
        .trim_start()
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().unwrap_or(0)
}

/// PHP's `round($amount, 2)` in cents (half away from zero); text that is
/// not a number counts as 0, as PHP's loose casting makes it.
fn php_round_cents(text: &str) -> i64 {
    let text = text.trim();
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (whole, places) = digits.split_once('.').unwrap_or((digits, ""));
    let numeric = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || whole.len() > 12 || !numeric(whole) || !numeric(places) {
        return 0;
    }
    let padded = format!("{places:0<3}");
    let (cents_part, next) = padded.split_at(2);
    let mut cents =
        whole.parse::<i64>().unwrap_or(0) * 100 + cents_part.parse::<i64>().unwrap_or(0);
    if next.starts_with(['5', '6', '7', '8', '9']) {
        cents += 1;
    }
    if negative { -cents } else { cents }
}
