//! More than two hundred malformed or hostile requests to the console and
//! the admin API — bad and forged cookies, forged or missing CSRF tokens,
//! other stores' ids, oversized fields, bad cursors, script in notes and
//! names riding on refused forms, wrong tokens — each gets a 4xx, and
//! afterwards nothing has changed: payments, stores, keys, quarantine,
//! transactions and what waits for an operator. The rows for assigning
//! waiting transactions and for backups are in `waiting`.

mod waiting;

use reqwest::Method;
use serde_json::{Value, json};

use crate::support::console::{Console, no_redirects};
use crate::support::daemon::{TestDaemon, spawn_daemon};

const OWN: &str = "5";
const OTHER: &str = "6";
const SCRIPT: &str = "<script>alert(document.cookie)</script>";

/// One request of the table.
struct Req {
    what: String,
    method: Method,
    path: String,
    cookie: Option<String>,
    form: Option<Vec<(String, String)>>,
    bearer: Option<String>,
    body: Option<Vec<u8>>,
}

fn req(what: impl Into<String>, method: Method, path: impl Into<String>) -> Req {
    Req {
        what: what.into(),
        method,
        path: path.into(),
        cookie: None,
        form: None,
        bearer: None,
        body: None,
    }
}

impl Req {
    fn cookie(mut self, cookie: &str) -> Req {
        self.cookie = Some(cookie.to_owned());
        self
    }
    fn form(mut self, fields: &[(&str, &str)]) -> Req {
        self.form = Some(
            fields
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        );
        self
    }
    fn bearer(self, token: &str) -> Req {
        self.authorization(&format!("Bearer {token}"))
    }
    fn authorization(mut self, value: &str) -> Req {
        self.bearer = Some(value.to_owned());
        self
    }
    fn json(mut self, body: &Value) -> Req {
        self.body = Some(body.to_string().into_bytes());
        self
    }
    fn raw(mut self, body: Vec<u8>) -> Req {
        self.body = Some(body);
        self
    }
}

/// What must not change: payments, stores, keys, the quarantine.
async fn world(daemon: &TestDaemon) -> Vec<Value> {
    let mut out = Vec::new();
    for path in [
        "/admin/payments?limit=1000".to_owned(),
        format!("/admin/stores/{OWN}"),
        format!("/admin/stores/{OTHER}"),
        "/admin/stores/77".to_owned(),
        format!("/admin/stores/{OWN}/keys"),
        format!("/admin/stores/{OTHER}/keys"),
        "/admin/quarantine".to_owned(),
        format!("/admin/transactions?store_id={OWN}"),
        format!("/admin/transactions?store_id={OTHER}"),
        "/admin/transactions/awaiting".to_owned(),
    ] {
        let mut answer = daemon.admin_get(&path).await.body;
        // Last use moves with every request a key makes; that is not a change.
        if let Some(keys) = answer["keys"].as_array_mut() {
            for key in keys {
                key["last_used_at"] = Value::Null;
            }
        }
        out.push(json!({"path": path, "answer": answer}));
    }
    out
}

struct Scene {
    p5: String,
    p6: String,
    version5: String,
    key5: String,
    key6: String,
    session5: String,
    csrf5: String,
    csrf_admin: String,
    admin: String,
}

fn bad_cookies(s: &Scene) -> Vec<String> {
    let mut tampered = s.session5.clone();
    let last = tampered
        .pop()
        .map_or('A', |c| if c == 'A' { 'B' } else { 'A' });
    tampered.push(last);
    vec![
        String::new(),
        "cashgate_session=".into(),
        "cashgate_session=forged".into(),
        format!("cashgate_session={}", "A".repeat(43)),
        tampered,
        format!("cashgate_session={}", "x".repeat(4000)),
        "cashgate_session=%00%0d%0a".into(),
        format!("cashgate_session={}", s.csrf5),
        "cashgate_session_x=1; other=2".into(),
        format!(
            "CASHGATE_SESSION={}",
            &s.session5["cashgate_session=".len()..]
        ),
    ]
}

