//! The admin API (bearer admin token; wrong tokens limited per address):
//! stores, payments with their history, operator actions where the
//! machine has the edge, transactions (and assigning one that waits for
//! an operator to a payment), the quarantine, and backups
//! (`super::backup`).

use std::sync::Arc;

use http::{Method, Request, Response, StatusCode};
use hyper::body::Incoming;
use serde_json::json;

use super::client_ip::Client;
use super::params::Params;
use super::reply::{Body, json};
use super::views::{PaymentDetail, TransactionView, store_view};
use super::{ApiError, App, auth, body};
use crate::domain::{Lang, PaymentId, StoreId, TransId};
use crate::machine::{Actor, StateName};
use crate::merchant::StoreSettings;
use crate::payments::{AssignRefused, AssignRequest, NotApplied, OperatorAction};
use crate::whmcs::Credentials;

/// Default and largest page of a list.
const LIST_DEFAULT: usize = 100;
const LIST_MAX: usize = 1000;

pub async fn route(
    app: Arc<App>,
    client: Client,
    segments: &[&str],
    req: Request<Incoming>,
) -> Response<Body> {
    if let Err(e) = auth::authorise(&app, &client, req.headers(), &[&app.admin_token]) {
        return e.response(Lang::En);
    }
    let method = req.method().clone();
    let result = match (segments, &method) {
        (["stores", id], &Method::PUT) => put_store(&app, id, req).await,
        (["stores", id], &Method::GET) => get_store(&app, id),
        (["stores", id, "preflight"], &Method::POST) => preflight(&app, id).await,
        (["payments"], &Method::GET) => list_payments(&app, &req),
        (["payments", id], &Method::GET) => payment_detail(&app, id),
        (["payments", id, action], &Method::POST) => act(&app, client, id, action, req).await,
        (["transactions"], &Method::GET) => transactions(&app, &req),
        (["transactions", "awaiting"], &Method::GET) => awaiting(&app, &req),
        (["transactions", store, trans_id, "assign"], &Method::POST) => {
            assign(&app, client, store, trans_id, req).await
        }
        (["quarantine"], &Method::GET) => quarantine(&app, &req),
        (["backup"], &Method::POST) => super::backup::backup(&app, req).await,
        (
            ["backup"]
            | ["stores", _]
            | ["payments"]
            | ["payments", _]
            | ["payments", _, _]
            | ["transactions"]
            | ["transactions", "awaiting"]
            | ["transactions", _, _, "assign"]
            | ["quarantine"],
            _,
        ) => Err(ApiError::MethodNotAllowed),
        _ => Err(ApiError::NotFound),
    };
    result.unwrap_or_else(|e| e.response(Lang::En))
}

fn store_id(id: &str) -> Result<StoreId, ApiError> {
    StoreId::parse(id).map_err(|_| ApiError::InvalidStoreId)
}

fn limit(params: &Params) -> Result<usize, ApiError> {
    match params.get("limit") {
        None => Ok(LIST_DEFAULT),
        Some(l) => l
            .parse::<usize>()
            .map(|n| n.clamp(1, LIST_MAX))
            .map_err(|_| ApiError::InvalidRequest("limit must be a whole number".into())),
    }
}

