use crate::backend_tests;
use crate::support::{Backend, TestApp};
use reqwest::Method;
use serde_json::json;

backend_tests!(
    login_and_introspect,
    every_login_failure_looks_the_same,
    sessions_limit_keeps_the_newest,
    list_and_revoke_sessions
);

async fn login_and_introspect(b: Backend) {
    let app = TestApp::spawn(b).await;
    app.create_user(
        json!({"email": "L@example.com", "status": "active", "password": "open sesame"}),
    )
    .await;
    let r = app
        .post(
            "/v1/sessions",
            json!({"email": "l@EXAMPLE.com", "password": "open sesame"}),
        )
        .await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    let token = r.body["token"].as_str().unwrap();
    assert!(token.starts_with("rss_") && token.len() > 40);
    assert!(r.body["expires_at"].is_string());
    assert_eq!(r.body["user"]["email"], "L@example.com");
    let me = app
        .call_as(Some(token), Method::GET, "/v1/sessions/current", None)
        .await;
    assert_eq!(me.status, 200);
    assert_eq!(me.body["user"]["id"], r.body["user"]["id"]);
    assert_eq!(
        app.call_as(
            Some("rss_forged"),
            Method::GET,
            "/v1/sessions/current",
            None
        )
        .await
        .status,
        401
    );
    assert_eq!(
        app.call_as(None, Method::GET, "/v1/sessions/current", None)
            .await
            .status,
        401
    );
    // A session token is not an API key.
    assert_eq!(
        app.call_as(Some(token), Method::GET, "/v1/users", None)
            .await
            .status,
        401
    );
}

async fn every_login_failure_looks_the_same(b: Backend) {
    let app = TestApp::spawn(b).await;
    app.create_user(
        json!({"email": "ok@example.com", "status": "active", "password": "right password"}),
    )
    .await;
    app.create_user(json!({"email": "invited@example.com", "password": "right password"}))
        .await;
    let d = app
        .create_user(
            json!({"email": "gone@example.com", "status": "active", "password": "right password"}),
        )
        .await;
    app.post(
        &format!("/v1/users/{}/deactivate", d["id"].as_str().unwrap()),
        json!({}),
    )
    .await;
    app.create_user(json!({"email": "nopass@example.com", "status": "active"}))
        .await;
    let mut bodies = Vec::new();
    for (email, password) in [
        ("ok@example.com", "wrong password"),
        ("nobody@example.com", "right password"),
        ("invited@example.com", "right password"),
        ("gone@example.com", "right password"),
        ("nopass@example.com", "right password"),
    ] {
        let r = app
            .post(
                "/v1/sessions",
                json!({"email": email, "password": password}),
            )
            .await;
        assert_eq!(r.status, 401, "{email}");
        bodies.push(r.body);
    }
    assert!(bodies.windows(2).all(|w| w[0] == w[1]), "{bodies:?}");
}

async fn sessions_limit_keeps_the_newest(b: Backend) {
    let app = TestApp::spawn(b).await;
    app.create_user(json!({"email": "lim@example.com", "status": "active", "password": "limited one", "sessions_limit": 2})).await;
    let mut tokens = Vec::new();
    for _ in 0..3 {
        let r = app
            .post(
                "/v1/sessions",
                json!({"email": "lim@example.com", "password": "limited one"}),
            )
            .await;
        assert_eq!(r.status, 201);
        tokens.push(r.body["token"].as_str().unwrap().to_owned());
    }
    let live: Vec<u16> = {
        let mut v = Vec::new();
        for t in &tokens {
            v.push(
                app.call_as(Some(t), Method::GET, "/v1/sessions/current", None)
                    .await
                    .status,
            );
        }
        v
    };
    assert_eq!(live, [401, 200, 200]);
}

async fn list_and_revoke_sessions(b: Backend) {
    let app = TestApp::spawn(b).await;
    let u = app
        .create_user(
            json!({"email": "many@example.com", "status": "active", "password": "many logins"}),
        )
        .await;
    let path = format!("/v1/users/{}/sessions", u["id"].as_str().unwrap());
    for _ in 0..2 {
        app.post(
            "/v1/sessions",
            json!({"email": "many@example.com", "password": "many logins"}),
        )
        .await;
    }
    let list = app.get(&path).await;
    assert_eq!(list.status, 200);
    assert_eq!(list.body["data"].as_array().unwrap().len(), 2);
    assert!(
        list.body["data"][0].get("token").is_none(),
        "tokens are never shown again"
    );
    let r = app.call(Method::DELETE, &path, None).await;
    assert_eq!(r.body["sessions_revoked"], 2);
    assert_eq!(
        app.get(&path).await.body["data"].as_array().unwrap().len(),
        0
    );
    let logout = app
        .post(
            &format!("/v1/users/{}/logout", u["id"].as_str().unwrap()),
            json!({}),
        )
        .await;
    assert_eq!(logout.body["sessions_revoked"], 0);
}
