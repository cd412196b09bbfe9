//! What real clients and hostile input found: bodies with more after their JSON, keep-alive
//! connections after an early answer, internationalized email addresses.

use crate::backend_tests;
use crate::support::{read, Backend, Reply, TestApp};
use reqwest::Method;
use serde_json::json;
use std::net::SocketAddr;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

backend_tests!(
    json_with_more_after_it_is_refused_by_every_api,
    keep_alive_survives_answers_given_before_the_body,
    a_stalled_body_closes_its_connection_with_notice,
    an_internationalized_address_is_one_user_in_every_spelling,
    look_alike_and_invisible_addresses_are_refused_naming_the_field,
);

/// Sends `body` as it is, with a JSON content type, and `headers`.
async fn raw(app: &TestApp, path: &str, headers: &[(&str, String)], body: &str) -> Reply {
    let mut req = app
        .http
        .post(app.url(path))
        .header("content-type", "application/json")
        .body(body.to_owned());
    for (name, value) in headers {
        req = req.header(*name, value);
    }
    read(req.send().await.expect("request sent")).await
}

async fn user_count(app: &TestApp) -> usize {
    app.get("/v1/users").await.body["data"]
        .as_array()
        .unwrap()
        .len()
}

const TRAILING: [&str; 4] = [
    r#"{"email":"a@x.com"}}}junk"#,
    r#"{"email":"a@x.com"}{"email":"b@x.com"}"#,
    r#"{"email":"a@x.com"} ,"#,
    "{\"email\":\"a@x.com\"}\n\u{0}",
];

