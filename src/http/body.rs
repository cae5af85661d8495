//! Reading request bodies within `limits.body_bytes_max`.

use bytes::{Bytes, BytesMut};
use http::Request;
use http::request::Parts;
use http_body_util::BodyExt;
use hyper::body::Incoming;

use super::ApiError;

/// A body over the limit is still read (and dropped) up to this size
/// before the 413 is sent: a client still sending gets the answer instead
/// of a connection reset. Past it, the connection is simply closed.
const DRAIN_BYTES_MAX: usize = 1024 * 1024;

/// The head and the whole body, or `body_too_large` past the limit.
pub async fn read(req: Request<Incoming>, limit: usize) -> Result<(Parts, Bytes), ApiError> {
    let declared = req
        .headers()
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let (parts, mut body) = req.into_parts();
    let drain = DRAIN_BYTES_MAX.max(limit);
    if declared.is_some_and(|n| n > u64::try_from(drain).unwrap_or(u64::MAX)) {
        return Err(ApiError::BodyTooLarge);
    }
    let mut collected = BytesMut::new();
    let mut seen = 0usize;
    while let Some(frame) = body.frame().await {
        let frame =
            frame.map_err(|_| ApiError::InvalidRequest("the body could not be read".into()))?;
        let Ok(data) = frame.into_data() else {
            continue;
        };
        seen = seen.saturating_add(data.len());
        if seen > drain {
            return Err(ApiError::BodyTooLarge);
        }
        if seen <= limit {
            collected.extend_from_slice(&data);
        }
    }
    if seen > limit {
        return Err(ApiError::BodyTooLarge);
    }
    Ok((parts, collected.freeze()))
}
