//! Dispatch by method and path. Each route family lives in its own module;
//! this file only matches paths and turns errors into responses.

use std::sync::Arc;

use http::{Method, Request, Response};
use hyper::body::Incoming;

use super::client_ip::{self, Client, Peer};
use super::reply::Body;
use super::{
    ApiError, App, admin, approvals, assets, check, console, health, ingest, pay, poll, rate,
};
use crate::domain::Lang;
use crate::metrics::{RequestLabels, RouteLabels};

/// Answers one request. Never panics on input; every error is a response.
pub async fn handle(app: Arc<App>, peer: Peer, req: Request<Incoming>) -> Response<Body> {
    let metrics = app.payments.metrics().clone();
    let (route, response) = dispatch(app, peer, req).await;
    let status = response.status().as_u16();
    metrics
        .requests
        .get_or_create(&RequestLabels { route, status })
        .inc();
    if status == 429 {
        metrics
            .rate_limited
            .get_or_create(&RouteLabels { route })
            .inc();
    }
    response
}

/// The route family (a bounded label for metrics) and its answer.
async fn dispatch(
    app: Arc<App>,
    peer: Peer,
    req: Request<Incoming>,
) -> (&'static str, Response<Body>) {
    let path = req.uri().path().to_owned();
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let method = req.method().clone();
    let client = Client {
        ip: client_ip::resolve(peer.addr, req.headers(), &app.settings.trusted_proxies),
    };
    match (segments.as_slice(), &method) {
        (["healthz"], &Method::GET | &Method::HEAD) => ("healthz", health::healthz(&app)),
        (["metrics"], &Method::GET | &Method::HEAD) => {
            ("metrics", health::metrics(&app, &client, req.headers()))
        }
        // No HEAD: a check has effects, and a HEAD reply could not carry
        // the `"status": true` it might use up.
        (["api", "payment_link_check"], &Method::GET | &Method::POST) => {
            ("check", check::payment_link_check(app, client, req).await)
        }
        (["api", "payments", id], &Method::GET | &Method::HEAD) => {
            ("poll", poll::payment(app, client, id, req).await)
        }
        (
            ["api", "public", "store", id, "rate"],
            &Method::GET | &Method::HEAD | &Method::OPTIONS,
        ) => ("rate", rate::rate(&app, id, &method)),
        (["api", "stores", id, "transactions"], &Method::POST) => {
            ("ingest", ingest::transactions(app, client, id, req).await)
        }
        (["approvals", token], &Method::GET | &Method::HEAD) => {
            ("approval_page", approvals::page(app, token, req).await)
        }
        (["approvals", token], &Method::POST) => (
            "approval_decision",
            approvals::decide(app, client, token, req).await,
        ),
        (["admin", rest @ ..], _) => ("admin", admin::route(app, client, rest, req).await),
        (["pay", rest @ ..], _) => pay::route(app, client, rest, req).await,
        (["assets", _], &Method::GET | &Method::HEAD) => ("assets", assets::serve(&path)),
        (["console", rest @ ..], _) => ("console", console::route(app, client, rest, req).await),
        (
            ["healthz"]
            | ["metrics"]
            | ["api", "payment_link_check"]
            | ["api", "payments", _]
            | ["api", "public", "store", _, "rate"]
            | ["api", "stores", _, "transactions"],
            _,
        ) => ("other", ApiError::MethodNotAllowed.response(Lang::En)),
        _ => ("other", ApiError::NotFound.response(Lang::En)),
    }
}
