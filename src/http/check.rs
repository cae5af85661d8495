//! `GET`/`POST /api/payment_link_check`: the call the VodafoneCash WHMCS
//! module makes from its callback, unchanged. Validates, then repeats,
//! claims or waits; when the payment goes to `crediting` the reply waits
//! (at most `check_wait_ms`) for WHMCS to confirm, so `"status": true`
//! means the credit is there — and, for a check that names an
//! `invoice_id`, within the same wait for the invoice to be paid from it.
//! [`run`] is that check once the fields are read; the pay page's form
//! (`pay::form`) calls it too.

use std::sync::Arc;
use std::time::Duration;

use http::{Method, Request, Response, StatusCode};
use hyper::body::Incoming;

use super::client_ip::Client;
use super::params::Params;
use super::reply::{Body, json};
use super::views::PaymentReply;
use super::{ApiError, App, body};
use crate::antispam::{Asker, IpKey};
use crate::domain::{
    Amount, ClientId, InvoiceId, Lang, PaymentId, Phone, StoreId, TransId, normalise,
};
use crate::machine::StateName;
use crate::payments::{CheckOutcome, NewPayment, PaymentRecord};

pub async fn payment_link_check(
    app: Arc<App>,
    client: Client,
    req: Request<Incoming>,
) -> Response<Body> {
    let params = match read_params(&app, req).await {
        Ok(p) => p,
        Err(e) => return e.response(Lang::En),
    };
    let lang = Lang::from_param(params.get("lang"));
    let store_id = params.get("store_id").unwrap_or_default();
    match run(&app, client, store_id, &params, lang).await {
        Ok(checked) => json(StatusCode::OK, &checked.reply(lang)),
        Err(e) => e.response(lang),
    }
}

/// The query for GET; the form body (else the query) for POST.
async fn read_params(app: &App, req: Request<Incoming>) -> Result<Params, ApiError> {
    if req.method() == Method::GET || req.method() == Method::HEAD {
        return Params::from_query(req.uri().query());
    }
    let (parts, bytes) = body::read(req, app.settings.limits.body_bytes_max).await?;
    if bytes.is_empty() {
        return Params::from_query(parts.uri.query());
    }
    Params::from_bytes(&bytes)
}

/// A check's fields, parsed.
struct CheckRequest {
    new: NewPayment,
    /// The transfer's reference number, when the customer gave one.
    reference: Option<TransId>,
}

/// Parses the check's fields (the module's, and the pay page's, which
/// are the same) into a new payment's request.
fn parse_check(params: &Params, store_id: StoreId, lang: Lang) -> Result<CheckRequest, ApiError> {
    let phone = Phone::parse(params.get("phone").unwrap_or_default())
        .map_err(|e| ApiError::InvalidPhone(e.to_string()))?;
    let amount = Amount::parse(params.get("amount").unwrap_or_default())
        .map_err(|e| ApiError::InvalidAmount(e.to_string()))?;
    let client_id = ClientId::from_fields(params.get("client_id"), params.get("user_name"))
        .map_err(|e| ApiError::InvalidClientId(e.to_string()))?;
    let invoice = invoice_id(params)?;
    let reference = match params.get("trans_id").map(str::trim) {
        None | Some("") => None,
        // Typed on a phone, a reference may come in Arabic-Indic digits.
        Some(text) => Some(TransId::parse(&normalise(text)).map_err(|_| {
            ApiError::InvalidReference("letters, digits, '-' or '_', at most 64".into())
        })?),
    };
    let new = NewPayment {
        store_id,
        client_id,
        phone,
        amount,
        lang,
        invoice,
    };
    Ok(CheckRequest { new, reference })
}

/// The optional `invoice_id`: absent or empty is none (the public module
/// sends none); anything else must be a positive invoice id.
fn invoice_id(params: &Params) -> Result<Option<InvoiceId>, ApiError> {
    match params.get("invoice_id").filter(|v| !v.trim().is_empty()) {
        None => Ok(None),
        Some(given) => InvoiceId::parse(given)
            .map(Some)
            .map_err(|e| ApiError::InvalidRequest(format!("invoice_id: {e}"))),
    }
}

/// What a check answered: the payment as it now is, and whether this reply
/// is the one that reports its credit.
pub(super) struct Checked {
    pub record: PaymentRecord,
    pub reports_credit: bool,
}

