//! The Rocket.Chat dialect and the room-ownership rule of deactivation.

use crate::backend_tests;
use crate::snapshot::Transcript;
use crate::support::{read, Backend, Reply, TestApp, TestDb};
use futures::future::join_all;
use reqwest::Method;
use serde_json::{json, Value};

backend_tests!(
    login_me_info_and_logout,
    every_login_failure_looks_the_same,
    a_login_body_beyond_the_limit_is_refused,
    set_active_status_checks_caller_and_params,
    usernames_log_in_and_look_up,
    me_has_rocket_chat_fields,
    logout_by_get_and_server_info,
    params_are_checked_before_permissions_and_strings_coerce,
    the_last_active_admin_stays,
    sole_owned_rooms_refuse_without_confirmation,
    confirmed_deactivation_hands_rooms_over,
    racing_co_owners_never_orphan_a_room,
    reactivation_gives_nothing_back,
    native_deactivate_uses_the_same_rule,
    session_answers_are_the_snapshot,
    users_info_answers_are_the_snapshot,
    set_active_status_answers_are_the_snapshot,
    unavailable_answers_are_the_snapshot,
);

/// A session: (user id, token).
struct Rc {
    id: String,
    token: String,
}

async fn login(app: &TestApp, user: &str, password: &str) -> Reply {
    app.call_as(
        None,
        Method::POST,
        "/t/acme/api/v1/login",
        Some(json!({"user": user, "password": password})),
    )
    .await
}

async fn session(app: &TestApp, email: &str) -> Rc {
    let r = login(app, email, "a long password").await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    Rc {
        id: r.body["data"]["userId"].as_str().unwrap().to_owned(),
        token: r.body["data"]["authToken"].as_str().unwrap().to_owned(),
    }
}

async fn rc(app: &TestApp, who: &Rc, method: Method, path: &str, body: Option<Value>) -> Reply {
    let mut req = app
        .http
        .request(method, app.url(path))
        .header("x-user-id", &who.id)
        .header("x-auth-token", &who.token);
    if let Some(b) = body {
        req = req.json(&b);
    }
    read(req.send().await.unwrap()).await
}

async fn set_active(app: &TestApp, admin: &Rc, user: &str, active: bool, confirm: bool) -> Reply {
    rc(
        app,
        admin,
        Method::POST,
        "/api/v1/users.setActiveStatus",
        Some(json!({"activeStatus": active, "userId": user, "confirmRelinquish": confirm})),
    )
    .await
}

/// An active user with a password; answers their id.
async fn person(app: &TestApp, email: &str, admin: bool) -> String {
    let roles = if admin { json!(["admin"]) } else { json!([]) };
    let u = app.create_user(json!({"email": email, "status": "active", "password": "a long password", "roles": roles})).await;
    u["id"].as_str().unwrap().to_owned()
}

/// A tenant `slug` with a user far@example.com, username `far.away`.
async fn far_away(app: &TestApp, slug: &str) {
    let (_, key) = app.other_tenant(slug).await;
    let r = app
        .call_as(
            Some(&key),
            Method::POST,
            "/v1/users",
            Some(json!({"email": "far@example.com", "username": "far.away"})),
        )
        .await;
    assert_eq!(r.status, 201, "{:?}", r.body);
}

/// A room with members `(user id, role)` joined in this order; answers its id.
async fn room(app: &TestApp, name: &str, kind: &str, members: &[(&str, &str)]) -> String {
    let r = app
        .post("/v1/rooms", json!({"name": name, "type": kind}))
        .await;
    let id = r.body["id"].as_str().unwrap().to_owned();
    for (user, role) in members {
        let m = app
            .post(
                &format!("/v1/rooms/{id}/members"),
                json!({"user_id": user, "role": role}),
            )
            .await;
        assert_eq!(m.status, 201, "{:?}", m.body);
    }
    id
}