async fn put_store(
    app: &App,
    id: &str,
    req: Request<Incoming>,
) -> Result<Response<Body>, ApiError> {
    let id = store_id(id)?;
    let (_, bytes) = body::read(req, app.settings.limits.body_bytes_max).await?;
    let existing = app.stores.get(&id)?;
    let settings =
        StoreSettings::from_put_body(&bytes, existing.as_ref()).map_err(ApiError::InvalidStore)?;
    app.stores.put(&id, &settings)?.durable().await?;
    tracing::info!(store_id = %id, created = existing.is_none(), "store saved");
    let status = if existing.is_some() {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok(json(status, &store_view(id.as_str(), &settings)))
}

fn get_store(app: &App, id: &str) -> Result<Response<Body>, ApiError> {
    let id = store_id(id)?;
    let settings = app.stores.get(&id)?.ok_or(ApiError::UnknownStore)?;
    Ok(json(StatusCode::OK, &store_view(id.as_str(), &settings)))
}

/// Proves the store's WHMCS settings work, crediting nobody.
async fn preflight(app: &App, id: &str) -> Result<Response<Body>, ApiError> {
    let id = store_id(id)?;
    let settings = app.stores.get(&id)?.ok_or(ApiError::UnknownStore)?;
    app.limits.preflight_store.check(&id.as_str())?;
    let report = app
        .whmcs
        .preflight(&Credentials::from(&settings.whmcs))
        .await;
    tracing::info!(store_id = %id, ok = report.ok, "store preflight");
    Ok(json(StatusCode::OK, &report))
}

fn list_payments(app: &App, req: &Request<Incoming>) -> Result<Response<Body>, ApiError> {
    let params = Params::from_query(req.uri().query())?;
    let limit = limit(&params)?;
    let store = params
        .get("store_id")
        .filter(|s| !s.is_empty())
        .map(store_id)
        .transpose()?;
    let states = match params.get("state").filter(|s| !s.is_empty()) {
        Some(s) => vec![
            StateName::parse(s)
                .ok_or_else(|| ApiError::InvalidRequest(format!("unknown state {s:.32}")))?,
        ],
        None => StateName::ALL.to_vec(),
    };
    let mut records = Vec::new();
    for state in states {
        for id in app.payments.payments_in_state(
            state,
            store.as_ref(),
            limit - records.len().min(limit),
        )? {
            if let Some(record) = app.payments.payment(&id)? {
                records.push(record);
            }
        }
    }
    let mut payments = Vec::with_capacity(records.len());
    for record in &records {
        let mut detail = PaymentDetail::new(record);
        detail.waiting = app.payments.waiting_reason(record, None)?;
        detail.competing_clients = app.payments.competing_clients(record)?;
        payments.push(detail);
    }
    Ok(json(
        StatusCode::OK,
        &json!({"status": true, "payments": payments}),
    ))
}

fn payment_detail(app: &App, id: &str) -> Result<Response<Body>, ApiError> {
    let id = PaymentId::parse(id).map_err(|_| ApiError::UnknownPayment)?;
    let record = app.payments.payment(&id)?.ok_or(ApiError::UnknownPayment)?;
    let history = app.payments.history(&id)?;
    let outbox = app.payments.outbox_of(&id)?;
    let mut detail = PaymentDetail::new(&record);
    detail.waiting = app.payments.waiting_reason(&record, Some(&outbox))?;
    detail.competing_clients = crate::payments::competing_in(&history);
    detail.history = Some(&history);
    detail.outbox = Some(&outbox);
    Ok(json(StatusCode::OK, &detail))
}

async fn act(
    app: &App,
    client: Client,
    id: &str,
    action: &str,
    req: Request<Incoming>,
) -> Result<Response<Body>, ApiError> {
    let id = PaymentId::parse(id).map_err(|_| ApiError::UnknownPayment)?;
    let (_, bytes) = body::read(req, app.settings.limits.body_bytes_max).await?;
    let note = note(&bytes)?;
    let action = OperatorAction::parse(action).ok_or(ApiError::NotFound)?;
    let operator = Actor::Operator {
        ip: Some(client.ip.to_string()),
    };
    let now = app.clock.now();
    match app
        .payments
        .operator_action(&id, action, operator, note, now)?
    {
        Ok(written) => {
            let applied = written.durable().await?;
            tracing::info!(payment_id = %id, from = %applied.from, to = %applied.to, actor = "operator", "operator action");
            Ok(json(StatusCode::OK, &PaymentDetail::new(&applied.record)))
        }
        Err(NotApplied::UnknownPayment) => Err(ApiError::UnknownPayment),
        Err(NotApplied::Refused { state, .. }) => Err(ApiError::NotAllowedInState(state)),
        Err(NotApplied::VersionMoved { .. } | NotApplied::NoCredit) => {
            Err(ApiError::Conflict("the payment moved on".into()))
        }
    }
}

/// An optional `{"note": "..."}` body.
fn note(bytes: &[u8]) -> Result<Option<String>, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    let value: serde_json::Value = serde_json::from_slice(bytes)
        .map_err(|_| ApiError::InvalidRequest("the body must be JSON".into()))?;
    note_of(&value)
}

