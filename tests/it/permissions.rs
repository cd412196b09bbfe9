//! Who may do what: scoped keys, roles, and the actor every event names (issue 16).

use crate::backend_tests;
use crate::support::{Backend, Reply, TestApp};
use chrono::{Duration, TimeZone, Utc};
use reqwest::Method;
use serde_json::{json, Value};

backend_tests!(
    a_read_only_key_changes_nothing_through_any_api,
    a_lifecycle_key_does_what_the_read_key_could_not,
    refusals_name_the_missing_scope,
    a_status_desk_role_deactivates_through_rocket_chat_and_edits_nothing,
    a_rotated_key_works_until_its_overlap_ends,
    keys_and_roles_belong_to_their_tenant,
    the_last_admin_keeps_the_admin_role,
    every_event_names_its_actor_and_api,
    every_write_operation_needs_its_scope,
);

/// A key of the app's tenant with these scopes; answers its secret.
async fn key(app: &TestApp, name: &str, scopes: &[&str]) -> String {
    let r = app
        .post("/v1/keys", json!({"name": name, "scopes": scopes}))
        .await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    r.body["api_key"].as_str().unwrap().to_owned()
}

async fn send(app: &TestApp, key: &str, method: Method, path: &str, body: Option<Value>) -> Reply {
    let mut req = app
        .http
        .request(method, app.url(path))
        .bearer_auth(key)
        .header("X-User-Token", key)
        .header("Api-token", key);
    if path.starts_with("/reg/") {
        req = req
            .header("Api-id", app.tenant_number().await.to_string())
            .header("Api-user", "ops@example.com")
            .header("Timestamp", Utc::now().timestamp().to_string());
    }
    if let Some(b) = body {
        req = req.json(&b);
    }
    crate::support::read(req.send().await.unwrap()).await
}

/// Every kind of change, through every API that takes an API key, aimed at `user` (an active
/// user with a password) and at names no other call uses. (method, path, body)
fn changes(user: &str, bob: &str, group: i64) -> Vec<(Method, String, Option<Value>)> {
    let u = |p: &str| format!("/v1/users/{user}{p}");
    vec![
        (
            Method::POST,
            "/v1/users".into(),
            Some(json!({"email": "new@example.com"})),
        ),
        (Method::PATCH, u(""), Some(json!({"first_name": "Changed"}))),
        (
            Method::POST,
            "/v1/sessions".into(),
            Some(json!({"email": "ada@example.com", "password": "a long password"})),
        ),
        (Method::POST, format!("/v1/users/{bob}/ban"), None),
        (Method::POST, u("/deactivate"), None),
        (Method::POST, u("/logout"), None),
        (Method::PUT, u("/roles/moderator"), None),
        (
            Method::POST,
            "/v1/groups".into(),
            Some(json!({"key": "g-new"})),
        ),
        (
            Method::POST,
            "/v1/rooms".into(),
            Some(json!({"name": "r-new"})),
        ),
        (
            Method::POST,
            "/v1/plans".into(),
            Some(json!({"name": "p-new"})),
        ),
        (
            Method::POST,
            "/v1/products".into(),
            Some(json!({"name": "x-new", "price": "1.00"})),
        ),
        (
            Method::POST,
            "/v1/roles".into(),
            Some(json!({"name": "desk", "permissions": []})),
        ),
        (
            Method::POST,
            "/v1/keys".into(),
            Some(json!({"name": "k", "scopes": ["read"]})),
        ),
        (
            Method::POST,
            "/networks/acme/user_status".into(),
            Some(json!({"user": "carol@example.com", "status_change": "ban"})),
        ),
        (
            Method::POST,
            "/integration-api/v1/dashboard/users".into(),
            Some(json!({"email": "pl@example.com", "external_id": "pl-1"})),
        ),
        (
            Method::POST,
            "/integration-api/v1/users/ext-ada/force-logout".into(),
            None,
        ),
        (
            Method::POST,
            "/reg/api2/users/".into(),
            Some(
                json!({"action": "create", "group_id": group, "doc": {"email": "rp@example.com"}}),
            ),
        ),
    ]
}

/// An active user with a password, a session, and a Regpack project: what the calls aim at.
async fn targets(app: &TestApp) -> (String, String, i64) {
    let ada = app
        .create_user(json!({"email": "ada@example.com", "external_id": "ext-ada", "status": "active", "password": "a long password"}))
        .await;
    let r = app
        .post(
            "/v1/sessions",
            json!({"email": "ada@example.com", "password": "a long password"}),
        )
        .await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    let bob = app
        .create_user(json!({"email": "bob@example.com", "status": "active"}))
        .await;
    app.create_user(json!({"email": "carol@example.com", "status": "active"}))
        .await;
    let g = app.post("/v1/groups", json!({"key": "project"})).await;
    (
        ada["id"].as_str().unwrap().to_owned(),
        bob["id"].as_str().unwrap().to_owned(),
        g.body["id"].as_i64().unwrap(),
    )
}

