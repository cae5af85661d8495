//! `AddCredit` and `GetCredits` over the per-client credit log, and the
//! money and date helpers the actions share.

use std::collections::HashMap;

use serde_json::{Value, json};

use super::answer::{Answer, Plan};
use super::{CommitFault, Credit, ReadFault, State};

pub(super) fn add_credit_plan(s: &mut State, p: &HashMap<String, String>) -> Plan {
    let fault = s.add_faults.pop_front().or(s.add_fault_always);
    if fault == Some(CommitFault::FailBefore500) {
        return Plan::Answer(Answer::server_error());
    }
    let answer = add_credit(s, p);
    match fault {
        None | Some(CommitFault::FailBefore500) => Plan::Answer(answer),
        Some(CommitFault::CommitThenDrop) => Plan::Drop,
        Some(CommitFault::CommitThen500) => Plan::Answer(Answer::server_error()),
        Some(CommitFault::CommitThenStall(wait)) => Plan::Stall(wait, answer),
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
    commit(s, client, description, &cents_text(signed), &date, 0);
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

/// Adds a line to a client's credit log.
pub(super) fn commit(
    s: &mut State,
    client: u32,
    description: &str,
    amount: &str,
    date: &str,
    relid: u32,
) -> Credit {
    let credit = Credit {
        id: s.next_credit_id,
        date: date.to_owned(),
        description: description.to_owned(),
        amount: amount.to_owned(),
        relid,
    };
    s.next_credit_id += 1;
    s.ledger.entry(client).or_default().push(credit.clone());
    credit
}

pub(super) fn get_credits_plan(s: &mut State, p: &HashMap<String, String>) -> Plan {
    let answer = get_credits(s, p);
    match s.get_fault {
        None => Plan::Answer(answer),
        Some(ReadFault::Status500) => Plan::Answer(Answer::server_error()),
        Some(ReadFault::Drop) => Plan::Drop,
        Some(ReadFault::Stall(wait)) => Plan::Stall(wait, answer),
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
                "amount": c.amount, "relid": c.relid.to_string()})
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

/// `^\d+(\.\d{1,2})?$` in cents.
pub(super) fn decimal_cents(amount: &str) -> Option<i64> {
    let (whole, frac) = amount.split_once('.').unwrap_or((amount, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    let frac_ok = !amount.contains('.') || (1..=2).contains(&frac.len());
    if whole.is_empty() || whole.len() > 12 || !digits(whole) || !digits(frac) || !frac_ok {
        return None;
    }
    let frac_cents = format!("{frac:0<2}").parse::<i64>().ok()?;
    Some(whole.parse::<i64>().ok()? * 100 + frac_cents)
}

pub(super) fn cents_text(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let abs = cents.unsigned_abs();
    format!("{sign}{}.{:02}", abs / 100, abs % 100)
}

pub(super) fn balance_cents(s: &State, client: u32) -> i64 {
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
pub(super) fn today() -> String {
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
