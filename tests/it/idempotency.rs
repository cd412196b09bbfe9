use crate::backend_tests;
use crate::support::{read, Backend, TestApp};
use serde_json::{json, Value};

backend_tests!(a_retried_post_replays_its_first_answer);

async fn a_retried_post_replays_its_first_answer(b: Backend) {
    let app = TestApp::spawn(b).await;
    let send = |key: &'static str, body: Value| {
        app.http
            .post(app.url("/v1/users"))
            .bearer_auth(&app.key)
            .header("idempotency-key", key)
            .json(&body)
            .send()
    };
    let first = read(
        send("k-1", json!({"email": "idem@example.com"}))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(first.status, 201);
    let again = read(
        send("k-1", json!({"email": "idem@example.com"}))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(again.status, 201);
    assert_eq!(again.body, first.body);
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(again.header("etag"), first.header("etag"));
    assert!(again.header("etag").is_some());
    let other_body = read(
        send("k-1", json!({"email": "else@example.com"}))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(other_body.status, 422);
    assert_eq!(
        app.get("/v1/users").await.body["data"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    // A refused request is replayed as refused too.
    let bad = read(send("k-2", json!({"email": "nope"})).await.unwrap()).await;
    let bad_again = read(send("k-2", json!({"email": "nope"})).await.unwrap()).await;
    assert_eq!((bad.status, bad_again.status), (422, 422));
    // Without a key, the same body is a second request.
    assert_eq!(
        app.post("/v1/users", json!({"email": "idem@example.com"}))
            .await
            .status,
        409
    );
    // Another caller's key space is its own.
    let (_, other) = app.other_tenant("idem-other").await;
    let r = read(
        app.http
            .post(app.url("/v1/users"))
            .bearer_auth(&other)
            .header("idempotency-key", "k-1")
            .json(&json!({"email": "idem@example.com"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, 201);
    assert!(r.header("idempotent-replayed").is_none());
    assert_ne!(r.body["id"], first.body["id"]);
    // A revoked key is refused, never answered from the store.
    let op = Some(crate::support::OPERATOR_TOKEN);
    let tenants = app
        .call_as(op, reqwest::Method::GET, "/v1/tenants", None)
        .await;
    let acme = tenants.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["slug"] == "acme")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let minted = app
        .call_as(
            op,
            reqwest::Method::POST,
            &format!("/v1/tenants/{acme}/api-keys"),
            None,
        )
        .await;
    let (key, key_id) = (
        minted.body["api_key"].as_str().unwrap().to_owned(),
        minted.body["id"].as_str().unwrap().to_owned(),
    );
    let with_key = |k: String| {
        app.http
            .post(app.url("/v1/users"))
            .bearer_auth(k)
            .header("idempotency-key", "k-revoked")
            .json(&json!({"email": "revoked-key@example.com"}))
            .send()
    };
    assert_eq!(read(with_key(key.clone()).await.unwrap()).await.status, 201);
    app.call_as(
        op,
        reqwest::Method::DELETE,
        &format!("/v1/api-keys/{key_id}"),
        None,
    )
    .await;
    let replay = read(with_key(key).await.unwrap()).await;
    assert_eq!(replay.status, 401, "{:?}", replay.body);
}