/// The events a key made, once the feed shows everything committed so far: on Postgres the
/// feed holds back a transaction's events while an older one runs, so a marker change made
/// now must show first.
async fn events_by(app: &TestApp, key_name: &str) -> Vec<Value> {
    let keys = app.get("/v1/keys").await.body["data"].clone();
    let id = keys
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["name"] == key_name)
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let email = format!("marker-{}@example.com", uuid::Uuid::now_v7().simple());
    let marker = app.create_user(json!({"email": email})).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    crate::support::eventually(|| async {
        let feed = app.get("/v1/events?limit=200").await.body["data"].clone();
        let feed = feed.as_array().unwrap();
        feed.iter()
            .any(|e| e["user_id"] == marker.as_str())
            .then_some(())
    })
    .await;
    let mine = app
        .get(&format!("/v1/events?limit=200&actor=api_key:{id}"))
        .await;
    mine.body["data"].as_array().unwrap().clone()
}

async fn a_read_only_key_changes_nothing_through_any_api(b: Backend) {
    let app = TestApp::spawn(b).await;
    let read = key(&app, "dashboard", &["read"]).await;
    let (ada, bob, group) = targets(&app).await;
    let before_user = app.get(&format!("/v1/users/{ada}")).await.body;
    for (method, path, body) in changes(&ada, &bob, group) {
        let r = send(&app, &read, method.clone(), &path, body).await;
        assert_eq!(r.status, 403, "{method} {path}: {:?}", r.body);
        // In the envelope of the API it came through.
        if path.starts_with("/v1/") {
            assert_eq!(r.body["type"], "urn:roster:problem:forbidden", "{path}");
            assert!(r.body["missing_scope"].is_string(), "{path}: {:?}", r.body);
        } else if path.starts_with("/networks/") {
            assert_eq!(r.body["error"]["code"], "forbidden", "{path}: {:?}", r.body);
        } else if path.starts_with("/reg/") {
            assert_eq!(r.body["success"], false, "{path}: {:?}", r.body);
        } else {
            assert!(r.body["message"].is_string(), "{path}: {:?}", r.body);
        }
    }
    // It can still read.
    assert_eq!(
        send(&app, &read, Method::GET, "/v1/users", None)
            .await
            .status,
        200
    );
    assert_eq!(
        send(&app, &read, Method::GET, "/v1/events", None)
            .await
            .status,
        200
    );
    assert_eq!(app.get(&format!("/v1/users/{ada}")).await.body, before_user);
    assert_eq!(events_by(&app, "dashboard").await, Vec::<Value>::new());
}

async fn a_lifecycle_key_does_what_the_read_key_could_not(b: Backend) {
    let app = TestApp::spawn(b).await;
    let lifecycle = key(&app, "backend", &["lifecycle"]).await;
    let full = key(&app, "ops", &["full"]).await;
    let (ada, bob, group) = targets(&app).await;
    for (method, path, body) in changes(&ada, &bob, group) {
        // Roles and keys are the full scope's: refused to lifecycle, done by full.
        let needs_full = path.contains("/roles") || path.starts_with("/v1/keys");
        let caller = if needs_full { &full } else { &lifecycle };
        if needs_full {
            let r = send(&app, &lifecycle, method.clone(), &path, body.clone()).await;
            assert_eq!(r.status, 403, "{method} {path}: {:?}", r.body);
            assert_eq!(r.body["missing_scope"], "full");
        }
        let r = send(&app, caller, method.clone(), &path, body).await;
        assert!(r.status < 300, "{method} {path}: {} {:?}", r.status, r.body);
    }
}

async fn refusals_name_the_missing_scope(b: Backend) {
    let app = TestApp::spawn(b).await;
    let scim = key(&app, "okta", &["scim"]).await;
    let (ada, _, _) = targets(&app).await;
    // SCIM may deactivate, not ban: banning is moderation, in `lifecycle`.
    let r = send(
        &app,
        &scim,
        Method::POST,
        &format!("/v1/users/{ada}/ban"),
        None,
    )
    .await;
    assert_eq!(r.status, 403);
    assert_eq!(r.body["missing_scope"], "lifecycle");
    assert_eq!(r.body["missing_permission"], "manage-moderation-actions");
    let detail = r.body["detail"].as_str().unwrap();
    assert!(detail.contains("`lifecycle`"), "{detail}");
    let r = send(
        &app,
        &scim,
        Method::POST,
        &format!("/v1/users/{ada}/deactivate"),
        None,
    )
    .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    // Listing keys shows names and scopes, never a secret.
    let keys = app.get("/v1/keys").await;
    assert_eq!(keys.status, 200);
    let okta = keys.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["name"] == "okta")
        .unwrap()
        .clone();
    assert_eq!(okta["scopes"], json!(["scim"]));
    assert!(okta.get("api_key").is_none());
    assert!(okta["last_used_at"].is_string(), "{okta:?}");
}

