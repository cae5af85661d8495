//! The store pages: the list, the settings form (every setting, also the
//! pay pages' wallet numbers and origins) and its save, the WHMCS
//! preflight and the go-live checklist. A save goes through the same
//! parsing and validation as `PUT /admin/stores/{id}`: the form's fields
//! are laid over the stored settings (so settings the form does not show
//! are kept), secrets left blank keep their stored values.

use http::StatusCode;
use serde_json::{Value, json};

use super::reply::{PageError, Reply};
use super::views::stores::{Item, StorePage, StoreRow};
use super::views::{self, layout, tr};
use super::{Signed, payments};
use crate::domain::{Lang, StoreId};
use crate::http::params::{Params, store_id};
use crate::machine::StateName;
use crate::merchant::StoreSettings;
use crate::whmcs::{Credentials, Preflight};

/// Stores per page of the list.
const STORES_PAGE: usize = 50;

/// A store the signed-in principal may see (404 otherwise), with its
/// settings if it exists.
fn visible_store(s: &Signed<'_>, id: &str) -> Result<(StoreId, Option<StoreSettings>), PageError> {
    let id = store_id(id).map_err(|_| PageError::NotFound)?;
    s.principal().check_store(&id, PageError::NotFound)?;
    let settings = s.ctx.app.stores.get(&id)?;
    if settings.is_none() && !s.principal().is_admin() {
        return Err(PageError::NotFound);
    }
    Ok((id, settings))
}

pub fn list(s: &Signed<'_>) -> Result<Reply, PageError> {
    if let Some(new) = s.ctx.query.get("new") {
        s.principal().require_admin()?;
        let id = store_id(new.trim())?;
        return Ok(Reply::see_other(format!("/console/stores/{id}")));
    }
    let app = s.ctx.app;
    let cursor = payments::cursor(&s.ctx.query)?;
    let (ids, next) = match s.principal().own_store() {
        // A store key's list is its one store: no later page to go to.
        Some(_) if cursor.is_some() => return Err(bad_position()),
        Some(own) => (vec![own.clone()], None),
        None => {
            let page = app
                .stores
                .ids_page(cursor.as_ref(), STORES_PAGE)?
                .map_err(|_| bad_position())?;
            (page.items, page.next)
        }
    };
    let mut rows = Vec::with_capacity(ids.len());
    for id in ids {
        let settings = app.stores.get(&id)?.unwrap_or_default();
        rows.push(StoreRow {
            breaker_open: app.payments.breaker(&id)?.is_some(),
            name: settings.name,
            anti_spam: settings.anti_spam.enabled,
            id,
        });
    }
    let v = s.view(std::iter::empty())?;
    let body = views::stores::list(&v, &rows, next.as_ref());
    Ok(Reply::page(
        StatusCode::OK,
        layout(&v, tr(v.lang, "Stores", "المتاجر"), body),
    ))
}

fn bad_position() -> PageError {
    PageError::BadRequest("the list's position (cursor) is not valid".into())
}

pub fn edit(s: &Signed<'_>, id: &str) -> Result<Reply, PageError> {
    let (id, settings) = visible_store(s, id)?;
    let saved = s.ctx.query.get("saved").is_some();
    render(s, &id, settings.as_ref(), None, saved, None, StatusCode::OK)
}

fn render(
    s: &Signed<'_>,
    id: &StoreId,
    stored: Option<&StoreSettings>,
    error: Option<&str>,
    saved: bool,
    preflight: Option<&Preflight>,
    status: StatusCode,
) -> Result<Reply, PageError> {
    let defaults = StoreSettings::default();
    let settings = stored.unwrap_or(&defaults);
    let v = s.view(std::iter::once(id))?;
    let checklist = checklist(s, id, settings, stored.is_some(), preflight, v.lang)?;
    let page = StorePage {
        id,
        settings,
        exists: stored.is_some(),
        error,
        saved,
        preflight,
        checklist: &checklist,
    };
    let title = if page.exists {
        format!("{} ({id})", settings.name)
    } else {
        format!("{} {id}", tr(v.lang, "New store", "متجر جديد"))
    };
    let body = views::stores::page(&v, &page);
    Ok(Reply::page(status, layout(&v, &title, body)))
}

