//! A web origin, `scheme://host[:port]`: what a store lists in
//! `return_origins` (where a pay page may send the customer back to) and
//! `embed_origins` (who may show the pages in a frame). Only `http` and
//! `https` origins exist here; the text is the browser's own serialisation
//! (lower-case host, default port left out), so two spellings of one
//! origin compare equal and nothing but an origin can reach a header.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use url::{Host, Url};

/// Longest origin text looked at.
const ORIGIN_CHARS_MAX: usize = 300;

/// `scheme://host[:port]`, with scheme `http` or `https`.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Origin(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OriginError {
    #[error("an origin is scheme://host[:port] with scheme http or https, and nothing after it")]
    NotAnOrigin,
}

impl Origin {
    /// Parses `https://billing.example.com` or `http://127.0.0.1:8080`; a
    /// trailing `/` is allowed, a path, query, fragment or credentials not.
    pub fn parse(input: &str) -> Result<Origin, OriginError> {
        let input = input.trim();
        if input.chars().count() > ORIGIN_CHARS_MAX {
            return Err(OriginError::NotAnOrigin);
        }
        let url = Url::parse(input).map_err(|_| OriginError::NotAnOrigin)?;
        let bare = url.path() == "/"
            && url.query().is_none()
            && url.fragment().is_none()
            && url.username().is_empty()
            && url.password().is_none();
        if !bare {
            return Err(OriginError::NotAnOrigin);
        }
        Origin::of(&url).ok_or(OriginError::NotAnOrigin)
    }

    /// The origin of an `http`/`https` URL; `None` for other schemes.
    pub fn of(url: &Url) -> Option<Origin> {
        if !matches!(url.scheme(), "http" | "https") {
            return None;
        }
        // Hosts as DNS writes them (after IDNA): nothing a header or a CSP
        // source list would read as syntax, such as `*`.
        let plain = match url.host()? {
            Host::Domain(name) => name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.'),
            Host::Ipv4(_) | Host::Ipv6(_) => true,
        };
        plain.then(|| Origin(url.origin().ascii_serialization()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Origin({})", self.0)
    }
}

impl Serialize for Origin {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Origin {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Origin::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings_of_one_origin_are_equal() {
        let a = Origin::parse("HTTPS://Billing.Example.com:443/").unwrap();
        let b = Origin::parse("https://billing.example.com").unwrap();
        assert_eq!(a, b);
        assert_eq!(a.as_str(), "https://billing.example.com");
        let port = Origin::parse("http://127.0.0.1:8080").unwrap();
        assert_eq!(port.as_str(), "http://127.0.0.1:8080");
    }

    #[test]
    fn anything_but_a_bare_http_origin_is_refused() {
        for bad in [
            "",
            "billing.example.com",
            "https://billing.example.com/path",
            "https://billing.example.com/?q=1",
            "https://billing.example.com/#x",
            "https://user:pass@billing.example.com",
            "javascript:alert(1)",
            "data:text/html,x",
            "ftp://files.example.com",
            "https://a.example.com; script-src *",
            "https://*.example.com",
        ] {
            assert!(Origin::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_url_has_the_origin_of_its_scheme_host_and_port() {
        let url = Url::parse("https://billing.example.com/viewinvoice.php?id=7").unwrap();
        assert_eq!(
            Origin::of(&url).unwrap().as_str(),
            "https://billing.example.com"
        );
        let other = Url::parse("https://billing.example.com.evil.example/").unwrap();
        assert_ne!(Origin::of(&other), Origin::of(&url));
        assert!(Origin::of(&Url::parse("mailto:a@b.c").unwrap()).is_none());
    }
}
