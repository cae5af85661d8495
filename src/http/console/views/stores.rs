//! Stores: the list, the settings form (every setting; secrets are
//! write-only: the form says whether each is set, and a blank field keeps
//! it), the preflight
//! button and the go-live checklist with what to fix.

use maud::{Markup, html};

use super::{View, tr};
use crate::domain::{Lang, Origin, StoreId};
use crate::merchant::StoreSettings;
use crate::whmcs::Preflight;

/// One row of the store list.
pub struct StoreRow {
    pub id: StoreId,
    pub name: String,
    pub anti_spam: bool,
    pub breaker_open: bool,
}

pub fn list(v: &View<'_>, rows: &[StoreRow], next: Option<&crate::payments::Cursor>) -> Markup {
    let l = v.lang;
    html! {
        ul.cards {
            @for row in rows {
                li.card data-store=(row.id) {
                    p.head { a href={ "/console/stores/" (row.id) } { strong { (row.name) } " (" (row.id) ")" } }
                    p {
                        @if row.anti_spam { (tr(l, "Anti-spam on", "مكافحة الاحتيال مفعلة")) }
                        @else { (tr(l, "Anti-spam off", "مكافحة الاحتيال متوقفة")) }
                        " · "
                        @if row.breaker_open { span.bad { (tr(l, "WHMCS calls paused", "طلبات WHMCS متوقفة")) } }
                        @else { span.ok { (tr(l, "WHMCS calls flowing", "طلبات WHMCS تعمل")) } }
                    }
                }
            }
        }
        (super::pager(l, "/console/stores", next))
        @if v.principal.is_admin() {
            form.new-store method="get" action="/console/stores" {
                label for="new-id" { (tr(l, "New store id", "رقم متجر جديد")) }
                input id="new-id" name="new" required maxlength="64" pattern="[A-Za-z0-9_-]{1,64}" dir="ltr";
                button type="submit" { (tr(l, "Create", "إنشاء")) }
            }
        }
    }
}

/// The store page: settings form, preflight, checklist.
pub struct StorePage<'a> {
    pub id: &'a StoreId,
    pub settings: &'a StoreSettings,
    pub exists: bool,
    /// A refusal of the last save, shown above the form.
    pub error: Option<&'a str>,
    pub saved: bool,
    pub preflight: Option<&'a Preflight>,
    pub checklist: &'a [Item],
}

/// One item of the go-live checklist.
pub struct Item {
    pub title: &'static str,
    /// `None`: not checked yet.
    pub ok: Option<bool>,
    pub detail: String,
}

fn text_field(id: &str, label: &str, value: &str, max: usize) -> Markup {
    html! {
        div.field {
            label for=(id) { (label) }
            input id=(id) name=(id) type="text" value=(value) maxlength=(max) dir="auto";
        }
    }
}

fn secret_field(l: Lang, id: &str, label: &str, set: bool) -> Markup {
    let state = if set {
        tr(
            l,
            "set — leave blank to keep it",
            "محفوظ — اتركه فارغًا للإبقاء عليه",
        )
    } else {
        tr(l, "not set", "غير محفوظ")
    };
    html! {
        div.field {
            label for=(id) { (label) " " span.secret-state data-set=(set) { "(" (state) ")" } }
            input id=(id) name=(id) type="password" autocomplete="new-password" maxlength="512" dir="ltr";
        }
    }
}

fn check_field(id: &str, label: &str, on: bool) -> Markup {
    html! {
        div.field.check {
            input id=(id) name=(id) type="checkbox" value="on" checked[on];
            label for=(id) { (label) }
        }
    }
}

fn lines(items: impl Iterator<Item = String>) -> String {
    items.collect::<Vec<_>>().join("\n")
}

