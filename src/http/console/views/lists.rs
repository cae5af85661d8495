//! A store's transactions (unclaimed first) and the quarantine, with the
//! store picker the admin uses to choose whose.

use maud::{Markup, html};

use super::{View, pager, tr};
use crate::domain::{Lang, StoreId};
use crate::payments::{Cursor, QuarantineEntry, QuarantineReason, TransactionRecord};

/// A list page's filter: the store shown, and the stores to pick from
/// (empty for a store key, which sees one store).
pub struct StorePick<'a> {
    pub action: &'a str,
    pub current: Option<&'a StoreId>,
    pub stores: &'a [StoreId],
    /// Offer "every store" (the admin's quarantine).
    pub allow_all: bool,
}

pub fn store_picker(l: Lang, pick: &StorePick<'_>) -> Markup {
    html! {
        @if !pick.stores.is_empty() {
            form.filter method="get" action=(pick.action) {
                label for="store" { (tr(l, "Store", "المتجر")) }
                select id="store" name="store" data-autosubmit {
                    @if pick.allow_all {
                        option value="" selected[pick.current.is_none()] { (tr(l, "Every store", "كل المتاجر")) }
                    }
                    @for id in pick.stores {
                        option value=(id) selected[pick.current == Some(id)] { (id) }
                    }
                }
                button type="submit" { (tr(l, "Show", "عرض")) }
            }
        }
    }
}

/// Transactions: unclaimed ones first, then every one, each paged.
pub struct TransactionLists<'a> {
    pub store: &'a StoreId,
    pub unclaimed: &'a [TransactionRecord],
    pub unclaimed_next: Option<&'a Cursor>,
    pub all: &'a [TransactionRecord],
    pub all_next: Option<&'a Cursor>,
}

pub fn transactions(v: &View<'_>, t: &TransactionLists<'_>) -> Markup {
    let l = v.lang;
    let base = format!("/console/transactions?store={}", t.store);
    html! {
        section.unclaimed {
            h2 { (tr(l, "Not claimed by any payment", "لم تطالب بها أي دفعة")) }
            (transaction_table(v, t.store, t.unclaimed))
            (pager(l, &format!("{base}&list=unclaimed"), t.unclaimed_next))
        }
        section.all {
            h2 { (tr(l, "Every transaction", "كل التحويلات")) }
            (transaction_table(v, t.store, t.all))
            (pager(l, &format!("{base}&list=all"), t.all_next))
        }
    }
}

fn transaction_table(v: &View<'_>, store: &StoreId, txs: &[TransactionRecord]) -> Markup {
    let l = v.lang;
    html! {
        @if txs.is_empty() {
            p.empty { (tr(l, "Nothing here.", "لا يوجد شيء هنا.")) }
        } @else {
            ul.cards {
                @for tx in txs {
                    li.card {
                        p.head { bdi dir="ltr" { (tx.trans_id) } }
                        dl {
                            dt { (tr(l, "Amount", "المبلغ")) } dd { (tx.amount) " " (tr(l, "EGP", "جنيه")) }
                            dt { (tr(l, "Sender", "المرسل")) }
                            dd { bdi dir="ltr" { (tx.phone.as_ref().map_or("—".to_owned(), ToString::to_string)) } }
                            dt { (tr(l, "Received", "وقت الاستلام")) } dd { (v.when(store, tx.received_at)) }
                            @if let Some(id) = &tx.claimed_by {
                                dt { (tr(l, "Claimed by", "تطالب بها")) } dd { a href={ "/console/payments/" (id) } { bdi dir="ltr" { (id) } } }
                            }
                            @if let Some(id) = &tx.credited_to {
                                dt { (tr(l, "Credited to", "أضيفت إلى")) } dd { a href={ "/console/payments/" (id) } { bdi dir="ltr" { (id) } } }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn reason_text(reason: QuarantineReason, l: Lang) -> &'static str {
    match reason {
        QuarantineReason::UntrustedSender => tr(
            l,
            "not from a Vodafone Cash sender",
            "ليست من مرسل فودافون كاش",
        ),
        QuarantineReason::NotAPayment => tr(
            l,
            "not a money-received notification",
            "ليست إشعار استلام أموال",
        ),
        QuarantineReason::Unparseable => tr(
            l,
            "a receipt whose fields could not be read",
            "إيصال تعذرت قراءة بياناته",
        ),
        QuarantineReason::FutureTransferTime => tr(
            l,
            "dated further ahead than clocks differ: a misread date",
            "بتاريخ في المستقبل أبعد من فرق الساعات: تاريخ مقروء خطأ",
        ),
        QuarantineReason::TooLong => tr(
            l,
            "longer than any real notification",
            "أطول من أي إشعار حقيقي",
        ),
        QuarantineReason::Conflict => tr(
            l,
            "the trans_id is stored with other data",
            "رقم العملية محفوظ ببيانات مختلفة",
        ),
        QuarantineReason::Other => tr(l, "another reason", "سبب آخر"),
    }
}

pub fn quarantine(
    v: &View<'_>,
    pick: &StorePick<'_>,
    entries: &[QuarantineEntry],
    base: &str,
    next: Option<&Cursor>,
) -> Markup {
    let l = v.lang;
    html! {
        (store_picker(l, pick))
        @if entries.is_empty() {
            p.empty { (tr(l, "Nothing was quarantined.", "لا توجد رسائل محجوزة.")) }
        } @else {
            ul.cards {
                @for e in entries {
                    li.card {
                        p.head { strong { (reason_text(e.reason, l)) } " — " (v.when(&e.store_id, e.at)) }
                        dl {
                            dt { (tr(l, "Store", "المتجر")) } dd { (e.store_id) }
                            @if let Some(from) = &e.from { dt { (tr(l, "From", "من")) } dd { bdi dir="ltr" { (from) } } }
                            dt { (tr(l, "Detail", "التفاصيل")) } dd { (e.detail) }
                        }
                        pre.payload dir="auto" { (e.text) }
                    }
                }
            }
        }
        (pager(l, base, next))
    }
}