fn table(s: &Scene, w: &waiting::Waiting) -> Vec<Req> {
    let mut t = Vec::new();
    let pages = [
        "/console".to_owned(),
        "/console/queues/held".to_owned(),
        format!("/console/payments/{}", s.p5),
        format!("/console/stores/{OWN}"),
        "/console/stores".to_owned(),
        "/console/transactions".to_owned(),
        "/console/quarantine".to_owned(),
        "/console/search?q=01012345678".to_owned(),
    ];
    // Bad cookies: the sign-in page (401), never the page.
    for page in &pages {
        for (i, cookie) in bad_cookies(s).iter().enumerate() {
            t.push(req(format!("bad cookie {i}"), Method::GET, page.clone()).cookie(cookie));
        }
    }
    // Forged CSRF on every form, with script riding along.
    let posts = [
        (
            format!("/console/payments/{}/approve", s.p5),
            vec![("version", s.version5.as_str()), ("note", SCRIPT)],
        ),
        (
            format!("/console/payments/{}/reject", s.p5),
            vec![("version", s.version5.as_str()), ("note", SCRIPT)],
        ),
        (
            format!("/console/stores/{OWN}"),
            vec![("name", SCRIPT), ("currency_rate", "1")],
        ),
        (format!("/console/stores/{OWN}/preflight"), vec![]),
        ("/console/logout".to_owned(), vec![]),
        (
            "/console/stores/77".to_owned(),
            vec![("name", SCRIPT), ("currency_rate", "1")],
        ),
    ];
    let forged = [
        None,
        Some(String::new()),
        Some(s.csrf_admin.clone()),
        Some("x".into()),
        Some(format!("{}x", s.csrf5)),
        Some(s.csrf5.chars().rev().collect()),
        Some(s.csrf5.to_uppercase()),
        Some(format!("{}%00", s.csrf5)),
    ];
    for (path, fields) in &posts {
        for (i, csrf) in forged.iter().enumerate() {
            let mut all = fields.clone();
            if let Some(csrf) = csrf {
                all.push(("csrf", csrf));
            }
            t.push(
                req(format!("forged csrf {i}"), Method::POST, path.clone())
                    .cookie(&s.session5)
                    .form(&all),
            );
        }
    }
    // Other stores' ids, with the right session and token.
    let ok = |fields: &[(&str, &str)]| -> Vec<(String, String)> {
        let mut all: Vec<(String, String)> = fields
            .iter()
            .map(|(k, v)| ((*k).into(), (*v).into()))
            .collect();
        all.push(("csrf".into(), s.csrf5.clone()));
        all
    };
    for page in [
        format!("/console/payments/{}", s.p6),
        format!("/console/queues/held?store={OTHER}"),
        format!("/console/queues/credit_failed?store={OTHER}"),
        format!("/console/stores/{OTHER}"),
        format!("/console/transactions?store={OTHER}"),
        format!("/console/quarantine?store={OTHER}"),
        format!("/console/search?q=1&store={OTHER}"),
        "/console/stores/77".to_owned(),
        "/console/stores?new=77".to_owned(),
    ] {
        t.push(req("other store", Method::GET, page).cookie(&s.session5));
    }
    for action in ["approve", "reject", "retry", "mark_credited"] {
        let mut r = req(
            "other store's payment",
            Method::POST,
            format!("/console/payments/{}/{action}", s.p6),
        );
        r.form = Some(ok(&[("version", "2"), ("note", SCRIPT)]));
        t.push(r.cookie(&s.session5));
    }
    for path in [
        format!("/console/stores/{OTHER}"),
        format!("/console/stores/{OTHER}/preflight"),
        "/console/stores/77".to_owned(),
    ] {
        let mut r = req("other store's settings", Method::POST, path);
        r.form = Some(ok(&[("name", SCRIPT), ("currency_rate", "1")]));
        t.push(r.cookie(&s.session5));
    }
    t.extend(admin_api(s));
    t.extend(oversized(s, &ok));
    t.extend(nonsense(s));
    t.extend(waiting::rows(s, w));
    t
}