async fn a_status_desk_role_deactivates_through_rocket_chat_and_edits_nothing(b: Backend) {
    let app = TestApp::spawn(b).await;
    let r = app
        .post(
            "/v1/roles",
            json!({"name": "status-desk", "permissions": ["edit-other-user-active-status"]}),
        )
        .await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    assert_eq!(
        r.body["permissions"],
        json!(["edit-other-user-active-status"])
    );
    let agent = app
        .create_user(json!({"email": "agent@example.com", "status": "active", "password": "a long password"}))
        .await;
    let agent_id = agent["id"].as_str().unwrap();
    let target = app
        .create_user(json!({"email": "t@example.com", "status": "active"}))
        .await;
    let target_id = target["id"].as_str().unwrap();
    let login = |_: ()| async {
        let r = app
            .call_as(
                None,
                Method::POST,
                "/t/acme/api/v1/login",
                Some(json!({"user": "agent@example.com", "password": "a long password"})),
            )
            .await;
        (
            r.body["data"]["userId"].as_str().unwrap().to_owned(),
            r.body["data"]["authToken"].as_str().unwrap().to_owned(),
        )
    };
    let set_active = |id: String, token: String, active: bool| {
        let body = json!({"activeStatus": active, "userId": target_id});
        let req = app
            .http
            .post(app.url("/api/v1/users.setActiveStatus"))
            .header("x-user-id", id)
            .header("x-auth-token", token)
            .json(&body);
        async move { crate::support::read(req.send().await.unwrap()).await }
    };
    // Without the role: Rocket.Chat's own refusal.
    let (id, token) = login(()).await;
    let r = set_active(id, token, false).await;
    assert_eq!(r.status, 403, "{:?}", r.body);
    assert_eq!(
        r.body["error"],
        "User does not have the permissions required for this action [error-unauthorized]"
    );
    let r = app
        .call(
            Method::PUT,
            &format!("/v1/users/{agent_id}/roles/status-desk"),
            None,
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.body["roles"], json!(["status-desk"]));
    let (id, token) = login(()).await;
    let r = set_active(id.clone(), token.clone(), false).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.body["user"]["active"], false);
    // The same person cannot edit a profile: the service refuses them the permission.
    let agent_user = app
        .services
        .user(&operator_ctx(&app).await, agent_id.parse().unwrap())
        .await
        .unwrap();
    let permissions = app.services.permissions_of(&agent_user.user).await.unwrap();
    let ctx = roster::service::Context::new(
        agent_user.user.tenant_id,
        roster::domain::event::Actor::User(agent_user.user.id),
        roster::service::Authority::User(permissions),
        roster::domain::event::Channel::RocketChat,
        None,
    );
    let patch = roster::domain::user::UserPatch::default();
    let refused = app
        .services
        .patch_user(&ctx, target_id.parse::<uuid::Uuid>().unwrap(), patch, None)
        .await
        .unwrap_err();
    assert!(
        matches!(refused, roster::service::Error::Forbidden(m) if m.permission.as_str() == "edit-other-user-info"),
    );
    // The deactivation names the agent and Rocket.Chat.
    let events = app.get(&format!("/v1/users/{target_id}/events")).await;
    let last = events.body["data"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(last["actor"], format!("user:{agent_id}"));
    assert_eq!(last["channel"], "rocketchat");
}

async fn operator_ctx(app: &TestApp) -> roster::service::Context {
    let tenant = app.services.tenant("acme").await.unwrap();
    roster::service::Context::operator(tenant.id)
}

async fn a_rotated_key_works_until_its_overlap_ends(b: Backend) {
    let start = Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).unwrap();
    let (app, hand) = TestApp::spawn_at(b, start).await;
    let old = key(&app, "backend", &["lifecycle"]).await;
    let id = app.get("/v1/keys").await.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["name"] == "backend")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = app
        .post(
            &format!("/v1/keys/{id}/rotate"),
            json!({"overlap_seconds": 600}),
        )
        .await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    let new = r.body["key"]["api_key"].as_str().unwrap().to_owned();
    assert_eq!(r.body["key"]["scopes"], json!(["lifecycle"]));
    assert_eq!(r.body["key"]["name"], "backend");
    let works = |k: String| {
        let req = app.http.get(app.url("/v1/users")).bearer_auth(k);
        async move { req.send().await.unwrap().status().as_u16() }
    };
    assert_eq!(works(old.clone()).await, 200);
    assert_eq!(works(new.clone()).await, 200);
    hand.advance(Duration::seconds(599));
    assert_eq!(works(old.clone()).await, 200);
    hand.advance(Duration::seconds(2));
    assert_eq!(works(old.clone()).await, 401);
    assert_eq!(works(new.clone()).await, 200);
    // Revoked: 401 at once.
    let new_id = r.body["key"]["id"].as_str().unwrap();
    let revoked = app
        .call(Method::DELETE, &format!("/v1/keys/{new_id}"), None)
        .await;
    assert_eq!(revoked.status, 200);
    assert_eq!(works(new).await, 401);
}

