//! The status page: the payment's state in a sentence, in an element
//! (`#payment-state`) that carries the state's name in `data-state` and is
//! a polite live region, so screen readers announce each change. The
//! script (`assets/pay.js`) long-polls and swaps in this page's new
//! rendering of its parts (`#payment-state`, `#payment-facts`,
//! `#payment-next`, `#payment-demo`); without a script, a page that can still change
//! reloads itself every 10 s. Of the phone, only its last three digits.

use maud::{Markup, html};

use super::words::{Word, state_text, text, unapproved_text};
use super::{Frame, NoScriptRefresh, Page, layout};
use crate::domain::Lang;
use crate::machine::StateName;

/// How often a page without script reloads while the payment can change.
const NO_SCRIPT_REFRESH_S: u32 = 10;
/// How long a credited page waits before it takes the customer back.
const RETURN_AFTER_S: u32 = 5;

/// The demo's part of the page (`cashgate demo` only).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DemoPart {
    /// Not a demo, or nothing to offer in this state.
    None,
    /// The button that sends the wallet's SMS, posting to this path.
    SimulateSms { action: String },
    /// Held: where the approval email went.
    ApprovalEmail,
}

/// Everything the status page shows.
#[derive(Debug, Clone)]
pub struct StatusView {
    pub lang: Lang,
    pub store_name: String,
    pub payment_id: String,
    pub state: StateName,
    /// In EGP, two places.
    pub amount: String,
    /// The credit in the store's currency with its label, once matched.
    pub credit: Option<String>,
    /// The paying phone's last three digits.
    pub phone_tail: String,
    /// Where "back to the store" leads; only an allowed origin's URL.
    pub return_url: Option<String>,
    /// The pay form again (after `expired` or `rejected`).
    pub form_href: String,
    /// This page in the other language.
    pub other_language_href: String,
    pub demo: DemoPart,
}

/// The status page.
pub fn status_page(view: &StatusView) -> Page {
    let l = view.lang;
    let (headline, _) = words_of(view);
    let title = format!("{headline} — {}", view.store_name);
    let refresh = match (&view.return_url, view.state) {
        (Some(url), StateName::Credited) => NoScriptRefresh::GoTo(RETURN_AFTER_S, url.clone()),
        (_, state) if state.is_final() => NoScriptRefresh::None,
        _ => NoScriptRefresh::Every(NO_SCRIPT_REFRESH_S),
    };
    let frame = Frame {
        lang: l,
        title: &title,
        store_name: &view.store_name,
        other_language: Some(&view.other_language_href),
        refresh,
        script: true,
    };
    layout(
        frame,
        html! {
            h1 { (text(Word::StatusTitle, l)) }
            (state_part(view))
            div #payment-facts { (facts(view)) }
            div #payment-next { (next_part(view)) }
            div #payment-demo { (demo_part(view)) }
        },
    )
}

/// What the page says of the payment: an expired payment that had a claim
/// was found and not approved in time, not "not received".
fn words_of(view: &StatusView) -> (&'static str, &'static str) {
    match (view.state, &view.credit) {
        (StateName::Expired, Some(_)) => unapproved_text(view.lang),
        (state, _) => state_text(state, view.lang),
    }
}

fn state_part(view: &StatusView) -> Markup {
    let (headline, sentence) = words_of(view);
    let state = view.state.as_str();
    html! {
        div #payment-state class=(format!("state state-{state}")) data-state=(state)
            data-poll=(format!("/api/payments/{}", view.payment_id))
            role="status" aria-live="polite" aria-atomic="true" {
            p.state-title { (headline) }
            p.state-text { (sentence) }
        }
    }
}

fn facts(view: &StatusView) -> Markup {
    let l = view.lang;
    let egp = match l {
        Lang::En => "EGP",
        Lang::Ar => "جنيه",
    };
    html! {
        dl.facts {
            div {
                dt { (label_amount(l)) }
                dd { span.ltr { (view.amount) } " " (egp) }
            }
            div {
                dt { (text(Word::PaidFrom, l)) }
                dd { (text(Word::EndingIn, l)) " " span.ltr { (view.phone_tail) } }
            }
            @if let Some(credit) = &view.credit {
                div {
                    dt { (text(Word::Credit, l)) }
                    dd { span.ltr { (credit) } }
                }
            }
        }
    }
}

fn label_amount(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "Amount",
        Lang::Ar => "المبلغ",
    }
}

/// What the customer can do next: go back to the store once credited, or
/// fill in the form again after a claim that ended without a credit.
fn next_part(view: &StatusView) -> Markup {
    let l = view.lang;
    match (view.state, &view.return_url) {
        (StateName::Credited, Some(url)) => html! {
            p { a #return-link .button href=(url) { (text(Word::ReturnLink, l)) } }
            p.hint { (text(Word::ReturnSoon, l)) }
        },
        (StateName::Expired | StateName::Rejected, _) => html! {
            p { a href=(view.form_href) { (text(Word::PayAgain, l)) } }
        },
        _ => html! {},
    }
}

fn demo_part(view: &StatusView) -> Markup {
    let l = view.lang;
    match &view.demo {
        DemoPart::None => html! {},
        DemoPart::SimulateSms { action } => html! {
            section.demo aria-labelledby="demo-title" {
                h2 #demo-title { (text(Word::DemoTitle, l)) }
                p { (text(Word::DemoText, l)) }
                form method="post" action=(action) data-background {
                    input type="hidden" name="lang" value=(l.code());
                    button type="submit" { (text(Word::DemoButton, l)) }
                    p data-sent hidden { (text(Word::DemoSent, l)) }
                }
            }
        },
        DemoPart::ApprovalEmail => html! {
            section.demo aria-labelledby="demo-title" {
                h2 #demo-title { (text(Word::DemoTitle, l)) }
                p { (text(Word::DemoHeld, l)) }
            }
        },
    }
}
