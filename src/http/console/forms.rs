//! Reading console forms: the body within `limits.body_bytes_max`, decoded
//! as form data (each field at most 2048 characters), and the fields most
//! forms share — a note, the version a page showed, where to go back to.

use http::Request;
use hyper::body::Incoming;

use super::reply::PageError;
use crate::http::App;
use crate::http::body;
use crate::http::params::Params;

/// Longest note kept with a decision (as on the approval page).
pub const NOTE_CHARS_MAX: usize = 1000;

pub async fn read(app: &App, req: Request<Incoming>) -> Result<Params, PageError> {
    let (_, bytes) = body::read(req, app.settings.limits.body_bytes_max).await?;
    Ok(Params::from_bytes(&bytes)?)
}

/// The optional `note`: trimmed, empty as none, refused past the limit
/// (a refused form changes nothing, so nothing is cut silently).
pub fn note(form: &Params) -> Result<Option<String>, PageError> {
    let Some(note) = form.get("note").map(str::trim).filter(|n| !n.is_empty()) else {
        return Ok(None);
    };
    if note.chars().count() > NOTE_CHARS_MAX {
        return Err(PageError::BadRequest(format!(
            "the note is longer than {NOTE_CHARS_MAX} characters"
        )));
    }
    Ok(Some(note.to_owned()))
}

/// The `version` a page showed, which a decision must still find.
pub fn version(form: &Params) -> Result<u64, PageError> {
    form.get("version")
        .and_then(|v| v.parse::<u64>().ok())
        .ok_or_else(|| PageError::BadRequest("the form lacks the payment's version".into()))
}

/// Where to go after a form: a console path the form named, else
/// `fallback`. Anything else (another site, a scheme, `//host`) is ignored.
pub fn back(form: &Params, fallback: String) -> String {
    form.get("back")
        .filter(|b| is_console_path(b))
        .map_or(fallback, str::to_owned)
}

/// A path under `/console` and nothing that could leave this origin.
pub fn is_console_path(path: &str) -> bool {
    (path == "/console" || path.starts_with("/console/") || path.starts_with("/console?"))
        && !path.contains("//")
        && !path.contains('\\')
        && path.chars().all(|c| c.is_ascii_graphic())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_console_paths_are_followed_back() {
        for ok in [
            "/console",
            "/console/queues/held?cursor=abc",
            "/console?lang=ar",
        ] {
            assert!(is_console_path(ok), "{ok}");
        }
        for bad in [
            "https://evil.example/console",
            "//evil.example/console",
            "/console//evil",
            "/consolex",
            "/console/\\evil",
            "/console/ x",
            "javascript:alert(1)",
        ] {
            assert!(!is_console_path(bad), "{bad}");
        }
    }
}
