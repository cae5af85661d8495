//! What the simulator answers, decided by an action (`credits`,
//! `invoices`) and written out by `server`.

use std::time::Duration;

use serde_json::Value;

/// What to do with a request once decided.
pub(super) enum Plan {
    Answer(Answer),
    /// Close the connection without answering.
    Drop,
    Stall(Duration, Answer),
}

/// An answer: WHMCS's fields (JSON or `key=value;` text), or a bare page.
pub(super) struct Answer {
    pub(super) status: u16,
    pub(super) body: AnswerBody,
}

pub(super) enum AnswerBody {
    /// In WHMCS's order (`result` first).
    Fields(Vec<(String, Value)>),
    Page(&'static str),
}

impl Answer {
    pub(super) fn error(status: u16, message: &str) -> Answer {
        let fields = vec![
            ("result".to_owned(), Value::from("error")),
            ("message".to_owned(), Value::from(message)),
        ];
        Answer {
            status,
            body: AnswerBody::Fields(fields),
        }
    }

    pub(super) fn success(fields: Vec<(&str, Value)>) -> Answer {
        let mut all = vec![("result".to_owned(), Value::from("success"))];
        all.extend(fields.into_iter().map(|(k, v)| (k.to_owned(), v)));
        Answer {
            status: 200,
            body: AnswerBody::Fields(all),
        }
    }

    pub(super) fn page(status: u16, page: &'static str) -> Answer {
        Answer {
            status,
            body: AnswerBody::Page(page),
        }
    }

    pub(super) fn server_error() -> Answer {
        Answer::page(
            500,
            "<html><body><h1>500 Internal Server Error</h1></body></html>",
        )
    }
}
