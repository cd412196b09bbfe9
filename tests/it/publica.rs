//! The Publica.la dialect: users CRUD, deactivate, reactivate, force logout, sessions limit,
//! plans, the per-key rate limit.

use crate::backend_tests;
use crate::snapshot::Transcript;
use crate::support::{read, Backend, Reply, TestApp, TestDb};
use reqwest::Method;
use roster::domain::clock::Clock;
use roster::domain::fields::{DisplayName, Slug};
use roster::http::{serve, AppState};
use roster::service::{Services, Settings};
use roster::store::{PoolOptions, Store};
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::time::Duration;
use tokio::sync::oneshot;

backend_tests!(
    a_page_far_past_the_end_is_empty,
    a_revoked_users_email_is_still_taken,
    create_answers_the_publica_user,
    bad_input_is_422_naming_the_field_and_writes_nothing,
    list_paginates_and_filters,
    read_by_id_or_email_shows_plans,
    update_replaces_fields_and_a_new_password_ends_sessions,
    sessions_limit_keeps_the_two_newest_tokens,
    deactivate_and_reactivate,
    force_logout_by_id_or_external_id,
    auth_and_tenant_isolation,
    plans_are_tenant_scoped,
    the_101st_call_in_a_minute_is_429,
    the_count_is_shared_by_processes_on_one_database,
    database_down_answers_503_with_retry_after,
    old_rate_windows_are_forgotten,
    create_answers_are_the_snapshot,
    list_answers_are_the_snapshot,
    user_answers_are_the_snapshot,
    refusals_before_the_handler_are_the_snapshot,
);

const USERS: &str = "/integration-api/v1/dashboard/users";

/// Calls the dialect with `token` as `X-User-Token` (None: no header), at `base` (a server).
async fn call_at(
    http: &reqwest::Client,
    base: SocketAddr,
    token: Option<&str>,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> Reply {
    let mut req = http.request(method, format!("http://{base}{path}"));
    if let Some(t) = token {
        req = req.header("X-User-Token", t);
    }
    if let Some(b) = body {
        req = req.json(&b);
    }
    read(req.send().await.expect("request sent")).await
}

async fn pl(app: &TestApp, method: Method, path: &str, body: Option<Value>) -> Reply {
    call_at(&app.http, app.addr, Some(&app.key), method, path, body).await
}

/// Creates a user through the dialect and answers `data`.
async fn create(app: &TestApp, body: Value) -> Value {
    let r = pl(app, Method::POST, USERS, Some(body)).await;
    assert_eq!(r.status, 200, "create: {:?}", r.body);
    assert_eq!(r.body["CODE"], "success");
    r.body["data"].clone()
}

async fn login(app: &TestApp, email: &str, password: &str) -> Reply {
    app.post(
        "/v1/sessions",
        json!({"email": email, "password": password}),
    )
    .await
}

async fn token(app: &TestApp, email: &str, password: &str) -> String {
    let r = login(app, email, password).await;
    assert_eq!(r.status, 201, "login: {:?}", r.body);
    r.body["token"].as_str().unwrap().to_owned()
}

async fn token_works(app: &TestApp, token: &str) -> bool {
    let r = app
        .call_as(Some(token), Method::GET, "/v1/sessions/current", None)
        .await;
    r.status == 200
}

async fn plan(app: &TestApp, name: &str) -> i64 {
    let r = app.post("/v1/plans", json!({"name": name})).await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    r.body["id"].as_i64().unwrap()
}

async fn create_answers_the_publica_user(b: Backend) {
    let app = TestApp::spawn(b).await;
    let gold = plan(&app, "Gold").await;
    let r = pl(
        &app,
        Method::POST,
        USERS,
        Some(
            json!({"email": " MyEmailAddress@example.com ", "external_id": "ext-1",
            "new_password": "Abcd1234", "sessions_limit": null, "assign_new_plan": gold,
            "new_plan_custom_valid_to": "2030-12-31", "admin": 1, "plan_admin": "0",
            "only_sees_readable": true}),
        ),
    )
    .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.header("x-ratelimit-limit"), Some("100"));
    assert_eq!(r.header("x-ratelimit-remaining"), Some("99"));
    let u = &r.body["data"];
    assert!(u["id"].as_i64().is_some(), "the integer id: {u}");
    assert_eq!(u["uuid"].as_str().unwrap().len(), 36);
    assert_eq!(u["email"], "MyEmailAddress@example.com");
    assert_eq!(
        u["picture"],
        "https://www.gravatar.com/avatar/0bc83cb571cd1c50ba6f3e8a78ef1346?s=160&d=mm&r=g"
    );
    assert_eq!(u["admin"], true);
    assert_eq!(u["plan_admin"], false);
    assert_eq!(u["only_sees_readable"], true);
    assert_eq!(u["sessions_limit"], Value::Null);
    assert_eq!(u["deleted_at"], Value::Null);
    assert_eq!(u["created_at"]["timezone"], "UTC");
    assert!(u["created_at"]["timestamp"].as_i64().unwrap() > 1_700_000_000);
    let date = u["created_at"]["date"].as_str().unwrap();
    assert_eq!(date.len(), 19, "YYYY-MM-DD HH:MM:SS: {date}");
    assert!(
        !r.body.to_string().contains("Abcd1234"),
        "never the password"
    );
    // The password was stored hashed and logs in; the user is active.
    token(&app, "myemailaddress@example.com", "Abcd1234").await;
    let native = app
        .get(&format!("/v1/users/{}", u["uuid"].as_str().unwrap()))
        .await;
    assert_eq!(native.body["status"], "active");
    assert_eq!(native.body["roles"], json!(["admin", "only_sees_readable"]));
    // The trailing-slash form of the reference page works too.
    let r = pl(
        &app,
        Method::POST,
        &format!("{USERS}/"),
        Some(json!({"email": "two@example.com", "external_id": "ext-2", "sessions_limit": 3})),
    )
    .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.body["data"]["sessions_limit"], 3);
    assert_eq!(r.body["data"]["only_sees_readable"], false);
}

