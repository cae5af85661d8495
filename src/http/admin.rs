//! The admin API (bearer admin token or store key, `access`; wrong tokens
//! limited per address): stores, payments with their history, operator
//! actions where the machine has the edge, transactions (and assigning one
//! that waits for an operator to a payment), the quarantine, and backups
//! (`super::backup`, admin only); lists page by cursor. Each handler
//! applies the access rule with one call on the request's [`Principal`];
//! a store's keys are managed in `admin_keys`.

use std::sync::Arc;

use http::{Method, Request, Response, StatusCode};
use hyper::body::Incoming;
use serde_json::json;

use super::access::{self, Principal};
use super::client_ip::Client;
use super::params::{Params, store_id};
use super::reply::{Body, json};
use super::views::{PaymentDetail, TransactionView, store_view};
use super::{ApiError, App, admin_keys, body};
use crate::domain::{Lang, PaymentId, StoreId, TransId};
use crate::machine::StateName;
use crate::merchant::StoreSettings;
use crate::payments::{AssignRefused, AssignRequest, Cursor, NotApplied, OperatorAction, Page};
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
    let who = match access::authenticate(&app, &client, req.headers()) {
        Ok(principal) => principal,
        Err(e) => return e.response(Lang::En),
    };
    let method = req.method().clone();
    let result = match (segments, &method) {
        (["stores", id], &Method::PUT) => put_store(&app, &who, id, req).await,
        (["stores", id], &Method::GET) => get_store(&app, &who, id),
        (["stores", id, "preflight"], &Method::POST) => preflight(&app, &who, id).await,
        (["stores", id, "keys", rest @ ..], _) => {
            admin_keys::route(&app, &who, id, rest, req).await
        }
        (["payments"], &Method::GET) => list_payments(&app, &who, &req),
        (["payments", id], &Method::GET) => payment_detail(&app, &who, id),
        (["payments", id, action], &Method::POST) => act(&app, &who, client, id, action, req).await,
        (["transactions"], &Method::GET) => transactions(&app, &who, &req),
        (["transactions", "awaiting"], &Method::GET) => awaiting(&app, &who, &req),
        (["transactions", store, trans_id, "assign"], &Method::POST) => {
            assign(&app, &who, client, store, trans_id, req).await
        }
        (["quarantine"], &Method::GET) => quarantine(&app, &who, &req),
        (["backup"], &Method::POST) => match who.require_admin() {
            Ok(()) => super::backup::backup(&app, req).await,
            Err(e) => Err(e),
        },
        (
            ["backup"]
            | ["stores", _]
            | ["stores", _, "preflight"]
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

fn limit(params: &Params) -> Result<usize, ApiError> {
    match params.get("limit") {
        None => Ok(LIST_DEFAULT),
        Some(l) => l
            .parse::<usize>()
            .map(|n| n.clamp(1, LIST_MAX))
            .map_err(|_| ApiError::InvalidRequest("limit must be a whole number".into())),
    }
}

/// The `cursor` a list continues from, if any.
fn cursor(params: &Params) -> Result<Option<Cursor>, ApiError> {
    match params.get("cursor").filter(|c| !c.is_empty()) {
        None => Ok(None),
        Some(text) => Cursor::decode(text).map(Some).map_err(|_| bad_cursor()),
    }
}

fn bad_cursor() -> ApiError {
    ApiError::InvalidRequest("cursor is not one this list gave".into())
}

/// The `store_id` a list names, if any, limited by who asks.
fn list_store(who: &Principal, params: &Params) -> Result<Option<StoreId>, ApiError> {
    let requested = params
        .get("store_id")
        .filter(|s| !s.is_empty())
        .map(store_id)
        .transpose()?;
    who.list_scope(requested)
}

/// A list's reply: its items under `name`, and where the next page starts.
fn page_reply<T: serde::Serialize>(name: &str, page: &Page<T>) -> Response<Body> {
    let next = page.next.as_ref().map(Cursor::encode);
    json(
        StatusCode::OK,
        &json!({"status": true, name: page.items, "next_cursor": next}),
    )
}

async fn put_store(
    app: &App,
    who: &Principal,
    id: &str,
    req: Request<Incoming>,
) -> Result<Response<Body>, ApiError> {
    let id = store_id(id)?;
    who.check_store(&id, ApiError::UnknownStore)?;
    let (_, bytes) = body::read(req, app.settings.limits.body_bytes_max).await?;
    let existing = app.stores.get(&id)?;
    if existing.is_none() {
        who.require_admin()?;
    }
    let settings =
        StoreSettings::from_put_body(&bytes, existing.as_ref()).map_err(ApiError::InvalidStore)?;
    app.stores.put(&id, &settings)?.durable().await?;
    let by = who.operator();
    tracing::info!(store_id = %id, created = existing.is_none(), %by, "store saved");
    let status = if existing.is_some() {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok(json(status, &store_view(id.as_str(), &settings)))
}

fn get_store(app: &App, who: &Principal, id: &str) -> Result<Response<Body>, ApiError> {
    let id = store_id(id)?;
    who.check_store(&id, ApiError::UnknownStore)?;
    let settings = app.stores.get(&id)?.ok_or(ApiError::UnknownStore)?;
    Ok(json(StatusCode::OK, &store_view(id.as_str(), &settings)))
}

/// Proves the store's WHMCS settings work, crediting nobody.
async fn preflight(app: &App, who: &Principal, id: &str) -> Result<Response<Body>, ApiError> {
    let id = store_id(id)?;
    who.check_store(&id, ApiError::UnknownStore)?;
    let settings = app.stores.get(&id)?.ok_or(ApiError::UnknownStore)?;
    app.limits.preflight_store.check(&id.as_str())?;
    let report = app
        .whmcs
        .preflight(&Credentials::from(&settings.whmcs))
        .await;
    tracing::info!(store_id = %id, ok = report.ok, "store preflight");
    Ok(json(StatusCode::OK, &report))
}

fn list_payments(
    app: &App,
    who: &Principal,
    req: &Request<Incoming>,
) -> Result<Response<Body>, ApiError> {
    let params = Params::from_query(req.uri().query())?;
    let limit = limit(&params)?;
    let store = list_store(who, &params)?;
    let states = match params.get("state").filter(|s| !s.is_empty()) {
        Some(s) => vec![
            StateName::parse(s)
                .ok_or_else(|| ApiError::InvalidRequest(format!("unknown state {s:.32}")))?,
        ],
        None => StateName::ALL.to_vec(),
    };
    let page = app
        .payments
        .payments_page(&states, store.as_ref(), cursor(&params)?.as_ref(), limit)?
        .map_err(|_| bad_cursor())?;
    let mut payments = Vec::with_capacity(page.items.len());
    for record in &page.items {
        let mut detail = PaymentDetail::new(record);
        detail.waiting = app.payments.waiting_reason(record, None)?;
        detail.competing_clients = app.payments.competing_clients(record)?;
        payments.push(detail);
    }
    let reply = Page {
        items: payments,
        next: page.next,
    };
    Ok(page_reply("payments", &reply))
}

fn payment_detail(app: &App, who: &Principal, id: &str) -> Result<Response<Body>, ApiError> {
    let id = PaymentId::parse(id).map_err(|_| ApiError::UnknownPayment)?;
    let record = app.payments.payment(&id)?.ok_or(ApiError::UnknownPayment)?;
    who.check_store(&record.store_id, ApiError::UnknownPayment)?;
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
    who: &Principal,
    client: Client,
    id: &str,
    action: &str,
    req: Request<Incoming>,
) -> Result<Response<Body>, ApiError> {
    let id = PaymentId::parse(id).map_err(|_| ApiError::UnknownPayment)?;
    let record = app.payments.payment(&id)?.ok_or(ApiError::UnknownPayment)?;
    who.check_store(&record.store_id, ApiError::UnknownPayment)?;
    let (_, bytes) = body::read(req, app.settings.limits.body_bytes_max).await?;
    let note = note(&bytes)?;
    let action = OperatorAction::parse(action).ok_or(ApiError::NotFound)?;
    let now = app.clock.now();
    match app
        .payments
        .operator_action(&id, action, who.actor(&client), note, now, None)?
    {
        Ok(written) => {
            let applied = written.durable().await?;
            let by = who.operator();
            tracing::info!(payment_id = %id, from = %applied.from, to = %applied.to, actor = "operator", %by, "operator action");
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

fn transactions(
    app: &App,
    who: &Principal,
    req: &Request<Incoming>,
) -> Result<Response<Body>, ApiError> {
    let params = Params::from_query(req.uri().query())?;
    let store = store_id(params.get("store_id").unwrap_or_default())?;
    who.check_store(&store, ApiError::UnknownStore)?;
    let unclaimed = matches!(params.get("unclaimed"), Some("true" | "1"));
    let page = app
        .payments
        .transactions_page(
            &store,
            unclaimed,
            cursor(&params)?.as_ref(),
            limit(&params)?,
        )?
        .map_err(|_| bad_cursor())?;
    Ok(page_reply(
        "transactions",
        &page.map(|tx| TransactionView::new(&tx)),
    ))
}

/// Transactions whose claim ended, waiting for an operator to assign them,
/// paged by cursor (`count` is the platform's total, for the admin only).
fn awaiting(
    app: &App,
    who: &Principal,
    req: &Request<Incoming>,
) -> Result<Response<Body>, ApiError> {
    let params = Params::from_query(req.uri().query())?;
    let store = list_store(who, &params)?;
    let page = app
        .payments
        .awaiting_page(store.as_ref(), cursor(&params)?.as_ref(), limit(&params)?)?
        .map_err(|_| bad_cursor())?;
    let views: Vec<TransactionView> = page.items.iter().map(TransactionView::new).collect();
    let count = match who.is_admin() {
        true => Some(app.payments.awaiting_count()?),
        false => None,
    };
    let next = page.next.as_ref().map(Cursor::encode);
    Ok(json(
        StatusCode::OK,
        &json!({"status": true, "count": count, "transactions": views, "next_cursor": next}),
    ))
}

/// `{"payment_id": "pay_…", "note": "…"}`: hands the transaction to that
/// searching payment of the same store and amount, which goes to crediting.
async fn assign(
    app: &App,
    who: &Principal,
    client: Client,
    store: &str,
    trans_id: &str,
    req: Request<Incoming>,
) -> Result<Response<Body>, ApiError> {
    let store_id = store_id(store)?;
    who.check_store(&store_id, ApiError::UnknownTransaction)?;
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
        operator: who.actor(&client),
        note: note_of(&body)?,
    };
    match app.payments.assign(&request, app.clock.now())? {
        Ok(written) => {
            let applied = written.durable().await?;
            let by = who.operator();
            tracing::info!(payment_id = %applied.record.id, trans_id = %request.trans_id, actor = "operator", %by, "transaction assigned");
            Ok(json(StatusCode::OK, &PaymentDetail::new(&applied.record)))
        }
        Err(AssignRefused::UnknownTransaction) => Err(ApiError::UnknownTransaction),
        Err(AssignRefused::UnknownPayment) => Err(ApiError::UnknownPayment),
        Err(AssignRefused::NotSearching(state)) => Err(ApiError::NotAllowedInState(state)),
        Err(refused) => Err(ApiError::Conflict(refused.to_string())),
    }
}

fn quarantine(
    app: &App,
    who: &Principal,
    req: &Request<Incoming>,
) -> Result<Response<Body>, ApiError> {
    let params = Params::from_query(req.uri().query())?;
    let store = list_store(who, &params)?;
    let page = app
        .payments
        .quarantine_page(store.as_ref(), cursor(&params)?.as_ref(), limit(&params)?)?
        .map_err(|_| bad_cursor())?;
    Ok(page_reply("quarantine", &page))
}
