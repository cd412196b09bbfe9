//! Bad input of every kind gets a 4xx problem+json, never a 500.

use crate::backend_tests;
use crate::support::{read, Backend, TestApp};
use serde_json::json;

backend_tests!(
    bad_bodies_are_4xx_problems,
    routes_and_health,
    nul_characters_are_a_client_error,
    ids_that_are_not_utf8_are_not_found
);

/// Postgres cannot store NUL in text; such input is the client's error on every backend.
async fn nul_characters_are_a_client_error(b: Backend) {
    let app = TestApp::spawn(b).await;
    for path in [
        "/v1/users?group=%00",
        "/v1/users?q=a%00b",
        "/v1/users?external_id=%00",
    ] {
        let r = app.get(path).await;
        assert!(r.status < 500, "{path}: {} {:?}", r.status, r.body);
    }
    let login = app
        .post(
            "/v1/sessions",
            json!({"email": "a\u{0}b@example.com", "password": "whatever it is"}),
        )
        .await;
    assert!((400..500).contains(&login.status), "{:?}", login.body);
    let village = app
        .call(
            reqwest::Method::PATCH,
            "/networks/acme/users/a%00b@example.com",
            Some(json!({"first_name": "Al"})),
        )
        .await;
    assert!((400..500).contains(&village.status), "{:?}", village.body);
}

async fn bad_bodies_are_4xx_problems(b: Backend) {
    let app = TestApp::spawn(b).await;
    let raw = |body: Vec<u8>, content_type: Option<&'static str>| {
        let mut req = app
            .http
            .post(app.url("/v1/users"))
            .bearer_auth(&app.key)
            .body(body);
        if let Some(ct) = content_type {
            req = req.header("content-type", ct);
        }
        req.send()
    };
    // (body, content type, expected status, field named in the problem)
    type Case = (Vec<u8>, Option<&'static str>, u16, Option<&'static str>);
    let cases: Vec<Case> = vec![
        (
            b"{\"email\": ".to_vec(),
            Some("application/json"),
            400,
            None,
        ),
        (
            "{\"email\": \"a@b.co\", \"first_name\": \"raw\u{7}\"}"
                .as_bytes()
                .to_vec(),
            Some("application/json"),
            400,
            None,
        ),
        (
            b"not json at all".to_vec(),
            Some("application/json"),
            400,
            None,
        ),
        (b"[1, 2]".to_vec(), Some("application/json"), 400, None),
        (
            b"[\"pos@example.com\"]".to_vec(),
            Some("application/json"),
            400,
            None,
        ),
        (
            b"{\"email\": 42}".to_vec(),
            Some("application/json"),
            400,
            Some("email"),
        ),
        (
            b"{\"email\": \"a@b.co\", \"surprise\": true}".to_vec(),
            Some("application/json"),
            400,
            Some("surprise"),
        ),
        (
            b"{\"email\": \"a@b.co\"}".to_vec(),
            Some("text/plain"),
            415,
            None,
        ),
        (b"{\"email\": \"a@b.co\"}".to_vec(), None, 415, None),
        (Vec::new(), Some("application/json"), 400, None),
        (vec![b' '; 70 * 1024], Some("application/json"), 413, None),
        (
            b"{\"email\": \"not-an-email\"}".to_vec(),
            Some("application/json"),
            422,
            Some("email"),
        ),
        (
            b"{\"email\": \"a@b.co\", \"status\": \"banned\"}".to_vec(),
            Some("application/json"),
            422,
            Some("status"),
        ),
        (
            b"{\"email\": \"a@b.co\", \"sessions_limit\": 0}".to_vec(),
            Some("application/json"),
            422,
            Some("sessions_limit"),
        ),
        (
            b"{\"email\": \"a@b.co\", \"password\": \"short\"}".to_vec(),
            Some("application/json"),
            422,
            Some("password"),
        ),
        (
            b"{\"email\": \"a@b.co\", \"roles\": [\"god\"]}".to_vec(),
            Some("application/json"),
            422,
            Some("roles"),
        ),
        (
            b"{\"email\": \"a@b.co\", \"parent_id\": \"00000000-0000-0000-0000-000000000000\"}"
                .to_vec(),
            Some("application/json"),
            422,
            Some("parent_id"),
        ),
        (
            b"{\"email\": \"a@b.co\", \"first_name\": \"bell\\u0007\"}".to_vec(),
            Some("application/json"),
            422,
            Some("first_name"),
        ),
    ];
    for (body, ct, status, field) in cases {
        let shown = String::from_utf8_lossy(&body[..body.len().min(60)]).into_owned();
        let r = read(raw(body, ct).await.unwrap()).await;
        assert_eq!(r.status, status, "{shown:?} as {ct:?}: {:?}", r.body);
        assert_eq!(
            r.header("content-type"),
            Some("application/problem+json"),
            "{shown:?}"
        );
        assert_eq!(r.body["status"], status);
        assert!(
            r.body["title"].is_string()
                && r.body["type"].is_string()
                && r.body["detail"].is_string()
        );
        if let Some(f) = field {
            assert_eq!(r.body["errors"][0]["field"], f, "{shown:?}: {:?}", r.body);
        }
    }
    assert_eq!(
        app.get("/v1/users").await.body["data"]
            .as_array()
            .unwrap()
            .len(),
        0,
        "nothing was written"
    );
}

