//! The `return_url` rule: a pay page leads back only to an address of the
//! store's own, i.e. one whose origin (scheme, host, port) is in the
//! store's `return_origins` (by default the origin of its WHMCS). Anything
//! else is dropped without a word, so a link crafted by someone else cannot
//! turn the pay page into a redirector to their site (no open redirect).

use url::Url;

use crate::domain::Origin;
use crate::merchant::StoreSettings;

/// Longest return URL kept.
const RETURN_URL_CHARS_MAX: usize = 2048;

/// `raw` as a URL the store allows, or `None`.
pub fn allowed(settings: &StoreSettings, raw: Option<&str>) -> Option<String> {
    let raw = raw?.trim();
    if raw.is_empty() || raw.chars().count() > RETURN_URL_CHARS_MAX {
        return None;
    }
    let url = Url::parse(raw).ok()?;
    // Credentials in a URL only serve to disguise where it leads.
    if !url.username().is_empty() || url.password().is_some() {
        return None;
    }
    let origin = Origin::of(&url)?;
    settings
        .return_origins()
        .contains(&origin)
        .then(|| url.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store(api_url: &str, return_origins: Option<&[&str]>) -> StoreSettings {
        let mut s = StoreSettings::default();
        s.whmcs.api_url = api_url.into();
        s.return_origins =
            return_origins.map(|list| list.iter().map(|o| Origin::parse(o).unwrap()).collect());
        s
    }

    #[test]
    fn only_urls_of_an_allowed_origin_are_kept() {
        let s = store("https://billing.example.com/whmcs", None);
        let invoice = "https://billing.example.com/viewinvoice.php?id=7";
        assert_eq!(allowed(&s, Some(invoice)).as_deref(), Some(invoice));
        for foreign in [
            "https://evil.example/viewinvoice.php",
            "http://billing.example.com/viewinvoice.php",
            "https://billing.example.com:8443/",
            "https://billing.example.com.evil.example/",
            "https://billing.example.com@evil.example/",
            "https://user:pw@billing.example.com/",
            "//evil.example/",
            "/relative",
            "javascript:alert(1)",
            "data:text/html,<script>alert(1)</script>",
            "",
        ] {
            assert_eq!(allowed(&s, Some(foreign)), None, "{foreign}");
        }
        assert_eq!(allowed(&s, None), None);
        let long = format!("https://billing.example.com/{}", "a".repeat(3000));
        assert_eq!(allowed(&s, Some(&long)), None);
    }

    #[test]
    fn listed_return_origins_replace_the_whmcs_origin() {
        let s = store(
            "https://billing.example.com",
            Some(&["https://shop.example.com"]),
        );
        assert!(allowed(&s, Some("https://shop.example.com/thanks")).is_some());
        assert!(allowed(&s, Some("https://billing.example.com/")).is_none());
        let none = store("https://billing.example.com", Some(&[]));
        assert!(allowed(&none, Some("https://billing.example.com/")).is_none());
    }
}
