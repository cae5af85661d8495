//! The language of a reply or an email: English or Arabic.

use serde::{Deserialize, Serialize};

/// Entries of an `Accept-Language` header looked at.
const ACCEPT_LANGUAGE_ENTRIES_MAX: usize = 32;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    #[default]
    En,
    Ar,
}

impl Lang {
    /// `ar` (any case, optionally with a region such as `ar-EG`) is Arabic;
    /// everything else, including nothing, is English.
    pub fn from_param(value: Option<&str>) -> Lang {
        match value.map(|v| v.trim().to_ascii_lowercase()) {
            Some(v) if v == "ar" || v.starts_with("ar-") || v.starts_with("ar_") => Lang::Ar,
            _ => Lang::En,
        }
    }

    /// The language a browser prefers among ours, from its
    /// `Accept-Language` header (`ar-EG,ar;q=0.9,en;q=0.8`): the English or
    /// Arabic entry with the highest weight, English when there is none.
    pub fn from_accept_language(header: &str) -> Lang {
        let mut best: Option<(u16, Lang)> = None;
        for entry in header.split(',').take(ACCEPT_LANGUAGE_ENTRIES_MAX) {
            let mut parts = entry.split(';');
            let tag = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
            let primary = tag.split(['-', '_']).next().unwrap_or_default();
            let lang = match primary {
                "ar" => Lang::Ar,
                "en" => Lang::En,
                _ => continue,
            };
            let weight = match parts.find_map(|p| p.trim().strip_prefix("q=")) {
                None => 1000,
                Some(q) => match weight_per_mille(q) {
                    Some(weight) => weight,
                    None => continue,
                },
            };
            // The first of equal weights wins, as the browser listed them.
            if weight > 0 && best.is_none_or(|(w, _)| weight > w) {
                best = Some((weight, lang));
            }
        }
        best.map_or(Lang::En, |(_, lang)| lang)
    }

    pub fn code(&self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Ar => "ar",
        }
    }
}

/// A `q` value (`0.8`, `1`, `0.125`) in thousandths; `None` when it is not one.
fn weight_per_mille(q: &str) -> Option<u16> {
    let (whole, fraction) = q.trim().split_once('.').unwrap_or((q.trim(), ""));
    if fraction.len() > 3 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let thousandths: u16 = format!("{fraction:0<3}").parse().ok()?;
    match whole {
        "0" => Some(thousandths),
        "1" if thousandths == 0 => Some(1000),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_browser_preference_among_english_and_arabic_wins() {
        assert_eq!(
            Lang::from_accept_language("ar-EG,ar;q=0.9,en;q=0.8"),
            Lang::Ar
        );
        assert_eq!(
            Lang::from_accept_language("en-US,en;q=0.9,ar;q=0.8"),
            Lang::En
        );
        assert_eq!(
            Lang::from_accept_language("fr-FR,fr;q=0.9,ar;q=0.5"),
            Lang::Ar
        );
        assert_eq!(Lang::from_accept_language("en;q=0.5, ar;q=0.7"), Lang::Ar);
        assert_eq!(Lang::from_accept_language("ar;q=0, en;q=0.1"), Lang::En);
        assert_eq!(Lang::from_accept_language("fr"), Lang::En);
        assert_eq!(Lang::from_accept_language(""), Lang::En);
        assert_eq!(Lang::from_accept_language("ar;q=2,en"), Lang::En);
        assert_eq!(Lang::from_accept_language("AR"), Lang::Ar);
    }

    #[test]
    fn arabic_only_when_asked_for() {
        assert_eq!(Lang::from_param(Some("ar")), Lang::Ar);
        assert_eq!(Lang::from_param(Some("AR-eg")), Lang::Ar);
        assert_eq!(Lang::from_param(Some("en")), Lang::En);
        assert_eq!(Lang::from_param(Some("arabic")), Lang::En);
        assert_eq!(Lang::from_param(None), Lang::En);
    }
}
