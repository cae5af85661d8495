//! Tests of the settings: defaults, the TOML file, variables, validation.

use super::*;
use std::collections::HashMap;

#[test]
fn defaults_match_the_design() {
    let s = Settings::default();
    assert_eq!(s.listen.to_string(), "127.0.0.1:8080");
    assert_eq!(s.data_dir, PathBuf::from("./cashgate-data"));
    assert_eq!(s.limits.checks_per_minute_per_ip, 30);
    assert_eq!(s.limits.requests_per_minute_per_store, 600);
    assert_eq!(s.whmcs.timeout_ms, 15_000);
    assert_eq!(s.check_wait_ms, 8000);
    assert_eq!(s.mail.from, "cashgate <cashgate@localhost>");
    s.validate().unwrap();
}

#[test]
fn toml_overrides_defaults_and_variables_override_toml() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cashgate.toml");
    std::fs::write(
        &path,
        "listen = \"0.0.0.0:9000\"\ncheck_wait_ms = 5000\n[limits]\nchecks_per_minute_per_ip = 5\n",
    )
    .unwrap();
    let mut s = Settings::from_file(&path).unwrap();
    assert_eq!(s.listen.to_string(), "0.0.0.0:9000");
    assert_eq!(s.limits.checks_per_minute_per_ip, 5);
    assert_eq!(
        s.limits.checks_per_minute_per_client, 10,
        "untouched fields keep defaults"
    );
    let env: HashMap<&str, &str> = [
        ("CASHGATE_LISTEN", "127.0.0.1:7000"),
        ("CASHGATE_CHECKS_PER_MINUTE_PER_IP", "7"),
        ("CASHGATE_TRUSTED_PROXIES", "10.0.0.1, ::1"),
        ("CASHGATE_ADMIN_TOKEN", "tok"),
    ]
    .into();
    s.apply_env(|k| env.get(k).map(|v| v.to_string())).unwrap();
    assert_eq!(s.listen.to_string(), "127.0.0.1:7000");
    assert_eq!(s.limits.checks_per_minute_per_ip, 7);
    assert_eq!(s.check_wait_ms, 5000);
    assert_eq!(s.trusted_proxies.len(), 2);
    assert!(s.admin_token.unwrap().matches("tok"));
}

#[test]
fn bad_values_are_named() {
    let mut s = Settings::default();
    let err = s
        .apply_env(|k| (k == "CASHGATE_CHECK_WAIT_MS").then(|| "soon".into()))
        .unwrap_err();
    assert!(
        err.to_string().starts_with("CASHGATE_CHECK_WAIT_MS"),
        "{err}"
    );
    s.check_wait_ms = 30_000;
    assert!(s.validate().is_err());
    s.check_wait_ms = 8000;
    s.limits.request_timeout_ms = 20_000;
    assert!(
        s.validate()
            .unwrap_err()
            .to_string()
            .contains("request_timeout_ms"),
        "shorter than a 30 s poll"
    );
    s.limits.request_timeout_ms = 40_000;
    s.admin_token = Some(Secret::new("x".repeat(ADMIN_TOKEN_CHARS_MIN - 1)));
    let short = s.validate().unwrap_err().to_string();
    assert!(
        short.contains("admin_token") && short.contains("at least 32"),
        "{short}"
    );
    s.admin_token = Some(Secret::new("x".repeat(ADMIN_TOKEN_CHARS_MIN)));
    s.validate().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.toml");
    std::fs::write(&path, "lisen = \"typo\"\n").unwrap();
    assert!(matches!(
        Settings::from_file(&path),
        Err(ConfigError::Toml { .. })
    ));
}

#[test]
fn connection_limits_have_defaults_and_refuse_zero() {
    let s = Settings::default();
    assert_eq!(s.limits.connections_max, 4096);
    assert_eq!(s.limits.connections_per_ip_max, 64);
    assert!(s.limits.connections_per_ip_max * 16 <= s.limits.connections_max);
    assert_eq!(s.limits.first_byte_timeout_ms, 5_000);
    assert_eq!(s.limits.idle_timeout_ms, 30_000);
    for zero in [
        |l: &mut LimitSettings| l.connections_per_ip_max = 0,
        |l: &mut LimitSettings| l.first_byte_timeout_ms = 0,
        |l: &mut LimitSettings| l.idle_timeout_ms = 0,
    ] {
        let mut s = Settings::default();
        zero(&mut s.limits);
        assert!(s.validate().is_err());
    }
}

#[test]
fn claim_retention_and_metrics_settings_have_defaults_toml_and_variables() {
    let s = Settings::default();
    assert_eq!(s.claims.checked_before_transfer_grace_ms, 300_000);
    assert_eq!(s.claims.transfer_time_skew_max_ms, 600_000);
    assert_eq!(s.retention.keep_days, 30);
    assert_eq!(s.retention.batch_max, 1000);
    assert_eq!(s.retention.interval_ms, 60_000);
    assert_eq!(s.limits.server_checks_per_minute_per_store, 600);
    assert!(s.metrics_token.is_none());

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cashgate.toml");
    std::fs::write(
        &path,
        "[claims]\nchecked_before_transfer_grace_ms = 120000\ntransfer_time_skew_max_ms = 60000\n\
         [retention]\nkeep_days = 0\n[limits]\nserver_checks_per_minute_per_store = 50\n",
    )
    .unwrap();
    let mut s = Settings::from_file(&path).unwrap();
    assert_eq!(s.claims.checked_before_transfer_grace_ms, 120_000);
    assert_eq!(s.claims.transfer_time_skew_max_ms, 60_000);
    assert_eq!(s.retention.keep_days, 0, "0 keeps everything");
    assert_eq!(s.retention.batch_max, 1000);
    assert_eq!(s.limits.server_checks_per_minute_per_store, 50);
    let token = "t".repeat(ADMIN_TOKEN_CHARS_MIN);
    let env: HashMap<&str, &str> = [
        ("CASHGATE_METRICS_TOKEN", token.as_str()),
        ("CASHGATE_SERVER_CHECKS_PER_MINUTE_PER_STORE", "70"),
    ]
    .into();
    s.apply_env(|k| env.get(k).map(|v| v.to_string())).unwrap();
    assert!(s.metrics_token.as_ref().unwrap().matches(&token));
    assert_eq!(s.limits.server_checks_per_minute_per_store, 70);
    s.validate().unwrap();

    s.metrics_token = Some(Secret::new("short"));
    let err = s.validate().unwrap_err().to_string();
    assert!(err.contains("metrics_token"), "{err}");
    s.metrics_token = None;
    s.retention.batch_max = 0;
    assert!(
        s.validate()
            .unwrap_err()
            .to_string()
            .contains("retention.batch_max")
    );
    s.retention.batch_max = 1;
    s.limits.server_checks_per_minute_per_store = 0;
    assert!(s.validate().is_err());
}
