//! The pay form: where to send the money, then one question per field —
//! the amount sent, the phone it came from, the client number (hidden when
//! the merchant's link gave it), and for InstaPay the reference number.
//! On an error the form comes back with what was typed, a summary at the
//! top linking to the field, and the message again beside the field.

use maud::{Markup, html};

use super::words::{Word, text};
use super::{Frame, NoScriptRefresh, Page, grouped, layout};
use crate::domain::{Lang, Phone};

/// A field of the form (for errors and their links).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Amount,
    Phone,
    Client,
    Reference,
}

impl Field {
    /// The field's `id` and `name`.
    pub fn name(&self) -> &'static str {
        match self {
            Field::Amount => "amount",
            Field::Phone => "phone",
            Field::Client => "client_id",
            Field::Reference => "trans_id",
        }
    }
}

/// What the fields hold: prefilled from the merchant's link, or as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FormValues {
    pub amount: String,
    pub phone: String,
    pub client_id: String,
    pub invoice_id: String,
    pub trans_id: String,
    /// Kept only when the store allows its origin.
    pub return_url: Option<String>,
}

/// An invoice's total in the store's currency, converted to EGP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvoiceNote {
    pub total: String,
    pub currency_label: String,
    pub rate: String,
    pub egp: String,
}

/// Why the form came back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormError {
    /// The field at fault; `None` for a limit or a store-wide problem.
    pub field: Option<Field>,
    pub message: String,
}

/// Everything the form page shows.
#[derive(Debug, Clone)]
pub struct FormView {
    pub lang: Lang,
    pub store_id: String,
    pub store_name: String,
    pub wallet_numbers: Vec<Phone>,
    pub values: FormValues,
    /// The client number came with the merchant's link: a hidden field.
    pub client_fixed: bool,
    /// The amount is a valid amount (it is then shown in the first step).
    pub amount_known: bool,
    pub invoice: Option<InvoiceNote>,
    pub error: Option<FormError>,
    /// This page in the other language, with the same prefilled values.
    pub other_language_href: String,
}

/// The form page.
pub fn form_page(view: &FormView) -> Page {
    let l = view.lang;
    let title = match &view.error {
        Some(_) => format!(
            "{}: {}",
            text(Word::ErrorTitle, l),
            text(Word::FormTitle, l)
        ),
        None => text(Word::FormTitle, l).to_owned(),
    };
    let frame = Frame {
        lang: l,
        title: &title,
        store_name: &view.store_name,
        other_language: Some(&view.other_language_href),
        refresh: NoScriptRefresh::None,
        script: false,
    };
    layout(
        frame,
        html! {
            (error_summary(view))
            h1 { (text(Word::FormTitle, l)) }
            (pay_to(view))
            form method="post" action=(format!("/pay/{}", view.store_id)) novalidate {
                input type="hidden" name="lang" value=(l.code());
                @if view.client_fixed {
                    input type="hidden" name="client_id" value=(view.values.client_id);
                }
                @if !view.values.invoice_id.is_empty() {
                    input type="hidden" name="invoice_id" value=(view.values.invoice_id);
                }
                @if let Some(url) = &view.values.return_url {
                    input type="hidden" name="return_url" value=(url);
                }
                (field(view, Field::Amount, &view.values.amount, "decimal", Word::Amount, Word::AmountHint))
                (field(view, Field::Phone, &view.values.phone, "tel", Word::Phone, Word::PhoneHint))
                @if !view.client_fixed {
                    (field(view, Field::Client, &view.values.client_id, "numeric", Word::Client, Word::ClientHint))
                }
                (field(view, Field::Reference, &view.values.trans_id, "text", Word::Reference, Word::ReferenceHint))
                button type="submit" { (text(Word::Submit, l)) }
            }
        },
    )
}

fn error_summary(view: &FormView) -> Markup {
    let Some(error) = &view.error else {
        return html! {};
    };
    html! {
        div.error-summary role="alert" aria-labelledby="error-summary-title" {
            h2 #error-summary-title { (text(Word::ErrorTitle, view.lang)) }
            ul {
                li {
                    @match error.field {
                        Some(f) => a href=(format!("#{}", f.name())) { (error.message) },
                        None => (error.message),
                    }
                }
            }
        }
    }
}

/// Step one: how much to send (when known) and the wallet numbers to
/// send it to; then what the form is for.
fn pay_to(view: &FormView) -> Markup {
    let l = view.lang;
    html! {
        section.pay-to aria-labelledby="pay-to-title" {
            h2 #pay-to-title { (text(Word::StepSend, l)) }
            dl.pay-details {
                @if view.amount_known {
                    div {
                        dt { (text(Word::SendAmount, l)) }
                        dd.big { span.ltr { (view.values.amount) } " " (egp(l)) }
                    }
                }
                div {
                    dt { (text(Word::SendTo, l)) }
                    @if view.wallet_numbers.is_empty() {
                        dd { (text(Word::NoWallets, l)) }
                    }
                    @for wallet in &view.wallet_numbers {
                        dd.big { span.ltr { (grouped(wallet)) } }
                    }
                }
            }
            @if let Some(invoice) = &view.invoice {
                p.hint { (invoice_sentence(invoice, l)) }
            }
            p.last { (text(Word::StepEnter, l)) }
        }
    }
}

fn egp(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "EGP",
        Lang::Ar => "جنيه",
    }
}

fn invoice_sentence(n: &InvoiceNote, lang: Lang) -> String {
    match lang {
        Lang::En => format!(
            "Your invoice is {} {} at {} EGP each: {} EGP, rounded up to whole pounds.",
            n.total, n.currency_label, n.rate, n.egp
        ),
        Lang::Ar => format!(
            "قيمة فاتورتك {} {} بسعر {} جنيه للوحدة: {} جنيه، مقربة لأعلى إلى جنيه صحيح.",
            n.total, n.currency_label, n.rate, n.egp
        ),
    }
}

/// One question: label, hint, the error if it is this field's, the input.
fn field(
    view: &FormView,
    which: Field,
    value: &str,
    inputmode: &str,
    label: Word,
    hint: Word,
) -> Markup {
    let l = view.lang;
    let name = which.name();
    let error = view.error.as_ref().filter(|e| e.field == Some(which));
    let hint_id = format!("{name}-hint");
    let error_id = format!("{name}-error");
    let described = match error {
        Some(_) => format!("{hint_id} {error_id}"),
        None => hint_id.clone(),
    };
    let kind = if which == Field::Phone { "tel" } else { "text" };
    let autocomplete = if which == Field::Phone { "tel" } else { "off" };
    // Digits read left to right in both languages.
    let dir = if which == Field::Reference || which == Field::Phone {
        Some("ltr")
    } else {
        None
    };
    html! {
        div.field.field-error[error.is_some()] {
            label for=(name) { (text(label, l)) }
            p.hint id=(hint_id) { (text(hint, l)) }
            @if let Some(e) = error {
                p.error-message id=(error_id) { (e.message) }
            }
            input type=(kind) id=(name) name=(name) value=(value) inputmode=(inputmode)
                autocomplete=(autocomplete) spellcheck="false" dir=[dir] maxlength="64"
                aria-describedby=(described) aria-invalid=[error.map(|_| "true")];
        }
    }
}
