//! Web origins (scheme, host and port): where a status page may send the
//! customer back to. Kept in their serialized form
//! (`https://billing.example.com`, `http://127.0.0.1:8080`), so two
//! spellings of one origin compare equal.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Longest origin or URL text worth parsing.
const ORIGIN_CHARS_MAX: usize = 2048;

/// An http(s) origin: scheme, host and port (the default port left out).
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Origin(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OriginError {
    #[error(
        "an origin is an http:// or https:// address with a host, like https://billing.example.com"
    )]
    NotHttp,
    #[error("an origin carries no user name or password")]
    Credentials,
    #[error("an origin is only scheme, host and port: no path, query or fragment")]
    NotBare,
}

impl Origin {
    /// An origin given as such (`https://billing.example.com`, a trailing
    /// `/` allowed): nothing but scheme, host and port.
    pub fn parse(input: &str) -> Result<Origin, OriginError> {
        let url = http_url(input)?;
        if url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
            return Err(OriginError::NotBare);
        }
        Ok(Origin(url.origin().ascii_serialization()))
    }

    /// The origin of an http(s) URL, whatever its path.
    pub fn of_url(input: &str) -> Result<Origin, OriginError> {
        http_url(input).map(|url| Origin(url.origin().ascii_serialization()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn http_url(input: &str) -> Result<url::Url, OriginError> {
    let input = input.trim();
    if input.chars().count() > ORIGIN_CHARS_MAX {
        return Err(OriginError::NotHttp);
    }
    let url = url::Url::parse(input).map_err(|_| OriginError::NotHttp)?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err(OriginError::NotHttp);
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(OriginError::Credentials);
    }
    Ok(url)
}

impl TryFrom<String> for Origin {
    type Error = OriginError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Origin::parse(&s)
    }
}

impl From<Origin> for String {
    fn from(o: Origin) -> String {
        o.0
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings_of_one_origin_are_one_origin() {
        let a = Origin::parse("https://Billing.Example.com").unwrap();
        let b = Origin::parse("https://billing.example.com:443/").unwrap();
        assert_eq!(a, b);
        assert_eq!(a.as_str(), "https://billing.example.com");
        assert_eq!(
            Origin::parse("http://127.0.0.1:8080").unwrap().as_str(),
            "http://127.0.0.1:8080"
        );
        assert_ne!(
            Origin::parse("http://billing.example.com").unwrap(),
            a,
            "the scheme counts"
        );
        assert_ne!(
            Origin::parse("https://billing.example.com:8443").unwrap(),
            a
        );
    }

    #[test]
    fn a_url_has_the_origin_of_its_scheme_host_and_port() {
        let url = "https://billing.example.com/clients/viewinvoice.php?id=7#top";
        assert_eq!(
            Origin::of_url(url).unwrap(),
            Origin::parse("https://billing.example.com").unwrap()
        );
    }

    #[test]
    fn anything_but_a_bare_http_origin_is_refused() {
        for (bad, why) in [
            ("ftp://example.com", OriginError::NotHttp),
            ("billing.example.com", OriginError::NotHttp),
            ("https://", OriginError::NotHttp),
            ("javascript:alert(1)", OriginError::NotHttp),
            ("https://user:pw@example.com", OriginError::Credentials),
            ("https://example.com/whmcs", OriginError::NotBare),
            ("https://example.com/?a=1", OriginError::NotBare),
        ] {
            assert_eq!(Origin::parse(bad), Err(why), "{bad}");
        }
        let long = format!("https://{}.com", "a".repeat(3000));
        assert!(Origin::parse(&long).is_err());
        assert!(serde_json::from_str::<Origin>("\"https://example.com/x\"").is_err());
    }
}
