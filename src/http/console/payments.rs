//! The payment pages: the overview, the queues (held, credit_failed,
//! credit_unknown, or any state), one payment, an operator's action on it
//! and the search. A payment of another store is "not found" to a store
//! key, exactly as an unknown id.

use http::StatusCode;

use super::reply::{PageError, Reply};
use super::views::overview::{LaneLine, Platform, StoreLine};
use super::views::payments::PaymentPage;
use super::views::{self, layout, pager, tr};
use super::{Signed, forms};
use crate::domain::{PaymentId, StoreId};
use crate::http::params::{Params, store_id};
use crate::machine::StateName;
use crate::payments::{
    Cursor, Lane, NotApplied, OperatorAction, PaymentRecord, SEARCH_RESULTS_MAX, SearchTerm,
};

/// Stores on the overview (more are on the stores page).
const OVERVIEW_STORES_MAX: usize = 50;
/// Held payments on the overview.
const OVERVIEW_HELD_MAX: usize = 10;
/// Payments per queue page.
const QUEUE_PAGE: usize = 50;

/// The `cursor` parameter, if any.
pub fn cursor(query: &Params) -> Result<Option<Cursor>, PageError> {
    match query.get("cursor").filter(|c| !c.is_empty()) {
        None => Ok(None),
        Some(text) => Cursor::decode(text)
            .map(Some)
            .map_err(|_| PageError::BadRequest("the list's position (cursor) is not valid".into())),
    }
}

/// The `store` a page asks for, limited by who asks.
pub fn scope(s: &Signed<'_>) -> Result<Option<StoreId>, PageError> {
    let requested = s
        .ctx
        .query
        .get("store")
        .filter(|x| !x.is_empty())
        .map(store_id)
        .transpose()?;
    Ok(s.principal().scope_or_own(requested)?)
}

/// A payment the signed-in principal may see, or "not found".
fn visible_payment(s: &Signed<'_>, id: &str) -> Result<PaymentRecord, PageError> {
    let id = PaymentId::parse(id).map_err(|_| PageError::NotFound)?;
    let record = s
        .ctx
        .app
        .payments
        .payment(&id)?
        .ok_or(PageError::NotFound)?;
    s.principal()
        .check_store(&record.store_id, PageError::NotFound)?;
    Ok(record)
}

pub fn overview(s: &Signed<'_>) -> Result<Reply, PageError> {
    let app = s.ctx.app;
    let (ids, more) = match s.principal().own_store() {
        Some(own) => (vec![own.clone()], false),
        None => {
            let page = app
                .stores
                .ids_page(None, OVERVIEW_STORES_MAX)?
                .map_err(|_| PageError::NotFound)?;
            (page.items, page.next.is_some())
        }
    };
    let mut stores = Vec::with_capacity(ids.len());
    for id in &ids {
        let name = app.stores.get(id)?.map(|s| s.name).unwrap_or_default();
        stores.push(StoreLine {
            name,
            overview: app.payments.store_overview(id)?,
        });
    }
    // The outbox and the waiting total are every store's: admin only.
    let mut lanes = Vec::new();
    if s.principal().is_admin() {
        for lane in Lane::ALL {
            let (depth, oldest_due) = app.payments.lane_stats(lane)?;
            lanes.push(LaneLine {
                lane,
                depth,
                oldest_due,
            });
        }
    }
    let platform = match s.principal().is_admin() {
        true => Some(Platform {
            lanes: &lanes,
            awaiting_operator: app.payments.awaiting_count()?,
        }),
        false => None,
    };
    let held = app
        .payments
        .longest_held(s.principal().own_store(), OVERVIEW_HELD_MAX)?;
    let v = s.view(ids.iter().chain(held.iter().map(|r| &r.store_id)))?;
    let body = views::overview::page(&v, &stores, more, platform.as_ref(), &held);
    let title = tr(v.lang, "Overview", "نظرة عامة");
    Ok(Reply::page(StatusCode::OK, layout(&v, title, body)))
}

