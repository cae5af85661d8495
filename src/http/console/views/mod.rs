//! The console's HTML (maud escapes every value). This file holds what
//! every page shares: the [`View`] a page is drawn for (language, who is
//! signed in, their CSRF token, time zones), the layout with its header,
//! navigation and sign-out form, and small pieces (times, states,
//! pagers). Pages live beside it: `overview`, `payments`, `stores`,
//! `lists`, `assign`, `login`.

pub mod assign;
pub mod lists;
pub mod login;
pub mod overview;
pub mod payments;
pub mod stores;

use std::collections::HashMap;

use jiff::Timestamp;
use maud::{DOCTYPE, Markup, html};

use crate::domain::{Lang, StoreId, TimeZoneName};
use crate::http::access::Principal;
use crate::locale;
use crate::machine::StateName;
use crate::payments::Cursor;

/// English or Arabic, side by side where the words are used.
pub fn tr(lang: Lang, en: &'static str, ar: &'static str) -> &'static str {
    match lang {
        Lang::En => en,
        Lang::Ar => ar,
    }
}

/// Who a page is drawn for, and how it tells time.
pub struct View<'a> {
    pub lang: Lang,
    pub principal: &'a Principal,
    pub csrf: &'a str,
    pub now: Timestamp,
    /// This page's path and query (forms come back here).
    pub here: &'a str,
    /// The zones of the stores on the page; others read in Cairo's.
    pub zones: HashMap<StoreId, TimeZoneName>,
}

impl View<'_> {
    fn zone(&self, store: &StoreId) -> &jiff::tz::TimeZone {
        static CAIRO: std::sync::OnceLock<TimeZoneName> = std::sync::OnceLock::new();
        self.zones
            .get(store)
            .unwrap_or_else(|| CAIRO.get_or_init(TimeZoneName::default))
            .zone()
    }

    /// `2 Dec 2026, 08:06 — in 2 days` in the store's zone, marked up as
    /// a `<time>` that machines can read too.
    pub fn when(&self, store: &StoreId, at: Timestamp) -> Markup {
        let text = locale::when(at, self.now, self.zone(store), self.lang);
        html! { time datetime=(at.to_string()) { (text) } }
    }

    /// `2 Dec 2026, 08:06` in the store's zone.
    pub fn date_time(&self, store: &StoreId, at: Timestamp) -> Markup {
        let text = locale::date_time(at, self.zone(store), self.lang);
        html! { time datetime=(at.to_string()) { (text) } }
    }

    /// The hidden CSRF field every form carries.
    pub fn csrf_field(&self) -> Markup {
        html! { input type="hidden" name="csrf" value=(self.csrf); }
    }

    fn who(&self) -> String {
        match self.principal {
            Principal::Admin => tr(self.lang, "admin token", "رمز المشرف العام").to_owned(),
            Principal::StoreKey(holder) => {
                let store = tr(self.lang, "store", "متجر");
                format!("key:{} · {store} {}", holder.name, holder.store)
            }
        }
    }
}

/// `here` with its language switched to `lang`.
fn with_lang(here: &str, lang: Lang) -> String {
    let (path, query) = here.split_once('?').unwrap_or((here, ""));
    let mut pairs: Vec<&str> = query
        .split('&')
        .filter(|p| !p.is_empty() && !p.starts_with("lang="))
        .collect();
    let chosen = format!("lang={}", lang.code());
    pairs.push(&chosen);
    format!("{path}?{}", pairs.join("&"))
}

fn head(lang: Lang, title: &str) -> Markup {
    html! {
        head {
            meta charset="utf-8";
            meta name="viewport" content="width=device-width, initial-scale=1";
            meta name="robots" content="noindex, nofollow";
            title { (title) " · " (tr(lang, "cashgate console", "لوحة cashgate")) }
            link rel="stylesheet" href="/console/static/console.css";
            link rel="icon" href="/console/static/icon.svg" type="image/svg+xml";
            script src="/console/static/console.js" defer {}
        }
    }
}