async fn bad_input_is_422_naming_the_field_and_writes_nothing(b: Backend) {
    let app = TestApp::spawn(b).await;
    let bad = |body: Value| {
        let app = &app;
        async move { pl(app, Method::POST, USERS, Some(body)).await }
    };
    let r = bad(json!({"external_id": "x"})).await;
    assert_eq!(r.status, 422, "{:?}", r.body);
    assert_eq!(r.body["message"], "The email field is required.");
    assert_eq!(
        r.body["errors"],
        json!({"email": ["The email field is required."]})
    );
    let r = bad(
        json!({"email": "not-an-email", "external_id": "x".repeat(65),
        "new_password": "short", "sessions_limit": 0, "assign_new_plan": 999,
        "new_plan_custom_valid_to": "2026-02-30", "admin": "yes", "plan_admin": 2}),
    )
    .await;
    assert_eq!(r.status, 422, "{:?}", r.body);
    let errors = r.body["errors"].as_object().unwrap();
    for field in [
        "email",
        "external_id",
        "new_password",
        "sessions_limit",
        "new_plan_custom_valid_to",
        "admin",
        "plan_admin",
    ] {
        assert!(errors.contains_key(field), "{field}: {:?}", r.body);
    }
    assert!(r.body["message"]
        .as_str()
        .unwrap()
        .ends_with("(and 6 more errors)"));
    // A plan the tenant does not have; a date without a plan.
    let r =
        bad(json!({"email": "a@example.com", "external_id": "a", "assign_new_plan": 999})).await;
    assert_eq!(r.status, 422);
    assert_eq!(
        r.body["errors"]["assign_new_plan"],
        json!(["The assign new plan is not a plan of this tenant."]),
        "{:?}",
        r.body
    );
    // A query string that cannot be read is named as the query, not the body.
    let r = pl(&app, Method::GET, &format!("{USERS}?page=1&page=2"), None).await;
    assert_eq!(r.status, 422, "{:?}", r.body);
    let message = r.body["errors"]["query"][0].as_str().unwrap_or_default();
    assert!(
        message.starts_with("The query string is invalid: "),
        "{:?}",
        r.body
    );
    let r = bad(json!({"email": "a@example.com", "external_id": "a",
        "new_plan_custom_valid_to": "2030-01-01"}))
    .await;
    assert_eq!(r.status, 422);
    assert!(r.body["errors"]["new_plan_custom_valid_to"].is_array());
    // Malformed JSON: 422 in the same shape.
    let res = app
        .http
        .post(app.url(USERS))
        .header("X-User-Token", &app.key)
        .header("content-type", "application/json")
        .body("{\"email\": ")
        .send()
        .await
        .unwrap();
    let r = read(res).await;
    assert_eq!(r.status, 422, "{:?}", r.body);
    assert!(r.body["errors"]["body"].is_array(), "{:?}", r.body);
    // Nothing was written.
    let list = pl(&app, Method::GET, USERS, None).await;
    assert_eq!(list.body["data"]["paginator"]["total"], 0);
    // Unique email and external_id.
    create(&app, json!({"email": "a@example.com", "external_id": "a"})).await;
    let r = bad(json!({"email": "A@EXAMPLE.com", "external_id": "b"})).await;
    assert_eq!(r.status, 422);
    assert_eq!(
        r.body["errors"],
        json!({"email": ["The email has already been taken."]})
    );
    let r = bad(json!({"email": "b@example.com", "external_id": "a"})).await;
    assert_eq!(r.status, 422);
    assert_eq!(
        r.body["errors"],
        json!({"external_id": ["The external id has already been taken."]})
    );
    let list = pl(&app, Method::GET, USERS, None).await;
    assert_eq!(list.body["data"]["paginator"]["total"], 1);
}

