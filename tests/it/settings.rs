//! `/v1/settings`: a tenant's own settings, changed with `manage-settings`, audited, and never
//! another tenant's.

use crate::backend_tests;
use crate::support::{eventually, Backend, TestApp};
use reqwest::Method;
use serde_json::{json, Value};

backend_tests!(settings_are_the_tenants_own);

async fn settings_are_the_tenants_own(b: Backend) {
    let app = TestApp::spawn(b).await;
    let (_, other) = app.other_tenant("other").await;
    assert_eq!(
        app.get("/v1/settings").await.body,
        json!({"scim_delete": "deactivate"})
    );

    let r = app
        .call(
            Method::PATCH,
            "/v1/settings",
            Some(json!({"scim_delete": "delete"})),
        )
        .await;
    assert_eq!(r.status, 422, "{:?}", r.body);
    assert_eq!(r.body["errors"][0]["field"], "scim_delete");
    let r = app
        .call(
            Method::PATCH,
            "/v1/settings",
            Some(json!({"colour": "red"})),
        )
        .await;
    assert!(r.status == 400 || r.status == 422, "{:?}", r.body);

    // A read key reads them and may not change them.
    let read = app
        .post("/v1/keys", json!({"name": "reader", "scopes": ["read"]}))
        .await
        .body["api_key"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = app
        .call_as(Some(&read), Method::GET, "/v1/settings", None)
        .await;
    assert_eq!(r.status, 200);
    let r = app
        .call_as(
            Some(&read),
            Method::PATCH,
            "/v1/settings",
            Some(json!({"scim_delete": "erase"})),
        )
        .await;
    assert_eq!(r.status, 403, "{:?}", r.body);

    let r = app
        .call(
            Method::PATCH,
            "/v1/settings",
            Some(json!({"scim_delete": "erase"})),
        )
        .await;
    assert_eq!(r.body, json!({"scim_delete": "erase"}));
    // The same again changes nothing and records nothing.
    app.call(
        Method::PATCH,
        "/v1/settings",
        Some(json!({"scim_delete": "erase"})),
    )
    .await;
    // The feed shows an event once older transactions have ended (Postgres).
    let changes = eventually(|| async {
        let feed = app.get("/v1/events?limit=200").await.body["data"].clone();
        let changes: Vec<Value> = feed
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["action"] == "settings_changed")
            .cloned()
            .collect();
        (!changes.is_empty()).then_some(changes)
    })
    .await;
    assert_eq!(changes.len(), 1, "{changes:?}");
    assert_eq!(
        changes[0]["details"],
        json!({"scim_delete": {"before": "deactivate", "after": "erase"}})
    );

    // The other tenant's settings are its own, both ways.
    let r = app
        .call_as(Some(&other), Method::GET, "/v1/settings", None)
        .await;
    assert_eq!(r.body, json!({"scim_delete": "deactivate"}));
    app.call_as(
        Some(&other),
        Method::PATCH,
        "/v1/settings",
        Some(json!({"scim_delete": "deactivate"})),
    )
    .await;
    assert_eq!(app.get("/v1/settings").await.body["scim_delete"], "erase");
}
