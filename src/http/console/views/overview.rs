//! The overview: each store's payments by state, its transactions waiting
//! for an operator, its WHMCS breaker and last WHMCS error; the outbox and
//! the platform's count of waiting transactions (admin only: they are
//! every store's); the held payments that have waited longest.

use jiff::Timestamp;
use maud::{Markup, html};

use super::payments::list;
use super::{View, tr};
use crate::locale;
use crate::machine::StateName;
use crate::payments::{Lane, PaymentRecord, StoreOverview};

/// One store's line, with its name.
pub struct StoreLine {
    pub name: String,
    pub overview: StoreOverview,
}

/// One outbox lane: entries waiting and the oldest one's due time.
pub struct LaneLine {
    pub lane: Lane,
    pub depth: u64,
    pub oldest_due: Option<Timestamp>,
}

fn lane_name(lane: Lane, v: &View<'_>) -> &'static str {
    let l = v.lang;
    match lane {
        Lane::Mail => tr(l, "Approval emails", "رسائل الموافقة"),
        Lane::Whmcs => tr(l, "WHMCS calls", "طلبات WHMCS"),
        Lane::Internal => tr(l, "Internal", "داخلية"),
    }
}

/// What the admin sees of every store at once: the outbox per lane and
/// the platform's count of transactions waiting for an operator.
pub struct Platform<'a> {
    pub lanes: &'a [LaneLine],
    pub awaiting_operator: u64,
}

pub fn page(
    v: &View<'_>,
    stores: &[StoreLine],
    more_stores: bool,
    platform: Option<&Platform<'_>>,
    held: &[PaymentRecord],
) -> Markup {
    let l = v.lang;
    html! {
        section.stores {
            h2 { (tr(l, "Stores", "المتاجر")) }
            @if let Some(p) = platform {
                p.awaiting-total {
                    (tr(l, "Transactions waiting for an operator, every store: ", "تحويلات في انتظار المشرف في كل المتاجر: "))
                    strong.num { (p.awaiting_operator) }
                }
            }
            ul.cards {
                @for line in stores { (store_card(v, line)) }
            }
            @if more_stores {
                p { a href="/console/stores" { (tr(l, "More stores", "متاجر أخرى")) } }
            }
        }
        @if let Some(p) = platform {
            @let lanes = p.lanes;
            section.outbox {
                h2 { (tr(l, "Outbox", "قائمة الانتظار")) }
                table {
                    thead { tr {
                        th { (tr(l, "Work", "العمل")) }
                        th { (tr(l, "Waiting", "في الانتظار")) }
                        th { (tr(l, "Oldest due", "الأقدم")) }
                    } }
                    tbody {
                        @for lane in lanes {
                            tr {
                                td { (lane_name(lane.lane, v)) }
                                td.num { (lane.depth) }
                                td { @match lane.oldest_due {
                                    Some(at) => (locale::relative(at, v.now, l)),
                                    None => "—",
                                } }
                            }
                        }
                    }
                }
            }
        }
        section.held {
            h2 { (tr(l, "Waiting longest for approval", "الأطول انتظارًا للموافقة")) }
            (list(v, held))
        }
    }
}

fn store_card(v: &View<'_>, line: &StoreLine) -> Markup {
    let l = v.lang;
    let o = &line.overview;
    let store = &o.store;
    let queue = |state: StateName| match state {
        StateName::Held | StateName::CreditFailed | StateName::CreditUnknown => {
            Some(format!("/console/queues/{}?store={store}", state.as_str()))
        }
        _ => None,
    };
    html! {
        li.card data-store=(store) {
            p.head { a href={ "/console/stores/" (store) } { strong { (line.name) } " (" (store) ")" } }
            dl.counts {
                @for (state, count) in &o.counts {
                    dt { (locale::state_name(*state, l)) }
                    dd.num {
                        @match queue(*state) {
                            Some(href) if *count > 0 => a href=(href) { (count) },
                            _ => (count),
                        }
                    }
                }
            }
            dl {
                dt { (tr(l, "Transactions waiting for an operator", "تحويلات في انتظار المشرف")) }
                dd.num.awaiting {
                    @if o.awaiting_operator > 0 {
                        a href={ "/console/transactions?store=" (store) "#awaiting" } { (o.awaiting_operator) }
                    } @else { "0" }
                }
                dt { (tr(l, "WHMCS calls", "طلبات WHMCS")) }
                dd {
                    @match &o.breaker {
                        None => span.ok { (tr(l, "flowing", "تعمل")) },
                        Some(b) => span.bad {
                            (tr(l, "paused since ", "متوقفة منذ ")) (v.when(store, b.opened_at)) ": " (b.reason)
                            @if let Some(ip) = &b.seen_ip { " — " (tr(l, "WHMCS saw our IP as ", "رأى WHMCS عنواننا ")) bdi dir="ltr" { (ip) } }
                        },
                    }
                }
                dt { (tr(l, "Last WHMCS error", "آخر خطأ من WHMCS")) }
                dd {
                    @match &o.last_whmcs_error {
                        None => "—",
                        Some(e) => span.whmcs {
                            (v.when(store, e.at)) ": " (e.message) " "
                            a href={ "/console/payments/" (e.payment_id) } { (tr(l, "payment", "الدفعة")) }
                        },
                    }
                }
            }
        }
    }
}
