//! Bearer tokens: `Authorization: Bearer <token>`, compared in constant
//! time, with wrong tokens limited per client address.

use http::HeaderMap;

use super::client_ip::Client;
use super::{ApiError, App};
use crate::antispam::IpKey;
use crate::domain::Secret;

/// Lets an admin (or metrics) request through if its bearer token is one
/// of `accepted`. Wrong tokens are counted per client address; an address
/// that used up its wrong tokens gets `429` without its token being
/// compared, so guessing stays slow however it ends (were the token
/// compared anyway, a right guess would still get in). Right tokens spend
/// nothing.
pub fn authorise(
    app: &App,
    client: &Client,
    headers: &HeaderMap,
    accepted: &[&Secret],
) -> Result<(), ApiError> {
    let address = IpKey::of(client.ip);
    app.limits.admin_failures_ip.peek(&address)?;
    if accepted.iter().any(|token| bearer_matches(headers, token)) {
        return Ok(());
    }
    // This answer is 401 whatever the count; the next one from here may be 429.
    let _ = app.limits.admin_failures_ip.check(&address);
    Err(ApiError::Unauthorized)
}

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
