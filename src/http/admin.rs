//! The admin API (bearer admin token or store key, `access`): stores,
//! payments with their history, operator actions where the machine has
//! the edge, transactions and the quarantine; lists page by cursor. Each
//! handler applies the access rule with one call on the request's
//! [`Principal`]; a store's keys are managed in `admin_keys`.

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
use crate::domain::{Lang, PaymentId, StoreId};
use crate::machine::StateName;
use crate::merchant::StoreSettings;
use crate::payments::{Cursor, NotApplied, OperatorAction, Page};
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
        (["quarantine"], &Method::GET) => quarantine(&app, &who, &req),
        (
            ["stores", _]
            | ["stores", _, "preflight"]
            | ["payments"]
            | ["payments", _]
            | ["payments", _, _]
            | ["transactions"]
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
    let settings = StoreSettings::from_put_body(&bytes, existing.as_ref())
        .map_err(|e| ApiError::InvalidRequest(e.to_string()))?;
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
