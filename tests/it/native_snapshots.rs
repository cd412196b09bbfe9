//! The native API's wire, snapshotted: status, the headers a client relies on, and the body of
//! its main answers. Ids, timestamps, tokens and referral codes are redacted; each distinct id
//! keeps its own label, so a snapshot still shows which answers name the same thing. Both
//! backends must match the same snapshots.

use crate::backend_tests;
use crate::support::{eventually, read, Backend, Reply, TestApp, OPERATOR_TOKEN};
use reqwest::Method;
use serde_json::{json, Map, Value};
use std::collections::HashMap;

backend_tests!(
    users_on_the_wire,
    actions_on_the_wire,
    events_on_the_wire,
    sessions_on_the_wire,
    groups_and_rooms_on_the_wire,
    operator_and_catalogue_on_the_wire,
);

/// The headers a client of the native API reads.
const HEADERS: [&str; 6] = [
    "content-type",
    "etag",
    "location",
    "idempotent-replayed",
    "www-authenticate",
    "retry-after",
];

/// Turns answers into snapshots, labelling each id the first time it is seen.
#[derive(Default)]
struct Wire {
    ids: HashMap<String, usize>,
}

impl Wire {
    fn of(&mut self, r: &Reply) -> Value {
        let headers: Map<String, Value> = HEADERS
            .iter()
            .filter_map(|h| Some(((*h).to_owned(), json!(r.header(h)?))))
            .collect();
        let mut body = self.redact(r.body.clone());
        // Cursors are opaque, and the feed's differ between backends.
        if let Some(c) = body.get_mut("next_cursor").filter(|c| c.is_string()) {
            *c = json!("[cursor]");
        }
        json!({"status": r.status, "headers": headers, "body": body})
    }

    fn redact(&mut self, v: Value) -> Value {
        match v {
            Value::String(s) => Value::String(self.text(&s)),
            Value::Array(items) => items.into_iter().map(|i| self.redact(i)).collect(),
            Value::Object(members) => members
                .into_iter()
                .map(|(k, v)| {
                    let v = self.redact(v);
                    (k, v)
                })
                .collect(),
            other => other,
        }
    }

    fn text(&mut self, s: &str) -> String {
        if chrono::DateTime::parse_from_rfc3339(s).is_ok() {
            return "[timestamp]".to_owned();
        }
        for prefix in ["rss_", "rst_", "rsi_"] {
            if s.starts_with(prefix) && s.len() > 20 {
                return format!("[{prefix}token]");
            }
        }
        // Every UUID inside the text (ids, `api_key:<id>` actors, request ids).
        let mut out = String::new();
        let mut rest = s;
        while let Some((at, id)) = find_uuid(rest) {
            out.push_str(&rest[..at]);
            let next = self.ids.len() + 1;
            let n = *self.ids.entry(id.to_owned()).or_insert(next);
            out.push_str(&format!("[id-{n}]"));
            rest = &rest[at + 36..];
        }
        out.push_str(rest);
        out
    }
}

fn find_uuid(s: &str) -> Option<(usize, &str)> {
    (0..s.len().saturating_sub(35))
        .filter(|&i| s.is_char_boundary(i) && s.is_char_boundary(i + 36))
        .map(|i| (i, &s[i..i + 36]))
        .find(|(_, c)| uuid::Uuid::try_parse(c).is_ok() && c.as_bytes()[8] == b'-')
}

/// Snapshots an answer as `name`; referral codes and key prefixes are random.
macro_rules! snap {
    ($wire:expr, $name:literal, $reply:expr) => {
        insta::assert_json_snapshot!($name, $wire.of(&$reply), {
            ".**.referral_code" => "[referral_code]",
            ".**.prefix" => "[key prefix]",
        })
    };
}

/// Sends a request with the tenant's key and extra headers.
async fn send(
    app: &TestApp,
    method: Method,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<Value>,
) -> Reply {
    let mut req = app
        .http
        .request(method, app.url(path))
        .bearer_auth(&app.key);
    for (name, value) in headers {
        req = req.header(*name, *value);
    }
    if let Some(b) = body {
        req = req.json(&b);
    }
    read(req.send().await.expect("request sent")).await
}

