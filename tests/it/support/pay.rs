//! Using the pay pages as a browser without script would: GET a page,
//! post the form (no redirects followed, so the `303` is seen).

use reqwest::StatusCode;
use reqwest::header::HeaderMap;

use super::daemon::TestDaemon;

/// What a page request returned.
#[derive(Debug)]
pub struct PageReply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl PageReply {
    pub fn location(&self) -> Option<String> {
        let value = self.headers.get("location")?;
        value.to_str().ok().map(str::to_owned)
    }
}

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

async fn page(response: reqwest::Response) -> PageReply {
    PageReply {
        status: response.status(),
        headers: response.headers().clone(),
        body: response.text().await.unwrap_or_default(),
    }
}

impl TestDaemon {
    /// `GET path` (with its query) as a browser would.
    pub async fn page(&self, path: &str) -> PageReply {
        let response = no_redirects().get(self.url(path)).send().await;
        page(response.expect("GET a page")).await
    }

    /// Posts the pay form of `store` with `fields`, form-encoded.
    pub async fn pay(&self, store: &str, fields: &[(&str, &str)]) -> PageReply {
        let response = no_redirects()
            .post(self.url(&format!("/pay/{store}")))
            .form(fields)
            .send()
            .await;
        page(response.expect("POST the pay form")).await
    }

    /// Posts the pay form and returns the payment id the `303` leads to.
    pub async fn pay_ok(&self, store: &str, fields: &[(&str, &str)]) -> String {
        let reply = self.pay(store, fields).await;
        assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
        let location = reply.location().expect("a Location");
        let tail = location.split("/payments/").nth(1).expect("a status page");
        tail.split('?').next().unwrap_or_default().to_owned()
    }
}

impl TestDaemon {
    /// `POST path` with an empty form, as a button without fields posts.
    pub async fn page_post(&self, path: &str) -> PageReply {
        let response = no_redirects()
            .post(self.url(path))
            .form(&[("lang", "en")])
            .send()
            .await;
        page(response.expect("POST a page")).await
    }
}