pub fn queue(s: &Signed<'_>, state: &str) -> Result<Reply, PageError> {
    let state = StateName::parse(state).ok_or(PageError::NotFound)?;
    let store = scope(s)?;
    let page = s
        .ctx
        .app
        .payments
        .payments_page(
            &[state],
            store.as_ref(),
            cursor(&s.ctx.query)?.as_ref(),
            QUEUE_PAGE,
        )?
        .map_err(|_| PageError::BadRequest("the list's position (cursor) is not valid".into()))?;
    let v = s.view(page.items.iter().map(|r| &r.store_id))?;
    let mut base = format!("/console/queues/{}", state.as_str());
    if let Some(store) = &store {
        base.push_str(&format!("?store={store}"));
    }
    let body = maud::html! {
        (views::payments::list(&v, &page.items))
        (pager(v.lang, &base, page.next.as_ref()))
    };
    let title = crate::locale::state_name(state, v.lang);
    Ok(Reply::page(StatusCode::OK, layout(&v, title, body)))
}

pub fn detail(s: &Signed<'_>, id: &str) -> Result<Reply, PageError> {
    let record = visible_payment(s, id)?;
    let app = s.ctx.app;
    let settings = app.stores.get(&record.store_id)?.unwrap_or_default();
    let history = app.payments.history(&record.id)?;
    let outbox = app.payments.outbox_of(&record.id)?;
    let waiting = app.payments.waiting_reason(&record, Some(&outbox))?;
    let transaction = match &record.claim {
        Some(claim) => app
            .payments
            .transaction(&record.store_id, &claim.trans_id)?,
        None => None,
    };
    let page = PaymentPage {
        record: &record,
        store_name: &settings.name,
        currency_label: &settings.currency_label,
        history: &history,
        outbox: &outbox,
        transaction: transaction.as_ref(),
        waiting: waiting.as_deref(),
    };
    let v = s.view(std::iter::once(&record.store_id))?;
    let title = tr(v.lang, "Payment", "الدفعة");
    let body = views::payments::detail(&v, &page);
    Ok(Reply::page(StatusCode::OK, layout(&v, title, body)))
}

/// `POST /console/payments/{id}/{action}`: the admin API's own use case,
/// at the version the page showed.
pub async fn act(
    s: &Signed<'_>,
    form: &Params,
    id: &str,
    action: &str,
) -> Result<Reply, PageError> {
    let record = visible_payment(s, id)?;
    let action = OperatorAction::parse(action).ok_or(PageError::NotFound)?;
    let note = forms::note(form)?;
    let version = forms::version(form)?;
    let actor = s.principal().actor(&s.ctx.client);
    let outcome = s.ctx.app.payments.operator_action(
        &record.id,
        action,
        actor,
        note,
        s.ctx.now,
        Some(version),
    )?;
    let moved_on = || PageError::MovedOn {
        payment: record.id.to_string(),
    };
    match outcome {
        Ok(written) => {
            let applied = written.durable().await?;
            let by = s.principal().operator();
            tracing::info!(payment_id = %record.id, from = %applied.from, to = %applied.to, %by, "console action");
            let detail = format!("/console/payments/{}", record.id);
            Ok(Reply::see_other(forms::back(form, detail)))
        }
        Err(NotApplied::UnknownPayment) => Err(PageError::NotFound),
        Err(
            NotApplied::Refused { .. } | NotApplied::VersionMoved { .. } | NotApplied::NoCredit,
        ) => Err(moved_on()),
    }
}

pub fn search(s: &Signed<'_>) -> Result<Reply, PageError> {
    let query = s.ctx.query.get("q").unwrap_or_default().trim().to_owned();
    let store = scope(s)?;
    let mut found: Vec<PaymentRecord> = Vec::new();
    for term in SearchTerm::meanings(&query) {
        for record in s.ctx.app.payments.search(&term, store.as_ref())? {
            if !found.iter().any(|r| r.id == record.id) {
                found.push(record);
            }
        }
    }
    found.sort_by_key(|r| std::cmp::Reverse(r.created_at));
    let v = s.view(found.iter().map(|r| &r.store_id))?;
    let l = v.lang;
    let body = maud::html! {
        form.search-page method="get" action="/console/search" role="search" {
            label for="q" { (tr(l, "Payment id, trans_id, phone or client id", "رقم الدفعة أو العملية أو الهاتف أو العميل")) }
            input id="q" type="search" name="q" value=(query) maxlength="80" dir="auto";
            button type="submit" { (tr(l, "Search", "بحث")) }
        }
        @if !query.is_empty() {
            p.hint { (tr(l, "Newest first; at most this many for each meaning of the query: ", "الأحدث أولًا؛ بحد أقصى لكل معنى للبحث: ")) (SEARCH_RESULTS_MAX) }
            (views::payments::list(&v, &found))
        }
    };
    let title = tr(l, "Search", "بحث");
    Ok(Reply::page(StatusCode::OK, layout(&v, title, body)))
}
