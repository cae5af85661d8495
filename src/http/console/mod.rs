//! `/console`: the operator console. Server-rendered pages (maud, in
//! `views`) in English and Arabic, a small static script and style sheet
//! served from `/console/static/`, and no other origin.
//!
//! Sign-in takes the admin token or a store key (`login`) and opens a
//! session (`session`); every page then acts for that session's
//! [`Principal`] through the same access rules as the admin API
//! (`crate::http::access`): a store key sees its own store only, and
//! another store's payment is "not found". Every form carries the
//! session's CSRF token; a POST without it changes nothing. The handlers
//! are split by page family: `payments` (overview, queues, a payment, its
//! actions, search), `stores` (settings, preflight, go-live checklist),
//! `lists` (transactions, quarantine), `assign` (giving a transaction that
//! waits for an operator to a payment).

mod assign;
mod forms;
mod lists;
mod login;
mod payments;
mod reply;
mod session;
mod stores;
mod views;

use std::collections::HashMap;
use std::sync::Arc;

use http::{HeaderMap, Method, Request, Response, header};
use hyper::body::Incoming;
use jiff::Timestamp;

use super::access::Principal;
use super::client_ip::Client;
use super::params::Params;
use super::reply::Body;
use super::{ApiError, App};
use crate::domain::{Lang, StoreId};
use reply::{PageError, Reply};
pub use session::Sessions;
use session::{SESSION_COOKIE, Session};

/// The cookie that remembers the console's language.
const LANG_COOKIE: &str = "cashgate_lang";

/// What every console handler works with.
pub struct Ctx<'a> {
    pub app: &'a App,
    pub client: Client,
    pub lang: Lang,
    pub now: Timestamp,
    /// The request's path and query (forms return here).
    pub here: String,
    pub query: Params,
    /// Set when `?lang=` chose the language: remembered in a cookie.
    pub lang_chosen: bool,
}

/// A signed-in request: the context and its session.
pub struct Signed<'a> {
    pub ctx: Ctx<'a>,
    pub session: Session,
}

impl Signed<'_> {
    pub fn principal(&self) -> &Principal {
        &self.session.principal
    }

    /// What a page is drawn for, with the time zones of `stores`.
    pub fn view<'s>(
        &'s self,
        stores: impl Iterator<Item = &'s StoreId>,
    ) -> Result<views::View<'s>, PageError> {
        let mut zones = HashMap::new();
        for store in stores.chain(self.principal().own_store()) {
            if !zones.contains_key(store)
                && let Some(settings) = self.ctx.app.stores.shared(store)?
            {
                zones.insert(store.clone(), settings.time_zone.clone());
            }
        }
        Ok(views::View {
            lang: self.ctx.lang,
            principal: &self.session.principal,
            csrf: self.session.csrf.expose(),
            now: self.ctx.now,
            here: &self.ctx.here,
            zones,
        })
    }
}

pub async fn route(
    app: Arc<App>,
    client: Client,
    segments: &[&str],
    req: Request<Incoming>,
) -> Response<Body> {
    let method = req.method().clone();
    if let (["static", file], &Method::GET | &Method::HEAD) = (segments, &method) {
        return reply::static_file(file);
    }
    let ctx = match context(&app, client, &req) {
        Ok(ctx) => ctx,
        Err(e) => return PageError::from(e).into_reply(Lang::En).into_response(&app),
    };
    let lang = ctx.lang;
    let remember = ctx.lang_chosen.then(|| lang_cookie(lang));
    let result = dispatch(ctx, segments, &method, req).await;
    let mut reply = result.unwrap_or_else(|e| e.into_reply(lang));
    reply.cookies.extend(remember);
    reply.into_response(&app)
}

