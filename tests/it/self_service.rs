//! The user's own side (issue 18): own profile and password, password reset, impersonation,
//! and external sign-in tokens.

use crate::backend_tests;
use crate::support::{read, Backend, Reply, TestApp};
use chrono::{Duration, TimeZone, Utc};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::Method;
use serde_json::{json, Value};

backend_tests!(
    own_profile_is_read_and_edited_by_its_user,
    a_password_change_ends_every_session,
    rocket_chat_profile_page_rules,
    a_reset_link_works_once_expires_and_is_replaced,
    a_reset_request_answers_the_same_and_is_rate_limited,
    an_admin_acts_as_a_user,
    publica_impersonate_links_open_once,
    external_tokens_sign_in_once,
    external_tokens_checked_against_the_registered_key,
);

const PASSWORD: &str = "a long password";

/// An active user with a password: (id, email).
async fn user(app: &TestApp, email: &str) -> String {
    let u = app
        .create_user(json!({"email": email, "status": "active", "password": PASSWORD}))
        .await;
    u["id"].as_str().unwrap().to_owned()
}

async fn login(app: &TestApp, email: &str, password: &str) -> Reply {
    app.post(
        "/v1/sessions",
        json!({"email": email, "password": password}),
    )
    .await
}

/// The old password (`PASSWORD`) no longer signs the user in; `new` does.
async fn only_the_new_password_works(app: &TestApp, email: &str, new: &str) {
    assert_eq!(login(app, email, PASSWORD).await.status, 401);
    assert_eq!(login(app, email, new).await.status, 201);
}

async fn session(app: &TestApp, email: &str) -> String {
    let r = login(app, email, PASSWORD).await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    r.body["token"].as_str().unwrap().to_owned()
}

async fn as_session(
    app: &TestApp,
    token: &str,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> Reply {
    app.call_as(Some(token), method, path, body).await
}

/// The user's events, oldest first.
async fn events(app: &TestApp, user: &str) -> Vec<Value> {
    let r = app.get(&format!("/v1/users/{user}/events")).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    r.body["data"].as_array().unwrap().clone()
}

fn last<'a>(events: &'a [Value], action: &str) -> &'a Value {
    events
        .iter()
        .rev()
        .find(|e| e["action"] == action)
        .unwrap_or_else(|| panic!("no {action} event in {events:?}"))
}

async fn own_profile_is_read_and_edited_by_its_user(b: Backend) {
    let app = TestApp::spawn(b).await;
    let id = user(&app, "ada@example.com").await;
    let token = session(&app, "ada@example.com").await;
    let me = as_session(&app, &token, Method::GET, "/v1/me", None).await;
    assert_eq!(me.status, 200, "{:?}", me.body);
    assert_eq!(me.body["id"], id.as_str());
    let r = as_session(
        &app,
        &token,
        Method::PATCH,
        "/v1/me",
        Some(json!({"first_name": "Ada", "last_name": "Lovelace", "phone_number": "+1 415 555 0142"})),
    )
    .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.body["first_name"], "Ada");
    assert_eq!(r.body["phone_number"], "+14155550142");
    let e = last(&events(&app, &id).await, "profile_updated").clone();
    assert_eq!(e["actor"], format!("user:{id}"));
    assert!(e.get("impersonator").is_none());
    // Only names and phone: the email is not the user's to change here.
    let r = as_session(
        &app,
        &token,
        Method::PATCH,
        "/v1/me",
        Some(json!({"email": "other@example.com"})),
    )
    .await;
    assert_eq!(r.status, 400, "{:?}", r.body);
    let r = as_session(
        &app,
        &token,
        Method::PATCH,
        "/v1/me",
        Some(json!({"first_name": "R2D2"})),
    )
    .await;
    assert_eq!(r.status, 422);
    assert_eq!(r.body["errors"][0]["field"], "first_name");
    // An API key is not a session.
    assert_eq!(app.get("/v1/me").await.status, 401);
    // Another tenant's user sees and changes only themselves.
    let (_, other_key) = app.other_tenant("globex").await;
    let r = app
        .call_as(
            Some(&other_key),
            Method::POST,
            "/v1/users",
            Some(json!({"email": "ada@example.com", "status": "active", "password": PASSWORD})),
        )
        .await;
    assert_eq!(r.status, 201);
    let other_id = r.body["id"].as_str().unwrap().to_owned();
    let r = app
        .call_as(
            Some(&other_key),
            Method::POST,
            "/v1/sessions",
            Some(json!({"email": "ada@example.com", "password": PASSWORD})),
        )
        .await;
    let other_token = r.body["token"].as_str().unwrap().to_owned();
    let r = as_session(
        &app,
        &other_token,
        Method::PATCH,
        "/v1/me",
        Some(json!({"first_name": "Grace"})),
    )
    .await;
    assert_eq!(r.body["id"], other_id.as_str());
    let me = as_session(&app, &token, Method::GET, "/v1/me", None).await;
    assert_eq!(me.body["first_name"], "Ada");
}

