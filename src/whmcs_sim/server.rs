//! The emulator's HTTP side: accepting connections, reading WHMCS's
//! parameters the way PHP does, authentication in WHMCS's order, the
//! dispatch to an action, and rendering answers as JSON or `key=value;`.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::{Map, Value};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;

use super::answer::{Answer, AnswerBody, Plan};
use super::client_area::{self, CLIENT_AREA_PATH};
use super::{API_PATH, Shared, State, credits, invoices, lock_ignoring_poison};

/// Accepts until aborted; aborting drops the `JoinSet`, which aborts every
/// connection (stalled ones included).
pub(super) async fn serve(listener: TcpListener, state: Shared) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    connections.spawn(connection(stream, peer, state.clone()));
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
}

async fn connection(stream: TcpStream, peer: SocketAddr, state: Shared) {
    let service = service_fn(move |req| handle(state.clone(), peer, req));
    // An error here is a dropped connection (on purpose or by the client).
    let _ = http1::Builder::new()
        .serve_connection(TokioIo::new(stream), service)
        .await;
}

type Reply = Result<Response<Full<Bytes>>, std::io::Error>;

async fn handle(state: Shared, peer: SocketAddr, req: Request<Incoming>) -> Reply {
    let path = req.uri().path().to_owned();
    let query = req.uri().query().unwrap_or_default().to_owned();
    let form = req
        .headers()
        .get(hyper::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    let body = match req.into_body().collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(_) => Bytes::new(),
    };
    if path == CLIENT_AREA_PATH {
        let page = client_area::page(&lock_ignoring_poison(&state), &query);
        return Ok(html(page));
    }
    if path != API_PATH {
        return Ok(render(Answer::page(404, "<h1>Not Found</h1>"), false));
    }
    let params = request_params(&query, form.then_some(&body[..]));
    let json = params.get("responsetype").is_some_and(|v| v == "json");
    let plan = decide(
        &mut lock_ignoring_poison(&state),
        peer.ip(),
        &query,
        &params,
    );
    match plan {
        Plan::Answer(answer) => Ok(render(answer, json)),
        Plan::Drop => Err(std::io::Error::other("emulated: connection dropped")),
        Plan::Stall(wait, answer) => {
            tokio::time::sleep(wait).await;
            Ok(render(answer, json))
        }
    }
}

/// PHP's `$_REQUEST`: the query, overridden by a form-encoded body.
fn request_params(query: &str, body: Option<&[u8]>) -> HashMap<String, String> {
    let mut params: HashMap<String, String> = form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    if let Some(body) = body {
        params.extend(form_urlencoded::parse(body).into_owned());
    }
    params
}

/// Authentication in WHMCS's order, then the action.
fn decide(s: &mut State, ip: IpAddr, query: &str, p: &HashMap<String, String>) -> Plan {
    s.requests += 1;
    if form_urlencoded::parse(query.as_bytes()).any(|(k, _)| k == "secret") {
        s.secret_in_url += 1;
    }
    let action = p
        .get("action")
        .map(|a| a.to_ascii_lowercase())
        .unwrap_or_default();
    if !action.is_empty() {
        *s.calls.entry(action.clone()).or_default() += 1;
    }
    let given = |name: &str| p.get(name).map(String::as_str).unwrap_or_default();
    let refusal = if s.ban_ip {
        Some(Answer::error(403, "IP Banned"))
    } else if s.deny_ip {
        Some(Answer::error(403, &format!("Invalid IP {ip}")))
    } else if given("identifier").is_empty() || given("identifier") != s.identifier {
        Some(Answer::error(403, "Invalid or missing credentials"))
    } else if given("secret") != s.secret {
        Some(Answer::error(403, "Authentication Failed"))
    } else if s.account_disabled {
        Some(Answer::error(403, "Administrator Account Disabled"))
    } else {
        action_refusal(s, &action)
    };
    if let Some(answer) = refusal {
        return Plan::Answer(answer);
    }
    *s.authorised.entry(action.clone()).or_default() += 1;
    match action.as_str() {
        "addcredit" => credits::add_credit_plan(s, p),
        "getcredits" => credits::get_credits_plan(s, p),
        "applycredit" => invoices::apply_credit_plan(s, p),
        _ => invoices::get_invoice_plan(s, p),
    }
}

/// Empty, unknown or forbidden actions.
fn action_refusal(s: &State, action: &str) -> Option<Answer> {
    let allowed = match action {
        "" => return Some(Answer::error(400, "Empty action request")),
        "addcredit" => s.allow_add_credit,
        "getcredits" => s.allow_get_credits,
        "applycredit" => s.allow_apply_credit,
        "getinvoice" => s.allow_get_invoice,
        _ => return Some(Answer::error(200, "Command Not Found")),
    };
    let message = format!("Invalid Permissions: API action \"{action}\" is not allowed");
    (!allowed).then(|| Answer::error(403, &message))
}

/// The answer as JSON (`responsetype=json`) or WHMCS's `key=value;` text.
/// A page of the simulator's own (not an API answer).
fn html(page: String) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(page)));
    if let Ok(value) = hyper::header::HeaderValue::from_str("text/html; charset=utf-8") {
        response
            .headers_mut()
            .insert(hyper::header::CONTENT_TYPE, value);
    }
    response
}

fn render(answer: Answer, json: bool) -> Response<Full<Bytes>> {
    let (content_type, text) = match answer.body {
        AnswerBody::Page(page) => ("text/html", page.to_owned()),
        AnswerBody::Fields(fields) if json => {
            let object: Map<String, Value> = fields.into_iter().collect();
            ("application/json", Value::Object(object).to_string())
        }
        AnswerBody::Fields(fields) => {
            let text: String = fields
                .iter()
                .filter(|(_, v)| !v.is_object() && !v.is_array())
                .map(|(k, v)| match v {
                    Value::String(s) => format!("{k}={s};"),
                    other => format!("{k}={other};"),
                })
                .collect();
            ("text/html", text)
        }
    };
    let mut response = Response::new(Full::new(Bytes::from(text)));
    *response.status_mut() =
        StatusCode::from_u16(answer.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if let Ok(value) = hyper::header::HeaderValue::from_str(content_type) {
        response
            .headers_mut()
            .insert(hyper::header::CONTENT_TYPE, value);
    }
    response
}
