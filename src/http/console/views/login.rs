//! The sign-in page.

use maud::html;

use super::{bare, tr};
use crate::domain::Lang;

/// The form (when `csrf` is given) with an optional error above it.
pub fn page(lang: Lang, csrf: Option<&str>, next: &str, error: Option<&str>) -> String {
    let l = lang;
    bare(
        l,
        tr(l, "Sign in to the console", "تسجيل الدخول إلى اللوحة"),
        html! {
            @if let Some(error) = error {
                p.error role="alert" { (error) }
            }
            @if let Some(csrf) = csrf {
                form.login method="post" action="/console/login" {
                    input type="hidden" name="csrf" value=(csrf);
                    input type="hidden" name="next" value=(next);
                    label for="token" { (tr(l, "Admin token or store key", "رمز المشرف العام أو مفتاح المتجر")) }
                    input id="token" name="token" type="password" autocomplete="current-password"
                        required maxlength="512" dir="ltr";
                    button type="submit" { (tr(l, "Sign in", "تسجيل الدخول")) }
                }
            } @else {
                p { a href={ "/console/login?next=" (encoded(next)) } { (tr(l, "Sign in", "تسجيل الدخول")) } }
            }
            p.hint {
                (tr(l, "A store key opens one store only; the admin token opens every store.",
                    "مفتاح المتجر يفتح متجرًا واحدًا فقط؛ رمز المشرف العام يفتح كل المتاجر."))
            }
            p.lang {
                a href={ "/console/login?lang=" (if l == Lang::En { "ar" } else { "en" }) } {
                    (tr(l, "العربية", "English"))
                }
            }
        },
    )
}

fn encoded(value: &str) -> String {
    form_urlencoded::byte_serialize(value.as_bytes()).collect()
}
