//! Acting as an approver: reading the email, opening the page like a
//! browser (cookies by hand), posting the form.

use mail_parser::MessageParser;
use reqwest::StatusCode;

use super::daemon::TestDaemon;
use super::smtp::Received;

/// The approval link in a message's plain-text part, and both parts.
pub struct Email {
    pub to: Vec<String>,
    pub text: String,
    pub html: String,
    pub link: String,
}

pub fn read_email(received: &Received) -> Email {
    let message = MessageParser::default()
        .parse(&received.data)
        .expect("a MIME message");
    let text = message.body_text(0).expect("a text part").into_owned();
    let html = message.body_html(0).expect("an HTML part").into_owned();
    let start = text.find("http").expect("a link in the text");
    let link = text[start..]
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_owned();
    Email {
        to: received.to.clone(),
        text,
        html,
        link,
    }
}

/// What a GET of the page returned.
#[derive(Debug)]
pub struct PageAnswer {
    pub status: StatusCode,
    pub body: String,
    /// The `cashgate_nonce=...` pair, as a browser would send it back.
    pub cookie: Option<String>,
    pub set_cookie: Option<String>,
    /// The hidden form field's nonce.
    pub nonce: Option<String>,
}

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

pub async fn open_page(url: &str, cookie: Option<&str>) -> PageAnswer {
    let mut req = no_redirects().get(url);
    if let Some(cookie) = cookie {
        req = req.header("cookie", cookie);
    }
    let response = req.send().await.expect("GET approval page");
    let status = response.status();
    let set_cookie = response
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let cookie = set_cookie
        .as_ref()
        .and_then(|c| c.split(';').next())
        .map(str::to_owned);
    let body = response.text().await.unwrap_or_default();
    let nonce = body
        .split(r#"name="nonce" value=""#)
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .map(str::to_owned);
    PageAnswer {
        status,
        body,
        cookie,
        set_cookie,
        nonce,
    }
}

/// Posts the form; returns the status and the `Location` of a 303.
pub async fn post_form(
    url: &str,
    cookie: Option<&str>,
    fields: &[(&str, &str)],
) -> (StatusCode, Option<String>) {
    let mut req = no_redirects().post(url).form(fields);
    if let Some(cookie) = cookie {
        req = req.header("cookie", cookie);
    }
    let response = req.send().await.expect("POST approval page");
    let location = response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    (response.status(), location)
}

impl TestDaemon {
    /// The current version and state of a payment (admin view).
    pub async fn version_and_state(&self, id: &str) -> (u64, String) {
        let detail = self.admin_get(&format!("/admin/payments/{id}")).await;
        (
            detail.body["version"].as_u64().unwrap_or(0),
            detail.body["state"].as_str().unwrap_or_default().to_owned(),
        )
    }

    /// A link for `approver` signed with this daemon's key (the same link
    /// the email carries), for tests that need many.
    pub async fn approval_link(&self, id: &str, approver: &str) -> String {
        let detail = self.admin_get(&format!("/admin/payments/{id}")).await;
        let version = detail.body["version"].as_u64().expect("version");
        let deadline: jiff::Timestamp = detail.body["deadline"]["at"]
            .as_str()
            .expect("deadline")
            .parse()
            .expect("time");
        let signer = cashgate::approvals::Signer::load_or_create(self.dir.path()).expect("key");
        let token = signer.token(&cashgate::approvals::Claims {
            payment_id: cashgate::domain::PaymentId::parse(id).expect("id"),
            approver: cashgate::domain::Email::parse(approver).expect("approver"),
            version,
            expires_at: deadline,
        });
        self.url(&format!("/approvals/{token}"))
    }
}
