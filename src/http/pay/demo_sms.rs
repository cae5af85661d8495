//! `POST /pay/{store_id}/payments/{payment_id}/simulate-sms`, routed only
//! when `settings.demo` is on (`cashgate demo`; never `serve`). It stands
//! in for the merchant's phone: it writes the Vodafone Cash receipt a
//! transfer of this payment's amount from its phone would bring (the
//! operator's Arabic layout, a fresh reference number, Egypt's local time)
//! and posts it through the same path as the SMS forwarder's
//! (`ingest::sms`: parser, store, matching). Then back to the status page.

use http::{Request, Response};
use hyper::body::Incoming;
use jiff::Timestamp;

use super::super::ingest;
use super::super::reply::Body;
use super::super::{ApiError, App};
use super::respond::{Html, respond};
use super::store;
use crate::domain::{Lang, PaymentId, StoreId, TransId};
use crate::machine::StateName;
use crate::merchant::StoreSettings;
use crate::payments::PaymentRecord;
use crate::sms::{Layout, ParsedSms};

/// The sender id the operator's receipts come from.
const SENDER: &str = "VF-Cash";
/// The receipts' time zone.
const EGYPT_TZ: &str = "Africa/Cairo";

pub async fn simulate(
    app: &App,
    store_id: &str,
    payment_id: &str,
    _req: Request<Incoming>,
) -> Response<Body> {
    let (id, settings) = match store(app, store_id, Lang::En) {
        Ok(found) => found,
        Err(page) => return respond(page, &[]),
    };
    let record = PaymentId::parse(payment_id)
        .ok()
        .and_then(|p| app.payments.payment(&p).ok().flatten())
        .filter(|r| r.store_id == id);
    let Some(record) = record else {
        return respond(Html::not_found(Lang::En), &settings.embed_origins);
    };
    let back = format!(
        "/pay/{id}/payments/{}?lang={}",
        record.id,
        record.lang.code()
    );
    if record.state_name() == StateName::Searching
        && let Err(e) = send(app, &id, &settings, &record).await
    {
        tracing::warn!(error = %e, payment_id = %record.id, "the demo's SMS was not taken");
    }
    respond(Html::see_other(back), &settings.embed_origins)
}

/// Posts the receipt of this payment's transfer, as the forwarder would.
async fn send(
    app: &App,
    store_id: &StoreId,
    settings: &StoreSettings,
    record: &PaymentRecord,
) -> Result<(), ApiError> {
    app.limits.ingest_store.check(&store_id.as_str())?;
    let text = receipt(record, settings, app.clock.now())?;
    let answer = ingest::sms(app, store_id, SENDER, &text).await?;
    tracing::info!(payment_id = %record.id, status = %answer.status(), "demo: the wallet's SMS was posted");
    Ok(())
}

/// The operator's receipt for this payment's transfer, received `now`.
fn receipt(
    record: &PaymentRecord,
    settings: &StoreSettings,
    now: Timestamp,
) -> Result<String, ApiError> {
    let local = now
        .in_tz(EGYPT_TZ)
        .map_err(|e| ApiError::InvalidRequest(e.to_string()))?;
    let sms = ParsedSms {
        amount: record.amount,
        phone: Some(record.phone.clone()),
        trans_id: reference()?,
        payer_name: Some("Demo Customer".to_owned()),
        wallet: settings.wallet_numbers.first().cloned(),
        balance: None,
        received_at: now,
        local_time: local.datetime(),
        layout: Layout::Arabic,
    };
    Ok(sms.to_sms_text())
}

/// A fresh 12-digit reference number, as the operator's look (`0144…`).
fn reference() -> Result<TransId, ApiError> {
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes).map_err(|e| ApiError::InvalidRequest(e.to_string()))?;
    let digits: String = bytes.iter().map(|b| char::from(b'0' + b % 10)).collect();
    TransId::parse(&format!("0144{digits}")).map_err(|e| ApiError::InvalidRequest(e.to_string()))
}
