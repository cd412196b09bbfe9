//! The admin console (issue 17): signing in, CSRF, tenant isolation, sessions that end with the
//! admin, the set-up link, and actions audited through the `console` channel.

use crate::backend_tests;
use crate::support::{Backend, TestApp};
use reqwest::redirect::Policy;
use serde_json::json;

backend_tests!(
    only_admins_sign_in_and_refusals_look_the_same,
    a_form_without_its_csrf_token_is_refused,
    an_admin_sees_nothing_of_another_tenant,
    a_banned_admins_console_session_stops_at_once,
    deactivate_shows_the_hand_over_and_lands_in_the_timeline,
    a_set_up_link_works_once,
    invite_and_edit_from_the_console,
    cookies_are_secure_behind_https,
    make_admin_creates_or_promotes,
    sign_in_attempts_are_limited_per_email,
    a_long_timeline_pages_back,
);

const REFUSED: &str = "Wrong email or password, or this account may not use the console.";

/// A browser without JavaScript: it keeps the console's cookies and does not follow redirects.
struct Browser<'a> {
    app: &'a TestApp,
    http: reqwest::Client,
    cookies: Vec<(String, String)>,
}

/// A page as the browser got it.
struct Page {
    status: u16,
    location: Option<String>,
    body: String,
}

impl<'a> Browser<'a> {
    fn new(app: &'a TestApp) -> Self {
        Browser {
            app,
            http: no_redirects(),
            cookies: Vec::new(),
        }
    }

    async fn send(&mut self, req: reqwest::RequestBuilder) -> Page {
        let cookie = self
            .cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ");
        let res = req.header("cookie", cookie).send().await.expect("sent");
        for set in res.headers().get_all("set-cookie") {
            let set = set.to_str().unwrap();
            let (pair, _) = set.split_once(';').unwrap_or((set, ""));
            let (k, v) = pair.split_once('=').unwrap();
            self.cookies.retain(|(name, _)| name != k);
            if !set.contains("Max-Age=0") {
                self.cookies.push((k.to_owned(), v.to_owned()));
            }
        }
        Page {
            status: res.status().as_u16(),
            location: res
                .headers()
                .get("location")
                .map(|l| l.to_str().unwrap().to_owned()),
            body: res.text().await.unwrap(),
        }
    }

    async fn get(&mut self, path: &str) -> Page {
        let req = self.http.get(self.app.url(path));
        self.send(req).await
    }

    async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Page {
        let req = self.http.post(self.app.url(path)).form(form);
        self.send(req).await
    }

    async fn sign_in(&mut self, tenant: &str, email: &str, password: &str) -> Page {
        let page = self.get(&format!("/t/{tenant}/console/sign-in")).await;
        assert_eq!(page.status, 200);
        let csrf = csrf(&page.body);
        self.post(
            &format!("/t/{tenant}/console/sign-in"),
            &[("email", email), ("password", password), ("csrf", &csrf)],
        )
        .await
    }

    fn signed_in(&self) -> bool {
        self.cookies.iter().any(|(k, _)| k == "roster_console")
    }
}

/// A user's status, as the API reads it.
async fn status_of(app: &TestApp, id: &str) -> serde_json::Value {
    app.get(&format!("/v1/users/{id}")).await.body["status"].clone()
}

/// A client that shows redirects instead of following them.
fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(Policy::none())
        .build()
        .unwrap()
}

/// The CSRF token of the first form on the page.
fn csrf(html: &str) -> String {
    let at = html
        .find("name=\"csrf\" value=\"")
        .expect("a form with a CSRF token")
        + 19;
    html[at..].split('"').next().unwrap().to_owned()
}