async fn list_paginates_and_filters(b: Backend) {
    let app = TestApp::spawn(b).await;
    let a = create(
        &app,
        json!({"email": "a@example.com", "external_id": "a", "admin": true}),
    )
    .await;
    let bu = create(&app, json!({"email": "b@example.com", "external_id": "b"})).await;
    create(&app, json!({"email": "c@example.com", "external_id": "c"})).await;
    let r = pl(&app, Method::DELETE, &format!("{USERS}/{}", bu["id"]), None).await;
    assert_eq!(r.status, 200);

    let r = pl(&app, Method::GET, &format!("{USERS}?per_page=2"), None).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let p = &r.body["data"]["paginator"];
    assert_eq!(p["current_page"], 1);
    assert_eq!(p["total"], 3);
    assert_eq!(p["last_page"], 2);
    assert_eq!(p["per_page"], 2);
    assert_eq!(p["from"], 1);
    assert_eq!(p["to"], 2);
    assert_eq!(p["data"].as_array().unwrap().len(), 2);
    assert_eq!(p["prev_page_url"], Value::Null);
    let base = format!("http://{}{USERS}", app.addr);
    assert_eq!(p["path"], base);
    assert_eq!(p["next_page_url"], format!("{base}?per_page=2&page=2"));
    let item = &p["data"][0];
    assert_eq!(item["id"], a["id"]);
    assert_eq!(item["admin"], true);
    assert_eq!(item["only_sees_readable"], 0);
    assert_eq!(item["user_plans_count"], 0);
    assert_eq!(item["user_plans"], json!([]));
    assert_eq!(item["can_be_edited"], true);
    assert!(item["created_at"].as_str().unwrap().ends_with('Z'));
    assert_eq!(item["created_at_date_string"].as_str().unwrap().len(), 10);

    let r = pl(
        &app,
        Method::GET,
        &format!("{USERS}?per_page=2&page=2"),
        None,
    )
    .await;
    let p = &r.body["data"]["paginator"];
    assert_eq!(p["data"].as_array().unwrap().len(), 1);
    assert_eq!(p["next_page_url"], Value::Null);
    assert_eq!(p["prev_page_url"], format!("{base}?per_page=2&page=1"));

    // Under the tenant base URL the links keep it.
    let r = pl(
        &app,
        Method::GET,
        &format!("/t/acme{USERS}?per_page=1"),
        None,
    )
    .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(
        r.body["data"]["paginator"]["next_page_url"],
        format!("http://{}/t/acme{USERS}?per_page=1&page=2", app.addr)
    );

    let r = pl(
        &app,
        Method::GET,
        &format!("{USERS}?query=deactivated"),
        None,
    )
    .await;
    let p = &r.body["data"]["paginator"];
    assert_eq!(p["total"], 1);
    assert_eq!(p["data"][0]["id"], bu["id"]);
    assert!(p["data"][0]["deleted_at"].is_string());
    let r = pl(&app, Method::GET, &format!("{USERS}?query=admins"), None).await;
    assert_eq!(r.body["data"]["paginator"]["total"], 1);
    assert_eq!(r.body["data"]["paginator"]["data"][0]["id"], a["id"]);
    let r = pl(
        &app,
        Method::GET,
        &format!("{USERS}?email=C@example.com"),
        None,
    )
    .await;
    assert_eq!(r.body["data"]["paginator"]["total"], 1);
    assert_eq!(
        r.body["data"]["paginator"]["data"][0]["email"],
        "c@example.com"
    );
    let r = pl(&app, Method::GET, &format!("{USERS}?query=bogus"), None).await;
    assert_eq!(r.status, 422);
    assert!(r.body["errors"]["query"].is_array());
}

async fn read_by_id_or_email_shows_plans(b: Backend) {
    let app = TestApp::spawn(b).await;
    let gold = plan(&app, "Gold").await;
    let old = plan(&app, "Old").await;
    let u = create(
        &app,
        json!({"email": "p@example.com", "external_id": "p",
        "assign_new_plan": old, "new_plan_custom_valid_to": "2020-01-31"}),
    )
    .await;
    // A plan given on update adds to the user's plans; the expired one stays listed.
    let r = pl(
        &app,
        Method::PUT,
        &format!("{USERS}/{}", u["id"]),
        Some(
            json!({"email": "p@example.com", "external_id": "p", "only_sees_readable": 0,
            "assign_new_plan": gold}),
        ),
    )
    .await;
    assert_eq!(r.status, 204, "{:?}", r.body);
    for key in [u["id"].to_string(), "P@example.com".to_owned()] {
        let r = pl(&app, Method::GET, &format!("{USERS}/{key}"), None).await;
        assert_eq!(r.status, 200, "{key}: {:?}", r.body);
        let d = &r.body["data"];
        assert_eq!(d["id"], u["id"]);
        assert_eq!(d["user_plans_count"], 2);
        // In plan order: Gold was created first.
        assert_eq!(d["user_plans"][0]["id"], gold);
        assert_eq!(d["user_plans"][0]["name"], "Gold");
        assert_eq!(d["user_plans"][0]["valid_to"], Value::Null);
        assert_eq!(d["user_plans"][1]["id"], old);
        assert_eq!(d["user_plans"][1]["valid_to"], "2020-01-31");
        assert_eq!(d["user_plans"][1]["expired"], true);
        assert_eq!(d["user_plans"][0]["expired"], false);
    }
    for missing in ["999999999", "nobody@example.com", "abc"] {
        let r = pl(&app, Method::GET, &format!("{USERS}/{missing}"), None).await;
        assert_eq!(r.status, 404, "{missing}");
        assert_eq!(r.body["message"], "User not found.");
    }
}

