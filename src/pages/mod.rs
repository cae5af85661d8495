//! The hosted pay pages customers use, rendered on the server with maud
//! (escaped output): the form where a customer says "I paid" ([`form`]),
//! the status page that follows the payment ([`status`]), and the error
//! pages of both. English and Arabic (`dir="rtl"`), one column that reads
//! at 360 px, GOV.UK-style errors (a summary that links to each field, the
//! message again beside it), nothing that works only with JavaScript.
//!
//! Scripts and styles come from the daemon's own `/assets/` ([`assets`]):
//! the pages carry no inline script or style, so their CSP can forbid
//! both. Views take plain values; `crate::http::pay` reads requests,
//! decides, and sends the security headers.

pub mod assets;
pub mod form;
pub mod status;
pub mod words;

use maud::{DOCTYPE, Markup, html};

use crate::domain::{Lang, Phone};
use assets::AssetName;
use words::{Word, text};

/// A rendered page.
pub type Page = String;

/// How a page refreshes itself when the browser runs no script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoScriptRefresh {
    None,
    /// Reload after this many seconds.
    Every(u32),
    /// Go to this URL after this many seconds.
    GoTo(u32, String),
}

/// What every page shares: language, title, the store's bar.
struct Frame<'a> {
    lang: Lang,
    title: &'a str,
    store_name: &'a str,
    /// The same page in the other language.
    other_language: Option<&'a str>,
    refresh: NoScriptRefresh,
    script: bool,
}

fn layout(frame: Frame, body: Markup) -> Page {
    let dir = if frame.lang == Lang::Ar { "rtl" } else { "ltr" };
    let other = if frame.lang == Lang::Ar {
        Lang::En
    } else {
        Lang::Ar
    };
    html! {
        (DOCTYPE)
        html lang=(frame.lang.code()) dir=(dir) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="robots" content="noindex, nofollow";
                title { (frame.title) }
                link rel="stylesheet" href=(assets::path(AssetName::Style));
                @match &frame.refresh {
                    NoScriptRefresh::None => {}
                    NoScriptRefresh::Every(seconds) => {
                        noscript { meta http-equiv="refresh" content=(seconds.to_string()); }
                    }
                    NoScriptRefresh::GoTo(seconds, url) => {
                        noscript { meta http-equiv="refresh" content=(format!("{seconds};url={url}")); }
                    }
                }
            }
            body {
                header.bar {
                    div.bar-inner {
                        p.store-name { (frame.store_name) }
                        @if let Some(href) = frame.other_language {
                            a href=(href) lang=(other.code()) hreflang=(other.code()) {
                                (text(Word::OtherLanguage, frame.lang))
                            }
                        }
                    }
                }
                main { (body) }
                @if frame.script {
                    script src=(assets::path(AssetName::Script)) defer {}
                }
            }
        }
    }
    .into_string()
}

/// A page that only says what went wrong (unknown store or payment, too
/// many tries, storage trouble): no form, no details.
pub fn message_page(lang: Lang, store_name: &str, headline: &str, message: &str) -> Page {
    let frame = Frame {
        lang,
        title: headline,
        store_name,
        other_language: None,
        refresh: NoScriptRefresh::None,
        script: false,
    };
    layout(
        frame,
        html! {
            h1 { (headline) }
            p { (message) }
        },
    )
}

/// The "not found" page of an unknown store, payment or path.
pub fn not_found_page(lang: Lang) -> Page {
    message_page(
        lang,
        "cashgate",
        text(Word::NotFoundTitle, lang),
        text(Word::NotFoundText, lang),
    )
}

/// A wallet number as people write it: `010 1111 2222`.
fn grouped(phone: &Phone) -> String {
    let digits = phone.as_str();
    match (digits.get(..3), digits.get(3..7), digits.get(7..)) {
        (Some(a), Some(b), Some(c)) => format!("{a} {b} {c}"),
        _ => digits.to_owned(),
    }
}

#[cfg(test)]
mod tests;
