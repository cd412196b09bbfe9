//! Tenants never see each other: tenant B's key gets 404 for everything of tenant A.

use crate::backend_tests;
use crate::support::{Backend, TestApp};
use reqwest::Method;
use serde_json::json;

backend_tests!(another_tenants_key_finds_nothing);

async fn another_tenants_key_finds_nothing(b: Backend) {
    let app = TestApp::spawn(b).await;
    let u = app
        .create_user(
            json!({"email": "a@example.com", "status": "active", "password": "tenant a pass"}),
        )
        .await;
    let uid = u["id"].as_str().unwrap().to_owned();
    let group = app.post("/v1/groups", json!({"key": "a-group"})).await.body["id"]
        .as_i64()
        .unwrap();
    let room = app.post("/v1/rooms", json!({"name": "a-room"})).await.body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (_, other) = app.other_tenant("tenant-b").await;
    let other_user = app
        .call_as(
            Some(&other),
            Method::POST,
            "/v1/users",
            Some(json!({"email": "b@example.com"})),
        )
        .await
        .body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let cases: Vec<(Method, String, Option<serde_json::Value>)> = vec![
        (Method::GET, format!("/v1/users/{uid}"), None),
        (
            Method::PATCH,
            format!("/v1/users/{uid}"),
            Some(json!({"first_name": "Mallory"})),
        ),
        (Method::GET, format!("/v1/users/{uid}/events"), None),
        (Method::GET, format!("/v1/users/{uid}/sessions"), None),
        (Method::DELETE, format!("/v1/users/{uid}/sessions"), None),
        (
            Method::POST,
            format!("/v1/users/{uid}/deactivate"),
            Some(json!({})),
        ),
        (
            Method::POST,
            format!("/v1/users/{uid}/reactivate"),
            Some(json!({})),
        ),
        (
            Method::POST,
            format!("/v1/users/{uid}/ban"),
            Some(json!({})),
        ),
        (
            Method::POST,
            format!("/v1/users/{uid}/unban"),
            Some(json!({})),
        ),
        (
            Method::POST,
            format!("/v1/users/{uid}/revoke-invite"),
            Some(json!({})),
        ),
        (
            Method::POST,
            format!("/v1/users/{uid}/logout"),
            Some(json!({})),
        ),
        (
            Method::POST,
            format!("/v1/users/{uid}/activate"),
            Some(json!({})),
        ),
        (
            Method::POST,
            format!("/v1/users/{uid}/invite"),
            Some(json!({})),
        ),
        (Method::GET, format!("/v1/emails?user={uid}"), None),
        (Method::GET, format!("/v1/groups/{group}"), None),
        (
            Method::POST,
            format!("/v1/groups/{group}/members"),
            Some(json!({"user_id": other_user})),
        ),
        (
            Method::DELETE,
            format!("/v1/groups/{group}/members/{uid}"),
            None,
        ),
        (Method::GET, format!("/v1/rooms/{room}"), None),
        (
            Method::POST,
            format!("/v1/rooms/{room}/members"),
            Some(json!({"user_id": other_user})),
        ),
        (
            Method::PUT,
            format!("/v1/rooms/{room}/members/{uid}"),
            Some(json!({"role": "owner"})),
        ),
        (
            Method::DELETE,
            format!("/v1/rooms/{room}/members/{uid}"),
            None,
        ),
    ];
    for (method, path, body) in cases {
        let r = app.call_as(Some(&other), method.clone(), &path, body).await;
        assert_eq!(r.status, 404, "{method} {path}: {:?}", r.body);
    }
    // A's user cannot be put into B's own groups and rooms either.
    let b_group = app
        .call_as(
            Some(&other),
            Method::POST,
            "/v1/groups",
            Some(json!({"key": "b-group"})),
        )
        .await
        .body["id"]
        .as_i64()
        .unwrap();
    let r = app
        .call_as(
            Some(&other),
            Method::POST,
            &format!("/v1/groups/{b_group}/members"),
            Some(json!({"user_id": uid})),
        )
        .await;
    assert_eq!(r.status, 404);
    // Lists and searches show nothing of A.
    for path in [
        "/v1/users",
        "/v1/users?email=a@example.com",
        "/v1/groups",
        "/v1/rooms",
    ] {
        let r = app.call_as(Some(&other), Method::GET, path, None).await;
        assert!(!r.body.to_string().contains(&uid), "{path}");
        assert!(!r.body.to_string().contains("a@example.com"), "{path}");
    }
    let feed = app
        .call_as(Some(&other), Method::GET, "/v1/events", None)
        .await;
    assert!(!feed.body.to_string().contains(&uid));
    // Logging in as A's user with B's key fails.
    let login = app
        .call_as(
            Some(&other),
            Method::POST,
            "/v1/sessions",
            Some(json!({"email": "a@example.com", "password": "tenant a pass"})),
        )
        .await;
    assert_eq!(login.status, 401);
    // And A's user is untouched.
    let a = app.get(&format!("/v1/users/{uid}")).await;
    assert_eq!(a.body["status"], "active");
    assert_eq!(a.body["version"], 1);
}
