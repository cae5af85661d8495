//! `GET`/`POST /api/payment_link_check`: the call the VodafoneCash WHMCS
//! module makes from its callback, unchanged. Validates, then repeats,
//! claims or waits; when the payment goes to `crediting` the reply waits
//! (at most `check_wait_ms`) for WHMCS to confirm, so `"status": true`
//! means the credit is there.

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
use crate::domain::{Amount, ClientId, Lang, PaymentId, Phone, StoreId};
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
    match check(&app, client, &params, lang).await {
        Ok(reply) => json(StatusCode::OK, &reply),
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

/// Parses the module's fields into a new payment's request.
fn parse_check(params: &Params, store_id: StoreId, lang: Lang) -> Result<NewPayment, ApiError> {
    let phone = Phone::parse(params.get("phone").unwrap_or_default())
        .map_err(|e| ApiError::InvalidPhone(e.to_string()))?;
    let amount = Amount::parse(params.get("amount").unwrap_or_default())
        .map_err(|e| ApiError::InvalidAmount(e.to_string()))?;
    let client_id = ClientId::from_fields(params.get("client_id"), params.get("user_name"))
        .map_err(|e| ApiError::InvalidClientId(e.to_string()))?;
    Ok(NewPayment {
        store_id,
        client_id,
        phone,
        amount,
        lang,
    })
}

async fn check(
    app: &App,
    client: Client,
    params: &Params,
    lang: Lang,
) -> Result<PaymentReply, ApiError> {
    let store_id = StoreId::parse(params.get("store_id").unwrap_or_default().trim())
        .map_err(|_| ApiError::InvalidStoreId)?;
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
    let new = parse_check(params, store_id, lang)?;
    if new.amount.convert(settings.currency_rate).is_none() {
        return Err(ApiError::InvalidAmount(
            "too small to credit at the store's currency rate".into(),
        ));
    }
    // A repeat of an open payment costs nothing and is never refused by
    // the client, phone or store limits: only new payments count.
    if app.payments.opens_new_payment(&new)? {
        app.limits
            .check_new_payment(&new.store_id, new.client_id, &new.phone, asker)?;
    }
    let outcome = app.payments.check(&new, app.clock.now())?.durable().await?;
    let (record, reported) = match outcome {
        CheckOutcome::Repeat {
            record,
            newly_reported,
        } => (record, newly_reported),
        CheckOutcome::Matched(applied) => (applied.record, false),
        CheckOutcome::Searching(record) => (record, false),
    };
    if reported {
        return Ok(PaymentReply::new(&(&record).into(), lang, true));
    }
    if record.state_name() != StateName::Crediting {
        return Ok(PaymentReply::new(&(&record).into(), lang, false));
    }
    let waited = wait_for_credit(app, &record.id).await?;
    Ok(PaymentReply::new(&(&waited.0).into(), lang, waited.1))
}

/// Waits up to `check_wait_ms` for a `crediting` payment to settle. Returns
/// the payment as it then is, and whether this reply reports the credit.
async fn wait_for_credit(app: &App, id: &PaymentId) -> Result<(PaymentRecord, bool), ApiError> {
    let mut changes = app.payments.changes().subscribe(id);
    let deadline = tokio::time::Instant::now() + Duration::from_millis(app.settings.check_wait_ms);
    loop {
        // Read after subscribing, so a change in between is not missed.
        let record = app.payments.payment(id)?.ok_or(ApiError::UnknownPayment)?;
        if record.state_name() == StateName::Credited {
            let reported = app.payments.report_credit(id)?.durable().await?;
            let record = app.payments.payment(id)?.unwrap_or(record);
            return Ok((record, reported));
        }
        if record.state_name() != StateName::Crediting {
            return Ok((record, false));
        }
        match tokio::time::timeout_at(deadline, changes.changed()).await {
            Ok(Ok(())) => continue,
            Ok(Err(_)) | Err(_) => return Ok((record, false)),
        }
    }
}
