//! `POST /api/stores/{id}/transactions`: the SMS forwarder on the
//! merchant's phone posts every wallet notification here (or a JSON
//! transaction). Bearer ingest token; idempotent on trans_id; what cannot be
//! used is quarantined with its reason, never dropped.

use std::sync::Arc;

use http::{Request, Response, StatusCode};
use hyper::body::Incoming;
use jiff::Timestamp;
use serde_json::{Value, json};

use super::client_ip::Client;
use super::reply::{Body, json};
use super::views::TransactionView;
use super::{ApiError, App, auth, body};
use crate::antispam::IpKey;
use crate::domain::{Amount, Lang, Phone, StoreId, TransId};
use crate::payments::{IngestOutcome, QuarantineEntry, QuarantineReason, TransactionRecord};
use crate::sms::SmsError;

pub async fn transactions(
    app: Arc<App>,
    client: Client,
    store_id: &str,
    req: Request<Incoming>,
) -> Response<Body> {
    match ingest(&app, client, store_id, req).await {
        Ok(response) => response,
        Err(e) => e.response(Lang::En),
    }
}

/// A body, sorted by the shape it came in.
enum Payload {
    /// `{"trans_id", "phone", "amount", "received_at"}`.
    Form(Value),
    /// A forwarded SMS: sender id and text.
    Sms { from: String, text: String },
}

async fn ingest(
    app: &App,
    client: Client,
    store_id: &str,
    req: Request<Incoming>,
) -> Result<Response<Body>, ApiError> {
    let store_id = StoreId::parse(store_id).map_err(|_| ApiError::InvalidStoreId)?;
    let settings = app.stores.shared(&store_id)?;
    // An address that used up its wrong tokens gets none compared.
    app.limits.auth_failures_ip.peek(&IpKey::of(client.ip))?;
    let authorised = settings
        .as_ref()
        .is_some_and(|s| auth::bearer_matches(req.headers(), &s.ingest_token));
    if !authorised {
        // Failed attempts are limited per IP (guessing tokens is slow), and
        // never spend the store's quota: nobody without the token can
        // crowd out the merchant's forwarder.
        app.limits.auth_failures_ip.check(&IpKey::of(client.ip))?;
        return Err(if settings.is_some() {
            ApiError::Unauthorized
        } else {
            ApiError::UnknownStore
        });
    }
    app.limits.ingest_store.check(&store_id.as_str())?;
    let (_, bytes) = body::read(req, app.settings.limits.body_bytes_max).await?;
    let payload: Value = serde_json::from_slice(&bytes)
        .map_err(|_| ApiError::InvalidRequest("the body is not JSON".into()))?;
    let now = app.clock.now();
    match shape(payload)? {
        Payload::Form(form) => store(app, from_form(&form, &store_id, now)?, None).await,
        Payload::Sms { from, text } => sms(app, &store_id, &from, &text).await,
    }
}

/// A forwarded SMS, once its store is authorised: through the receipt
/// parser into the store's transactions, or into the quarantine. (The
/// demo's "simulate the wallet SMS" comes in here too.)
pub(super) async fn sms(
    app: &App,
    store_id: &StoreId,
    from: &str,
    text: &str,
) -> Result<Response<Body>, ApiError> {
    match crate::sms::parse_sms(from, text) {
        Ok(sms) => {
            let tx = TransactionRecord::new(
                store_id.clone(),
                sms.trans_id,
                sms.phone,
                sms.amount,
                sms.received_at,
                app.clock.now(),
            );
            store(app, tx, Some((from, text))).await
        }
        Err(e) => refuse_sms(app, store_id, from, text, &e).await,
    }
}

fn shape(payload: Value) -> Result<Payload, ApiError> {
    let text_of = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_owned);
    if let (Some(from), Some(text)) = (text_of(payload.get("from")), text_of(payload.get("text"))) {
        return Ok(Payload::Sms { from, text });
    }
    if let Some(inner) = payload
        .get("payload")
        .filter(|_| payload.get("event").is_some())
    {
        let from = text_of(inner.get("phoneNumber"));
        let text = text_of(inner.get("message"));
        if let (Some(from), Some(text)) = (from, text) {
            return Ok(Payload::Sms { from, text });
        }
        return Err(ApiError::InvalidRequest(
            "payload needs phoneNumber and message".into(),
        ));
    }
    if payload.get("trans_id").is_some() {
        return Ok(Payload::Form(payload));
    }
    Err(ApiError::InvalidRequest(
        "expected a transaction (trans_id, phone, amount) or a forwarded SMS (from, text)".into(),
    ))
}

