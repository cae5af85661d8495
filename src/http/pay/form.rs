//! `GET`/`POST /pay/{store_id}`: the pay form. The GET prefills it from
//! the merchant's link (`amount` in EGP, or `invoice_amount` in the store's
//! currency converted at its rate and rounded up to whole pounds;
//! `client_id`, `invoice_id`, `return_url`, `lang`). The POST is the same
//! check as `payment_link_check` (`super::super::check::run`): success is a
//! `303` to the status page; bad input or a limit gives the form back with
//! what was typed and the message (400, 429 with `Retry-After`).
//!
//! `invoice_id` is passed through as it came (a positive number): the
//! check names the invoice its payment pays once credited.

use http::{Request, Response, header};
use hyper::body::Incoming;
use rust_decimal::Decimal;

use super::super::check::run;
use super::super::client_ip::Client;
use super::super::params::Params;
use super::super::reply::Body;
use super::super::{ApiError, App, body};
use super::respond::{Html, respond};
use super::{link, other, page_lang, return_url, store, store_name};
use crate::domain::{Amount, ClientId, Lang, StoreId};
use crate::merchant::StoreSettings;
use crate::pages::form::{Field, FormError, FormValues, FormView, InvoiceNote, form_page};

/// Characters of a typed value shown back in the form (the fields hold 64).
const ECHO_CHARS_MAX: usize = 64;
/// Digits of an invoice id passed through (WHMCS ids are 32-bit).
const INVOICE_ID_DIGITS_MAX: usize = 10;

/// What the form holds and how it is shown.
struct Filled {
    values: FormValues,
    client_fixed: bool,
    invoice: Option<InvoiceNote>,
}

pub fn show(app: &App, store_id: &str, req: &Request<Incoming>) -> Response<Body> {
    // A query too long to read prefills nothing: the form still works.
    let params = Params::from_query(req.uri().query()).unwrap_or_default();
    let lang = page_lang(&params, req.headers());
    let (store_id, settings) = match store(app, store_id, lang) {
        Ok(found) => found,
        Err(page) => return respond(page, &[]),
    };
    let filled = prefill(&settings, &params);
    let page = form_page(&view(lang, &store_id, &settings, filled, None));
    respond(Html::ok(page), &settings.embed_origins)
}

pub async fn submit(
    app: &App,
    client: Client,
    store_id: &str,
    req: Request<Incoming>,
) -> Response<Body> {
    let browser_lang = req
        .headers()
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .map_or(Lang::En, Lang::from_accept_language);
    let (id, settings) = match store(app, store_id, browser_lang) {
        Ok(found) => found,
        Err(page) => return respond(page, &[]),
    };
    let embed = &settings.embed_origins;
    let read = body::read(req, app.settings.limits.body_bytes_max).await;
    let params = match read.map(|(_, bytes)| Params::from_bytes(&bytes)) {
        Ok(Ok(params)) => params,
        Ok(Err(e)) => {
            let filled = typed(&settings, &Params::default(), &e);
            let page = form_page(&view(browser_lang, &id, &settings, filled, Some(&e)));
            return respond(Html::with_status(e.status(), page), embed);
        }
        Err(e) => {
            let page = Html::message(e.status(), browser_lang, &store_name(&id, &settings));
            return respond(page, embed);
        }
    };
    let lang = match params.get("lang") {
        Some(lang) => Lang::from_param(Some(lang)),
        None => browser_lang,
    };
    match run(app, client, id.as_str(), &params, lang).await {
        Ok(checked) => {
            let back = return_url::allowed(&settings, params.get("return_url"));
            let path = format!("/pay/{id}/payments/{}", checked.record.id);
            let pairs = [
                ("lang", lang.code()),
                ("return_url", back.as_deref().unwrap_or("")),
            ];
            respond(Html::see_other(link(&path, &pairs)), embed)
        }
        Err(e) => respond(refused(&id, &settings, &params, lang, &e), embed),
    }
}

/// The answer to a check that was refused: the form again with the
/// message, or a page of its own for what the customer cannot fix.
fn refused(
    id: &StoreId,
    settings: &StoreSettings,
    params: &Params,
    lang: Lang,
    e: &ApiError,
) -> Html {
    match e {
        ApiError::UnknownStore | ApiError::InvalidStoreId => Html::not_found(lang),
        ApiError::Storage(_) | ApiError::BodyTooLarge => {
            if let ApiError::Storage(cause) = e {
                tracing::error!(error = %cause, "a pay page check could not be stored");
            }
            Html::message(e.status(), lang, &store_name(id, settings))
        }
        _ => {
            let filled = typed(settings, params, e);
            let mut html = Html::with_status(
                e.status(),
                form_page(&view(lang, id, settings, filled, Some(e))),
            );
            if let ApiError::RateLimited { retry_after_s } = e {
                html.retry_after_s = Some(*retry_after_s);
            }
            html
        }
    }
}

