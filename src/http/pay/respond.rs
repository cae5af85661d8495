//! How every pay page leaves the daemon: HTML with the security headers.
//!
//! - `Content-Security-Policy`: scripts, styles and fetches from the
//!   daemon only (`'self'`), never inline, nothing else at all
//!   (`default-src 'none'`: no images, fonts, frames or plugins, so no
//!   other origin is ever contacted and an injected `<script>` or
//!   `onclick` would not run); forms post only to the daemon;
//!   `frame-ancestors` lists the store's `embed_origins` (`'none'` by
//!   default), so nobody can frame the form to trick a customer.
//! - `X-Frame-Options: DENY` for browsers that ignore `frame-ancestors`,
//!   when the store allows no framing.
//! - `X-Content-Type-Options: nosniff`.
//! - `Referrer-Policy: same-origin`: the payment id in the status page's
//!   URL is its only capability, so it never goes to another site in a
//!   `Referer` (the way back to the store included).
//! - `Cache-Control: no-store`: a payment's page is never cached.

use bytes::Bytes;
use http::{HeaderValue, Response, StatusCode, header};
use http_body_util::Full;

use super::super::reply::Body;
use crate::domain::{Lang, Origin};
use crate::pages::{Page, message_page, not_found_page, words};

/// A page's outcome, before it becomes a response.
#[derive(Debug)]
pub struct Html {
    pub status: StatusCode,
    pub page: Page,
    /// `Location` of a `303 See Other`.
    pub location: Option<String>,
    pub retry_after_s: Option<u64>,
}

impl Html {
    pub fn ok(page: Page) -> Html {
        Html::with_status(StatusCode::OK, page)
    }

    pub fn with_status(status: StatusCode, page: Page) -> Html {
        Html {
            status,
            page,
            location: None,
            retry_after_s: None,
        }
    }

    pub fn see_other(location: String) -> Html {
        Html {
            location: Some(location),
            ..Html::with_status(StatusCode::SEE_OTHER, Page::new())
        }
    }

    pub fn not_found(lang: Lang) -> Html {
        Html::with_status(StatusCode::NOT_FOUND, not_found_page(lang))
    }

    /// A page that only says what went wrong, with the status to send.
    pub fn message(status: StatusCode, lang: Lang, store_name: &str) -> Html {
        let (title, text) = match status {
            StatusCode::NOT_FOUND => return Html::not_found(lang),
            StatusCode::TOO_MANY_REQUESTS => {
                (words::Word::LimitedTitle, words::Word::ErrorPageText)
            }
            _ => (words::Word::ErrorPageTitle, words::Word::ErrorPageText),
        };
        let page = message_page(
            lang,
            store_name,
            words::text(title, lang),
            words::text(text, lang),
        );
        Html::with_status(status, page)
    }
}

/// The CSP of every pay page, framed by `embed_origins` only.
pub fn content_security_policy(embed_origins: &[Origin]) -> String {
    let ancestors = if embed_origins.is_empty() {
        "'none'".to_owned()
    } else {
        let list: Vec<&str> = embed_origins.iter().map(Origin::as_str).collect();
        list.join(" ")
    };
    format!(
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; \
         form-action 'self'; base-uri 'none'; frame-ancestors {ancestors}"
    )
}

/// The response, with the security headers (`embed_origins` of the store,
/// or none when the page belongs to no known store).
pub fn respond(html: Html, embed_origins: &[Origin]) -> Response<Body> {
    let mut response = Response::new(Full::new(Bytes::from(html.page)));
    *response.status_mut() = html.status;
    let headers = response.headers_mut();
    let fixed = [
        (header::CONTENT_TYPE, "text/html; charset=utf-8"),
        (header::CACHE_CONTROL, "no-store"),
        (header::REFERRER_POLICY, "same-origin"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    ];
    for (name, value) in fixed {
        headers.insert(name, HeaderValue::from_static(value));
    }
    if embed_origins.is_empty() {
        headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    }
    // Origins are plain `scheme://host[:port]` (checked when the store was
    // saved), so the value is always a valid header.
    if let Ok(csp) = HeaderValue::from_str(&content_security_policy(embed_origins)) {
        headers.insert(header::CONTENT_SECURITY_POLICY, csp);
    }
    if let Some(location) = html.location.and_then(|l| HeaderValue::from_str(&l).ok()) {
        headers.insert(header::LOCATION, location);
    }
    if let Some(seconds) = html.retry_after_s {
        headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_ancestors_are_the_stores_embed_origins_or_none() {
        let none = content_security_policy(&[]);
        assert!(none.ends_with("frame-ancestors 'none'"), "{none}");
        assert!(none.contains("script-src 'self';") && !none.contains("unsafe"));
        let two = [
            Origin::parse("https://shop.example.com").unwrap(),
            Origin::parse("http://127.0.0.1:9000").unwrap(),
        ];
        let csp = content_security_policy(&two);
        assert!(
            csp.ends_with("frame-ancestors https://shop.example.com http://127.0.0.1:9000"),
            "{csp}"
        );
        let response = respond(Html::ok("x".into()), &two);
        assert!(response.headers().get(header::X_FRAME_OPTIONS).is_none());
        let response = respond(Html::ok("x".into()), &[]);
        assert_eq!(response.headers()[header::X_FRAME_OPTIONS], "DENY");
        assert_eq!(response.headers()[header::REFERRER_POLICY], "same-origin");
        assert_eq!(
            response.headers()[header::X_CONTENT_TYPE_OPTIONS],
            "nosniff"
        );
    }
}