async fn update_replaces_fields_and_a_new_password_ends_sessions(b: Backend) {
    let app = TestApp::spawn(b).await;
    let u = create(
        &app,
        json!({"email": "u@example.com", "external_id": "u",
        "new_password": "first-pass", "sessions_limit": 5, "plan_admin": true}),
    )
    .await;
    let path = format!("{USERS}/{}", u["id"]);
    let t1 = token(&app, "u@example.com", "first-pass").await;
    let t2 = token(&app, "u@example.com", "first-pass").await;
    // Required fields.
    let r = pl(
        &app,
        Method::PUT,
        &path,
        Some(json!({"email": "u@example.com"})),
    )
    .await;
    assert_eq!(r.status, 422);
    assert!(r.body["errors"]["external_id"].is_array());
    assert!(r.body["errors"]["only_sees_readable"].is_array());
    // Without a password, sessions stay.
    let r = pl(
        &app,
        Method::PUT,
        &path,
        Some(json!({"email": "u2@example.com",
        "external_id": "u-2", "only_sees_readable": 1, "sessions_limit": null})),
    )
    .await;
    assert_eq!(r.status, 204, "{:?}", r.body);
    assert_eq!(r.body, Value::Null);
    assert!(token_works(&app, &t1).await);
    let r = pl(&app, Method::GET, &path, None).await;
    let d = &r.body["data"];
    assert_eq!(d["email"], "u2@example.com");
    assert_eq!(d["external_id"], "u-2");
    assert_eq!(d["only_sees_readable"], 1);
    assert_eq!(d["plan_admin"], true, "a flag not sent keeps its value");
    assert_eq!(d["sessions_limit"], Value::Null);
    // A new password ends every session.
    let r = pl(
        &app,
        Method::PUT,
        &path,
        Some(json!({"email": "u2@example.com",
        "external_id": "u-2", "only_sees_readable": "0", "new_password": "second-pass"})),
    )
    .await;
    assert_eq!(r.status, 204, "{:?}", r.body);
    assert!(!token_works(&app, &t1).await);
    assert!(!token_works(&app, &t2).await);
    assert_eq!(
        login(&app, "u2@example.com", "first-pass").await.status,
        401
    );
    token(&app, "u2@example.com", "second-pass").await;
    // Another user's email is taken; an unknown id is 404.
    create(
        &app,
        json!({"email": "other@example.com", "external_id": "o"}),
    )
    .await;
    let r = pl(
        &app,
        Method::PUT,
        &path,
        Some(json!({"email": "other@example.com",
        "external_id": "u-2", "only_sees_readable": 0})),
    )
    .await;
    assert_eq!(r.status, 422);
    assert_eq!(
        r.body["errors"]["email"],
        json!(["The email has already been taken."])
    );
    let r = pl(
        &app,
        Method::PUT,
        &format!("{USERS}/999999999"),
        Some(json!({})),
    )
    .await;
    assert_eq!(r.status, 404);
}

async fn sessions_limit_keeps_the_two_newest_tokens(b: Backend) {
    let app = TestApp::spawn(b).await;
    create(
        &app,
        json!({"email": "s@example.com", "external_id": "s",
        "new_password": "limit-pass", "sessions_limit": 2}),
    )
    .await;
    let first = token(&app, "s@example.com", "limit-pass").await;
    let second = token(&app, "s@example.com", "limit-pass").await;
    let third = token(&app, "s@example.com", "limit-pass").await;
    assert!(!token_works(&app, &first).await, "the oldest is revoked");
    assert!(token_works(&app, &second).await);
    assert!(token_works(&app, &third).await);
}

async fn deactivate_and_reactivate(b: Backend) {
    let app = TestApp::spawn(b).await;
    let u = create(
        &app,
        json!({"email": "d@example.com", "external_id": "d",
        "new_password": "deact-pass"}),
    )
    .await;
    let path = format!("{USERS}/{}", u["id"]);
    let live = token(&app, "d@example.com", "deact-pass").await;
    let r = pl(&app, Method::DELETE, &path, None).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.body, json!({"CODE": "success", "data": []}));
    assert!(!token_works(&app, &live).await, "sessions are revoked");
    assert_eq!(login(&app, "d@example.com", "deact-pass").await.status, 401);
    let r = pl(&app, Method::GET, &path, None).await;
    assert_eq!(r.body["data"]["status"], "deactivated");
    assert!(r.body["data"]["deleted_at"].is_string());
    // Again: still deactivated, still 200.
    assert_eq!(pl(&app, Method::DELETE, &path, None).await.status, 200);

    let r = pl(&app, Method::PUT, &format!("{path}/re-activate"), None).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.body, json!({"CODE": "success", "data": 1}));
    let r = pl(&app, Method::GET, &path, None).await;
    assert_eq!(r.body["data"]["status"], "active");
    assert_eq!(r.body["data"]["deleted_at"], Value::Null);
    assert!(token_works(&app, &token(&app, "d@example.com", "deact-pass").await).await);
    // The audit log has both, from the state machine.
    let events = app
        .get(&format!("/v1/users/{}/events", u["uuid"].as_str().unwrap()))
        .await;
    let actions: Vec<&str> = events.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert!(
        actions.contains(&"deactivated") && actions.contains(&"reactivated"),
        "{actions:?}"
    );
    for missing in [format!("{USERS}/999999999"), format!("{USERS}/abc")] {
        assert_eq!(pl(&app, Method::DELETE, &missing, None).await.status, 404);
        let r = pl(&app, Method::PUT, &format!("{missing}/re-activate"), None).await;
        assert_eq!(r.status, 404);
    }
}

