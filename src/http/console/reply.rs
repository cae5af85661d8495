//! Console answers: a page (or a redirect) with the headers every console
//! page carries — a strict CSP that allows only this daemon's own script
//! and style, no framing, no caching — and the errors a page can end in,
//! each with its status and a page that says what to do. The static
//! script, style sheet and icon are served from here too.

use bytes::Bytes;
use http::{HeaderValue, Response, StatusCode, header};
use http_body_util::Full;

use super::session::{login_cookie, random_token};
use super::views::{self, tr};
use crate::antispam::RetryAfter;
use crate::db::DbError;
use crate::domain::Lang;
use crate::http::reply::Body;
use crate::http::{ApiError, App};

const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; \
     form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

const STYLE: &str = include_str!("static/console.css");
const SCRIPT: &str = include_str!("static/console.js");
const ICON: &str = include_str!("static/icon.svg");

/// A console page or redirect, before it becomes a response.
pub struct Reply {
    pub status: StatusCode,
    pub page: String,
    pub cookies: Vec<String>,
    pub location: Option<String>,
    /// Seconds for `Retry-After` (a limited sign-in or preflight).
    pub retry_after_s: Option<u64>,
}

impl Reply {
    pub fn page(status: StatusCode, page: String) -> Reply {
        Reply {
            status,
            page,
            cookies: Vec::new(),
            location: None,
            retry_after_s: None,
        }
    }

    /// `303 See Other` to a console path.
    pub fn see_other(location: String) -> Reply {
        Reply {
            location: Some(location),
            ..Reply::page(StatusCode::SEE_OTHER, String::new())
        }
    }

