//! The approval email: a plain-text and an HTML part, in the store's
//! approver language, with the payment's details, why it was held, and the
//! signed link. Opening the link decides nothing.

use lettre::Message;
use lettre::message::{Mailbox, MultiPart};
use maud::{DOCTYPE, html};

use super::view::{ApprovalView, label};
use crate::domain::Lang;
use crate::locale::reason_text;

#[derive(Debug, thiserror::Error)]
pub enum ComposeError {
    #[error("approver address {0:?} is not a mailbox")]
    To(String),
    #[error("the message could not be built: {0}")]
    Build(String),
}

/// One approver's email for a held payment.
pub fn compose(
    view: &ApprovalView,
    approver: &str,
    link: &str,
    from: &Mailbox,
) -> Result<Message, ComposeError> {
    let to: Mailbox = approver
        .parse()
        .map_err(|_| ComposeError::To(approver.to_owned()))?;
    Message::builder()
        .from(from.clone())
        .to(to)
        .subject(subject(view))
        .multipart(MultiPart::alternative_plain_html(
            text(view, link),
            html_part(view, link),
        ))
        .map_err(|e| ComposeError::Build(e.to_string()))
}

fn subject(view: &ApprovalView) -> String {
    match view.lang {
        Lang::En => format!(
            "Approve or reject: {} EGP from {} at {}",
            view.amount,
            view.phone,
            view.store_label()
        ),
        Lang::Ar => format!(
            "موافقة أو رفض: {} جنيه من {} في {}",
            view.amount,
            view.phone,
            view.store_label()
        ),
    }
}

fn rows(view: &ApprovalView) -> Vec<(&'static str, String)> {
    let l = view.lang;
    let mut rows = vec![
        (label("store", l), view.store_label()),
        (label("client", l), view.client_id.to_string()),
        (label("phone", l), view.phone.clone()),
        (label("amount", l), view.amount.clone()),
    ];
    if let Some(credit) = &view.credit_amount {
        rows.push((
            label("credit", l),
            format!("{credit} {}", view.currency_label),
        ));
    }
    if let Some(trans_id) = &view.trans_id {
        rows.push((label("trans_id", l), trans_id.clone()));
    }
    if let Some(deadline) = view.deadline {
        rows.push((label("deadline", l), view.when(deadline)));
    }
    rows
}

fn text(view: &ApprovalView, link: &str) -> String {
    let l = view.lang;
    let mut out = format!("{}\n\n", label("title", l));
    for (name, value) in rows(view) {
        out.push_str(&format!("{name}: {value}\n"));
    }
    out.push_str(&format!("\n{}:\n", label("reasons", l)));
    for reason in &view.reasons {
        out.push_str(&format!("- {}\n", reason_text(*reason, l)));
    }
    if let Some(competitors) = view.competitors_line() {
        out.push_str(&format!("{}: {competitors}\n", label("competing", l)));
    }
    out.push_str(&format!(
        "\n{}\n{link}\n\n{}\n",
        label("open", l),
        label("link_note", l)
    ));
    out
}

fn html_part(view: &ApprovalView, link: &str) -> String {
    let l = view.lang;
    let dir = if l == Lang::Ar { "rtl" } else { "ltr" };
    html! {
        (DOCTYPE)
        html lang=(l.code()) dir=(dir) {
            head { meta charset="utf-8"; title { (label("title", l)) } }
            body style="font-family:sans-serif" {
                h2 { (label("title", l)) }
                table cellpadding="4" {
                    @for (name, value) in rows(view) {
                        tr { th align="start" { (name) } td { (value) } }
                    }
                }
                p { strong { (label("reasons", l)) } }
                ul { @for r in &view.reasons { li { (reason_text(*r, l)) } } }
                @if let Some(competitors) = view.competitors_line() {
                    p { (label("competing", l)) ": " (competitors) }
                }
                p { (label("open", l)) }
                p { a href=(link) { (link) } }
                p style="color:#666" { (label("link_note", l)) }
            }
        }
    }
    .into_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::machine::{HoldReason, StateName};

    #[test]
    fn the_email_has_both_parts_the_details_and_the_link() {
        let view = ApprovalView {
            lang: Lang::En,
            store_id: "5".into(),
            store_name: "Example Hosting".into(),
            payment_id: "pay_x".into(),
            client_id: 42,
            phone: "01012345678".into(),
            amount: "100.00".into(),
            credit_amount: Some("1.98".into()),
            currency_label: "USD".into(),
            trans_id: Some("014412345678".into()),
            reasons: vec![HoldReason::SharedPhone],
            competing_clients: vec![],
            state: StateName::Held,
            deadline: None,
            history: vec![],
            time_zone: crate::domain::TimeZoneName::default(),
            now: jiff::Timestamp::from_second(1_800_000_000).unwrap(),
        };
        let from: Mailbox = "cashgate <cashgate@localhost>".parse().unwrap();
        let link = "http://127.0.0.1:8080/approvals/v1.abc";
        let message = compose(&view, "owner@example.com", link, &from).unwrap();
        let raw = String::from_utf8(message.formatted()).unwrap();
        assert!(raw.contains("multipart/alternative"));
        assert!(raw.contains("text/plain") && raw.contains("text/html"));
        assert!(raw.contains("owner@example.com"));
        for needle in [
            "014412345678",
            "01012345678",
            "100.00",
            "1.98 USD",
            "42",
            "credited to a different client",
        ] {
            assert!(raw.contains(needle), "{needle}");
        }
        assert!(raw.contains(link));
        assert!(compose(&view, "not an address", link, &from).is_err());

        let arabic = ApprovalView {
            lang: Lang::Ar,
            ..view
        };
        let raw = compose(&arabic, "owner@example.com", link, &from)
            .unwrap()
            .formatted();
        let parsed = mail_parser::MessageParser::default().parse(&raw).unwrap();
        assert!(parsed.subject().unwrap().starts_with("موافقة أو رفض"));
        let text = parsed.body_text(0).unwrap();
        assert!(
            text.contains("تم إضافة دفعات من هذا الرقم لعميل آخر"),
            "{text}"
        );
        assert!(text.contains(link));
        assert!(parsed.body_html(0).unwrap().contains(r#"dir="rtl""#));
    }

    #[test]
    fn the_deadline_reads_in_the_store_s_zone_and_the_approver_s_words() {
        let now = jiff::Timestamp::from_second(1_800_000_000).unwrap();
        let view = ApprovalView {
            lang: Lang::Ar,
            store_id: "5".into(),
            store_name: String::new(),
            payment_id: "pay_x".into(),
            client_id: 42,
            phone: "01012345678".into(),
            amount: "100.00".into(),
            credit_amount: None,
            currency_label: "EGP".into(),
            trans_id: None,
            reasons: vec![],
            competing_clients: vec![],
            state: crate::machine::StateName::Held,
            deadline: Some(now + jiff::SignedDuration::from_hours(48)),
            history: vec![],
            time_zone: crate::domain::TimeZoneName::parse("Africa/Cairo").unwrap(),
            now,
        };
        // 1,800,172,800 s is 17 Jan 2027, 08:00 UTC: 10:00 in Cairo.
        let text = text(&view, "http://x/approvals/t");
        assert!(text.contains("17 يناير 2027، 10:00 — بعد يومين"), "{text}");
        assert!(!text.contains("2027-01-17T"), "{text}");
    }
}
