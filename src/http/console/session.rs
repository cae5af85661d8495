//! Console sessions, in memory: a random id in the `cashgate_session`
//! cookie (only its SHA-256 is the map's key), the principal that signed
//! in, and a CSRF token bound to the session that every form carries.
//! A session ends at sign-out, after `console.session_idle_ms` without a
//! request (business time, so tests can move it), when its store key is
//! revoked, and when the daemon restarts (sessions are not saved: signing
//! in again is cheap, and nothing on disk can be stolen to resume one).
//! At most `console.sessions_max` are kept; past it, a new sign-in drops
//! the expired ones, then the one idle the longest.

use std::collections::HashMap;
use std::sync::Mutex;

use jiff::{SignedDuration, Timestamp};
use sha2::{Digest, Sha256};

use crate::config::ConsoleSettings;
use crate::db::DbError;
use crate::domain::Secret;
use crate::http::access::Principal;

/// The session cookie's name (the design's).
pub const SESSION_COOKIE: &str = "cashgate_session";
/// The sign-in form's CSRF cookie (there is no session yet to bind it to).
pub const LOGIN_COOKIE: &str = "cashgate_login";
/// Random bytes of a session id and of a CSRF token.
const TOKEN_BYTES: usize = 32;

/// A signed-in operator.
#[derive(Debug, Clone)]
pub struct Session {
    pub principal: Principal,
    /// The value every form of this session posts as `csrf`.
    pub csrf: Secret,
    last_seen: Timestamp,
}

/// Every open session.
pub struct Sessions {
    by_hash: Mutex<HashMap<[u8; 32], Session>>,
    idle: SignedDuration,
    max: usize,
}

/// A new random token, URL-safe.
pub fn random_token() -> Result<String, DbError> {
    let mut bytes = [0u8; TOKEN_BYTES];
    getrandom::fill(&mut bytes).map_err(|_| DbError::Random)?;
    Ok(data_encoding::BASE64URL_NOPAD.encode(&bytes))
}

/// The `Set-Cookie` value that gives the sign-in form its CSRF value.
pub fn login_cookie(csrf: &str) -> String {
    format!("{LOGIN_COOKIE}={csrf}; Path=/console/login; HttpOnly; SameSite=Strict")
}

fn hash(id: &str) -> [u8; 32] {
    Sha256::digest(id.as_bytes()).into()
}

impl Sessions {
    pub fn new(settings: &ConsoleSettings) -> Sessions {
        let idle_ms = i64::try_from(settings.session_idle_ms).unwrap_or(i64::MAX);
        Sessions {
            by_hash: Mutex::default(),
            idle: SignedDuration::from_millis(idle_ms),
            max: settings.sessions_max,
        }
    }

    fn map(&self) -> std::sync::MutexGuard<'_, HashMap<[u8; 32], Session>> {
        self.by_hash.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Opens a session for `principal`; the cookie's value and the session.
    pub fn open(&self, principal: Principal, now: Timestamp) -> Result<(String, Session), DbError> {
        let id = random_token()?;
        let session = Session {
            principal,
            csrf: Secret::new(random_token()?),
            last_seen: now,
        };
        let mut map = self.map();
        if map.len() >= self.max {
            map.retain(|_, s| now.duration_since(s.last_seen) <= self.idle);
        }
        while map.len() >= self.max {
            let Some(oldest) = map.iter().min_by_key(|(_, s)| s.last_seen).map(|(k, _)| *k) else {
                break;
            };
            map.remove(&oldest);
        }
        map.insert(hash(&id), session.clone());
        Ok((id, session))
    }

    /// The live session a cookie's value names, seen again at `now`; an
    /// idle one is closed instead.
    pub fn find(&self, id: &str, now: Timestamp) -> Option<Session> {
        let key = hash(id);
        let mut map = self.map();
        let session = map.get_mut(&key)?;
        if now.duration_since(session.last_seen) > self.idle {
            map.remove(&key);
            return None;
        }
        session.last_seen = session.last_seen.max(now);
        Some(session.clone())
    }

    /// Ends a session (sign-out, or its key was revoked).
    pub fn close(&self, id: &str) {
        self.map().remove(&hash(id));
    }

    pub fn len(&self) -> usize {
        self.map().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The value of cookie `name` in a request's headers, if present.
pub fn cookie<'a>(headers: &'a http::HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v.trim())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sessions(max: usize) -> Sessions {
        Sessions::new(&ConsoleSettings {
            session_idle_ms: 60_000,
            sessions_max: max,
            key_last_use_save_ms: 60_000,
        })
    }

    #[test]
    fn sessions_expire_when_idle_and_end_when_closed() {
        let s = sessions(10);
        let t0 = Timestamp::from_second(1_800_000_000).unwrap();
        let (id, session) = s.open(Principal::Admin, t0).unwrap();
        assert_eq!(session.csrf.expose().len(), 43);
        let later = t0 + SignedDuration::from_secs(50);
        assert!(s.find(&id, later).is_some(), "in use");
        assert!(
            s.find(&id, later + SignedDuration::from_secs(50)).is_some(),
            "idle counts from the last use"
        );
        assert!(
            s.find(&id, later + SignedDuration::from_secs(200))
                .is_none(),
            "idle too long"
        );
        assert!(s.is_empty());
        let (id, _) = s.open(Principal::Admin, t0).unwrap();
        s.close(&id);
        assert!(s.find(&id, t0).is_none());
        assert!(s.find("made-up", t0).is_none());
    }

    #[test]
    fn past_the_bound_the_longest_idle_session_goes() {
        let s = sessions(2);
        let t0 = Timestamp::from_second(1_800_000_000).unwrap();
        let (first, _) = s.open(Principal::Admin, t0).unwrap();
        let (second, _) = s
            .open(Principal::Admin, t0 + SignedDuration::from_secs(1))
            .unwrap();
        let (third, _) = s
            .open(Principal::Admin, t0 + SignedDuration::from_secs(2))
            .unwrap();
        assert_eq!(s.len(), 2);
        let now = t0 + SignedDuration::from_secs(3);
        assert!(s.find(&first, now).is_none());
        assert!(s.find(&second, now).is_some() && s.find(&third, now).is_some());
    }

    #[test]
    fn cookies_are_read_by_exact_name() {
        let mut headers = http::HeaderMap::new();
        headers.insert(
            http::header::COOKIE,
            "a=1; cashgate_session_x=2; cashgate_session=abc"
                .parse()
                .unwrap(),
        );
        assert_eq!(cookie(&headers, SESSION_COOKIE), Some("abc"));
        assert_eq!(cookie(&headers, "b"), None);
    }
}
