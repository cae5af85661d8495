//! The table's rows for transactions that wait for an operator and for
//! backups: the console's assignment form and the admin API's `awaiting`,
//! `assign` and `backup`, with forged tokens, other stores' ids, bad
//! bodies and fields past their limits. Each must be refused, changing
//! nothing — and a refused backup writes no folder.

use reqwest::Method;
use serde_json::json;

use super::{OTHER, OWN, Req, SCRIPT, Scene, req};

/// What the table needs beyond the held payments: a transaction of each
/// store waiting for an operator, and each customer's searching payment
/// of its amount.
pub struct Waiting {
    pub tx5: String,
    pub tx6: String,
    pub searching5: String,
    pub searching6: String,
    /// A folder a refused backup must not create.
    pub backup_to: String,
    /// A folder with a file in it: a backup there is refused (`409`).
    pub not_empty: String,
}

pub fn rows(s: &Scene, w: &Waiting) -> Vec<Req> {
    let mut t = console(s, w);
    t.extend(admin_api(s, w));
    t
}

fn with_token(s: &Scene, fields: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut all: Vec<(String, String)> = fields
        .iter()
        .map(|(k, v)| ((*k).into(), (*v).into()))
        .collect();
    all.push(("csrf".into(), s.csrf5.clone()));
    all
}

fn console(s: &Scene, w: &Waiting) -> Vec<Req> {
    let mut t = Vec::new();
    let own = format!("/console/transactions/{OWN}/{}/assign", w.tx5);
    let forged = [
        None,
        Some(String::new()),
        Some(s.csrf_admin.clone()),
        Some(format!("{}x", s.csrf5)),
        Some(s.csrf5.to_uppercase()),
    ];
    for (i, csrf) in forged.iter().enumerate() {
        let mut fields = vec![("payment_id", w.searching5.as_str()), ("note", SCRIPT)];
        if let Some(csrf) = csrf {
            fields.push(("csrf", csrf));
        }
        t.push(
            req(
                format!("assign, forged csrf {i}"),
                Method::POST,
                own.clone(),
            )
            .cookie(&s.session5)
            .form(&fields),
        );
    }
    t.push(
        req("assign, no session", Method::POST, own.clone())
            .form(&[("payment_id", &w.searching5), ("csrf", &s.csrf5)]),
    );
    let long_note = "n".repeat(1001);
    /// What is wrong, where it is posted, the fields (the token is added).
    type Case<'a> = (&'a str, String, Vec<(&'a str, &'a str)>);
    let cases: Vec<Case> = vec![
        (
            "assign another store's transaction",
            format!("/console/transactions/{OTHER}/{}/assign", w.tx6),
            vec![("payment_id", &w.searching6), ("note", SCRIPT)],
        ),
        (
            "assign another store's transaction under our id",
            format!("/console/transactions/{OWN}/{}/assign", w.tx6),
            vec![("payment_id", &w.searching5)],
        ),
        (
            "assign ours to another store's payment",
            own.clone(),
            vec![("payment_id", &w.searching6), ("note", SCRIPT)],
        ),
        ("assign to no payment id", own.clone(), vec![]),
        (
            "assign to a script",
            own.clone(),
            vec![("payment_id", SCRIPT)],
        ),
        (
            "assign with a note past 1000 characters",
            own.clone(),
            vec![("payment_id", &w.searching5), ("note", &long_note)],
        ),
        (
            "assign to a held payment",
            own.clone(),
            vec![("payment_id", &s.p5)],
        ),
        (
            "assign a transaction that is not there",
            format!("/console/transactions/{OWN}/014499999999/assign"),
            vec![("payment_id", &w.searching5)],
        ),
        (
            "assign under a bad store id",
            format!("/console/transactions/bad%20id/{}/assign", w.tx5),
            vec![("payment_id", &w.searching5)],
        ),
        (
            "assign a bad trans_id",
            format!("/console/transactions/{OWN}/%3Cscript%3E/assign"),
            vec![("payment_id", &w.searching5)],
        ),
    ];
    for (what, path, fields) in cases {
        let mut r = req(what, Method::POST, path);
        r.form = Some(with_token(s, &fields));
        t.push(r.cookie(&s.session5));
    }
    for cursor in ["!!!", "AAAA"] {
        t.push(
            req(
                "a cursor not from the waiting list",
                Method::GET,
                format!("/console/transactions?list=awaiting&cursor={cursor}"),
            )
            .cookie(&s.session5),
        );
    }
    t.push(req("assign by GET", Method::GET, own).cookie(&s.session5));
    t
}

fn admin_api(s: &Scene, w: &Waiting) -> Vec<Req> {
    let mut t = Vec::new();
    let key = s.key5.as_str();
    let assign = |store: &str, tx: &str| format!("/admin/transactions/{store}/{tx}/assign");
    let own = assign(OWN, &w.tx5);
    for (what, path) in [
        (
            "waiting list across stores",
            "/admin/transactions/awaiting".to_owned(),
        ),
        (
            "another store's waiting list",
            format!("/admin/transactions/awaiting?store_id={OTHER}"),
        ),
        (
            "a cursor not from the waiting list",
            format!("/admin/transactions/awaiting?store_id={OWN}&cursor=AAAA"),
        ),
    ] {
        t.push(req(what, Method::GET, path).bearer(key));
    }
    let bodies = [
        (
            "assign another store's transaction",
            assign(OTHER, &w.tx6),
            json!({"payment_id": w.searching6, "note": SCRIPT}),
        ),
        (
            "assign another store's transaction under our id",
            assign(OWN, &w.tx6),
            json!({"payment_id": w.searching5}),
        ),
        (
            "assign ours to another store's payment",
            own.clone(),
            json!({"payment_id": w.searching6}),
        ),
        (
            "assign without a payment id",
            own.clone(),
            json!({"note": SCRIPT}),
        ),
        (
            "assign with a note past 1000 characters",
            own.clone(),
            json!({"payment_id": w.searching5, "note": "n".repeat(1001)}),
        ),
        (
            "assign to a held payment",
            own.clone(),
            json!({"payment_id": s.p5}),
        ),
        (
            "a key asking for a backup",
            "/admin/backup".to_owned(),
            json!({"to": w.backup_to}),
        ),
    ];
    for (what, path, body) in bodies {
        t.push(req(what, Method::POST, path).bearer(key).json(&body));
    }
    t.push(
        req(
            "assign with a body that is not JSON",
            Method::POST,
            own.clone(),
        )
        .bearer(key)
        .raw(b"{payment_id".to_vec()),
    );
    for token in ["", "wrong", &format!("{key}x")] {
        t.push(
            req("a backup with a bad token", Method::POST, "/admin/backup")
                .bearer(token)
                .json(&json!({"to": w.backup_to})),
        );
        t.push(
            req("assign with a bad token", Method::POST, own.clone())
                .bearer(token)
                .json(&json!({"payment_id": w.searching5})),
        );
    }
    let admin = s.admin.as_str();
    for (what, to) in [
        ("a backup to a relative folder", json!("relative/folder")),
        (
            "a backup into a folder that is not empty",
            json!(w.not_empty),
        ),
        ("a backup to a script", json!(SCRIPT)),
        ("a backup to no folder", json!(null)),
    ] {
        t.push(
            req(what, Method::POST, "/admin/backup")
                .bearer(admin)
                .json(&json!({"to": to})),
        );
    }
    t.push(req("a backup by GET", Method::GET, "/admin/backup").bearer(admin));
    t
}
