use crate::backend_tests;
use crate::support::{Backend, TestApp, OPERATOR_TOKEN};
use reqwest::Method;
use serde_json::json;

backend_tests!(operator_manages_tenants_and_keys, keys_are_checked);

async fn operator_manages_tenants_and_keys(b: Backend) {
    let app = TestApp::spawn(b).await;
    let op = Some(OPERATOR_TOKEN);
    let r = app
        .call_as(
            op,
            Method::POST,
            "/v1/tenants",
            Some(json!({"slug": "globex", "name": "Globex"})),
        )
        .await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    for field in ["id", "number", "slug", "name", "api_key"] {
        assert!(!r.body[field].is_null(), "{field}");
    }
    let key = r.body["api_key"].as_str().unwrap().to_owned();
    assert!(key.starts_with("rst_") && key.len() >= 4 + 43);
    let tenant = r.body["id"].as_str().unwrap().to_owned();
    assert_eq!(
        app.call_as(
            op,
            Method::POST,
            "/v1/tenants",
            Some(json!({"slug": "globex"}))
        )
        .await
        .status,
        409
    );
    assert_eq!(
        app.call_as(
            op,
            Method::POST,
            "/v1/tenants",
            Some(json!({"slug": "Bad Slug"}))
        )
        .await
        .status,
        422
    );
    let list = app.call_as(op, Method::GET, "/v1/tenants", None).await;
    assert_eq!(list.body["data"].as_array().unwrap().len(), 2);
    assert!(
        list.body["data"][1].get("api_key").is_none(),
        "keys are shown once"
    );

    // The new key works; a second key works; revoking one leaves the other.
    assert_eq!(
        app.call_as(Some(&key), Method::GET, "/v1/users", None)
            .await
            .status,
        200
    );
    let k2 = app
        .call_as(
            op,
            Method::POST,
            &format!("/v1/tenants/{tenant}/api-keys"),
            None,
        )
        .await;
    assert_eq!(k2.status, 201);
    let key2 = k2.body["api_key"].as_str().unwrap().to_owned();
    let revoke = app
        .call_as(
            op,
            Method::DELETE,
            &format!("/v1/api-keys/{}", r.body["api_key_id"].as_str().unwrap()),
            None,
        )
        .await;
    assert_eq!(revoke.status, 200);
    assert!(revoke.body["revoked_at"].is_string());
    assert_eq!(
        app.call_as(Some(&key), Method::GET, "/v1/users", None)
            .await
            .status,
        401
    );
    assert_eq!(
        app.call_as(Some(&key2), Method::GET, "/v1/users", None)
            .await
            .status,
        200
    );
    assert_eq!(
        app.call_as(
            op,
            Method::POST,
            "/v1/tenants/00000000-0000-0000-0000-000000000000/api-keys",
            None
        )
        .await
        .status,
        404
    );
}

async fn keys_are_checked(b: Backend) {
    let app = TestApp::spawn(b).await;
    assert_eq!(
        app.call_as(None, Method::GET, "/v1/users", None)
            .await
            .status,
        401
    );
    assert_eq!(
        app.call_as(Some("rst_nope"), Method::GET, "/v1/users", None)
            .await
            .status,
        401
    );
    // A tenant key is not the operator token, and the other way round.
    assert_eq!(app.call(Method::GET, "/v1/tenants", None).await.status, 401);
    assert_eq!(
        app.call_as(Some(OPERATOR_TOKEN), Method::GET, "/v1/users", None)
            .await
            .status,
        401
    );
    let r = app.call_as(None, Method::GET, "/v1/users", None).await;
    assert_eq!(r.header("content-type"), Some("application/problem+json"));
    assert_eq!(r.header("www-authenticate"), Some("Bearer"));
}