async fn keys_and_roles_belong_to_their_tenant(b: Backend) {
    let app = TestApp::spawn(b).await;
    let (_, other) = app.other_tenant("globex").await;
    let mine = key(&app, "mine", &["read"]).await;
    let _ = mine;
    let my_keys = app.get("/v1/keys").await.body["data"].clone();
    let my_key_id = my_keys[0]["id"].as_str().unwrap().to_owned();
    let r = app
        .post(
            "/v1/roles",
            json!({"name": "acme-only", "permissions": ["view-user-administration"]}),
        )
        .await;
    assert_eq!(r.status, 201);
    // Globex sees none of acme's keys or roles and can touch none.
    let theirs = send(&app, &other, Method::GET, "/v1/keys", None).await;
    assert!(theirs.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .all(|k| k["name"] != "mine"));
    let r = send(
        &app,
        &other,
        Method::DELETE,
        &format!("/v1/keys/{my_key_id}"),
        None,
    )
    .await;
    assert_eq!(r.status, 404);
    let r = send(
        &app,
        &other,
        Method::POST,
        &format!("/v1/keys/{my_key_id}/rotate"),
        None,
    )
    .await;
    assert_eq!(r.status, 404);
    let roles = send(&app, &other, Method::GET, "/v1/roles", None).await;
    assert!(roles.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["name"] != "acme-only"));
    let r = send(&app, &other, Method::DELETE, "/v1/roles/acme-only", None).await;
    assert_eq!(r.status, 404);
    // Nor grant acme's role to their own users.
    let u = send(
        &app,
        &other,
        Method::POST,
        "/v1/users",
        Some(json!({"email": "g@example.com"})),
    )
    .await;
    let uid = u.body["id"].as_str().unwrap();
    let r = send(
        &app,
        &other,
        Method::PUT,
        &format!("/v1/users/{uid}/roles/acme-only"),
        None,
    )
    .await;
    assert_eq!(r.status, 422, "{:?}", r.body);
    assert_eq!(
        app.get("/v1/keys").await.body["data"][0]["revoked_at"],
        Value::Null
    );
}

async fn the_last_admin_keeps_the_admin_role(b: Backend) {
    let app = TestApp::spawn(b).await;
    let admin = app
        .create_user(json!({"email": "boss@example.com", "status": "active", "roles": ["admin"]}))
        .await;
    let id = admin["id"].as_str().unwrap();
    let r = app
        .call(Method::DELETE, &format!("/v1/users/{id}/roles/admin"), None)
        .await;
    assert_eq!(r.status, 409, "{:?}", r.body);
    let second = app
        .create_user(json!({"email": "two@example.com", "status": "active", "roles": ["admin"]}))
        .await;
    let r = app
        .call(Method::DELETE, &format!("/v1/users/{id}/roles/admin"), None)
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.body["roles"], json!([]));
    let _ = second;
    // Built-in roles cannot be redefined.
    let r = app
        .post("/v1/roles", json!({"name": "admin", "permissions": []}))
        .await;
    assert_eq!(r.status, 409, "{:?}", r.body);
}

