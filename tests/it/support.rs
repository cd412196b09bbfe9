//! The test harness: a real roster on a real port, over a fresh database per test.
//!
//! `backend_tests!` turns one `async fn(Backend)` into a test per backend. SQLite always runs;
//! Postgres runs when `TEST_DATABASE_URL` names a server (each test gets its own database,
//! dropped afterwards). With `ROSTER_TEST_REQUIRE_POSTGRES=1` (as CI sets) a missing
//! `TEST_DATABASE_URL` fails the Postgres tests instead of skipping them.

use chrono::{DateTime, Utc};
use reqwest::Method;
use roster::domain::clock::{Clock, ClockHand};
use roster::http::{serve, AppState};
use roster::service::{Services, Settings};
use roster::store::{PoolOptions, Store};
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use tokio::sync::oneshot;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Defines `<name>_sqlite` and `<name>_postgres` tests from `async fn <name>(Backend)`.
#[macro_export]
macro_rules! backend_tests {
    ($($name:ident),* $(,)?) => {
        pub mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::support::Backend::Sqlite).await
                }
            )*
        }
        pub mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    if $crate::support::postgres_url().is_some() {
                        super::$name($crate::support::Backend::Postgres).await
                    }
                }
            )*
        }
    };
}

/// The server for Postgres tests, or None to skip them.
pub fn postgres_url() -> Option<String> {
    match std::env::var("TEST_DATABASE_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            if std::env::var("ROSTER_TEST_REQUIRE_POSTGRES").is_ok_and(|v| v == "1") {
                panic!("ROSTER_TEST_REQUIRE_POSTGRES=1 but TEST_DATABASE_URL is not set");
            }
            eprintln!("TEST_DATABASE_URL is not set: skipping a Postgres test");
            None
        }
    }
}

/// A database that exists for one test.
pub struct TestDb {
    pub url: String,
    drop_with: Option<(String, String)>,
    _dir: Option<tempfile::TempDir>,
}

impl TestDb {
    pub async fn new(backend: Backend) -> Self {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("a temp dir");
                let url = format!("sqlite://{}", dir.path().join("roster.db").display());
                TestDb {
                    url,
                    drop_with: None,
                    _dir: Some(dir),
                }
            }
            Backend::Postgres => {
                let admin = postgres_url().expect("TEST_DATABASE_URL");
                let name = format!("roster_test_{}", uuid::Uuid::new_v4().simple());
                let mut conn = connect_admin(&admin).await;
                sqlx::Executor::execute(&mut conn, format!("CREATE DATABASE {name}").as_str())
                    .await
                    .expect("CREATE DATABASE");
                let url = with_database(&admin, &name);
                TestDb {
                    url,
                    drop_with: Some((admin, name)),
                    _dir: None,
                }
            }
        }
    }

    pub async fn store(&self) -> Store {
        let options = PoolOptions {
            max_connections: 8,
            acquire_timeout: Duration::from_secs(10),
        };
        let store = Store::connect(&self.url, &options).await.expect("connect");
        store.migrate().await.expect("migrate");
        store
    }
}

async fn connect_admin(url: &str) -> sqlx::PgConnection {
    use sqlx::Connection;
    sqlx::PgConnection::connect(url)
        .await
        .expect("connect to TEST_DATABASE_URL")
}

/// The URL of another database on the same server.
pub fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let host_end = base[scheme_end..]
        .find('/')
        .map_or(base.len(), |i| scheme_end + i);
    let mut out = format!("{}/{}", &base[..host_end], name);
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some((admin, name)) = self.drop_with.take() {
            // Drop runs outside any runtime we may block; use a thread with its own.
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("runtime");
                rt.block_on(async {
                    let mut conn = connect_admin(&admin).await;
                    let _ = sqlx::Executor::execute(
                        &mut conn,
                        format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str(),
                    )
                    .await;
                });
            })
            .join();
        }
    }
}

pub const OPERATOR_TOKEN: &str = "test-operator-token";

/// A running roster with one tenant (`acme`) whose API key is `key`.
pub struct TestApp {
    pub addr: SocketAddr,
    pub http: reqwest::Client,
    pub key: String,
    pub services: Services,
    /// Dropping the sender stops the server.
    _shutdown: oneshot::Sender<()>,
    /// Kept so the database lives (and is dropped) with the app.
    _db: TestDb,
}