async fn force_logout_by_id_or_external_id(b: Backend) {
    let app = TestApp::spawn(b).await;
    let u = create(
        &app,
        json!({"email": "f@example.com", "external_id": "ext-f",
        "new_password": "force-pass"}),
    )
    .await;
    let t1 = token(&app, "f@example.com", "force-pass").await;
    let t2 = token(&app, "f@example.com", "force-pass").await;
    let r = pl(
        &app,
        Method::POST,
        "/integration-api/v1/users/ext-f/force-logout",
        None,
    )
    .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(
        r.body,
        json!({"CODE": "success", "data": {"sessions_revoked": 2}})
    );
    assert!(!token_works(&app, &t1).await);
    assert!(!token_works(&app, &t2).await);
    let t3 = token(&app, "f@example.com", "force-pass").await;
    let r = pl(
        &app,
        Method::POST,
        &format!("/integration-api/v1/users/{}/force-logout", u["id"]),
        None,
    )
    .await;
    assert_eq!(r.body["data"]["sessions_revoked"], 1);
    assert!(!token_works(&app, &t3).await);
    // A numeric external_id that is no user's id.
    create(
        &app,
        json!({"email": "n@example.com", "external_id": "4242",
        "new_password": "force-pass"}),
    )
    .await;
    let t4 = token(&app, "n@example.com", "force-pass").await;
    let r = pl(
        &app,
        Method::POST,
        "/integration-api/v1/users/4242/force-logout",
        None,
    )
    .await;
    assert_eq!(r.body["data"]["sessions_revoked"], 1, "{:?}", r.body);
    assert!(!token_works(&app, &t4).await);
    let r = pl(
        &app,
        Method::POST,
        "/integration-api/v1/users/nobody/force-logout",
        None,
    )
    .await;
    assert_eq!(r.status, 404);
}

async fn auth_and_tenant_isolation(b: Backend) {
    let app = TestApp::spawn(b).await;
    let u = create(&app, json!({"email": "i@example.com", "external_id": "i"})).await;
    let path = format!("{USERS}/{}", u["id"]);
    let none = call_at(&app.http, app.addr, None, Method::GET, &path, None).await;
    assert_eq!(none.status, 401);
    assert_eq!(none.body, json!({"message": "Unauthenticated."}));
    let bad = call_at(
        &app.http,
        app.addr,
        Some("rst_nope"),
        Method::GET,
        &path,
        None,
    )
    .await;
    assert_eq!(bad.status, 401);
    assert_eq!(bad.body, json!({"message": "Unauthenticated."}));
    assert!(
        bad.header("x-ratelimit-limit").is_some(),
        "a bad key is counted too"
    );

    let (_, other) = app.other_tenant("globex").await;
    let as_other = |method: Method, p: String| {
        let (app, other) = (&app, &other);
        async move { call_at(&app.http, app.addr, Some(other), method, &p, None).await }
    };
    assert_eq!(as_other(Method::GET, path.clone()).await.status, 404);
    assert_eq!(
        as_other(Method::GET, format!("{USERS}/i@example.com"))
            .await
            .status,
        404
    );
    assert_eq!(as_other(Method::DELETE, path.clone()).await.status, 404);
    assert_eq!(
        as_other(Method::PUT, format!("{path}/re-activate"))
            .await
            .status,
        404
    );
    assert_eq!(
        as_other(
            Method::POST,
            "/integration-api/v1/users/i/force-logout".into()
        )
        .await
        .status,
        404
    );
    let list = as_other(Method::GET, USERS.into()).await;
    assert_eq!(list.body["data"]["paginator"]["total"], 0);
    // A base URL naming another tenant than the key's is not found; its own works.
    assert_eq!(
        as_other(Method::GET, format!("/t/acme{path}")).await.status,
        404
    );
    assert_eq!(
        pl(&app, Method::GET, &format!("/t/acme{path}"), None)
            .await
            .status,
        200
    );
    // The user is untouched.
    let r = pl(&app, Method::GET, &path, None).await;
    assert_eq!(r.body["data"]["status"], "active");
}

async fn plans_are_tenant_scoped(b: Backend) {
    let app = TestApp::spawn(b).await;
    let gold = plan(&app, "Gold").await;
    let dup = app.post("/v1/plans", json!({"name": "Gold"})).await;
    assert_eq!(dup.status, 409, "{:?}", dup.body);
    let bad = app.post("/v1/plans", json!({"name": ""})).await;
    assert_eq!(bad.status, 422, "{:?}", bad.body);
    let list = app.get("/v1/plans").await;
    assert_eq!(
        list.body["data"],
        json!([{"id": gold, "name": "Gold",
        "created_at": list.body["data"][0]["created_at"]}])
    );
    let (_, other) = app.other_tenant("globex").await;
    let theirs = app
        .call_as(Some(&other), Method::GET, "/v1/plans", None)
        .await;
    assert_eq!(theirs.body["data"], json!([]));
    // Another tenant cannot give out this tenant's plan.
    let r = call_at(
        &app.http,
        app.addr,
        Some(&other),
        Method::POST,
        USERS,
        Some(json!({"email": "x@example.com", "external_id": "x", "assign_new_plan": gold})),
    )
    .await;
    assert_eq!(r.status, 422);
    assert!(r.body["errors"]["assign_new_plan"].is_array());
}

