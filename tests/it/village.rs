//! The Village dialect: `user_status` and Patch User.

use crate::backend_tests;
use crate::snapshot::Transcript;
use crate::support::{Backend, Reply, TestApp, TestDb};
use futures::future::join_all;
use reqwest::Method;
use serde_json::{json, Value};

backend_tests!(
    create_user_invites_with_segments_referrer_and_metadata,
    later_creates_ignore_first_create_fields,
    a_bad_segment_or_referrer_creates_nothing,
    revoke_invite_and_ban_follow_the_rules,
    ban_ends_a_live_session_at_once,
    bad_requests_name_the_field,
    network_and_tenant_base_url_are_checked,
    concurrent_creates_make_one_user,
    patch_user_edits_the_profile,
    patch_user_refuses_other_fields,
    user_status_answers_are_the_snapshot,
    patch_user_answers_are_the_snapshot,
    unavailable_answers_are_the_snapshot,
);

async fn status(app: &TestApp, body: Value) -> Reply {
    app.post("/networks/acme/user_status", body).await
}

async fn create_user_invites_with_segments_referrer_and_metadata(b: Backend) {
    let app = TestApp::spawn(b).await;
    app.post("/v1/groups", json!({"key": "seg-a"})).await;
    app.post("/v1/groups", json!({"key": "seg-b"})).await;
    let referrer = app
        .create_user(json!({"email": "ref@example.com", "status": "active"}))
        .await;
    let r = status(
        &app,
        json!({"user": "New@Example.com", "status_change": "create_user", "send_email": true,
               "referrer": referrer["referral_code"], "segment_adds": ["seg-a", "seg-b"],
               "metadata": {"reference_id": "crm-7", "status_change_timestamp": 1700000000, "description": "signed up"}}),
    )
    .await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    assert_eq!(r.body["created"], true);
    assert_eq!(r.body["ignored_fields"], json!([]));
    let u = &r.body["user"];
    assert_eq!(u["status"], "invited");
    assert_eq!(u["email"], "New@Example.com");
    assert_eq!(u["segments"], json!(["seg-a", "seg-b"]));
    assert_eq!(u["referred_by"], referrer["id"]);
    assert_eq!(
        u["referral_code"].as_str().unwrap().len(),
        10,
        "every user gets a code"
    );
    let events = app
        .get(&format!("/v1/users/{}/events", u["id"].as_str().unwrap()))
        .await;
    let created = &events.body["data"][0];
    assert_eq!(created["action"], "created");
    assert_eq!(created["occurred_at"], "2023-11-14T22:13:20Z");
    assert_eq!(created["reference_id"], "crm-7");
    assert_eq!(created["description"], "signed up");
    assert_eq!(created["details"]["metadata"]["reference_id"], "crm-7");
    assert!(
        created["details"]["invite_email"].is_string(),
        "the invite email is queued with the change"
    );
    // The same call under the tenant base URL, by the tenant's id, works too.
    let r = app
        .post(
            &format!("/t/acme/networks/{}/user_status", app.tenant_number().await),
            json!({"user": "other@example.com", "status_change": "create_user"}),
        )
        .await;
    assert_eq!(r.status, 201, "{:?}", r.body);
}

