//! `GET /healthz` (the process is up and the store answers reads) and
//! `GET /metrics`.

use http::{Response, StatusCode};
use serde_json::json;

use super::App;
use super::reply::{Body, json};

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

/// `GET /metrics`: Prometheus (OpenMetrics) text.
pub fn metrics(app: &App) -> Response<Body> {
    let m = app.payments.metrics();
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
