//! `GET /pay/{store_id}/payments/{payment_id}`: the status page. The
//! payment id is the only capability, so an unknown id and another store's
//! payment are both "not found". Reads count against the per-IP poll limit
//! (the page reloads every 10 s without script, and the script fetches it
//! after each change).
//!
//! Showing the customer the credit is the reply that reports it, as a
//! check reply's `"status": true` does: the payment is marked reported, so
//! that the next identical form starts a new payment instead of showing
//! this one again (one transfer never pays twice).

use http::{Method, Request, Response, StatusCode};
use hyper::body::Incoming;

use super::super::App;
use super::super::client_ip::Client;
use super::super::params::Params;
use super::super::reply::Body;
use super::respond::{Html, respond};
use super::{link, other, page_lang, return_url, store, store_name};
use crate::antispam::{IpKey, RetryAfter};
use crate::domain::{Lang, PaymentId, StoreId};
use crate::machine::StateName;
use crate::merchant::StoreSettings;
use crate::pages::status::{DemoPart, StatusView, status_page};
use crate::payments::PaymentRecord;

/// Digits of the paying phone the page shows.
const PHONE_DIGITS_SHOWN: usize = 3;

pub async fn show(
    app: &App,
    client: Client,
    store_id: &str,
    payment_id: &str,
    req: &Request<Incoming>,
) -> Response<Body> {
    let params = Params::from_query(req.uri().query()).unwrap_or_default();
    let lang = page_lang(&params, req.headers());
    if let Err(RetryAfter(seconds)) = app.limits.poll_ip.check(&IpKey::of(client.ip)) {
        let mut page = Html::message(StatusCode::TOO_MANY_REQUESTS, lang, "cashgate");
        page.retry_after_s = Some(seconds);
        return respond(page, &[]);
    }
    let (id, settings) = match store(app, store_id, lang) {
        Ok(found) => found,
        Err(page) => return respond(page, &[]),
    };
    let record = match payment(app, &id, payment_id) {
        Ok(record) => record,
        Err(status) => {
            let page = Html::message(status, lang, &store_name(&id, &settings));
            return respond(page, &settings.embed_origins);
        }
    };
    if req.method() == Method::GET {
        report_credit(app, &record).await;
    }
    let view = view(app, lang, &id, &settings, &params, &record);
    respond(Html::ok(status_page(&view)), &settings.embed_origins)
}

/// The store's payment `payment_id`, or the status to answer.
fn payment(app: &App, store: &StoreId, payment_id: &str) -> Result<PaymentRecord, StatusCode> {
    let id = PaymentId::parse(payment_id).map_err(|_| StatusCode::NOT_FOUND)?;
    match app.payments.payment(&id) {
        Ok(Some(record)) if record.store_id == *store => Ok(record),
        Ok(_) => Err(StatusCode::NOT_FOUND),
        Err(e) => {
            tracing::error!(error = %e, "payment unreadable for its status page");
            Err(StatusCode::SERVICE_UNAVAILABLE)
        }
    }
}

/// Marks a credited payment reported (see the module's header). A failure
/// only means a later identical form shows this payment once more.
async fn report_credit(app: &App, record: &PaymentRecord) {
    if record.state_name() != StateName::Credited || record.credit_reported {
        return;
    }
    let reported = match app.payments.report_credit(&record.id) {
        Ok(written) => written.durable().await,
        Err(e) => Err(e),
    };
    if let Err(e) = reported {
        tracing::warn!(payment_id = %record.id, error = %e, "the credit shown on the status page was not marked reported");
    }
}

fn view(
    app: &App,
    lang: Lang,
    id: &StoreId,
    settings: &StoreSettings,
    params: &Params,
    record: &PaymentRecord,
) -> StatusView {
    let state = record.state_name();
    let back = return_url::allowed(settings, params.get("return_url"));
    let back_text = back.as_deref().unwrap_or("");
    let path = format!("/pay/{id}/payments/{}", record.id);
    let amount = record.amount.to_string();
    let client = record.client_id.to_string();
    let phone = record.phone.as_str();
    let phone_tail = phone
        .get(phone.len().saturating_sub(PHONE_DIGITS_SHOWN)..)
        .unwrap_or_default()
        .to_owned();
    let credit = record.claim.as_ref().map(|claim| {
        let mut credit = claim.credit_amount;
        credit.rescale(2);
        format!("{credit} {}", settings.currency_label)
    });
    let demo = match (app.settings.demo, state) {
        (true, StateName::Searching) => DemoPart::SimulateSms {
            action: format!("{path}/simulate-sms"),
        },
        (true, StateName::Held) => DemoPart::ApprovalEmail,
        _ => DemoPart::None,
    };
    StatusView {
        lang,
        store_name: store_name(id, settings),
        payment_id: record.id.to_string(),
        state,
        amount: amount.clone(),
        credit,
        phone_tail,
        form_href: link(
            &format!("/pay/{id}"),
            &[
                ("lang", lang.code()),
                ("amount", &amount),
                ("client_id", &client),
                ("return_url", back_text),
            ],
        ),
        other_language_href: link(
            &path,
            &[("lang", other(lang).code()), ("return_url", back_text)],
        ),
        return_url: back,
        demo,
    }
}
