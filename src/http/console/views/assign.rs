//! Transactions waiting for an operator: a claim on them ended (rejected,
//! expired), so nothing matches them again by themselves. Each has a form
//! that gives it to a `searching` payment ("waiting for the transfer") of
//! the same store and amount
//! (the operator has seen the customer's receipt); a refusal is shown
//! above the list and beside its form, with what the operator typed.

use maud::{Markup, html};

use super::{View, pager, state_badge, tr};
use crate::domain::{Lang, StoreId, TransId};
use crate::locale;
use crate::payments::{AssignRefused, Cursor, TransactionRecord};

/// An assignment the last form asked for and was refused.
pub struct Refusal<'a> {
    pub trans_id: &'a TransId,
    pub message: String,
    /// What the form held, shown again.
    pub payment_id: &'a str,
    pub note: &'a str,
}

/// The waiting transactions of one store, paged, each with its form.
pub struct Awaiting<'a> {
    pub store: &'a StoreId,
    pub items: &'a [TransactionRecord],
    pub next: Option<&'a Cursor>,
    pub refusal: Option<&'a Refusal<'a>>,
}

pub fn section(v: &View<'_>, a: &Awaiting<'_>) -> Markup {
    let l = v.lang;
    let base = format!("/console/transactions?store={}&list=awaiting", a.store);
    html! {
        section.awaiting id="awaiting" {
            h2 { (tr(l, "Waiting for an operator", "في انتظار المشرف")) }
            p.hint { (tr(l,
                "A claim on these transfers was rejected or expired, so no payment takes them by itself. Once the customer has shown you the receipt, give the transfer to their payment that is still waiting for the transfer, of the same amount: it is credited at once.",
                "رُفضت مطالبة بهذه التحويلات أو انتهت مهلتها، فلا تأخذها أي دفعة تلقائيًا. بعد أن يريك العميل الإيصال، أعطِ التحويل لدفعته التي ما زالت في انتظار التحويل بنفس المبلغ: تُضاف فورًا."
            )) }
            @if let Some(refusal) = a.refusal {
                p.error role="alert" { (refusal.message) }
            }
            @if a.items.is_empty() {
                p.empty { (tr(l, "Nothing waits for an operator.", "لا يوجد ما ينتظر المشرف.")) }
            } @else {
                ul.cards {
                    @for tx in a.items { (card(v, a, tx)) }
                }
            }
            (pager(l, &base, a.next))
        }
    }
}

fn card(v: &View<'_>, a: &Awaiting<'_>, tx: &TransactionRecord) -> Markup {
    let l = v.lang;
    let store = a.store;
    let refused = a.refusal.filter(|r| *r.trans_id == tx.trans_id);
    let payment_field = format!("assign-{}-payment", tx.trans_id);
    let note_field = format!("assign-{}-note", tx.trans_id);
    html! {
        li.card data-trans-id=(tx.trans_id) {
            p.head { bdi dir="ltr" { (tx.trans_id) } }
            dl {
                dt { (tr(l, "Amount", "المبلغ")) } dd { (tx.amount) " " (tr(l, "EGP", "جنيه")) }
                dt { (tr(l, "Sender", "المرسل")) }
                dd { bdi dir="ltr" { (tx.phone.as_ref().map_or("—".to_owned(), ToString::to_string)) } }
                dt { (tr(l, "Received", "وقت الاستلام")) } dd { (v.when(store, tx.received_at)) }
                @if let Some(released) = &tx.awaiting_operator {
                    dt { (tr(l, "Waiting since", "في الانتظار منذ")) } dd { (v.when(store, released.at)) }
                    dt { (tr(l, "Its claim ended", "انتهت مطالبته")) }
                    dd {
                        a href={ "/console/payments/" (released.from) } { bdi dir="ltr" { (released.from) } }
                        " " (state_badge(released.ended_in, l))
                    }
                }
            }
            form.assign method="post" action={ "/console/transactions/" (store) "/" (tx.trans_id) "/assign" } {
                (v.csrf_field())
                @if let Some(refusal) = refused {
                    p.error id={ (payment_field) "-error" } { (refusal.message) }
                }
                label for=(payment_field) { (tr(l,
                    "Give it to payment (waiting for the transfer, same amount)",
                    "أعطه للدفعة (في انتظار التحويل، بنفس المبلغ)"
                )) }
                input id=(payment_field) type="text" name="payment_id" required maxlength="30"
                    dir="ltr" autocomplete="off" placeholder="pay_…"
                    value=(refused.map_or("", |r| r.payment_id));
                label for=(note_field) { (tr(l, "Note (optional)", "ملاحظة (اختياري)")) }
                input id=(note_field) type="text" name="note" maxlength="1000"
                    value=(refused.map_or("", |r| r.note));
                div.buttons {
                    button type="submit" class="action-assign"
                        data-confirm=(tr(l,
                            "Give this transfer to that payment? It is credited at once.",
                            "إعطاء هذا التحويل لتلك الدفعة؟ ستُضاف فورًا."
                        )) {
                        (tr(l, "Assign and credit", "إسناد وإضافة الرصيد"))
                    }
                }
            }
        }
    }
}

