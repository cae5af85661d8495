//! `GET /api/public/store/{id}/rate`: the module's invoice page reads the
//! store's currency rate to prefill the EGP amount. Answers with CORS
//! headers so any page may read it; `OPTIONS` answers the preflight.

use http::{HeaderValue, Method, Response, StatusCode, header};
use serde_json::json;

use super::reply::{Body, json};
use super::{ApiError, App};
use crate::domain::{Lang, StoreId};

pub fn rate(app: &App, id: &str, method: &Method) -> Response<Body> {
    let mut response = if method == Method::OPTIONS {
        let mut r = json(StatusCode::NO_CONTENT, &());
        *r.body_mut() = Body::default();
        r
    } else {
        match lookup(app, id) {
            Ok(r) => r,
            Err(e) => e.response(Lang::En),
        }
    };
    let headers = response.headers_mut();
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static("GET, OPTIONS"),
    );
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_HEADERS,
        HeaderValue::from_static("Content-Type"),
    );
    headers.insert(
        header::ACCESS_CONTROL_MAX_AGE,
        HeaderValue::from_static("600"),
    );
    response
}

fn lookup(app: &App, id: &str) -> Result<Response<Body>, ApiError> {
    let id = StoreId::parse(id).map_err(|_| ApiError::InvalidStoreId)?;
    let settings = app.stores.get(&id)?.ok_or(ApiError::UnknownStore)?;
    let body = json!({
        "status": true,
        "rate": settings.currency_rate.to_string(),
        "currency_label": settings.currency_label,
    });
    Ok(json(StatusCode::OK, &body))
}