/// `POST /console/stores/{id}`: save the form, or show it again with why.
pub async fn save(s: &Signed<'_>, form: &Params, id: &str) -> Result<Reply, PageError> {
    let (id, stored) = visible_store(s, id)?;
    if stored.is_none() {
        s.principal().require_admin()?;
    }
    let parsed = overlay(stored.as_ref(), form).and_then(|body| {
        StoreSettings::from_put_body(body.to_string().as_bytes(), stored.as_ref())
            .map_err(|e| e.to_string())
    });
    let settings = match parsed {
        Ok(settings) => settings,
        Err(why) => {
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            return render(s, &id, stored.as_ref(), Some(&why), false, None, status);
        }
    };
    s.ctx.app.stores.put(&id, &settings)?.durable().await?;
    let by = s.principal().operator();
    tracing::info!(store_id = %id, created = stored.is_none(), %by, "store saved from the console");
    Ok(Reply::see_other(format!("/console/stores/{id}?saved=1")))
}

/// The stored settings as JSON with the form's fields laid over them; a
/// value of the wrong type is passed on for the validation to name. `Err`
/// is why the form cannot be read (shown with the form, `422`).
fn overlay(stored: Option<&StoreSettings>, form: &Params) -> Result<Value, String> {
    let mut v = serde_json::to_value(stored.cloned().unwrap_or_default())
        .map_err(|e| format!("the stored settings could not be read: {e}"))?;
    let text = |name: &str| form.get(name).map(str::trim).unwrap_or_default().to_owned();
    let lines = |name: &str| -> Vec<String> {
        text(name)
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect()
    };
    let optional = |name: &str| -> Value {
        let t = text(name);
        if t.is_empty() { Value::Null } else { json!(t) }
    };
    let checked = |name: &str| form.get(name) == Some("on");
    v["name"] = json!(text("name"));
    v["currency_rate"] = json!(text("currency_rate"));
    v["currency_label"] = json!(text("currency_label"));
    v["time_zone"] = json!(text("time_zone"));
    v["search_window"] = json!(text("search_window"));
    v["check_ips"] = json!(lines("check_ips"));
    v["wallet_numbers"] = json!(lines("wallet_numbers"));
    v["embed_origins"] = json!(lines("embed_origins"));
    v["return_origins"] = return_origins(lines("return_origins"), checked("return_never"))?;
    v["whmcs"]["api_url"] = json!(text("whmcs_api_url"));
    v["whmcs"]["identifier"] = json!(text("whmcs_identifier"));
    for (field, pointer) in [
        ("whmcs_secret", "/whmcs/secret"),
        ("ingest_token", "/ingest_token"),
    ] {
        let given = text(field);
        if !given.is_empty()
            && let Some(slot) = v.pointer_mut(pointer)
        {
            *slot = json!(given);
        }
    }
    let a = &mut v["anti_spam"];
    a["enabled"] = json!(checked("anti_spam_enabled"));
    a["approvers"] = json!(lines("approvers"));
    a["hold_new_phone"] = json!(checked("hold_new_phone"));
    a["hold_shared_phone"] = json!(checked("hold_shared_phone"));
    a["hold_amount_at_or_above"] = optional("hold_amount_at_or_above");
    a["hold_after_checks_per_hour"] = match text("hold_after_checks_per_hour") {
        t if t.is_empty() => Value::Null,
        t => t.parse::<u32>().map_or_else(|_| json!(t), |n| json!(n)),
    };
    a["approval_window"] = json!(text("approval_window"));
    a["approver_lang"] = json!(if form.get("approver_lang") == Some("ar") {
        "ar"
    } else {
        "en"
    });
    Ok(v)
}

/// `return_origins` from its text area and the "never link back" box:
/// none listed is the default (the WHMCS address's origin), the box alone
/// an empty list (no link back), the list alone that list.
fn return_origins(listed: Vec<String>, never: bool) -> Result<Value, String> {
    match (listed.is_empty(), never) {
        (true, false) => Ok(Value::Null),
        (true, true) => Ok(json!([])),
        (false, false) => Ok(json!(listed)),
        (false, true) => Err(
            "return_origins: either list the addresses a customer may be sent back to, \
             or tick \"never link back\", not both"
                .to_owned(),
        ),
    }
}

/// `POST /console/stores/{id}/preflight`: run it, show the checklist.
pub async fn preflight(s: &Signed<'_>, id: &str) -> Result<Reply, PageError> {
    let (id, stored) = visible_store(s, id)?;
    let settings = stored.ok_or(PageError::NotFound)?;
    let app = s.ctx.app;
    app.limits.preflight_store.check(&id.as_str())?;
    let report = app
        .whmcs
        .preflight(&Credentials::from(&settings.whmcs))
        .await;
    tracing::info!(store_id = %id, ok = report.ok, "store preflight from the console");
    render(
        s,
        &id,
        Some(&settings),
        None,
        false,
        Some(&report),
        StatusCode::OK,
    )
}