async fn every_event_names_its_actor_and_api(b: Backend) {
    let app = TestApp::spawn(b).await;
    let (ada, bob, group) = targets(&app).await;
    let full = key(&app, "ops", &["full"]).await;
    for (method, path, body) in changes(&ada, &bob, group) {
        send(&app, &full, method, &path, body).await;
    }
    // And a Rocket.Chat user's change, of a user no call above touched.
    let target = app
        .create_user(json!({"email": "rc-target@example.com", "status": "active"}))
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.create_user(json!({"email": "rc-admin@example.com", "status": "active", "password": "a long password", "roles": ["admin"]}))
        .await;
    let login = app
        .call_as(
            None,
            Method::POST,
            "/t/acme/api/v1/login",
            Some(json!({"user": "rc-admin@example.com", "password": "a long password"})),
        )
        .await;
    let r = app
        .http
        .post(app.url("/api/v1/users.setActiveStatus"))
        .header("x-user-id", login.body["data"]["userId"].as_str().unwrap())
        .header(
            "x-auth-token",
            login.body["data"]["authToken"].as_str().unwrap(),
        )
        .json(&json!({"activeStatus": false, "userId": target}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    // On Postgres the feed shows a transaction's events once no older one is running.
    let feed = crate::support::eventually(|| async {
        let feed = app.get("/v1/events?limit=200").await.body["data"]
            .as_array()
            .unwrap()
            .clone();
        let apis: Vec<&str> = feed.iter().filter_map(|e| e["channel"].as_str()).collect();
        ["village", "publica", "regpack", "rocketchat"]
            .iter()
            .all(|api| apis.contains(api))
            .then_some(feed)
    })
    .await;
    let mut channels = std::collections::BTreeSet::new();
    for e in &feed {
        let actor = e["actor"].as_str().unwrap();
        assert!(
            actor.starts_with("api_key:") || actor.starts_with("user:") || actor == "operator",
            "{e:?}"
        );
        let channel = e["channel"]
            .as_str()
            .unwrap_or_else(|| panic!("no channel: {e:?}"));
        channels.insert(channel.to_owned());
        if actor.starts_with("api_key:") {
            assert!(e["actor_name"].is_string(), "{e:?}");
        }
    }
    for api in ["native", "village", "publica", "regpack", "rocketchat"] {
        assert!(channels.contains(api), "{channels:?}");
    }
    // Filtered by actor: only that key's events.
    let ops_id = app.get("/v1/keys").await.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["name"] == "ops")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let actor = format!("api_key:{ops_id}");
    let mine = app
        .get(&format!("/v1/events?limit=200&actor={actor}"))
        .await
        .body["data"]
        .as_array()
        .unwrap()
        .clone();
    assert!(!mine.is_empty());
    assert!(mine.iter().all(|e| e["actor"] == actor.as_str()));
}

/// One call of the matrix: the operation as the contract names it, and a call of it.
struct Op {
    method: Method,
    template: &'static str,
    path: String,
    body: Option<Value>,
}

fn op(method: Method, template: &'static str, path: impl Into<String>, body: Option<Value>) -> Op {
    Op {
        method,
        template,
        path: path.into(),
        body,
    }
}

/// What every write operation of the matrix acts on.
struct Fixture {
    ada: String,
    bob: String,
    dan: String,
    eve: String,
    fay: String,
    /// A user only the erasure names.
    gil: String,
    /// The number Publica.la names pub@example.com by.
    publica: i64,
    group: i64,
    room: String,
    key: String,
    hook: String,
    delivery: String,
    change: String,
}

async fn id_of(r: Reply) -> String {
    assert!(r.status < 300, "{:?}", r.body);
    r.body["id"]
        .as_str()
        .map_or_else(|| r.body["id"].to_string(), str::to_owned)
}

async fn fixture(app: &TestApp) -> Fixture {
    let person = |email: &'static str, status: &'static str| async move {
        let body = json!({"email": email, "status": status, "password": "a long password"});
        app.create_user(body).await["id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let ada = person("ada@example.com", "active").await;
    let bob = person("bob@example.com", "active").await;
    let dan = app.create_user(json!({"email": "dan@example.com"})).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let eve = person("eve@example.com", "active").await;
    assert_eq!(
        app.post(&format!("/v1/users/{eve}/ban"), json!({}))
            .await
            .status,
        200
    );
    let fay = person("fay@example.com", "active").await;
    let gil = person("gil@example.com", "active").await;
    let publica = app
        .create_user(json!({"email": "pub@example.com", "external_id": "pl-0", "status": "active"}))
        .await["number"]
        .as_i64()
        .unwrap();
    assert_eq!(
        app.post(&format!("/v1/users/{fay}/deactivate"), json!({}))
            .await
            .status,
        200
    );
    let group = app.post("/v1/groups", json!({"key": "project"})).await.body["id"]
        .as_i64()
        .unwrap();
    app.post(
        &format!("/v1/groups/{group}/members"),
        json!({"user_id": bob}),
    )
    .await;
    let room = id_of(app.post("/v1/rooms", json!({"name": "lounge"})).await).await;
    app.post(
        &format!("/v1/rooms/{room}/members"),
        json!({"user_id": bob}),
    )
    .await;
    let key = id_of(
        app.post("/v1/keys", json!({"name": "spare", "scopes": ["read"]}))
            .await,
    )
    .await;
    app.post("/v1/roles", json!({"name": "desk", "permissions": []}))
        .await;
    let hook = id_of(
        app.post(
            "/v1/webhooks",
            json!({"url": "https://hooks.example.com/roster"}),
        )
        .await,
    )
    .await;
    app.call(
        Method::PATCH,
        &format!("/v1/users/{ada}"),
        Some(json!({"first_name": "Ada"})),
    )
    .await;
    let delivery = crate::support::eventually(|| async {
        let r = app.get(&format!("/v1/webhooks/{hook}/deliveries")).await;
        r.body["data"][0]["id"].as_str().map(str::to_owned)
    })
    .await;
    let change = id_of(
        app.post(
            "/v1/scheduled-changes",
            json!({"user_id": bob, "action": "ban", "at": "2099-01-01T00:00:00Z"}),
        )
        .await,
    )
    .await;
    Fixture {
        ada,
        bob,
        dan,
        eve,
        fay,
        gil,
        publica,
        group,
        room,
        key,
        hook,
        delivery,
        change,
    }
}

/// Every write operation that takes an API key, in an order in which each succeeds.
fn every_write(f: &Fixture) -> Vec<Op> {
    use Method as M;
    let (ada, bob) = (&f.ada, &f.bob);
    vec![
        op(
            M::POST,
            "/v1/users/import",
            "/v1/users/import",
            Some(json!({"email": "imported@example.com", "first_name": "Imp"})),
        ),
        op(
            M::POST,
            "/v1/users/{id}/erasure",
            format!("/v1/users/{}/erasure", f.gil),
            Some(json!({"confirm": f.gil, "reason": "asked to be forgotten"})),
        ),
        op(
            M::POST,
            "/v1/users",
            "/v1/users",
            Some(json!({"email": "new@example.com"})),
        ),
        op(
            M::PATCH,
            "/v1/users/{id}",
            format!("/v1/users/{ada}"),
            Some(json!({"last_name": "L"})),
        ),
        op(
            M::POST,
            "/v1/sessions",
            "/v1/sessions",
            Some(json!({"email": "ada@example.com", "password": "a long password"})),
        ),
        op(
            M::DELETE,
            "/v1/users/{id}/sessions",
            format!("/v1/users/{ada}/sessions"),
            None,
        ),
        op(
            M::POST,
            "/v1/users/{id}/impersonations",
            format!("/v1/users/{ada}/impersonations"),
            None,
        ),
        op(
            M::PUT,
            "/v1/external-auth/key",
            "/v1/external-auth/key",
            Some(json!({"algorithm": "HS256", "key": "k".repeat(32), "audience": "roster"})),
        ),
        op(
            M::DELETE,
            "/v1/external-auth/key",
            "/v1/external-auth/key",
            None,
        ),
        op(
            M::POST,
            "/v1/users/{id}/logout",
            format!("/v1/users/{ada}/logout"),
            None,
        ),
        op(
            M::POST,
            "/v1/users/{id}/invite",
            format!("/v1/users/{}/invite", f.dan),
            None,
        ),
        op(
            M::POST,
            "/v1/users/{id}/revoke-invite",
            format!("/v1/users/{}/revoke-invite", f.dan),
            None,
        ),
        op(
            M::POST,
            "/v1/users/{id}/unban",
            format!("/v1/users/{}/unban", f.eve),
            None,
        ),
        op(
            M::POST,
            "/v1/users/{id}/reactivate",
            format!("/v1/users/{}/reactivate", f.fay),
            None,
        ),
        op(
            M::POST,
            "/v1/users/{id}/activate",
            format!("/v1/users/{}/activate", f.fay),
            None,
        ),
        op(
            M::POST,
            "/v1/users/{id}/ban",
            format!("/v1/users/{}/ban", f.eve),
            None,
        ),
        op(
            M::PUT,
            "/v1/users/{id}/roles/{role}",
            format!("/v1/users/{ada}/roles/desk"),
            None,
        ),
        op(
            M::DELETE,
            "/v1/users/{id}/roles/{role}",
            format!("/v1/users/{ada}/roles/desk"),
            None,
        ),
        op(
            M::POST,
            "/v1/groups",
            "/v1/groups",
            Some(json!({"key": "g-new"})),
        ),
        op(
            M::POST,
            "/v1/groups/{id}/members",
            format!("/v1/groups/{}/members", f.group),
            Some(json!({"user_id": ada})),
        ),
        op(
            M::DELETE,
            "/v1/groups/{id}/members/{user_id}",
            format!("/v1/groups/{}/members/{bob}", f.group),
            None,
        ),
        op(
            M::POST,
            "/v1/rooms",
            "/v1/rooms",
            Some(json!({"name": "r-new"})),
        ),
        op(
            M::POST,
            "/v1/rooms/{id}/members",
            format!("/v1/rooms/{}/members", f.room),
            Some(json!({"user_id": ada})),
        ),
        op(
            M::PUT,
            "/v1/rooms/{id}/members/{user_id}",
            format!("/v1/rooms/{}/members/{ada}", f.room),
            Some(json!({"role": "owner"})),
        ),
        op(
            M::DELETE,
            "/v1/rooms/{id}/members/{user_id}",
            format!("/v1/rooms/{}/members/{bob}", f.room),
            None,
        ),
        op(
            M::POST,
            "/v1/plans",
            "/v1/plans",
            Some(json!({"name": "p-new"})),
        ),
        op(
            M::POST,
            "/v1/products",
            "/v1/products",
            Some(json!({"name": "x-new", "price": "1.00"})),
        ),
        op(
            M::POST,
            "/v1/roles",
            "/v1/roles",
            Some(json!({"name": "desk-2", "permissions": []})),
        ),
        op(
            M::PUT,
            "/v1/roles/{name}",
            "/v1/roles/desk-2",
            Some(json!({"permissions": ["view-user-administration"]})),
        ),
        op(M::DELETE, "/v1/roles/{name}", "/v1/roles/desk-2", None),
        op(
            M::POST,
            "/v1/keys",
            "/v1/keys",
            Some(json!({"name": "k", "scopes": ["read"]})),
        ),
        op(
            M::PATCH,
            "/v1/settings",
            "/v1/settings",
            Some(json!({"scim_delete": "erase"})),
        ),
        op(
            M::POST,
            "/v1/keys/{id}/rotate",
            format!("/v1/keys/{}/rotate", f.key),
            None,
        ),
        op(
            M::DELETE,
            "/v1/keys/{id}",
            format!("/v1/keys/{}", f.key),
            None,
        ),
        op(
            M::POST,
            "/v1/webhooks",
            "/v1/webhooks",
            Some(json!({"url": "https://hooks.example.com/two"})),
        ),
        op(
            M::PATCH,
            "/v1/webhooks/{id}",
            format!("/v1/webhooks/{}", f.hook),
            Some(json!({"description": "billing"})),
        ),
        op(
            M::POST,
            "/v1/webhooks/{id}/deliveries/{delivery_id}/resend",
            format!("/v1/webhooks/{}/deliveries/{}/resend", f.hook, f.delivery),
            None,
        ),
        op(
            M::POST,
            "/v1/webhooks/{id}/replay",
            format!("/v1/webhooks/{}/replay", f.hook),
            Some(json!({})),
        ),
        op(
            M::POST,
            "/v1/webhooks/{id}/pause",
            format!("/v1/webhooks/{}/pause", f.hook),
            None,
        ),
        op(
            M::POST,
            "/v1/webhooks/{id}/resume",
            format!("/v1/webhooks/{}/resume", f.hook),
            None,
        ),
        op(
            M::DELETE,
            "/v1/webhooks/{id}",
            format!("/v1/webhooks/{}", f.hook),
            None,
        ),
        op(
            M::POST,
            "/v1/scheduled-changes",
            "/v1/scheduled-changes",
            Some(json!({"user_id": ada, "action": "deactivate", "at": "2099-01-01T00:00:00Z"})),
        ),
        op(
            M::DELETE,
            "/v1/scheduled-changes/{id}",
            format!("/v1/scheduled-changes/{}", f.change),
            None,
        ),
        op(
            M::POST,
            "/networks/{network_id}/user_status",
            "/networks/acme/user_status",
            Some(json!({"user": "bob@example.com", "status_change": "ban"})),
        ),
        op(
            M::PATCH,
            "/networks/{network_id}/users/{user_email}",
            "/networks/acme/users/ada@example.com",
            Some(json!({"first_name": "Adah"})),
        ),
        op(
            M::POST,
            "/integration-api/v1/dashboard/users",
            "/integration-api/v1/dashboard/users",
            Some(json!({"email": "pl@example.com", "external_id": "pl-1"})),
        ),
        op(
            M::PUT,
            "/integration-api/v1/dashboard/users/{user}",
            format!("/integration-api/v1/dashboard/users/{}", f.publica),
            Some(
                json!({"email": "pub@example.com", "external_id": "pl-0", "only_sees_readable": 0}),
            ),
        ),
        op(
            M::POST,
            "/integration-api/v1/dashboard/users/{user}/force-logout",
            format!(
                "/integration-api/v1/dashboard/users/{}/force-logout",
                f.publica
            ),
            None,
        ),
        op(
            M::POST,
            "/integration-api/v1/users/{user}/force-logout",
            "/integration-api/v1/users/pl-0/force-logout",
            None,
        ),
        op(
            M::DELETE,
            "/integration-api/v1/dashboard/users/{user}",
            format!("/integration-api/v1/dashboard/users/{}", f.publica),
            None,
        ),
        op(
            M::PUT,
            "/integration-api/v1/dashboard/users/{user}/re-activate",
            format!(
                "/integration-api/v1/dashboard/users/{}/re-activate",
                f.publica
            ),
            None,
        ),
        op(
            M::POST,
            "/reg/api2/users",
            "/reg/api2/users/",
            Some(
                json!({"action": "create", "group_id": f.group, "doc": {"email": "rp@example.com"}}),
            ),
        ),
        op(
            M::POST,
            "/v1/users/{id}/deactivate",
            format!("/v1/users/{ada}/deactivate"),
            Some(json!({"relinquish": true})),
        ),
        op(
            M::POST,
            "/reg/api2/statuses",
            "/reg/api2/statuses/",
            Some(
                json!({"action": "create", "doc": {"status_name": "Paid", "color": "#00AA00", "is_excluded": false}}),
            ),
        ),
        op(
            M::POST,
            "/scim/v2/Users",
            "/scim/v2/Users",
            Some(json!({"userName": "scim.new"})),
        ),
        op(
            M::PUT,
            "/scim/v2/Users/{id}",
            format!("/scim/v2/Users/{ada}"),
            Some(json!({"userName": "ada", "emails": [{"value": "ada@example.com"}]})),
        ),
        op(
            M::PATCH,
            "/scim/v2/Users/{id}",
            format!("/scim/v2/Users/{ada}"),
            Some(
                json!({"Operations": [{"op": "replace", "path": "name.familyName", "value": "S"}]}),
            ),
        ),
        op(
            M::DELETE,
            "/scim/v2/Users/{id}",
            format!("/scim/v2/Users/{}", f.fay),
            None,
        ),
        op(
            M::POST,
            "/scim/v2/Groups",
            "/scim/v2/Groups",
            Some(json!({"displayName": "SCIM team"})),
        ),
        op(
            M::PATCH,
            "/scim/v2/Groups/{id}",
            format!("/scim/v2/Groups/{}", f.group),
            Some(
                json!({"Operations": [{"op": "add", "path": "members", "value": [{"value": ada}]}]}),
            ),
        ),
        op(
            M::PUT,
            "/scim/v2/Groups/{id}",
            format!("/scim/v2/Groups/{}", f.group),
            Some(json!({"displayName": "Renamed"})),
        ),
        op(
            M::DELETE,
            "/scim/v2/Groups/{id}",
            format!("/scim/v2/Groups/{}", f.group),
            None,
        ),
    ]
}

/// The permission matrix: every write operation of every API that takes an API key, from the
/// contract, is refused to a read-only key in that API's envelope with nothing changed, and
/// done by a key with the scope.
async fn every_write_operation_needs_its_scope(b: Backend) {
    let app = TestApp::spawn(b).await;
    let f = fixture(&app).await;
    let ops = every_write(&f);
    // The matrix covers every write operation the contract lists for a key-holding caller.
    let doc: Value = serde_json::from_str(include_str!("../../docs/openapi.json")).unwrap();
    let mut missing = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let keyed = operation["security"]
                .as_array()
                .is_some_and(|s| s.iter().all(|r| r.get("operator").is_none()));
            // A signed-in user acts on themselves (their session, not a key).
            let own = operation["security"]
                .as_array()
                .is_some_and(|s| s.iter().all(|r| r.get("session").is_some()));
            let person = path.starts_with("/api/");
            // SCIM's searches read by POST; its Bulk answers each operation's 403 inside a 200.
            let not_a_write = path.ends_with("/.search") || path.ends_with("/Bulk");
            if ["get", "head"].contains(&method.as_str()) || !keyed || own || person || not_a_write
            {
                continue;
            }
            let m = method.to_uppercase();
            if !ops
                .iter()
                .any(|o| o.method.as_str() == m && o.template == path)
            {
                missing.push(format!("{m} {path}"));
            }
        }
    }
    assert!(missing.is_empty(), "not in the matrix: {missing:?}");

    let read = key(&app, "dashboard", &["read"]).await;
    let full = key(&app, "ops", &["full"]).await;
    let users_before = app.get("/v1/users?limit=200").await.body;
    for o in &ops {
        let r = send(&app, &read, o.method.clone(), &o.path, o.body.clone()).await;
        assert_eq!(r.status, 403, "{} {}: {:?}", o.method, o.path, r.body);
    }
    assert_eq!(app.get("/v1/users?limit=200").await.body, users_before);
    assert_eq!(events_by(&app, "dashboard").await, Vec::<Value>::new());
    for o in &ops {
        let r = send(&app, &full, o.method.clone(), &o.path, o.body.clone()).await;
        assert!(
            r.status < 300,
            "{} {}: {} {:?}",
            o.method,
            o.path,
            r.status,
            r.body
        );
    }
}
