//! Outages and crashes: a database that goes away, and a roster killed mid-write.

use crate::support::{postgres_url, with_database, Backend, Server, TestApp, TestDb};
use futures::future::join_all;
use roster::store::{PoolOptions, Store};
use serde_json::json;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::AbortHandle;

/// A TCP relay to Postgres that the test can cut and restore, standing in for a database
/// that crashes, restarts or drops off the network.
struct Relay {
    port: u16,
    up: Arc<AtomicBool>,
    links: Arc<Mutex<Vec<AbortHandle>>>,
}

impl Relay {
    async fn start(target: String) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let up = Arc::new(AtomicBool::new(true));
        let links: Arc<Mutex<Vec<AbortHandle>>> = Arc::default();
        let (up2, links2) = (up.clone(), links.clone());
        tokio::spawn(async move {
            loop {
                let Ok((mut client, _)) = listener.accept().await else {
                    continue;
                };
                if !up2.load(Ordering::SeqCst) {
                    drop(client);
                    continue;
                }
                let target = target.clone();
                let link = tokio::spawn(async move {
                    if let Ok(mut server) = TcpStream::connect(&target).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                });
                links2.lock().unwrap().push(link.abort_handle());
            }
        });
        Relay { port, up, links }
    }

    fn cut(&self) {
        self.up.store(false, Ordering::SeqCst);
        for link in self.links.lock().unwrap().drain(..) {
            link.abort();
        }
    }

    fn restore(&self) {
        self.up.store(true, Ordering::SeqCst);
    }
}

/// host:port of a postgres:// URL.
fn host_port(url: &str) -> String {
    let after_scheme = &url[url.find("://").unwrap() + 3..];
    let authority = after_scheme.split('/').next().unwrap();
    let host = authority.rsplit('@').next().unwrap();
    if host.contains(':') {
        host.to_owned()
    } else {
        format!("{host}:5432")
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_outage_answers_503_and_recovers_without_restart() {
    let Some(admin) = postgres_url() else { return };
    let db = TestDb::new(Backend::Postgres).await;
    let relay = Relay::start(host_port(&admin)).await;
    let name = db
        .url
        .rsplit('/')
        .next()
        .unwrap()
        .split('?')
        .next()
        .unwrap()
        .to_owned();
    let relayed = with_database(&admin, &name).replacen(
        &host_port(&admin),
        &format!("127.0.0.1:{}", relay.port),
        1,
    );
    let options = PoolOptions {
        max_connections: 4,
        acquire_timeout: Duration::from_millis(500),
    };
    let store = Store::connect(&relayed, &options).await.unwrap();
    store.migrate().await.unwrap();
    let app = TestApp::spawn_with(db, store).await;
    assert_eq!(
        app.post("/v1/users", json!({"email": "before@example.com"}))
            .await
            .status,
        201
    );

    let account = app.tenant_number().await;
    relay.cut();
    // A dialect answers in its own envelope, with the same 503 and Retry-After.
    let regpack = app
        .http
        .post(app.url("/reg/api2/users/"))
        .header("Api-token", &app.key)
        .header("Api-id", account.to_string())
        .header("Api-user", "admin@example.com")
        .header("Timestamp", chrono::Utc::now().timestamp().to_string())
        .json(&json!({"action": "get_info", "group_id": 100, "clogin_id": 100000}))
        .send()
        .await
        .unwrap();
    let regpack = crate::support::read(regpack).await;
    assert_eq!(regpack.status, 503, "{:?}", regpack.body);
    assert_eq!(regpack.header("retry-after"), Some("1"));
    assert_eq!(regpack.body["success"], false);
    assert_eq!(regpack.body["msg_type"], "error");
    for _ in 0..3 {
        let r = app
            .post("/v1/users", json!({"email": "during@example.com"}))
            .await;
        assert_eq!(r.status, 503, "{:?}", r.body);
        assert_eq!(r.header("retry-after"), Some("1"));
        assert_eq!(r.header("content-type"), Some("application/problem+json"));
        assert_eq!(app.get("/v1/users").await.status, 503);
    }
    assert_eq!(app.get("/readyz").await.status, 503);
    assert_eq!(
        app.get("/healthz").await.status,
        200,
        "the process itself is up"
    );

    relay.restore();
    let back = Instant::now();
    loop {
        if app.get("/readyz").await.status == 200 {
            break;
        }
        assert!(
            back.elapsed() < Duration::from_secs(5),
            "roster did not recover"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert_eq!(
        app.post("/v1/users", json!({"email": "after@example.com"}))
            .await
            .status,
        201
    );
    let users = app.get("/v1/users").await;
    let emails: Vec<_> = users.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["email"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        emails,
        ["before@example.com", "after@example.com"],
        "nothing half-written during the outage"
    );
}

async fn acknowledged_writes_survive_a_kill(b: Backend) {
    let db = TestDb::new(b).await;
    let first = Server::start(&db.url, &[]);
    let key = first
        .key
        .clone()
        .expect("a fresh database prints the default tenant's key");
    let http = reqwest::Client::new();
    let url = format!("http://{}/v1/users", first.addr);
    let acked = Arc::new(Mutex::new(Vec::<String>::new()));
    let writers = (0..8).map(|w| {
        let (http, url, key, acked) = (http.clone(), url.clone(), key.clone(), acked.clone());
        async move {
            for i in 0..200 {
                let email = format!("w{w}-{i}@example.com");
                let sent = http
                    .post(&url)
                    .bearer_auth(&key)
                    .json(&json!({"email": email}))
                    .send()
                    .await;
                match sent {
                    Ok(r) if r.status() == 201 => acked.lock().unwrap().push(email),
                    _ => return,
                }
            }
        }
    });
    let killer = async {
        while acked.lock().unwrap().len() < 60 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        first.kill();
    };
    tokio::join!(join_all(writers), killer);
    let acked = acked.lock().unwrap().clone();
    assert!(acked.len() >= 60);

    let second = Server::start(&db.url, &[]);
    assert!(
        second.key.is_none(),
        "the tenant survived: no new default key"
    );
    let base = format!("http://{}", second.addr);
    for email in &acked {
        let r = http
            .get(format!("{base}/v1/users?email={email}"))
            .bearer_auth(&key)
            .send()
            .await
            .unwrap();
        let body: serde_json::Value = r.json().await.unwrap();
        assert_eq!(
            body["data"].as_array().map(Vec::len),
            Some(1),
            "acknowledged {email} was lost"
        );
    }
    second.kill();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_writes_survive_a_kill_sqlite() {
    acknowledged_writes_survive_a_kill(Backend::Sqlite).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_writes_survive_a_kill_postgres() {
    if postgres_url().is_some() {
        acknowledged_writes_survive_a_kill(Backend::Postgres).await
    }
}
