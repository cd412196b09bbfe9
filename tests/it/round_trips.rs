//! How many transactions and statements a request costs, counted by the store's census: a
//! use case is one transaction, and a change does not read what it is about to lock.

use crate::backend_tests;
use crate::support::{Backend, TestApp, TestDb};
use reqwest::Method;
use roster::store::{Census, TxKind, TxRecord};
use serde_json::json;

backend_tests!(
    a_village_ban_is_one_transaction,
    publica_status_changes_and_force_logout_are_one_transaction_each,
    a_user_page_is_one_statement,
);

async fn a_village_ban_is_one_transaction(b: Backend) {
    let db = TestDb::new(b).await;
    let census = Census::default();
    let store = db.store().await.with_census(census.clone());
    let app = TestApp::spawn_with(db, store).await;
    app.create_user(
        json!({"email": "ban@example.com", "status": "active", "password": "correct horse 1"}),
    )
    .await;
    let login = app
        .post(
            "/v1/sessions",
            json!({"email": "ban@example.com", "password": "correct horse 1"}),
        )
        .await;
    assert_eq!(login.status, 201, "{:?}", login.body);
    census.take();

    let r = app
        .post(
            "/networks/acme/user_status",
            json!({"user": "BAN@example.com", "status_change": "ban"}),
        )
        .await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    assert_eq!(r.body["user"]["status"], "banned");

    let mut txs = census.take();
    // The API key is one statement of its own (none when the key cache holds it, on
    // Postgres); the ban is one write transaction: lock the user by email with their groups,
    // set the status, end the invites and the sessions, append the event.
    let key_lookup = TxRecord {
        kind: TxKind::Single,
        statements: 1,
        committed: false,
    };
    if txs.first() == Some(&key_lookup) {
        txs.remove(0);
    }
    assert_eq!(
        txs,
        vec![TxRecord {
            kind: TxKind::Write,
            statements: 5,
            committed: true
        }],
        "{txs:#?}"
    );
}

/// Publica.la names users by number (or, for force logout, by number else external id); the
/// change resolves that name inside its one write transaction. The other write is the rate
/// limit's count, which every Publica.la call makes.
async fn publica_status_changes_and_force_logout_are_one_transaction_each(b: Backend) {
    let db = TestDb::new(b).await;
    let census = Census::default();
    let store = db.store().await.with_census(census.clone());
    let app = TestApp::spawn_with(db, store).await;
    let user = app
        .create_user(json!({"email": "pl@example.com", "status": "active", "external_id": "77"}))
        .await;
    let number = user["number"].as_i64().unwrap();
    for path in [
        format!("/integration-api/v1/dashboard/users/{number}"),
        format!("/integration-api/v1/dashboard/users/{number}/re-activate"),
        "/integration-api/v1/dashboard/users/77/force-logout".to_owned(),
    ] {
        let method = match path.ends_with("re-activate") {
            true => Method::PUT,
            false if path.ends_with("force-logout") => Method::POST,
            false => Method::DELETE,
        };
        census.take();
        let r = app
            .http
            .request(method, app.url(&path))
            .header("X-User-Token", &app.key)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{path}");
        // The key's lookup (none when the key cache holds it, on Postgres) and the rate
        // count may run in either order.
        let mut kinds: Vec<(bool, bool)> = census
            .take()
            .iter()
            .map(|t| (t.kind == TxKind::Write, t.committed))
            .collect();
        kinds.sort();
        if kinds.first() == Some(&(false, false)) {
            kinds.remove(0);
        }
        assert_eq!(kinds, vec![(true, true), (true, true)], "{path}");
    }
}

/// A page of the native list, with every user's groups, is one statement outside any
/// transaction (besides the key's lookup when the key cache does not hold it).
async fn a_user_page_is_one_statement(b: Backend) {
    let db = TestDb::new(b).await;
    let census = Census::default();
    let store = db.store().await.with_census(census.clone());
    let app = TestApp::spawn_with(db, store).await;
    for key in ["alpha", "beta"] {
        assert_eq!(
            app.post("/v1/groups", json!({"key": key})).await.status,
            201
        );
    }
    for i in 0..5 {
        app.create_user(json!({"email": format!("p{i}@example.com"), "groups": ["beta", "alpha"]}))
            .await;
    }
    app.create_user(json!({"email": "alone@example.com"})).await;
    census.take();
    let r = app.get("/v1/users?limit=10").await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let data = r.body["data"].as_array().unwrap();
    assert_eq!(data.len(), 6);
    assert_eq!(data[0]["groups"], json!(["alpha", "beta"]));
    assert_eq!(data[5]["groups"], json!([]));
    let one = TxRecord {
        kind: TxKind::Single,
        statements: 1,
        committed: false,
    };
    let txs = census.take();
    assert!(txs == [one] || txs == [one, one], "{txs:#?}");
}