async fn json_with_more_after_it_is_refused_by_every_api(b: Backend) {
    let app = TestApp::spawn(b).await;
    let bearer = [("authorization", format!("Bearer {}", app.key))];
    let publica = [("x-user-token", app.key.clone())];
    let regpack = [
        ("Api-token", app.key.clone()),
        ("Api-id", app.tenant_number().await.to_string()),
        ("Api-user", "admin@acme.test".to_owned()),
        ("Timestamp", chrono::Utc::now().timestamp().to_string()),
    ];
    let group = app.post("/v1/groups", json!({"key": "g"})).await.body["id"].clone();
    for body in TRAILING {
        let r = raw(&app, "/v1/users", &bearer, body).await;
        assert_eq!(r.status, 400, "native {body:?}: {:?}", r.body);
        assert_eq!(r.body["type"], "urn:roster:problem:malformed");
        assert!(
            r.body["detail"]
                .as_str()
                .unwrap()
                .contains("only whitespace may follow the JSON value"),
            "{:?}",
            r.body
        );

        let village = body.replace("\"email\"", "\"status_change\":\"create_user\",\"user\"");
        let r = raw(&app, "/networks/acme/user_status", &bearer, &village).await;
        assert_eq!(r.status, 400, "Village {village:?}: {:?}", r.body);
        assert_eq!(r.body["error"]["code"], "bad_request");

        // Publica.la answers every unreadable body in Laravel's validation envelope.
        let r = raw(&app, "/integration-api/v1/dashboard/users", &publica, body).await;
        assert_eq!(r.status, 422, "Publica {body:?}: {:?}", r.body);
        assert!(r.body["errors"]["body"][0]
            .as_str()
            .unwrap()
            .contains("only whitespace may follow"));

        // The same member in Regpack's `doc`: `{"action":…,"doc":{"email":…}}` and then the rest.
        let doc = body
            .replacen(
                "{",
                &format!("{{\"action\":\"create\",\"group_id\":{group},\"doc\":{{"),
                1,
            )
            .replacen('}', "}}", 1);
        let r = raw(&app, "/reg/api2/users/", &regpack, &doc).await;
        assert_eq!(r.status, 400, "Regpack {doc:?}: {:?}", r.body);
        assert_eq!(r.body["success"], false);
        assert!(r.body["msg"]
            .as_str()
            .unwrap()
            .contains("only whitespace may follow"));
    }
    assert_eq!(user_count(&app).await, 0, "no API created a user");

    // Rocket.Chat: a login with more after its body opens no session; a status change is not made.
    let user = app
        .create_user(
            json!({"email": "rc@x.com", "status": "active", "password": "a long password",
                            "roles": ["admin"]}),
        )
        .await;
    let id = user["id"].as_str().unwrap();
    let login = r#"{"user":"rc@x.com","password":"a long password"}{"user":"x"}"#;
    let r = raw(&app, "/t/acme/api/v1/login", &[], login).await;
    assert_eq!(r.status, 400, "{:?}", r.body);
    assert_eq!(r.body["success"], false);
    let sessions = app.get(&format!("/v1/users/{id}/sessions")).await;
    assert_eq!(sessions.body["data"], json!([]), "no session was opened");
    let r = app
        .call_as(
            None,
            Method::POST,
            "/t/acme/api/v1/login",
            Some(json!({"user": "rc@x.com", "password": "a long password"})),
        )
        .await;
    let (uid, token) = (
        r.body["data"]["userId"].as_str().unwrap().to_owned(),
        r.body["data"]["authToken"].as_str().unwrap().to_owned(),
    );
    let change = format!(r#"{{"activeStatus":false,"userId":"{id}"}} junk"#);
    let r = raw(
        &app,
        "/api/v1/users.setActiveStatus",
        &[("x-user-id", uid), ("x-auth-token", token)],
        &change,
    )
    .await;
    assert_eq!(r.status, 400, "{:?}", r.body);
    assert_eq!(r.body["success"], false);
    assert_eq!(
        app.get(&format!("/v1/users/{id}")).await.body["status"],
        "active"
    );
}

/// An answer read off a connection by hand.
struct Answer {
    status: u16,
    /// The answer said `Connection: close`.
    close: bool,
}

/// One HTTP/1.1 connection, spoken by hand, as a keep-alive client uses it.
struct Conn {
    addr: SocketAddr,
    stream: TcpStream,
}

impl Conn {
    async fn open(addr: SocketAddr) -> Self {
        let stream = TcpStream::connect(addr).await.expect("connect");
        stream.set_nodelay(true).unwrap();
        Conn { addr, stream }
    }

    /// Sends `head`, then `body` in a write of its own while the answer is read, as a client
    /// that streams its body does; the server may answer before all of the body is there.
    /// None: the connection ended without an answer.
    async fn exchange(&mut self, head: &str, body: &[u8]) -> Option<Answer> {
        let stream = &mut self.stream;
        if stream.write_all(head.as_bytes()).await.is_err() {
            return None;
        }
        let (mut rd, mut wr) = stream.split();
        let send = async move {
            tokio::task::yield_now().await;
            // The server may stop reading a body it refuses; a failed write is its right.
            let _ = wr.write_all(body).await;
        };
        let mut rd = BufReader::new(&mut rd);
        let (answer, ()) = tokio::join!(read_answer(&mut rd), send);
        // Anything `rd` buffered past the answer would be a second answer: there is none.
        assert!(rd.buffer().is_empty(), "bytes after the answer");
        answer
    }

    /// After an answer with `Connection: close`: the server ends the connection.
    async fn expect_closed_and_reopen(&mut self) {
        let mut rest = Vec::new();
        // A reset (unread bytes of ours at the server) ends it as well as a FIN.
        let _ = self.stream.read_to_end(&mut rest).await;
        assert!(rest.is_empty(), "nothing follows a closing answer");
        *self = Conn::open(self.addr).await;
    }
}

async fn read_answer<R: tokio::io::AsyncBufRead + Unpin>(rd: &mut R) -> Option<Answer> {
    let mut line = String::new();
    if rd.read_line(&mut line).await.ok()? == 0 {
        return None;
    }
    let status = line.split_whitespace().nth(1)?.parse().ok()?;
    let (mut close, mut length) = (false, 0usize);
    loop {
        line.clear();
        rd.read_line(&mut line).await.ok()?;
        let header = line.trim_end();
        if header.is_empty() {
            break;
        }
        let (name, value) = header.split_once(':')?;
        let value = value.trim().to_ascii_lowercase();
        match name.to_ascii_lowercase().as_str() {
            "connection" => close |= value.split(',').any(|v| v.trim() == "close"),
            "content-length" => length = value.parse().ok()?,
            "transfer-encoding" => panic!("roster's error answers have a length"),
            _ => {}
        }
    }
    let mut body = vec![0; length];
    rd.read_exact(&mut body).await.ok()?;
    Some(Answer { status, close })
}

fn request(method: &str, path: &str, key: &str, headers: &str, body_len: usize) -> String {
    let length = if body_len > 0 || method == "POST" {
        format!("content-type: application/json\r\ncontent-length: {body_len}\r\n")
    } else {
        String::new()
    };
    format!(
        "{method} {path} HTTP/1.1\r\nhost: roster\r\nauthorization: Bearer {key}\r\n{length}{headers}\r\n"
    )
}

/// A JSON body of about `n` bytes.
fn body_of(n: usize) -> Vec<u8> {
    let mut b = format!("{{\"email\":\"a@x.com\",\"first_name\":\"{}", "A".repeat(n)).into_bytes();
    b.extend_from_slice(b"\"}");
    b
}

async fn keep_alive_survives_answers_given_before_the_body(b: Backend) {
    let app = TestApp::spawn(b).await;
    app.other_tenant("rival").await;
    let village = json!({"user": "n@x.com", "status_change": "create_user"}).to_string();
    let small = body_of(2_000);
    let large = body_of(80 * 1024);
    let huge = body_of(1024 * 1024);
    // (what, request head, body, expected status, the connection may stay open)
    let cases: Vec<(&str, String, &[u8], u16, bool)> = vec![
        (
            "a bad key with a body",
            request("POST", "/v1/users", "rst_wrong", "", small.len()),
            &small,
            401,
            true,
        ),
        (
            "another tenant's base URL",
            request(
                "POST",
                "/t/rival/networks/acme/user_status",
                &app.key,
                "",
                village.len(),
            ),
            village.as_bytes(),
            404,
            true,
        ),
        (
            "a bad key with a body above the limit",
            request("POST", "/v1/users", "rst_wrong", "", large.len()),
            &large,
            401,
            false,
        ),
        (
            "a body above the limit",
            request("POST", "/v1/users", &app.key, "", huge.len()),
            &huge,
            413,
            false,
        ),
        (
            "a chunked body above the limit",
            request(
                "POST",
                "/v1/users",
                &app.key,
                "transfer-encoding: chunked\r\n",
                0,
            )
            .replace("content-length: 0\r\n", ""),
            b"",
            413,
            false,
        ),
        (
            "a bodyless GET with a bad key",
            request("GET", "/v1/users", "rst_wrong", "", 0),
            b"",
            401,
            true,
        ),
        (
            "a GET of an unknown route",
            request("GET", "/v1/nowhere", &app.key, "", 0),
            b"",
            404,
            true,
        ),
    ];
    let chunked: Vec<u8> = {
        let chunk = vec![b' '; 16 * 1024];
        let mut out = Vec::new();
        out.extend_from_slice(b"1\r\n{\r\n");
        for _ in 0..8 {
            out.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
            out.extend_from_slice(&chunk);
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(b"0\r\n\r\n");
        out
    };
    let follow_up = request("GET", "/v1/users?limit=1", &app.key, "", 0);
    let mut conn = Conn::open(app.addr).await;
    for round in 0..20 {
        for (what, head, body, status, may_stay) in &cases {
            let body: &[u8] = if what.starts_with("a chunked") {
                &chunked
            } else {
                body
            };
            let a = conn
                .exchange(head, body)
                .await
                .unwrap_or_else(|| panic!("round {round}, {what}: no answer"));
            assert_eq!(a.status, *status, "round {round}, {what}");
            if a.close {
                assert!(
                    !may_stay,
                    "round {round}, {what}: closed a connection it could keep"
                );
                conn.expect_closed_and_reopen().await;
            }
            let next = conn.exchange(&follow_up, b"").await.unwrap_or_else(|| {
                panic!("round {round}, after {what}: the connection died without Connection: close")
            });
            assert_eq!(next.status, 200, "round {round}, after {what}");
            assert!(!next.close, "a good request keeps its connection");
        }
    }
    assert_eq!(user_count(&app).await, 0);
}

/// A body that stops arriving is not waited for long: the answer comes, and says it closes.
async fn a_stalled_body_closes_its_connection_with_notice(b: Backend) {
    let app = TestApp::spawn(b).await;
    let mut conn = Conn::open(app.addr).await;
    let head = request("POST", "/v1/users", "rst_wrong", "", 100);
    let a = conn
        .exchange(&head, b"{\"email\":")
        .await
        .expect("an answer");
    assert_eq!(a.status, 401);
    assert!(a.close, "the rest of the body never came");
    conn.expect_closed_and_reopen().await;
    let next = conn
        .exchange(&request("GET", "/v1/users", &app.key, "", 0), b"")
        .await
        .expect("a new connection serves");
    assert_eq!(next.status, 200);
}

/// `kåre@bücher.de` as a client may spell it: composed or decomposed å, any case, the domain as
/// its A-label.
const KARE: &str = "Kåre@Bücher.de";
const SPELLINGS: [&str; 4] = [
    "kåre@bücher.de",
    "KA\u{30A}RE@BU\u{308}CHER.DE",
    "KÅRE@xn--bcher-kva.de",
    "ka\u{30A}re@XN--BCHER-KVA.DE",
];

async fn an_internationalized_address_is_one_user_in_every_spelling(b: Backend) {
    let app = TestApp::spawn(b).await;
    let user = app
        .create_user(json!({"email": KARE, "status": "active", "password": "a long password"}))
        .await;
    assert_eq!(user["email"], KARE, "stored as written");
    let id = user["id"].as_str().unwrap();
    let enc = |s: &str| {
        percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
    };
    for spelling in SPELLINGS {
        let r = app.post("/v1/users", json!({"email": spelling})).await;
        assert_eq!(r.status, 409, "native create {spelling:?}: {:?}", r.body);
        assert_eq!(r.body["errors"][0]["field"], "email");

        let r = app.get(&format!("/v1/users?email={}", enc(spelling))).await;
        assert_eq!(r.body["data"][0]["id"], id, "native filter {spelling:?}");

        let r = app
            .post(
                "/v1/sessions",
                json!({"email": spelling, "password": "a long password"}),
            )
            .await;
        assert_eq!(r.status, 201, "login {spelling:?}: {:?}", r.body);

        let r = app
            .post(
                "/networks/acme/user_status",
                json!({"user": spelling, "status_change": "create_user"}),
            )
            .await;
        assert_eq!(
            r.body["created"], false,
            "Village create {spelling:?}: {:?}",
            r.body
        );
        assert_eq!(r.body["user"]["id"], id);
        let r = app
            .call(
                Method::PATCH,
                &format!("/networks/acme/users/{}", enc(spelling)),
                Some(json!({"first_name": "Kåre"})),
            )
            .await;
        assert_eq!(r.status, 200, "Village patch {spelling:?}: {:?}", r.body);

        let publica = |path: String| {
            let req = app
                .http
                .get(app.url(&path))
                .header("x-user-token", &app.key);
            async move { read(req.send().await.unwrap()).await }
        };
        let r = publica(format!(
            "/integration-api/v1/dashboard/users/{}",
            enc(spelling)
        ))
        .await;
        assert_eq!(r.status, 200, "Publica read {spelling:?}: {:?}", r.body);
        let r = publica(format!(
            "/integration-api/v1/dashboard/users?email={}",
            enc(spelling)
        ))
        .await;
        assert_eq!(
            r.body["data"]["paginator"]["data"].as_array().map(Vec::len),
            Some(1),
            "Publica filter {spelling:?}: {:?}",
            r.body
        );
    }
    // Regpack: each spelling, enrolled in a group of its own, is the same person.
    let regpack = [
        ("Api-token", app.key.clone()),
        ("Api-id", app.tenant_number().await.to_string()),
        ("Api-user", "admin@acme.test".to_owned()),
        ("Timestamp", chrono::Utc::now().timestamp().to_string()),
    ];
    for (i, spelling) in SPELLINGS.iter().enumerate() {
        let group = app
            .post("/v1/groups", json!({"key": format!("g{i}")}))
            .await;
        let body =
            json!({"action": "create", "group_id": group.body["id"], "doc": {"email": spelling}});
        let r = raw(&app, "/reg/api2/users/", &regpack, &body.to_string()).await;
        assert_eq!(r.status, 200, "Regpack {spelling:?}: {:?}", r.body);
        assert_eq!(r.body["user_info"]["clogin_id"], user["number"].to_string());
    }
    assert_eq!(user_count(&app).await, 1);
    // A different address is a different user.
    let r = app
        .post("/v1/users", json!({"email": "kare@bücher.de"}))
        .await;
    assert_eq!(r.status, 201, "{:?}", r.body);
}

async fn look_alike_and_invisible_addresses_are_refused_naming_the_field(b: Backend) {
    let app = TestApp::spawn(b).await;
    for (bad, named) in [
        ("kåre\u{FF20}example.com", "U+FF20"),
        ("kå\u{200B}re@example.com", "U+200B"),
        ("kå\u{200D}re@example.com", "U+200D"),
        ("kåre@exam\u{AD}ple.com", "U+00AD"),
        ("kå\u{202E}re@example.com", "U+202E"),
        ("kå re@example.com", "whitespace"),
    ] {
        let r = app.post("/v1/users", json!({"email": bad})).await;
        assert_eq!(r.status, 422, "native {bad:?}: {:?}", r.body);
        assert_eq!(r.body["errors"][0]["field"], "email");
        assert!(
            r.body["errors"][0]["message"]
                .as_str()
                .unwrap()
                .contains(named),
            "{:?}",
            r.body
        );

        let r = app
            .post(
                "/networks/acme/user_status",
                json!({"user": bad, "status_change": "create_user"}),
            )
            .await;
        // Village answers every bad value as its 400 `bad_request`.
        assert_eq!(r.status, 400, "Village {bad:?}: {:?}", r.body);
        assert_eq!(r.body["error"]["fields"][0]["field"], "user");
        assert!(
            r.body["error"]["message"].as_str().unwrap().contains(named),
            "{:?}",
            r.body
        );

        let r = read(
            app.http
                .post(app.url("/integration-api/v1/dashboard/users"))
                .header("x-user-token", &app.key)
                .json(&json!({"email": bad, "external_id": "x"}))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(r.status, 422, "Publica {bad:?}: {:?}", r.body);
        assert!(
            r.body["errors"]["email"][0]
                .as_str()
                .unwrap()
                .contains(named),
            "{:?}",
            r.body
        );
    }
    assert_eq!(user_count(&app).await, 0);
}