async fn later_creates_ignore_first_create_fields(b: Backend) {
    let app = TestApp::spawn(b).await;
    app.post("/v1/groups", json!({"key": "first"})).await;
    app.post("/v1/groups", json!({"key": "second"})).await;
    status(&app, json!({"user": "twice@example.com", "status_change": "create_user", "segment_adds": ["first"]})).await;
    let again = status(
        &app,
        json!({"user": "TWICE@example.com", "status_change": "create_user", "segment_adds": ["second", "nope"],
               "referrer": "NOSUCHCODE", "metadata": {"status_change_timestamp": 5}, "send_email": true}),
    )
    .await;
    assert_eq!(again.status, 201, "{:?}", again.body);
    assert_eq!(again.body["created"], false);
    assert_eq!(
        again.body["ignored_fields"],
        json!(["referrer", "segment_adds", "metadata", "send_email"])
    );
    assert_eq!(
        again.body["user"]["segments"],
        json!(["first"]),
        "the groups are as the first create made them"
    );
    let users = app.get("/v1/users").await;
    assert_eq!(users.body["data"].as_array().unwrap().len(), 1);

    // A revoked user is invited again; a banned one stays banned.
    status(
        &app,
        json!({"user": "twice@example.com", "status_change": "revoke_invite"}),
    )
    .await;
    let back = status(
        &app,
        json!({"user": "twice@example.com", "status_change": "create_user", "send_email": true}),
    )
    .await;
    assert_eq!(back.body["user"]["status"], "invited");
    assert_eq!(
        back.body["ignored_fields"],
        json!([]),
        "the invite email is sent on a re-invite"
    );
    status(
        &app,
        json!({"user": "twice@example.com", "status_change": "ban"}),
    )
    .await;
    let banned = status(
        &app,
        json!({"user": "twice@example.com", "status_change": "create_user"}),
    )
    .await;
    assert_eq!(banned.status, 201);
    assert_eq!(banned.body["user"]["status"], "banned");
}

