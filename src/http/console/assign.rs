//! `POST /console/transactions/{store}/{trans_id}/assign`: an operator
//! gives a transaction that waits for one to a `searching` payment of the
//! same store and amount — the admin API's own use case
//! (`Payments::assign`), made as the signed-in principal. Another store's
//! ids are "not found", as everywhere in the console; a refusal shows the
//! transactions page again with why (`404` or `409`, as the admin API
//! answers), and nothing changes.

use http::StatusCode;

use super::lists::{pickable, transactions_of};
use super::reply::{PageError, Reply};
use super::views::assign::{Refusal, not_a_payment_id, refusal_text};
use super::{Signed, forms};
use crate::domain::{PaymentId, TransId};
use crate::http::params::{Params, store_id};
use crate::payments::{AssignRefused, AssignRequest};

pub async fn assign(
    s: &Signed<'_>,
    form: &Params,
    store: &str,
    trans_id: &str,
) -> Result<Reply, PageError> {
    let store = store_id(store).map_err(|_| PageError::NotFound)?;
    s.principal().check_store(&store, PageError::NotFound)?;
    let trans_id = TransId::parse(trans_id).map_err(|_| PageError::NotFound)?;
    let note = forms::note(form)?;
    let typed = form.get("payment_id").map(str::trim).unwrap_or_default();
    let refused = |message: String, status: StatusCode| {
        let refusal = Refusal {
            trans_id: &trans_id,
            message,
            payment_id: typed,
            note: note.as_deref().unwrap_or_default(),
        };
        transactions_of(s, &pickable(s)?, &store, Some(&refusal), status)
    };
    let Ok(payment_id) = PaymentId::parse(typed) else {
        return refused(not_a_payment_id(s.ctx.lang), StatusCode::BAD_REQUEST);
    };
    let request = AssignRequest {
        store_id: store.clone(),
        trans_id: trans_id.clone(),
        payment_id,
        operator: s.principal().actor(&s.ctx.client),
        note: note.clone(),
    };
    match s.ctx.app.payments.assign(&request, s.ctx.now)? {
        Ok(written) => {
            let applied = written.durable().await?;
            let by = s.principal().operator();
            tracing::info!(payment_id = %applied.record.id, trans_id = %trans_id, %by, "transaction assigned from the console");
            Ok(Reply::see_other(format!(
                "/console/payments/{}",
                applied.record.id
            )))
        }
        Err(why) => refused(refusal_text(&why, s.ctx.lang), status_of(&why)),
    }
}

/// As the admin API answers: unknown ids `404`, everything else `409`.
fn status_of(refused: &AssignRefused) -> StatusCode {
    match refused {
        AssignRefused::UnknownTransaction | AssignRefused::UnknownPayment => StatusCode::NOT_FOUND,
        _ => StatusCode::CONFLICT,
    }
}
