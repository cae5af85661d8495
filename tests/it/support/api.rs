//! Requests the tests make often, as the check form, the forwarder and an
//! operator would make them.

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::daemon::TestDaemon;

pub const STORE: &str = "5";
pub const INGEST_TOKEN: &str = "ingest-secret-5";

/// An answer: status and JSON body (`Null` when the body is not JSON).
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub body: Value,
}

async fn answer(response: reqwest::Response) -> Answer {
    let status = response.status();
    let bytes = response.bytes().await.unwrap_or_default();
    let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    Answer { status, body }
}

impl TestDaemon {
    /// Creates store `id` with the given settings, filling in what a store
    /// requires (a name, rate 1, the emulator's WHMCS) and an ingest token
    /// where they are not given.
    pub async fn put_store(&self, id: &str, mut settings: Value) -> Answer {
        if settings.get("name").is_none() {
            settings["name"] = json!(format!("Test store {id}"));
        }
        if settings.get("currency_rate").is_none() {
            settings["currency_rate"] = json!("1");
        }
        if settings.get("ingest_token").is_none() {
            settings["ingest_token"] = json!(INGEST_TOKEN);
        }
        if settings.get("whmcs").is_none() {
            settings["whmcs"] = json!({"api_url": self.whmcs.url(), "identifier": super::whmcs::IDENTIFIER, "secret": super::whmcs::SECRET});
        }
        self.admin_put(&format!("/admin/stores/{id}"), &settings)
            .await
    }

    /// The default test store: anti-spam off, rate 1.
    pub async fn default_store(&self) {
        let a = self.put_store(STORE, json!({"name": "Test Hosting"})).await;
        assert!(a.status.is_success(), "{a:?}");
    }

    pub async fn admin_put(&self, path: &str, body: &Value) -> Answer {
        let r = self
            .http
            .put(self.url(path))
            .bearer_auth(&self.admin_token)
            .json(body)
            .send()
            .await;
        answer(r.expect("admin PUT")).await
    }

    pub async fn admin_get(&self, path: &str) -> Answer {
        let r = self
            .http
            .get(self.url(path))
            .bearer_auth(&self.admin_token)
            .send()
            .await;
        answer(r.expect("admin GET")).await
    }

    pub async fn admin_post(&self, path: &str, body: &Value) -> Answer {
        let r = self
            .http
            .post(self.url(path))
            .bearer_auth(&self.admin_token)
            .json(body)
            .send()
            .await;
        answer(r.expect("admin POST")).await
    }

    /// A module-style check (GET with a query).
    pub async fn check(&self, params: &[(&str, &str)]) -> Answer {
        let r = self
            .http
            .get(self.url("/api/payment_link_check"))
            .query(params)
            .send()
            .await;
        answer(r.expect("check")).await
    }

    /// A check for store 5 by client `client` from 01012345678.
    pub async fn check_simple(&self, client: &str, amount: &str) -> Answer {
        self.check(&[
            ("store_id", STORE),
            ("phone", "01012345678"),
            ("amount", amount),
            ("client_id", client),
        ])
        .await
    }

    pub async fn ingest(&self, store: &str, token: &str, body: &Value) -> Answer {
        let url = self.url(&format!("/api/stores/{store}/transactions"));
        let r = self
            .http
            .post(url)
            .bearer_auth(token)
            .json(body)
            .send()
            .await;
        answer(r.expect("ingest")).await
    }

    /// A JSON-form transaction into store 5.
    pub async fn ingest_tx(&self, trans_id: &str, phone: &str, amount: &str) -> Answer {
        let body = json!({"trans_id": trans_id, "phone": phone, "amount": amount});
        self.ingest(STORE, INGEST_TOKEN, &body).await
    }

    pub async fn poll(&self, payment_id: &str, query: &str) -> Answer {
        let r = self
            .http
            .get(self.url(&format!("/api/payments/{payment_id}{query}")))
            .send()
            .await;
        answer(r.expect("poll")).await
    }

    /// Every payment the admin API lists.
    pub async fn all_payments(&self) -> Vec<Value> {
        let a = self.admin_get("/admin/payments?limit=1000").await;
        a.body["payments"].as_array().cloned().unwrap_or_default()
    }
}