/// The form's values from the merchant's link.
fn prefill(settings: &StoreSettings, params: &Params) -> Filled {
    let mut values = FormValues::default();
    let mut invoice = None;
    if let Some(amount) = params.get("amount").and_then(|a| Amount::parse(a).ok()) {
        values.amount = amount.to_string();
    } else if let Some(note) = params
        .get("invoice_amount")
        .and_then(|t| from_invoice(settings, t))
    {
        values.amount = note.egp.clone();
        invoice = Some(note);
    }
    let client = params
        .get("client_id")
        .and_then(|c| ClientId::parse(c).ok());
    values.client_id = client.map(|c| c.to_string()).unwrap_or_default();
    values.invoice_id = invoice_id(params);
    values.return_url = return_url::allowed(settings, params.get("return_url"));
    Filled {
        client_fixed: client.is_some(),
        values,
        invoice,
    }
}

/// The form's values as posted, for showing it again after `error`.
fn typed(settings: &StoreSettings, params: &Params, error: &ApiError) -> Filled {
    let echo = |name: &str| {
        let value = params.get(name).unwrap_or_default().trim();
        value.chars().take(ECHO_CHARS_MAX).collect::<String>()
    };
    let values = FormValues {
        amount: echo("amount"),
        phone: echo("phone"),
        client_id: echo("client_id"),
        invoice_id: invoice_id(params),
        trans_id: echo("trans_id"),
        return_url: return_url::allowed(settings, params.get("return_url")),
    };
    let client_ok = ClientId::parse(&values.client_id).is_ok();
    Filled {
        client_fixed: client_ok && !matches!(error, ApiError::InvalidClientId(_)),
        values,
        invoice: None,
    }
}

/// `invoice_id` when it is a positive whole number, else nothing.
fn invoice_id(params: &Params) -> String {
    let text = params.get("invoice_id").unwrap_or_default().trim();
    let plausible = !text.is_empty()
        && text.len() <= INVOICE_ID_DIGITS_MAX
        && text.bytes().all(|b| b.is_ascii_digit())
        && text.parse::<u32>().is_ok_and(|n| n > 0);
    if plausible {
        text.to_owned()
    } else {
        String::new()
    }
}

/// An invoice total in the store's currency, in whole EGP rounded up.
fn from_invoice(settings: &StoreSettings, total: &str) -> Option<InvoiceNote> {
    let total = Amount::parse(total).ok()?;
    let egp = total.value().checked_mul(settings.currency_rate)?.ceil();
    let egp = Amount::from_decimal(egp).ok()?;
    Some(InvoiceNote {
        total: total.to_string(),
        currency_label: settings.currency_label.clone(),
        rate: settings.currency_rate.to_string(),
        egp: whole(egp.value()),
    })
}

/// A whole amount without decimals (`101`).
fn whole(value: Decimal) -> String {
    value.trunc().normalize().to_string()
}

fn view(
    lang: Lang,
    id: &StoreId,
    settings: &StoreSettings,
    filled: Filled,
    error: Option<&ApiError>,
) -> FormView {
    let Filled {
        values,
        client_fixed,
        invoice,
    } = filled;
    let amount_known = Amount::parse(&values.amount).is_ok();
    let error = error.map(|e| FormError {
        field: field_of(e),
        message: e.message(lang),
    });
    let (amount_name, amount_value) = match &invoice {
        Some(note) => ("invoice_amount", note.total.as_str()),
        None => ("amount", values.amount.as_str()),
    };
    let client = if client_fixed {
        values.client_id.as_str()
    } else {
        ""
    };
    let other_language_href = link(
        &format!("/pay/{id}"),
        &[
            ("lang", other(lang).code()),
            (amount_name, amount_value),
            ("client_id", client),
            ("invoice_id", &values.invoice_id),
            ("return_url", values.return_url.as_deref().unwrap_or("")),
        ],
    );
    FormView {
        lang,
        store_id: id.to_string(),
        store_name: store_name(id, settings),
        wallet_numbers: settings.wallet_numbers.clone(),
        values,
        client_fixed,
        amount_known,
        invoice,
        error,
        other_language_href,
    }
}

/// The field a refusal is about, if any.
fn field_of(error: &ApiError) -> Option<Field> {
    match error {
        ApiError::InvalidPhone(_) => Some(Field::Phone),
        ApiError::InvalidAmount(_) => Some(Field::Amount),
        ApiError::InvalidClientId(_) => Some(Field::Client),
        ApiError::InvalidReference(_) => Some(Field::Reference),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_invoice_total_is_converted_and_rounded_up_to_whole_pounds() {
        let settings = StoreSettings {
            currency_rate: Decimal::new(5050, 2),
            currency_label: "USD".into(),
            ..StoreSettings::default()
        };
        let note = from_invoice(&settings, "2").unwrap();
        assert_eq!(note.egp, "101");
        let note = from_invoice(&settings, "2.01").unwrap();
        assert_eq!(note.egp, "102", "101.505 rounds up");
        assert_eq!(note.rate, "50.50");
        assert!(from_invoice(&settings, "-2").is_none());
        assert!(from_invoice(&settings, "1e3").is_none());
        assert!(
            from_invoice(&settings, "9999999").is_none(),
            "too large in EGP"
        );
    }

    #[test]
    fn only_a_positive_32_bit_invoice_id_is_passed_through() {
        let id = |q: &str| invoice_id(&Params::from_query(Some(q)).unwrap());
        assert_eq!(id("invoice_id=1042"), "1042");
        for bad in [
            "invoice_id=0",
            "invoice_id=-1",
            "invoice_id=4294967296",
            "invoice_id=1a",
            "",
        ] {
            assert_eq!(id(bad), "", "{bad}");
        }
    }
}
