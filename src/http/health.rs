//! `GET /healthz`: the process is up and the store answers reads.

use http::{Response, StatusCode};
use serde_json::json;

use super::App;
use super::reply::{Body, json};

pub fn healthz(app: &App) -> Response<Body> {
    if app.store.is_readable() {
        json(StatusCode::OK, &json!({"status": true}))
    } else {
        // One of the two 503s DESIGN.md allows: an unhealthy /healthz.
        json(
            StatusCode::SERVICE_UNAVAILABLE,
            &json!({"status": false, "error": "unavailable", "message": "store is not readable"}),
        )
    }
}