async fn admin(app: &TestApp, email: &str) -> String {
    app.create_user(json!({
        "email": email, "status": "active", "password": "correct horse", "roles": ["admin"]
    }))
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn only_admins_sign_in_and_refusals_look_the_same(b: Backend) {
    let app = TestApp::spawn(b).await;
    admin(&app, "admin@example.com").await;
    app.create_user(
        json!({"email": "user@example.com", "status": "active", "password": "correct horse"}),
    )
    .await;
    let mut answers = Vec::new();
    for (email, password) in [
        ("user@example.com", "correct horse"),
        ("admin@example.com", "wrong horse"),
        ("nobody@example.com", "correct horse"),
    ] {
        let mut browser = Browser::new(&app);
        let page = browser.sign_in("acme", email, password).await;
        assert_eq!(page.status, 401, "{email}");
        assert!(page.body.contains(REFUSED), "{email}: {}", page.body);
        assert!(!browser.signed_in());
        let console = browser.get("/t/acme/console").await;
        assert_eq!(console.status, 303);
        let token = csrf(&page.body);
        answers.push(page.body.replace(email, "").replace(&token, ""));
    }
    assert!(
        answers.windows(2).all(|w| w[0] == w[1]),
        "one answer for every refusal"
    );

    let mut browser = Browser::new(&app);
    let page = browser
        .sign_in("acme", "ADMIN@example.com", "correct horse")
        .await;
    assert_eq!(page.status, 303);
    assert_eq!(page.location.as_deref(), Some("/t/acme/console"));
    assert!(browser.signed_in());
    let list = browser.get("/t/acme/console").await;
    assert_eq!(list.status, 200);
    assert!(list
        .body
        .contains("<title>Users · Acme · roster console</title>"));
    assert!(list.body.contains("user@example.com"));

    // Signing in without the sign-in form's token is refused.
    let mut forged = Browser::new(&app);
    let page = forged
        .post(
            "/t/acme/console/sign-in",
            &[
                ("email", "admin@example.com"),
                ("password", "correct horse"),
            ],
        )
        .await;
    assert_eq!(page.status, 403);
    assert!(!forged.signed_in());

    // Signing out ends the session for good.
    let token = csrf(&list.body);
    let out = browser
        .post("/t/acme/console/sign-out", &[("csrf", &token)])
        .await;
    assert_eq!(out.status, 303);
    assert!(!browser.signed_in());
    assert_eq!(browser.get("/t/acme/console").await.status, 303);
}

async fn a_form_without_its_csrf_token_is_refused(b: Backend) {
    let app = TestApp::spawn(b).await;
    admin(&app, "admin@example.com").await;
    let user = app
        .create_user(json!({"email": "u@example.com", "status": "active"}))
        .await;
    let id = user["id"].as_str().unwrap();
    let mut browser = Browser::new(&app);
    browser
        .sign_in("acme", "admin@example.com", "correct horse")
        .await;
    let page = browser.get(&format!("/t/acme/console/users/{id}")).await;
    assert_eq!(page.status, 200);
    let token = csrf(&page.body);
    let ban = format!("/t/acme/console/users/{id}/ban");
    for form in [
        vec![("reason", "spam")],
        vec![("reason", "spam"), ("csrf", "")],
        vec![("reason", "spam"), ("csrf", &token[..20])],
    ] {
        let refused = browser.post(&ban, &form).await;
        assert_eq!(refused.status, 403, "{form:?}");
        assert!(refused.body.contains("security token"));
    }
    // Another admin's session has another token.
    admin(&app, "other@example.com").await;
    let mut other = Browser::new(&app);
    other
        .sign_in("acme", "other@example.com", "correct horse")
        .await;
    let theirs = csrf(&other.get("/t/acme/console").await.body);
    assert_ne!(theirs, token);
    assert_eq!(browser.post(&ban, &[("csrf", &theirs)]).await.status, 403);
    assert_eq!(status_of(&app, id).await, "active");

    let done = browser
        .post(&ban, &[("csrf", &token), ("reason", "spam")])
        .await;
    assert_eq!(done.status, 303);
    assert_eq!(status_of(&app, id).await, "banned");
}

async fn an_admin_sees_nothing_of_another_tenant(b: Backend) {
    let app = TestApp::spawn(b).await;
    admin(&app, "admin@example.com").await;
    let (_, globex_key) = app.other_tenant("globex").await;
    let theirs = app
        .call_as(
            Some(&globex_key),
            reqwest::Method::POST,
            "/v1/users",
            Some(json!({"email": "secret@globex.example", "status": "active", "password": "correct horse", "roles": ["admin"]})),
        )
        .await;
    assert_eq!(theirs.status, 201);
    let id = theirs.body["id"].as_str().unwrap();

    let mut browser = Browser::new(&app);
    browser
        .sign_in("acme", "admin@example.com", "correct horse")
        .await;
    let token = csrf(&browser.get("/t/acme/console").await.body);
    // Their user's id under our tenant: not found, whatever the page or action.
    for path in [
        format!("/t/acme/console/users/{id}"),
        format!("/t/acme/console/users/{id}/deactivate"),
    ] {
        let page = browser.get(&path).await;
        assert_eq!(page.status, 404, "{path}");
        assert!(!page.body.contains("secret@globex.example"));
    }
    for action in ["ban", "logout", "deactivate", "edit"] {
        let page = browser
            .post(
                &format!("/t/acme/console/users/{id}/{action}"),
                &[("csrf", &token), ("first_name", "Mallory")],
            )
            .await;
        assert_eq!(page.status, 404, "{action}");
    }
    let theirs_now = app
        .call_as(
            Some(&globex_key),
            reqwest::Method::GET,
            &format!("/v1/users/{id}"),
            None,
        )
        .await;
    assert_eq!(theirs_now.body["status"], "active");
    assert_eq!(theirs_now.body["first_name"], serde_json::Value::Null);
    // Searching and the feed show only our tenant.
    let search = browser.get("/t/acme/console?q=globex").await;
    assert!(search.body.contains("No user matches"));
    let feed = browser.get("/t/acme/console/feed").await;
    assert!(!feed.body.contains(id));
    // Our session does not open their console; their console's pages send us to sign in there.
    for path in [
        "/t/globex/console",
        &format!("/t/globex/console/users/{id}"),
    ] {
        let page = browser.get(path).await;
        assert_eq!(page.status, 303, "{path}");
        assert_eq!(page.location.as_deref(), Some("/t/globex/console/sign-in"));
    }
    // Their admin cannot sign in to our console.
    let mut stranger = Browser::new(&app);
    let page = stranger
        .sign_in("acme", "secret@globex.example", "correct horse")
        .await;
    assert_eq!(page.status, 401);
    // A tenant that does not exist is not found.
    assert_eq!(browser.get("/t/initech/console").await.status, 404);
}

async fn a_banned_admins_console_session_stops_at_once(b: Backend) {
    let app = TestApp::spawn(b).await;
    admin(&app, "first@example.com").await;
    let second = admin(&app, "second@example.com").await;
    let mut browser = Browser::new(&app);
    browser
        .sign_in("acme", "second@example.com", "correct horse")
        .await;
    assert_eq!(browser.get("/t/acme/console").await.status, 200);
    let r = app
        .post(
            &format!("/v1/users/{second}/ban"),
            json!({"reason": "compromised"}),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let page = browser.get("/t/acme/console").await;
    assert_eq!(page.status, 303);
    assert_eq!(page.location.as_deref(), Some("/t/acme/console/sign-in"));
    // Unbanned, the old session stays ended; signing in again works.
    app.post(&format!("/v1/users/{second}/unban"), json!({}))
        .await;
    assert_eq!(browser.get("/t/acme/console").await.status, 303);
    let again = browser
        .sign_in("acme", "second@example.com", "correct horse")
        .await;
    assert_eq!(again.status, 303);
    // Taking the admin role ends their use of the console too.
    let r = app
        .call(
            reqwest::Method::DELETE,
            &format!("/v1/users/{second}/roles/admin"),
            None,
        )
        .await;
    assert!(r.status < 300, "{:?}", r.body);
    assert_eq!(browser.get("/t/acme/console").await.status, 303);
}

async fn deactivate_shows_the_hand_over_and_lands_in_the_timeline(b: Backend) {
    let app = TestApp::spawn(b).await;
    let me = admin(&app, "admin@example.com").await;
    let leaver = app
        .create_user(json!({"email": "leaver@example.com", "status": "active"}))
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let heir = app
        .create_user(json!({"email": "heir@example.com", "status": "active"}))
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let room = app
        .post("/v1/rooms", json!({"name": "general", "type": "channel"}))
        .await;
    let room = room.body["id"].as_str().unwrap().to_owned();
    for (user, role) in [(&leaver, "owner"), (&heir, "member")] {
        let r = app
            .post(
                &format!("/v1/rooms/{room}/members"),
                json!({"user_id": user, "role": role}),
            )
            .await;
        assert_eq!(r.status, 201, "{:?}", r.body);
    }
    let mut browser = Browser::new(&app);
    browser
        .sign_in("acme", "admin@example.com", "correct horse")
        .await;
    let preview = browser
        .get(&format!("/t/acme/console/users/{leaver}/deactivate"))
        .await;
    assert_eq!(preview.status, 200);
    assert!(preview.body.contains("<strong>general</strong> passes to"));
    assert!(preview.body.contains("heir@example.com"));
    // The preview changed nothing.
    assert_eq!(status_of(&app, &leaver).await, "active");
    let token = csrf(&preview.body);
    let done = browser
        .post(
            &format!("/t/acme/console/users/{leaver}/deactivate"),
            &[
                ("csrf", &token),
                ("reason", "left the company"),
                ("reference_id", "HR-42"),
            ],
        )
        .await;
    assert_eq!(done.status, 303);
    let page = browser.get(done.location.as_deref().unwrap()).await;
    assert!(page.body.contains("The user is deactivated"));
    assert!(page
        .body
        .contains("<strong class=\"action\">deactivated</strong>"));
    assert!(page.body.contains("HR-42"));
    let events = app.get(&format!("/v1/users/{leaver}/events")).await;
    let last = events.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "deactivated")
        .cloned()
        .unwrap();
    assert_eq!(last["channel"], "console");
    assert_eq!(last["actor"], format!("user:{me}"));
    assert_eq!(last["reference_id"], "HR-42");
    let room_now = app.get(&format!("/v1/rooms/{room}")).await;
    assert!(room_now.body["members"]
        .as_array()
        .unwrap()
        .iter()
        .any(|m| m["user_id"] == heir.as_str() && m["role"] == "owner"));

    // The last admin cannot be deactivated: a message on the page, not an error page.
    let refused = browser
        .get(&format!("/t/acme/console/users/{me}/deactivate"))
        .await;
    assert_eq!(refused.status, 409);
    assert!(refused.body.contains("last active admin"));
    assert!(refused.body.contains("role=\"alert\""));
    // An illegal transition likewise.
    let unban = browser
        .post(
            &format!("/t/acme/console/users/{leaver}/unban"),
            &[("csrf", &token)],
        )
        .await;
    assert_eq!(unban.status, 409);
    assert!(unban.body.contains("cannot be unbanned"));
    // The feed shows it, and filters by action.
    let feed = browser.get("/t/acme/console/feed?action=deactivated").await;
    assert!(feed.body.contains("HR-42"));
    assert!(!feed.body.contains("room_joined"));
}

async fn a_set_up_link_works_once(b: Backend) {
    let app = TestApp::spawn(b).await;
    let tenant = app.services.tenant("acme").await.unwrap();
    let token = app
        .services
        .issue_setup_link(tenant.id, None)
        .await
        .unwrap();
    let mut browser = Browser::new(&app);
    let page = browser
        .get(&format!("/t/acme/console/setup?token={token}"))
        .await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Create the first admin"));
    let form = [
        ("token", token.as_str()),
        ("email", "first@example.com"),
        ("password", "correct horse"),
        ("password_again", "correct horse"),
    ];
    let done = browser.post("/t/acme/console/setup", &form).await;
    assert_eq!(done.status, 303);
    assert!(browser.signed_in());
    assert_eq!(browser.get("/t/acme/console").await.status, 200);
    // Used: the page and the form refuse it.
    let mut again = Browser::new(&app);
    assert_eq!(
        again
            .get(&format!("/t/acme/console/setup?token={token}"))
            .await
            .status,
        410
    );
    let replay = again.post("/t/acme/console/setup", &form).await;
    assert_eq!(replay.status, 410);
    assert!(!again.signed_in());
    // Another tenant's console does not know the link.
    app.other_tenant("globex").await;
    let other = app
        .services
        .issue_setup_link(tenant.id, None)
        .await
        .unwrap();
    assert_eq!(
        again
            .get(&format!("/t/globex/console/setup?token={other}"))
            .await
            .status,
        410
    );
    // The new admin signs in with the password they set.
    let mut fresh = Browser::new(&app);
    assert_eq!(
        fresh
            .sign_in("acme", "first@example.com", "correct horse")
            .await
            .status,
        303
    );
}

async fn invite_and_edit_from_the_console(b: Backend) {
    let app = TestApp::spawn(b).await;
    admin(&app, "admin@example.com").await;
    let mut browser = Browser::new(&app);
    browser
        .sign_in("acme", "admin@example.com", "correct horse")
        .await;
    let token = csrf(&browser.get("/t/acme/console").await.body);
    let invited = browser
        .post(
            "/t/acme/console/invite",
            &[
                ("csrf", &token),
                ("email", "new@example.com"),
                ("first_name", "Nova"),
            ],
        )
        .await;
    assert_eq!(invited.status, 303);
    let location = invited.location.unwrap();
    assert!(location.ends_with("?done=invite"), "{location}");
    let page = browser.get(&location).await;
    assert!(page.body.contains("The user is invited"));
    assert!(
        page.body.contains("<td>invite</td>"),
        "the invite email is listed"
    );
    let id = location
        .split('/')
        .nth(5)
        .unwrap()
        .split('?')
        .next()
        .unwrap()
        .to_owned();
    let user = app.get(&format!("/v1/users/{id}")).await;
    assert_eq!(user.body["status"], "invited");
    assert_eq!(user.body["first_name"], "Nova");
    // The same email again is refused on the list page, with a message.
    let again = browser
        .post(
            "/t/acme/console/invite",
            &[("csrf", &token), ("email", "new@example.com")],
        )
        .await;
    assert_eq!(again.status, 409);
    assert!(again.body.contains("Invite refused") && again.body.contains("<title>Users"));
    // A bad phone number is named on the page; nothing changes.
    let edit = format!("/t/acme/console/users/{id}/edit");
    let bad = browser
        .post(
            &edit,
            &[
                ("csrf", &token),
                ("first_name", "Nova"),
                ("phone_number", "call me"),
            ],
        )
        .await;
    assert_eq!(bad.status, 422);
    assert!(bad.body.contains("phone number:"), "{}", bad.body);
    let good = browser
        .post(
            &edit,
            &[
                ("csrf", &token),
                ("first_name", "Nova"),
                ("last_name", "Star"),
                ("phone_number", "+14155550100"),
            ],
        )
        .await;
    assert_eq!(good.status, 303);
    let user = app.get(&format!("/v1/users/{id}")).await;
    assert_eq!(user.body["last_name"], "Star");
    assert_eq!(user.body["phone_number"], "+14155550100");
    // Re-send and revoke the invite.
    for action in ["resend-invite", "revoke-invite"] {
        let r = browser
            .post(
                &format!("/t/acme/console/users/{id}/{action}"),
                &[("csrf", &token)],
            )
            .await;
        assert_eq!(r.status, 303, "{action}");
    }
    assert_eq!(status_of(&app, &id).await, "revoked");
}

async fn cookies_are_secure_behind_https(b: Backend) {
    let app = TestApp::spawn(b).await;
    admin(&app, "admin@example.com").await;
    let http = no_redirects();
    let page = http
        .get(app.url("/t/acme/console/sign-in"))
        .header("x-forwarded-proto", "https")
        .send()
        .await
        .unwrap();
    let set = page.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(set.contains("HttpOnly") && set.contains("SameSite=Lax") && set.contains("; Secure"));
    let signin = set.split(';').next().unwrap().to_owned();
    let token = csrf(&page.text().await.unwrap());
    let res = http
        .post(app.url("/t/acme/console/sign-in"))
        .header("x-forwarded-proto", "https")
        .header("cookie", signin)
        .form(&[
            ("email", "admin@example.com"),
            ("password", "correct horse"),
            ("csrf", &token),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let session = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap())
        .find(|v| v.starts_with("roster_console=rss_"))
        .unwrap()
        .to_owned();
    assert!(session.contains("; Path=/t/acme/console;"), "{session}");
    assert!(
        session.contains("HttpOnly")
            && session.contains("SameSite=Lax")
            && session.ends_with("; Secure")
    );
    // Over plain http the cookie is not marked Secure (a browser would drop it).
    let plain = http
        .get(app.url("/t/acme/console/sign-in"))
        .send()
        .await
        .unwrap();
    assert!(!plain.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .contains("Secure"));
}

async fn make_admin_creates_or_promotes(b: Backend) {
    use roster::domain::fields::Email;
    use roster::service::Context;
    let app = TestApp::spawn(b).await;
    let tenant = app.services.tenant("acme").await.unwrap();
    let ctx = Context::operator(tenant.id);
    let email = |e: &str| Email::parse("email", e).unwrap();
    let made = app
        .services
        .make_admin(&ctx, email("ops@example.com"))
        .await
        .unwrap();
    assert_eq!(made.user.status.as_str(), "active");
    assert!(made.user.roles.iter().any(|r| r.as_str() == "admin"));
    app.create_user(json!({"email": "Invited@example.com"}))
        .await;
    let promoted = app
        .services
        .make_admin(&ctx, email("invited@example.com"))
        .await
        .unwrap();
    assert_eq!(promoted.user.status.as_str(), "active");
    assert!(promoted.user.roles.iter().any(|r| r.as_str() == "admin"));
    // Their link sets the password and signs them in.
    let token = app
        .services
        .issue_setup_link(tenant.id, Some(promoted.user.id))
        .await
        .unwrap();
    let mut browser = Browser::new(&app);
    let page = browser
        .get(&format!("/t/acme/console/setup?token={token}"))
        .await;
    assert!(page.body.contains("Invited@example.com"));
    let done = browser
        .post(
            "/t/acme/console/setup",
            &[
                ("token", &token),
                ("password", "correct horse"),
                ("password_again", "correct horse"),
            ],
        )
        .await;
    assert_eq!(done.status, 303);
    assert!(browser.signed_in());
}

async fn sign_in_attempts_are_limited_per_email(b: Backend) {
    // A clock that stands still: every attempt falls in one rate-limit window.
    let at = "2030-01-01T10:00:10Z".parse().unwrap();
    let (app, hand) = TestApp::spawn_at(b, at).await;
    admin(&app, "admin@example.com").await;
    let mut browser = Browser::new(&app);
    for _ in 0..10 {
        let page = browser.sign_in("acme", "admin@example.com", "guess").await;
        assert_eq!(page.status, 401);
    }
    let limited = browser
        .sign_in("acme", "ADMIN@example.com", "correct horse")
        .await;
    assert_eq!(limited.status, 429);
    assert!(limited.body.contains("Too many sign-in attempts"));
    assert!(!browser.signed_in());
    // Another email has its own budget; the next window starts afresh.
    assert_eq!(
        browser
            .sign_in("acme", "other@example.com", "x")
            .await
            .status,
        401
    );
    hand.advance(chrono::Duration::seconds(60));
    let page = browser
        .sign_in("acme", "admin@example.com", "correct horse")
        .await;
    assert_eq!(page.status, 303);
}

async fn a_long_timeline_pages_back(b: Backend) {
    let app = TestApp::spawn(b).await;
    admin(&app, "admin@example.com").await;
    let id = app
        .create_user(json!({"email": "busy@example.com", "status": "active"}))
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // Names hold letters only: Naa, Nab, … for the i-th edit.
    let name = |i: u8| format!("N{}{}", (b'a' + i / 26) as char, (b'a' + i % 26) as char);
    for i in 0..105 {
        let r = app
            .call(
                reqwest::Method::PATCH,
                &format!("/v1/users/{id}"),
                Some(json!({"first_name": name(i)})),
            )
            .await;
        assert_eq!(r.status, 200);
    }
    let mut browser = Browser::new(&app);
    browser
        .sign_in("acme", "admin@example.com", "correct horse")
        .await;
    let page = browser.get(&format!("/t/acme/console/users/{id}")).await;
    assert_eq!(page.body.matches("<li class=\"event\">").count(), 100);
    assert!(page.body.contains(&format!("value=\"{}\"", name(104))));
    let at = page.body.find("?before=").expect("a link to older events") + 8;
    let before: String = page.body[at..]
        .chars()
        .take_while(|c| c.is_ascii_digit())
        .collect();
    let older = browser
        .get(&format!("/t/acme/console/users/{id}?before={before}"))
        .await;
    assert_eq!(older.status, 200);
    // 105 edits and the creation: 6 older events, the oldest the creation.
    assert_eq!(older.body.matches("<li class=\"event\">").count(), 6);
    assert!(older
        .body
        .contains("<strong class=\"action\">created</strong>"));
    assert!(!older.body.contains("?before="));
    assert!(older.body.contains("Latest events"));
}