pub fn page(v: &View<'_>, p: &StorePage<'_>) -> Markup {
    let l = v.lang;
    let s = p.settings;
    let a = &s.anti_spam;
    let amount = a
        .hold_amount_at_or_above
        .map(|x| x.to_string())
        .unwrap_or_default();
    let per_hour = a
        .hold_after_checks_per_hour
        .map(|x| x.to_string())
        .unwrap_or_default();
    html! {
        @if p.saved { p.notice role="status" { (tr(l, "Saved.", "تم الحفظ.")) } }
        @if let Some(error) = p.error { p.error role="alert" { (error) } }
        (checklist(v, p))
        form.store method="post" action={ "/console/stores/" (p.id) } {
            (v.csrf_field())
            fieldset {
                legend { (tr(l, "Store", "المتجر")) }
                (text_field("name", tr(l, "Name", "الاسم"), &s.name, 200))
                (text_field("currency_rate", tr(l, "EGP per unit of the WHMCS currency", "سعر وحدة عملة WHMCS بالجنيه"), &s.currency_rate.to_string(), 32))
                (text_field("currency_label", tr(l, "WHMCS currency", "عملة WHMCS"), &s.currency_label, 16))
                (text_field("time_zone", tr(l, "Time zone (IANA, like Africa/Cairo)", "المنطقة الزمنية (مثل Africa/Cairo)"), s.time_zone.as_str(), 64))
                (text_field("search_window", tr(l, "How long a check waits for its transfer", "مدة انتظار التحويل"), &s.search_window.to_string(), 32))
                (secret_field(l, "ingest_token", tr(l, "SMS forwarder token", "رمز محول الرسائل"), !s.ingest_token.is_empty()))
            }
            fieldset {
                legend { "WHMCS" }
                (text_field("whmcs_api_url", tr(l, "WHMCS address", "عنوان WHMCS"), &s.whmcs.api_url, 512))
                (text_field("whmcs_identifier", tr(l, "API identifier", "معرف API"), &s.whmcs.identifier, 512))
                (secret_field(l, "whmcs_secret", tr(l, "API secret", "كلمة سر API"), !s.whmcs.secret.is_empty()))
                div.field {
                    label for="check_ips" { (tr(l, "WHMCS server addresses (one a line)", "عناوين خوادم WHMCS (عنوان في كل سطر)")) }
                    textarea id="check_ips" name="check_ips" rows="3" dir="ltr" { (lines(s.check_ips.iter().map(ToString::to_string))) }
                }
            }
            (pay_pages(v, s))
            fieldset {
                legend { (tr(l, "Anti-spam", "مكافحة الاحتيال")) }
                (check_field("anti_spam_enabled", tr(l, "Hold risky claims for an approver", "تعليق المطالبات المشكوك فيها للموافقة"), a.enabled))
                div.field {
                    label for="approvers" { (tr(l, "Approvers' emails (one a line)", "بريد المسؤولين عن الموافقة (واحد في كل سطر)")) }
                    textarea id="approvers" name="approvers" rows="3" dir="ltr" { (lines(a.approvers.iter().map(ToString::to_string))) }
                }
                (check_field("hold_new_phone", tr(l, "Hold a client's first payment from a phone", "تعليق أول دفعة لعميل من رقم جديد"), a.hold_new_phone))
                (check_field("hold_shared_phone", tr(l, "Hold a phone credited to another client before", "تعليق رقم أضيف لعميل آخر من قبل"), a.hold_shared_phone))
                (text_field("hold_amount_at_or_above", tr(l, "Hold amounts at or above (EGP, blank: none)", "تعليق المبالغ من (جنيه، فارغ: لا شيء)"), &amount, 32))
                (text_field("hold_after_checks_per_hour", tr(l, "Hold after this many checks an hour (blank: none)", "تعليق بعد هذا العدد من الطلبات في الساعة (فارغ: لا شيء)"), &per_hour, 10))
                (text_field("approval_window", tr(l, "How long approvers have", "مدة انتظار الموافقة"), &a.approval_window.to_string(), 32))
                div.field {
                    label for="approver_lang" { (tr(l, "Approvers read", "لغة المسؤولين عن الموافقة")) }
                    select id="approver_lang" name="approver_lang" {
                        option value="en" selected[a.approver_lang == Lang::En] { "English" }
                        option value="ar" selected[a.approver_lang == Lang::Ar] { "العربية" }
                    }
                }
            }
            button type="submit" { (tr(l, "Save", "حفظ")) }
        }
    }
}

