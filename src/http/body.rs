//! Reading request bodies within `limits.body_bytes_max`.

use bytes::Bytes;
use http::Request;
use http::request::Parts;
use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;

use super::ApiError;

/// The head and the whole body, or `body_too_large` past the limit.
pub async fn read(req: Request<Incoming>, limit: usize) -> Result<(Parts, Bytes), ApiError> {
    let declared = req
        .headers()
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > u64::try_from(limit).unwrap_or(u64::MAX)) {
        return Err(ApiError::BodyTooLarge);
    }
    let (parts, body) = req.into_parts();
    match Limited::new(body, limit).collect().await {
        Ok(collected) => Ok((parts, collected.to_bytes())),
        Err(e) if e.is::<http_body_util::LengthLimitError>() => Err(ApiError::BodyTooLarge),
        Err(_) => Err(ApiError::InvalidRequest(
            "the body could not be read".into(),
        )),
    }
}
