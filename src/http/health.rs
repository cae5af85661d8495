//! `GET /healthz` (the process is up and the store answers reads) and
//! `GET /metrics`, which shows business volumes and so needs the admin
//! token or the metrics token.

use http::{HeaderMap, Response, StatusCode};
use serde_json::json;

use super::client_ip::Client;
use super::reply::{Body, json};
use super::{App, auth};
use crate::domain::Lang;

pub fn healthz(app: &App) -> Response<Body> {
    if app.payments.is_readable() {
        json(StatusCode::OK, &json!({"status": true}))
    } else {
        // One of the two 503s the API allows: an unhealthy /healthz.
        json(
            StatusCode::SERVICE_UNAVAILABLE,
            &json!({"status": false, "error": "unavailable", "message": "store is not readable"}),
        )
    }
}

/// `GET /metrics`: Prometheus (OpenMetrics) text, for the admin token or
/// the `metrics_token`.
pub fn metrics(app: &App, client: &Client, headers: &HeaderMap) -> Response<Body> {
    let mut accepted = vec![&app.admin_token];
    if let Some(token) = app
        .settings
        .metrics_token
        .as_ref()
        .filter(|t| !t.is_empty())
    {
        accepted.push(token);
    }
    if let Err(e) = auth::authorise(app, client, headers, &accepted) {
        return e.response(Lang::En);
    }
    let m = app.payments.metrics();
    let awaiting = app.payments.awaiting_count().unwrap_or(0);
    m.awaiting_operator
        .set(i64::try_from(awaiting).unwrap_or(i64::MAX));
    let now = app.clock.now();
    for lane in crate::payments::Lane::ALL {
        let (depth, oldest) = app.payments.lane_stats(lane).unwrap_or((0, None));
        let labels = crate::metrics::LaneLabels { lane: lane.name() };
        m.outbox_depth
            .get_or_create(&labels)
            .set(i64::try_from(depth).unwrap_or(i64::MAX));
        let age = oldest.map_or(0, |due| (now - due).get_seconds().max(0));
        m.outbox_oldest_due_age_seconds
            .get_or_create(&labels)
            .set(age);
    }
    let mut response = Response::new(http_body_util::Full::new(bytes::Bytes::from(m.encode())));
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static(
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        ),
    );
    response
}
