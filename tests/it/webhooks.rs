//! Webhooks that really arrive (signed, in order per user, retried, paused, re-sent,
//! replayed), and status changes that happen by themselves when the clock says so.

use crate::backend_tests;
use crate::support::{eventually, Backend, TestApp};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use chrono::{DateTime, Duration as Span, Utc};
use hmac::{Hmac, Mac};
use reqwest::Method;
use roster::domain::webhook::RetryPolicy;
use roster::service::Settings;
use roster::webhooks::{self, WorkerSettings};
use serde_json::{json, Value};
use sha2::Sha256;
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

backend_tests!(
    endpoints_are_managed_and_the_secret_is_shown_once,
    another_tenant_cannot_see_or_touch_endpoints_or_deliveries,
    every_event_arrives_signed_and_in_order_per_user,
    failures_are_retried_then_pause_the_endpoint_until_resumed,
    a_delivery_is_resent_and_an_endpoint_replayed_with_the_same_ids,
    two_workers_never_send_one_delivery_at_once,
    private_urls_are_refused_unless_allowed,
    a_ban_with_until_is_lifted_by_roster,
    a_lift_that_is_no_longer_legal_is_skipped_and_recorded,
    a_scheduled_deactivation_is_listed_cancelled_and_carried_out,
);

/// What the receiver got: the headers that matter and the body, in arrival order.
#[derive(Debug, Clone)]
struct Received {
    id: String,
    timestamp: String,
    signature: String,
    body: Bytes,
}

#[derive(Clone, Default)]
struct Receiver {
    got: Arc<Mutex<Vec<Received>>>,
    /// Statuses to answer, in turn; 200 once they run out.
    script: Arc<Mutex<VecDeque<u16>>>,
    /// Ids being answered right now, and those that arrived while already in flight.
    in_flight: Arc<Mutex<std::collections::HashSet<String>>>,
    overlaps: Arc<Mutex<Vec<String>>>,
    /// How long each answer takes, to widen the window in which an overlap would show.
    hold: Arc<Mutex<Duration>>,
}

impl Receiver {
    /// Serves on a free local port; answers the URL to register.
    async fn start() -> (Self, String) {
        let r = Receiver::default();
        let app = axum::Router::new()
            .route("/hook", axum::routing::post(receive))
            .with_state(r.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        (r, url)
    }

    fn answer(&self, statuses: &[u16]) {
        self.script.lock().unwrap().extend(statuses);
    }

    fn got(&self) -> Vec<Received> {
        self.got.lock().unwrap().clone()
    }
}

async fn receive(State(r): State<Receiver>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let h = |n: &str| headers.get(n).unwrap().to_str().unwrap().to_owned();
    let id = h("webhook-id");
    if !r.in_flight.lock().unwrap().insert(id.clone()) {
        r.overlaps.lock().unwrap().push(id.clone());
    }
    let hold = *r.hold.lock().unwrap();
    tokio::time::sleep(hold).await;
    r.in_flight.lock().unwrap().remove(&id);
    r.got.lock().unwrap().push(Received {
        id: h("webhook-id"),
        timestamp: h("webhook-timestamp"),
        signature: h("webhook-signature"),
        body,
    });
    let status = r.script.lock().unwrap().pop_front().unwrap_or(200);
    StatusCode::from_u16(status).unwrap()
}

/// Whether `secret` signed a delivery, checked as a receiver would, with HMAC-SHA256 done here.
fn signed_by(secret: &str, r: &Received) -> bool {
    let key = STANDARD
        .decode(secret.strip_prefix("whsec_").unwrap())
        .unwrap();
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).unwrap();
    mac.update(format!("{}.{}.", r.id, r.timestamp).as_bytes());
    mac.update(&r.body);
    r.signature == format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
}

/// The payload of a delivery `secret` signed.
fn verify(secret: &str, r: &Received) -> Value {
    assert!(signed_by(secret, r), "signature of {}", r.id);
    serde_json::from_slice(&r.body).unwrap()
}

fn allowing() -> Settings {
    Settings {
        webhooks_allow_private: true,
        ..Settings::default()
    }
}