impl Checked {
    fn reply(&self, lang: Lang) -> PaymentReply {
        PaymentReply::new(&(&self.record).into(), lang, self.reports_credit)
    }
}

/// The check once its fields are read, shared by the API and the pay page:
/// the store, the rate limits, the claim (by reference, else by phone and
/// amount) or a new searching payment, and the wait for the credit.
pub(super) async fn run(
    app: &App,
    client: Client,
    store_id: &str,
    params: &Params,
    lang: Lang,
) -> Result<Checked, ApiError> {
    let store_id = StoreId::parse(store_id.trim()).map_err(|_| ApiError::InvalidStoreId)?;
    // Limits are keyed only once the store exists, so requests for stores
    // that do not exist cannot fill the limiters' maps.
    let settings = app
        .stores
        .shared(&store_id)?
        .ok_or(ApiError::UnknownStore)?;
    // The store's own WHMCS servers carry every customer's check: they skip
    // the per-address limit and have their own budget.
    let asker = match settings.check_ips.contains(&client.ip) {
        true => Asker::StoreServers,
        false => Asker::Address(IpKey::of(client.ip)),
    };
    if let Asker::Address(ip) = asker {
        app.limits.check_ip.check(&ip)?;
    }
    settings.can_credit().map_err(ApiError::StoreNotReady)?;
    let CheckRequest { new, reference } = parse_check(params, store_id, lang)?;
    if new.amount.convert(settings.currency_rate).is_none() {
        return Err(ApiError::InvalidAmount(
            "too small to credit at the store's currency rate".into(),
        ));
    }
    // Guessing references stays slow for everyone but the store's own
    // servers, which vouch for the logged-in client.
    if let (Some(_), Asker::Address(ip)) = (&reference, asker) {
        app.limits.reference_ip.check(&ip)?;
        app.limits.reference_store.check(&new.store_id.as_str())?;
    }
    // A repeat of an open payment costs nothing and is never refused by
    // the client, phone or store limits: only new payments count.
    if app.payments.opens_new_payment(&new)? {
        app.limits
            .check_new_payment(&new.store_id, new.client_id, &new.phone, asker)?;
    }
    let now = app.clock.now();
    let by_reference = match &reference {
        Some(r) => app.payments.check_reference(&new, r, now)?,
        None => None,
    };
    let written = match by_reference {
        Some(written) => written,
        None => app.payments.check(&new, now)?,
    };
    let (record, reported) = match written.durable().await? {
        CheckOutcome::Repeat {
            record,
            newly_reported,
        } => (record, newly_reported),
        CheckOutcome::Matched(applied) => (applied.record, false),
        CheckOutcome::Searching(record) => (record, false),
    };
    if reported || record.state_name() != StateName::Crediting {
        return Ok(Checked {
            record,
            reports_credit: reported,
        });
    }
    let (record, reports_credit) = wait_for_credit(app, &record.id).await?;
    Ok(Checked {
        record,
        reports_credit,
    })
}

/// Waits up to `check_wait_ms` for a `crediting` payment to settle, and
/// for a credited payment's invoice to be paid. Returns the payment as it
/// then is, and whether this reply reports the credit.
async fn wait_for_credit(app: &App, id: &PaymentId) -> Result<(PaymentRecord, bool), ApiError> {
    let mut changes = app.payments.changes().subscribe(id);
    let deadline = tokio::time::Instant::now() + Duration::from_millis(app.settings.check_wait_ms);
    loop {
        // Read after subscribing, so a change in between is not missed.
        let record = app.payments.payment(id)?.ok_or(ApiError::UnknownPayment)?;
        let credited = record.state_name() == StateName::Credited;
        if credited && !record.invoice_pending() {
            return report(app, record).await;
        }
        if !credited && record.state_name() != StateName::Crediting {
            return Ok((record, false));
        }
        match tokio::time::timeout_at(deadline, changes.changed()).await {
            Ok(Ok(())) => continue,
            Ok(Err(_)) | Err(_) if credited => return report(app, record).await,
            Ok(Err(_)) | Err(_) => return Ok((record, false)),
        }
    }
}

/// Reports a credited payment in this reply, unless another reply did.
async fn report(app: &App, record: PaymentRecord) -> Result<(PaymentRecord, bool), ApiError> {
    let reported = app.payments.report_credit(&record.id)?.durable().await?;
    let record = app.payments.payment(&record.id)?.unwrap_or(record);
    Ok((record, reported))
}
