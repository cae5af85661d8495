//! `/approvals/{token}`: the page an approval email links to. A GET (or
//! HEAD) shows the payment and a form and changes nothing, however often
//! mail scanners fetch it; only a POST carrying a nonce the page issued, in
//! both the form and the `cashgate_nonce` cookie, decides.

use std::sync::Arc;

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Request, Response, StatusCode, header};
use http_body_util::Full;
use hyper::body::Incoming;

use super::client_ip::Client;
use super::params::Params;
use super::reply::Body;
use super::{App, body};
use crate::approvals::{ApprovalView, Claims, TokenError, decided_page, error_page, form_page};
use crate::domain::Lang;
use crate::machine::{Actor, StateName};
use crate::payments::{Applied, DbError, NotApplied, PaymentRecord, Written};

const COOKIE: &str = "cashgate_nonce";
/// Nonces one cookie remembers (several approval pages open at once).
const COOKIE_NONCES_MAX: usize = 8;
const NOTE_CHARS_MAX: usize = 1000;
const USER_AGENT_CHARS_MAX: usize = 256;

/// A page's outcome, before it becomes a response.
struct Html {
    status: StatusCode,
    page: String,
    cookie: Option<String>,
    location: Option<String>,
}

fn html(status: StatusCode, page: String) -> Html {
    Html {
        status,
        page,
        cookie: None,
        location: None,
    }
}

pub async fn page(app: Arc<App>, token: &str, req: Request<Incoming>) -> Response<Body> {
    respond(show(&app, token, req.headers()))
}

pub async fn decide(
    app: Arc<App>,
    client: Client,
    token: &str,
    req: Request<Incoming>,
) -> Response<Body> {
    respond(post(&app, client, token, req).await)
}

fn bad_link(lang: Lang, error: TokenError) -> Html {
    let (en, ar) = match error {
        TokenError::Expired => (
            "This approval link has expired.",
            "انتهت صلاحية رابط الموافقة هذا.",
        ),
        _ => (
            "This approval link is not valid.",
            "رابط الموافقة هذا غير صالح.",
        ),
    };
    html(StatusCode::BAD_REQUEST, error_page(lang, en, ar))
}

/// Token, then the payment it names; errors are finished pages.
fn load(app: &App, token: &str) -> Result<(Claims, PaymentRecord, ApprovalView), Html> {
    let claims = app
        .signer
        .verify_at(token, app.clock.now())
        .map_err(|e| bad_link(Lang::En, e))?;
    let not_found = || bad_link(Lang::En, TokenError::Malformed);
    let record = app
        .payments
        .payment(&claims.payment_id)
        .map_err(|_| not_found())?
        .ok_or_else(not_found)?;
    let settings = app
        .stores
        .get(&record.store_id)
        .map_err(|_| not_found())?
        .unwrap_or_default();
    let history = app.payments.history(&record.id).map_err(|_| not_found())?;
    let view = ApprovalView::new(&record, &settings, history, app.clock.now());
    Ok((claims, record, view))
}

fn waits_for(claims: &Claims, record: &PaymentRecord) -> bool {
    record.version == claims.version && record.state_name() == StateName::Held
}

fn show(app: &App, token: &str, headers: &HeaderMap) -> Html {
    let (claims, record, view) = match load(app, token) {
        Ok(loaded) => loaded,
        Err(page) => return page,
    };
    if !waits_for(&claims, &record) {
        return html(StatusCode::OK, decided_page(&view, &claims.approver));
    }
    let Ok(nonce) = app.signer.nonce(token) else {
        return html(
            StatusCode::BAD_REQUEST,
            error_page(
                view.lang,
                "Please open the link again.",
                "من فضلك افتح الرابط مرة أخرى.",
            ),
        );
    };
    let mut nonces = cookie_nonces(headers);
    nonces.push(nonce.clone());
    let keep_from = nonces.len().saturating_sub(COOKIE_NONCES_MAX);
    let max_age = (claims.expires_at - app.clock.now())
        .get_seconds()
        .clamp(0, 90 * 24 * 3600);
    let secure = if app.public_url.starts_with("https://") {
        "; Secure"
    } else {
        ""
    };
    let cookie = format!(
        "{COOKIE}={}; Path=/approvals/; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}",
        nonces[keep_from..].join("~")
    );
    Html {
        cookie: Some(cookie),
        ..html(StatusCode::OK, form_page(&view, &nonce))
    }
}

