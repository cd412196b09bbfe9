use crate::backend_tests;
use crate::support::{eventually, Backend, TestApp};
use reqwest::Method;
use serde_json::{json, Value};

backend_tests!(
    statuses_follow_the_state_machine,
    refusals_name_the_current_status,
    repeating_a_transition_changes_nothing,
    ban_and_deactivate_end_sessions_at_once,
    events_record_the_clients_account,
    the_feed_pages_without_gaps,
);

async fn act(app: &TestApp, id: &str, action: &str) -> crate::support::Reply {
    app.post(&format!("/v1/users/{id}/{action}"), json!({}))
        .await
}

fn id(u: &Value) -> String {
    u["id"].as_str().unwrap().to_owned()
}

async fn statuses_follow_the_state_machine(b: Backend) {
    let app = TestApp::spawn(b).await;
    let u = id(&app.create_user(json!({"email": "s@example.com"})).await);
    for (action, status) in [
        ("deactivate", "deactivated"),
        ("reactivate", "active"),
        ("ban", "banned"),
        ("unban", "active"),
        ("deactivate", "deactivated"),
        ("ban", "banned"),
    ] {
        let r = act(&app, &u, action).await;
        assert_eq!(r.status, 200, "{action}: {:?}", r.body);
        assert_eq!(r.body["status"], status, "{action}");
    }
    let joining = id(&app.create_user(json!({"email": "join@example.com"})).await);
    assert_eq!(
        act(&app, &joining, "activate").await.body["status"],
        "active"
    );
    let invited = id(&app.create_user(json!({"email": "i@example.com"})).await);
    let r = act(&app, &invited, "revoke-invite").await;
    assert_eq!(r.body["status"], "revoked");
    let r = app
        .call(
            Method::POST,
            &format!("/v1/users/{invited}/revoke-invite"),
            None,
        )
        .await;
    assert_eq!(r.status, 200, "an empty body is allowed");
    // Creating a revoked user again is the way back: the same user, invited anew.
    let again = app
        .post(
            "/v1/users",
            json!({"email": "I@example.com", "first_name": "Ignored"}),
        )
        .await;
    assert_eq!(again.status, 200, "{:?}", again.body);
    assert_eq!(again.body["id"].as_str(), Some(invited.as_str()));
    assert_eq!(again.body["status"], "invited");
    assert_eq!(
        again.body["first_name"],
        Value::Null,
        "nothing else of the body is applied"
    );
    let events = app.get(&format!("/v1/users/{invited}/events")).await;
    assert_eq!(events.body["data"][2]["action"], "reinvited");
}

async fn refusals_name_the_current_status(b: Backend) {
    let app = TestApp::spawn(b).await;
    let u = id(&app
        .create_user(json!({"email": "r@example.com", "status": "active"}))
        .await);
    let r = act(&app, &u, "revoke-invite").await;
    assert_eq!(r.status, 409);
    assert_eq!(r.body["current_status"], "active");
    assert!(r.body["detail"].as_str().unwrap().contains("active"));
    act(&app, &u, "ban").await;
    for action in ["reactivate", "deactivate", "revoke-invite"] {
        let r = act(&app, &u, action).await;
        assert_eq!(r.status, 409, "{action} on a banned user");
        assert_eq!(r.body["current_status"], "banned");
    }
}

async fn repeating_a_transition_changes_nothing(b: Backend) {
    let app = TestApp::spawn(b).await;
    let u = id(&app
        .create_user(json!({"email": "rep@example.com", "status": "active"}))
        .await);
    let first = act(&app, &u, "ban").await;
    let second = act(&app, &u, "ban").await;
    assert_eq!(second.status, 200);
    assert_eq!(first.body["version"], second.body["version"]);
    assert_eq!(
        first.body["status_changed_at"],
        second.body["status_changed_at"]
    );
    let events = app.get(&format!("/v1/users/{u}/events")).await;
    assert_eq!(
        events.body["data"].as_array().unwrap().len(),
        2,
        "created + one ban"
    );
}

