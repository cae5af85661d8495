//! Reading the fields of a successful answer: `AddCredit`'s `newbalance`
//! and `GetCredits`' credit list, in every shape WHMCS is known to send.

use std::str::FromStr;

use rust_decimal::Decimal;
use serde_json::Value;

use super::CreditLine;
use crate::domain::ClientId;

/// `newbalance` as a string (`"123.45"`) or a number (`123.45`); `None`
/// when missing or not a decimal.
pub fn new_balance(answer: &Value) -> Option<Decimal> {
    let text = match answer.get("newbalance")? {
        Value::String(s) => s.trim().to_owned(),
        Value::Number(n) => n.to_string(),
        _ => return None,
    };
    Decimal::from_str(&text)
        .or_else(|_| Decimal::from_scientific(&text))
        .ok()
}

/// The credit lines of a `GetCredits` success. `credits` may be
/// `{"credit": [..]}`, `{"credit": {..}}` (one line), a bare list of
/// lines, `[]`, `{}` or missing. An answer that lists fewer lines than its `totalresults`, or
/// is for another client, is refused: reconciliation must never conclude
/// "absent" from a list it could not read whole.
pub fn credit_lines(answer: &Value, client: Option<ClientId>) -> Result<Vec<CreditLine>, String> {
    if let (Some(expected), Some(given)) = (client, answer.get("clientid"))
        && text(given) != expected.to_string()
    {
        return Err(format!("the answer is for client {}", text(given)));
    }
    let lines = match answer.get("credits") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items.iter().map(line).collect::<Result<_, _>>()?,
        Some(Value::Object(o)) => match o.get("credit") {
            None => Vec::new(),
            Some(Value::Array(items)) => items.iter().map(line).collect::<Result<_, _>>()?,
            Some(one @ Value::Object(_)) => vec![line(one)?],
            Some(_) => return Err("credits.credit is neither a list nor an object".into()),
        },
        Some(_) => return Err("credits is neither a list nor an object".into()),
    };
    match answer.get("totalresults").map(text) {
        Some(total) if total.parse::<usize>().ok() != Some(lines.len()) => Err(format!(
            "totalresults is {total} but {} credit lines were listed",
            lines.len()
        )),
        _ => Ok(lines),
    }
}

/// One credit line; it must be an object with a description.
fn line(item: &Value) -> Result<CreditLine, String> {
    if !item.is_object() || item.get("description").is_none() {
        return Err("a credit line has no description".into());
    }
    let field = |name: &str| item.get(name).map(text).unwrap_or_default();
    Ok(CreditLine {
        id: field("id"),
        date: field("date"),
        description: field("description"),
        amount: field("amount"),
    })
}

/// A string as it is; a number or anything else as JSON text.
pub(super) fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}
