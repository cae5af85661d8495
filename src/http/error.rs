//! Every API error, its HTTP status and its message in English and
//! Arabic, mapped in this one place.

use http::{HeaderValue, Response, StatusCode, header};
use serde::Serialize;

use super::reply::{Body, json};
use crate::antispam::RetryAfter;
use crate::domain::Lang;
use crate::machine::StateName;
use crate::merchant::StoreError;
use crate::payments::DbError;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("invalid phone: {0}")]
    InvalidPhone(String),
    #[error("invalid amount: {0}")]
    InvalidAmount(String),
    #[error("invalid client id: {0}")]
    InvalidClientId(String),
    /// A check's `trans_id` that cannot be a reference number.
    #[error("invalid reference number: {0}")]
    InvalidReference(String),
    #[error("invalid store id")]
    InvalidStoreId,
    #[error("unknown store")]
    UnknownStore,
    #[error("unknown payment")]
    UnknownPayment,
    #[error("unknown transaction")]
    UnknownTransaction,
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    /// A store's settings that cannot be saved (422, the field named).
    #[error("invalid store: {0}")]
    InvalidStore(StoreError),
    /// A check for a store that lacks what a credit needs (saved under
    /// older rules): refused before it can claim a customer's transfer.
    #[error("store not ready: {0}")]
    StoreNotReady(StoreError),
    #[error("no such route")]
    NotFound,
    #[error("method not allowed")]
    MethodNotAllowed,
    #[error("unauthorized")]
    Unauthorized,
    /// A valid store key asked for what only the admin token may do.
    #[error("forbidden")]
    Forbidden,
    #[error("rate limited")]
    RateLimited { retry_after_s: u64 },
    #[error("body too large")]
    BodyTooLarge,
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("not allowed in state {0}")]
    NotAllowedInState(StateName),
    /// Storage failed: the write could not be made durable (503).
    #[error("storage unavailable: {0}")]
    Storage(#[from] DbError),
}

impl From<RetryAfter> for ApiError {
    /// A refused rate limit: 429 with `Retry-After`.
    fn from(RetryAfter(retry_after_s): RetryAfter) -> ApiError {
        ApiError::RateLimited { retry_after_s }
    }
}

