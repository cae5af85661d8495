//! `/pay/…`: the hosted pay pages (docs/pages.md). The views are in
//! `crate::pages`; this module reads requests, runs the check shared with
//! the API (`super::check::run`) and answers with the pages' security
//! headers (`respond`).
//!
//! - `GET /pay/{store_id}`: the form, prefilled from the merchant's link.
//! - `POST /pay/{store_id}`: the check; `303` to the status page, or the
//!   form again with the message (400, 429).
//! - `GET /pay/{store_id}/payments/{payment_id}`: the status page.
//! - `POST /pay/{store_id}/payments/{payment_id}/simulate-sms`: `cashgate
//!   demo` only (`settings.demo`); absent otherwise.

mod demo_sms;
mod form;
mod respond;
mod return_url;
mod status;

use std::sync::Arc;

use http::{HeaderMap, Method, Request, Response, StatusCode, header};
use hyper::body::Incoming;

use super::App;
use super::client_ip::Client;
use super::params::Params;
use super::reply::Body;
use crate::domain::{Lang, StoreId};
use crate::merchant::StoreSettings;
use respond::{Html, respond};

/// Answers a `/pay/…` request (`rest` is the path after `/pay/`), with
/// the route's label for metrics.
pub async fn route(
    app: Arc<App>,
    client: Client,
    rest: &[&str],
    req: Request<Incoming>,
) -> (&'static str, Response<Body>) {
    let method = req.method().clone();
    match (rest, &method) {
        ([store], &Method::GET | &Method::HEAD) => ("pay_form", form::show(&app, store, &req)),
        ([store], &Method::POST) => ("pay_check", form::submit(&app, client, store, req).await),
        ([store, "payments", id], &Method::GET | &Method::HEAD) => (
            "pay_status",
            status::show(&app, client, store, id, &req).await,
        ),
        ([store, "payments", id, "simulate-sms"], &Method::POST) if app.settings.demo => (
            "pay_demo_sms",
            demo_sms::simulate(&app, store, id, req).await,
        ),
        ([_] | [_, "payments", _], _) => (
            "pay_other",
            respond(
                Html::message(StatusCode::METHOD_NOT_ALLOWED, Lang::En, "cashgate"),
                &[],
            ),
        ),
        _ => ("pay_other", respond(Html::not_found(Lang::En), &[])),
    }
}

/// The page's language: `lang` when the request names one, else the
/// browser's `Accept-Language`.
fn page_lang(params: &Params, headers: &HeaderMap) -> Lang {
    if let Some(lang) = params.get("lang") {
        return Lang::from_param(Some(lang));
    }
    headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .map_or(Lang::En, Lang::from_accept_language)
}

/// A store's id and settings, or the page to answer instead: an invalid
/// or unknown store is "not found" (the two are not told apart).
fn store(app: &App, id: &str, lang: Lang) -> Result<(StoreId, Arc<StoreSettings>), Html> {
    let Ok(store_id) = StoreId::parse(id) else {
        return Err(Html::not_found(lang));
    };
    match app.stores.shared(&store_id) {
        Ok(Some(settings)) => Ok((store_id, settings)),
        Ok(None) => Err(Html::not_found(lang)),
        Err(e) => {
            tracing::error!(error = %e, "store settings unreadable for a pay page");
            Err(Html::message(
                StatusCode::SERVICE_UNAVAILABLE,
                lang,
                "cashgate",
            ))
        }
    }
}

/// The name a page shows for the store.
fn store_name(id: &StoreId, settings: &StoreSettings) -> String {
    if settings.name.trim().is_empty() {
        id.to_string()
    } else {
        settings.name.clone()
    }
}

/// `path?query` with the pairs form-encoded (empty values left out).
fn link(path: &str, pairs: &[(&str, &str)]) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    for (name, value) in pairs.iter().filter(|(_, v)| !v.is_empty()) {
        query.append_pair(name, value);
    }
    let query = query.finish();
    if query.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{query}")
    }
}

/// The other of the two languages.
fn other(lang: Lang) -> Lang {
    match lang {
        Lang::En => Lang::Ar,
        Lang::Ar => Lang::En,
    }
}
