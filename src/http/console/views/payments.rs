//! Payments: a list (queues, search results) with each payment's actions
//! inline, and one payment in full — claim, hold reasons, why it waits,
//! the audit timeline, outbox entries, emails sent, WHMCS's answers.

use maud::{Markup, html};

use super::{View, state_badge, tr};
use crate::domain::Lang;
use crate::locale::{self, actor_text, reason_text};
use crate::payments::{
    AuditEntry, AuditEvent, Effect, OperatorAction, OutboxEntry, OutboxStatus, PaymentRecord,
    SendOutcome, TransactionRecord,
};

/// Everything the payment page shows.
pub struct PaymentPage<'a> {
    pub record: &'a PaymentRecord,
    pub store_name: &'a str,
    pub currency_label: &'a str,
    pub history: &'a [AuditEntry],
    pub outbox: &'a [OutboxEntry],
    pub transaction: Option<&'a TransactionRecord>,
    pub waiting: Option<&'a str>,
}

fn action_label(action: OperatorAction, l: Lang) -> &'static str {
    match action {
        OperatorAction::Approve => tr(l, "Approve and credit", "موافقة وإضافة الرصيد"),
        OperatorAction::Reject => tr(l, "Reject", "رفض"),
        OperatorAction::Retry => tr(l, "Try the credit again", "إعادة محاولة الإضافة"),
        OperatorAction::MarkCredited => tr(
            l,
            "It is in WHMCS: mark credited",
            "موجودة في WHMCS: تعليمها كمضافة",
        ),
    }
}

/// The forms for what an operator may do now (the machine's own edges).
pub fn actions(v: &View<'_>, r: &PaymentRecord) -> Markup {
    let l = v.lang;
    let available = OperatorAction::available_in(r.state_name());
    let note_id = format!("note-{}", r.id);
    html! {
        @if !available.is_empty() {
            form.actions method="post" action={ "/console/payments/" (r.id) "/" (available[0].as_str()) } {
                (v.csrf_field())
                input type="hidden" name="version" value=(r.version);
                input type="hidden" name="back" value=(v.here);
                label for=(note_id) { (tr(l, "Note (optional)", "ملاحظة (اختياري)")) }
                input id=(note_id) type="text" name="note" maxlength="1000";
                div.buttons {
                    @for action in &available {
                        button type="submit" class={ "action-" (action.as_str()) }
                            formaction={ "/console/payments/" (r.id) "/" (action.as_str()) }
                            data-confirm=[confirm_text(*action, l)] {
                            (action_label(*action, l))
                        }
                    }
                }
            }
        }
    }
}

/// Actions that cannot be undone ask once more (with the script).
fn confirm_text(action: OperatorAction, l: Lang) -> Option<&'static str> {
    match action {
        OperatorAction::Reject => Some(tr(
            l,
            "Reject this payment? This cannot be undone.",
            "رفض هذه الدفعة؟ لا يمكن التراجع.",
        )),
        OperatorAction::MarkCredited => Some(tr(
            l,
            "Only if you saw this credit in WHMCS. Mark it credited?",
            "فقط إذا رأيت هذا الرصيد في WHMCS. تعليمها كمضافة؟",
        )),
        _ => None,
    }
}

/// A list of payments with their actions.
pub fn list(v: &View<'_>, payments: &[PaymentRecord]) -> Markup {
    let l = v.lang;
    html! {
        @if payments.is_empty() {
            p.empty { (tr(l, "Nothing here.", "لا يوجد شيء هنا.")) }
        } @else {
            ul.cards {
                @for r in payments {
                    li.card data-payment=(r.id) {
                        p.head {
                            a href={ "/console/payments/" (r.id) } { bdi dir="ltr" { (r.id) } }
                            " " (state_badge(r.state_name(), l))
                        }
                        dl {
                            dt { (tr(l, "Store", "المتجر")) } dd { (r.store_id) }
                            dt { (tr(l, "Amount", "المبلغ")) } dd { (r.amount) " " (tr(l, "EGP", "جنيه")) }
                            dt { (tr(l, "Paid from", "من رقم")) } dd { bdi dir="ltr" { (r.phone) } }
                            dt { (tr(l, "Client id", "رقم العميل")) } dd { (r.client_id.get()) }
                            @if let Some(claim) = &r.claim {
                                dt { (tr(l, "Transaction", "رقم العملية")) } dd { bdi dir="ltr" { (claim.trans_id) } }
                            }
                            dt { (tr(l, "Since", "منذ")) } dd { (v.when(&r.store_id, r.updated_at)) }
                            @if let Some(deadline) = &r.deadline {
                                dt { (tr(l, "Decide before", "القرار قبل")) } dd { (v.when(&r.store_id, deadline.at)) }
                            }
                            @if !r.hold_reasons().is_empty() {
                                dt { (tr(l, "Held because", "سبب التعليق")) }
                                dd { @for (i, reason) in r.hold_reasons().iter().enumerate() {
                                    @if i > 0 { "; " } (reason_text(*reason, l))
                                } }
                            }
                            @if let Some(why) = state_detail(r) {
                                dt { (tr(l, "WHMCS said", "رد WHMCS")) } dd.whmcs { (why) }
                            }
                        }
                        (actions(v, r))
                    }
                }
            }
        }
    }
}

