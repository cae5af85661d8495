//! The language of a reply or an email: English or Arabic.

use serde::{Deserialize, Serialize};

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

    pub fn code(&self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Ar => "ar",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arabic_only_when_asked_for() {
        assert_eq!(Lang::from_param(Some("ar")), Lang::Ar);
        assert_eq!(Lang::from_param(Some("AR-eg")), Lang::Ar);
        assert_eq!(Lang::from_param(Some("en")), Lang::En);
        assert_eq!(Lang::from_param(Some("arabic")), Lang::En);
        assert_eq!(Lang::from_param(None), Lang::En);
    }
}
