//! Signing in and out. The sign-in form posts `token` (the admin token or
//! a store key), `next` (where to go after) and `csrf`: a random value the
//! form's GET also set in the `cashgate_login` cookie, so a page on
//! another site cannot sign a browser into a session of its choosing.
//! Attempts are limited per client address before the token is looked at
//! (`limits.sign_ins_per_minute_per_ip`), so guessing stays slow.

use http::{Request, StatusCode};
use hyper::body::Incoming;

use super::reply::{PageError, Reply};
use super::session::{self, LOGIN_COOKIE, SESSION_COOKIE, login_cookie, random_token};
use super::{Ctx, forms, views};
use crate::antispam::IpKey;
use crate::domain::Secret;
use crate::http::access;

/// Longest token looked at (keys are 56 characters; admin tokens longer
/// than this are not allowed to be configured anyway).
const TOKEN_CHARS_MAX: usize = 512;

/// The sign-in form, with a fresh login CSRF value in cookie and form.
pub fn page(ctx: &Ctx<'_>) -> Result<Reply, PageError> {
    let next = ctx
        .query
        .get("next")
        .filter(|n| forms::is_console_path(n))
        .unwrap_or("/console");
    form_reply(ctx, StatusCode::OK, next, None)
}

fn form_reply(
    ctx: &Ctx<'_>,
    status: StatusCode,
    next: &str,
    error: Option<&str>,
) -> Result<Reply, PageError> {
    let csrf = random_token()?;
    let mut reply = Reply::page(
        status,
        views::login::page(ctx.lang, Some(&csrf), next, error),
    );
    reply.cookies.push(login_cookie(&csrf));
    Ok(reply)
}

/// `POST /console/login`: a session for a valid token, else the form again.
pub async fn sign_in(ctx: &Ctx<'_>, req: Request<Incoming>) -> Result<Reply, PageError> {
    ctx.app
        .limits
        .sign_ins_ip
        .check(&IpKey::of(ctx.client.ip))?;
    let expected = session::cookie(req.headers(), LOGIN_COOKIE).map(Secret::new);
    let form = forms::read(ctx.app, req).await?;
    let csrf_ok = match (expected, form.get("csrf")) {
        (Some(expected), Some(given)) => expected.matches(given),
        _ => false,
    };
    if !csrf_ok {
        return Err(PageError::Csrf);
    }
    let next = form
        .get("next")
        .filter(|n| forms::is_console_path(n))
        .unwrap_or("/console");
    let token = form.get("token").map(str::trim).unwrap_or_default();
    let principal = if token.is_empty() || token.chars().count() > TOKEN_CHARS_MAX {
        None
    } else {
        access::principal_of(ctx.app, token, ctx.now)?
    };
    let Some(principal) = principal else {
        tracing::info!(ip = %ctx.client.ip, "console sign-in refused");
        let error = views::tr(
            ctx.lang,
            "That token is not the admin token or a store key.",
            "هذا الرمز ليس رمز المشرف العام ولا مفتاح متجر.",
        );
        return form_reply(ctx, StatusCode::UNAUTHORIZED, next, Some(error));
    };
    let by = principal.operator();
    let (id, _) = ctx.app.sessions.open(principal, ctx.now)?;
    tracing::info!(%by, ip = %ctx.client.ip, "console signed in");
    let mut reply = Reply::see_other(next.to_owned());
    reply.cookies.push(format!(
        "{SESSION_COOKIE}={id}; Path=/console; HttpOnly; SameSite=Strict"
    ));
    reply.cookies.push(format!(
        "{LOGIN_COOKIE}=; Path=/console/login; HttpOnly; SameSite=Strict; Max-Age=0"
    ));
    Ok(reply)
}

/// `POST /console/logout`: ends the session (with its CSRF token).
pub async fn sign_out(ctx: &Ctx<'_>, req: Request<Incoming>) -> Result<Reply, PageError> {
    let id = session::cookie(req.headers(), SESSION_COOKIE).map(str::to_owned);
    let live = id
        .as_deref()
        .and_then(|id| ctx.app.sessions.find(id, ctx.now));
    let form = forms::read(ctx.app, req).await?;
    let (Some(id), Some(session)) = (id, live) else {
        return Err(PageError::SessionEnded);
    };
    if !form.get("csrf").is_some_and(|t| session.csrf.matches(t)) {
        return Err(PageError::Csrf);
    }
    ctx.app.sessions.close(&id);
    let by = session.principal.operator();
    tracing::info!(%by, "console signed out");
    let mut reply = Reply::see_other("/console/login".to_owned());
    reply.cookies.push(format!(
        "{SESSION_COOKIE}=; Path=/console; HttpOnly; SameSite=Strict; Max-Age=0"
    ));
    Ok(reply)
}
