//! Invites that really arrive: the outbox, SMTP delivery and invite acceptance.

use crate::backend_tests;
use crate::smtp::{Mode, SmtpSink};
use crate::support::{eventually, read, Backend, Server, TestApp, TestDb};
use reqwest::Method;
use roster::mail::{self, MailSettings, Transport};
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;

backend_tests!(
    a_village_invite_arrives_once_and_its_link_accepts,
    a_server_that_is_down_gets_the_email_later_once,
    withdrawn_invites_answer_410,
    an_old_link_never_sets_a_joined_users_password,
    resending_replaces_the_invite,
    a_non_ascii_local_part_goes_out_with_smtputf8,
    without_smtputf8_such_an_email_fails_at_once,
    two_workers_behind_a_slow_server_send_each_email_once,
);

/// Fast settings for tests: quick polls and retries.
fn settings() -> MailSettings {
    MailSettings {
        poll: Duration::from_millis(50),
        lease: Duration::from_secs(60),
        retry_base: Duration::from_millis(100),
        retry_cap: Duration::from_millis(400),
        ..MailSettings::default()
    }
}

/// Starts a delivery worker for `app` sending through `sink`; it stops with the returned sender.
fn worker(app: &TestApp, sink: &SmtpSink) -> tokio::sync::watch::Sender<bool> {
    worker_with(app, sink, settings())
}

fn worker_with(
    app: &TestApp,
    sink: &SmtpSink,
    settings: MailSettings,
) -> tokio::sync::watch::Sender<bool> {
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let transport = Transport::from_url(Some(&sink.url())).unwrap();
    tokio::spawn(mail::run(
        app.services.clone(),
        transport,
        settings,
        Arc::default(),
        stopped,
    ));
    stop
}