async fn members(app: &TestApp, room: &str) -> Option<Vec<(String, String)>> {
    let r = app.get(&format!("/v1/rooms/{room}")).await;
    (r.status == 200).then(|| {
        r.body["members"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| {
                (
                    m["user_id"].as_str().unwrap().to_owned(),
                    m["role"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    })
}

async fn status_of(app: &TestApp, id: &str) -> String {
    app.get(&format!("/v1/users/{id}")).await.body["status"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn login_me_info_and_logout(b: Backend) {
    let app = TestApp::spawn(b).await;
    let id = person(&app, "ana@example.com", false).await;
    app.call(
        Method::PATCH,
        &format!("/v1/users/{id}"),
        Some(json!({"first_name": "Ana", "last_name": "Lima"})),
    )
    .await;
    let r = login(&app, "ana@example.com", "a long password").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["status"], "success");
    assert_eq!(r.body["data"]["userId"], id.as_str());
    assert_eq!(r.body["data"]["me"]["name"], "Ana Lima");
    for field in ["username", "email"] {
        let r = app
            .call_as(
                None,
                Method::POST,
                "/t/acme/api/v1/login",
                Some(json!({field: "ANA@example.com", "password": "a long password"})),
            )
            .await;
        assert_eq!(r.status, 200, "login by {field}");
    }
    let me = Rc {
        id: id.clone(),
        token: r.body["data"]["authToken"].as_str().unwrap().to_owned(),
    };
    let got = rc(&app, &me, Method::GET, "/api/v1/me", None).await;
    assert_eq!(
        (got.status, got.body["_id"].as_str()),
        (200, Some(id.as_str()))
    );
    let under_base = rc(&app, &me, Method::GET, "/t/acme/api/v1/me", None).await;
    assert_eq!(under_base.status, 200);
    let info = rc(
        &app,
        &me,
        Method::GET,
        &format!("/api/v1/users.info?userId={id}"),
        None,
    )
    .await;
    assert_eq!(info.body["user"]["emails"][0]["address"], "ana@example.com");
    assert_eq!(
        rc(
            &app,
            &me,
            Method::GET,
            "/api/v1/users.info?userId=00000000-0000-0000-0000-000000000000",
            None
        )
        .await
        .body["errorType"],
        "error-invalid-user"
    );
    // A token names its user: another X-User-Id, or another tenant's base URL, is not logged in.
    let forged = Rc {
        id: "00000000-0000-0000-0000-000000000000".into(),
        token: me.token.clone(),
    };
    assert_eq!(
        rc(&app, &forged, Method::GET, "/api/v1/me", None)
            .await
            .status,
        401
    );
    app.other_tenant("elsewhere").await;
    assert_eq!(
        rc(&app, &me, Method::GET, "/t/elsewhere/api/v1/me", None)
            .await
            .status,
        401
    );
    let out = rc(&app, &me, Method::POST, "/api/v1/logout", None).await;
    assert_eq!(out.body["status"], "success");
    let after = rc(&app, &me, Method::GET, "/api/v1/me", None).await;
    assert_eq!(after.status, 401);
    assert_eq!(after.body["message"], "You must be logged in to do this.");
}

async fn every_login_failure_looks_the_same(b: Backend) {
    let app = TestApp::spawn(b).await;
    person(&app, "ok@example.com", false).await;
    for (email, action) in [
        ("gone@example.com", "deactivate"),
        ("banned@example.com", "ban"),
    ] {
        let id = person(&app, email, false).await;
        app.post(&format!("/v1/users/{id}/{action}"), json!({}))
            .await;
    }
    let revoked = app
        .create_user(json!({"email": "revoked@example.com", "password": "a long password"}))
        .await;
    app.post(
        &format!(
            "/v1/users/{}/revoke-invite",
            revoked["id"].as_str().unwrap()
        ),
        json!({}),
    )
    .await;
    app.create_user(json!({"email": "invited@example.com"}))
        .await;
    let mut bodies = Vec::new();
    for (user, password) in [
        ("ok@example.com", "the wrong password"),
        ("nobody@example.com", "a long password"),
        ("gone@example.com", "a long password"),
        ("banned@example.com", "a long password"),
        ("revoked@example.com", "a long password"),
        ("invited@example.com", "a long password"),
    ] {
        let r = login(&app, user, password).await;
        assert_eq!(r.status, 401, "{user}");
        bodies.push(r.body);
    }
    assert!(bodies.windows(2).all(|w| w[0] == w[1]), "{bodies:?}");
    // At the root there is no tenant to log in to.
    let root = app
        .call_as(
            None,
            Method::POST,
            "/api/v1/login",
            Some(json!({"user": "ok@example.com", "password": "a long password"})),
        )
        .await;
    assert_eq!(root.status, 401);
}

/// A login reads its body within roster's limit, like every other call, and refuses a larger
/// one in Rocket.Chat's words.
async fn a_login_body_beyond_the_limit_is_refused(b: Backend) {
    let app = TestApp::spawn(b).await;
    person(&app, "ok@example.com", false).await;
    let r = login(&app, "ok@example.com", &"x".repeat(100 * 1024)).await;
    assert_eq!(r.status, 400, "{:?}", r.body);
    assert_eq!(r.body["success"], false);
    assert_eq!(r.body["errorType"], "invalid-params");
}

async fn set_active_status_checks_caller_and_params(b: Backend) {
    let app = TestApp::spawn(b).await;
    person(&app, "boss@example.com", true).await;
    let target = person(&app, "target@example.com", false).await;
    person(&app, "peer@example.com", false).await;
    let admin = session(&app, "boss@example.com").await;
    let peer = session(&app, "peer@example.com").await;
    let anonymous = app
        .call_as(
            None,
            Method::POST,
            "/api/v1/users.setActiveStatus",
            Some(json!({"activeStatus": false, "userId": target})),
        )
        .await;
    assert_eq!(anonymous.status, 401);
    let forbidden = set_active(&app, &peer, &target, false, false).await;
    assert_eq!(forbidden.status, 403);
    assert!(forbidden.body["error"]
        .as_str()
        .unwrap()
        .contains("[error-unauthorized]"));
    let cases = [
        (
            json!({"userId": target}),
            "must have required property 'activeStatus'",
        ),
        (
            json!({"activeStatus": "no", "userId": target}),
            "must be boolean",
        ),
        // Rocket.Chat's validator would read 0 and null as false; roster refuses them.
        (
            json!({"activeStatus": 0, "userId": target}),
            "must be boolean",
        ),
        (
            json!({"activeStatus": null, "userId": target}),
            "must be boolean",
        ),
        (
            json!({"activeStatus": false, "userId": target, "confirmRelinquish": "yes"}),
            "'confirmRelinquish' must be boolean",
        ),
        (
            json!({"activeStatus": false}),
            "must have required property 'userId'",
        ),
    ];
    for (body, text) in cases {
        let r = rc(
            &app,
            &admin,
            Method::POST,
            "/api/v1/users.setActiveStatus",
            Some(body.clone()),
        )
        .await;
        assert_eq!(r.status, 400, "{body}");
        assert_eq!(r.body["errorType"], "invalid-params");
        assert!(
            r.body["error"].as_str().unwrap().contains(text),
            "{body}: {:?}",
            r.body
        );
    }
    let unknown = set_active(
        &app,
        &admin,
        "00000000-0000-0000-0000-000000000000",
        false,
        false,
    )
    .await;
    assert_eq!(
        (unknown.status, unknown.body["errorType"].as_str()),
        (400, Some("error-invalid-user"))
    );
    let ok = set_active(&app, &admin, &target, false, false).await;
    assert_eq!(ok.status, 200);
    assert_eq!(
        ok.body,
        json!({"user": {"_id": target, "active": false}, "success": true})
    );
    assert_eq!(status_of(&app, &target).await, "deactivated");
}

async fn the_last_active_admin_stays(b: Backend) {
    let app = TestApp::spawn(b).await;
    let first = person(&app, "first@example.com", true).await;
    let second = person(&app, "second@example.com", true).await;
    let admin = session(&app, "first@example.com").await;
    assert_eq!(
        set_active(&app, &admin, &second, false, false).await.status,
        200
    );
    let last = set_active(&app, &admin, &first, false, false).await;
    assert_eq!(last.status, 400);
    assert_eq!(last.body["errorType"], "error-action-not-allowed");
    assert_eq!(status_of(&app, &first).await, "active");
}

async fn sole_owned_rooms_refuse_without_confirmation(b: Backend) {
    let app = TestApp::spawn(b).await;
    person(&app, "boss@example.com", true).await;
    let admin = session(&app, "boss@example.com").await;
    let owner = person(&app, "owner@example.com", false).await;
    let heir = person(&app, "heir@example.com", false).await;
    let handed = room(
        &app,
        "handed",
        "channel",
        &[(&owner, "owner"), (&heir, "member")],
    )
    .await;
    let lonely = room(&app, "lonely", "private", &[(&owner, "owner")]).await;
    let r = set_active(&app, &admin, &owner, false, false).await;
    assert_eq!(r.status, 400, "{:?}", r.body);
    assert_eq!(r.body["errorType"], "user-last-owner");
    assert_eq!(r.body["error"], "[user-last-owner]");
    assert_eq!(
        r.body["details"],
        json!({"shouldChangeOwner": ["handed"], "shouldBeRemoved": ["lonely"]})
    );
    // Nothing changed.
    assert_eq!(status_of(&app, &owner).await, "active");
    assert_eq!(
        members(&app, &handed).await.unwrap()[0],
        (owner.clone(), "owner".to_owned())
    );
    assert!(members(&app, &lonely).await.is_some());
}

async fn confirmed_deactivation_hands_rooms_over(b: Backend) {
    let app = TestApp::spawn(b).await;
    person(&app, "boss@example.com", true).await;
    let admin = session(&app, "boss@example.com").await;
    let owner = person(&app, "owner@example.com", false).await;
    let sleeper = person(&app, "sleeper@example.com", false).await;
    let heir = person(&app, "heir@example.com", false).await;
    let late = person(&app, "late@example.com", false).await;
    let co = person(&app, "co@example.com", false).await;
    app.post(&format!("/v1/users/{sleeper}/deactivate"), json!({}))
        .await;
    // The oldest member is inactive: the oldest ACTIVE one inherits.
    let handed = room(
        &app,
        "handed",
        "channel",
        &[
            (&owner, "owner"),
            (&sleeper, "member"),
            (&heir, "member"),
            (&late, "member"),
        ],
    )
    .await;
    let idle = room(
        &app,
        "idle",
        "channel",
        &[(&owner, "owner"), (&sleeper, "member")],
    )
    .await;
    let lonely = room(&app, "lonely", "private", &[(&owner, "owner")]).await;
    let shared = room(
        &app,
        "shared",
        "channel",
        &[(&owner, "owner"), (&co, "owner"), (&heir, "member")],
    )
    .await;
    let dm = room(
        &app,
        "dm",
        "direct",
        &[(&owner, "owner"), (&heir, "member")],
    )
    .await;
    let own = session(&app, "owner@example.com").await;
    assert_eq!(
        rc(&app, &own, Method::GET, "/api/v1/me", None).await.status,
        200
    );

    let r = set_active(&app, &admin, &owner, false, true).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(status_of(&app, &owner).await, "deactivated");
    assert_eq!(
        rc(&app, &own, Method::GET, "/api/v1/me", None).await.status,
        401,
        "the token dies at once"
    );
    let handed_members = members(&app, &handed).await.unwrap();
    assert!(
        handed_members.contains(&(heir.clone(), "owner".to_owned())),
        "{handed_members:?}"
    );
    assert!(handed_members.contains(&(late.clone(), "member".to_owned())));
    assert!(
        members(&app, &idle).await.is_none(),
        "no active member left: removed"
    );
    assert!(
        members(&app, &lonely).await.is_none(),
        "the only member: removed"
    );
    let shared_members = members(&app, &shared).await.unwrap();
    assert!(
        shared_members.contains(&(heir.clone(), "member".to_owned())),
        "co-owned rooms keep their owners"
    );
    assert!(
        members(&app, &dm).await.is_some(),
        "direct-message rooms are kept"
    );
    let events = app.get(&format!("/v1/users/{owner}/events")).await;
    let actions: Vec<String> = events.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        actions
            .iter()
            .filter(|a| *a == "room_ownership_transferred")
            .count(),
        1
    );
    assert_eq!(actions.iter().filter(|a| *a == "room_removed").count(), 2);
    assert_eq!(actions.last().unwrap(), "deactivated");
}

async fn racing_co_owners_never_orphan_a_room(b: Backend) {
    let app = TestApp::spawn(b).await;
    person(&app, "boss@example.com", true).await;
    let admin = session(&app, "boss@example.com").await;
    for round in 0..8 {
        let a = person(&app, &format!("a{round}@example.com"), false).await;
        let b2 = person(&app, &format!("b{round}@example.com"), false).await;
        let shared = room(
            &app,
            &format!("shared-{round}"),
            "channel",
            &[(&a, "owner"), (&b2, "owner")],
        )
        .await;
        let replies = join_all([&a, &b2].map(|u| set_active(&app, &admin, u, false, false))).await;
        let ok = replies.iter().filter(|r| r.status == 200).count();
        let refused: Vec<_> = replies
            .iter()
            .filter(|r| r.status == 400)
            .map(|r| r.body["errorType"].clone())
            .collect();
        assert_eq!(ok, 1, "round {round}: {replies:?}");
        assert_eq!(refused, [json!("user-last-owner")], "round {round}");
        let owners_active = {
            let mut n = 0;
            for (user, role) in members(&app, &shared).await.unwrap() {
                if role == "owner" && status_of(&app, &user).await == "active" {
                    n += 1;
                }
            }
            n
        };
        assert_eq!(
            owners_active, 1,
            "round {round}: the room keeps an active owner"
        );
    }
}

async fn reactivation_gives_nothing_back(b: Backend) {
    let app = TestApp::spawn(b).await;
    person(&app, "boss@example.com", true).await;
    let admin = session(&app, "boss@example.com").await;
    let owner = person(&app, "owner@example.com", false).await;
    let heir = person(&app, "heir@example.com", false).await;
    let handed = room(
        &app,
        "handed",
        "channel",
        &[(&owner, "owner"), (&heir, "member")],
    )
    .await;
    set_active(&app, &admin, &owner, false, true).await;
    let back = set_active(&app, &admin, &owner, true, false).await;
    assert_eq!(
        back.body,
        json!({"user": {"_id": owner, "active": true}, "success": true})
    );
    assert_eq!(status_of(&app, &owner).await, "active");
    let m = members(&app, &handed).await.unwrap();
    assert!(
        m.contains(&(owner.clone(), "member".to_owned())),
        "ownership is not given back: {m:?}"
    );
    assert!(m.contains(&(heir.clone(), "owner".to_owned())));
    // An invited user is activated; a banned one is refused.
    let invited = app.create_user(json!({"email": "inv@example.com"})).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        set_active(&app, &admin, &invited, true, false).await.body["user"]["active"],
        true
    );
    let banned = person(&app, "bad@example.com", false).await;
    app.post(&format!("/v1/users/{banned}/ban"), json!({}))
        .await;
    let r = set_active(&app, &admin, &banned, true, false).await;
    assert_eq!(
        (r.status, r.body["errorType"].as_str()),
        (400, Some("error-action-not-allowed"))
    );
    assert_eq!(status_of(&app, &banned).await, "banned");
}

async fn native_deactivate_uses_the_same_rule(b: Backend) {
    let app = TestApp::spawn(b).await;
    let owner = person(&app, "owner@example.com", false).await;
    let heir = person(&app, "heir@example.com", false).await;
    let handed = room(
        &app,
        "handed",
        "channel",
        &[(&owner, "owner"), (&heir, "member")],
    )
    .await;
    let lonely = room(&app, "lonely", "channel", &[(&owner, "owner")]).await;
    let refused = app
        .post(&format!("/v1/users/{owner}/deactivate"), json!({}))
        .await;
    assert_eq!(refused.status, 409);
    assert_eq!(refused.body["should_change_owner"], json!(["handed"]));
    assert_eq!(refused.body["should_be_removed"], json!(["lonely"]));
    let dry = app
        .post(
            &format!("/v1/users/{owner}/deactivate?dry_run=true"),
            json!({"relinquish": true}),
        )
        .await;
    assert_eq!(dry.status, 200, "{:?}", dry.body);
    assert_eq!(dry.body["transfers"][0]["room"], "handed");
    assert_eq!(dry.body["transfers"][0]["new_owner"], heir.as_str());
    assert_eq!(dry.body["removals"][0]["room"], "lonely");
    assert_eq!(
        status_of(&app, &owner).await,
        "active",
        "a dry run changes nothing"
    );
    assert!(members(&app, &lonely).await.is_some());
    let done = app
        .post(
            &format!("/v1/users/{owner}/deactivate"),
            json!({"relinquish": true}),
        )
        .await;
    assert_eq!(done.status, 200);
    assert_eq!(done.body["status"], "deactivated");
    assert!(members(&app, &handed)
        .await
        .unwrap()
        .contains(&(heir.clone(), "owner".to_owned())));
    assert!(members(&app, &lonely).await.is_none());
    assert_eq!(
        app.post(
            &format!("/v1/users/{heir}/ban"),
            json!({"relinquish": true})
        )
        .await
        .status,
        422
    );
    // The last active admin stays, natively too.
    let admin = person(&app, "admin@example.com", true).await;
    let r = app
        .post(&format!("/v1/users/{admin}/deactivate"), json!({}))
        .await;
    assert_eq!(r.status, 409);
    assert_eq!(r.body["type"], "urn:roster:problem:last-admin");
}

/// Rocket.Chat's clients log in and look users up by username; roster's username, else email.
async fn usernames_log_in_and_look_up(b: Backend) {
    let app = TestApp::spawn(b).await;
    let ana = app
        .create_user(
            json!({"email": "ana@example.com", "username": "Ana.Lima", "status": "active",
                            "password": "a long password"}),
        )
        .await;
    let ana_id = ana["id"].as_str().unwrap();
    // `user` and `username` take a username or an email; `email` an email.
    for body in [
        json!({"user": "ana.lima"}),
        json!({"user": "ANA@example.com"}),
        json!({"username": "ANA.LIMA"}),
        json!({"username": "ana@example.com"}),
        json!({"email": "ana@example.com"}),
    ] {
        let mut body = body;
        body["password"] = json!("a long password");
        let r = app
            .call_as(
                None,
                Method::POST,
                "/t/acme/api/v1/login",
                Some(body.clone()),
            )
            .await;
        assert_eq!(r.status, 200, "{body}: {:?}", r.body);
        assert_eq!(r.body["data"]["userId"], ana_id);
        assert_eq!(r.body["data"]["me"]["username"], "Ana.Lima");
    }
    let by_email_field = app
        .call_as(
            None,
            Method::POST,
            "/t/acme/api/v1/login",
            Some(json!({"email": "ana.lima", "password": "a long password"})),
        )
        .await;
    assert_eq!(by_email_field.status, 401, "`email` is an email only");
    // A username that is another user's email does not take that user's login.
    let squatter = app
        .create_user(
            json!({"email": "squat@example.com", "username": "zoe@example.com",
                            "status": "active", "password": "squatter password"}),
        )
        .await;
    let zoe = person(&app, "zoe@example.com", false).await;
    let r = login(&app, "zoe@example.com", "a long password").await;
    assert_eq!(
        (r.status, r.body["data"]["userId"].as_str()),
        (200, Some(zoe.as_str()))
    );
    let r = login(&app, "zoe@example.com", "squatter password").await;
    assert_eq!(
        r.status, 401,
        "the email's user is checked, not the username's"
    );

    let me = session(&app, "zoe@example.com").await;
    let info = |query: String| {
        let me = &me;
        let app = &app;
        async move {
            rc(
                app,
                me,
                Method::GET,
                &format!("/api/v1/users.info?{query}"),
                None,
            )
            .await
        }
    };
    for query in [
        "username=ana.lima",
        "username=ANA.Lima",
        "email=Ana@Example.com",
    ] {
        let r = info(query.into()).await;
        assert_eq!(r.status, 200, "{query}: {:?}", r.body);
        assert_eq!(r.body["user"]["_id"], ana_id, "{query}");
    }
    // A user without a username shows, and is found by, their email; one without either by
    // their number.
    let r = info("username=zoe@example.com".into()).await;
    assert_eq!(
        r.body["user"]["_id"], squatter["id"],
        "a username wins over an email"
    );
    let r = info(format!("userId={zoe}")).await;
    assert_eq!(r.body["user"]["username"], "zoe@example.com");
    let child = app
        .create_user(json!({"first_name": "Kid", "parent_id": ana_id}))
        .await;
    let number = child["number"].as_i64().unwrap().to_string();
    let r = info(format!("username={number}")).await;
    assert_eq!(r.body["user"]["_id"], child["id"]);
    assert_eq!(r.body["user"]["username"], number.as_str());
    // A user's email is not their username when they have one.
    let r = info("username=ana@example.com".into()).await;
    assert_eq!(
        (r.status, r.body["errorType"].as_str()),
        (400, Some("error-invalid-user"))
    );
    for query in [
        "username=nobody",
        "email=nobody@example.com",
        "userId=not-a-uuid",
    ] {
        let r = info(query.into()).await;
        assert_eq!(
            (r.status, r.body["errorType"].as_str()),
            (400, Some("error-invalid-user")),
            "{query}"
        );
    }
    let r = info("fields=%7B%7D".into()).await;
    assert_eq!(
        (r.status, r.body["errorType"].as_str()),
        (400, Some("invalid-params"))
    );
    // Another tenant's user is not found by name.
    far_away(&app, "other").await;
    let r = info("username=far.away".into()).await;
    assert_eq!(r.body["errorType"], "error-invalid-user");
}

/// `me` and the login's `me` are Rocket.Chat's `me`: the user with `email`,
/// `statusConnection`, `utcOffset` and `settings`.
async fn me_has_rocket_chat_fields(b: Backend) {
    let app = TestApp::spawn(b).await;
    let id = app
        .create_user(
            json!({"email": "ana@example.com", "username": "ana", "first_name": "Ana",
                            "status": "active", "password": "a long password", "roles": ["admin"]}),
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = login(&app, "ana", "a long password").await;
    let login_me = r.body["data"]["me"].clone();
    let me = Rc {
        id: id.clone(),
        token: r.body["data"]["authToken"].as_str().unwrap().to_owned(),
    };
    let got = rc(&app, &me, Method::GET, "/api/v1/me", None).await;
    assert_eq!(got.status, 200);
    let body = &got.body;
    assert_eq!(body["_id"], id.as_str());
    assert_eq!(body["username"], "ana");
    assert_eq!(body["name"], "Ana");
    assert_eq!(body["email"], "ana@example.com");
    assert_eq!(
        body["emails"],
        json!([{"address": "ana@example.com", "verified": true}])
    );
    assert_eq!(body["status"], "offline");
    assert_eq!(body["statusConnection"], "offline");
    assert_eq!(body["utcOffset"], 0);
    assert_eq!(body["active"], true);
    assert_eq!(body["roles"], json!(["user", "admin"]));
    assert_eq!(body["settings"], json!({"profile": {}, "preferences": {}}));
    assert_eq!(body["success"], true);
    assert!(body["sessionExpiresAt"].is_string());
    // The login's `me` is the same user, without the call's own fields.
    let mut same = body.clone();
    let fields = same.as_object_mut().unwrap();
    fields.remove("success");
    fields.remove("sessionExpiresAt");
    assert_eq!(login_me, same);
    // An invited user's email is not verified, so `me` has no `email`.
    let invited = app
        .create_user(json!({"email": "new@example.com", "first_name": "New"}))
        .await;
    let info = rc(
        &app,
        &me,
        Method::GET,
        &format!(
            "/api/v1/users.info?userId={}",
            invited["id"].as_str().unwrap()
        ),
        None,
    )
    .await;
    assert_eq!(info.body["user"]["emails"][0]["verified"], false);
    assert!(info.body["user"].get("email").is_none());
}

/// `@rocket.chat/sdk` logs out with GET; clients ask `/api/info` for the version.
async fn logout_by_get_and_server_info(b: Backend) {
    let app = TestApp::spawn(b).await;
    person(&app, "ana@example.com", false).await;
    for path in ["/api/info", "/t/acme/api/info"] {
        let r = app.call_as(None, Method::GET, path, None).await;
        assert_eq!(r.status, 200, "{path}");
        assert_eq!(r.body, json!({"version": "7.6", "success": true}));
    }
    let me = session(&app, "ana@example.com").await;
    let other = session(&app, "ana@example.com").await;
    let out = rc(&app, &me, Method::GET, "/t/acme/api/v1/logout", None).await;
    assert_eq!(out.status, 200, "{:?}", out.body);
    assert_eq!(
        out.body,
        json!({"status": "success", "data": {"message": "You've been logged out!"}})
    );
    assert_eq!(
        rc(&app, &me, Method::GET, "/api/v1/me", None).await.status,
        401
    );
    assert_eq!(
        rc(&app, &me, Method::GET, "/api/v1/logout", None)
            .await
            .status,
        401,
        "a token logs out once"
    );
    assert_eq!(
        rc(&app, &other, Method::GET, "/api/v1/me", None)
            .await
            .status,
        200,
        "the user's other session stays"
    );
}

/// As in Rocket.Chat, a bad body is refused before the caller's permission is checked; the
/// strings "true" and "false" are read as booleans.
async fn params_are_checked_before_permissions_and_strings_coerce(b: Backend) {
    let app = TestApp::spawn(b).await;
    person(&app, "boss@example.com", true).await;
    let target = person(&app, "target@example.com", false).await;
    person(&app, "peer@example.com", false).await;
    let admin = session(&app, "boss@example.com").await;
    let peer = session(&app, "peer@example.com").await;
    let r = rc(
        &app,
        &peer,
        Method::POST,
        "/api/v1/users.setActiveStatus",
        Some(json!({"userId": target})),
    )
    .await;
    assert_eq!(
        (r.status, r.body["errorType"].as_str()),
        (400, Some("invalid-params")),
        "{:?}",
        r.body
    );
    let r = rc(
        &app,
        &peer,
        Method::POST,
        "/api/v1/users.setActiveStatus",
        Some(json!({"userId": target, "activeStatus": "false"})),
    )
    .await;
    assert_eq!(r.status, 403, "a valid body meets the permission check");
    let room_id = room(&app, "solo", "channel", &[(&target, "owner")]).await;
    let r = rc(
        &app,
        &admin,
        Method::POST,
        "/api/v1/users.setActiveStatus",
        Some(json!({"userId": target, "activeStatus": "false"})),
    )
    .await;
    assert_eq!(r.body["errorType"], "user-last-owner", "{:?}", r.body);
    let r = rc(
        &app,
        &admin,
        Method::POST,
        "/api/v1/users.setActiveStatus",
        Some(json!({"userId": target, "activeStatus": "false", "confirmRelinquish": "true"})),
    )
    .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.body["user"]["active"], false);
    assert_eq!(members(&app, &room_id).await, None, "the room was removed");
    let r = rc(
        &app,
        &admin,
        Method::POST,
        "/api/v1/users.setActiveStatus",
        Some(json!({"userId": target, "activeStatus": "true"})),
    )
    .await;
    assert_eq!(r.body["user"]["active"], true, "{:?}", r.body);
    assert_eq!(status_of(&app, &target).await, "active");
}

/// A call with `who`'s session headers (none without one) and a JSON body.
fn call(
    app: &TestApp,
    who: Option<&Rc>,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> reqwest::RequestBuilder {
    let mut req = app.http.request(method, app.url(path));
    if let Some(who) = who {
        req = req
            .header("x-user-id", &who.id)
            .header("x-auth-token", &who.token);
    }
    match body {
        Some(b) => req.json(&b),
        None => req,
    }
}

/// A POST of `body` as sent, with this content type.
fn raw(
    app: &TestApp,
    who: Option<&Rc>,
    path: &str,
    content_type: &str,
    body: String,
) -> reqwest::RequestBuilder {
    call(app, who, Method::POST, path, None)
        .header("content-type", content_type)
        .body(body)
}

/// The bodies no endpoint can read: malformed, empty, not JSON, too large, not an object.
fn unreadable_bodies() -> [(&'static str, String); 5] {
    [
        ("application/json", "{not json".to_owned()),
        ("application/json", String::new()),
        ("text/plain", "user=ana".to_owned()),
        (
            "application/json",
            format!("{{\"user\": \"{}\"}}", "a".repeat(70_000)),
        ),
        ("application/json", "[1]".to_owned()),
    ]
}

async fn session_answers_are_the_snapshot(b: Backend) {
    let app = TestApp::spawn(b).await;
    let ana = app
        .create_user(json!({"email": "ana@example.com", "username": "ana.lima",
                            "first_name": "Ana", "last_name": "Lima", "status": "active",
                            "password": "a long password", "roles": ["admin"]}))
        .await;
    app.create_user(json!({"email": "invited@example.com", "password": "a long password"}))
        .await;
    let bob = person(&app, "bob@example.com", false).await;
    app.other_tenant("rival").await;
    let mut t = Transcript::new(app.addr);
    let http = &app.http;
    for path in ["/api/info", "/t/acme/api/info", "/t/rival/api/info"] {
        t.send(http, call(&app, None, Method::GET, path, None))
            .await;
    }
    let login = "/t/acme/api/v1/login";
    let ok = json!({"user": "ana.lima", "password": "a long password"});
    for body in [
        ok.clone(),
        json!({"username": "ANA@example.com", "password": "a long password"}),
        json!({"email": "ana@example.com", "password": "a long password", "code": "ignored"}),
        json!({"user": "ana.lima", "password": "the wrong password"}),
        json!({"user": "nobody@example.com", "password": "a long password"}),
        json!({"user": "invited@example.com", "password": "a long password"}),
        json!({"email": "ana.lima", "password": "a long password"}),
        json!({"user": "ana.lima"}),
        json!({"user": 5, "password": "a long password"}),
        json!({}),
    ] {
        t.send(http, call(&app, None, Method::POST, login, Some(body)))
            .await;
    }
    for path in [
        "/api/v1/login",
        "/t/rival/api/v1/login",
        "/t/nowhere/api/v1/login",
    ] {
        t.send(http, call(&app, None, Method::POST, path, Some(ok.clone())))
            .await;
    }
    for (content_type, body) in unreadable_bodies() {
        t.send(http, raw(&app, None, login, content_type, body))
            .await;
    }
    // Where no tenant is named, an unreadable body too.
    for (content_type, body) in unreadable_bodies() {
        t.send(http, raw(&app, None, "/api/v1/login", content_type, body))
            .await;
    }

    let me = session(&app, "ana@example.com").await;
    let other = session(&app, "ana@example.com").await;
    let wrong_token = Rc {
        id: me.id.clone(),
        token: "rss_nope".into(),
    };
    let wrong_user = Rc {
        id: bob,
        token: me.token.clone(),
    };
    let not_a_uuid = Rc {
        id: "ana".into(),
        token: me.token.clone(),
    };
    assert_eq!(ana["id"].as_str(), Some(me.id.as_str()));
    for (who, path) in [
        (Some(&me), "/api/v1/me"),
        (Some(&me), "/t/acme/api/v1/me"),
        (Some(&me), "/t/rival/api/v1/me"),
        (None, "/api/v1/me"),
        (Some(&wrong_token), "/api/v1/me"),
        (Some(&wrong_user), "/api/v1/me"),
        (Some(&not_a_uuid), "/api/v1/me"),
    ] {
        t.send(http, call(&app, who, Method::GET, path, None)).await;
    }
    for (who, method, path) in [
        (Some(&me), Method::POST, "/api/v1/logout"),
        (Some(&me), Method::GET, "/api/v1/me"),
        (Some(&me), Method::POST, "/api/v1/logout"),
        (Some(&other), Method::GET, "/t/acme/api/v1/logout"),
        (None, Method::POST, "/api/v1/logout"),
        (None, Method::GET, "/api/v1/logout"),
    ] {
        t.send(http, call(&app, who, method, path, None)).await;
    }
    insta::assert_json_snapshot!("session", t.take());
}

async fn users_info_answers_are_the_snapshot(b: Backend) {
    let app = TestApp::spawn(b).await;
    person(&app, "ana@example.com", false).await;
    let bob = app
        .create_user(
            json!({"email": "bob@example.com", "username": "Bob", "first_name": "Bob",
                            "status": "active", "roles": ["plan_admin", "only_sees_readable"]}),
        )
        .await;
    let bob = bob["id"].as_str().unwrap().to_owned();
    let invited = app
        .create_user(json!({"email": "new@example.com", "last_name": "Newman"}))
        .await;
    let invited = invited["id"].as_str().unwrap().to_owned();
    let kid = app
        .create_user(json!({"first_name": "Kid", "parent_id": bob}))
        .await;
    far_away(&app, "rival").await;
    let me = session(&app, "ana@example.com").await;
    let mut t = Transcript::new(app.addr);
    let number = kid["number"].as_i64().unwrap().to_string();
    t.alias(&number, "{kid}");
    let http = &app.http;
    for query in [
        format!("userId={bob}"),
        "username=bob".to_owned(),
        "email=BOB@Example.com".to_owned(),
        format!("userId={invited}"),
        format!("username={number}"),
        format!("userId={bob}&username=nobody"),
        "userId=&username=Bob".to_owned(),
        "username=bob&fields=%7B%22name%22%3A1%7D".to_owned(),
        "userId=not-a-uuid".to_owned(),
        "userId=00000000-0000-0000-0000-000000000000".to_owned(),
        "username=nobody".to_owned(),
        "username=far.away".to_owned(),
        "email=far@example.com".to_owned(),
        "username=bob@example.com".to_owned(),
        String::new(),
        "fields=%7B%7D".to_owned(),
        "userId=%20".to_owned(),
    ] {
        let path = format!("/api/v1/users.info?{query}");
        t.send(http, call(&app, Some(&me), Method::GET, &path, None))
            .await;
    }
    let path = format!("/api/v1/users.info?userId={bob}");
    t.send(http, call(&app, None, Method::GET, &path, None))
        .await;
    for base in ["/t/acme", "/t/rival"] {
        let path = format!("{base}{path}");
        t.send(http, call(&app, Some(&me), Method::GET, &path, None))
            .await;
    }
    insta::assert_json_snapshot!("users_info", t.take());
}

async fn set_active_status_answers_are_the_snapshot(b: Backend) {
    let app = TestApp::spawn(b).await;
    let boss = person(&app, "boss@example.com", true).await;
    let target = person(&app, "target@example.com", false).await;
    person(&app, "peer@example.com", false).await;
    let invited = app
        .create_user(json!({"email": "invited@example.com"}))
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let banned = person(&app, "banned@example.com", false).await;
    let r = app
        .post(&format!("/v1/users/{banned}/ban"), json!({}))
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let owner = person(&app, "owner@example.com", false).await;
    let heir = person(&app, "heir@example.com", false).await;
    room(
        &app,
        "handed",
        "channel",
        &[(&owner, "owner"), (&heir, "member")],
    )
    .await;
    room(
        &app,
        "shared",
        "channel",
        &[(&owner, "owner"), (&heir, "owner")],
    )
    .await;
    room(&app, "lonely", "private", &[(&owner, "owner")]).await;
    room(&app, "dm", "direct", &[(&owner, "owner")]).await;
    let admin = session(&app, "boss@example.com").await;
    let peer = session(&app, "peer@example.com").await;
    let mut t = Transcript::new(app.addr);
    let http = &app.http;
    const PATH: &str = "/api/v1/users.setActiveStatus";
    let calls = [
        json!({"activeStatus": false, "userId": target}),
        json!({"activeStatus": false, "userId": target, "confirmRelinquish": false}),
        json!({"activeStatus": "true", "userId": target}),
        json!({"activeStatus": true, "userId": target}),
        json!({"activeStatus": true, "userId": invited}),
        json!({"activeStatus": true, "userId": banned}),
        json!({"activeStatus": false, "userId": banned}),
        json!({"activeStatus": false, "userId": owner}),
        json!({"activeStatus": false, "userId": owner, "confirmRelinquish": null}),
        json!({"activeStatus": "false", "userId": owner, "confirmRelinquish": "true"}),
        json!({"activeStatus": false, "userId": boss}),
        json!({"userId": target}),
        json!({"activeStatus": "no", "userId": target}),
        json!({"activeStatus": 0, "userId": target}),
        json!({"activeStatus": null, "userId": target}),
        json!({"activeStatus": false, "userId": target, "confirmRelinquish": "yes"}),
        json!({"activeStatus": false, "userId": target, "confirmRelinquish": 1}),
        json!({"activeStatus": false}),
        json!({"activeStatus": false, "userId": 5}),
        json!({"activeStatus": false, "userId": target, "reason": "left"}),
        json!({"activeStatus": "maybe", "reason": "left"}),
        json!({"activeStatus": false, "userId": "not-a-uuid"}),
        json!({"activeStatus": false, "userId": "00000000-0000-0000-0000-000000000000"}),
        json!({}),
    ];
    for body in calls {
        t.send(
            http,
            call(&app, Some(&admin), Method::POST, PATH, Some(body)),
        )
        .await;
    }
    for body in [
        json!({"activeStatus": false, "userId": target}),
        json!({"activeStatus": false}),
    ] {
        t.send(
            http,
            call(&app, Some(&peer), Method::POST, PATH, Some(body)),
        )
        .await;
    }
    let body = json!({"activeStatus": false, "userId": target});
    t.send(
        http,
        call(&app, None, Method::POST, PATH, Some(body.clone())),
    )
    .await;
    t.send(
        http,
        call(
            &app,
            Some(&admin),
            Method::POST,
            &format!("/t/acme{PATH}"),
            Some(body.clone()),
        ),
    )
    .await;
    for (content_type, body) in unreadable_bodies() {
        t.send(http, raw(&app, Some(&admin), PATH, content_type, body))
            .await;
    }
    // The refused admin keeps their session; the deactivated owner's ended.
    t.send(
        http,
        call(&app, Some(&admin), Method::GET, "/api/v1/me", None),
    )
    .await;
    insta::assert_json_snapshot!("set_active_status", t.take());
}

/// The database down: 503 with Retry-After, in Rocket.Chat's envelope; `/api/info` needs none.
async fn unavailable_answers_are_the_snapshot(b: Backend) {
    let db = TestDb::new(b).await;
    let store = db.store().await;
    let app = TestApp::spawn_with(db, store.clone()).await;
    store.close().await;
    let mut t = Transcript::new(app.addr);
    let http = &app.http;
    let who = Rc {
        id: "00000000-0000-0000-0000-000000000000".into(),
        token: "rss_any".into(),
    };
    let login = json!({"user": "ana@example.com", "password": "a long password"});
    t.send(http, call(&app, None, Method::GET, "/api/info", None))
        .await;
    t.send(
        http,
        call(
            &app,
            None,
            Method::POST,
            "/t/acme/api/v1/login",
            Some(login),
        ),
    )
    .await;
    t.send(
        http,
        call(&app, Some(&who), Method::GET, "/api/v1/me", None),
    )
    .await;
    let body = json!({"activeStatus": false, "userId": who.id});
    t.send(
        http,
        call(
            &app,
            Some(&who),
            Method::POST,
            "/api/v1/users.setActiveStatus",
            Some(body),
        ),
    )
    .await;
    insta::assert_json_snapshot!("unavailable", t.take());
}