async fn ban_and_deactivate_end_sessions_at_once(b: Backend) {
    let app = TestApp::spawn(b).await;
    for action in ["ban", "deactivate"] {
        let email = format!("{action}@example.com");
        let u = id(&app
            .create_user(json!({"email": email, "status": "active", "password": "a good password"}))
            .await);
        let login = app
            .post(
                "/v1/sessions",
                json!({"email": email, "password": "a good password"}),
            )
            .await;
        assert_eq!(login.status, 201);
        let token = login.body["token"].as_str().unwrap().to_owned();
        assert_eq!(
            app.call_as(Some(&token), Method::GET, "/v1/sessions/current", None)
                .await
                .status,
            200
        );
        let r = act(&app, &u, action).await;
        assert_eq!(r.status, 200);
        assert_eq!(
            app.call_as(Some(&token), Method::GET, "/v1/sessions/current", None)
                .await
                .status,
            401,
            "{action}"
        );
        let relogin = app
            .post(
                "/v1/sessions",
                json!({"email": email, "password": "a good password"}),
            )
            .await;
        assert_eq!(relogin.status, 401, "{action}: no new session either");
        let events = app.get(&format!("/v1/users/{u}/events")).await;
        assert_eq!(events.body["data"][1]["details"]["sessions_revoked"], 1);
    }
}

async fn events_record_the_clients_account(b: Backend) {
    let app = TestApp::spawn(b).await;
    let u = id(&app
        .create_user(json!({"email": "e@example.com", "status": "active", "reference_id": "crm-1"}))
        .await);
    let r = app
        .post(
            &format!("/v1/users/{u}/deactivate"),
            json!({"reason": "left the company", "reference_id": "HR-42", "occurred_at": "2026-01-02T03:04:05Z"}),
        )
        .await;
    assert_eq!(r.status, 200);
    let events = app.get(&format!("/v1/users/{u}/events")).await;
    let e = &events.body["data"][1];
    assert_eq!(e["action"], "deactivated");
    assert_eq!(e["from_status"], "active");
    assert_eq!(e["to_status"], "deactivated");
    assert_eq!(e["description"], "left the company");
    assert_eq!(e["reference_id"], "HR-42");
    assert_eq!(e["occurred_at"], "2026-01-02T03:04:05Z");
    assert_ne!(e["recorded_at"], e["occurred_at"]);
    assert!(e["actor"].as_str().unwrap().starts_with("api_key:"));
    assert_eq!(e["request_id"].as_str(), r.header("x-request-id"));
    assert_eq!(events.body["data"][0]["reference_id"], "crm-1");

    let bad = app
        .post(
            &format!("/v1/users/{u}/reactivate"),
            json!({"occurred_at": "yesterday"}),
        )
        .await;
    assert_eq!(bad.status, 400);
    assert_eq!(bad.body["errors"][0]["field"], "occurred_at");
    assert_eq!(
        app.get(&format!("/v1/users/{u}")).await.body["status"],
        "deactivated"
    );
}

/// Walks the feed from `after` in pages of two until a page comes back empty: (ids, cursor).
async fn drain_feed(app: &TestApp, after: Option<String>) -> (Vec<String>, String) {
    let mut seen = Vec::new();
    let mut cursor = after;
    loop {
        let path = match &cursor {
            Some(c) => format!("/v1/events?limit=2&after={c}"),
            None => "/v1/events?limit=2".to_owned(),
        };
        let r = app.get(&path).await;
        assert_eq!(r.status, 200);
        let data = r.body["data"].as_array().unwrap().clone();
        cursor = Some(
            r.body["next_cursor"]
                .as_str()
                .expect("the feed always has a cursor")
                .to_owned(),
        );
        if data.is_empty() {
            return (seen, cursor.unwrap());
        }
        seen.extend(data.iter().map(|e| e["id"].as_str().unwrap().to_owned()));
    }
}

async fn the_feed_pages_without_gaps(b: Backend) {
    let app = TestApp::spawn(b).await;
    for i in 0..5 {
        app.create_user(json!({"email": format!("f{i}@example.com")}))
            .await;
    }
    // An event shows in the feed once every transaction older than it has ended.
    let (seen, cursor) = eventually(|| async {
        let (seen, cursor) = drain_feed(&app, None).await;
        (seen.len() == 5).then_some((seen, cursor))
    })
    .await;
    let mut unique = seen.clone();
    unique.dedup();
    assert_eq!(unique.len(), 5);
    app.create_user(json!({"email": "late@example.com"})).await;
    let (new, _) = eventually(|| async {
        let (new, c) = drain_feed(&app, Some(cursor.clone())).await;
        (!new.is_empty()).then_some((new, c))
    })
    .await;
    assert_eq!(
        new.len(),
        1,
        "polling from the last cursor finds exactly the new event"
    );
}
