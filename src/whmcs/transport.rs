//! The HTTP side of a WHMCS call: one `POST` with a form body, the answer
//! read whole (capped), and the network's failures mapped to outcomes —
//! a connection that could not be opened is `Transient` (nothing was
//! sent); any failure after that is `Unknown` (WHMCS may have committed).

use std::error::Error as _;
use std::time::Duration;

use serde_json::Value;

use super::classify::classify;
use super::outcome::{CallOutcome, Rejection, WhmcsRefusal};
use super::{Credentials, endpoint};

/// Largest answer read; WHMCS's answers are a few KiB.
const BODY_BYTES_MAX: usize = 1024 * 1024;
/// Grace on top of reqwest's own deadline before our backstop fires.
const BACKSTOP_GRACE: Duration = Duration::from_secs(1);

#[derive(Debug, thiserror::Error)]
pub enum WhmcsError {
    #[error("no TLS crypto provider is installed: call daemon::install_crypto_provider() first")]
    NoCryptoProvider,
    #[error("the WHMCS timeout must be greater than zero")]
    ZeroTimeout,
    #[error("could not build the HTTP client: {0}")]
    Build(String),
}

/// A WHMCS API client; cheap to clone, shares one connection pool.
#[derive(Debug, Clone)]
pub struct WhmcsClient {
    http: reqwest::Client,
    timeout: Duration,
}

impl WhmcsClient {
    /// A client whose calls end after `timeout` (connecting included; the
    /// connection must open within half of it, so a slow connect is always
    /// reported as a connect failure). rustls, no proxy from the
    /// environment, no redirects followed, no pooled connections.
    pub fn new(timeout: Duration) -> Result<WhmcsClient, WhmcsError> {
        if timeout.is_zero() {
            return Err(WhmcsError::ZeroTimeout);
        }
        if rustls::crypto::CryptoProvider::get_default().is_none() {
            return Err(WhmcsError::NoCryptoProvider);
        }
        let http = reqwest::Client::builder()
            .tls_backend_rustls()
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            // A fresh connection per call: a pooled one that the server
            // closes as we write would turn a harmless race into an
            // `Unknown` outcome. Credits are rare; a handshake is cheap.
            .pool_max_idle_per_host(0)
            .timeout(timeout)
            .connect_timeout((timeout / 2).max(Duration::from_millis(1)))
            .user_agent(concat!("cashgate/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| WhmcsError::Build(describe(&e)))?;
        Ok(WhmcsClient { http, timeout })
    }

    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Calls `action` with `params` and classifies the answer.
    pub(super) async fn call(
        &self,
        c: &Credentials<'_>,
        action: &str,
        params: &[(&str, &str)],
    ) -> CallOutcome<Value> {
        let url = match checked_url(c.api_url) {
            Ok(url) => url,
            Err(rejection) => return CallOutcome::Permanent(rejection),
        };
        let body = form_body(c, action, params);
        let deadline = self.timeout + BACKSTOP_GRACE;
        let outcome = match tokio::time::timeout(deadline, self.exchange(url, body)).await {
            Ok(outcome) => outcome,
            Err(_) => CallOutcome::Unknown(format!("no whole answer within {deadline:?}")),
        };
        tracing::debug!(action, outcome = outcome.kind(), "WHMCS call");
        outcome
    }

    /// Sends the request and reads the whole answer.
    async fn exchange(&self, url: reqwest::Url, body: String) -> CallOutcome<Value> {
        let sent = self
            .http
            .post(url)
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .header(reqwest::header::ACCEPT, "application/json")
            .body(body)
            .send()
            .await;
        let mut response = match sent {
            Ok(r) => r,
            Err(e) if e.is_connect() => {
                return CallOutcome::Transient(format!("could not connect: {}", describe(&e)));
            }
            Err(e) => return CallOutcome::Unknown(format!("request failed: {}", describe(&e))),
        };
        let status = response.status().as_u16();
        let mut bytes = Vec::new();
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) if bytes.len() + chunk.len() > BODY_BYTES_MAX => {
                    let room = BODY_BYTES_MAX - bytes.len();
                    bytes.extend_from_slice(chunk.get(..room).unwrap_or_default());
                    return oversized(status, &bytes);
                }
                Ok(Some(chunk)) => bytes.extend_from_slice(&chunk),
                Ok(None) => return classify(status, &bytes),
                Err(e) => {
                    return CallOutcome::Unknown(format!(
                        "HTTP {status}, the answer was cut off: {}",
                        describe(&e)
                    ));
                }
            }
        }
    }
}

/// An answer over the cap: never a success, whatever its start says.
fn oversized(status: u16, head: &[u8]) -> CallOutcome<Value> {
    match classify(status, head) {
        CallOutcome::Success(_) => CallOutcome::Unknown(format!(
            "HTTP {status} with an answer over {BODY_BYTES_MAX} bytes"
        )),
        other => other,
    }
}

/// The endpoint as a URL, refused (before sending) unless http(s).
fn checked_url(api_url: &str) -> Result<reqwest::Url, Rejection> {
    let refused = || {
        Rejection::local(
            WhmcsRefusal::Other,
            "whmcs.api_url is not an http:// or https:// URL",
        )
    };
    let url = reqwest::Url::parse(&endpoint(api_url)).map_err(|_| refused())?;
    match url.scheme() {
        "http" | "https" if url.host().is_some() => Ok(url),
        _ => Err(refused()),
    }
}

/// The endpoint for messages: without any user info, or a placeholder
/// when it is not a URL.
pub(super) fn shown_endpoint(api_url: &str) -> String {
    match reqwest::Url::parse(&endpoint(api_url)) {
        Ok(mut url) => {
            let _ = url.set_username("");
            let _ = url.set_password(None);
            url.to_string()
        }
        Err(_) => "whmcs.api_url (not a URL)".to_owned(),
    }
}

/// The form body: JSON answers, credentials, action, then the parameters.
/// It holds the secret: it must never be formatted into a message.
fn form_body(c: &Credentials<'_>, action: &str, params: &[(&str, &str)]) -> String {
    let mut form = form_urlencoded::Serializer::new(String::new());
    form.append_pair("responsetype", "json")
        .append_pair("identifier", c.identifier)
        .append_pair("secret", c.secret.expose())
        .append_pair("action", action);
    for (name, value) in params {
        form.append_pair(name, value);
    }
    form.finish()
}

/// A reqwest error and its causes, without the URL (which could carry
/// user info) — never the body.
fn describe(e: &reqwest::Error) -> String {
    let mut text = String::from(if e.is_timeout() { "timed out" } else { "" });
    let mut source = e.source();
    while let Some(cause) = source {
        let part = cause.to_string();
        if !part.is_empty() && !text.contains(&part) {
            if !text.is_empty() {
                text.push_str(": ");
            }
            text.push_str(&part);
        }
        source = cause.source();
    }
    if text.is_empty() {
        let kind = if e.is_body() {
            "the body failed"
        } else if e.is_builder() {
            "the request could not be built"
        } else {
            "the HTTP exchange failed"
        };
        text = kind.to_owned();
    }
    super::classify::clean_message(&text)
}
