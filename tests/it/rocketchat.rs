//! The Rocket.Chat dialect and the room-ownership rule of deactivation.

use crate::backend_tests;
use crate::support::{read, Backend, Reply, TestApp};
use futures::future::join_all;
use reqwest::Method;
use serde_json::{json, Value};

backend_tests!(
    login_me_info_and_logout,
    every_login_failure_looks_the_same,
    a_login_body_beyond_the_limit_is_refused,
    set_active_status_checks_caller_and_params,
    the_last_active_admin_stays,
    sole_owned_rooms_refuse_without_confirmation,
    confirmed_deactivation_hands_rooms_over,
    racing_co_owners_never_orphan_a_room,
    reactivation_gives_nothing_back,
    native_deactivate_uses_the_same_rule,
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