/// The admin API with other stores' ids, bad tokens and bad bodies.
fn admin_api(s: &Scene) -> Vec<Req> {
    let mut t = Vec::new();
    let key = s.key5.as_str();
    let other_store = [
        (Method::GET, format!("/admin/payments/{}", s.p6)),
        (Method::POST, format!("/admin/payments/{}/approve", s.p6)),
        (Method::POST, format!("/admin/payments/{}/reject", s.p6)),
        (Method::POST, format!("/admin/payments/{}/retry", s.p6)),
        (
            Method::POST,
            format!("/admin/payments/{}/mark_credited", s.p6),
        ),
        (Method::GET, format!("/admin/stores/{OTHER}")),
        (Method::POST, format!("/admin/stores/{OTHER}/preflight")),
        (Method::GET, format!("/admin/transactions?store_id={OTHER}")),
        (Method::GET, format!("/admin/quarantine?store_id={OTHER}")),
        (Method::GET, format!("/admin/payments?store_id={OTHER}")),
        (Method::GET, "/admin/payments".to_owned()),
        (Method::GET, "/admin/quarantine".to_owned()),
        (Method::GET, format!("/admin/stores/{OWN}/keys")),
        (Method::GET, format!("/admin/stores/{OTHER}/keys")),
        (Method::DELETE, format!("/admin/stores/{OTHER}/keys/six")),
        (Method::DELETE, format!("/admin/stores/{OWN}/keys/five")),
    ];
    for (method, path) in other_store {
        t.push(req("a store key beyond its store", method, path).bearer(key));
    }
    let note = json!({"note": SCRIPT});
    t.push(
        req(
            "other store, with a body",
            Method::PUT,
            format!("/admin/stores/{OTHER}"),
        )
        .bearer(key)
        .json(&json!({"name": SCRIPT})),
    );
    t.push(
        req("a key creating a store", Method::PUT, "/admin/stores/77")
            .bearer(key)
            .json(&json!({"name": SCRIPT})),
    );
    t.push(
        req(
            "a key making keys",
            Method::POST,
            format!("/admin/stores/{OWN}/keys"),
        )
        .bearer(key)
        .json(&json!({"name": "mine"})),
    );
    t.push(
        req(
            "other store's payment, with a note",
            Method::POST,
            format!("/admin/payments/{}/approve", s.p6),
        )
        .bearer(key)
        .json(&note),
    );
    let bad_tokens = [
        String::new(),
        "Bearer".into(),
        format!("{key}x"),
        key.to_uppercase(),
        key[..key.len() - 1].to_owned(),
        format!("cgk_{}", "a".repeat(52)),
        "admin".into(),
        s.csrf5.clone(),
        format!("{} {key}", key),
        "x".repeat(3000),
    ];
    for token in &bad_tokens {
        for (method, path) in [
            (Method::GET, format!("/admin/payments/{}", s.p5)),
            (Method::POST, format!("/admin/payments/{}/approve", s.p5)),
            (Method::GET, format!("/admin/stores/{OWN}")),
        ] {
            t.push(req("a bad token", method, path).bearer(token));
        }
    }
    let basic = format!(
        "Basic {}",
        data_encoding::BASE64.encode(format!("admin:{key}").as_bytes())
    );
    t.push(req("basic auth", Method::GET, format!("/admin/stores/{OWN}")).authorization(&basic));
    t.push(req(
        "no authorization",
        Method::GET,
        format!("/admin/stores/{OWN}"),
    ));
    t
}

/// Fields past their limits, and lists' positions that are not theirs.
/// Fields with the session's CSRF token added.
type WithToken<'a> = &'a dyn Fn(&[(&str, &str)]) -> Vec<(String, String)>;