fn id_of(r: &Reply) -> String {
    r.body["id"].as_str().expect("an id").to_owned()
}

async fn users_on_the_wire(b: Backend) {
    let app = TestApp::spawn(b).await;
    let mut wire = Wire::default();
    app.post("/v1/groups", json!({"key": "engineering"})).await;
    let ada = json!({
        "email": "ada@example.com",
        "username": "ada.lovelace",
        "external_id": "crm-8812",
        "first_name": "Ada",
        "last_name": "Lovelace",
        "phone_number": "+1 415 555 0142",
        "roles": ["admin"],
        "groups": ["engineering"],
        "reason": "joined"
    });
    let key = [("Idempotency-Key", "signup-ada")];
    let created = send(&app, Method::POST, "/v1/users", &key, Some(ada.clone())).await;
    snap!(wire, "create_user", created);
    let replayed = send(&app, Method::POST, "/v1/users", &key, Some(ada)).await;
    snap!(wire, "create_user_replayed", replayed);
    let id = id_of(&created);
    snap!(wire, "get_user", app.get(&format!("/v1/users/{id}")).await);
    let patched = send(
        &app,
        Method::PATCH,
        &format!("/v1/users/{id}"),
        &[("If-Match", "\"v1\"")],
        Some(json!({"first_name": "Augusta Ada", "phone_number": null})),
    )
    .await;
    snap!(wire, "patch_user", patched);
    let stale = send(
        &app,
        Method::PATCH,
        &format!("/v1/users/{id}"),
        &[("If-Match", "\"v1\"")],
        Some(json!({"first_name": "Ada"})),
    )
    .await;
    snap!(wire, "patch_user_stale", stale);

    for email in ["bob@example.com", "cy@example.com"] {
        app.create_user(json!({"email": email, "status": "active"}))
            .await;
    }
    let first = app.get("/v1/users?limit=2").await;
    snap!(wire, "list_users_page", first);
    let cursor = first.body["next_cursor"].as_str().unwrap();
    snap!(
        wire,
        "list_users_last_page",
        app.get(&format!("/v1/users?limit=2&cursor={cursor}")).await
    );
    snap!(
        wire,
        "list_users_filtered",
        app.get("/v1/users?status=active&q=bob").await
    );

    let invalid = app
        .post(
            "/v1/users",
            json!({"email": "not-an-email", "password": "short", "roles": ["admin", "cook"]}),
        )
        .await;
    snap!(wire, "create_user_invalid", invalid);
    snap!(
        wire,
        "create_user_taken",
        app.post("/v1/users", json!({"email": "BOB@example.com"}))
            .await
    );
    snap!(
        wire,
        "create_user_unknown_field",
        app.post("/v1/users", json!({"email": "d@example.com", "nick": "d"}))
            .await
    );
    let malformed = app
        .http
        .post(app.url("/v1/users"))
        .bearer_auth(&app.key)
        .header("content-type", "application/json")
        .body("{\"email\": ")
        .send()
        .await
        .unwrap();
    snap!(wire, "create_user_malformed", read(malformed).await);
    snap!(
        wire,
        "get_user_unknown",
        app.get("/v1/users/0190f5a0-1b2c-7d3e-8f40-5a6b7c8d9e0f")
            .await
    );
    snap!(
        wire,
        "list_users_bad_cursor",
        app.get("/v1/users?cursor=nope").await
    );
    snap!(
        wire,
        "list_users_unauthenticated",
        app.call_as(None, Method::GET, "/v1/users", None).await
    );
}

