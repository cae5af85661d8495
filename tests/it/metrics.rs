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
        .bearer_auth(&daemon.admin_token)
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
        .bearer_auth(&daemon.admin_token)
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
        .bearer_auth(&daemon.admin_token)
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

/// Finding 9: `/metrics` showed business volumes to anyone. It needs the
/// admin token or the metrics token; wrong tokens are limited per address
/// and, once used up, not even compared.
#[tokio::test(flavor = "multi_thread")]
async fn metrics_need_the_admin_or_the_metrics_token() {
    let metrics_token = "m".repeat(40);
    let configured = metrics_token.clone();
    let daemon = spawn_daemon(move |s| {
        s.metrics_token = Some(cashgate::domain::Secret::new(&configured));
        s.limits.auth_failures_per_minute_per_ip = 2;
        s.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
    })
    .await;
    let get = |token: Option<&str>, address: &str| {
        let mut req = daemon
            .http
            .get(daemon.url("/metrics"))
            .header("x-forwarded-for", address);
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        req.send()
    };
    let anonymous = get(None, "203.0.113.1").await.unwrap();
    assert_eq!(anonymous.status(), 401);
    let text = anonymous.text().await.unwrap();
    assert!(!text.contains("cashgate_payments"), "no volumes: {text}");
    assert_eq!(
        get(Some(&metrics_token), "203.0.113.2")
            .await
            .unwrap()
            .status(),
        200
    );
    let admin = get(Some(&daemon.admin_token), "203.0.113.2").await.unwrap();
    assert_eq!(admin.status(), 200);
    assert!(
        admin
            .text()
            .await
            .unwrap()
            .contains("cashgate_transactions_awaiting_operator")
    );
    // Wrong tokens from one address: two 401s, then 429 even for a right one.
    assert_eq!(
        get(Some("guess-1"), "203.0.113.9").await.unwrap().status(),
        401
    );
    assert_eq!(
        get(Some("guess-2"), "203.0.113.9").await.unwrap().status(),
        401
    );
    let limited = get(Some(&metrics_token), "203.0.113.9").await.unwrap();
    assert_eq!(limited.status(), 429);
    assert!(limited.headers().contains_key("retry-after"));
    // Other addresses are not affected.
    assert_eq!(
        get(Some(&metrics_token), "203.0.113.10")
            .await
            .unwrap()
            .status(),
        200
    );
}
