//! The approval pages (maud: escaped output, no external assets, no
//! JavaScript, right-to-left for Arabic). The form posts to its own URL
//! with `decision`, `nonce` and an optional `note`; nothing here decides.

use maud::{DOCTYPE, Markup, PreEscaped, html};

use super::view::{ApprovalView, event_text, label, outcome_headline, outcome_sentence};
use crate::domain::{Email, Lang};
use crate::locale::{actor_text, reason_text, state_name};

/// A rendered page.
pub type Page = String;

const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;color:#222}\
table{border-collapse:collapse;width:100%}th,td{padding:.35rem .5rem;border-bottom:1px solid #ddd;text-align:start}\
th{width:40%;color:#555;font-weight:600}.reasons{background:#fef7e0;padding:.5rem 1rem;border-radius:6px}\
textarea{width:100%;min-height:4rem;box-sizing:border-box}button{font-size:1rem;padding:.6rem 1.2rem;margin-block-start:.5rem;margin-inline-end:.5rem;border-radius:6px;border:1px solid #888}\
.approve{background:#1e8e3e;color:#fff;border-color:#1e8e3e}.reject{background:#fff;color:#b3261e;border-color:#b3261e}\
.muted{color:#666;font-size:.9rem}";

fn layout(lang: Lang, title: &str, body: Markup) -> Page {
    let dir = if lang == Lang::Ar { "rtl" } else { "ltr" };
    html! {
        (DOCTYPE)
        html lang=(lang.code()) dir=(dir) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="robots" content="noindex, nofollow";
                title { (title) }
                style { (PreEscaped(STYLE)) }
            }
            body { (body) }
        }
    }
    .into_string()
}

fn details(view: &ApprovalView) -> Markup {
    let l = view.lang;
    html! {
        table {
            tr { th { (label("store", l)) } td { (view.store_label()) } }
            tr { th { (label("client", l)) } td { (view.client_id) } }
            tr { th { (label("phone", l)) } td { span dir="ltr" { (view.phone) } } }
            tr { th { (label("amount", l)) } td { (view.amount) } }
            @if let Some(credit) = &view.credit_amount {
                tr { th { (label("credit", l)) } td { (credit) " " (view.currency_label) } }
            }
            @if let Some(trans_id) = &view.trans_id {
                tr { th { (label("trans_id", l)) } td { span dir="ltr" { (trans_id) } } }
            }
            tr { th { (label("state", l)) } td { (state_name(view.state, l)) } }
            @if let Some(deadline) = view.deadline {
                tr { th { (label("deadline", l)) } td { time datetime=(deadline.to_string()) { (view.when(deadline)) } } }
            }
        }
        @if !view.reasons.is_empty() {
            div.reasons {
                p { strong { (label("reasons", l)) } }
                ul { @for r in &view.reasons { li { (reason_text(*r, l)) } } }
                @if let Some(competitors) = view.competitors_line() {
                    p { (label("competing", l)) ": " span dir="ltr" { (competitors) } }
                }
            }
        }
    }
}

fn history(view: &ApprovalView) -> Markup {
    let l = view.lang;
    html! {
        h2 { (label("history", l)) }
        ol.muted {
            @for entry in &view.history {
                li {
                    time datetime=(entry.at.to_string()) { (view.date_time(entry.at)) }
                    " — " (event_text(entry.event, l)) " → " (state_name(entry.to, l))
                    " (" (label("by", l)) " " (actor_text(&entry.actor, l)) ")"
                    @if let Some(reason) = &entry.reason { ": " (reason) }
                }
            }
        }
    }
}

/// The page with the decision form.
pub fn form_page(view: &ApprovalView, nonce: &str) -> Page {
    let l = view.lang;
    layout(
        l,
        label("title", l),
        html! {
            h1 { (label("title", l)) }
            (details(view))
            form method="post" {
                input type="hidden" name="nonce" value=(nonce);
                p {
                    label for="note" { (label("note", l)) }
                    br;
                    textarea id="note" name="note" maxlength="1000" {}
                }
                button.approve type="submit" name="decision" value="approve" { (label("approve", l)) }
                button.reject type="submit" name="decision" value="reject" { (label("reject", l)) }
            }
            p.muted { (label("link_note", l)) }
            (history(view))
        },
    )
}

/// A payment that has moved on, as the approver `viewer` reads it: what
/// they did themselves ("You approved this payment on …"), or who decided
/// what and when, or that nobody did.
pub fn decided_page(view: &ApprovalView, viewer: &Email) -> Page {
    let l = view.lang;
    let outcome = view.outcome(viewer);
    let headline = outcome_headline(outcome, l);
    layout(
        l,
        headline,
        html! {
            h1 { (headline) }
            p.outcome { (outcome_sentence(view, outcome)) }
            @if let Some(note) = view.decision().and_then(|d| d.reason.as_ref()) {
                p { (label("note_given", l)) ": " (note) }
            }
            (details(view))
            (history(view))
        },
    )
}

/// An error page (bad or expired link, nonce mismatch) with no details.
pub fn error_page(lang: Lang, headline_en: &str, headline_ar: &str) -> Page {
    let headline = if lang == Lang::Ar {
        headline_ar
    } else {
        headline_en
    };
    layout(lang, headline, html! { h1 { (headline) } })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::machine::{HoldReason, StateName};

    fn view(lang: Lang) -> ApprovalView {
        ApprovalView {
            lang,
            store_id: "5".into(),
            store_name: "<script>alert(1)</script>".into(),
            payment_id: "pay_x".into(),
            client_id: 42,
            phone: "01012345678".into(),
            amount: "100.00".into(),
            credit_amount: Some("1.98".into()),
            currency_label: "USD".into(),
            trans_id: Some("014412345678".into()),
            reasons: vec![HoldReason::NewPhone, HoldReason::Contested],
            competing_clients: vec![7, 9],
            state: StateName::Held,
            deadline: None,
            history: vec![],
            time_zone: crate::domain::TimeZoneName::default(),
            now: jiff::Timestamp::from_second(1_800_000_000).unwrap(),
        }
    }

    #[test]
    fn the_form_posts_to_itself_with_both_buttons_and_escapes_everything() {
        let page = form_page(&view(Lang::En), "n\"once");
        assert!(page.contains(r#"<form method="post">"#));
        assert!(page.contains(r#"name="decision" value="approve""#));
        assert!(page.contains(r#"name="decision" value="reject""#));
        assert!(page.contains(r#"value="n&quot;once""#));
        assert!(!page.contains("<script>"), "escaped");
        assert!(!page.contains("http"), "no external assets or links");
        assert!(page.contains("014412345678") && page.contains("1.98 USD"));
        assert!(page.contains("Other clients waiting for it") && page.contains("7, 9"));
    }

    #[test]
    fn arabic_pages_are_right_to_left() {
        let page = form_page(&view(Lang::Ar), "n");
        assert!(page.contains(r#"lang="ar" dir="rtl""#));
        assert!(page.contains("أول دفعة من هذا الرقم"));
    }
}

#[cfg(test)]
mod decided_tests {
    use super::*;
    use crate::machine::{Actor, EventKind, StateName};
    use crate::payments::{AuditEntry, AuditEvent};

    fn decided_by(actor: Actor, event: EventKind, lang: Lang) -> ApprovalView {
        let now = jiff::Timestamp::from_second(1_800_000_000).unwrap();
        let entry = AuditEntry {
            payment_id: crate::domain::PaymentId::from_random_bytes([0; 26]),
            version: 3,
            at: now - jiff::SignedDuration::from_secs(30),
            event: AuditEvent::Machine(event),
            actor,
            from: Some(StateName::Held),
            to: StateName::Crediting,
            hold_reasons: vec![],
            competing_clients: vec![],
            reason: None,
            intents: vec![],
        };
        ApprovalView {
            lang,
            store_id: "5".into(),
            store_name: "Shop".into(),
            payment_id: "pay_x".into(),
            client_id: 42,
            phone: "01012345678".into(),
            amount: "100.00".into(),
            credit_amount: None,
            currency_label: "EGP".into(),
            trans_id: None,
            reasons: vec![],
            competing_clients: vec![],
            state: StateName::Crediting,
            deadline: None,
            history: vec![entry],
            time_zone: crate::domain::TimeZoneName::default(),
            now,
        }
    }

    #[test]
    fn the_approver_who_decided_reads_what_they_did_in_their_language() {
        let me = Email::parse("owner@example.com").unwrap();
        let mine = Actor::Approver {
            email: me.clone(),
            ip: None,
            user_agent: None,
        };
        let page = decided_page(&decided_by(mine.clone(), EventKind::Approve, Lang::En), &me);
        assert!(
            page.contains("<h1>You approved this payment</h1>"),
            "{page}"
        );
        assert!(page.contains("You approved this payment on "), "{page}");
        assert!(page.contains("just now"), "{page}");
        assert!(
            !page.contains(">approve<") && !page.contains("held<"),
            "{page}"
        );
        let ar = decided_page(&decided_by(mine, EventKind::Reject, Lang::Ar), &me);
        assert!(ar.contains("لقد رفضت هذه الدفعة"), "{ar}");
        assert!(
            ar.contains("جاري إضافة الرصيد"),
            "the state in Arabic: {ar}"
        );
        assert!(!ar.contains("crediting"), "{ar}");

        let other = Email::parse("partner@example.com").unwrap();
        let theirs = Actor::Approver {
            email: other,
            ip: None,
            user_agent: None,
        };
        let page = decided_page(&decided_by(theirs, EventKind::Approve, Lang::En), &me);
        assert!(page.contains("This payment was already decided"), "{page}");
        assert!(
            page.contains("Approved by partner@example.com on "),
            "{page}"
        );
    }
}
