//! Transactions (a store's: those waiting for an operator, the unclaimed
//! ones, then all) and the quarantine (a store's, or every store's for the
//! admin), paged by cursor.

use http::StatusCode;

use super::Signed;
use super::payments::{cursor, scope};
use super::reply::{PageError, Reply};
use super::views::assign::{Awaiting, Refusal};
use super::views::lists::{StorePick, TransactionLists};
use super::views::{self, layout, tr};
use crate::domain::StoreId;

/// Items per page of these lists.
const LIST_PAGE: usize = 50;
/// Stores the admin's picker offers.
const PICKER_STORES_MAX: usize = 500;

/// The stores the admin may pick from (none for a store key).
pub fn pickable(s: &Signed<'_>) -> Result<Vec<StoreId>, PageError> {
    if !s.principal().is_admin() {
        return Ok(Vec::new());
    }
    let page = s.ctx.app.stores.ids_page(None, PICKER_STORES_MAX)?;
    Ok(page.map(|p| p.items).unwrap_or_default())
}

fn bad_cursor() -> PageError {
    PageError::BadRequest("the list's position (cursor) is not valid".into())
}

pub fn transactions(s: &Signed<'_>) -> Result<Reply, PageError> {
    let stores = pickable(s)?;
    let store = match scope(s)? {
        Some(store) => Some(store),
        None => stores.first().cloned(),
    };
    let Some(store) = store else {
        let v = s.view(std::iter::empty())?;
        let body = maud::html! { p.empty { (tr(v.lang, "No store yet.", "لا توجد متاجر بعد.")) } };
        return Ok(Reply::page(
            StatusCode::OK,
            layout(&v, tr(v.lang, "Transactions", "التحويلات"), body),
        ));
    };
    transactions_of(s, &stores, &store, None, StatusCode::OK)
}

/// A store's transactions page: those waiting for an operator (with a
/// refused assignment shown, if any), the unclaimed ones, then all.
pub fn transactions_of(
    s: &Signed<'_>,
    stores: &[StoreId],
    store: &StoreId,
    refusal: Option<&Refusal<'_>>,
    status: StatusCode,
) -> Result<Reply, PageError> {
    let at = cursor(&s.ctx.query)?;
    let list = s.ctx.query.get("list").filter(|_| refusal.is_none());
    if at.is_some() && !matches!(list, Some("awaiting" | "unclaimed" | "all")) {
        return Err(bad_cursor());
    }
    let from = |name: &str| {
        if list == Some(name) {
            at.as_ref()
        } else {
            None
        }
    };
    let payments = &s.ctx.app.payments;
    let awaiting = payments
        .awaiting_page(Some(store), from("awaiting"), LIST_PAGE)?
        .map_err(|_| bad_cursor())?;
    let unclaimed = payments
        .transactions_page(store, true, from("unclaimed"), LIST_PAGE)?
        .map_err(|_| bad_cursor())?;
    let all = payments
        .transactions_page(store, false, from("all"), LIST_PAGE)?
        .map_err(|_| bad_cursor())?;
    // A refused form shows this page at the form's address: the language
    // link goes to the page itself.
    let here = format!("/console/transactions?store={store}");
    let mut v = s.view(std::iter::once(store))?;
    if refusal.is_some() {
        v.here = &here;
    }
    let pick = StorePick {
        action: "/console/transactions",
        current: Some(store),
        stores,
        allow_all: false,
    };
    let waiting = Awaiting {
        store,
        items: &awaiting.items,
        next: awaiting.next.as_ref(),
        refusal,
    };
    let lists = TransactionLists {
        store,
        unclaimed: &unclaimed.items,
        unclaimed_next: unclaimed.next.as_ref(),
        all: &all.items,
        all_next: all.next.as_ref(),
    };
    let body = maud::html! {
        (views::lists::store_picker(v.lang, &pick))
        (views::assign::section(&v, &waiting))
        (views::lists::transactions(&v, &lists))
    };
    let title = tr(v.lang, "Transactions", "التحويلات");
    Ok(Reply::page(status, layout(&v, title, body)))
}

pub fn quarantine(s: &Signed<'_>) -> Result<Reply, PageError> {
    let stores = pickable(s)?;
    let store = scope(s)?;
    let page = s
        .ctx
        .app
        .payments
        .quarantine_page(store.as_ref(), cursor(&s.ctx.query)?.as_ref(), LIST_PAGE)?
        .map_err(|_| bad_cursor())?;
    let v = s.view(page.items.iter().map(|e| &e.store_id))?;
    let base = match &store {
        Some(store) => format!("/console/quarantine?store={store}"),
        None => "/console/quarantine".to_owned(),
    };
    let pick = StorePick {
        action: "/console/quarantine",
        current: store.as_ref(),
        stores: &stores,
        allow_all: true,
    };
    let body = views::lists::quarantine(&v, &pick, &page.items, &base, page.next.as_ref());
    let title = tr(v.lang, "Quarantine", "المحجوزات");
    Ok(Reply::page(StatusCode::OK, layout(&v, title, body)))
}
