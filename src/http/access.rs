//! Who is asking, and what they may see: the one place the access rules
//! of the admin API and the console are written.
//!
//! A request's [`Principal`] is resolved once, from its bearer token (the
//! admin API) or its session (the console): the admin token opens every
//! store; a store key opens its own store only. For a store key, another
//! store's payments, transactions, quarantine and settings do not exist:
//! they answer `404` exactly as an unknown id does, so ids do not leak —
//! so does a store that does not exist yet, which a store key therefore
//! cannot create. What only the admin may do (manage keys, list across
//! stores, back up) answers `403` to a store key, whatever the id.
//!
//! Applying the rules to a route is one call:
//! - a resource of some store: `principal.check_store(&store, ApiError::UnknownPayment)?`
//! - a list: `let store = principal.list_scope(requested_store)?;`
//! - admin only: `principal.require_admin()?`

use http::HeaderMap;
use jiff::Timestamp;

use super::client_ip::Client;
use super::{ApiError, App, auth};
use crate::antispam::IpKey;
use crate::domain::StoreId;
use crate::machine::{Actor, OperatorName};
use crate::store_keys::KeyHolder;

/// Who a request acts for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// The admin token: every store.
    Admin,
    /// A store key: its own store, nothing else.
    StoreKey(KeyHolder),
}

impl Principal {
    /// How audit entries name this principal: `admin` or `key:<name>`.
    pub fn operator(&self) -> OperatorName {
        match self {
            Principal::Admin => OperatorName::Admin,
            Principal::StoreKey(holder) => OperatorName::Key(holder.name.clone()),
        }
    }

    /// The actor of a decision this principal makes from `client`.
    pub fn actor(&self, client: &Client) -> Actor {
        Actor::Operator {
            by: self.operator(),
            ip: Some(client.ip.to_string()),
        }
    }

    /// The store a store key belongs to (`None` for the admin).
    pub fn own_store(&self) -> Option<&StoreId> {
        match self {
            Principal::Admin => None,
            Principal::StoreKey(holder) => Some(&holder.store),
        }
    }

    pub fn is_admin(&self) -> bool {
        matches!(self, Principal::Admin)
    }

    /// Whether this principal may see anything of `store`.
    pub fn may_see(&self, store: &StoreId) -> bool {
        self.own_store().is_none_or(|own| own == store)
    }

    /// `Ok` when this principal may see `store`'s resource; otherwise the
    /// resource's own "not found" error (`UnknownPayment`, `UnknownStore`,
    /// ...), never a `403` that would confirm the id exists.
    pub fn check_store<E>(&self, store: &StoreId, not_found: E) -> Result<(), E> {
        if self.may_see(store) {
            Ok(())
        } else {
            Err(not_found)
        }
    }

    /// `403` unless this is the admin token.
    pub fn require_admin(&self) -> Result<(), ApiError> {
        if self.is_admin() {
            Ok(())
        } else {
            Err(ApiError::Forbidden)
        }
    }

    /// The store a list is limited to. The admin may ask for one store or
    /// for all (`None`); a store key must name its own store (another
    /// store is not found, no store at all is a cross-store list: `403`).
    pub fn list_scope(&self, requested: Option<StoreId>) -> Result<Option<StoreId>, ApiError> {
        match (self.own_store(), requested) {
            (None, requested) => Ok(requested),
            (Some(_), None) => Err(ApiError::Forbidden),
            (Some(own), Some(requested)) if *own == requested => Ok(Some(requested)),
            (Some(_), Some(_)) => Err(ApiError::UnknownStore),
        }
    }
}

impl Principal {
    /// The store a console list shows: the one asked for, else a store
    /// key's own (the console never asks a store key to name it).
    pub fn scope_or_own(&self, requested: Option<StoreId>) -> Result<Option<StoreId>, ApiError> {
        self.list_scope(requested.or_else(|| self.own_store().cloned()))
    }
}

/// The principal a token stands for: the admin token (compared in
/// constant time), else an existing store key, else nobody.
pub fn principal_of(app: &App, token: &str, now: Timestamp) -> Result<Option<Principal>, ApiError> {
    if app.admin_token.matches(token) {
        return Ok(Some(Principal::Admin));
    }
    let holder = app.stores.keys().authenticate(token, now)?;
    Ok(holder.map(Principal::StoreKey))
}

/// The principal of an admin API request's bearer token. No or a wrong
/// token is `401`; wrong tokens are limited per client address (`429`),
/// so guessing is slow.
pub fn authenticate(
    app: &App,
    client: &Client,
    headers: &HeaderMap,
) -> Result<Principal, ApiError> {
    // An address that used up its wrong tokens is not even compared, so
    // guessing stays slow however it ends.
    let address = IpKey::of(client.ip);
    app.limits.admin_failures_ip.peek(&address)?;
    let principal = match auth::bearer(headers) {
        Some(token) => principal_of(app, token, app.clock.now())?,
        None => None,
    };
    match principal {
        Some(principal) => Ok(principal),
        None => {
            // This answer is 401 whatever the count; the next may be 429.
            let _ = app.limits.admin_failures_ip.check(&address);
            Err(ApiError::Unauthorized)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::KeyName;

    fn key_of(store: &str) -> Principal {
        Principal::StoreKey(KeyHolder::for_tests(
            StoreId::parse(store).unwrap(),
            KeyName::parse("laptop").unwrap(),
        ))
    }

    #[test]
    fn a_store_key_sees_its_own_store_only_and_other_stores_are_not_found() {
        let five = StoreId::parse("5").unwrap();
        let six = StoreId::parse("6").unwrap();
        let key = key_of("5");
        assert!(key.may_see(&five) && !key.may_see(&six));
        assert!(key.check_store(&five, ApiError::UnknownPayment).is_ok());
        let hidden = key.check_store(&six, ApiError::UnknownPayment).unwrap_err();
        assert_eq!(hidden.status(), 404);
        assert_eq!(key.require_admin().unwrap_err().status(), 403);
        assert_eq!(key.list_scope(None).unwrap_err().status(), 403);
        assert_eq!(key.list_scope(Some(six.clone())).unwrap_err().status(), 404);
        assert_eq!(
            key.list_scope(Some(five.clone())).unwrap(),
            Some(five.clone())
        );
        assert_eq!(key.operator().to_string(), "key:laptop");

        let admin = Principal::Admin;
        assert!(admin.may_see(&six) && admin.require_admin().is_ok());
        assert_eq!(admin.list_scope(None).unwrap(), None);
        assert_eq!(admin.operator().to_string(), "admin");
    }
}