async fn a_password_change_ends_every_session(b: Backend) {
    let app = TestApp::spawn(b).await;
    let id = user(&app, "bob@example.com").await;
    let first = session(&app, "bob@example.com").await;
    let second = session(&app, "bob@example.com").await;
    let change =
        |current: &str, new: &str| json!({"current_password": current, "new_password": new});
    // The rules: the current password must match; the new one is long enough, new, not the email.
    for (body, field) in [
        (
            change("wrong password", "a brand new password"),
            "current_password",
        ),
        (change(PASSWORD, "short"), "new_password"),
        (change(PASSWORD, PASSWORD), "new_password"),
        (change(PASSWORD, "BOB@example.com"), "new_password"),
    ] {
        let r = as_session(&app, &first, Method::POST, "/v1/me/password", Some(body)).await;
        assert_eq!(r.status, 422, "{:?}", r.body);
        assert_eq!(r.body["errors"][0]["field"], field, "{:?}", r.body);
    }
    assert_eq!(
        as_session(&app, &second, Method::GET, "/v1/me", None)
            .await
            .status,
        200
    );
    let r = as_session(
        &app,
        &first,
        Method::POST,
        "/v1/me/password",
        Some(change(PASSWORD, "a brand new password")),
    )
    .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.body["sessions_revoked"], 2);
    assert_eq!(r.body["signed_out"], true);
    for token in [&first, &second] {
        assert_eq!(
            as_session(&app, token, Method::GET, "/v1/me", None)
                .await
                .status,
            401
        );
    }
    only_the_new_password_works(&app, "bob@example.com", "a brand new password").await;
    let e = last(&events(&app, &id).await, "password_changed").clone();
    assert_eq!(e["actor"], format!("user:{id}"));
    assert_eq!(e["details"]["sessions_revoked"], 2);
    assert!(!e.to_string().contains("brand new"));
}

/// A Rocket.Chat session: (user id, token).
async fn rc_login(app: &TestApp, email: &str, password: &str) -> Option<(String, String)> {
    let r = app
        .call_as(
            None,
            Method::POST,
            "/t/acme/api/v1/login",
            Some(json!({"user": email, "password": password})),
        )
        .await;
    (r.status == 200).then(|| {
        (
            r.body["data"]["userId"].as_str().unwrap().to_owned(),
            r.body["data"]["authToken"].as_str().unwrap().to_owned(),
        )
    })
}

async fn rc(
    app: &TestApp,
    who: &(String, String),
    method: Method,
    path: &str,
    body: Option<Value>,
) -> Reply {
    let mut req = app
        .http
        .request(method, app.url(path))
        .header("x-user-id", &who.0)
        .header("x-auth-token", &who.1);
    if let Some(b) = body {
        req = req.json(&b);
    }
    read(req.send().await.unwrap()).await
}