fn oversized(s: &Scene, ok: WithToken) -> Vec<Req> {
    let mut t = Vec::new();
    let long_note = "n".repeat(1001);
    let huge = "x".repeat(3000);
    let approve = format!("/console/payments/{}/approve", s.p5);
    for (what, fields) in [
        (
            "a note past 1000 characters",
            vec![
                ("version", s.version5.as_str()),
                ("note", long_note.as_str()),
            ],
        ),
        (
            "a field past 2048 characters",
            vec![("version", s.version5.as_str()), ("note", huge.as_str())],
        ),
        ("no version", vec![("note", "x")]),
        ("a version that is not a number", vec![("version", "abc")]),
        ("an old version", vec![("version", "0")]),
    ] {
        let mut r = req(what, Method::POST, approve.clone());
        r.form = Some(ok(&fields));
        t.push(r.cookie(&s.session5));
    }
    // Over `limits.body_bytes_max` (64 KiB) but read to the end, so the
    // client gets the 413 rather than a reset.
    let mut big = req("a 200 KiB form", Method::POST, approve.clone()).cookie(&s.session5);
    big.body = Some(vec![b'a'; 200 * 1024]);
    t.push(big);
    let long_name = "n".repeat(201);
    let approvers = (0..21)
        .map(|i| format!("a{i}@example.com"))
        .collect::<Vec<_>>()
        .join("\n");
    let ips = (0..51)
        .map(|i| format!("10.0.0.{i}"))
        .collect::<Vec<_>>()
        .join("\n");
    let zone = "Z".repeat(100);
    let url = format!("javascript:{SCRIPT}");
    for (what, name, value) in [
        ("a name past 200 characters", "name", long_name.as_str()),
        ("21 approvers", "approvers", approvers.as_str()),
        ("51 check IPs", "check_ips", ips.as_str()),
        ("a time zone past 64 characters", "time_zone", zone.as_str()),
        (
            "a script as the WHMCS address",
            "whmcs_api_url",
            url.as_str(),
        ),
        ("a script as an approver", "approvers", SCRIPT),
        ("a script as a check IP", "check_ips", SCRIPT),
        ("a rate of zero", "currency_rate", "0"),
        (
            "an hourly limit that is not a number",
            "hold_after_checks_per_hour",
            "many",
        ),
    ] {
        let mut fields = vec![
            ("name", SCRIPT),
            ("currency_rate", "1"),
            ("time_zone", "UTC"),
            ("search_window", "30m"),
            ("approval_window", "48h"),
        ];
        fields.retain(|(n, _)| *n != name);
        fields.push((name, value));
        let mut r = req(what, Method::POST, format!("/console/stores/{OWN}"));
        r.form = Some(ok(&fields));
        t.push(r.cookie(&s.session5));
    }
    let long_query = "q".repeat(5000);
    for page in [
        "/console/queues/held",
        "/console/transactions",
        "/console/quarantine",
        "/console/stores",
    ] {
        for cursor in ["!!!", &"A".repeat(600), "AAAA"] {
            let sep = if page.contains('?') { '&' } else { '?' };
            t.push(
                req(
                    "a cursor not from this list",
                    Method::GET,
                    format!("{page}{sep}cursor={cursor}"),
                )
                .cookie(&s.session5),
            );
        }
    }
    t.push(
        req(
            "a query past 2048 characters",
            Method::GET,
            format!("/console/search?q={long_query}"),
        )
        .cookie(&s.session5),
    );
    let key = s.key5.as_str();
    t.push(
        req(
            "an API note past 1000 characters",
            Method::POST,
            format!("/admin/payments/{}/approve", s.p5),
        )
        .bearer(key)
        .json(&json!({"note": long_note})),
    );
    t.push(
        req(
            "an API body that is not JSON",
            Method::POST,
            format!("/admin/payments/{}/approve", s.p5),
        )
        .bearer(key)
        .raw(b"{not json".to_vec()),
    );
    t.push(
        req(
            "a 200 KiB API body",
            Method::PUT,
            format!("/admin/stores/{OWN}"),
        )
        .bearer(key)
        .raw(vec![b' '; 200 * 1024]),
    );
    t.push(
        req(
            "a store whose name is too long",
            Method::PUT,
            format!("/admin/stores/{OWN}"),
        )
        .bearer(key)
        .json(&json!({"name": long_name})),
    );
    t.push(
        req(
            "an API cursor not from the list",
            Method::GET,
            format!("/admin/payments?store_id={OWN}&cursor=AAAA"),
        )
        .bearer(key),
    );
    t
}

/// Paths and methods the console does not have.
fn nonsense(s: &Scene) -> Vec<Req> {
    let mut t = Vec::new();
    for (method, path) in [
        (Method::PUT, "/console".to_owned()),
        (Method::DELETE, format!("/console/payments/{}", s.p5)),
        (Method::GET, format!("/console/payments/{}/approve", s.p5)),
        (Method::POST, format!("/console/payments/{}/delete", s.p5)),
        (
            Method::POST,
            "/console/payments/not-an-id/approve".to_owned(),
        ),
        (Method::GET, "/console/payments/pay_x".to_owned()),
        (Method::GET, "/console/queues/nonsense".to_owned()),
        (Method::GET, "/console/stores/bad%20id".to_owned()),
        (
            Method::GET,
            "/console/static/../../../etc/passwd".to_owned(),
        ),
        (Method::GET, "/console/static/missing.js".to_owned()),
        (Method::GET, "/console/nowhere".to_owned()),
    ] {
        let mut r = req("no such page", method, path).cookie(&s.session5);
        r.form = Some(vec![
            ("csrf".into(), s.csrf5.clone()),
            ("version".into(), s.version5.clone()),
        ]);
        t.push(r);
    }
    for (what, token) in [
        ("a wrong token", "wrong"),
        ("a token past 512 characters", &*"t".repeat(600)),
        ("a NUL in the token", "cgk_\0"),
        ("a script as the token", SCRIPT),
    ] {
        t.push(
            req(format!("sign-in: {what}"), Method::POST, "/console/login")
                .form(&[("token", token)]),
        );
    }
    t.push(
        req(
            "sign-in with another site's form (no login cookie)",
            Method::POST,
            "/console/login",
        )
        .form(&[("token", &s.key6), ("csrf", "x")]),
    );
    t
}