fn from_form(
    form: &Value,
    store_id: &StoreId,
    now: Timestamp,
) -> Result<TransactionRecord, ApiError> {
    let trans_id = form
        .get("trans_id")
        .and_then(Value::as_str)
        .and_then(|t| TransId::parse(t.trim()).ok())
        .ok_or_else(|| {
            ApiError::InvalidRequest("trans_id must be 1-64 letters, digits, '-' or '_'".into())
        })?;
    let phone = match form.get("phone") {
        None | Some(Value::Null) => None,
        Some(Value::String(p)) if p.trim().is_empty() => None,
        Some(Value::String(p)) => {
            Some(Phone::parse(p).map_err(|e| ApiError::InvalidPhone(e.to_string()))?)
        }
        Some(_) => return Err(ApiError::InvalidPhone("phone must be a string".into())),
    };
    let amount_text = match form.get("amount") {
        Some(Value::String(a)) => a.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => return Err(ApiError::InvalidAmount("amount is missing".into())),
    };
    let amount = Amount::parse(&amount_text).map_err(|e| ApiError::InvalidAmount(e.to_string()))?;
    let received_at = match form.get("received_at") {
        None | Some(Value::Null) => now,
        Some(Value::String(t)) => t
            .parse::<Timestamp>()
            .map_err(|_| ApiError::InvalidRequest("received_at must be an RFC 3339 time".into()))?,
        Some(_) => {
            return Err(ApiError::InvalidRequest(
                "received_at must be an RFC 3339 time".into(),
            ));
        }
    };
    Ok(TransactionRecord::new(
        store_id.clone(),
        trans_id,
        phone,
        amount,
        received_at,
        now,
    ))
}

/// Stores the transaction; `sms` is the sender and text it came in, if any
/// (kept in the quarantine when it cannot be used).
async fn store(
    app: &App,
    tx: TransactionRecord,
    sms: Option<(&str, &str)>,
) -> Result<Response<Body>, ApiError> {
    let outcome = app.payments.ingest(&tx, app.clock.now())?.durable().await?;
    match outcome {
        IngestOutcome::New { tx, claimed } => {
            if let Some(applied) = claimed {
                tracing::info!(payment_id = %applied.record.id, trans_id = %tx.trans_id, to = %applied.to, "transaction claimed a waiting payment");
            }
            Ok(json(StatusCode::CREATED, &TransactionView::new(&tx)))
        }
        IngestOutcome::Known(stored) => Ok(json(StatusCode::OK, &TransactionView::new(&stored))),
        IngestOutcome::Conflict(stored) => {
            let detail = format!(
                "trans_id {} is stored with phone {:?} and amount {}; this one says {:?} and {}",
                stored.trans_id, stored.phone, stored.amount, tx.phone, tx.amount
            );
            let text = serde_json::to_string(&TransactionView::new(&tx)).unwrap_or_default();
            let reason = QuarantineReason::Conflict;
            keep(app, &tx.store_id, reason, &detail, None, &text).await?;
            Err(ApiError::Conflict(detail))
        }
        IngestOutcome::FromTheFuture(tx) => {
            // Not stored, so there is no transaction an operator could
            // assign: say what can be done instead.
            let detail = format!(
                "the transfer's time {} is later than now ({}) by more than clocks differ: \
                 a misread date or a wrong clock. It was not stored as a transaction. If the \
                 transfer is real, check the phone's date and send the notification again, \
                 or post it as the JSON form with its real received_at",
                tx.received_at,
                app.clock.now()
            );
            let view = serde_json::to_string(&TransactionView::new(&tx)).unwrap_or_default();
            let (from, text) = match sms {
                Some((from, text)) => (Some(from), text.to_owned()),
                None => (None, view),
            };
            let reason = QuarantineReason::FutureTransferTime;
            let entry = keep(app, &tx.store_id, reason, &detail, from, &text).await?;
            Ok(unusable(reason, &detail, entry.id))
        }
    }
}

/// The 422 answer for a payload kept in the quarantine.
fn unusable(reason: QuarantineReason, why: &str, quarantine_id: u64) -> Response<Body> {
    let body = json!({
        "status": false,
        "error": "invalid_request",
        "reason": reason,
        "message": format!("Not a usable money-received notification: {why}. It was kept in the quarantine."),
        "quarantine_id": quarantine_id,
    });
    json(StatusCode::UNPROCESSABLE_ENTITY, &body)
}

async fn refuse_sms(
    app: &App,
    store_id: &StoreId,
    from: &str,
    text: &str,
    error: &SmsError,
) -> Result<Response<Body>, ApiError> {
    let reason = match error {
        SmsError::UntrustedSender => QuarantineReason::UntrustedSender,
        SmsError::NotAPayment => QuarantineReason::NotAPayment,
        SmsError::Unparseable(_) => QuarantineReason::Unparseable,
        SmsError::TooLong => QuarantineReason::TooLong,
    };
    let entry = keep(app, store_id, reason, &error.to_string(), Some(from), text).await?;
    Ok(unusable(reason, &error.to_string(), entry.id))
}

async fn keep(
    app: &App,
    store_id: &StoreId,
    reason: QuarantineReason,
    detail: &str,
    from: Option<&str>,
    text: &str,
) -> Result<QuarantineEntry, ApiError> {
    let entry = QuarantineEntry {
        id: 0,
        at: app.clock.now(),
        store_id: store_id.clone(),
        reason,
        detail: detail.to_owned(),
        from: from.map(str::to_owned),
        text: text.to_owned(),
    };
    Ok(app.payments.quarantine(entry)?.durable().await?)
}
