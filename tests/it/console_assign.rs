//! Transactions that wait for an operator, from the console: the waiting
//! count on the overview, the transactions page's forms, the assignment
//! through `Payments::assign` as the signed-in key (credited by the WHMCS
//! emulator), each refusal with its status and nothing changed, another
//! store's ids, a missing CSRF token; and the admin API's list of them,
//! paged by cursor.

use reqwest::Method;
use serde_json::{Value, json};

use crate::support::console::Console;
use crate::support::daemon::{TestDaemon, spawn_daemon};

const OWN: &str = "5";
const OTHER: &str = "6";

/// A held payment of `store` (amount `100 + n`), rejected by the admin:
/// its transaction `0144000000nn` waits for an operator. Its id.
async fn rejected_in(daemon: &TestDaemon, store: &str, n: u32) -> String {
    let id = daemon.held_in(store, n).await;
    let rejected = daemon
        .admin_post(&format!("/admin/payments/{id}/reject"), &json!({}))
        .await;
    assert_eq!(rejected.body["state"], "rejected", "{rejected:?}");
    id
}

/// The customer of `rejected_in(store, n)` checks again: a `searching`
/// payment of the same amount. Its id.
async fn checks_again(daemon: &TestDaemon, store: &str, n: u32) -> String {
    let (amount, client) = ((100 + n).to_string(), (100 + n).to_string());
    let reply = daemon
        .check(&[
            ("store_id", store),
            ("phone", "01012345678"),
            ("amount", &amount),
            ("client_id", &client),
        ])
        .await;
    assert_eq!(reply.body["state"], "searching", "{:?}", reply.body);
    reply.body["payment_id"].as_str().unwrap().to_owned()
}

fn trans_id(n: u32) -> String {
    format!("0144000{n:05}")
}

/// What an assignment could change: the payments and what waits.
async fn world(daemon: &TestDaemon) -> Value {
    let waiting = daemon.admin_get("/admin/transactions/awaiting").await.body;
    json!({"payments": daemon.all_payments().await, "waiting": waiting})
}