async fn actions_on_the_wire(b: Backend) {
    let app = TestApp::spawn(b).await;
    let mut wire = Wire::default();
    let user = app
        .create_user(
            json!({"email": "eve@example.com", "status": "active", "password": "open sesame"}),
        )
        .await;
    let id = user["id"].as_str().unwrap().to_owned();
    let act = |action: &str, body: Value| {
        let path = format!("/v1/users/{id}/{action}");
        let app = &app;
        async move { app.post(&path, body).await }
    };
    app.post(
        "/v1/sessions",
        json!({"email": "eve@example.com", "password": "open sesame"}),
    )
    .await;
    snap!(
        wire,
        "logout",
        act("logout", json!({"reason": "lost laptop"})).await
    );
    snap!(
        wire,
        "ban",
        act(
            "ban",
            json!({"reason": "chargeback fraud", "reference_id": "TICKET-4821"})
        )
        .await
    );
    snap!(wire, "ban_again", act("ban", json!({})).await);
    snap!(wire, "activate_banned", act("activate", json!({})).await);
    snap!(
        wire,
        "ban_with_relinquish",
        act("ban", json!({"relinquish": true})).await
    );
    let unban = app
        .http
        .post(app.url(&format!("/v1/users/{id}/unban")))
        .bearer_auth(&app.key)
        .send()
        .await
        .unwrap();
    snap!(wire, "unban_without_body", read(unban).await);
    snap!(wire, "deactivate", act("deactivate", json!({})).await);
    snap!(wire, "reactivate", act("reactivate", json!({})).await);

    let invited = app
        .create_user(json!({"email": "ivy@example.com", "send_invite": true}))
        .await;
    let ivy = invited["id"].as_str().unwrap();
    snap!(
        wire,
        "invite",
        app.post(&format!("/v1/users/{ivy}/invite"), json!({}))
            .await
    );
    snap!(
        wire,
        "activate",
        app.post(&format!("/v1/users/{ivy}/activate"), json!({}))
            .await
    );
    snap!(
        wire,
        "revoke_invite_active",
        app.post(&format!("/v1/users/{ivy}/revoke-invite"), json!({}))
            .await
    );

    // Eve alone owns a room that Ivy is in, and another that nobody else is in.
    for (name, members) in [
        ("handed", vec![(&id, "owner"), (&ivy.to_owned(), "member")]),
        ("lonely", vec![(&id, "owner")]),
    ] {
        let room = app.post("/v1/rooms", json!({"name": name})).await;
        let room = id_of(&room);
        for (user, role) in members {
            app.post(
                &format!("/v1/rooms/{room}/members"),
                json!({"user_id": user, "role": role}),
            )
            .await;
        }
    }
    snap!(
        wire,
        "deactivate_last_owner",
        act("deactivate", json!({})).await
    );
    let dry = app
        .post(
            &format!("/v1/users/{id}/deactivate?dry_run=true"),
            json!({"relinquish": true}),
        )
        .await;
    snap!(wire, "deactivate_dry_run", dry);
    snap!(
        wire,
        "ban_dry_run",
        app.post(&format!("/v1/users/{id}/ban?dry_run=true"), json!({}))
            .await
    );
    snap!(
        wire,
        "deactivate_relinquish",
        act(
            "deactivate",
            json!({"relinquish": true, "occurred_at": "2026-11-20T17:00:00Z"})
        )
        .await
    );
    let revoked = app.create_user(json!({"email": "rex@example.com"})).await;
    let rex = revoked["id"].as_str().unwrap();
    snap!(
        wire,
        "revoke_invite",
        app.post(&format!("/v1/users/{rex}/revoke-invite"), json!({}))
            .await
    );
    snap!(
        wire,
        "recreate_revoked",
        app.post("/v1/users", json!({"email": "rex@example.com"}))
            .await
    );

    snap!(wire, "unknown_action", act("frobnicate", json!({})).await);
    snap!(
        wire,
        "action_of_unknown_user",
        app.post(
            "/v1/users/0190f5a0-1b2c-7d3e-8f40-5a6b7c8d9e0f/ban",
            json!({})
        )
        .await
    );
    snap!(
        wire,
        "action_wrong_method",
        app.get(&format!("/v1/users/{id}/ban")).await
    );
}