async fn rocket_chat_profile_page_rules(b: Backend) {
    let app = TestApp::spawn(b).await;
    let id = user(&app, "carol@example.com").await;
    let who = rc_login(&app, "carol@example.com", PASSWORD).await.unwrap();
    let update = |data: Value| json!({ "data": data });
    let path = "/t/acme/api/v1/users.updateOwnBasicInfo";
    for (data, message) in [
        (
            json!({"realname": "C"}),
            "First name must have at least 2 characters. Numbers and special characters are not allowed.",
        ),
        (
            json!({"firstName": "C3PO", "lastName": "X"}),
            "First name must have at least 2 characters. Numbers and special characters are not allowed.",
        ),
        (
            json!({"firstName": "Carol", "lastName": " "}),
            "Last name must have at least 1 characters.",
        ),
    ] {
        let r = rc(&app, &who, Method::POST, path, Some(update(data))).await;
        assert_eq!(r.status, 400, "{:?}", r.body);
        assert_eq!(r.body["errorType"], "invalid-params");
        assert!(r.body["error"].as_str().unwrap().starts_with(message), "{:?}", r.body);
    }
    let r = rc(
        &app,
        &who,
        Method::POST,
        path,
        Some(update(json!({"username": "x"}))),
    )
    .await;
    assert_eq!(r.status, 400);
    let r = rc(
        &app,
        &who,
        Method::POST,
        path,
        Some(update(
            json!({"realname": "Carol Anne Shaw", "phone": "+14155550142"}),
        )),
    )
    .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(
        r.body["message"],
        "Your profile has been successfully updated."
    );
    assert_eq!(r.body["user"]["name"], "Carol Anne Shaw");
    assert!(r.body.get("sessionsRevoked").is_none());
    let e = last(&events(&app, &id).await, "profile_updated").clone();
    assert_eq!(e["actor"], format!("user:{id}"));
    assert_eq!(e["channel"], "rocketchat");
    // A password change logs out, the caller included.
    let other = rc_login(&app, "carol@example.com", PASSWORD).await.unwrap();
    let r = rc(
        &app,
        &who,
        Method::POST,
        path,
        Some(update(
            json!({"currentPassword": PASSWORD, "newPassword": "carol's new password"}),
        )),
    )
    .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(
        r.body["message"],
        "Changing your password will log you out immediately. Use the new password to log back in."
    );
    assert_eq!(r.body["sessionsRevoked"], 2);
    for s in [&who, &other] {
        assert_eq!(
            rc(&app, s, Method::GET, "/t/acme/api/v1/me", None)
                .await
                .status,
            401
        );
    }
    assert!(rc_login(&app, "carol@example.com", PASSWORD)
        .await
        .is_none());
    assert!(rc_login(&app, "carol@example.com", "carol's new password")
        .await
        .is_some());
}

/// The token of the password reset email to `to` that the outbox holds; every email it
/// claims is settled as sent, so none comes back.
async fn reset_token(app: &TestApp, to: &str) -> Option<String> {
    let claimed = app
        .services
        .claim_emails(Duration::seconds(60), 100)
        .await
        .unwrap();
    let mut found = None;
    for e in claimed {
        app.services.email_sent(e.id).await.unwrap();
        if e.kind == "password_reset" && e.recipient == to {
            assert!(found.is_none(), "one reset email per request");
            found = e.secret;
        }
    }
    found
}

async fn request_reset(app: &TestApp, tenant: &str, email: &str) -> Reply {
    app.call_as(
        None,
        Method::POST,
        &format!("/t/{tenant}/v1/password-resets"),
        Some(json!({ "email": email })),
    )
    .await
}

async fn complete_reset(app: &TestApp, tenant: &str, token: &str, password: &str) -> Reply {
    app.call_as(
        None,
        Method::POST,
        &format!("/t/{tenant}/v1/password-resets/complete"),
        Some(json!({"token": token, "password": password})),
    )
    .await
}

fn start() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).unwrap()
}

async fn a_reset_link_works_once_expires_and_is_replaced(b: Backend) {
    let (app, clock) = TestApp::spawn_at(b, start()).await;
    let id = user(&app, "dan@example.com").await;
    let own = session(&app, "dan@example.com").await;
    assert_eq!(
        request_reset(&app, "acme", "Dan@Example.com").await.status,
        202
    );
    let first = reset_token(&app, "dan@example.com").await.unwrap();
    assert!(first.starts_with("rsr_"));
    // The page the link opens.
    let page = app
        .call_as(
            None,
            Method::GET,
            &format!("/t/acme/password-reset/{first}"),
            None,
        )
        .await;
    assert_eq!(page.status, 200);
    assert!(page
        .body
        .as_str()
        .unwrap()
        .contains("/v1/password-resets/complete"));
    // A second request kills the first link.
    assert_eq!(
        request_reset(&app, "acme", "dan@example.com").await.status,
        202
    );
    let second = reset_token(&app, "dan@example.com").await.unwrap();
    assert_ne!(first, second);
    let r = complete_reset(&app, "acme", &first, "dan's new password").await;
    assert_eq!(r.status, 410, "{:?}", r.body);
    // Another tenant knows nothing of this link.
    app.other_tenant("globex").await;
    assert_eq!(
        complete_reset(&app, "globex", &second, "dan's new password")
            .await
            .status,
        404
    );
    // The rules of a new password.
    let r = complete_reset(&app, "acme", &second, "dan@example.com").await;
    assert_eq!(r.status, 422);
    assert_eq!(r.body["errors"][0]["field"], "password");
    // It works once, and ends every session.
    let r = complete_reset(&app, "acme", &second, "dan's new password").await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.body["sessions_revoked"], 1);
    assert_eq!(
        as_session(&app, &own, Method::GET, "/v1/me", None)
            .await
            .status,
        401
    );
    assert_eq!(
        complete_reset(&app, "acme", &second, "dan's newer password")
            .await
            .status,
        410
    );
    only_the_new_password_works(&app, "dan@example.com", "dan's new password").await;
    let e = last(&events(&app, &id).await, "password_reset").clone();
    assert_eq!(e["actor"], format!("user:{id}"));
    // A link dies after 30 minutes.
    clock.advance(Duration::minutes(5));
    assert_eq!(
        request_reset(&app, "acme", "dan@example.com").await.status,
        202
    );
    let third = reset_token(&app, "dan@example.com").await.unwrap();
    clock.advance(Duration::minutes(31));
    let r = complete_reset(&app, "acme", &third, "dan's third password").await;
    assert_eq!(r.status, 410);
    assert!(
        r.body["detail"].as_str().unwrap().contains("expired"),
        "{:?}",
        r.body
    );
}