async fn post(app: &App, client: Client, token: &str, req: Request<Incoming>) -> Html {
    let user_agent = req
        .headers()
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(|ua| ua.chars().take(USER_AGENT_CHARS_MAX).collect::<String>());
    let cookies = cookie_nonces(req.headers());
    let (claims, record, view) = match load(app, token) {
        Ok(loaded) => loaded,
        Err(page) => return page,
    };
    let lang = view.lang;
    if !waits_for(&claims, &record) {
        return html(StatusCode::CONFLICT, decided_page(&view, &claims.approver));
    }
    let form = match body::read(req, app.settings.limits.body_bytes_max)
        .await
        .map(|(_, b)| b)
    {
        Ok(bytes) => Params::from_bytes(&bytes).unwrap_or_default(),
        Err(_) => Params::default(),
    };
    let form_ok = form
        .get("nonce")
        .is_some_and(|n| app.signer.nonce_valid(token, n));
    let cookie_ok = cookies.iter().any(|n| app.signer.nonce_valid(token, n));
    if !form_ok || !cookie_ok {
        let (en, ar) = (
            "This form has expired or was not sent from the approval page. Please open the link again.",
            "انتهت صلاحية هذا النموذج أو لم يُرسل من صفحة الموافقة. من فضلك افتح الرابط مرة أخرى.",
        );
        return html(StatusCode::FORBIDDEN, error_page(lang, en, ar));
    }
    let note = form
        .get("note")
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(|n| n.chars().take(NOTE_CHARS_MAX).collect());
    let approver = Actor::Approver {
        email: claims.approver.clone(),
        ip: Some(client.ip.to_string()),
        user_agent,
    };
    let approve = match form.get("decision") {
        Some("approve") => true,
        Some("reject") => false,
        _ => {
            return html(
                StatusCode::BAD_REQUEST,
                error_page(lang, "Choose approve or reject.", "اختر موافقة أو رفض."),
            );
        }
    };
    let decided = app.payments.approver_decision(
        &claims.payment_id,
        claims.version,
        approve,
        approver,
        note,
        app.clock.now(),
    );
    record_decision(app, token, &claims, decided, lang).await
}

async fn record_decision(
    app: &App,
    token: &str,
    claims: &Claims,
    applied: Result<Result<Written<Applied>, NotApplied>, DbError>,
    lang: Lang,
) -> Html {
    let result = match applied {
        Ok(Ok(written)) => written.durable().await.map(|a| Ok(a.to)),
        Ok(Err(not_applied)) => Ok(Err(not_applied)),
        Err(e) => Err(e),
    };
    match result {
        Ok(Ok(to)) => {
            tracing::info!(payment_id = %claims.payment_id, approver = %claims.approver, %to, "approver decided");
            Html {
                location: Some(format!("/approvals/{token}")),
                ..html(StatusCode::SEE_OTHER, String::new())
            }
        }
        Ok(Err(NotApplied::Refused {
            refusal: crate::machine::Refusal::ActorNotAllowed,
            ..
        })) => {
            let (en, ar) = (
                "You are no longer an approver of this store.",
                "لم تعد من المسؤولين عن الموافقة في هذا المتجر.",
            );
            html(StatusCode::FORBIDDEN, error_page(lang, en, ar))
        }
        Ok(Err(_)) => match load(app, token) {
            Ok((claims, _, view)) => {
                html(StatusCode::CONFLICT, decided_page(&view, &claims.approver))
            }
            Err(page) => page,
        },
        Err(e) => {
            tracing::error!(error = %e, "approval could not be stored");
            let (en, ar) = (
                "The decision could not be saved. Please try again.",
                "تعذر حفظ القرار. من فضلك حاول مرة أخرى.",
            );
            html(StatusCode::SERVICE_UNAVAILABLE, error_page(lang, en, ar))
        }
    }
}

/// The nonces in the request's `cashgate_nonce` cookie.
fn cookie_nonces(headers: &HeaderMap) -> Vec<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().strip_prefix(COOKIE)?.strip_prefix('='))
        .flat_map(|list| list.split('~'))
        .filter(|n| !n.is_empty())
        .take(COOKIE_NONCES_MAX * 2)
        .map(str::to_owned)
        .collect()
}

fn respond(page: Html) -> Response<Body> {
    let mut response = Response::new(Full::new(Bytes::from(page.page)));
    *response.status_mut() = page.status;
    let headers = response.headers_mut();
    let fixed = [
        (header::CONTENT_TYPE, "text/html; charset=utf-8"),
        (header::CACHE_CONTROL, "no-store"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
    ];
    for (name, value) in fixed {
        headers.insert(name, HeaderValue::from_static(value));
    }
    for (name, value) in [
        (header::SET_COOKIE, page.cookie),
        (header::LOCATION, page.location),
    ] {
        if let Some(v) = value.and_then(|v| HeaderValue::from_str(&v).ok()) {
            headers.insert(name, v);
        }
    }
    response
}
