//! Acting as an operator: store keys through the admin API, and the
//! console through HTTP as a browser would use it (cookies and the CSRF
//! field carried by hand, redirects not followed).

use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use serde_json::json;

use super::daemon::TestDaemon;

/// A console page as received.
#[derive(Debug)]
pub struct Page {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Page {
    /// The `csrf` field of the page's forms.
    pub fn csrf(&self) -> Option<String> {
        hidden(&self.body, "csrf")
    }

    pub fn location(&self) -> Option<&str> {
        self.headers.get("location").and_then(|v| v.to_str().ok())
    }

    /// Every `Set-Cookie` header.
    pub fn set_cookies(&self) -> Vec<String> {
        self.headers
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok().map(str::to_owned))
            .collect()
    }

    /// The `name=value` pair a `Set-Cookie` of `name` carries.
    pub fn cookie_pair(&self, name: &str) -> Option<String> {
        self.set_cookies()
            .iter()
            .find(|c| c.starts_with(&format!("{name}=")))
            .and_then(|c| c.split(';').next())
            .map(str::to_owned)
    }
}

/// The value of the hidden input `name` in `body`.
pub fn hidden(body: &str, name: &str) -> Option<String> {
    body.split(&format!(r#"name="{name}" value=""#))
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .map(str::to_owned)
}

/// A signed-in (or not) console visitor.
pub struct Console {
    pub base: String,
    pub http: reqwest::Client,
    /// The `cashgate_session=...` pair, once signed in.
    pub session: Option<String>,
    /// The session's CSRF token, from its first page.
    pub csrf: Option<String>,
}

pub fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

async fn page(response: reqwest::Response) -> Page {
    Page {
        status: response.status(),
        headers: response.headers().clone(),
        body: response.text().await.unwrap_or_default(),
    }
}

impl Console {
    pub fn anonymous(daemon: &TestDaemon) -> Console {
        Console {
            base: daemon.url(""),
            http: no_redirects(),
            session: None,
            csrf: None,
        }
    }

    pub async fn get(&self, path: &str) -> Page {
        let mut req = self.http.get(format!("{}{path}", self.base));
        if let Some(cookie) = &self.session {
            req = req.header("cookie", cookie);
        }
        page(req.send().await.expect("console GET")).await
    }

    /// Posts `fields` with the session's CSRF token added.
    pub async fn post(&self, path: &str, fields: &[(&str, &str)]) -> Page {
        let mut all: Vec<(&str, &str)> = fields.to_vec();
        if let Some(csrf) = &self.csrf {
            all.push(("csrf", csrf));
        }
        self.post_raw(path, &all, self.session.as_deref()).await
    }

    /// Posts exactly `fields` with exactly `cookie`.
    pub async fn post_raw(
        &self,
        path: &str,
        fields: &[(&str, &str)],
        cookie: Option<&str>,
    ) -> Page {
        let mut req = self.http.post(format!("{}{path}", self.base)).form(fields);
        if let Some(cookie) = cookie {
            req = req.header("cookie", cookie);
        }
        page(req.send().await.expect("console POST")).await
    }

    /// Signs in with `token` as a browser does: the form's GET (its login
    /// cookie and field), then the POST.
    pub async fn sign_in(daemon: &TestDaemon, token: &str) -> Console {
        let mut console = Console::anonymous(daemon);
        let status = console.try_sign_in(token).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "sign-in with {token:.8}…");
        let overview = console.get("/console").await;
        assert_eq!(overview.status, StatusCode::OK, "{}", overview.body);
        console.csrf = overview.csrf();
        console
    }

    /// One sign-in attempt; its status (303 when it worked).
    pub async fn try_sign_in(&mut self, token: &str) -> StatusCode {
        let form = self.get("/console/login").await;
        let login_cookie = form.cookie_pair("cashgate_login").expect("login cookie");
        let csrf = form.csrf().expect("login csrf");
        let answer = self
            .post_raw(
                "/console/login",
                &[("token", token), ("csrf", &csrf), ("next", "/console")],
                Some(&login_cookie),
            )
            .await;
        if let Some(session) = answer.cookie_pair("cashgate_session") {
            self.session = Some(session);
        }
        answer.status
    }
}

impl TestDaemon {
    /// Store `id`, holding every claim of a new phone for an approver.
    pub async fn holding_store(&self, id: &str) {
        let store = json!({"name": format!("Store {id}"),
            "anti_spam": {"enabled": true, "approvers": ["owner@example.com"]}});
        let answer = self.put_store(id, store).await;
        assert!(answer.status.is_success(), "{answer:?}");
    }

    /// A held payment in `store` (a holding store) of amount `100 + n`,
    /// for client `100 + n` (one the WHMCS emulator knows), claiming trans_id `0144000000nn`; its id.
    pub async fn held_in(&self, store: &str, n: u32) -> String {
        let amount = format!("{}", 100 + n);
        let trans_id = format!("0144000{n:05}");
        let body = json!({"trans_id": trans_id, "phone": "01012345678", "amount": amount});
        let tx = self.ingest(store, super::api::INGEST_TOKEN, &body).await;
        assert_eq!(tx.status, 201, "{tx:?}");
        let client = format!("{}", 100 + n);
        let params = [
            ("store_id", store),
            ("phone", "01012345678"),
            ("amount", amount.as_str()),
            ("client_id", client.as_str()),
        ];
        let reply = self.check(&params).await;
        assert_eq!(reply.body["state"], "held", "{:?}", reply.body);
        reply.body["payment_id"].as_str().expect("id").to_owned()
    }

    /// A new key for `store` named `name`, through the admin API.
    pub async fn store_key(&self, store: &str, name: &str) -> String {
        let made = self
            .admin_post(
                &format!("/admin/stores/{store}/keys"),
                &json!({"name": name}),
            )
            .await;
        assert_eq!(made.status, 201, "{made:?}");
        made.body["key"].as_str().expect("key").to_owned()
    }

    /// A request to the admin API with `token` (or none).
    pub async fn admin_as(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<&serde_json::Value>,
    ) -> super::api::Answer {
        let mut req = self.http.request(method, self.url(path));
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        if let Some(body) = body {
            req = req.json(body);
        }
        let response = req.send().await.expect("admin request");
        let status = response.status();
        let bytes = response.bytes().await.unwrap_or_default();
        super::api::Answer {
            status,
            body: serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null),
        }
    }
}
