//! Bearer tokens: `Authorization: Bearer <token>`, compared in constant time.

use http::HeaderMap;

use crate::domain::Secret;

/// Whether the request carries `expected` as its bearer token. An empty
/// expected token matches nothing.
pub fn bearer_matches(headers: &HeaderMap, expected: &Secret) -> bool {
    bearer(headers).is_some_and(|token| expected.matches(token))
}

/// The request's bearer token, if it has one.
pub fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())?;
    let token = value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))?;
    Some(token.trim())
}