async fn events_on_the_wire(b: Backend) {
    let app = TestApp::spawn(b).await;
    let mut wire = Wire::default();
    let user = app
        .create_user(json!({"email": "eve@example.com", "reason": "signed up", "metadata": {"plan": "gold"}}))
        .await;
    let id = user["id"].as_str().unwrap().to_owned();
    app.post(&format!("/v1/users/{id}/activate"), json!({}))
        .await;
    app.post(
        &format!("/v1/users/{id}/ban"),
        json!({"reason": "chargeback fraud", "reference_id": "TICKET-4821",
               "occurred_at": "2026-11-20T14:03:00Z"}),
    )
    .await;
    let first = app.get(&format!("/v1/users/{id}/events?limit=2")).await;
    snap!(wire, "user_events_page", first);
    let cursor = first.body["next_cursor"].as_str().unwrap();
    snap!(
        wire,
        "user_events_last_page",
        app.get(&format!("/v1/users/{id}/events?cursor={cursor}"))
            .await
    );
    let feed = eventually(|| async {
        let r = app.get("/v1/events").await;
        (r.body["data"].as_array().unwrap().len() == 3).then_some(r)
    })
    .await;
    snap!(wire, "event_feed", feed);
    let cursor = feed.body["next_cursor"].as_str().unwrap();
    snap!(
        wire,
        "event_feed_caught_up",
        app.get(&format!("/v1/events?after={cursor}")).await
    );
    snap!(
        wire,
        "event_feed_bad_cursor",
        app.get("/v1/events?after=nope").await
    );
}

async fn sessions_on_the_wire(b: Backend) {
    let app = TestApp::spawn(b).await;
    let mut wire = Wire::default();
    let user = app
        .create_user(json!({"email": "lin@example.com", "username": "lin", "status": "active", "password": "open sesame"}))
        .await;
    let id = user["id"].as_str().unwrap().to_owned();
    let login = app
        .post(
            "/v1/sessions",
            json!({"username": "LIN", "password": "open sesame"}),
        )
        .await;
    snap!(wire, "login", login);
    let token = login.body["token"].as_str().unwrap();
    snap!(
        wire,
        "current_session",
        app.call_as(Some(token), Method::GET, "/v1/sessions/current", None)
            .await
    );
    snap!(
        wire,
        "user_sessions",
        app.get(&format!("/v1/users/{id}/sessions")).await
    );
    snap!(
        wire,
        "login_failed",
        app.post(
            "/v1/sessions",
            json!({"email": "lin@example.com", "password": "wrong"})
        )
        .await
    );
    snap!(
        wire,
        "login_both_names",
        app.post(
            "/v1/sessions",
            json!({"email": "lin@example.com", "username": "lin", "password": "x"})
        )
        .await
    );
    snap!(
        wire,
        "revoke_sessions",
        app.call(Method::DELETE, &format!("/v1/users/{id}/sessions"), None)
            .await
    );
    snap!(
        wire,
        "current_session_revoked",
        app.call_as(Some(token), Method::GET, "/v1/sessions/current", None)
            .await
    );
}