/// The invite token in an email's text.
fn token_in(email: &str) -> String {
    let unfolded = email.replace("=\n", "");
    let start = unfolded
        .find("/t/acme/invite/rsi_")
        .expect("an accept link")
        + "/t/acme/invite/".len();
    unfolded[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
        .collect()
}

async fn invite(app: &TestApp, email: &str) -> String {
    let r = app
        .post(
            "/networks/acme/user_status",
            json!({"user": email, "status_change": "create_user", "send_email": true}),
        )
        .await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    r.body["user"]["id"].as_str().unwrap().to_owned()
}

async fn accept(app: &TestApp, token: &str, password: &str) -> crate::support::Reply {
    app.call_as(
        None,
        Method::POST,
        "/t/acme/v1/invites/accept",
        Some(json!({"token": token, "password": password})),
    )
    .await
}

async fn emails(app: &TestApp, user: &str) -> Vec<Value> {
    app.get(&format!("/v1/emails?user={user}")).await.body["data"]
        .as_array()
        .unwrap()
        .clone()
}

async fn a_village_invite_arrives_once_and_its_link_accepts(b: Backend) {
    let app = TestApp::spawn(b).await;
    let sink = SmtpSink::start(Mode::Up).await;
    let _worker = worker(&app, &sink);
    let user = invite(&app, "guest@example.com").await;
    let messages = eventually(|| async { Some(sink.messages()).filter(|m| !m.is_empty()) }).await;
    let email = &messages[0];
    assert!(email.contains("To: guest@example.com"), "{email}");
    assert!(email.contains("Subject: You're invited to Acme"), "{email}");
    assert!(email.contains("Message-ID: <"), "{email}");
    let token = token_in(email);

    let page = read(
        app.http
            .get(app.url(&format!("/t/acme/invite/{token}")))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(page.status, 200);
    assert!(page.body.as_str().unwrap().contains("Accept your invite"));

    assert_eq!(
        accept(&app, &token, "short").await.status,
        422,
        "a password of 8 or more"
    );
    let r = accept(&app, &token, "my new password").await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    assert_eq!(r.body["user"]["status"], "active");
    let session = r.body["token"].as_str().unwrap();
    assert_eq!(
        app.call_as(Some(session), Method::GET, "/v1/sessions/current", None)
            .await
            .status,
        200
    );
    assert_eq!(
        app.post(
            "/v1/sessions",
            json!({"email": "guest@example.com", "password": "my new password"})
        )
        .await
        .status,
        201
    );
    let again = accept(&app, &token, "my new password").await;
    assert_eq!(again.status, 410);
    assert!(again.body["detail"]
        .as_str()
        .unwrap()
        .contains("already accepted"));

    let status = eventually(|| async {
        Some(emails(&app, &user).await).filter(|e| e[0]["status"] == "sent")
    })
    .await;
    assert_eq!(status.len(), 1);
    assert_eq!(status[0]["attempts"], 1);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(sink.messages().len(), 1, "delivered exactly once");
    // An unknown token, or one used under another tenant's base URL, is not found.
    assert_eq!(
        accept(&app, "rsi_nonsense", "my new password").await.status,
        404
    );
}

async fn a_server_that_is_down_gets_the_email_later_once(b: Backend) {
    let app = TestApp::spawn(b).await;
    let sink = SmtpSink::start(Mode::Down).await;
    let _worker = worker(&app, &sink);
    let user = invite(&app, "later@example.com").await;
    let failing = eventually(|| async {
        Some(emails(&app, &user).await).filter(|e| e[0]["attempts"].as_i64() >= Some(2))
    })
    .await;
    assert_ne!(failing[0]["status"], "sent");
    assert!(failing[0]["last_error"].is_string());
    assert!(sink.messages().is_empty());
    sink.set(Mode::Up);
    eventually(|| async { Some(emails(&app, &user).await).filter(|e| e[0]["status"] == "sent") })
        .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(sink.messages().len(), 1, "delivered once");
}

async fn withdrawn_invites_answer_410(b: Backend) {
    let app = TestApp::spawn(b).await;
    let sink = SmtpSink::start(Mode::Up).await;
    let _worker = worker(&app, &sink);
    invite(&app, "revoked@example.com").await;
    invite(&app, "banned@example.com").await;
    let messages = eventually(|| async { Some(sink.messages()).filter(|m| m.len() == 2) }).await;
    for (who, change) in [
        ("revoked@example.com", "revoke_invite"),
        ("banned@example.com", "ban"),
    ] {
        let email = messages
            .iter()
            .find(|m| m.contains(&format!("To: {who}")))
            .unwrap();
        let r = app
            .post(
                "/networks/acme/user_status",
                json!({"user": who, "status_change": change}),
            )
            .await;
        assert_eq!(r.status, 201);
        let gone = accept(&app, &token_in(email), "a fine password").await;
        assert_eq!(gone.status, 410, "{change}: {:?}", gone.body);
        assert!(gone.body["detail"].as_str().unwrap().contains("withdrawn"));
    }
}

async fn resending_replaces_the_invite(b: Backend) {
    let app = TestApp::spawn(b).await;
    let sink = SmtpSink::start(Mode::Up).await;
    let _worker = worker(&app, &sink);
    let user = invite(&app, "twice@example.com").await;
    let first = eventually(|| async { sink.messages().first().cloned() }).await;
    let r = app
        .post(&format!("/v1/users/{user}/invite"), json!({}))
        .await;
    assert_eq!(r.status, 202, "{:?}", r.body);
    let both = eventually(|| async { Some(sink.messages()).filter(|m| m.len() == 2) }).await;
    assert_eq!(
        accept(&app, &token_in(&first), "a fine password")
            .await
            .status,
        410,
        "the old link died"
    );
    assert_eq!(
        accept(&app, &token_in(&both[1]), "a fine password")
            .await
            .status,
        201
    );
    let active = app
        .post(&format!("/v1/users/{user}/invite"), json!({}))
        .await;
    assert_eq!(active.status, 409, "only an invited user is invited again");
    assert_eq!(emails(&app, &user).await.len(), 2);
}

/// Two workers (as two roster processes would) drain a queue behind a server that takes 400 ms
/// an email: together longer than a claim's lease (the 1 s timeout + 5 s). Each worker claims
/// one email at a time, so no lease runs out while its worker is still sending, and no email
/// goes out twice (they did when a worker claimed twenty and sent them one after the other).
async fn two_workers_behind_a_slow_server_send_each_email_once(b: Backend) {
    let app = TestApp::spawn(b).await;
    let sink = SmtpSink::start(Mode::Up).await;
    sink.slow_down(Duration::from_millis(400));
    let mut users = Vec::new();
    for i in 0..20 {
        users.push(invite(&app, &format!("queued{i}@example.com")).await);
    }
    let slow = MailSettings {
        lease: Duration::from_secs(1),
        timeout: Duration::from_secs(1),
        ..settings()
    };
    let _first = worker_with(&app, &sink, slow.clone());
    let _second = worker_with(&app, &sink, slow);
    let ids = || {
        sink.messages()
            .iter()
            .map(|m| {
                m.lines()
                    .find(|l| l.starts_with("Message-ID:"))
                    .expect("a Message-ID")
                    .to_owned()
            })
            .collect::<Vec<_>>()
    };
    eventually(|| async {
        let mut distinct = ids();
        distinct.sort();
        distinct.dedup();
        (distinct.len() == users.len()).then_some(())
    })
    .await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let all = ids();
    let mut distinct = all.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(all.len(), distinct.len(), "an email went out twice");
    for user in &users {
        let e = emails(&app, user).await;
        assert_eq!((e.len(), &e[0]["status"]), (1, &json!("sent")), "{e:?}");
        assert_eq!(e[0]["attempts"], 1, "{e:?}");
    }
}

/// Roster killed after claiming an email and before sending it: after a restart the email is
/// delivered, once.
async fn a_claimed_email_survives_a_kill(b: Backend) {
    let db = TestDb::new(b).await;
    let sink = SmtpSink::start(Mode::Hang).await;
    let url = sink.url();
    let env = [
        ("SMTP_URL", url.as_str()),
        ("ROSTER_MAIL_LEASE", "1s"),
        // The lease is then 7 s (the timeout + 5 s): the kill comes long before the timeout.
        ("ROSTER_MAIL_TIMEOUT", "2s"),
        ("ROSTER_MAIL_POLL", "50ms"),
    ];
    let first = Server::start(&db.url, &env);
    let key = first.key.clone().unwrap();
    let http = reqwest::Client::new();
    let base = format!("http://{}", first.addr);
    let created: Value = http
        .post(format!("{base}/networks/default/user_status"))
        .bearer_auth(&key)
        .json(&json!({"user": "crash@example.com", "status_change": "create_user", "send_email": true}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let user = created["user"]["id"].as_str().unwrap().to_owned();
    let state = |base: String| {
        let (http, key, user) = (http.clone(), key.clone(), user.clone());
        async move {
            let r: Value = http
                .get(format!("{base}/v1/emails?user={user}"))
                .bearer_auth(&key)
                .send()
                .await
                .ok()?
                .json()
                .await
                .ok()?;
            r["data"].as_array()?.first().cloned()
        }
    };
    // Claimed, and stuck talking to a server that never answers.
    eventually(|| async {
        state(base.clone())
            .await
            .filter(|e| e["status"] == "sending")
    })
    .await;
    first.kill();
    sink.set(Mode::Up);
    let second = Server::start(&db.url, &env);
    let base = format!("http://{}", second.addr);
    let sent =
        eventually(|| async { state(base.clone()).await.filter(|e| e["status"] == "sent") }).await;
    assert_eq!(sent["attempts"], 2);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(
        sink.messages().len(),
        1,
        "delivered after the restart, and only once"
    );
    second.kill();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_claimed_email_survives_a_kill_sqlite() {
    a_claimed_email_survives_a_kill(Backend::Sqlite).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_claimed_email_survives_a_kill_postgres() {
    if crate::support::postgres_url().is_some() {
        a_claimed_email_survives_a_kill(Backend::Postgres).await
    }
}

/// An invite is for joining: once the user has joined another way, or their email changed,
/// a leftover link is void.
async fn an_old_link_never_sets_a_joined_users_password(b: Backend) {
    let app = TestApp::spawn(b).await;
    let sink = SmtpSink::start(Mode::Up).await;
    let _worker = worker(&app, &sink);
    let activated = invite(&app, "joined@example.com").await;
    let moved = invite(&app, "typo@exmaple.com").await;
    let messages = eventually(|| async { Some(sink.messages()).filter(|m| m.len() == 2) }).await;
    let link = |to: &str| {
        token_in(
            messages
                .iter()
                .find(|m| m.contains(&format!("To: {to}")))
                .unwrap(),
        )
    };
    assert_eq!(
        app.post(&format!("/v1/users/{activated}/activate"), json!({}))
            .await
            .status,
        200
    );
    let r = app
        .call(
            Method::PATCH,
            &format!("/v1/users/{moved}"),
            Some(json!({"email": "right@example.com"})),
        )
        .await;
    assert_eq!(r.status, 200);
    for (who, token) in [
        ("activated", link("joined@example.com")),
        ("email changed", link("typo@exmaple.com")),
    ] {
        let r = accept(&app, &token, "attacker password").await;
        assert_eq!(r.status, 410, "{who}: {:?}", r.body);
    }
    assert_eq!(
        app.post(
            "/v1/sessions",
            json!({"email": "joined@example.com", "password": "attacker password"})
        )
        .await
        .status,
        401
    );
}

/// The MAIL command of the envelope whose RCPT names `to`.
fn mail_command_for(envelopes: &[String], to: &str) -> String {
    let rcpt = envelopes
        .iter()
        .position(|l| l == &format!("RCPT TO:<{to}>"))
        .unwrap_or_else(|| panic!("a RCPT TO:<{to}> in {envelopes:?}"));
    let mail = envelopes[..rcpt]
        .iter()
        .rev()
        .find(|l| l.starts_with("MAIL FROM:"))
        .unwrap();
    mail.clone()
}

async fn a_non_ascii_local_part_goes_out_with_smtputf8(b: Backend) {
    let app = TestApp::spawn(b).await;
    let sink = SmtpSink::start(Mode::Up).await;
    sink.offer_smtputf8(true);
    let _worker = worker(&app, &sink);
    invite(&app, "Kåre@Bücher.de").await;
    invite(&app, "ascii@bücher.de").await;
    invite(&app, "plain@example.com").await;
    let messages = eventually(|| async { Some(sink.messages()).filter(|m| m.len() == 3) }).await;
    let envelopes = sink.envelopes();
    // The domain travels as its A-label, so only the local part needs SMTPUTF8.
    let utf8 = mail_command_for(&envelopes, "Kåre@xn--bcher-kva.de");
    assert!(utf8.contains(" SMTPUTF8"), "{utf8}");
    for ascii in ["ascii@xn--bcher-kva.de", "plain@example.com"] {
        let mail = mail_command_for(&envelopes, ascii);
        assert!(!mail.contains("SMTPUTF8"), "{mail}");
    }
    assert!(
        messages
            .iter()
            .any(|m| m.contains("To: Kåre@xn--bcher-kva.de")),
        "the header names the address unmangled: {messages:?}"
    );
}

async fn without_smtputf8_such_an_email_fails_at_once(b: Backend) {
    let app = TestApp::spawn(b).await;
    let sink = SmtpSink::start(Mode::Up).await;
    let _worker = worker(&app, &sink);
    let user = invite(&app, "kåre@example.com").await;
    let failed = eventually(|| async {
        Some(emails(&app, &user).await).filter(|e| e[0]["status"] == "failed")
    })
    .await;
    assert_eq!(
        failed[0]["attempts"], 1,
        "no retry adds SMTPUTF8 to the server"
    );
    assert!(
        failed[0]["last_error"]
            .as_str()
            .unwrap()
            .contains("SMTPUTF8"),
        "{:?}",
        failed[0]
    );
    assert!(sink.messages().is_empty(), "nothing was sent mangled");
    // An ASCII address still goes out through the same server.
    invite(&app, "kare@example.com").await;
    eventually(|| async { Some(sink.messages()).filter(|m| m.len() == 1) }).await;
}
