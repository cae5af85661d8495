//! The pages' static files (the status page's script, the stylesheet),
//! built into the binary and served from `/assets/` under a name that
//! carries a hash of their content (`pay.3f2a9c1d0e4b5a6c.js`). A new
//! release changes the name, so browsers may keep a file for a year and
//! never run an old script against a new page.

use std::sync::LazyLock;

use sha2::{Digest, Sha256};

/// A file served under `/assets/`.
#[derive(Debug)]
pub struct Asset {
    /// `/assets/{stem}.{hash}.{extension}`.
    pub path: String,
    pub content_type: &'static str,
    pub body: &'static [u8],
}

/// Which of the files a page links to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AssetName {
    Script,
    Style,
}

/// Hex characters of the content hash in a file's name.
const HASH_CHARS: usize = 16;

static ASSETS: LazyLock<[Asset; 2]> = LazyLock::new(|| {
    [
        asset(
            "pay",
            "js",
            "text/javascript; charset=utf-8",
            include_bytes!("assets/pay.js"),
        ),
        asset(
            "pay",
            "css",
            "text/css; charset=utf-8",
            include_bytes!("assets/pay.css"),
        ),
    ]
});

fn asset(stem: &str, extension: &str, content_type: &'static str, body: &'static [u8]) -> Asset {
    let digest = data_encoding::HEXLOWER.encode(&Sha256::digest(body));
    let hash = digest.get(..HASH_CHARS).unwrap_or(&digest);
    Asset {
        path: format!("/assets/{stem}.{hash}.{extension}"),
        content_type,
        body,
    }
}

/// The URL path a page links `name` with.
pub fn path(name: AssetName) -> &'static str {
    let index = match name {
        AssetName::Script => 0,
        AssetName::Style => 1,
    };
    &ASSETS[index].path
}

/// The file served at `path`, if it is one (an old hash is not).
pub fn find(path: &str) -> Option<&'static Asset> {
    ASSETS.iter().find(|a| a.path == path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_carry_the_content_hash_and_only_current_names_are_found() {
        let script = path(AssetName::Script);
        assert!(script.starts_with("/assets/pay.") && script.ends_with(".js"));
        assert_eq!(script.len(), "/assets/pay..js".len() + HASH_CHARS);
        let found = find(script).unwrap();
        assert!(found.content_type.starts_with("text/javascript"));
        assert!(find(path(AssetName::Style)).is_some());
        assert!(find("/assets/pay.0000000000000000.js").is_none());
        assert!(find("/assets/pay.js").is_none());
    }
}
