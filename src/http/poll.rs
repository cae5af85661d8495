//! `GET /api/payments/{id}`: the check form's poll. `?wait=N&state=S` holds
//! the reply up to N seconds (at most 30) until the state differs from S
//! (default: the state when the request arrived). Polls never report
//! `status: true`; only check replies do.

use std::sync::Arc;
use std::time::Duration;

use http::{Request, Response, StatusCode};
use hyper::body::Incoming;

use super::client_ip::Client;
use super::params::Params;
use super::reply::{Body, json};
use super::slots;
use super::views::PaymentReply;
use super::{ApiError, App};
use crate::antispam::IpKey;
use crate::domain::{Lang, PaymentId};
use crate::machine::StateName;

/// The longest a poll may be held.
const POLL_WAIT_SECONDS_MAX: u64 = 30;

pub async fn payment(
    app: Arc<App>,
    client: Client,
    id: &str,
    req: Request<Incoming>,
) -> Response<Body> {
    let params = Params::from_query(req.uri().query());
    let lang = params
        .as_ref()
        .map(|p| Lang::from_param(p.get("lang")))
        .unwrap_or_default();
    if let Err(limited) = app.limits.poll_ip.check(&IpKey::of(client.ip)) {
        return ApiError::from(limited).response(lang);
    }
    // Held while the poll waits: counted against the address's cap.
    let _waiting = match slots::hold_poll(req.extensions(), client.ip) {
        Ok(slot) => slot,
        Err(e) => return e.response(lang),
    };
    match poll(&app, id, params).await {
        Ok(reply) => json(StatusCode::OK, &reply),
        Err(e) => e.response(lang),
    }
}

async fn poll(
    app: &App,
    id: &str,
    params: Result<Params, ApiError>,
) -> Result<PaymentReply, ApiError> {
    let params = params?;
    let id = PaymentId::parse(id).map_err(|_| ApiError::UnknownPayment)?;
    let wait_s = match params.get("wait") {
        Some(w) => w
            .trim()
            .parse::<u64>()
            .map_err(|_| ApiError::InvalidRequest("wait must be a whole number of seconds".into()))?
            .min(POLL_WAIT_SECONDS_MAX),
        None => 0,
    };
    let from_state = match params.get("state") {
        Some(s) => Some(
            StateName::parse(s.trim())
                .ok_or_else(|| ApiError::InvalidRequest("unknown state".into()))?,
        ),
        None => None,
    };
    // Only a poll that may wait subscribes (before reading, so a change in
    // between is not missed).
    let mut changes = (wait_s > 0).then(|| app.payments.changes().subscribe(&id));
    let mut record = app
        .payments
        .payment_summary(&id)?
        .ok_or(ApiError::UnknownPayment)?;
    let lang = Lang::from_param(params.get("lang").or(Some(record.lang.code())));
    let from_state = from_state.unwrap_or(record.state_name());
    let deadline = tokio::time::Instant::now() + Duration::from_secs(wait_s);
    while let Some(changes) = changes
        .as_mut()
        .filter(|_| record.state_name() == from_state)
    {
        match tokio::time::timeout_at(deadline, changes.changed()).await {
            Ok(Ok(())) => {
                record = app
                    .payments
                    .payment_summary(&id)?
                    .ok_or(ApiError::UnknownPayment)?
            }
            Ok(Err(_)) | Err(_) => break,
        }
    }
    Ok(PaymentReply::new(&record, lang, false))
}
