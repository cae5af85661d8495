//! Signed approval links and the form nonces of the approval page.
//!
//! A token binds payment id, approver, the payment's version when it was
//! held, and an expiry, under HMAC-SHA256 with a key the daemon generates
//! once and keeps in its data folder. A nonce is a random value with its
//! HMAC over the token: any nonce issued for a token verifies for it (so a
//! mail scanner's GET never invalidates the human's form), and none
//! verifies for another token. Comparisons are constant-time (`verify_slice`).

use std::path::Path;

use data_encoding::{BASE64URL_NOPAD, HEXLOWER};
use hmac::{Hmac, KeyInit, Mac};
use jiff::Timestamp;
use sha2::Sha256;

use crate::data_dir::{APPROVAL_KEY, write_private};
use crate::domain::{Email, PaymentId};

type HmacSha256 = Hmac<Sha256>;

/// Longest token or nonce looked at.
const TOKEN_CHARS_MAX: usize = 600;
const KEY_BYTES: usize = 32;
const NONCE_RANDOM_BYTES: usize = 16;

/// What a valid token says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claims {
    pub payment_id: PaymentId,
    pub approver: Email,
    pub version: u64,
    pub expires_at: Timestamp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("the link is not one of ours")]
    Malformed,
    #[error("the link's signature does not match")]
    BadSignature,
    #[error("the link has expired")]
    Expired,
}

/// The data folder's signing key.
pub struct Signer {
    key: [u8; KEY_BYTES],
}

impl Signer {
    pub fn from_key(key: [u8; KEY_BYTES]) -> Signer {
        Signer { key }
    }

    /// Reads `approval_key` from the data folder, creating it (owner-only)
    /// on first start.
    pub fn load_or_create(data_dir: &Path) -> std::io::Result<Signer> {
        let path = data_dir.join(APPROVAL_KEY);
        match std::fs::read_to_string(&path) {
            Ok(text) => {
                let bytes = HEXLOWER
                    .decode(text.trim().as_bytes())
                    .map_err(|e| std::io::Error::other(format!("{}: {e}", path.display())))?;
                let key: [u8; KEY_BYTES] = bytes.try_into().map_err(|_| {
                    std::io::Error::other(format!("{}: not a 32-byte key", path.display()))
                })?;
                Ok(Signer { key })
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let mut key = [0u8; KEY_BYTES];
                getrandom::fill(&mut key).map_err(|e| std::io::Error::other(e.to_string()))?;
                write_private(&path, &HEXLOWER.encode(&key))?;
                Ok(Signer { key })
            }
            Err(e) => Err(e),
        }
    }

    fn mac(&self, domain: &str, parts: &[&[u8]]) -> HmacSha256 {
        // HMAC pads a key shorter than its block with zeros: padding it
        // here is the same key, and `new` on a whole block cannot fail.
        let mut block = hmac::digest::Key::<HmacSha256>::default();
        block[..KEY_BYTES].copy_from_slice(&self.key);
        let mut mac = <HmacSha256 as KeyInit>::new(&block);
        mac.update(domain.as_bytes());
        for part in parts {
            mac.update(&[0]);
            mac.update(part);
        }
        mac
    }

    /// `v1.{payment}.{version}.{expiry}.{approver}.{mac}`, URL-safe.
    pub fn token(&self, claims: &Claims) -> String {
        let body = format!(
            "v1.{}.{}.{}.{}",
            claims.payment_id,
            claims.version,
            claims.expires_at.as_second(),
            BASE64URL_NOPAD.encode(claims.approver.as_str().as_bytes())
        );
        let tag = self
            .mac("token", &[body.as_bytes()])
            .finalize()
            .into_bytes();
        format!("{body}.{}", BASE64URL_NOPAD.encode(&tag))
    }

    /// Checks form and signature; the caller checks expiry against its clock.
    pub fn verify(&self, token: &str) -> Result<Claims, TokenError> {
        if token.len() > TOKEN_CHARS_MAX {
            return Err(TokenError::Malformed);
        }
        let (body, tag) = token.rsplit_once('.').ok_or(TokenError::Malformed)?;
        let tag = BASE64URL_NOPAD
            .decode(tag.as_bytes())
            .map_err(|_| TokenError::Malformed)?;
        self.mac("token", &[body.as_bytes()])
            .verify_slice(&tag)
            .map_err(|_| TokenError::BadSignature)?;
        parse_body(body).ok_or(TokenError::Malformed)
    }