fn fast(pause_after: i64) -> WorkerSettings {
    WorkerSettings {
        tick: Duration::from_millis(20),
        lease: Duration::from_secs(30),
        timeout: Duration::from_secs(5),
        retry: RetryPolicy {
            base: Duration::from_millis(20),
            cap: Duration::from_millis(80),
            pause_after,
        },
        allow_private: true,
        ..WorkerSettings::default()
    }
}

/// Starts the worker for `app`; it stops when the returned sender is dropped.
fn worker(app: &TestApp, settings: WorkerSettings) -> tokio::sync::watch::Sender<bool> {
    let (stop, stopped) = tokio::sync::watch::channel(false);
    tokio::spawn(webhooks::run(app.services.clone(), settings, stopped));
    stop
}

async fn register(app: &TestApp, url: &str, types: Value) -> (String, String) {
    let r = app
        .post("/v1/webhooks", json!({"url": url, "event_types": types}))
        .await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    (
        r.body["id"].as_str().unwrap().to_owned(),
        r.body["secret"].as_str().unwrap().to_owned(),
    )
}

async fn user(app: &TestApp, email: &str) -> String {
    app.create_user(json!({"email": email})).await["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn act(app: &TestApp, user: &str, action: &str, body: Value) -> crate::support::Reply {
    app.post(&format!("/v1/users/{user}/{action}"), body).await
}

async fn deliveries(app: &TestApp, endpoint: &str) -> Vec<Value> {
    let r = app
        .get(&format!("/v1/webhooks/{endpoint}/deliveries?limit=200"))
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    r.body["data"].as_array().unwrap().clone()
}

async fn endpoints_are_managed_and_the_secret_is_shown_once(b: Backend) {
    let (app, _) = TestApp::spawn_configured(b, allowing(), None).await;
    let r = app
        .post(
            "/v1/webhooks",
            json!({"url": "https://hooks.example.com/a", "event_types": ["banned"], "description": "billing"}),
        )
        .await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    let secret = r.body["secret"].as_str().unwrap();
    assert!(secret.starts_with("whsec_"));
    assert_eq!(STANDARD.decode(&secret[6..]).unwrap().len(), 32);
    assert_eq!(r.body["status"], "active");
    let id = r.body["id"].as_str().unwrap();
    let read = app.get(&format!("/v1/webhooks/{id}")).await;
    assert_eq!(read.status, 200);
    assert!(
        read.body.get("secret").is_none(),
        "shown once: {:?}",
        read.body
    );
    assert_eq!(read.body["event_types"], json!(["banned"]));
    let list = app.get("/v1/webhooks").await;
    assert_eq!(list.body["data"].as_array().unwrap().len(), 1);
    assert!(list.body["data"][0].get("secret").is_none());

    let patched = app
        .call(
            Method::PATCH,
            &format!("/v1/webhooks/{id}"),
            Some(json!({"event_types": ["banned", "unbanned"], "description": ""})),
        )
        .await;
    assert_eq!(patched.status, 200, "{:?}", patched.body);
    assert_eq!(patched.body["event_types"], json!(["banned", "unbanned"]));
    assert_eq!(patched.body["description"], Value::Null);

    let bad = app
        .post(
            "/v1/webhooks",
            json!({"url": "not a url", "event_types": ["bannned"]}),
        )
        .await;
    assert_eq!(bad.status, 422, "{:?}", bad.body);
    let text = bad.body.to_string();
    assert!(
        text.contains("url") && text.contains("event_types"),
        "{text}"
    );
    let missing = app.post("/v1/webhooks", json!({})).await;
    assert_eq!(missing.status, 422);

    let paused = app
        .post(
            &format!("/v1/webhooks/{id}/pause"),
            json!({"reason": "maintenance"}),
        )
        .await;
    assert_eq!(paused.body["status"], "paused");
    assert_eq!(paused.body["paused_reason"], "maintenance");
    let resumed = app
        .post(&format!("/v1/webhooks/{id}/resume"), json!({}))
        .await;
    assert_eq!(resumed.body["status"], "active");

    let gone = app
        .call(Method::DELETE, &format!("/v1/webhooks/{id}"), None)
        .await;
    assert_eq!(gone.status, 204);
    assert_eq!(app.get(&format!("/v1/webhooks/{id}")).await.status, 404);
}

async fn another_tenant_cannot_see_or_touch_endpoints_or_deliveries(b: Backend) {
    let (app, _) = TestApp::spawn_configured(b, allowing(), None).await;
    let (receiver, url) = Receiver::start().await;
    let (endpoint, _) = register(&app, &url, json!(["*"])).await;
    let _stop = worker(&app, fast(50));
    let u = user(&app, "iso@example.com").await;
    act(&app, &u, "ban", json!({})).await;
    eventually(|| async { (receiver.got().len() >= 2).then_some(()) }).await;
    let delivery = deliveries(&app, &endpoint).await[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let (_, other) = app.other_tenant("beta").await;
    let as_other = |m: Method, path: String, body: Option<Value>| {
        let other = other.clone();
        let app = &app;
        async move { app.call_as(Some(&other), m, &path, body).await }
    };
    let list = as_other(Method::GET, "/v1/webhooks".into(), None).await;
    assert_eq!(list.status, 200);
    assert_eq!(list.body["data"], json!([]));
    for (m, path, body) in [
        (Method::GET, format!("/v1/webhooks/{endpoint}"), None),
        (
            Method::PATCH,
            format!("/v1/webhooks/{endpoint}"),
            Some(json!({"event_types": ["*"]})),
        ),
        (
            Method::POST,
            format!("/v1/webhooks/{endpoint}/pause"),
            Some(json!({})),
        ),
        (
            Method::POST,
            format!("/v1/webhooks/{endpoint}/resume"),
            Some(json!({})),
        ),
        (
            Method::GET,
            format!("/v1/webhooks/{endpoint}/deliveries"),
            None,
        ),
        (
            Method::GET,
            format!("/v1/webhooks/{endpoint}/deliveries/{delivery}"),
            None,
        ),
        (
            Method::POST,
            format!("/v1/webhooks/{endpoint}/deliveries/{delivery}/resend"),
            Some(json!({})),
        ),
        (
            Method::POST,
            format!("/v1/webhooks/{endpoint}/replay"),
            Some(json!({})),
        ),
        (Method::DELETE, format!("/v1/webhooks/{endpoint}"), None),
    ] {
        let r = as_other(m.clone(), path.clone(), body).await;
        assert_eq!(r.status, 404, "{m} {path}: {:?}", r.body);
    }
    // The other tenant's own events never reach this tenant's endpoint.
    let before = receiver.got().len();
    let r = app
        .call_as(
            Some(&other),
            Method::POST,
            "/v1/users",
            Some(json!({"email": "b@example.com"})),
        )
        .await;
    assert_eq!(r.status, 201);
    let mine = app.get(&format!("/v1/webhooks/{endpoint}")).await;
    assert_eq!(mine.body["status"], "active", "untouched");
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(receiver.got().len(), before);
    assert_eq!(deliveries(&app, &endpoint).await.len(), 2);
}

async fn every_event_arrives_signed_and_in_order_per_user(b: Backend) {
    let (app, _) = TestApp::spawn_configured(b, allowing(), None).await;
    let (receiver, url) = Receiver::start().await;
    let (_, secret) = register(&app, &url, json!(["*"])).await;
    let (_, bans_secret) = register(&app, &url, json!(["banned", "unbanned"])).await;
    let _stop = worker(&app, fast(50));
    let mut users = Vec::new();
    for i in 0..3 {
        users.push(user(&app, &format!("u{i}@example.com")).await);
    }
    for round in 0..3 {
        for u in &users {
            for action in ["ban", "unban"] {
                let r = act(&app, u, action, json!({"reason": format!("round {round}")})).await;
                assert_eq!(r.status, 200, "{:?}", r.body);
            }
        }
    }
    let mut feed = Vec::new();
    for u in &users {
        feed.extend(events_of(&app, u).await);
    }
    let bans = feed
        .iter()
        .filter(|e| e["action"] == "banned" || e["action"] == "unbanned")
        .count();
    let expected = feed.len() + bans;
    eventually(|| async { (receiver.got().len() >= expected).then_some(()) }).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    let got = receiver.got();
    assert_eq!(got.len(), expected, "each once");
    let mut ids = std::collections::HashSet::new();
    for r in &got {
        assert!(ids.insert(r.id.clone()), "a webhook-id twice: {}", r.id);
    }
    // Every delivery verifies with one endpoint's secret; per endpoint, each user's events
    // arrive in the order they happened.
    for (secret, name) in [(&secret, "all"), (&bans_secret, "bans")] {
        let mut last: HashMap<String, i64> = HashMap::new();
        for r in got.iter().filter(|r| signed_by(secret, r)) {
            let body = verify(secret, r);
            assert_eq!(body["type"], body["data"]["action"]);
            let user = body["data"]["user_id"].to_string();
            let seq = body["data"]["seq"].as_i64().unwrap();
            let prev = last.insert(user.clone(), seq).unwrap_or(0);
            assert!(seq > prev, "{name}: user {user} got seq {seq} after {prev}");
        }
    }
    assert!(got
        .iter()
        .all(|r| signed_by(&secret, r) || signed_by(&bans_secret, r)));
    assert_eq!(
        got.iter().filter(|r| signed_by(&bans_secret, r)).count(),
        bans
    );
    let first = got.iter().find(|r| signed_by(&secret, r)).unwrap();
    let payload = verify(&secret, first);
    for field in [
        "id",
        "tenant_id",
        "action",
        "user_id",
        "from_status",
        "to_status",
        "actor",
        "reference_id",
        "description",
        "details",
        "occurred_at",
        "recorded_at",
    ] {
        assert!(
            payload["data"].get(field).is_some(),
            "payload has {field}: {payload}"
        );
    }
}

async fn failures_are_retried_then_pause_the_endpoint_until_resumed(b: Backend) {
    let (app, _) = TestApp::spawn_configured(b, allowing(), None).await;
    let (receiver, url) = Receiver::start().await;
    let (endpoint, secret) = register(&app, &url, json!(["banned"])).await;
    let _stop = worker(&app, fast(4));
    receiver.answer(&[500, 500]);
    let u = user(&app, "retry@example.com").await;
    act(&app, &u, "ban", json!({})).await;
    let d = eventually(|| async {
        let d = deliveries(&app, &endpoint).await;
        (d.first().is_some_and(|d| d["status"] == "delivered")).then(|| d[0].clone())
    })
    .await;
    assert_eq!(d["attempts"], 3, "{d}");
    let codes: Vec<Value> = d["tries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["status_code"].clone())
        .collect();
    assert_eq!(codes, [json!(500), json!(500), json!(200)]);
    let got = receiver.got();
    assert_eq!(got.len(), 3);
    assert!(
        got.iter().all(|r| r.id == got[0].id),
        "one webhook-id for every attempt"
    );
    verify(&secret, &got[2]);

    // Four failures in a row pause the endpoint, with the reason; nothing is lost.
    receiver.answer(&[500; 4]);
    act(&app, &u, "unban", json!({})).await;
    act(&app, &u, "ban", json!({})).await;
    let paused = eventually(|| async {
        let e = app.get(&format!("/v1/webhooks/{endpoint}")).await.body;
        (e["status"] == "paused").then_some(e)
    })
    .await;
    assert!(
        paused["paused_reason"]
            .as_str()
            .unwrap()
            .contains("HTTP 500"),
        "{paused}"
    );
    let before = receiver.got().len();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(receiver.got().len(), before, "nothing is sent while paused");
    let resumed = app
        .post(&format!("/v1/webhooks/{endpoint}/resume"), json!({}))
        .await;
    assert_eq!(resumed.body["status"], "active");
    assert_eq!(resumed.body["consecutive_failures"], 0);
    let all = eventually(|| async {
        let d = deliveries(&app, &endpoint).await;
        (d.len() == 2 && d.iter().all(|d| d["status"] == "delivered")).then_some(d)
    })
    .await;
    assert_eq!(all[1]["last_status_code"], 200);
}

async fn a_delivery_is_resent_and_an_endpoint_replayed_with_the_same_ids(b: Backend) {
    let (app, _) = TestApp::spawn_configured(b, allowing(), None).await;
    let (receiver, url) = Receiver::start().await;
    let (endpoint, secret) = register(&app, &url, json!(["*"])).await;
    let _stop = worker(&app, fast(50));
    let u = user(&app, "replay@example.com").await;
    // The feed shows an event once no older transaction runs: wait for the creation.
    let cursor = eventually(|| async {
        let feed = app.get("/v1/events").await.body;
        (feed["data"].as_array().unwrap().len() == 1)
            .then(|| feed["next_cursor"].as_str().unwrap().to_owned())
    })
    .await;
    act(&app, &u, "ban", json!({})).await;
    act(&app, &u, "unban", json!({})).await;
    eventually(|| async { (receiver.got().len() == 3).then_some(()) }).await;
    let first = receiver.got();

    let d = deliveries(&app, &endpoint).await;
    let id = d[1]["id"].as_str().unwrap();
    let r = app
        .post(
            &format!("/v1/webhooks/{endpoint}/deliveries/{id}/resend"),
            json!({}),
        )
        .await;
    assert_eq!(r.status, 202, "{:?}", r.body);
    eventually(|| async { (receiver.got().len() == 4).then_some(()) }).await;
    assert_eq!(receiver.got()[3].id, id, "a re-send keeps its webhook-id");
    verify(&secret, &receiver.got()[3]);
    // The receiver has it; the worker records that a moment later. A delivery in the worker's
    // hands is not queued again, so the replay waits for every delivery to be settled.
    eventually(|| async {
        let d = deliveries(&app, &endpoint).await;
        d.iter().all(|x| x["status"] == "delivered").then_some(())
    })
    .await;

    // Replay from the cursor taken after the user's creation: the ban and the unban again.
    let r = app
        .post(
            &format!("/v1/webhooks/{endpoint}/replay"),
            json!({"after": cursor}),
        )
        .await;
    assert_eq!(r.status, 202, "{:?}", r.body);
    assert_eq!(r.body["queued"], 2);
    eventually(|| async { (receiver.got().len() == 6).then_some(()) }).await;
    let again: Vec<String> = receiver.got()[4..].iter().map(|r| r.id.clone()).collect();
    assert_eq!(
        again,
        [first[1].id.clone(), first[2].id.clone()],
        "in order, same ids"
    );
    let bad = app
        .post(
            &format!("/v1/webhooks/{endpoint}/replay"),
            json!({"after": "nope"}),
        )
        .await;
    assert_eq!(bad.status, 400);
    let unknown = app
        .post(
            &format!(
                "/v1/webhooks/{endpoint}/deliveries/{}/resend",
                uuid::Uuid::new_v4()
            ),
            json!({}),
        )
        .await;
    assert_eq!(unknown.status, 404);
}

async fn private_urls_are_refused_unless_allowed(b: Backend) {
    let app = TestApp::spawn(b).await;
    for url in [
        "http://127.0.0.1:9/hook",
        "https://127.0.0.1/hook",
        "https://10.0.0.8/hook",
        "https://localhost/hook",
        "https://[::1]/hook",
        "http://hooks.example.com/hook",
    ] {
        let r = app.post("/v1/webhooks", json!({"url": url})).await;
        assert_eq!(r.status, 422, "{url}: {:?}", r.body);
        assert!(r.body.to_string().contains("url"), "{:?}", r.body);
    }
    assert_eq!(app.get("/v1/webhooks").await.body["data"], json!([]));
    let ok = app
        .post(
            "/v1/webhooks",
            json!({"url": "https://hooks.example.com/hook"}),
        )
        .await;
    assert_eq!(ok.status, 201);
    assert_eq!(ok.body["event_types"], json!(["*"]));
}

async fn two_workers_never_send_one_delivery_at_once(b: Backend) {
    let (app, _) = TestApp::spawn_configured(b, allowing(), None).await;
    let (receiver, url) = Receiver::start().await;
    *receiver.hold.lock().unwrap() = Duration::from_millis(30);
    let (endpoint, secret) = register(&app, &url, json!(["*"])).await;
    let _first = worker(&app, fast(50));
    let _second = worker(&app, fast(50));
    let mut users = Vec::new();
    for i in 0..6 {
        users.push(user(&app, &format!("pair{i}@example.com")).await);
    }
    for u in &users {
        for action in ["ban", "unban", "ban"] {
            act(&app, u, action, json!({})).await;
        }
    }
    let expected = users.len() * 4;
    eventually(|| async {
        let d = deliveries(&app, &endpoint).await;
        (d.len() == expected && d.iter().all(|d| d["status"] == "delivered")).then_some(())
    })
    .await;
    assert_eq!(*receiver.overlaps.lock().unwrap(), Vec::<String>::new());
    let got = receiver.got();
    assert_eq!(got.len(), expected, "each once");
    assert!(got.iter().all(|r| signed_by(&secret, r)));
}

fn start() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-20T12:00:00Z")
        .unwrap()
        .with_timezone(&Utc)
}

async fn run_due(app: &TestApp) -> usize {
    app.services
        .run_due_changes(Span::seconds(60))
        .await
        .unwrap()
}

async fn events_of(app: &TestApp, user: &str) -> Vec<Value> {
    app.get(&format!("/v1/users/{user}/events")).await.body["data"]
        .as_array()
        .unwrap()
        .clone()
}

async fn a_ban_with_until_is_lifted_by_roster(b: Backend) {
    let (app, hand) = TestApp::spawn_at(b, start()).await;
    let u = user(&app, "timed@example.com").await;
    let until = start() + Span::days(7);
    let r = act(
        &app,
        &u,
        "ban",
        json!({"reason": "spam, 7 days", "until": until}),
    )
    .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.body["status"], "banned");
    let pending = app.get(&format!("/v1/scheduled-changes?user={u}")).await;
    let lifts = pending.body["data"].as_array().unwrap();
    assert_eq!(lifts.len(), 1, "{:?}", pending.body);
    assert_eq!(lifts[0]["kind"], "lift");
    assert_eq!(lifts[0]["action"], "unban");
    assert_eq!(lifts[0]["due_at"], json!(until));

    // Not before its time.
    hand.advance(Span::days(6));
    assert_eq!(run_due(&app).await, 0);
    // The worker lifts it once the clock passes `until`.
    let _stop = worker(&app, fast(50));
    hand.advance(Span::days(1) + Span::seconds(1));
    let user_now = eventually(|| async {
        let r = app.get(&format!("/v1/users/{u}")).await;
        (r.body["status"] == "active").then_some(r.body)
    })
    .await;
    assert_eq!(user_now["status"], "active");
    let unban = events_of(&app, &u)
        .await
        .into_iter()
        .find(|e| e["action"] == "unbanned")
        .unwrap();
    assert_eq!(unban["actor"], "system");
    assert_eq!(unban["description"], "spam, 7 days");
    let done = app
        .get(&format!("/v1/scheduled-changes?user={u}&pending=false"))
        .await;
    assert_eq!(done.body["data"][0]["status"], "done");
    assert_eq!(
        app.get(&format!("/v1/scheduled-changes?user={u}"))
            .await
            .body["data"],
        json!([])
    );

    // `until` is for ban and deactivate only, and must be ahead.
    for action in ["unban", "reactivate", "logout", "invite"] {
        let r = act(&app, &u, action, json!({"until": until})).await;
        assert_eq!(r.status, 422, "{action}: {:?}", r.body);
        assert!(
            r.body.to_string().contains("until"),
            "{action}: {:?}",
            r.body
        );
    }
    let past = start();
    let r = act(&app, &u, "ban", json!({"until": past})).await;
    assert_eq!(r.status, 422, "{:?}", r.body);
    assert!(r.body.to_string().contains("until"));
    assert_eq!(
        app.get(&format!("/v1/users/{u}")).await.body["status"],
        "active",
        "nothing half-done"
    );
}

async fn a_lift_that_is_no_longer_legal_is_skipped_and_recorded(b: Backend) {
    let (app, hand) = TestApp::spawn_at(b, start()).await;
    let u = user(&app, "skip@example.com").await;
    let until = start() + Span::hours(2);
    let r = act(
        &app,
        &u,
        "deactivate",
        json!({"reason": "leave", "until": until}),
    )
    .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    // Meanwhile the user is banned: reactivating them would be illegal.
    act(&app, &u, "ban", json!({"reason": "abuse"})).await;
    hand.advance(Span::hours(3));
    assert_eq!(run_due(&app).await, 1);
    let now = app.get(&format!("/v1/users/{u}")).await;
    assert_eq!(now.body["status"], "banned", "never forced");
    let skipped = events_of(&app, &u)
        .await
        .into_iter()
        .find(|e| e["action"] == "status_change_skipped")
        .expect("the skip is recorded");
    assert_eq!(skipped["actor"], "system");
    assert_eq!(skipped["details"]["action"], "reactivate");
    let all = app
        .get(&format!("/v1/scheduled-changes?user={u}&pending=false"))
        .await;
    assert_eq!(all.body["data"][0]["status"], "skipped");
    assert!(all.body["data"][0]["outcome"].as_str().is_some());
}

async fn a_scheduled_deactivation_is_listed_cancelled_and_carried_out(b: Backend) {
    let (app, hand) = TestApp::spawn_at(b, start()).await;
    let u = user(&app, "later@example.com").await;
    let at = start() + Span::hours(1);
    let schedule = |at: DateTime<Utc>| {
        let app = &app;
        let u = u.clone();
        async move {
            app.post(
                "/v1/scheduled-changes",
                json!({"user_id": u, "action": "deactivate", "at": at, "reason": "contract ends"}),
            )
            .await
        }
    };
    let first = schedule(at).await;
    assert_eq!(first.status, 201, "{:?}", first.body);
    assert_eq!(first.body["kind"], "scheduled");
    let second = schedule(at + Span::minutes(5)).await;
    let list = app.get("/v1/scheduled-changes").await;
    assert_eq!(list.body["data"].as_array().unwrap().len(), 2);
    let id = first.body["id"].as_str().unwrap();
    let cancelled = app
        .call(Method::DELETE, &format!("/v1/scheduled-changes/{id}"), None)
        .await;
    assert_eq!(cancelled.status, 200, "{:?}", cancelled.body);
    assert_eq!(cancelled.body["status"], "cancelled");
    let again = app
        .call(Method::DELETE, &format!("/v1/scheduled-changes/{id}"), None)
        .await;
    assert_eq!(again.status, 409);
    assert_eq!(
        app.get("/v1/scheduled-changes").await.body["data"]
            .as_array()
            .unwrap()
            .len(),
        1
    );

    // Another tenant sees none of it and cannot cancel it.
    let (_, other) = app.other_tenant("beta").await;
    let theirs = app
        .call_as(Some(&other), Method::GET, "/v1/scheduled-changes", None)
        .await;
    assert_eq!(theirs.body["data"], json!([]));
    let second_id = second.body["id"].as_str().unwrap();
    let r = app
        .call_as(
            Some(&other),
            Method::DELETE,
            &format!("/v1/scheduled-changes/{second_id}"),
            None,
        )
        .await;
    assert_eq!(r.status, 404);
    let r = app
        .call_as(
            Some(&other),
            Method::POST,
            "/v1/scheduled-changes",
            Some(json!({"user_id": u, "action": "ban", "at": at})),
        )
        .await;
    assert_eq!(r.status, 404, "{:?}", r.body);

    let bad = app
        .post(
            "/v1/scheduled-changes",
            json!({"user_id": u, "action": "explode", "at": start() - Span::hours(1)}),
        )
        .await;
    assert_eq!(bad.status, 422);
    let text = bad.body.to_string();
    assert!(text.contains("action") && text.contains("\"at\""), "{text}");

    hand.advance(Span::hours(1));
    assert_eq!(run_due(&app).await, 0, "the remaining one is due at +5 min");
    hand.advance(Span::minutes(5));
    assert_eq!(run_due(&app).await, 1);
    let now = app.get(&format!("/v1/users/{u}")).await;
    assert_eq!(now.body["status"], "deactivated");
    let e = events_of(&app, &u)
        .await
        .into_iter()
        .find(|e| e["action"] == "deactivated")
        .unwrap();
    assert_eq!(e["actor"], "system");
    assert_eq!(e["description"], "contract ends");
}