async fn groups_and_rooms_on_the_wire(b: Backend) {
    let app = TestApp::spawn(b).await;
    let mut wire = Wire::default();
    let user = app.create_user(json!({"email": "gus@example.com"})).await;
    let uid = user["id"].as_str().unwrap().to_owned();

    let group = send(
        &app,
        Method::POST,
        "/v1/groups",
        &[("Idempotency-Key", "group-1")],
        Some(json!({"key": "engineering", "name": "Engineering"})),
    )
    .await;
    snap!(wire, "create_group", group);
    let gid = group.body["id"].as_i64().unwrap();
    let members = format!("/v1/groups/{gid}/members");
    snap!(
        wire,
        "add_group_member",
        app.post(&members, json!({"user_id": uid})).await
    );
    snap!(
        wire,
        "add_group_member_again",
        app.post(&members, json!({"user_id": uid})).await
    );
    snap!(
        wire,
        "get_group",
        app.get(&format!("/v1/groups/{gid}")).await
    );
    snap!(wire, "list_groups", app.get("/v1/groups").await);
    snap!(
        wire,
        "create_group_taken",
        app.post("/v1/groups", json!({"key": "engineering"})).await
    );
    snap!(
        wire,
        "remove_group_member",
        app.call(Method::DELETE, &format!("{members}/{uid}"), None)
            .await
    );
    snap!(
        wire,
        "remove_group_member_again",
        app.call(Method::DELETE, &format!("{members}/{uid}"), None)
            .await
    );
    snap!(wire, "get_group_unknown", app.get("/v1/groups/nope").await);

    let room = app
        .post("/v1/rooms", json!({"name": "general", "type": "private"}))
        .await;
    snap!(wire, "create_room", room);
    let rid = id_of(&room);
    let members = format!("/v1/rooms/{rid}/members");
    snap!(
        wire,
        "add_room_member",
        app.post(&members, json!({"user_id": uid})).await
    );
    snap!(
        wire,
        "add_room_member_again",
        app.post(&members, json!({"user_id": uid})).await
    );
    snap!(
        wire,
        "set_room_member",
        app.call(
            Method::PUT,
            &format!("{members}/{uid}"),
            Some(json!({"role": "owner"}))
        )
        .await
    );
    snap!(
        wire,
        "set_room_member_bad_role",
        app.call(
            Method::PUT,
            &format!("{members}/{uid}"),
            Some(json!({"role": "king"}))
        )
        .await
    );
    snap!(wire, "get_room", app.get(&format!("/v1/rooms/{rid}")).await);
    snap!(wire, "list_rooms", app.get("/v1/rooms").await);
    snap!(
        wire,
        "remove_room_member",
        app.call(Method::DELETE, &format!("{members}/{uid}"), None)
            .await
    );
}

async fn operator_and_catalogue_on_the_wire(b: Backend) {
    let app = TestApp::spawn(b).await;
    let mut wire = Wire::default();
    let operator = |method: Method, path: &str, body: Option<Value>| {
        let app = &app;
        let path = path.to_owned();
        async move { app.call_as(Some(OPERATOR_TOKEN), method, &path, body).await }
    };
    let tenant = operator(
        Method::POST,
        "/v1/tenants",
        Some(json!({"slug": "globex", "name": "Globex Inc"})),
    )
    .await;
    snap!(wire, "create_tenant", tenant);
    let tid = id_of(&tenant);
    let key = operator(Method::POST, &format!("/v1/tenants/{tid}/api-keys"), None).await;
    snap!(wire, "create_api_key", key);
    let kid = id_of(&key);
    snap!(
        wire,
        "revoke_api_key",
        operator(Method::DELETE, &format!("/v1/api-keys/{kid}"), None).await
    );
    let tenants = operator(Method::GET, "/v1/tenants", None).await;
    // The test tenant's number depends on the backend's sequence; the list shape does not.
    snap!(wire, "list_tenants", tenants);
    snap!(
        wire,
        "list_tenants_with_an_api_key",
        app.get("/v1/tenants").await
    );

    snap!(
        wire,
        "create_plan",
        app.post("/v1/plans", json!({"name": "Premium annual"}))
            .await
    );
    snap!(wire, "list_plans", app.get("/v1/plans").await);
    snap!(
        wire,
        "create_product",
        app.post(
            "/v1/products",
            json!({"name": "Summer camp, week 1", "price": "450.5"})
        )
        .await
    );
    snap!(wire, "list_products", app.get("/v1/products").await);

    let user = app
        .create_user(json!({"email": "ivy@example.com", "send_invite": true}))
        .await;
    let uid = user["id"].as_str().unwrap();
    snap!(
        wire,
        "list_emails",
        app.get(&format!("/v1/emails?user={uid}")).await
    );
    snap!(
        wire,
        "list_emails_without_user",
        app.get("/v1/emails").await
    );
    snap!(wire, "healthz", app.get("/healthz").await);
    snap!(wire, "readyz", app.get("/readyz").await);
    snap!(wire, "unknown_route", app.get("/v1/nothing").await);
}