fn dir(lang: Lang) -> &'static str {
    match lang {
        Lang::Ar => "rtl",
        Lang::En => "ltr",
    }
}

/// A signed-in page: header, navigation, `body`.
pub fn layout(v: &View<'_>, title: &str, body: Markup) -> String {
    let l = v.lang;
    let other = match l {
        Lang::En => Lang::Ar,
        Lang::Ar => Lang::En,
    };
    let queue = |state: StateName| format!("/console/queues/{}", state.as_str());
    html! {
        (DOCTYPE)
        html lang=(l.code()) dir=(dir(l)) {
            (head(l, title))
            body {
                header.top {
                    a.brand href="/console" { "cashgate" }
                    span.who { (v.who()) }
                    a.lang href=(with_lang(v.here, other)) lang=(other.code()) {
                        (tr(l, "العربية", "English"))
                    }
                    form.logout method="post" action="/console/logout" {
                        (v.csrf_field())
                        button type="submit" { (tr(l, "Sign out", "تسجيل الخروج")) }
                    }
                }
                nav.main {
                    a href="/console" { (tr(l, "Overview", "نظرة عامة")) }
                    a href=(queue(StateName::Held)) { (locale::state_name(StateName::Held, l)) }
                    a href=(queue(StateName::CreditFailed)) { (locale::state_name(StateName::CreditFailed, l)) }
                    a href=(queue(StateName::CreditUnknown)) { (locale::state_name(StateName::CreditUnknown, l)) }
                    a href="/console/stores" { (tr(l, "Stores", "المتاجر")) }
                    a href="/console/transactions" { (tr(l, "Transactions", "التحويلات")) }
                    a href="/console/quarantine" { (tr(l, "Quarantine", "المحجوزات")) }
                    form.search method="get" action="/console/search" role="search" {
                        input type="search" name="q" maxlength="80"
                            aria-label=(tr(l, "Search payments", "بحث في الدفعات"))
                            placeholder=(tr(l, "Payment id, trans_id, phone, client id", "رقم الدفعة أو العملية أو الهاتف أو العميل"));
                        button type="submit" { (tr(l, "Search", "بحث")) }
                    }
                }
                main { h1 { (title) } (body) }
            }
        }
    }
    .into_string()
}

/// A page without a session: an error or the sign-in form.
pub fn bare(lang: Lang, title: &str, body: Markup) -> String {
    html! {
        (DOCTYPE)
        html lang=(lang.code()) dir=(dir(lang)) {
            (head(lang, title))
            body.bare { main { h1 { (title) } (body) } }
        }
    }
    .into_string()
}

/// A page that says what went wrong, and where to go.
pub fn error_page(lang: Lang, headline: &str, detail: Option<&str>, link: Option<&str>) -> String {
    bare(
        lang,
        headline,
        html! {
            @if let Some(detail) = detail { p.detail { (detail) } }
            p {
                @if let Some(link) = link {
                    a href=(link) { (tr(lang, "Continue", "متابعة")) }
                } @else {
                    a href="/console" { (tr(lang, "Back to the console", "العودة إلى اللوحة")) }
                }
            }
        },
    )
}

/// A payment state as a badge, in words.
pub fn state_badge(state: StateName, lang: Lang) -> Markup {
    html! { span class={ "state state-" (state.as_str()) } data-state=(state.as_str()) { (locale::state_name(state, lang)) } }
}

/// "Next page" when a list goes on.
pub fn pager(lang: Lang, base: &str, next: Option<&Cursor>) -> Markup {
    let sep = if base.contains('?') { '&' } else { '?' };
    html! {
        @if let Some(next) = next {
            p.pager { a rel="next" href={ (base) (sep) "cursor=" (next.encode()) } { (tr(lang, "Next page", "الصفحة التالية")) } }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_language_link_replaces_the_language() {
        assert_eq!(with_lang("/console", Lang::Ar), "/console?lang=ar");
        assert_eq!(
            with_lang("/console/queues/held?lang=ar&cursor=x", Lang::En),
            "/console/queues/held?cursor=x&lang=en"
        );
    }
}