async fn a_reset_request_answers_the_same_and_is_rate_limited(b: Backend) {
    let (app, clock) = TestApp::spawn_at(b, start()).await;
    user(&app, "erin@example.com").await;
    let known = request_reset(&app, "acme", "erin@example.com").await;
    let unknown = request_reset(&app, "acme", "nobody@example.com").await;
    assert_eq!(known.status, 202);
    assert_eq!(unknown.status, known.status);
    assert_eq!(unknown.body, known.body);
    assert!(reset_token(&app, "erin@example.com").await.is_some());
    assert!(reset_token(&app, "nobody@example.com").await.is_none());
    // The acme user's address in another tenant sends nothing.
    app.other_tenant("globex").await;
    assert_eq!(
        request_reset(&app, "globex", "erin@example.com")
            .await
            .status,
        202
    );
    assert!(reset_token(&app, "erin@example.com").await.is_none());
    assert_eq!(
        request_reset(&app, "acme", "not an address").await.status,
        422
    );
    // Three a minute per address, known or not.
    for email in ["erin@example.com", "nobody@example.com"] {
        for _ in 0..2 {
            assert_eq!(request_reset(&app, "acme", email).await.status, 202);
        }
        let r = request_reset(&app, "acme", email).await;
        assert_eq!(r.status, 429, "{email}");
        assert!(r.header("retry-after").is_some());
    }
    clock.advance(Duration::minutes(1));
    assert_eq!(
        request_reset(&app, "acme", "erin@example.com").await.status,
        202
    );
}

