//! `/metrics` after a payment's life: its transitions, its state, the
//! requests and the WHMCS call are counted.

use std::time::Duration;

use crate::support::daemon::spawn_daemon;

fn value(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find(|l| l.starts_with(series) && l[series.len()..].starts_with(' '))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_payments_transitions_are_counted_in_the_metrics() {
    let daemon = spawn_daemon(|_| {}).await;
    daemon.default_store().await;
    let early = daemon.check_simple("42", "100").await;
    let id = early.body["payment_id"].as_str().unwrap().to_owned();
    daemon.ingest_tx("014412345678", "01012345678", "100").await;
    let credited = daemon.poll(&id, "?wait=5&state=crediting").await;
    assert_eq!(credited.body["state"], "credited");
    daemon.check_simple("42", "100").await;
    tokio::time::sleep(Duration::from_millis(50)).await;

    let response = daemon
        .http
        .get(daemon.url("/metrics"))
        .send()
        .await
        .unwrap();
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/openmetrics-text")
    );
    let text = response.text().await.unwrap();
    let expect = [
        (
            r#"cashgate_transitions_total{from="searching",to="crediting"}"#,
            1.0,
        ),
        (
            r#"cashgate_transitions_total{from="crediting",to="credited"}"#,
            1.0,
        ),
        (r#"cashgate_payments{state="credited"}"#, 1.0),
        (r#"cashgate_payments{state="searching"}"#, 0.0),
        (r#"cashgate_payments{state="crediting"}"#, 0.0),
        (r#"cashgate_add_credit_calls_total{outcome="success"}"#, 1.0),
        (
            r#"cashgate_http_requests_total{route="check",status="200"}"#,
            2.0,
        ),
        (
            r#"cashgate_http_requests_total{route="ingest",status="201"}"#,
            1.0,
        ),
        (r#"cashgate_outbox_depth{lane="whmcs"}"#, 0.0),
    ];
    for (series, wanted) in expect {
        assert_eq!(value(&text, series), Some(wanted), "{series}\n{text}");
    }
    assert!(
        text.contains("cashgate_add_credit_seconds_bucket"),
        "{text}"
    );

    // Counts survive a restart: the gauges are rebuilt from the state index.
    let daemon = daemon.restart().await;
    let text = daemon
        .http
        .get(daemon.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(
        value(&text, r#"cashgate_payments{state="credited"}"#),
        Some(1.0),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn rate_limited_requests_are_counted() {
    let daemon = spawn_daemon(|s| s.limits.polls_per_minute_per_ip = 1).await;
    for _ in 0..3 {
        daemon.poll("pay_aaaaaaaaaaaaaaaaaaaaaaaaaa", "").await;
    }
    let text = daemon
        .http
        .get(daemon.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(
        value(
            &text,
            r#"cashgate_rate_limited_requests_total{route="poll"}"#
        ),
        Some(2.0),
        "{text}"
    );
}