    pub fn into_response(self, app: &App) -> Response<Body> {
        let mut response = Response::new(Full::new(Bytes::from(self.page)));
        *response.status_mut() = self.status;
        let headers = response.headers_mut();
        for (name, value) in [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
            (header::REFERRER_POLICY, "same-origin"),
            (header::X_FRAME_OPTIONS, "DENY"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (header::CONTENT_SECURITY_POLICY, CSP),
        ] {
            headers.insert(name, HeaderValue::from_static(value));
        }
        let secure = app.public_url.starts_with("https://");
        for cookie in self.cookies {
            let cookie = if secure && !cookie.contains("; Secure") {
                format!("{cookie}; Secure")
            } else {
                cookie
            };
            if let Ok(v) = HeaderValue::from_str(&cookie) {
                headers.append(header::SET_COOKIE, v);
            }
        }
        if let Some(v) = self.location.and_then(|l| HeaderValue::from_str(&l).ok()) {
            headers.insert(header::LOCATION, v);
        }
        if let Some(seconds) = self.retry_after_s {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

/// Why a console request ended without its page.
#[derive(Debug)]
pub enum PageError {
    /// No live session: the sign-in page, coming back to `next` after.
    SignIn {
        next: String,
    },
    /// A form posted after its session ended.
    SessionEnded,
    /// A form without its session's CSRF token.
    Csrf,
    /// Nothing here — or another store's, which is the same to a store key.
    NotFound,
    /// Only the admin token may do this.
    Forbidden,
    /// The payment moved on since the page was shown.
    MovedOn {
        payment: String,
    },
    /// A field the page cannot use.
    BadRequest(String),
    RateLimited {
        retry_after_s: u64,
    },
    TooLarge,
    Storage(DbError),
}

impl From<DbError> for PageError {
    fn from(e: DbError) -> PageError {
        PageError::Storage(e)
    }
}

impl From<RetryAfter> for PageError {
    fn from(RetryAfter(retry_after_s): RetryAfter) -> PageError {
        PageError::RateLimited { retry_after_s }
    }
}

impl From<ApiError> for PageError {
    fn from(e: ApiError) -> PageError {
        match e {
            ApiError::Storage(e) => PageError::Storage(e),
            ApiError::RateLimited { retry_after_s } => PageError::RateLimited { retry_after_s },
            ApiError::BodyTooLarge => PageError::TooLarge,
            ApiError::Forbidden => PageError::Forbidden,
            ApiError::UnknownPayment | ApiError::UnknownStore | ApiError::NotFound => {
                PageError::NotFound
            }
            other => PageError::BadRequest(other.message(Lang::En)),
        }
    }
}

impl PageError {
    pub fn into_reply(self, l: Lang) -> Reply {
        let (status, en, ar) = match &self {
            PageError::SignIn { next } => {
                let csrf = random_token().ok();
                let page = views::login::page(l, csrf.as_deref(), next, None);
                let mut reply = Reply::page(StatusCode::UNAUTHORIZED, page);
                reply.cookies.extend(csrf.as_deref().map(login_cookie));
                return reply;
            }
            PageError::SessionEnded => (
                StatusCode::UNAUTHORIZED,
                "Your session has ended. Sign in again; nothing was changed.",
                "انتهت جلستك. سجّل الدخول مرة أخرى؛ لم يتغير شيء.",
            ),
            PageError::Csrf => (
                StatusCode::FORBIDDEN,
                "This form was not sent from this session's page. Nothing was changed; reload the page and try again.",
                "لم يُرسل هذا النموذج من صفحة هذه الجلسة. لم يتغير شيء؛ أعد تحميل الصفحة وحاول مرة أخرى.",
            ),
            PageError::NotFound => (
                StatusCode::NOT_FOUND,
                "There is nothing here.",
                "لا يوجد شيء هنا.",
            ),
            PageError::Forbidden => (
                StatusCode::FORBIDDEN,
                "Only the admin token may do this.",
                "هذا الإجراء متاح لرمز المشرف العام فقط.",
            ),
            PageError::MovedOn { .. } => (
                StatusCode::CONFLICT,
                "The payment moved on since this page was shown; nothing was changed. Here it is now:",
                "تغيرت حالة الدفعة منذ عرض هذه الصفحة؛ لم يتغير شيء. هذه حالتها الآن:",
            ),
            PageError::BadRequest(_) => (
                StatusCode::BAD_REQUEST,
                "The form could not be used:",
                "تعذر استخدام النموذج:",
            ),
            PageError::RateLimited { .. } => (
                StatusCode::TOO_MANY_REQUESTS,
                "Too many tries. Please wait a minute and try again.",
                "محاولات كثيرة جدًا. من فضلك انتظر دقيقة وحاول مرة أخرى.",
            ),
            PageError::TooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "The form is too large.",
                "النموذج كبير جدًا.",
            ),
            PageError::Storage(e) => {
                tracing::error!(error = %e, "console: storage failure");
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    "The change could not be saved. Please try again shortly.",
                    "تعذر حفظ التغيير. من فضلك حاول مرة أخرى بعد قليل.",
                )
            }
        };
        let detail = match &self {
            PageError::BadRequest(why) => Some(why.as_str()),
            _ => None,
        };
        let link = match &self {
            PageError::MovedOn { payment } => Some(format!("/console/payments/{payment}")),
            PageError::SessionEnded => Some("/console/login".to_owned()),
            _ => None,
        };
        let page = views::error_page(l, tr(l, en, ar), detail, link.as_deref());
        let mut reply = Reply::page(status, page);
        if let PageError::RateLimited { retry_after_s } = self {
            reply.retry_after_s = Some(retry_after_s);
        }
        reply
    }
}

/// `/console/static/{file}`: the style sheet, the script, the icon.
pub fn static_file(file: &str) -> Response<Body> {
    let (body, kind) = match file {
        "console.css" => (STYLE, "text/css; charset=utf-8"),
        "console.js" => (SCRIPT, "text/javascript; charset=utf-8"),
        "icon.svg" => (ICON, "image/svg+xml"),
        _ => {
            let mut r = Response::new(Full::new(Bytes::from_static(b"not found")));
            *r.status_mut() = StatusCode::NOT_FOUND;
            return r;
        }
    };
    let mut response = Response::new(Full::new(Bytes::from_static(body.as_bytes())));
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(kind));
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=3600"),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}