/// A held payment of `store` (amount `100 + n`) rejected, and its
/// customer's new searching payment: the transaction `0144000000nn` waits
/// for an operator. The trans_id and the new payment's id.
async fn waiting_in(daemon: &TestDaemon, store: &str, n: u32) -> (String, String) {
    let held = daemon.held_in(store, n).await;
    let rejected = daemon
        .admin_post(&format!("/admin/payments/{held}/reject"), &json!({}))
        .await;
    assert_eq!(rejected.body["state"], "rejected", "{rejected:?}");
    let amount = (100 + n).to_string();
    let client = (100 + n).to_string();
    let again = daemon
        .check(&[
            ("store_id", store),
            ("phone", "01012345678"),
            ("amount", &amount),
            ("client_id", &client),
        ])
        .await;
    assert_eq!(again.body["state"], "searching", "{:?}", again.body);
    let id = again.body["payment_id"].as_str().unwrap().to_owned();
    (format!("0144000{n:05}"), id)
}

#[tokio::test(flavor = "multi_thread")]
async fn hostile_console_and_admin_requests_get_4xx_and_change_nothing() {
    let daemon = spawn_daemon(|s| {
        s.limits.auth_failures_per_minute_per_ip = 100_000;
        s.limits.sign_ins_per_minute_per_ip = 100_000;
        s.limits.preflights_per_minute_per_store = 100_000;
    })
    .await;
    daemon.holding_store(OWN).await;
    daemon.holding_store(OTHER).await;
    let (p5, p6) = (daemon.held_in(OWN, 1).await, daemon.held_in(OTHER, 2).await);
    let (tx5, searching5) = waiting_in(&daemon, OWN, 3).await;
    let (tx6, searching6) = waiting_in(&daemon, OTHER, 4).await;
    let folders = tempfile::tempdir().unwrap();
    std::fs::write(folders.path().join("kept"), b"x").unwrap();
    let backup_to = folders.path().join("never-made");
    let waiting = waiting::Waiting {
        tx5,
        tx6,
        searching5,
        searching6,
        backup_to: backup_to.display().to_string(),
        not_empty: folders.path().display().to_string(),
    };
    let key5 = daemon.store_key(OWN, "five").await;
    let key6 = daemon.store_key(OTHER, "six").await;
    let mine = Console::sign_in(&daemon, &key5).await;
    let admin = Console::sign_in(&daemon, &daemon.admin_token).await;
    let scene = Scene {
        version5: daemon.version_and_state(&p5).await.0.to_string(),
        p5,
        p6,
        key5,
        key6,
        session5: mine.session.clone().unwrap(),
        csrf5: mine.csrf.clone().unwrap(),
        csrf_admin: admin.csrf.clone().unwrap(),
        admin: daemon.admin_token.clone(),
    };
    let before = world(&daemon).await;
    let requests = table(&scene, &waiting);
    assert!(requests.len() >= 200, "only {} requests", requests.len());
    let http = no_redirects();
    let mut wrong = Vec::new();
    let mut by_status = std::collections::BTreeMap::<u16, usize>::new();
    for r in &requests {
        let mut builder = http.request(r.method.clone(), daemon.url(&r.path));
        if let Some(cookie) = r.cookie.as_ref().filter(|c| !c.is_empty()) {
            builder = builder.header("cookie", cookie);
        }
        if let Some(value) = &r.bearer {
            builder = builder.header("authorization", value);
        }
        if let Some(form) = &r.form {
            builder = builder.form(form);
        }
        if let Some(body) = &r.body {
            builder = builder.body(body.clone());
        }
        let status = match builder.send().await {
            Ok(response) => response.status().as_u16(),
            Err(e) => {
                wrong.push(format!("{} {} {}: {e}", r.what, r.method, r.path));
                continue;
            }
        };
        *by_status.entry(status).or_default() += 1;
        if !(400..500).contains(&status) {
            wrong.push(format!(
                "{} ({} {:.80}): {status}",
                r.what, r.method, r.path
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {} were not refused: {wrong:#?}",
        wrong.len(),
        requests.len()
    );
    eprintln!("{} requests by status: {by_status:?}", requests.len());
    assert_eq!(world(&daemon).await, before, "something changed");
    assert!(!backup_to.exists(), "a refused backup wrote a folder");
    // The sessions the table attacked still work, and show no script.
    for console in [&mine, &admin] {
        let page = console
            .get(&format!("/console/payments/{}", scene.p5))
            .await;
        assert_eq!(page.status, 200);
        assert!(!page.body.contains("<script>alert"));
    }
    assert!(
        daemon
            .http
            .get(daemon.url("/healthz"))
            .send()
            .await
            .unwrap()
            .status()
            .is_success()
    );
}