async fn a_bad_segment_or_referrer_creates_nothing(b: Backend) {
    let app = TestApp::spawn(b).await;
    app.post("/v1/groups", json!({"key": "real"})).await;
    let r = status(&app, json!({"user": "s@example.com", "status_change": "create_user", "segment_adds": ["real", "ghost", "phantom"]})).await;
    assert_eq!(r.status, 400, "{:?}", r.body);
    assert_eq!(r.body["error"]["fields"][0]["field"], "segment_adds");
    assert!(r.body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("ghost, phantom"));
    let r = status(
        &app,
        json!({"user": "s@example.com", "status_change": "create_user", "referrer": "NOPE"}),
    )
    .await;
    assert_eq!(r.status, 400);
    assert_eq!(r.body["error"]["fields"][0]["field"], "referrer");
    for ts in [json!(-1), json!(1.5), json!("yesterday")] {
        let r = status(&app, json!({"user": "s@example.com", "status_change": "create_user", "metadata": {"status_change_timestamp": ts}})).await;
        assert_eq!(r.status, 400, "{ts}: {:?}", r.body);
        assert_eq!(
            r.body["error"]["fields"][0]["field"],
            "metadata.status_change_timestamp"
        );
    }
    assert_eq!(
        app.get("/v1/users").await.body["data"]
            .as_array()
            .unwrap()
            .len(),
        0,
        "nothing was created"
    );
    assert_eq!(
        app.get("/v1/events").await.body["data"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
}

async fn revoke_invite_and_ban_follow_the_rules(b: Backend) {
    let app = TestApp::spawn(b).await;
    status(
        &app,
        json!({"user": "inv@example.com", "status_change": "create_user"}),
    )
    .await;
    let r = status(&app, json!({"user": "inv@example.com", "status_change": "revoke_invite", "send_email": true, "metadata": {}})).await;
    assert_eq!(r.status, 201);
    assert_eq!(r.body["user"]["status"], "revoked");
    assert_eq!(r.body["ignored_fields"], json!(["send_email", "metadata"]));
    let again = status(
        &app,
        json!({"user": "inv@example.com", "status_change": "revoke_invite"}),
    )
    .await;
    assert_eq!(
        (again.status, again.body["user"]["status"].clone()),
        (201, json!("revoked"))
    );

    app.create_user(json!({"email": "joined@example.com", "status": "active"}))
        .await;
    let refused = status(
        &app,
        json!({"user": "joined@example.com", "status_change": "revoke_invite"}),
    )
    .await;
    assert_eq!(refused.status, 409);
    assert_eq!(refused.body["error"]["current_status"], "active");
    assert_eq!(
        status(
            &app,
            json!({"user": "ghost@example.com", "status_change": "revoke_invite"})
        )
        .await
        .status,
        404
    );
    assert_eq!(
        status(
            &app,
            json!({"user": "ghost@example.com", "status_change": "ban"})
        )
        .await
        .status,
        404
    );

    for _ in 0..2 {
        let r = status(
            &app,
            json!({"user": "joined@example.com", "status_change": "ban"}),
        )
        .await;
        assert_eq!(
            (r.status, r.body["user"]["status"].clone()),
            (201, json!("banned"))
        );
    }
    let refused = status(
        &app,
        json!({"user": "joined@example.com", "status_change": "revoke_invite"}),
    )
    .await;
    assert_eq!(refused.body["error"]["current_status"], "banned");
    let id = app.get("/v1/users?email=joined@example.com").await.body["data"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let events = app.get(&format!("/v1/users/{id}/events")).await;
    assert_eq!(
        events.body["data"].as_array().unwrap().len(),
        2,
        "created + one ban: the repeat changed nothing"
    );
}

async fn ban_ends_a_live_session_at_once(b: Backend) {
    let app = TestApp::spawn(b).await;
    app.create_user(
        json!({"email": "live@example.com", "status": "active", "password": "live and well"}),
    )
    .await;
    let login = app
        .post(
            "/v1/sessions",
            json!({"email": "live@example.com", "password": "live and well"}),
        )
        .await;
    let token = login.body["token"].as_str().unwrap().to_owned();
    assert_eq!(
        app.call_as(Some(&token), Method::GET, "/v1/sessions/current", None)
            .await
            .status,
        200
    );
    status(
        &app,
        json!({"user": "live@example.com", "status_change": "ban"}),
    )
    .await;
    assert_eq!(
        app.call_as(Some(&token), Method::GET, "/v1/sessions/current", None)
            .await
            .status,
        401
    );
}

async fn bad_requests_name_the_field(b: Backend) {
    let app = TestApp::spawn(b).await;
    let cases = [
        (
            json!({"user": "not-an-email", "status_change": "create_user"}),
            "user",
        ),
        (
            json!({"user": "a@example.com", "status_change": "promote"}),
            "status_change",
        ),
        (
            json!({"user": "a@example.com", "status_change": "create_user", "send_email": "yes"}),
            "send_email",
        ),
        (
            json!({"user": "a@example.com", "status_change": "create_user", "segment_adds": "vip"}),
            "segment_adds",
        ),
        (json!({"user": 7, "status_change": "create_user"}), "user"),
    ];
    for (body, field) in cases {
        let r = status(&app, body.clone()).await;
        assert_eq!(r.status, 400, "{body}: {:?}", r.body);
        assert_eq!(
            r.body["error"]["fields"][0]["field"], field,
            "{body}: {:?}",
            r.body
        );
        assert_eq!(r.body["error"]["code"], "bad_request");
    }
    let missing = status(&app, json!({"status_change": "create_user"})).await;
    assert_eq!(missing.status, 400);
    assert!(missing.body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("user"));
    let raw = app
        .http
        .post(app.url("/networks/acme/user_status"))
        .bearer_auth(&app.key)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    let raw = crate::support::read(raw).await;
    assert_eq!(raw.status, 400);
    assert_eq!(
        raw.body["error"]["code"], "bad_request",
        "malformed JSON answers in Village's envelope"
    );
    for (content_type, body, status, code) in [
        (
            "text/plain",
            "hello".to_owned(),
            415,
            "unsupported_media_type",
        ),
        (
            "application/json",
            format!("{{\"user\": \"{}\"}}", "a".repeat(70_000)),
            413,
            "payload_too_large",
        ),
    ] {
        let r = app
            .http
            .post(app.url("/networks/acme/user_status"))
            .bearer_auth(&app.key)
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .unwrap();
        let r = crate::support::read(r).await;
        assert_eq!(r.status, status, "{:?}", r.body);
        assert_eq!(r.body["error"]["code"], code);
    }
    let anonymous = app
        .call_as(
            None,
            Method::POST,
            "/networks/acme/user_status",
            Some(json!({"user": "a@example.com", "status_change": "create_user"})),
        )
        .await;
    assert_eq!(anonymous.status, 401);
    assert_eq!(anonymous.body["error"]["code"], "unauthorized");
    assert_eq!(
        app.get("/v1/users").await.body["data"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
}

async fn network_and_tenant_base_url_are_checked(b: Backend) {
    let app = TestApp::spawn(b).await;
    let (_, other_key) = app.other_tenant("rival").await;
    let body = json!({"user": "n@example.com", "status_change": "create_user"});
    // Another tenant's slug, with this tenant's key: not found, whether or not it exists.
    for path in [
        "/networks/rival/user_status",
        "/networks/nobody/user_status",
        "/t/rival/networks/acme/user_status",
        "/t/acme/networks/rival/user_status",
    ] {
        let r = app.post(path, body.clone()).await;
        assert_eq!(r.status, 404, "{path}: {:?}", r.body);
    }
    let mine = app
        .call_as(
            Some(&other_key),
            Method::POST,
            "/t/rival/networks/rival/user_status",
            Some(body.clone()),
        )
        .await;
    assert_eq!(mine.status, 201);
    // The rival's user is not this tenant's.
    let r = app
        .call(
            Method::PATCH,
            "/networks/acme/users/n@example.com",
            Some(json!({"first_name": "Eve"})),
        )
        .await;
    assert_eq!(r.status, 404);
    let r = app
        .post(
            "/networks/acme/user_status",
            json!({"user": "n@example.com", "status_change": "ban"}),
        )
        .await;
    assert_eq!(r.status, 404);
}

async fn concurrent_creates_make_one_user(b: Backend) {
    let app = TestApp::spawn(b).await;
    let replies = join_all((0..20).map(|_| {
        status(
            &app,
            json!({"user": "crowd@example.com", "status_change": "create_user"}),
        )
    }))
    .await;
    assert!(
        replies.iter().all(|r| r.status == 201),
        "{:?}",
        replies
            .iter()
            .map(|r| (r.status, r.body.clone()))
            .collect::<Vec<_>>()
    );
    assert_eq!(
        replies.iter().filter(|r| r.body["created"] == true).count(),
        1
    );
    let ids: std::collections::HashSet<_> = replies
        .iter()
        .map(|r| r.body["user"]["id"].clone())
        .collect();
    assert_eq!(ids.len(), 1);
    assert_eq!(
        app.get("/v1/users").await.body["data"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

async fn patch_user_edits_the_profile(b: Backend) {
    let app = TestApp::spawn(b).await;
    status(
        &app,
        json!({"user": "Pat@Example.com", "status_change": "create_user"}),
    )
    .await;
    let path = "/networks/acme/users/pat%40EXAMPLE.com";
    for name in ["Zoë", "O'Brien", "Jean-Luc", "李"] {
        let r = app
            .call(Method::PATCH, path, Some(json!({"first_name": name})))
            .await;
        assert_eq!(r.status, 200, "{name}: {:?}", r.body);
        assert_eq!(r.body["first_name"], name);
    }
    let r = app
        .call(
            Method::PATCH,
            path,
            Some(json!({"last_name": "Smith", "phone_number": "+1 555 555 5555"})),
        )
        .await;
    assert_eq!(r.body["phone_number"], "+15555555555");
    let same = app
        .call(
            Method::PATCH,
            path,
            Some(json!({"phone_number": "+15555555555"})),
        )
        .await;
    assert_eq!(
        same.body["updated_at"], r.body["updated_at"],
        "the same number in another spelling changes nothing"
    );
    let cleared = app
        .call(Method::PATCH, path, Some(json!({"phone_number": null})))
        .await;
    assert_eq!(cleared.body["phone_number"], Value::Null);
    for bad in [
        json!({"first_name": "R2D2"}),
        json!({"last_name": "a@b"}),
        json!({"first_name": "#1"}),
        json!({"first_name": "tab\there"}),
        json!({"phone_number": "555-5555"}),
        json!({"first_name": 5}),
    ] {
        let r = app.call(Method::PATCH, path, Some(bad.clone())).await;
        assert_eq!(r.status, 400, "{bad}: {:?}", r.body);
    }
    assert_eq!(
        app.call(
            Method::PATCH,
            "/networks/acme/users/nobody@example.com",
            Some(json!({"first_name": "Al"}))
        )
        .await
        .status,
        404
    );
    let id = r.body["id"].as_str().unwrap();
    let events = app.get(&format!("/v1/users/{id}/events?limit=200")).await;
    let last = events.body["data"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(last["action"], "profile_updated");
    assert_eq!(
        last["details"]["phone_number"],
        json!({"before": "+15555555555", "after": null})
    );
}

async fn patch_user_refuses_other_fields(b: Backend) {
    let app = TestApp::spawn(b).await;
    status(
        &app,
        json!({"user": "fixed@example.com", "status_change": "create_user"}),
    )
    .await;
    let path = "/networks/acme/users/fixed@example.com";
    for (field, hint) in [
        ("email", "PATCH /v1/users"),
        ("status", "user_status"),
        ("segment_adds", "groups"),
        ("referrer", "first create_user"),
        ("shoe_size", "first_name, last_name, phone_number"),
    ] {
        let r = app
            .call(
                Method::PATCH,
                path,
                Some(json!({"first_name": "Ann", field: "x"})),
            )
            .await;
        assert_eq!(r.status, 400, "{field}");
        let f = &r.body["error"]["fields"][0];
        assert_eq!(f["field"], field);
        assert!(
            f["message"].as_str().unwrap().contains(hint),
            "{field}: {f}"
        );
    }
    assert_eq!(
        app.call(Method::PATCH, path, Some(json!({}))).await.status,
        400
    );
    let user = app.get("/v1/users?email=fixed@example.com").await;
    assert_eq!(
        user.body["data"][0]["first_name"],
        Value::Null,
        "nothing was written"
    );
}

const STATUS: &str = "/networks/acme/user_status";

/// A Village call with this app's key and a JSON body.
fn village(app: &TestApp, method: Method, path: &str, body: Value) -> reqwest::RequestBuilder {
    app.http
        .request(method, app.url(path))
        .bearer_auth(&app.key)
        .json(&body)
}

/// A Village call with a raw body of this content type.
fn raw(
    app: &TestApp,
    path: &str,
    content_type: &str,
    body: impl Into<String>,
) -> reqwest::RequestBuilder {
    app.http
        .post(app.url(path))
        .bearer_auth(&app.key)
        .header("content-type", content_type)
        .body(body.into())
}

async fn user_status_answers_are_the_snapshot(b: Backend) {
    let app = TestApp::spawn(b).await;
    app.other_tenant("rival").await;
    app.post("/v1/groups", json!({"key": "new-hires"})).await;
    let referrer = app
        .create_user(json!({"email": "ref@example.com", "status": "active"}))
        .await;
    let mut t = Transcript::new(app.addr);
    let http = &app.http;
    let calls = [
        json!({"user": "Jane.Doe@example.com", "status_change": "create_user", "send_email": true,
               "referrer": referrer["referral_code"], "segment_adds": ["new-hires"],
               "metadata": {"reference_id": "crm-7", "status_change_timestamp": 1700000000,
                            "description": "signed up"}}),
        json!({"user": "jane.doe@example.com", "status_change": "create_user", "send_email": true,
               "referrer": "NOSUCHCODE", "segment_adds": ["nope"], "metadata": {}}),
        json!({"user": "jane.doe@example.com", "status_change": "revoke_invite", "send_email": true}),
        json!({"user": "jane.doe@example.com", "status_change": "revoke_invite"}),
        json!({"user": "jane.doe@example.com", "status_change": "create_user", "send_email": true}),
        json!({"user": "jane.doe@example.com", "status_change": "ban", "metadata": {}}),
        json!({"user": "jane.doe@example.com", "status_change": "revoke_invite"}),
        json!({"user": "ghost@example.com", "status_change": "ban"}),
        json!({"user": "new@example.com", "status_change": "promote"}),
        json!({"user": "not-an-email", "status_change": "create_user"}),
        json!({"status_change": "create_user"}),
        json!({"user": 7, "status_change": "create_user"}),
        json!({"user": "new@example.com", "status_change": "create_user", "surprise": 1}),
        json!({"user": "new@example.com", "status_change": "create_user", "send_email": "yes"}),
        json!({"user": "new@example.com", "status_change": "create_user",
               "segment_adds": ["new-hires", "ghost", "bad key!"]}),
        json!({"user": "new@example.com", "status_change": "create_user", "referrer": "NOPE"}),
        json!({"user": "new@example.com", "status_change": "create_user",
               "metadata": {"status_change_timestamp": -1, "description": "x".repeat(2000)}}),
        json!({"user": "new@example.com", "status_change": "create_user", "metadata": {"at": 1}}),
        json!([1, 2]),
    ];
    for body in calls {
        t.send(http, village(&app, Method::POST, STATUS, body))
            .await;
    }
    t.send(http, raw(&app, STATUS, "application/json", "{not json"))
        .await;
    t.send(http, raw(&app, STATUS, "application/json", ""))
        .await;
    t.send(http, raw(&app, STATUS, "text/plain", "hello")).await;
    let big = format!("{{\"user\": \"{}\"}}", "a".repeat(70_000));
    t.send(http, raw(&app, STATUS, "application/json", big))
        .await;
    let body = json!({"user": "new@example.com", "status_change": "create_user"});
    t.send(http, http.post(app.url(STATUS)).json(&body)).await;
    t.send(
        http,
        http.post(app.url(STATUS))
            .bearer_auth("rst_nope")
            .json(&body),
    )
    .await;
    for path in [
        "/networks/rival/user_status",
        "/networks/nobody/user_status",
        "/t/rival/networks/acme/user_status",
        "/t/acme/networks/acme/user_status",
    ] {
        t.send(http, village(&app, Method::POST, path, body.clone()))
            .await;
    }
    insta::assert_json_snapshot!("user_status", t.take());
}

async fn patch_user_answers_are_the_snapshot(b: Backend) {
    let app = TestApp::spawn(b).await;
    app.create_user(json!({"email": "pat@example.com"})).await;
    let mut t = Transcript::new(app.addr);
    let http = &app.http;
    let path = "/networks/acme/users/PAT%40example.com";
    for body in [
        json!({"first_name": "Zoë", "last_name": "Smith", "phone_number": "+1 555 555 5555"}),
        json!({"phone_number": null}),
        json!({"first_name": "Ann", "email": "x", "status": "x", "status_change": "x",
               "segment_adds": "x", "segments": "x", "referrer": "x", "shoe_size": "x"}),
        json!({"first_name": "R2D2", "last_name": "a@b", "phone_number": "555-5555"}),
        json!({"first_name": 5}),
        json!({}),
        json!([]),
    ] {
        t.send(http, village(&app, Method::PATCH, path, body)).await;
    }
    let name = json!({"first_name": "Al"});
    for path in [
        "/networks/acme/users/nobody@example.com",
        "/networks/acme/users/%FF",
        "/networks/%FF/users/pat@example.com",
        "/t/%FF/networks/acme/users/pat@example.com",
        "/networks/rival/users/pat@example.com",
        "/t/acme/networks/acme/users/pat@example.com",
    ] {
        t.send(http, village(&app, Method::PATCH, path, name.clone()))
            .await;
    }
    let unauthenticated = http.patch(app.url(path)).json(&name);
    t.send(http, unauthenticated).await;
    insta::assert_json_snapshot!("patch_user", t.take());
}

/// The database down: 503 with Retry-After, in Village's envelope.
async fn unavailable_answers_are_the_snapshot(b: Backend) {
    let db = TestDb::new(b).await;
    let store = db.store().await;
    let app = TestApp::spawn_with(db, store.clone()).await;
    store.close().await;
    let mut t = Transcript::new(app.addr);
    let body = json!({"user": "new@example.com", "status_change": "create_user"});
    t.send(&app.http, village(&app, Method::POST, STATUS, body))
        .await;
    let name = json!({"first_name": "Al"});
    let path = "/networks/acme/users/pat@example.com";
    t.send(&app.http, village(&app, Method::PATCH, path, name))
        .await;
    insta::assert_json_snapshot!("unavailable", t.take());
}
