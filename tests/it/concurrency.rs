//! Races, with real parallel requests.

use crate::backend_tests;
use crate::support::{Backend, TestApp};
use futures::future::join_all;
use serde_json::{json, Value};

backend_tests!(
    parallel_creates_of_one_email_make_one_user,
    parallel_claims_of_one_username_make_one_holder,
    parallel_status_changes_lose_no_event
);

async fn parallel_creates_of_one_email_make_one_user(b: Backend) {
    let app = TestApp::spawn(b).await;
    let replies = join_all((0..50).map(|i| {
        let email = if i % 2 == 0 {
            "race@example.com"
        } else {
            "RACE@example.com"
        };
        app.post("/v1/users", json!({"email": email}))
    }))
    .await;
    let created = replies.iter().filter(|r| r.status == 201).count();
    let conflicts = replies.iter().filter(|r| r.status == 409).count();
    assert_eq!(
        (created, conflicts),
        (1, 49),
        "{:?}",
        replies.iter().map(|r| r.status).collect::<Vec<_>>()
    );
    let users = app.get("/v1/users").await;
    assert_eq!(users.body["data"].as_array().unwrap().len(), 1);
    let id = users.body["data"][0]["id"].as_str().unwrap();
    let timeline = app.get(&format!("/v1/users/{id}/events")).await;
    let actions: Vec<_> = timeline.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].clone())
        .collect();
    assert_eq!(actions, [json!("created")]);
}

/// Creates and patches racing for one username (in any case): exactly one wins, every other
/// is a 409 naming `username`.
async fn parallel_claims_of_one_username_make_one_holder(b: Backend) {
    let app = TestApp::spawn(b).await;
    let replies = join_all((0..40).map(|i| {
        let name = if i % 2 == 0 { "racer" } else { "RACER" };
        app.post(
            "/v1/users",
            json!({"email": format!("racer{i}@example.com"), "username": name}),
        )
    }))
    .await;
    // (successes, conflicts) among replies.
    let tally = |replies: &[crate::support::Reply], success: u16| {
        let statuses: Vec<u16> = replies.iter().map(|r| r.status).collect();
        let count = |status: u16| statuses.iter().filter(|s| **s == status).count();
        ((count(success), count(409)), statuses)
    };
    let (counts, statuses) = tally(&replies, 201);
    assert_eq!(counts, (1, 39), "{statuses:?}");
    for r in replies.iter().filter(|r| r.status == 409) {
        assert_eq!(r.body["errors"][0]["field"], "username", "{:?}", r.body);
    }
    let holders = app.get("/v1/users?username=Racer").await;
    assert_eq!(holders.body["data"].as_array().unwrap().len(), 1);

    // Twenty users without a username, then all patched to one at once.
    let ids: Vec<String> = join_all(
        (0..20).map(|i| app.create_user(json!({"email": format!("patcher{i}@example.com")}))),
    )
    .await
    .into_iter()
    .map(|u| u["id"].as_str().unwrap().to_owned())
    .collect();
    let paths: Vec<String> = ids.iter().map(|id| format!("/v1/users/{id}")).collect();
    let replies = join_all(paths.iter().map(|path| {
        app.call(
            reqwest::Method::PATCH,
            path,
            Some(json!({"username": "patched"})),
        )
    }))
    .await;
    let (counts, statuses) = tally(&replies, 200);
    assert_eq!(counts, (1, 19), "{statuses:?}");
    let holders = app.get("/v1/users?username=patched").await;
    assert_eq!(holders.body["data"].as_array().unwrap().len(), 1);
}

async fn parallel_status_changes_lose_no_event(b: Backend) {
    let app = TestApp::spawn(b).await;
    let u = app
        .create_user(json!({"email": "flip@example.com", "status": "active"}))
        .await;
    let id = u["id"].as_str().unwrap().to_owned();
    let app = &app;
    let replies = join_all((0..40).map(|i| {
        let action = if i % 2 == 0 {
            "deactivate"
        } else {
            "reactivate"
        };
        let path = format!("/v1/users/{id}/{action}");
        async move { app.post(&path, json!({})).await }
    }))
    .await;
    assert!(
        replies.iter().all(|r| r.status == 200),
        "{:?}",
        replies.iter().map(|r| r.status).collect::<Vec<_>>()
    );
    let events: Vec<Value> = app
        .get(&format!("/v1/users/{id}/events?limit=200"))
        .await
        .body["data"]
        .as_array()
        .unwrap()
        .clone();
    // Each event starts where the one before it ended: no change was lost or applied twice.
    let mut status = "active".to_owned();
    for e in &events[1..] {
        assert_eq!(e["from_status"], status.as_str(), "{events:#?}");
        status = e["to_status"].as_str().unwrap().to_owned();
    }
    let user = app.get(&format!("/v1/users/{id}")).await.body;
    assert_eq!(user["status"], status.as_str());
    assert_eq!(
        user["version"].as_i64().unwrap(),
        events.len() as i64,
        "one version per event"
    );
}