/// The go-live checklist: the preflight's items (once run), then what the
/// store's own records show.
fn checklist(
    s: &Signed<'_>,
    id: &StoreId,
    settings: &StoreSettings,
    exists: bool,
    preflight: Option<&Preflight>,
    l: Lang,
) -> Result<Vec<Item>, PageError> {
    let mut items = Vec::new();
    match preflight {
        Some(report) => items.extend(report.checks.iter().map(|c| Item {
            title: check_title(&c.name, l),
            ok: Some(c.ok),
            detail: c.message.clone(),
        })),
        None => items.push(Item {
            title: tr(l, "WHMCS settings", "إعدادات WHMCS"),
            ok: None,
            detail: tr(
                l,
                "not checked yet: use the button above",
                "لم تُفحص بعد: استخدم الزر أعلاه",
            )
            .to_owned(),
        }),
    }
    let app = s.ctx.app;
    let received = exists
        && app
            .payments
            .transactions_page(id, false, None, 1)?
            .is_ok_and(|p| !p.items.is_empty());
    let credited = exists && app.payments.store_state_count(StateName::Credited, id)? > 0;
    let fact = |title, ok, good: &str, fix: &str| Item {
        title,
        ok: Some(ok),
        detail: if ok { good } else { fix }.to_owned(),
    };
    items.push(fact(
        tr(l, "SMS forwarder token", "رمز محول الرسائل"),
        !settings.ingest_token.is_empty(),
        tr(l, "set", "محفوظ"),
        tr(
            l,
            "set a token below and put it in the forwarder's Authorization header",
            "احفظ رمزًا أدناه وضعه في ترويسة Authorization في المحول",
        ),
    ));
    items.push(fact(
        tr(l, "A transfer arrived", "وصول تحويل"),
        received,
        tr(
            l,
            "the forwarder's notifications arrive",
            "إشعارات المحول تصل",
        ),
        tr(
            l,
            "send yourself a small transfer and see the forwarder post it",
            "أرسل لنفسك تحويلًا صغيرًا وتأكد أن المحول يرسله",
        ),
    ));
    items.push(fact(
        tr(
            l,
            "A payment credited end to end",
            "دفعة أضيفت من البداية للنهاية",
        ),
        credited,
        tr(l, "WHMCS credited a payment", "أضاف WHMCS دفعة"),
        tr(
            l,
            "check that transfer with the WHMCS module for a test client",
            "اطلب تلك الدفعة من وحدة WHMCS لعميل تجريبي",
        ),
    ));
    let approvers_ok = !settings.anti_spam.enabled || !settings.anti_spam.approvers.is_empty();
    items.push(fact(
        tr(l, "Approvers", "المسؤولون عن الموافقة"),
        approvers_ok,
        tr(
            l,
            "held payments have someone to decide them",
            "للدفعات المعلقة من يقرر بشأنها",
        ),
        tr(
            l,
            "anti-spam is on but no approver is listed: add one below",
            "مكافحة الاحتيال مفعلة بلا مسؤول موافقة: أضف واحدًا أدناه",
        ),
    ));
    let https = app.public_url.starts_with("https://");
    items.push(fact(
        tr(l, "Links in emails use https", "روابط البريد تستخدم https"),
        https,
        tr(l, "public_url is https", "public_url يستخدم https"),
        tr(
            l,
            "set public_url to the https address customers and approvers reach",
            "اضبط public_url على عنوان https الذي يصل إليه العملاء",
        ),
    ));
    Ok(items)
}

fn check_title(name: &str, l: Lang) -> &'static str {
    match name {
        "url" => tr(l, "WHMCS address", "عنوان WHMCS"),
        "credentials" => tr(l, "API credentials", "بيانات دخول API"),
        "ip_whitelisting" => tr(l, "Our IP is allowed", "عنواننا مسموح به"),
        "addcredit_permission" => tr(l, "AddCredit permission", "صلاحية AddCredit"),
        "getcredits_permission" => tr(l, "GetCredits permission", "صلاحية GetCredits"),
        "applycredit_permission" => tr(l, "ApplyCredit permission", "صلاحية ApplyCredit"),
        "getinvoice_permission" => tr(l, "GetInvoice permission", "صلاحية GetInvoice"),
        _ => tr(l, "WHMCS check", "فحص WHMCS"),
    }
}