fn note_of(value: &serde_json::Value) -> Result<Option<String>, ApiError> {
    match value.get("note") {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(serde_json::Value::String(n)) if n.chars().count() <= 1000 => Ok(Some(n.clone())),
        Some(_) => Err(ApiError::InvalidRequest(
            "note must be a string of at most 1000 characters".into(),
        )),
    }
}

fn transactions(app: &App, req: &Request<Incoming>) -> Result<Response<Body>, ApiError> {
    let params = Params::from_query(req.uri().query())?;
    let store = store_id(params.get("store_id").unwrap_or_default())?;
    let unclaimed = matches!(params.get("unclaimed"), Some("true" | "1"));
    let txs = app
        .payments
        .transactions_of(&store, unclaimed, limit(&params)?)?;
    let views: Vec<TransactionView> = txs.iter().map(TransactionView::new).collect();
    Ok(json(
        StatusCode::OK,
        &json!({"status": true, "transactions": views}),
    ))
}

/// Transactions whose claim ended, waiting for an operator to assign them.
fn awaiting(app: &App, req: &Request<Incoming>) -> Result<Response<Body>, ApiError> {
    let params = Params::from_query(req.uri().query())?;
    let store = params
        .get("store_id")
        .filter(|s| !s.is_empty())
        .map(store_id)
        .transpose()?;
    let txs = app
        .payments
        .awaiting_operator(store.as_ref(), limit(&params)?)?;
    let views: Vec<TransactionView> = txs.iter().map(TransactionView::new).collect();
    let count = app.payments.awaiting_count()?;
    Ok(json(
        StatusCode::OK,
        &json!({"status": true, "count": count, "transactions": views}),
    ))
}

/// `{"payment_id": "pay_…", "note": "…"}`: hands the transaction to that
/// searching payment of the same store and amount, which goes to crediting.
async fn assign(
    app: &App,
    client: Client,
    store: &str,
    trans_id: &str,
    req: Request<Incoming>,
) -> Result<Response<Body>, ApiError> {
    let store_id = store_id(store)?;
    let trans_id = TransId::parse(trans_id).map_err(|_| ApiError::UnknownTransaction)?;
    let (_, bytes) = body::read(req, app.settings.limits.body_bytes_max).await?;
    let body: serde_json::Value = serde_json::from_slice(&bytes)
        .map_err(|_| ApiError::InvalidRequest("the body must be JSON with payment_id".into()))?;
    let payment_id = body
        .get("payment_id")
        .and_then(serde_json::Value::as_str)
        .and_then(|p| PaymentId::parse(p).ok())
        .ok_or_else(|| ApiError::InvalidRequest("payment_id must be a payment id".into()))?;
    let request = AssignRequest {
        store_id,
        trans_id,
        payment_id,
        operator: Actor::Operator {
            ip: Some(client.ip.to_string()),
        },
        note: note_of(&body)?,
    };
    match app.payments.assign(&request, app.clock.now())? {
        Ok(written) => {
            let applied = written.durable().await?;
            tracing::info!(payment_id = %applied.record.id, trans_id = %request.trans_id, actor = "operator", "transaction assigned");
            Ok(json(StatusCode::OK, &PaymentDetail::new(&applied.record)))
        }
        Err(AssignRefused::UnknownTransaction) => Err(ApiError::UnknownTransaction),
        Err(AssignRefused::UnknownPayment) => Err(ApiError::UnknownPayment),
        Err(AssignRefused::NotSearching(state)) => Err(ApiError::NotAllowedInState(state)),
        Err(refused) => Err(ApiError::Conflict(refused.to_string())),
    }
}

fn quarantine(app: &App, req: &Request<Incoming>) -> Result<Response<Body>, ApiError> {
    let params = Params::from_query(req.uri().query())?;
    let store = params
        .get("store_id")
        .filter(|s| !s.is_empty())
        .map(store_id)
        .transpose()?;
    let entries = app.payments.quarantined(store.as_ref(), limit(&params)?)?;
    Ok(json(
        StatusCode::OK,
        &json!({"status": true, "quarantine": entries}),
    ))
}