/// Why an assignment changed nothing, in the operator's words.
pub fn refusal_text(refused: &AssignRefused, l: Lang) -> String {
    let nothing = tr(l, " Nothing was changed.", " لم يتغير شيء.");
    let text = match refused {
        AssignRefused::UnknownTransaction => tr(
            l,
            "This store has no transaction with that number.",
            "لا يوجد تحويل بهذا الرقم في هذا المتجر.",
        )
        .to_owned(),
        AssignRefused::UnknownPayment => tr(
            l,
            "This store has no payment with that id.",
            "لا توجد دفعة بهذا الرقم في هذا المتجر.",
        )
        .to_owned(),
        AssignRefused::Claimed(id) => format!(
            "{} {id}.",
            tr(
                l,
                "The transaction is held by another payment now:",
                "التحويل محجوز الآن لدفعة أخرى:",
            )
        ),
        AssignRefused::Credited(id) => format!(
            "{} {id}.",
            tr(
                l,
                "The transaction was already credited to payment",
                "أضيف هذا التحويل من قبل للدفعة",
            )
        ),
        AssignRefused::AmountDiffers => tr(
            l,
            "The payment's amount differs from the transaction's.",
            "مبلغ الدفعة يختلف عن مبلغ التحويل.",
        )
        .to_owned(),
        AssignRefused::NotSearching(state) => format!(
            "{} {}. {}",
            tr(l, "The payment is", "حالة الدفعة"),
            locale::state_name(*state, l),
            tr(
                l,
                "Only a payment still waiting for its transfer can be given one: ask the customer to check again, then give the transfer to the new payment.",
                "لا يُعطى التحويل إلا لدفعة ما زالت في انتظار تحويلها: اطلب من العميل أن يطلب الدفع مرة أخرى، ثم أعطِ التحويل للدفعة الجديدة.",
            )
        ),
        AssignRefused::NoCredit => tr(
            l,
            "The amount is too small to credit at the store's currency rate.",
            "المبلغ أصغر من أن يضاف بسعر عملة المتجر.",
        )
        .to_owned(),
        AssignRefused::Refused(refusal) => format!(
            "{} ({refusal})",
            tr(
                l,
                "The payment's state does not allow this",
                "حالة الدفعة لا تسمح بهذا",
            )
        ),
    };
    format!("{text}{nothing}")
}

/// A payment id that is not one, in the operator's words.
pub fn not_a_payment_id(l: Lang) -> String {
    tr(
        l,
        "That is not a payment id: copy it as the payment's page shows it (pay_ and 26 letters and digits). Nothing was changed.",
        "هذا ليس رقم دفعة: انسخه كما يظهر في صفحة الدفعة (pay_ ثم 26 حرفًا ورقمًا). لم يتغير شيء.",
    )
    .to_owned()
}