/// The reason a needs-an-operator state carries (WHMCS's words).
fn state_detail(r: &PaymentRecord) -> Option<&str> {
    use crate::machine::State;
    match &r.state {
        State::CreditFailed { reason } | State::CreditUnknown { reason } => Some(reason),
        _ => None,
    }
}

/// One payment in full.
pub fn detail(v: &View<'_>, p: &PaymentPage<'_>) -> Markup {
    let l = v.lang;
    let r = p.record;
    let store = &r.store_id;
    html! {
        section.summary {
            p { (state_badge(r.state_name(), l)) }
            dl {
                dt { (tr(l, "Payment", "الدفعة")) } dd { bdi dir="ltr" { (r.id) } }
                dt { (tr(l, "Store", "المتجر")) } dd { a href={ "/console/stores/" (store) } { (p.store_name) " (" (store) ")" } }
                dt { (tr(l, "Client id", "رقم العميل")) } dd { (r.client_id.get()) }
                dt { (tr(l, "Paid from", "من رقم")) } dd { bdi dir="ltr" { (r.phone) } }
                dt { (tr(l, "Amount", "المبلغ")) } dd { (r.amount) " " (tr(l, "EGP", "جنيه")) }
                dt { (tr(l, "Checked", "وقت الطلب")) } dd { (v.when(store, r.created_at)) }
                dt { (tr(l, "Last change", "آخر تغيير")) } dd { (v.when(store, r.updated_at)) }
                @if let Some(deadline) = &r.deadline {
                    dt { (tr(l, "Deadline", "الموعد النهائي")) } dd { (v.when(store, deadline.at)) }
                }
                @if let Some(why) = state_detail(r) {
                    dt { (tr(l, "WHMCS said", "رد WHMCS")) } dd.whmcs { (why) }
                }
                @if let Some(waiting) = p.waiting {
                    dt { (tr(l, "Waiting because", "في الانتظار بسبب")) } dd.whmcs { (waiting) }
                }
            }
            (actions(v, r))
        }
        (claim(v, p))
        (timeline(v, p))
        (outbox(v, p))
    }
}

fn claim(v: &View<'_>, p: &PaymentPage<'_>) -> Markup {
    let l = v.lang;
    let r = p.record;
    html! {
        section.claim {
            h2 { (tr(l, "Claim", "المطالبة")) }
            @match &r.claim {
                None => p { (tr(l, "No transfer matched yet.", "لم تتم مطابقة أي تحويل بعد.")) },
                Some(c) => dl {
                    dt { (tr(l, "Transaction", "رقم العملية")) } dd { bdi dir="ltr" { (c.trans_id) } }
                    dt { (tr(l, "Credit", "الرصيد المضاف")) } dd { (c.credit_amount.round_dp(2)) " " (p.currency_label) }
                    @if let Some(tx) = p.transaction {
                        dt { (tr(l, "Transfer time", "وقت التحويل")) } dd { (v.when(&r.store_id, tx.received_at)) }
                        dt { (tr(l, "Sender", "المرسل")) } dd { bdi dir="ltr" { (tx.phone.as_ref().map_or("—".to_owned(), ToString::to_string)) } }
                    }
                },
            }
            (transfer_after(v, p))
            @let reasons = hold_reasons(p);
            @if !reasons.is_empty() {
                h3 { (tr(l, "Held because", "سبب التعليق")) }
                ul.reasons { @for reason in reasons { li { (reason_text(reason, l)) } } }
            }
            @let competing = crate::payments::competing_in(p.history);
            @if !competing.is_empty() {
                p.competing {
                    (tr(l, "Other clients waiting for this transfer: ", "عملاء آخرون ينتظرون هذا التحويل: "))
                    @for (i, client) in competing.iter().enumerate() {
                        @if i > 0 { ", " } (client)
                    }
                }
            }
        }
    }
}