fn lines_field(id: &str, label: &str, hint: &str, value: String) -> Markup {
    html! {
        div.field {
            label for=(id) { (label) }
            p.hint id={ (id) "-hint" } { (hint) }
            textarea id=(id) name=(id) rows="3" dir="ltr" aria-describedby={ (id) "-hint" } { (value) }
        }
    }
}

/// What the hosted pay pages show and allow: the wallet numbers, where
/// the status page may send the customer back, who may frame the pages.
fn pay_pages(v: &View<'_>, s: &StoreSettings) -> Markup {
    let l = v.lang;
    let origins = |list: &[Origin]| lines(list.iter().map(|o| o.as_str().to_owned()));
    let never = s.return_origins.as_ref().is_some_and(Vec::is_empty);
    html! {
        fieldset {
            legend { (tr(l, "Pay pages", "صفحات الدفع")) }
            (lines_field("wallet_numbers",
                tr(l, "Wallet numbers customers pay to (one a line)", "أرقام المحافظ التي يدفع لها العملاء (رقم في كل سطر)"),
                tr(l, "Shown on the pay page.", "تظهر في صفحة الدفع."),
                lines(s.wallet_numbers.iter().map(ToString::to_string))))
            (lines_field("return_origins",
                tr(l, "Sites the status page may send the customer back to (one a line)", "المواقع التي قد تعيد صفحة الحالة العميل إليها (موقع في كل سطر)"),
                tr(l, "Like https://billing.example.com. Blank: the WHMCS address's site.", "مثل https://billing.example.com. فارغ: موقع عنوان WHMCS."),
                s.return_origins.as_deref().map(origins).unwrap_or_default()))
            (check_field("return_never", tr(l, "Never link the customer back", "لا تُعِد العميل إلى أي موقع"), never))
            (lines_field("embed_origins",
                tr(l, "Sites that may show the pay pages in a frame (one a line)", "المواقع التي قد تعرض صفحات الدفع داخل إطار (موقع في كل سطر)"),
                tr(l, "Blank: none.", "فارغ: لا شيء."),
                origins(&s.embed_origins)))
        }
    }
}

fn checklist(v: &View<'_>, p: &StorePage<'_>) -> Markup {
    let l = v.lang;
    html! {
        section.checklist {
            h2 { (tr(l, "Go-live checklist", "قائمة التحقق قبل التشغيل")) }
            @if p.exists {
                form method="post" action={ "/console/stores/" (p.id) "/preflight" } {
                    (v.csrf_field())
                    button type="submit" { (tr(l, "Check the WHMCS settings now", "افحص إعدادات WHMCS الآن")) }
                    " " span.hint { (tr(l, "(credits nobody; a few a minute)", "(لا يضيف رصيدًا لأحد؛ بضع مرات في الدقيقة)")) }
                }
            }
            @if let Some(report) = p.preflight {
                p class=(if report.ok { "ok" } else { "bad" }) {
                    @if report.ok { (tr(l, "WHMCS accepts every call cashgate makes.", "يقبل WHMCS كل الطلبات التي يرسلها cashgate.")) }
                    @else { (tr(l, "WHMCS refused something: fix what is marked.", "رفض WHMCS شيئًا: أصلح ما هو معلّم.")) }
                }
            }
            ol.checks {
                @for item in p.checklist {
                    li class=(match item.ok { Some(true) => "ok", Some(false) => "bad", None => "todo" }) {
                        span.mark aria-hidden="true" { (match item.ok { Some(true) => "✓", Some(false) => "✗", None => "…" }) }
                        strong { (item.title) } ": " (item.detail)
                    }
                }
            }
        }
    }
}