async fn an_admin_acts_as_a_user(b: Backend) {
    let app = TestApp::spawn(b).await;
    let id = user(&app, "fay@example.com").await;
    let own = session(&app, "fay@example.com").await;
    let r = app
        .post(&format!("/v1/users/{id}/impersonations"), json!({}))
        .await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    let acting = r.body["token"].as_str().unwrap().to_owned();
    let admin = r.body["impersonator"].as_str().unwrap().to_owned();
    assert!(admin.starts_with("api_key:"), "{admin}");
    assert_eq!(r.body["user"]["id"], id.as_str());
    // The admin acts as the user; the event names both.
    let r = as_session(
        &app,
        &acting,
        Method::PATCH,
        "/v1/me",
        Some(json!({"first_name": "Fay"})),
    )
    .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let log = events(&app, &id).await;
    let started = last(&log, "impersonation_started");
    assert_eq!(started["actor"], admin.as_str());
    let edit = last(&log, "profile_updated");
    assert_eq!(edit["actor"], format!("user:{id}"));
    assert_eq!(edit["impersonator"], admin.as_str());
    // The session says so; it cannot change the password.
    let r = as_session(&app, &acting, Method::GET, "/v1/sessions/current", None).await;
    assert_eq!(r.body["session"]["impersonator"], admin.as_str());
    let r = as_session(
        &app,
        &acting,
        Method::POST,
        "/v1/me/password",
        Some(json!({"current_password": PASSWORD, "new_password": "taken over!!"})),
    )
    .await;
    assert_eq!(r.status, 422);
    assert_eq!(r.body["errors"][0]["field"], "password");
    assert_eq!(login(&app, "fay@example.com", PASSWORD).await.status, 201);
    // Ending it is audited; the user's own session survives.
    let r = as_session(&app, &acting, Method::DELETE, "/v1/sessions/current", None).await;
    assert_eq!(r.status, 204);
    assert_eq!(
        as_session(&app, &acting, Method::GET, "/v1/me", None)
            .await
            .status,
        401
    );
    assert_eq!(
        last(&events(&app, &id).await, "impersonation_ended")["details"]["impersonator"],
        admin.as_str()
    );
    assert_eq!(
        as_session(&app, &own, Method::GET, "/v1/me", None)
            .await
            .status,
        200
    );
    // A force logout ends impersonation sessions too.
    let r = app
        .post(&format!("/v1/users/{id}/impersonations"), json!({}))
        .await;
    let acting = r.body["token"].as_str().unwrap().to_owned();
    let r = app.post(&format!("/v1/users/{id}/logout"), json!({})).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    for token in [&acting, &own] {
        assert_eq!(
            as_session(&app, token, Method::GET, "/v1/me", None)
                .await
                .status,
            401
        );
    }
    // A read-only key may not; another tenant's key finds no such user.
    let r = app
        .post("/v1/keys", json!({"name": "reader", "scopes": ["read"]}))
        .await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    let reader = r.body["api_key"].as_str().unwrap().to_owned();
    let r = app
        .call_as(
            Some(&reader),
            Method::POST,
            &format!("/v1/users/{id}/impersonations"),
            Some(json!({})),
        )
        .await;
    assert_eq!(r.status, 403, "{:?}", r.body);
    let (_, other_key) = app.other_tenant("globex").await;
    let r = app
        .call_as(
            Some(&other_key),
            Method::POST,
            &format!("/v1/users/{id}/impersonations"),
            Some(json!({})),
        )
        .await;
    assert_eq!(r.status, 404);
}

async fn publica_impersonate_links_open_once(b: Backend) {
    let app = TestApp::spawn(b).await;
    let id = user(&app, "gus@example.com").await;
    let publica = |key: &str, path: &str| {
        let req = app
            .http
            .get(app.url(path))
            .header("x-user-token", key.to_owned());
        async move { read(req.send().await.unwrap()).await }
    };
    let r = publica(&app.key, "/integration-api/v1/dashboard/users").await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let link = r.body["data"]["paginator"]["data"][0]["impersonate"]
        .as_str()
        .unwrap()
        .to_owned();
    let number = r.body["data"]["paginator"]["data"][0]["id"]
        .as_i64()
        .unwrap();
    assert!(
        link.contains(&format!("/impersonate/take/{number}?ticket=")),
        "{link}"
    );
    let got = publica(
        &app.key,
        &format!("/integration-api/v1/dashboard/users/{number}"),
    )
    .await;
    assert!(got.body["data"]["impersonate"].as_str().is_some());
    // A read-only key gets no link.
    let r = app
        .post("/v1/keys", json!({"name": "reader", "scopes": ["read"]}))
        .await;
    let reader = r.body["api_key"].as_str().unwrap().to_owned();
    let r = publica(&reader, "/integration-api/v1/dashboard/users").await;
    assert!(r.body["data"]["paginator"]["data"][0]["impersonate"].is_null());
    // Opening the link (no API key) starts the impersonation, once.
    let path = &link[link.find("/t/").unwrap()..];
    let r = app.call_as(None, Method::GET, path, None).await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    assert_eq!(r.body["user"]["id"], id.as_str());
    assert!(r.body["impersonator"]
        .as_str()
        .unwrap()
        .starts_with("api_key:"));
    let acting = r.body["token"].as_str().unwrap().to_owned();
    assert_eq!(
        as_session(&app, &acting, Method::GET, "/v1/me", None)
            .await
            .status,
        200
    );
    assert_eq!(app.call_as(None, Method::GET, path, None).await.status, 410);
    // A forged ticket opens nothing; nor does a link under another tenant.
    let forged = format!("{}x", &path);
    assert_eq!(
        app.call_as(None, Method::GET, &forged, None).await.status,
        410
    );
    app.other_tenant("globex").await;
    let elsewhere = path.replacen(&path[3..path.find("/impersonate").unwrap()], "globex", 1);
    assert_ne!(
        app.call_as(None, Method::GET, &elsewhere, None)
            .await
            .status,
        201
    );
    // The Publica.la force logout ends it.
    let r = app
        .http
        .post(app.url(&format!("/integration-api/v1/users/{number}/force-logout")))
        .header("x-user-token", app.key.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        as_session(&app, &acting, Method::GET, "/v1/me", None)
            .await
            .status,
        401
    );
}