/// Where the transfer went after this payment's claim ended: waiting for
/// an operator (with where to assign it), or given to another payment.
fn transfer_after(v: &View<'_>, p: &PaymentPage<'_>) -> Markup {
    let l = v.lang;
    let r = p.record;
    let Some(tx) = p.transaction else {
        return html! {};
    };
    let elsewhere = [&tx.claimed_by, &tx.credited_to]
        .into_iter()
        .flatten()
        .find(|id| **id != r.id);
    html! {
        @if let Some(released) = tx.awaiting_operator.as_ref().filter(|x| x.from == r.id) {
            p.awaiting-operator role="status" {
                (tr(l, "Its transfer waits for an operator since ", "تحويلها في انتظار المشرف منذ "))
                (v.when(&r.store_id, released.at)) ". "
                a href={ "/console/transactions?store=" (r.store_id) "#awaiting" } {
                    (tr(l, "Give it to the customer's payment that waits for the transfer", "أعطه لدفعة العميل التي في انتظار التحويل"))
                }
            }
        } @else if let Some(other) = elsewhere {
            p.transfer-elsewhere {
                (tr(l, "Its transfer went to payment ", "ذهب تحويلها إلى الدفعة "))
                a href={ "/console/payments/" (other) } { bdi dir="ltr" { (other) } }
            }
        }
    }
}

/// The reasons of the hold, also after the payment moved on.
fn hold_reasons(p: &PaymentPage<'_>) -> Vec<crate::machine::HoldReason> {
    p.history
        .iter()
        .rev()
        .find(|a| !a.hold_reasons.is_empty())
        .map_or_else(
            || p.record.hold_reasons().to_vec(),
            |a| a.hold_reasons.clone(),
        )
}

fn timeline(v: &View<'_>, p: &PaymentPage<'_>) -> Markup {
    let l = v.lang;
    let store = &p.record.store_id;
    html! {
        section.timeline {
            h2 { (tr(l, "History", "السجل")) }
            ol.timeline {
                @for entry in p.history {
                    li {
                        (v.date_time(store, entry.at)) " — "
                        strong { (event_text(entry.event, l)) }
                        " → " (state_badge(entry.to, l))
                        " " span.by { "(" (tr(l, "by", "بواسطة")) " " (actor_text(&entry.actor, l)) ")" }
                        @if let Some(reason) = &entry.reason { p.reason { (reason) } }
                    }
                }
            }
        }
    }
}

fn event_text(event: AuditEvent, l: Lang) -> &'static str {
    match event {
        AuditEvent::Created => locale::created_text(l),
        AuditEvent::Machine(kind) => locale::event_text(kind, l),
    }
}

fn effect_text(effect: &Effect, l: Lang) -> &'static str {
    match effect {
        Effect::NotifyApprovers { .. } => {
            tr(l, "Email the approvers", "إرسال بريد للمسؤولين عن الموافقة")
        }
        Effect::AddCredit => tr(l, "AddCredit in WHMCS", "إضافة الرصيد في WHMCS"),
        Effect::ApplyCredit { .. } => tr(
            l,
            "Pay the invoice from the credit (ApplyCredit)",
            "سداد الفاتورة من الرصيد (ApplyCredit)",
        ),
        Effect::Rematch { .. } => tr(
            l,
            "Offer the transfer to a waiting payment",
            "عرض التحويل على دفعة منتظرة",
        ),
    }
}

fn status_text(status: OutboxStatus, l: Lang) -> &'static str {
    match status {
        OutboxStatus::Pending => tr(l, "waiting", "في الانتظار"),
        OutboxStatus::InFlight => tr(l, "in flight", "قيد التنفيذ"),
        OutboxStatus::Done => tr(l, "done", "تم"),
        OutboxStatus::Failed => tr(l, "given up", "توقفت المحاولات"),
    }
}

fn outbox(v: &View<'_>, p: &PaymentPage<'_>) -> Markup {
    let l = v.lang;
    let store = &p.record.store_id;
    html! {
        section.outbox {
            h2 { (tr(l, "Work done for it", "العمليات المنفذة")) }
            @if p.outbox.is_empty() { p { (tr(l, "None yet.", "لا شيء بعد.")) } }
            ul.cards {
                @for e in p.outbox {
                    li.card {
                        p.head { strong { (effect_text(&e.effect, l)) } " — " (status_text(e.status, l)) }
                        dl {
                            dt { (tr(l, "Queued", "أضيفت")) } dd { (v.date_time(store, e.created_at)) }
                            @if e.is_queued() { dt { (tr(l, "Due", "موعدها")) } dd { (v.when(store, e.due_at)) } }
                            dt { (tr(l, "Tries", "المحاولات")) } dd { (e.tries) }
                            @if let Some(error) = &e.last_error { dt { (tr(l, "Last answer", "آخر رد")) } dd.whmcs { (error) } }
                        }
                        @if !e.approver_sends.is_empty() {
                            h3 { (tr(l, "Emails sent", "الرسائل المرسلة")) }
                            ul { @for send in &e.approver_sends {
                                li { (send.approver) " — " @match send.outcome {
                                    SendOutcome::Sent => (tr(l, "sent", "أرسلت")),
                                    SendOutcome::Refused => (tr(l, "refused by the mail server", "رفضها خادم البريد")),
                                } }
                            } }
                        }
                    }
                }
            }
        }
    }
}
