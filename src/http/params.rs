//! Form-encoded parameters (query strings and `application/x-www-form-
//! urlencoded` bodies), decoded as PHP's `http_build_query` writes them:
//! `+` is a space and `%2B` a plus.

use super::ApiError;
use crate::domain::StoreId;

/// A store id from a path or a parameter; `invalid_store_id` otherwise.
pub fn store_id(id: &str) -> Result<StoreId, ApiError> {
    StoreId::parse(id).map_err(|_| ApiError::InvalidStoreId)
}

/// Pairs one request may carry; the module sends six.
const PARAMS_MAX: usize = 64;
/// Longest parameter value accepted.
const PARAM_CHARS_MAX: usize = 2048;

#[derive(Debug, Default)]
pub struct Params(Vec<(String, String)>);

impl Params {
    pub fn from_query(query: Option<&str>) -> Result<Params, ApiError> {
        Params::from_bytes(query.unwrap_or_default().as_bytes())
    }

    pub fn from_bytes(form: &[u8]) -> Result<Params, ApiError> {
        let mut pairs = Vec::new();
        for (name, value) in form_urlencoded::parse(form) {
            if pairs.len() >= PARAMS_MAX {
                return Err(ApiError::InvalidRequest("too many parameters".into()));
            }
            if value.chars().count() > PARAM_CHARS_MAX || name.chars().count() > PARAM_CHARS_MAX {
                return Err(ApiError::InvalidRequest(format!(
                    "parameter {name:.32} is too long"
                )));
            }
            pairs.push((name.into_owned(), value.into_owned()));
        }
        Ok(Params(pairs))
    }

    /// The first value of `name`, if present.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn php_form_encoding_is_decoded() {
        let p = Params::from_query(Some("user_name=Jane+Doe+%2842%29&amount=300&x=a%2Bb")).unwrap();
        assert_eq!(p.get("user_name"), Some("Jane Doe (42)"));
        assert_eq!(p.get("amount"), Some("300"));
        assert_eq!(p.get("x"), Some("a+b"));
        assert_eq!(p.get("missing"), None);
    }

    #[test]
    fn floods_are_refused() {
        let many = vec!["a=1"; 65].join("&");
        assert!(Params::from_query(Some(&many)).is_err());
        let long = format!("a={}", "x".repeat(3000));
        assert!(Params::from_query(Some(&long)).is_err());
    }
}
