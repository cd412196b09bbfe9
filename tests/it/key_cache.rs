//! The API-key cache: a busy key costs no query per call, and a key that is revoked or
//! rotated out stops working on every roster process at once (Postgres announces the change;
//! see `service::key_cache`). SQLite does not cache: the same checks hold there trivially.

use crate::backend_tests;
use crate::support::{eventually, Backend, Server, TestApp, TestDb};
use reqwest::Method;
use roster::store::{Census, TxKind};
use serde_json::json;
use std::time::{Duration, Instant};

backend_tests!(
    a_revoked_key_stops_at_once_on_every_process,
    a_busy_key_is_served_from_the_cache,
);

/// A second key of the tenant: its secret and id.
async fn new_key(app: &TestApp, name: &str) -> (String, String) {
    let r = app
        .post("/v1/keys", json!({"name": name, "scopes": ["full"]}))
        .await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    (
        r.body["api_key"].as_str().unwrap().to_owned(),
        r.body["id"].as_str().unwrap().to_owned(),
    )
}

/// The status of a list call with `key` at `base`.
async fn status_with(http: &reqwest::Client, base: &str, key: &str) -> u16 {
    http.get(format!("{base}/v1/users"))
        .bearer_auth(key)
        .send()
        .await
        .expect("request sent")
        .status()
        .as_u16()
}

async fn a_revoked_key_stops_at_once_on_every_process(b: Backend) {
    let app = TestApp::spawn(b).await;
    // Another process on the same database, with a cache that would keep keys for minutes:
    // only the announcement can end a revoked key there in time. (SQLite serves one process.)
    let other = (b == Backend::Postgres)
        .then(|| Server::start(&app.db_url(), &[("ROSTER_KEY_CACHE_TTL", "300s")]));
    let base = match &other {
        Some(s) => format!("http://{}", s.addr),
        None => app.url(""),
    };
    let http = reqwest::Client::new();
    for (name, end) in [("revoked", "revoke"), ("rotated", "rotate")] {
        let (secret, id) = new_key(&app, name).await;
        for _ in 0..3 {
            assert_eq!(status_with(&http, &base, &secret).await, 200);
        }
        let r = match end {
            "revoke" => {
                app.call(Method::DELETE, &format!("/v1/keys/{id}"), None)
                    .await
            }
            _ => {
                app.post(
                    &format!("/v1/keys/{id}/rotate"),
                    json!({"overlap_seconds": 0}),
                )
                .await
            }
        };
        assert!(r.status == 200 || r.status == 201, "{:?}", r.body);
        // The process that changed the key refuses it at once.
        assert_eq!(status_with(&http, &app.url(""), &secret).await, 401);
        let started = Instant::now();
        eventually(|| {
            let (http, base, secret) = (&http, &base, &secret);
            async move { (status_with(http, base, secret).await == 401).then_some(()) }
        })
        .await;
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{name}: the other process served the key for {:?}",
            started.elapsed()
        );
    }
    if let Some(s) = other {
        s.kill();
    }
}

async fn a_busy_key_is_served_from_the_cache(b: Backend) {
    let db = TestDb::new(b).await;
    let census = Census::default();
    let store = db.store().await.with_census(census.clone());
    let app = TestApp::spawn_with(db, store).await;
    // The cache is on once the process listens for key changes (Postgres); a call after that
    // asks the database for the list only.
    let key_lookups =
        |txs: &[roster::store::TxRecord]| txs.iter().filter(|t| t.kind == TxKind::Single).count();
    let cached = async {
        for _ in 0..100 {
            census.take();
            assert_eq!(app.get("/v1/users").await.status, 200);
            if key_lookups(&census.take()) == 0 {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        false
    }
    .await;
    assert_eq!(
        cached,
        b == Backend::Postgres,
        "SQLite asks every time, Postgres caches"
    );
}