async fn dispatch(
    ctx: Ctx<'_>,
    segments: &[&str],
    method: &Method,
    req: Request<Incoming>,
) -> Result<Reply, PageError> {
    match (segments, method) {
        (["login"], &Method::GET) => login::page(&ctx),
        (["login"], &Method::POST) => login::sign_in(&ctx, req).await,
        (["logout"], &Method::POST) => login::sign_out(&ctx, req).await,
        ([] | [""], &Method::GET) => payments::overview(&signed(ctx, req.headers())?),
        (["queues", state], &Method::GET) => payments::queue(&signed(ctx, req.headers())?, state),
        (["payments", id], &Method::GET) => payments::detail(&signed(ctx, req.headers())?, id),
        (["payments", id, action], &Method::POST) => {
            let (signed, form) = posted(ctx, req).await?;
            payments::act(&signed, &form, id, action).await
        }
        (["search"], &Method::GET) => payments::search(&signed(ctx, req.headers())?),
        (["stores"], &Method::GET) => stores::list(&signed(ctx, req.headers())?),
        (["stores", id], &Method::GET) => stores::edit(&signed(ctx, req.headers())?, id),
        (["stores", id], &Method::POST) => {
            let (signed, form) = posted(ctx, req).await?;
            stores::save(&signed, &form, id).await
        }
        (["stores", id, "preflight"], &Method::POST) => {
            let (signed, _) = posted(ctx, req).await?;
            stores::preflight(&signed, id).await
        }
        (["transactions"], &Method::GET) => lists::transactions(&signed(ctx, req.headers())?),
        (["transactions", store, trans_id, "assign"], &Method::POST) => {
            let (signed, form) = posted(ctx, req).await?;
            assign::assign(&signed, &form, store, trans_id).await
        }
        (["quarantine"], &Method::GET) => lists::quarantine(&signed(ctx, req.headers())?),
        _ => Err(PageError::NotFound),
    }
}

/// The request's language and query.
fn context<'a>(app: &'a App, client: Client, req: &Request<Incoming>) -> Result<Ctx<'a>, ApiError> {
    let query = Params::from_query(req.uri().query())?;
    let asked = query
        .get("lang")
        .filter(|l| matches!(*l, "en" | "ar"))
        .map(|l| Lang::from_param(Some(l)));
    let lang = match asked {
        Some(l) => l,
        None => session::cookie(req.headers(), LANG_COOKIE)
            .map(|l| Lang::from_param(Some(l)))
            .unwrap_or_else(|| accepted_lang(req.headers())),
    };
    let here = req
        .uri()
        .path_and_query()
        .map_or_else(|| "/console".to_owned(), |p| p.as_str().to_owned());
    Ok(Ctx {
        app,
        client,
        lang,
        now: app.clock.now(),
        here,
        query,
        lang_chosen: asked.is_some(),
    })
}

/// Arabic when the browser puts Arabic first.
fn accepted_lang(headers: &HeaderMap) -> Lang {
    let first = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split([',', ';']).next());
    Lang::from_param(first)
}

fn lang_cookie(lang: Lang) -> String {
    format!(
        "{LANG_COOKIE}={}; Path=/console; SameSite=Strict; Max-Age=31536000",
        lang.code()
    )
}

/// The session a request's cookie names, if it is live; a store key's
/// session ends here when its key was revoked.
fn session_of(ctx: &Ctx<'_>, headers: &HeaderMap) -> Result<Option<Session>, PageError> {
    let Some(id) = session::cookie(headers, SESSION_COOKIE) else {
        return Ok(None);
    };
    let sessions = &ctx.app.sessions;
    let Some(session) = sessions.find(id, ctx.now) else {
        return Ok(None);
    };
    if let Principal::StoreKey(holder) = &session.principal
        && !ctx.app.stores.keys().still_valid(holder, ctx.now)?
    {
        sessions.close(id);
        return Ok(None);
    }
    Ok(Some(session))
}

/// A page that needs a session: without one, the sign-in page (`401`).
fn signed<'a>(ctx: Ctx<'a>, headers: &HeaderMap) -> Result<Signed<'a>, PageError> {
    match session_of(&ctx, headers)? {
        Some(session) => Ok(Signed { ctx, session }),
        None => Err(PageError::SignIn { next: ctx.here }),
    }
}

/// A form post: a live session, a body within limits, and the session's
/// CSRF token in the `csrf` field — else nothing happens.
async fn posted(ctx: Ctx<'_>, req: Request<Incoming>) -> Result<(Signed<'_>, Params), PageError> {
    let session = session_of(&ctx, req.headers())?.ok_or(PageError::SessionEnded)?;
    let form = forms::read(ctx.app, req).await?;
    let token_ok = form
        .get("csrf")
        .is_some_and(|token| session.csrf.matches(token));
    if !token_ok {
        return Err(PageError::Csrf);
    }
    Ok((Signed { ctx, session }, form))
}