async fn the_101st_call_in_a_minute_is_429(b: Backend) {
    // Ten seconds into a minute, and the clock stands still: every call is in one window.
    let start = chrono::DateTime::from_timestamp(1_800_000_010, 0).unwrap();
    let (app, hand) = TestApp::spawn_at(b, start).await;
    for i in 1..=100u32 {
        let r = pl(&app, Method::GET, USERS, None).await;
        assert_eq!(r.status, 200, "call {i}");
        assert_eq!(r.header("x-ratelimit-limit"), Some("100"));
        assert_eq!(
            r.header("x-ratelimit-remaining"),
            Some((100 - i).to_string().as_str())
        );
    }
    let r = pl(&app, Method::GET, USERS, None).await;
    assert_eq!(r.status, 429, "{:?}", r.body);
    assert_eq!(r.body, json!({"message": "Too Many Attempts."}));
    assert_eq!(r.header("x-ratelimit-remaining"), Some("0"));
    assert_eq!(r.header("retry-after"), Some("50"));
    assert_eq!(r.header("x-ratelimit-reset"), Some("1800000060"));
    // Refused calls do nothing: a create past the limit writes no user.
    let r = pl(
        &app,
        Method::POST,
        USERS,
        Some(json!({"email": "late@example.com", "external_id": "l"})),
    )
    .await;
    assert_eq!(r.status, 429);
    assert_eq!(app.get("/v1/users").await.body["data"], json!([]));
    // Another key has its own budget.
    let (_, other) = app.other_tenant("globex").await;
    let r = call_at(&app.http, app.addr, Some(&other), Method::GET, USERS, None).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("x-ratelimit-remaining"), Some("99"));
    // The next minute starts a new count.
    hand.advance(chrono::Duration::seconds(50));
    let r = pl(&app, Method::GET, USERS, None).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.header("x-ratelimit-remaining"), Some("99"));
}

/// A roster process serving `store` with its own settings.
struct Process {
    addr: SocketAddr,
    _shutdown: oneshot::Sender<()>,
}

async fn process(store: Store, publica_rate_limit: u32, clock: Clock) -> Process {
    let services = Services::new(
        store,
        Settings {
            publica_rate_limit,
            ..Settings::default()
        },
    )
    .with_clock(clock);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = oneshot::channel::<()>();
    tokio::spawn(async move {
        let _ = serve(listener, AppState::new(services, None), async {
            let _ = rx.await;
        })
        .await;
    });
    Process {
        addr,
        _shutdown: tx,
    }
}

async fn connect(db: &TestDb) -> Store {
    let options = PoolOptions {
        max_connections: 4,
        acquire_timeout: Duration::from_secs(2),
    };
    Store::connect(&db.url, &options).await.unwrap()
}

/// A store on `db` with the tenant `acme`, and its API key.
async fn store_with_acme(db: &TestDb) -> (Store, String) {
    let store = db.store().await;
    let services = Services::new(store.clone(), Settings::default());
    let (_, key) = services
        .create_tenant(
            Slug::parse("slug", "acme").unwrap(),
            DisplayName::parse("name", "Acme").unwrap(),
        )
        .await
        .unwrap();
    (store, key.secret)
}

async fn the_count_is_shared_by_processes_on_one_database(b: Backend) {
    let db = TestDb::new(b).await;
    let (store, key) = store_with_acme(&db).await;
    // Both processes read one clock, standing early in a minute: all calls fall in its window.
    let (clock, _hand) = Clock::manual(chrono::DateTime::from_timestamp(1_800_000_005, 0).unwrap());
    let one = process(store, 5, clock.clone()).await;
    let two = process(connect(&db).await, 5, clock).await;
    let http = reqwest::Client::new();
    let mut statuses = Vec::new();
    for i in 0..6 {
        let at = if i % 2 == 0 { one.addr } else { two.addr };
        let r = call_at(&http, at, Some(&key), Method::GET, USERS, None).await;
        statuses.push(r.status);
    }
    assert_eq!(
        statuses,
        [200, 200, 200, 200, 200, 429],
        "one budget across processes"
    );
}

async fn database_down_answers_503_with_retry_after(b: Backend) {
    let db = TestDb::new(b).await;
    let (store, key) = store_with_acme(&db).await;
    let p = process(store.clone(), 100, Clock::system()).await;
    let http = reqwest::Client::new();
    let r = call_at(&http, p.addr, Some(&key), Method::GET, USERS, None).await;
    assert_eq!(r.status, 200);
    // A closed pool is what an unreachable database looks like to a request.
    store.close().await;
    let r = call_at(&http, p.addr, Some(&key), Method::GET, USERS, None).await;
    assert_eq!(r.status, 503, "{:?}", r.body);
    assert_eq!(r.header("retry-after"), Some("1"));
    assert_eq!(r.body, json!({"message": "Service Unavailable."}));
}

async fn old_rate_windows_are_forgotten(b: Backend) {
    let db = TestDb::new(b).await;
    let store = db.store().await;
    let services = Services::new(store.clone(), Settings::default());
    let now = chrono::Utc::now().timestamp();
    let current = now - now.rem_euclid(60);
    let mut tx = store.write().await.unwrap();
    assert_eq!(tx.count_call(b"k", 0).await.unwrap(), 1);
    assert_eq!(tx.count_call(b"k", 0).await.unwrap(), 2);
    assert_eq!(tx.count_call(b"k", current).await.unwrap(), 1);
    tx.commit().await.unwrap();
    assert_eq!(services.forget_old_rate_windows().await.unwrap(), 1);
    let mut tx = store.write().await.unwrap();
    assert_eq!(
        tx.count_call(b"k", 0).await.unwrap(),
        1,
        "the old window is gone"
    );
    assert_eq!(
        tx.count_call(b"k", current).await.unwrap(),
        2,
        "the current one stays"
    );
}

async fn a_revoked_users_email_is_still_taken(b: Backend) {
    let app = TestApp::spawn(b).await;
    let u = app.create_user(json!({"email": "gone@example.com"})).await;
    app.post(
        &format!("/v1/users/{}/revoke-invite", u["id"].as_str().unwrap()),
        json!({}),
    )
    .await;
    // Publica.la's create makes a new account; it never re-invites a revoked one.
    let r = pl(
        &app,
        Method::POST,
        USERS,
        Some(json!({"email": "gone@example.com", "external_id": "p-1"})),
    )
    .await;
    assert_eq!(r.status, 422, "{:?}", r.body);
    assert!(r.body["errors"]["email"][0]
        .as_str()
        .unwrap()
        .contains("has already been taken"));
    assert_eq!(
        app.get(&format!("/v1/users/{}", u["id"].as_str().unwrap()))
            .await
            .body["status"],
        "revoked"
    );
}