#[tokio::test(flavor = "multi_thread")]
async fn an_operator_assigns_a_waiting_transaction_through_the_console_and_it_is_credited() {
    let daemon = spawn_daemon(|_| {}).await;
    daemon.holding_store(OWN).await;
    let first = rejected_in(&daemon, OWN, 1).await;
    let again = checks_again(&daemon, OWN, 1).await;
    let key = daemon.store_key(OWN, "desk").await;
    let console = Console::sign_in(&daemon, &key).await;

    let overview = console.get("/console").await.body;
    assert!(
        overview.contains(&format!(
            r##"<a href="/console/transactions?store={OWN}#awaiting">1</a>"##
        )),
        "the store's waiting count: {overview}"
    );
    let rejected_page = console
        .get(&format!("/console/payments/{first}"))
        .await
        .body;
    assert!(
        rejected_page.contains("Its transfer waits for an operator since"),
        "{rejected_page}"
    );
    let page = console.get("/console/transactions").await;
    assert_eq!(page.status, 200);
    let action = format!("/console/transactions/{OWN}/{}/assign", trans_id(1));
    assert!(page.body.contains(r#"id="awaiting""#) && page.body.contains(&action));
    assert!(page.body.contains(&format!("/console/payments/{first}")));
    let arabic = console.get("/console/transactions?lang=ar").await.body;
    assert!(
        arabic.contains("في انتظار المشرف") && arabic.contains("إسناد وإضافة الرصيد"),
        "{arabic}"
    );

    // Refusals: each says why, answers as the admin API would, changes nothing.
    let before = world(&daemon).await;
    let elsewhere = daemon.check_simple("55", "55").await.body["payment_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let before_other = daemon.version_and_state(&elsewhere).await;
    let unknown_tx = format!("/console/transactions/{OWN}/014499999999/assign");
    for (path, payment, status, says) in [
        (&action, first.as_str(), 409, "Only a payment still waiting"),
        (&action, elsewhere.as_str(), 409, "amount differs"),
        (
            &action,
            "pay_aaaaaaaaaaaaaaaaaaaaaaaaaa",
            404,
            "no payment with that id",
        ),
        (&action, "not a payment", 400, "not a payment id"),
        (
            &unknown_tx,
            again.as_str(),
            404,
            "no transaction with that number",
        ),
    ] {
        let refused = console
            .post(path, &[("payment_id", payment), ("note", "x")])
            .await;
        assert_eq!(refused.status, status, "{payment}: {}", refused.body);
        assert!(refused.body.contains(says), "{says}: {}", refused.body);
        assert!(refused.body.contains(r#"role="alert""#));
    }
    assert_eq!(daemon.version_and_state(&elsewhere).await, before_other);
    let mut after = world(&daemon).await;
    after["payments"]
        .as_array_mut()
        .unwrap()
        .retain(|p| p["id"] != elsewhere.as_str());
    assert_eq!(after, before, "nothing changed");

    let assigned = console
        .post(
            &action,
            &[("payment_id", &again), ("note", "receipt seen on a call")],
        )
        .await;
    assert_eq!(assigned.status, 303, "{}", assigned.body);
    assert_eq!(
        assigned.location(),
        Some(format!("/console/payments/{again}").as_str())
    );
    let credited = daemon.poll(&again, "?wait=5&state=crediting").await;
    assert_eq!(credited.body["state"], "credited", "{:?}", credited.body);
    assert_eq!(credited.body["transaction_id"], trans_id(1));
    assert_eq!(daemon.whmcs.total_credits(), 1);
    let detail = daemon.admin_get(&format!("/admin/payments/{again}")).await;
    let history = detail.body["history"].as_array().unwrap().clone();
    let decision = history.iter().find(|h| h["event"] == "assign").unwrap();
    assert_eq!(decision["actor"]["by"], "key:desk");
    assert_eq!(decision["reason"], "receipt seen on a call");

    let overview = console.get("/console").await.body;
    assert!(
        !overview.contains("#awaiting\">"),
        "nothing waits now: {overview}"
    );
    let rejected_page = console
        .get(&format!("/console/payments/{first}"))
        .await
        .body;
    assert!(
        rejected_page.contains("Its transfer went to payment")
            && rejected_page.contains(&format!("/console/payments/{again}")),
        "{rejected_page}"
    );
    let twice = console.post(&action, &[("payment_id", &again)]).await;
    assert_eq!(twice.status, 409, "the transfer is credited now");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_store_key_cannot_assign_another_store_s_transaction_or_payment() {
    let daemon = spawn_daemon(|_| {}).await;
    daemon.holding_store(OWN).await;
    daemon.holding_store(OTHER).await;
    rejected_in(&daemon, OWN, 1).await;
    let own_waiting = checks_again(&daemon, OWN, 1).await;
    rejected_in(&daemon, OTHER, 2).await;
    let their_waiting = checks_again(&daemon, OTHER, 2).await;
    let key = daemon.store_key(OWN, "desk").await;
    let console = Console::sign_in(&daemon, &key).await;
    let before = world(&daemon).await;

    let cases = [
        // Their transaction, their payment, under their store's id.
        (
            format!("/console/transactions/{OTHER}/{}/assign", trans_id(2)),
            &their_waiting,
        ),
        // Their transaction, under our store's id: not ours, so not there.
        (
            format!("/console/transactions/{OWN}/{}/assign", trans_id(2)),
            &own_waiting,
        ),
        // Our transaction to their payment.
        (
            format!("/console/transactions/{OWN}/{}/assign", trans_id(1)),
            &their_waiting,
        ),
    ];
    for (path, payment) in &cases {
        let answer = console.post(path, &[("payment_id", payment)]).await;
        assert_eq!(answer.status, 404, "{path}: {}", answer.body);
        assert!(
            !answer
                .body
                .contains(&format!("/console/payments/{their_waiting}\""))
        );
    }
    assert_eq!(world(&daemon).await, before, "nothing changed");
    let theirs = console
        .get(&format!("/console/transactions?store={OTHER}"))
        .await;
    assert_eq!(theirs.status, 404);
    let ours = console.get("/console/transactions").await.body;
    assert!(ours.contains(&trans_id(1)) && !ours.contains(&trans_id(2)));
}

#[tokio::test(flavor = "multi_thread")]
async fn an_assignment_without_the_session_s_token_changes_nothing() {
    let daemon = spawn_daemon(|_| {}).await;
    daemon.holding_store(OWN).await;
    rejected_in(&daemon, OWN, 1).await;
    let again = checks_again(&daemon, OWN, 1).await;
    let key = daemon.store_key(OWN, "desk").await;
    let console = Console::sign_in(&daemon, &key).await;
    let other = Console::sign_in(&daemon, &daemon.admin_token).await;
    let action = format!("/console/transactions/{OWN}/{}/assign", trans_id(1));
    let before = world(&daemon).await;
    let session = console.session.as_deref();
    let other_csrf = other.csrf.clone().unwrap();
    for (what, csrf, cookie, status) in [
        ("no token", None, session, 403),
        (
            "another session's token",
            Some(other_csrf.as_str()),
            session,
            403,
        ),
        ("a made-up token", Some("AAAA"), session, 403),
        ("no session", console.csrf.as_deref(), None, 401),
    ] {
        let mut fields = vec![("payment_id", again.as_str())];
        fields.extend(csrf.map(|c| ("csrf", c)));
        let answer = console.post_raw(&action, &fields, cookie).await;
        assert_eq!(answer.status.as_u16(), status, "{what}: {}", answer.body);
    }
    assert_eq!(world(&daemon).await, before, "nothing changed");
    let with_token = console.post(&action, &[("payment_id", &again)]).await;
    assert_eq!(with_token.status, 303, "the same form with its token works");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_admin_list_of_waiting_transactions_pages_by_cursor() {
    let daemon = spawn_daemon(|_| {}).await;
    daemon.holding_store(OWN).await;
    daemon.holding_store(OTHER).await;
    for n in 1..=3 {
        rejected_in(&daemon, OWN, n).await;
    }
    rejected_in(&daemon, OTHER, 4).await;
    let mut seen = Vec::new();
    let mut path = format!("/admin/transactions/awaiting?store_id={OWN}&limit=2");
    for _ in 0..5 {
        let page = daemon.admin_get(&path).await;
        assert_eq!(page.status, 200, "{page:?}");
        assert_eq!(page.body["count"], 4, "the platform's count, for the admin");
        for tx in page.body["transactions"].as_array().unwrap() {
            assert!(tx["awaiting_operator"]["at"].is_string(), "{tx}");
            seen.push(tx["trans_id"].as_str().unwrap().to_owned());
        }
        match page.body["next_cursor"].as_str() {
            Some(next) => {
                path = format!("/admin/transactions/awaiting?store_id={OWN}&limit=2&cursor={next}")
            }
            None => break,
        }
    }
    assert_eq!(
        seen,
        [trans_id(1), trans_id(2), trans_id(3)],
        "oldest first, once each"
    );

    let key = daemon.store_key(OWN, "desk").await;
    let own = daemon
        .admin_as(
            Method::GET,
            &format!("/admin/transactions/awaiting?store_id={OWN}&limit=1000"),
            Some(&key),
            None,
        )
        .await;
    assert_eq!(own.status, 200);
    assert_eq!(
        own.body["count"],
        Value::Null,
        "a store key sees no platform count"
    );
    assert_eq!(own.body["transactions"].as_array().unwrap().len(), 3);
    let first_other = daemon
        .admin_get(&format!(
            "/admin/transactions/awaiting?store_id={OTHER}&limit=1"
        ))
        .await;
    let theirs = first_other.body["transactions"][0]["trans_id"].clone();
    assert_eq!(theirs, trans_id(4));
    let all = daemon
        .admin_get("/admin/transactions/awaiting?limit=3")
        .await;
    let cursor = all.body["next_cursor"].as_str().unwrap().to_owned();
    let foreign = daemon
        .admin_get(&format!(
            "/admin/transactions/awaiting?store_id={OTHER}&cursor={cursor}"
        ))
        .await;
    assert_eq!(foreign.status, 400, "a cursor of another list: {foreign:?}");
    let rest = daemon
        .admin_get(&format!(
            "/admin/transactions/awaiting?limit=3&cursor={cursor}"
        ))
        .await;
    assert_eq!(rest.body["transactions"][0]["trans_id"], theirs);
    assert_eq!(rest.body["next_cursor"], Value::Null);
}
