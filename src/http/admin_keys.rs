//! `/admin/stores/{id}/keys`: the admin token makes, lists and revokes a
//! store's keys. A new key is in the `201` reply and nowhere else, ever:
//! not in a list, not in a log line.

use http::{Method, Request, Response, StatusCode};
use hyper::body::Incoming;
use serde_json::json;

use super::access::Principal;
use super::params::store_id;
use super::reply::{Body, json};
use super::{ApiError, App, body};
use crate::domain::KeyName;
use crate::store_keys::KeyRefused;

/// `rest` is what follows `/admin/stores/{id}/keys`.
pub async fn route(
    app: &App,
    who: &Principal,
    id: &str,
    rest: &[&str],
    req: Request<Incoming>,
) -> Result<Response<Body>, ApiError> {
    who.require_admin()?;
    let store = store_id(id)?;
    if app.stores.get(&store)?.is_none() {
        return Err(ApiError::UnknownStore);
    }
    let keys = app.stores.keys();
    match (rest, req.method()) {
        ([], &Method::POST) => {
            let (_, bytes) = body::read(req, app.settings.limits.body_bytes_max).await?;
            let name = requested_name(&bytes)?;
            let made = match keys.create(&store, &name, app.clock.now())? {
                Ok(pending) => pending.durable().await?,
                Err(refused @ (KeyRefused::NameTaken | KeyRefused::TooMany)) => {
                    return Err(ApiError::Conflict(refused.to_string()));
                }
            };
            tracing::info!(store_id = %store, key = %made.name, "store key created");
            let reply = json!({"status": true, "name": made.name, "key": made.key.expose(),
                "created_at": made.created_at});
            Ok(json(StatusCode::CREATED, &reply))
        }
        ([], &Method::GET) => {
            let listed: Vec<_> = keys
                .list(&store)?
                .into_iter()
                .map(|k| json!({"name": k.name, "created_at": k.created_at, "last_used_at": k.last_used_at}))
                .collect();
            Ok(json(
                StatusCode::OK,
                &json!({"status": true, "keys": listed}),
            ))
        }
        ([name], &Method::DELETE) => {
            let name = KeyName::parse(name).map_err(|_| ApiError::NotFound)?;
            let revoked = keys.revoke(&store, &name)?.ok_or(ApiError::NotFound)?;
            let revoked = revoked.durable().await?;
            tracing::info!(store_id = %store, key = %revoked.name, "store key revoked");
            Ok(json(
                StatusCode::OK,
                &json!({"status": true, "revoked": revoked.name}),
            ))
        }
        ([] | [_], _) => Err(ApiError::MethodNotAllowed),
        _ => Err(ApiError::NotFound),
    }
}

/// The `name` of a `{"name": "..."}` body.
fn requested_name(bytes: &[u8]) -> Result<KeyName, ApiError> {
    let value: serde_json::Value = serde_json::from_slice(bytes)
        .map_err(|_| ApiError::InvalidRequest("the body must be JSON".into()))?;
    let name = value
        .get("name")
        .and_then(serde_json::Value::as_str)
        .ok_or_else(|| ApiError::InvalidRequest("name is required".into()))?;
    KeyName::parse(name).map_err(|e| ApiError::InvalidRequest(e.to_string()))
}