const HS_SECRET: &str = "0123456789abcdef0123456789abcdef-roster";

fn claims(now: i64, jti: &str, uuid: &str) -> Value {
    json!({
        "iss": "platform",
        "aud": "roster-test",
        "sub": "user",
        "jti": jti,
        "exp": now + 60,
        "user": {"uuid": uuid, "email": format!("{}@platform.example", &uuid[..8]), "name": "Hedy Kiesler Lamarr"}
    })
}

fn hs256(claims: &Value, secret: &str) -> String {
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap()
}

async fn register(app: &TestApp, algorithm: &str, key: &str, create_users: bool) {
    let r = app
        .call(
            Method::PUT,
            "/v1/external-auth/key",
            Some(json!({"algorithm": algorithm, "key": key, "audience": "roster-test", "create_users": create_users})),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
}

async fn sign_in(app: &TestApp, tenant: &str, token: &str) -> Reply {
    app.call_as(
        None,
        Method::POST,
        &format!("/t/{tenant}/v1/sessions/external"),
        Some(json!({ "token": token })),
    )
    .await
}

async fn external_tokens_sign_in_once(b: Backend) {
    let (app, clock) = TestApp::spawn_at(b, start()).await;
    let now = start().timestamp();
    let uuid = "0190f5a0-1b2c-7d3e-8f40-5a6b7c8d9e0f";
    // No key yet: refused.
    let token = hs256(&claims(now, "j-0", uuid), HS_SECRET);
    assert_eq!(sign_in(&app, "acme", &token).await.status, 401);
    let r = app
        .call(
            Method::PUT,
            "/v1/external-auth/key",
            Some(json!({"algorithm": "HS256", "key": "short", "audience": "roster-test"})),
        )
        .await;
    assert_eq!(r.status, 422);
    assert_eq!(r.body["errors"][0]["field"], "key");
    register(&app, "HS256", HS_SECRET, false).await;
    let key = app.get("/v1/external-auth/key").await;
    assert_eq!(key.body["algorithm"], "HS256");
    assert!(key.body["public_key"].is_null());
    // The tenant creates nobody: an unknown user is refused.
    assert_eq!(sign_in(&app, "acme", &token).await.status, 401);
    register(&app, "HS256", HS_SECRET, true).await;
    let token = hs256(&claims(now, "j-1", uuid), HS_SECRET);
    let r = sign_in(&app, "acme", &token).await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    assert_eq!(r.body["created"], true);
    assert_eq!(r.body["user"]["external_id"], uuid);
    assert_eq!(r.body["user"]["first_name"], "Hedy Kiesler");
    assert_eq!(r.body["user"]["last_name"], "Lamarr");
    let first_session = r.body["token"].as_str().unwrap().to_owned();
    // Replayed: refused.
    let r = sign_in(&app, "acme", &token).await;
    assert_eq!(r.status, 401);
    assert!(
        r.body["detail"].as_str().unwrap().contains("jti"),
        "{:?}",
        r.body
    );
    // A new token for the same user: the same user, not created again (Publica.la's path).
    let again = hs256(&claims(now, "j-2", uuid), HS_SECRET);
    let r = app
        .http
        .get(app.url("/t/acme/auth/token"))
        .header("external-auth-token", again)
        .send()
        .await
        .unwrap();
    let r = read(r).await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    assert_eq!(r.body["created"], false);
    // Expired, with the clock moved past exp and the leeway.
    let soon = hs256(&claims(now, "j-3", uuid), HS_SECRET);
    clock.advance(Duration::seconds(60 + 31));
    let r = sign_in(&app, "acme", &soon).await;
    assert_eq!(r.status, 401);
    assert!(r.body["detail"].as_str().unwrap().contains("expired"));
    // Another tenant has no key: the token signs nobody in there.
    app.other_tenant("globex").await;
    let later = app.services.now().timestamp();
    let elsewhere = hs256(&claims(later, "j-4", uuid), HS_SECRET);
    assert_eq!(sign_in(&app, "globex", &elsewhere).await.status, 401);
    // Force logout by the external id (the token's UUID) ends the user's sessions.
    let r = app
        .http
        .post(app.url(&format!("/integration-api/v1/users/{uuid}/force-logout")))
        .header("x-user-token", app.key.clone())
        .send()
        .await
        .unwrap();
    let r = read(r).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.body["data"]["sessions_revoked"], 2);
    assert_eq!(
        as_session(&app, &first_session, Method::GET, "/v1/me", None)
            .await
            .status,
        401
    );
    // Only a key holder with manage-api-keys sees and changes the key.
    let r = app
        .post("/v1/keys", json!({"name": "reader", "scopes": ["read"]}))
        .await;
    let reader = r.body["api_key"].as_str().unwrap().to_owned();
    assert_eq!(
        app.call_as(Some(&reader), Method::GET, "/v1/external-auth/key", None)
            .await
            .status,
        403
    );
    assert_eq!(
        app.call(Method::DELETE, "/v1/external-auth/key", None)
            .await
            .status,
        204
    );
    let fresh = hs256(&claims(later, "j-5", uuid), HS_SECRET);
    assert_eq!(sign_in(&app, "acme", &fresh).await.status, 401);
}