impl ApiError {
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::InvalidPhone(_) => "invalid_phone",
            ApiError::InvalidAmount(_) => "invalid_amount",
            ApiError::InvalidClientId(_) => "invalid_client_id",
            ApiError::InvalidStoreId => "invalid_store_id",
            ApiError::UnknownStore => "unknown_store",
            ApiError::UnknownPayment => "unknown_payment",
            ApiError::InvalidRequest(_)
            | ApiError::InvalidStore(_)
            | ApiError::InvalidReference(_)
            | ApiError::NotFound
            | ApiError::MethodNotAllowed => "invalid_request",
            ApiError::StoreNotReady(_) => "store_not_ready",
            ApiError::UnknownTransaction => "unknown_transaction",
            ApiError::Unauthorized | ApiError::Forbidden => "unauthorized",
            ApiError::RateLimited { .. } => "rate_limited",
            ApiError::BodyTooLarge => "body_too_large",
            ApiError::Conflict(_) => "conflict",
            ApiError::NotAllowedInState(_) => "not_allowed_in_state",
            ApiError::Storage(_) => "unavailable",
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::InvalidPhone(_)
            | ApiError::InvalidAmount(_)
            | ApiError::InvalidClientId(_)
            | ApiError::InvalidStoreId
            | ApiError::InvalidReference(_)
            | ApiError::InvalidRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::UnknownStore
            | ApiError::UnknownPayment
            | ApiError::UnknownTransaction
            | ApiError::NotFound => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Unauthorized => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden => StatusCode::FORBIDDEN,
            ApiError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::BodyTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::InvalidStore(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Conflict(_) | ApiError::NotAllowedInState(_) | ApiError::StoreNotReady(_) => {
                StatusCode::CONFLICT
            }
            ApiError::Storage(_) => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    /// The message a customer (public endpoints) or operator reads.
    pub fn message(&self, lang: Lang) -> String {
        match lang {
            Lang::En => self.message_en(),
            Lang::Ar => self.message_ar().to_owned(),
        }
    }

    fn message_en(&self) -> String {
        match self {
            ApiError::InvalidPhone(_) => {
                "The phone number is not an Egyptian mobile number (like 01012345678).".into()
            }
            ApiError::InvalidAmount(_) => {
                "The amount must be a positive number with at most two decimals.".into()
            }
            ApiError::InvalidClientId(_) => "No valid client id was given.".into(),
            ApiError::InvalidReference(_) => {
                "The reference number is not valid: it has only letters and digits (like 014412345678).".into()
            }
            ApiError::InvalidStoreId => "The store id is not valid.".into(),
            ApiError::UnknownStore => "This store is not known.".into(),
            ApiError::UnknownPayment => "This payment is not known.".into(),
            ApiError::UnknownTransaction => "This transaction is not known in this store.".into(),
            ApiError::InvalidRequest(why) => format!("The request is not valid: {why}"),
            ApiError::InvalidStore(why) => format!("The store is not valid: {why}"),
            ApiError::StoreNotReady(_) => {
                "This store cannot take payments yet: its settings are incomplete.".into()
            }
            ApiError::NotFound => "There is nothing at this address.".into(),
            ApiError::MethodNotAllowed => "This method is not allowed here.".into(),
            ApiError::Unauthorized => "A valid token is required.".into(),
            ApiError::Forbidden => "This needs the admin token.".into(),
            ApiError::RateLimited { retry_after_s } => {
                format!("Too many requests. Please try again in {retry_after_s} seconds.")
            }
            ApiError::BodyTooLarge => "The request body is too large.".into(),
            ApiError::Conflict(why) => format!("Conflict: {why}"),
            ApiError::NotAllowedInState(state) => {
                format!("Not allowed while the payment is {state}.")
            }
            ApiError::Storage(_) => {
                "The service cannot save right now. Please try again shortly.".into()
            }
        }
    }

    fn message_ar(&self) -> &'static str {
        match self {
            ApiError::InvalidPhone(_) => "رقم الهاتف ليس رقم محمول مصري صحيح (مثل 01012345678).",
            ApiError::InvalidAmount(_) => "يجب أن يكون المبلغ رقمًا موجبًا بحد أقصى رقمين عشريين.",
            ApiError::InvalidClientId(_) => "لم يتم إرسال رقم عميل صحيح.",
            ApiError::InvalidReference(_) => {
                "رقم العملية غير صحيح: يتكون من حروف وأرقام فقط (مثل 014412345678)."
            }
            ApiError::InvalidStoreId => "رقم المتجر غير صحيح.",
            ApiError::UnknownStore => "هذا المتجر غير معروف.",
            ApiError::UnknownPayment => "هذه العملية غير معروفة.",
            ApiError::InvalidRequest(_) | ApiError::InvalidStore(_) => "الطلب غير صحيح.",
            ApiError::StoreNotReady(_) => {
                "لا يمكن لهذا المتجر استقبال المدفوعات بعد: إعداداته غير مكتملة."
            }
            ApiError::UnknownTransaction => "هذا التحويل غير معروف في هذا المتجر.",
            ApiError::NotFound => "لا يوجد شيء على هذا العنوان.",
            ApiError::MethodNotAllowed => "هذه الطريقة غير مسموح بها هنا.",
            ApiError::Unauthorized => "مطلوب رمز دخول صحيح.",
            ApiError::Forbidden => "هذا الإجراء يحتاج رمز المشرف العام.",
            ApiError::RateLimited { .. } => "طلبات كثيرة جدًا. من فضلك حاول مرة أخرى بعد قليل.",
            ApiError::BodyTooLarge => "حجم الطلب كبير جدًا.",
            ApiError::Conflict(_) => "يوجد تعارض مع بيانات محفوظة.",
            ApiError::NotAllowedInState(_) => "هذا الإجراء غير مسموح في حالة العملية الحالية.",
            ApiError::Storage(_) => "لا يمكن الحفظ الآن. من فضلك حاول مرة أخرى بعد قليل.",
        }
    }

    /// The JSON error response, with `Retry-After` when rate-limited.
    pub fn response(&self, lang: Lang) -> Response<Body> {
        if let ApiError::Storage(e) = self {
            tracing::error!(error = %e, "storage failure answered with 503");
        }
        let body = ErrorBody {
            status: false,
            error: self.code(),
            field: match self {
                ApiError::InvalidStore(e) => Some(&e.field),
                _ => None,
            },
            message: self.message(lang),
        };
        let mut response = json(self.status(), &body);
        if let ApiError::RateLimited { retry_after_s } = self {
            let v = HeaderValue::from(*retry_after_s);
            response.headers_mut().insert(header::RETRY_AFTER, v);
        }
        response
    }
}

/// Every error reply's body. A struct rather than a `json!` map: a 429 is
/// the answer a flood gets, and it should cost as little as possible.
#[derive(Serialize)]
struct ErrorBody<'a> {
    status: bool,
    error: &'static str,
    /// The refused field of a store (`whmcs.api_url`; empty: the body).
    #[serde(skip_serializing_if = "Option::is_none")]
    field: Option<&'a str>,
    message: String,
}
