//! The two actions cashgate performs: `AddCredit` (credit a client for one
//! wallet transaction) and `GetCredits` (read a client's credit log to
//! reconcile an attempt whose outcome is unknown).

use rust_decimal::Decimal;

use super::answer::{credit_lines, new_balance};
use super::outcome::{CallOutcome, Rejection, WhmcsRefusal};
use super::transport::WhmcsClient;
use super::{Credentials, CreditLine, description};
use crate::domain::{ClientId, TransId};

impl WhmcsClient {
    /// Credits `amount` to `client` for `trans_id`. WHMCS has no duplicate
    /// check: every success adds credit, so call again only after an
    /// outcome that proves nothing was committed (or a reconciliation).
    /// The success value is the new balance when WHMCS gave a readable one.
    pub async fn add_credit(
        &self,
        c: &Credentials<'_>,
        client: ClientId,
        amount: Decimal,
        trans_id: &TransId,
    ) -> CallOutcome<Option<Decimal>> {
        let Some(amount) = amount_text(amount) else {
            return CallOutcome::Permanent(Rejection::local(
                WhmcsRefusal::AmountFormat,
                "the amount must be positive with at most two decimal places",
            ));
        };
        let clientid = client.to_string();
        let description = description(trans_id);
        let params = [
            ("clientid", clientid.as_str()),
            ("description", description.as_str()),
            ("amount", amount.as_str()),
        ];
        self.call(c, "AddCredit", &params)
            .await
            .map(|answer| new_balance(&answer))
    }

    /// The client's credit log. A success whose list cannot be read whole
    /// is `Unknown`, never an empty list.
    pub async fn get_credits(
        &self,
        c: &Credentials<'_>,
        client: ClientId,
    ) -> CallOutcome<Vec<CreditLine>> {
        let clientid = client.to_string();
        self.call(c, "GetCredits", &[("clientid", clientid.as_str())])
            .await
            .and_then(|answer| match credit_lines(&answer, Some(client)) {
                Ok(lines) => CallOutcome::Success(lines),
                Err(why) => CallOutcome::Unknown(format!("unreadable GetCredits answer: {why}")),
            })
    }
}

/// The amount as WHMCS wants it (`^\d+(\.\d{1,2})?$`): plain, two places.
/// `None` unless positive with at most two significant places.
pub(crate) fn amount_text(amount: Decimal) -> Option<String> {
    let mut value = amount.normalize();
    if value <= Decimal::ZERO || value.scale() > 2 {
        return None;
    }
    value.rescale(2);
    Some(value.to_string())
}