fn unsigned(claims: &Value) -> String {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
    let body = URL_SAFE_NO_PAD.encode(claims.to_string());
    format!("{header}.{body}.")
}

async fn external_tokens_checked_against_the_registered_key(b: Backend) {
    let (app, _clock) = TestApp::spawn_at(b, start()).await;
    let now = start().timestamp();
    let uuid = "0190f5a0-1b2c-7d3e-8f40-000000000001";
    let public = include_str!("keys/rs256-public.pem");
    let private = EncodingKey::from_rsa_pem(include_bytes!("keys/rs256-private.pem")).unwrap();
    register(&app, "RS256", public, true).await;
    let rs256 =
        |c: &Value| jsonwebtoken::encode(&Header::new(Algorithm::RS256), c, &private).unwrap();
    let with = |f: &dyn Fn(&mut Value), jti: &str| {
        let mut c = claims(now, jti, uuid);
        f(&mut c);
        c
    };
    let refused = [
        (
            "expired",
            rs256(&with(&|c| c["exp"] = json!(now - 120), "r-1")),
        ),
        (
            "not yet valid",
            rs256(&with(&|c| c["nbf"] = json!(now + 600), "r-2")),
        ),
        (
            "wrong audience",
            rs256(&with(&|c| c["aud"] = json!("someone-else"), "r-3")),
        ),
        ("no user", rs256(&with(&|c| c["user"] = json!(null), "r-4"))),
        (
            "not a uuid",
            rs256(&with(&|c| c["user"]["uuid"] = json!("user-123"), "r-5")),
        ),
        ("alg none", unsigned(&claims(now, "r-6", uuid))),
        // The public key used as an HMAC secret: the algorithm is the key's, not the header's.
        (
            "HS256 with the public key",
            hs256(&claims(now, "r-7", uuid), public),
        ),
        ("wrong key", {
            let other = EncodingKey::from_ec_pem(include_bytes!("keys/es256-private.pem")).unwrap();
            jsonwebtoken::encode(
                &Header::new(Algorithm::ES256),
                &claims(now, "r-8", uuid),
                &other,
            )
            .unwrap()
        }),
        ("garbage", "not.a.jwt".to_owned()),
    ];
    for (why, token) in &refused {
        let r = sign_in(&app, "acme", token).await;
        assert_eq!(r.status, 401, "{why}: {:?}", r.body);
    }
    let valid = rs256(&claims(now, "r-9", uuid));
    assert_eq!(sign_in(&app, "acme", &valid).await.status, 201);
    assert_eq!(sign_in(&app, "acme", &valid).await.status, 401);
    // ES256 keys work the same way.
    register(&app, "ES256", include_str!("keys/es256-public.pem"), true).await;
    let es = EncodingKey::from_ec_pem(include_bytes!("keys/es256-private.pem")).unwrap();
    let token = jsonwebtoken::encode(
        &Header::new(Algorithm::ES256),
        &claims(now, "e-1", uuid),
        &es,
    )
    .unwrap();
    let r = sign_in(&app, "acme", &token).await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    assert_eq!(r.body["created"], false);
    assert_eq!(sign_in(&app, "acme", &valid).await.status, 401);
}