async fn routes_and_health(b: Backend) {
    let app = TestApp::spawn(b).await;
    let r = app.get("/v1/nowhere").await;
    assert_eq!(r.status, 404);
    assert_eq!(r.header("content-type"), Some("application/problem+json"));
    let wrong_method = app.call(reqwest::Method::DELETE, "/v1/users", None).await;
    assert_eq!(wrong_method.status, 405);
    assert_eq!(
        wrong_method.header("content-type"),
        Some("application/problem+json")
    );
    assert_eq!(app.get("/healthz").await.status, 200);
    assert_eq!(app.get("/readyz").await.status, 200);
    let r = app
        .post("/v1/users", json!({"email": "rid@example.com"}))
        .await;
    assert!(r.header("x-request-id").is_some());
    let mine = read(
        app.http
            .get(app.url("/healthz"))
            .header("x-request-id", "my-trace-1")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(mine.header("x-request-id"), Some("my-trace-1"));
}

/// A path id that is not UTF-8 once decoded names nothing: 404, as a problem, like any other
/// malformed id (axum's own answer would be a plain-text 400).
async fn ids_that_are_not_utf8_are_not_found(b: Backend) {
    let app = TestApp::spawn(b).await;
    for path in [
        "/v1/users/%FF",
        "/v1/users/%FF/events",
        "/v1/groups/%FF",
        "/v1/rooms/%C3%28",
    ] {
        let r = app.get(path).await;
        assert_eq!(r.status, 404, "{path}");
        assert_eq!(
            r.header("content-type"),
            Some("application/problem+json"),
            "{path}"
        );
    }
    let r = app.post("/v1/users/%FF/ban", json!({})).await;
    assert_eq!(r.status, 404);
    // The dialects with path parameters answer in their own envelopes.
    let r = app
        .call(
            reqwest::Method::PATCH,
            "/networks/acme/users/%FF",
            Some(json!({"first_name": "Al"})),
        )
        .await;
    assert_eq!(r.status, 404, "{:?}", r.body);
    assert_eq!(r.body["error"]["code"], "not_found");
    let r = app
        .call(
            reqwest::Method::POST,
            "/t/acme/networks/%FF/user_status",
            Some(json!({"user": "a@example.com", "status_change": "ban"})),
        )
        .await;
    assert_eq!(r.status, 404, "{:?}", r.body);
    assert_eq!(r.body["error"]["code"], "not_found");
    let r = read(
        app.http
            .get(app.url("/integration-api/v1/dashboard/users/%FF"))
            .header("X-User-Token", &app.key)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, 404, "{:?}", r.body);
    assert!(r.body["message"].is_string(), "{:?}", r.body);
}