/// A response, read whole.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> Self {
        let db = TestDb::new(backend).await;
        Self::spawn_on(db).await
    }

    pub async fn spawn_on(db: TestDb) -> Self {
        let store = db.store().await;
        Self::spawn_with(db, store).await
    }

    /// Serves with a manual clock standing at `at`; the hand moves it.
    pub async fn spawn_at(backend: Backend, at: DateTime<Utc>) -> (Self, ClockHand) {
        let db = TestDb::new(backend).await;
        let store = db.store().await;
        let (clock, hand) = Clock::manual(at);
        let services = Services::new(store, Settings::default()).with_clock(clock);
        (Self::serve(db, services).await, hand)
    }

    /// Serves with these settings and, if given, a manual clock standing at `at`.
    pub async fn spawn_configured(
        backend: Backend,
        settings: Settings,
        at: Option<DateTime<Utc>>,
    ) -> (Self, Option<ClockHand>) {
        let db = TestDb::new(backend).await;
        let store = db.store().await;
        let services = Services::new(store, settings);
        let (services, hand) = match at {
            Some(at) => {
                let (clock, hand) = Clock::manual(at);
                (services.with_clock(clock), Some(hand))
            }
            None => (services, None),
        };
        (Self::serve(db, services).await, hand)
    }

    /// Serves over `store`, which the caller opened on `db` (or on a path to it).
    pub async fn spawn_with(db: TestDb, store: Store) -> Self {
        Self::serve(db, Services::new(store, Settings::default())).await
    }

    async fn serve(db: TestDb, services: Services) -> Self {
        let slug = roster::domain::fields::Slug::parse("slug", "acme").unwrap();
        let name = roster::domain::fields::DisplayName::parse("name", "Acme").unwrap();
        let (_, key) = services
            .create_tenant(slug, name)
            .await
            .expect("create tenant");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().unwrap();
        let (tx, rx) = oneshot::channel::<()>();
        let state = AppState::new(services.clone(), Some(OPERATOR_TOKEN));
        tokio::spawn(services.clone().watch_keys());
        tokio::spawn(async move {
            serve(listener, state, async {
                let _ = rx.await;
            })
            .await
            .expect("serve");
        });
        TestApp {
            addr,
            http: reqwest::Client::new(),
            key: key.secret,
            services,
            _shutdown: tx,
            _db: db,
        }
    }

    /// The URL of the database this app serves, for a second process on it.
    pub fn db_url(&self) -> String {
        self._db.url.clone()
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// Sends a request with `key` as the bearer credential (None: no Authorization header).
    pub async fn call_as(
        &self,
        key: Option<&str>,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> Reply {
        let mut req = self.http.request(method, self.url(path));
        if let Some(k) = key {
            req = req.bearer_auth(k);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        read(req.send().await.expect("request sent")).await
    }

    /// Sends a request with the tenant's API key.
    pub async fn call(&self, method: Method, path: &str, body: Option<Value>) -> Reply {
        self.call_as(Some(&self.key.clone()), method, path, body)
            .await
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.call(Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> Reply {
        self.call(Method::POST, path, Some(body)).await
    }

    /// Creates a user through the API and answers its JSON.
    pub async fn create_user(&self, body: Value) -> Value {
        let r = self.post("/v1/users", body).await;
        assert_eq!(r.status, 201, "create user: {:?}", r.body);
        r.body
    }

    /// The account number of this app's tenant (`acme`).
    pub async fn tenant_number(&self) -> i64 {
        let r = self
            .call_as(Some(OPERATOR_TOKEN), Method::GET, "/v1/tenants", None)
            .await;
        r.body["data"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["slug"] == "acme")
            .unwrap()["number"]
            .as_i64()
            .unwrap()
    }

    /// A second tenant through the operator API: (tenant id, API key).
    pub async fn other_tenant(&self, slug: &str) -> (String, String) {
        let r = self
            .call_as(
                Some(OPERATOR_TOKEN),
                Method::POST,
                "/v1/tenants",
                Some(serde_json::json!({"slug": slug, "name": slug})),
            )
            .await;
        assert_eq!(r.status, 201, "{:?}", r.body);
        (
            r.body["id"].as_str().unwrap().to_owned(),
            r.body["api_key"].as_str().unwrap().to_owned(),
        )
    }
}

pub async fn read(res: reqwest::Response) -> Reply {
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    let bytes = res.bytes().await.expect("body");
    let body = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()))
    };
    Reply {
        status,
        headers,
        body,
    }
}

/// Polls `check` until it answers Some, for at most ten seconds. For effects that are
/// eventually visible by design (the event feed waits for older transactions to end).
pub async fn eventually<T, F, Fut>(mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "condition not met within 10 s"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The real binary, started as a newcomer would, killed with SIGKILL mid-load.
pub struct Server {
    child: Child,
    pub addr: String,
    pub key: Option<String>,
}

impl Server {
    /// Starts `roster serve` on `database_url` with extra environment `env`.
    pub fn start(database_url: &str, env: &[(&str, &str)]) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_roster"))
            .arg("serve")
            .env("DATABASE_URL", database_url)
            .env("ROSTER_BIND", "127.0.0.1:0")
            .env("ROSTER_LOG_FORMAT", "json")
            .env("RUST_LOG", "info")
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start roster");
        // Both pipes are drained on their own threads, so the server never blocks on a full one.
        let lines = |pipe: Box<dyn std::io::Read + Send>| {
            let (tx, rx) = std::sync::mpsc::channel::<String>();
            std::thread::spawn(move || {
                for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                    let _ = tx.send(line);
                }
            });
            rx
        };
        let stdout = lines(Box::new(child.stdout.take().unwrap()));
        let stderr = lines(Box::new(child.stderr.take().unwrap()));
        let addr = stderr
            .iter()
            .filter_map(|line| serde_json::from_str::<serde_json::Value>(&line).ok())
            .find(|v| v["fields"]["message"] == "roster is serving")
            .and_then(|v| v["fields"]["address"].as_str().map(str::to_owned))
            .expect("roster announced its address");
        std::thread::spawn(move || for _ in stderr {});
        // The default tenant's key is printed once, before serving starts.
        let key = std::iter::from_fn(|| stdout.recv_timeout(Duration::from_millis(200)).ok())
            .find_map(|line| {
                line.split_whitespace()
                    .find(|w| w.starts_with("rst_"))
                    .map(str::to_owned)
            });
        Server { child, addr, key }
    }

    pub fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}
