//! Bearer tokens: `Authorization: Bearer <token>`, compared in constant time.

use http::HeaderMap;

use crate::domain::Secret;

/// Whether the request carries `expected` as its bearer token. An empty
/// expected token matches nothing.
pub fn bearer_matches(headers: &HeaderMap, expected: &Secret) -> bool {
    let Some(value) = headers
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let Some(token) = value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))
    else {
        return false;
    };
    expected.matches(token.trim())
}
