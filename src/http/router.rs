//! Dispatch by method and path. Each route family lives in its own module;
//! this file only matches paths and turns errors into responses.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use http::{Method, Request, Response};
use hyper::body::Incoming;

use super::reply::Body;
use super::{ApiError, App, admin, approvals, check, client_ip, health, ingest, poll, rate};
use crate::domain::Lang;

/// Where a request came from, as the server saw it.
#[derive(Debug, Clone, Copy)]
pub struct Peer {
    pub addr: SocketAddr,
}

/// Where a request came from, as far as limits and audit are concerned.
#[derive(Debug, Clone, Copy)]
pub struct Client {
    /// The client's address (see `client_ip`).
    pub ip: IpAddr,
}

/// Answers one request. Never panics on input; every error is a response.
pub async fn handle(app: Arc<App>, peer: Peer, req: Request<Incoming>) -> Response<Body> {
    let path = req.uri().path().to_owned();
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let method = req.method().clone();
    let client = Client {
        ip: client_ip::resolve(peer.addr, req.headers(), &app.settings.trusted_proxies),
    };
    match (segments.as_slice(), &method) {
        (["healthz"], &Method::GET | &Method::HEAD) => health::healthz(&app),
        (["api", "payment_link_check"], &Method::GET | &Method::HEAD | &Method::POST) => {
            check::payment_link_check(app, client, req).await
        }
        (["api", "payments", id], &Method::GET | &Method::HEAD) => {
            poll::payment(app, client, id, req).await
        }
        (
            ["api", "public", "store", id, "rate"],
            &Method::GET | &Method::HEAD | &Method::OPTIONS,
        ) => rate::rate(&app, id, &method),
        (["api", "stores", id, "transactions"], &Method::POST) => {
            ingest::transactions(app, id, req).await
        }
        (["approvals", token], &Method::GET | &Method::HEAD) => {
            approvals::page(app, token, req).await
        }
        (["approvals", token], &Method::POST) => approvals::decide(app, client, token, req).await,
        (["admin", rest @ ..], _) => admin::route(app, client, rest, req).await,
        (
            ["healthz"]
            | ["api", "payment_link_check"]
            | ["api", "payments", _]
            | ["api", "public", "store", _, "rate"]
            | ["api", "stores", _, "transactions"],
            _,
        ) => ApiError::MethodNotAllowed.response(Lang::En),
        _ => ApiError::NotFound.response(Lang::En),
    }
}
