//! Dispatch by method and path. Each route family lives in its own module;
//! this file only matches paths and turns errors into responses.

use std::net::SocketAddr;
use std::sync::Arc;

use http::{Method, Request, Response};
use hyper::body::Incoming;

use super::reply::Body;
use super::{ApiError, App, health};
use crate::domain::Lang;

/// Where a request came from, as the server saw it.
#[derive(Debug, Clone, Copy)]
pub struct Peer {
    pub addr: SocketAddr,
}

/// Answers one request. Never panics on input; every error is a response.
pub async fn handle(app: Arc<App>, peer: Peer, req: Request<Incoming>) -> Response<Body> {
    let _ = peer;
    let path = req.uri().path().to_owned();
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let method = req.method().clone();
    let result = match (segments.as_slice(), &method) {
        (["healthz"], &Method::GET | &Method::HEAD) => Ok(health::healthz(&app)),
        (["healthz"], _) => Err(ApiError::MethodNotAllowed),
        _ => Err(ApiError::NotFound),
    };
    result.unwrap_or_else(|e| e.response(Lang::En))
}
