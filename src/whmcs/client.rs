//! The actions cashgate performs: `AddCredit` (credit a client for one
//! wallet transaction), `GetCredits` (read a client's credit log to
//! reconcile an attempt whose outcome is unknown), `GetInvoice` (read an
//! invoice's status and balance) and `ApplyCredit` (pay an invoice from
//! the client's credit).

use rust_decimal::Decimal;

use super::answer::{credit_lines, new_balance};
use super::invoice::{AppliedCredit, Invoice, read_applied_credit, read_invoice};
use super::outcome::{CallOutcome, Rejection, WhmcsRefusal};
use super::transport::WhmcsClient;
use super::{Credentials, CreditLine, description};
use crate::domain::{ClientId, InvoiceId, TransId};

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

    /// What WHMCS says about `invoice`. A success that cannot be read
    /// whole (a money field in a shape WHMCS does not send, another
    /// invoice's answer) is `Unknown`: nothing may be decided from it.
    pub async fn get_invoice(
        &self,
        c: &Credentials<'_>,
        invoice: InvoiceId,
    ) -> CallOutcome<Invoice> {
        let invoiceid = invoice.to_string();
        self.call(c, "GetInvoice", &[("invoiceid", invoiceid.as_str())])
            .await
            .and_then(|answer| match read_invoice(&answer, invoice) {
                Ok(read) => CallOutcome::Success(read),
                Err(why) => CallOutcome::Unknown(format!("unreadable GetInvoice answer: {why}")),
            })
    }

    /// Applies `amount` of the invoice owner's credit to `invoice`. Like
    /// AddCredit it has no duplicate check: every success applies again,
    /// so after an outcome that is not a clear answer read the invoice
    /// (`get_invoice`) before calling again.
    ///
    /// `noemail` is never sent: the customer gets WHMCS's usual "invoice
    /// paid" email, as after any payment. (WHMCS is PHP, where the text
    /// `false` is a non-empty string and reads as true.)
    pub async fn apply_credit(
        &self,
        c: &Credentials<'_>,
        invoice: InvoiceId,
        amount: Decimal,
    ) -> CallOutcome<AppliedCredit> {
        let Some(amount) = amount_text(amount) else {
            return CallOutcome::Permanent(Rejection::local(
                WhmcsRefusal::AmountFormat,
                "the amount must be positive with at most two decimal places",
            ));
        };
        let invoiceid = invoice.to_string();
        let params = [
            ("invoiceid", invoiceid.as_str()),
            ("amount", amount.as_str()),
        ];
        self.call(c, "ApplyCredit", &params)
            .await
            .and_then(|answer| match read_applied_credit(&answer, invoice) {
                Ok(applied) => CallOutcome::Success(applied),
                Err(why) => {
                    CallOutcome::Unknown(format!("ApplyCredit answered for another invoice: {why}"))
                }
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