async fn a_page_far_past_the_end_is_empty(b: Backend) {
    let app = TestApp::spawn(b).await;
    create(
        &app,
        json!({"email": "only@example.com", "external_id": "only"}),
    )
    .await;
    let r = pl(
        &app,
        Method::GET,
        &format!("{USERS}?page=100000000000000000"),
        None,
    )
    .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.body["data"]["paginator"]["data"], json!([]));
    assert_eq!(r.body["data"]["paginator"]["total"], 1);
}

/// A Publica call with `token` as `X-User-Token` and, if any, a JSON body.
fn publica(
    http: &reqwest::Client,
    at: SocketAddr,
    token: &str,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> reqwest::RequestBuilder {
    let req = http
        .request(method, format!("http://{at}{path}"))
        .header("X-User-Token", token);
    match body {
        Some(b) => req.json(&b),
        None => req,
    }
}

async fn create_answers_are_the_snapshot(b: Backend) {
    let app = TestApp::spawn(b).await;
    let gold = plan(&app, "Gold").await;
    let mut t = Transcript::new(app.addr);
    let http = &app.http;
    let call =
        |path: &str, body: Value| publica(http, app.addr, &app.key, Method::POST, path, Some(body));
    for body in [
        json!({"email": " MyEmailAddress@example.com ", "external_id": "ext-1",
               "new_password": "Abcd1234", "sessions_limit": null, "assign_new_plan": gold,
               "new_plan_custom_valid_to": "2030-12-31", "admin": 1, "plan_admin": "0",
               "only_sees_readable": true, "unknown_member": "ignored"}),
        json!({"email": "MYEMAILADDRESS@example.com", "external_id": "ext-2"}),
        json!({"email": "other@example.com", "external_id": "ext-1"}),
        json!({}),
        json!({"email": "not-an-email", "external_id": "x".repeat(65),
               "new_password": "short", "sessions_limit": 0, "assign_new_plan": 999,
               "new_plan_custom_valid_to": "2026-02-30", "admin": "yes", "plan_admin": 2,
               "only_sees_readable": [true]}),
        json!({"email": "a@example.com", "external_id": "a", "assign_new_plan": 999}),
        json!({"email": "a@example.com", "external_id": "a",
               "new_plan_custom_valid_to": "2030-01-01", "sessions_limit": "many"}),
        json!({"email": 5, "external_id": "  "}),
        json!([1, 2]),
    ] {
        t.send(http, call(USERS, body)).await;
    }
    let minimal = json!({"email": "slash@example.com", "external_id": "slash",
                         "sessions_limit": "3", "only_sees_readable": "1"});
    t.send(http, call(&format!("{USERS}/"), minimal)).await;
    let raw = |content_type: &str, body: String| {
        http.post(app.url(USERS))
            .header("X-User-Token", &app.key)
            .header("content-type", content_type)
            .body(body)
    };
    t.send(http, raw("application/json", "{\"email\": ".into()))
        .await;
    t.send(http, raw("application/json", String::new())).await;
    t.send(http, raw("text/plain", "email=a@example.com".into()))
        .await;
    let big = format!("{{\"email\": \"{}\"}}", "a".repeat(70_000));
    t.send(http, raw("application/json", big)).await;
    let body = json!({"email": "anon@example.com", "external_id": "anon"});
    t.send(http, http.post(app.url(USERS)).json(&body)).await;
    let bad_key = publica(http, app.addr, "rst_nope", Method::POST, USERS, Some(body));
    t.send(http, bad_key).await;
    insta::assert_json_snapshot!("create", t.take());
}

async fn list_answers_are_the_snapshot(b: Backend) {
    let app = TestApp::spawn(b).await;
    let gold = plan(&app, "Gold").await;
    let old = plan(&app, "Old").await;
    create(
        &app,
        json!({"email": "a@example.com", "external_id": "a", "admin": true,
               "assign_new_plan": gold}),
    )
    .await;
    let bu = create(&app, json!({"email": "b@example.com", "external_id": "b"})).await;
    let r = pl(&app, Method::DELETE, &format!("{USERS}/{}", bu["id"]), None).await;
    assert_eq!(r.status, 200);
    create(
        &app,
        json!({"email": "c@example.com", "external_id": "c", "sessions_limit": 2,
               "only_sees_readable": true, "assign_new_plan": old,
               "new_plan_custom_valid_to": "2020-01-31"}),
    )
    .await;
    let mut t = Transcript::new(app.addr);
    for query in [
        "",
        "/",
        "?per_page=2",
        "?per_page=2&page=2",
        "?page=99",
        "?query=deactivated",
        "?query=admins",
        "?email=C@example.com",
        "?email=nobody@example.com",
        "?query=",
        "?page=abc&per_page=abc",
        "?per_page=0",
        "?per_page=1000",
        "?query=bogus",
        "?page=1&page=2",
    ] {
        let path = format!("{USERS}{query}");
        let req = publica(&app.http, app.addr, &app.key, Method::GET, &path, None);
        t.send(&app.http, req).await;
    }
    let path = format!("/t/acme{USERS}?per_page=1&query=");
    let req = publica(&app.http, app.addr, &app.key, Method::GET, &path, None);
    t.send(&app.http, req).await;
    insta::assert_json_snapshot!("list", t.take());
}

async fn user_answers_are_the_snapshot(b: Backend) {
    let app = TestApp::spawn(b).await;
    let gold = plan(&app, "Gold").await;
    let u = create(
        &app,
        json!({"email": "u@example.com", "external_id": "ext-u",
               "new_password": "user-pass", "assign_new_plan": gold}),
    )
    .await;
    create(
        &app,
        json!({"email": "taken@example.com", "external_id": "taken"}),
    )
    .await;
    app.create_user(json!({"email": "invited@example.com"}))
        .await;
    let banned = app
        .create_user(json!({"email": "banned@example.com", "status": "active"}))
        .await;
    let banned_id = banned["id"].as_str().unwrap();
    let r = app
        .post(&format!("/v1/users/{banned_id}/ban"), json!({}))
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let number = |email: &str| {
        let app = &app;
        let path = format!("{USERS}/{email}");
        async move { pl(app, Method::GET, &path, None).await.body["data"]["id"].clone() }
    };
    let (invited_n, banned_n) = (
        number("invited@example.com").await,
        number("banned@example.com").await,
    );
    token(&app, "u@example.com", "user-pass").await;
    token(&app, "u@example.com", "user-pass").await;
    app.other_tenant("globex").await;

    let mut t = Transcript::new(app.addr);
    t.alias(&u["id"], "{user}");
    t.alias(&invited_n, "{invited}");
    t.alias(&banned_n, "{banned}");
    let user = format!("{USERS}/{}", u["id"]);
    let update = json!({"email": "u2@example.com", "external_id": "ext-u2", "sessions_limit": 3,
                        "only_sees_readable": 1, "admin": "0", "plan_admin": true});
    let calls: Vec<(Method, String, Option<Value>)> = vec![
        (Method::GET, user.clone(), None),
        (Method::GET, format!("{USERS}/U@example.com"), None),
        (Method::GET, format!("{USERS}/999999999"), None),
        (Method::GET, format!("{USERS}/nobody@example.com"), None),
        (Method::GET, format!("{USERS}/abc"), None),
        (Method::GET, format!("{USERS}/%FF"), None),
        (Method::PUT, user.clone(), Some(update.clone())),
        (Method::GET, user.clone(), None),
        (
            Method::PUT,
            user.clone(),
            Some(json!({"email": "u2@example.com"})),
        ),
        (
            Method::PUT,
            user.clone(),
            Some(
                json!({"email": "taken@example.com", "external_id": "taken", "only_sees_readable": 0}),
            ),
        ),
        (Method::PUT, format!("{USERS}/999999999"), Some(json!({}))),
        (Method::PUT, format!("{USERS}/abc"), Some(update.clone())),
        (Method::POST, format!("{user}/force-logout"), None),
        (
            Method::POST,
            "/integration-api/v1/users/ext-u2/force-logout".into(),
            None,
        ),
        (
            Method::POST,
            "/integration-api/v1/users/nobody/force-logout".into(),
            None,
        ),
        (Method::DELETE, user.clone(), None),
        (Method::DELETE, user.clone(), None),
        (Method::GET, user.clone(), None),
        (Method::PUT, format!("{user}/re-activate"), None),
        (Method::PUT, format!("{user}/re-activate"), None),
        (Method::DELETE, format!("{USERS}/{banned_n}"), None),
        (
            Method::PUT,
            format!("{USERS}/{invited_n}/re-activate"),
            None,
        ),
        (Method::DELETE, format!("{USERS}/999999999"), None),
        (Method::PUT, format!("{USERS}/abc/re-activate"), None),
        (Method::GET, format!("/t/acme{user}"), None),
        (Method::GET, format!("/t/globex{user}"), None),
        (Method::GET, format!("/t/%FF{user}"), None),
    ];
    for (method, path, body) in calls {
        let req = publica(&app.http, app.addr, &app.key, method, &path, body);
        t.send(&app.http, req).await;
    }
    t.send(&app.http, app.http.get(app.url(&user))).await;
    insta::assert_json_snapshot!("user", t.take());
}

/// What the rate limiter and a database that is down answer, before any handler runs.
async fn refusals_before_the_handler_are_the_snapshot(b: Backend) {
    let db = TestDb::new(b).await;
    let (store, key) = store_with_acme(&db).await;
    let http = reqwest::Client::new();
    // A limit of 0 refuses the first call.
    let none_left = process(store.clone(), 0, Clock::system()).await;
    let mut t = Transcript::new(none_left.addr);
    let call = |at: SocketAddr, method: Method, path: &str| {
        publica(&http, at, &key, method, path, Some(json!({})))
    };
    t.send(&http, call(none_left.addr, Method::POST, USERS))
        .await;
    t.send(&http, call(none_left.addr, Method::GET, USERS))
        .await;
    insta::assert_json_snapshot!("rate_limited", t.take());
    let down = process(store.clone(), 100, Clock::system()).await;
    store.close().await;
    let mut t = Transcript::new(down.addr);
    t.send(&http, call(down.addr, Method::POST, USERS)).await;
    t.send(&http, call(down.addr, Method::GET, &format!("{USERS}/1")))
        .await;
    insta::assert_json_snapshot!("unavailable", t.take());
}