    /// Verifies and checks the expiry against `now`.
    pub fn verify_at(&self, token: &str, now: Timestamp) -> Result<Claims, TokenError> {
        let claims = self.verify(token)?;
        if now > claims.expires_at {
            return Err(TokenError::Expired);
        }
        Ok(claims)
    }

    /// A fresh nonce for this token's page.
    pub fn nonce(&self, token: &str) -> std::io::Result<String> {
        let mut random = [0u8; NONCE_RANDOM_BYTES];
        getrandom::fill(&mut random).map_err(|e| std::io::Error::other(e.to_string()))?;
        let tag = self
            .mac("nonce", &[token.as_bytes(), &random])
            .finalize()
            .into_bytes();
        Ok(format!(
            "{}.{}",
            BASE64URL_NOPAD.encode(&random),
            BASE64URL_NOPAD.encode(&tag)
        ))
    }

    /// Whether `nonce` was issued for `token` by this key.
    pub fn nonce_valid(&self, token: &str, nonce: &str) -> bool {
        if nonce.len() > TOKEN_CHARS_MAX {
            return false;
        }
        let Some((random, tag)) = nonce.split_once('.') else {
            return false;
        };
        let (Ok(random), Ok(tag)) = (
            BASE64URL_NOPAD.decode(random.as_bytes()),
            BASE64URL_NOPAD.decode(tag.as_bytes()),
        ) else {
            return false;
        };
        self.mac("nonce", &[token.as_bytes(), &random])
            .verify_slice(&tag)
            .is_ok()
    }
}

fn parse_body(body: &str) -> Option<Claims> {
    let mut parts = body.split('.');
    let (Some("v1"), Some(id), Some(version), Some(expiry), Some(approver), None) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return None;
    };
    let approver = BASE64URL_NOPAD.decode(approver.as_bytes()).ok()?;
    Some(Claims {
        payment_id: PaymentId::parse(id).ok()?,
        version: version.parse().ok()?,
        expires_at: Timestamp::from_second(expiry.parse().ok()?).ok()?,
        approver: Email::parse(std::str::from_utf8(&approver).ok()?).ok()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims() -> Claims {
        Claims {
            payment_id: PaymentId::from_random_bytes([7; 26]),
            approver: Email::parse("owner@example.com").unwrap(),
            version: 2,
            expires_at: Timestamp::from_second(1_800_000_000).unwrap(),
        }
    }

    #[test]
    fn a_token_verifies_for_exactly_what_it_was_issued_for() {
        let signer = Signer::from_key([1; 32]);
        let token = signer.token(&claims());
        assert_eq!(signer.verify(&token), Ok(claims()));
        assert_eq!(
            Signer::from_key([2; 32]).verify(&token),
            Err(TokenError::BadSignature)
        );
        let before = Timestamp::from_second(1_799_999_999).unwrap();
        let after = Timestamp::from_second(1_800_000_001).unwrap();
        assert!(signer.verify_at(&token, before).is_ok());
        assert_eq!(signer.verify_at(&token, after), Err(TokenError::Expired));
    }

    #[test]
    fn every_flipped_character_is_refused() {
        let signer = Signer::from_key([1; 32]);
        let token = signer.token(&claims());
        for i in 0..token.len() {
            let mut bytes = token.clone().into_bytes();
            bytes[i] = if bytes[i] == b'A' { b'B' } else { b'A' };
            let Ok(tampered) = String::from_utf8(bytes) else {
                continue;
            };
            if tampered != token {
                assert!(
                    signer.verify(&tampered).is_err(),
                    "position {i}: {tampered}"
                );
            }
        }
        for bad in ["", ".", "v1", "v1.a.b.c.d.e", &"x".repeat(700)] {
            assert!(signer.verify(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn nonces_verify_for_their_token_only_and_all_stay_valid() {
        let signer = Signer::from_key([1; 32]);
        let token = signer.token(&claims());
        let other = signer.token(&Claims {
            version: 3,
            ..claims()
        });
        let first = signer.nonce(&token).unwrap();
        let second = signer.nonce(&token).unwrap();
        assert_ne!(first, second);
        assert!(signer.nonce_valid(&token, &first));
        assert!(
            signer.nonce_valid(&token, &second),
            "a later GET does not break an earlier form"
        );
        assert!(!signer.nonce_valid(&other, &first));
        assert!(!signer.nonce_valid(&token, "abc.def"));
        assert!(!signer.nonce_valid(&token, ""));
    }

    #[test]
    fn the_key_is_created_once_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let a = Signer::load_or_create(dir.path()).unwrap();
        let b = Signer::load_or_create(dir.path()).unwrap();
        let token = a.token(&claims());
        assert!(b.verify(&token).is_ok());
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join("approval_key"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}
