//! Persistence. [`Store`] opens transactions ([`Tx`]); each file of this module adds the
//! queries of one table family to `Tx`.
//!
//! The two backends share their SQL text: sqlx-sqlite binds `$N` by number like Postgres does,
//! and the schemas keep the same table and column names. What differs (connection set-up,
//! row locks, how an error is classified, the event feed's visibility rule) lives in
//! `postgres.rs` and `sqlite.rs`. `with_conn!` runs one body against whichever connection the
//! transaction holds, so each query is written once and type-checked for both.

mod bulk;
mod console;
mod email_keys;
mod emails;
mod erasure;
mod events;
mod external_auth;
mod groups;
mod idempotency;
mod invites;
mod memberships;
mod password_resets;
mod plans;
mod postgres;
mod products;
mod rate_limits;
mod roles;
mod rooms;
mod schedules;
mod sessions;
mod sqlite;
mod tenants;
mod user_query;
mod users;
mod webhooks;

pub use bulk::Matched;
pub use emails::ClaimedEmail;
pub use events::EventOrigin;
pub use schedules::DueChange;
pub use tenants::KeyRecord;
pub use users::{UniqueValues, UserRecord};
pub use webhooks::{AttemptRecord, ClaimedDelivery};

use chrono::{DateTime, Utc};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use uuid::Uuid;

/// Which database a URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Postgres,
    Sqlite,
}

impl Backend {
    /// Picks the backend from the URL scheme; anything else is an error, never a guess.
    pub fn of_url(url: &str) -> Result<Self, StoreError> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Backend::Postgres)
        } else if url.starts_with("sqlite:") {
            Ok(Backend::Sqlite)
        } else {
            Err(StoreError::Config(format!(
                "DATABASE_URL must start with postgres:// or sqlite:, got {:?}",
                url.split(':').next().unwrap_or_default()
            )))
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database cannot be reached or is not accepting work right now; retry later.
    #[error("database unavailable: {0}")]
    Unavailable(#[source] sqlx::Error),
    /// A unique key already holds this value. `constraint` is known on Postgres; SQLite
    /// serialises writers, so there the service's own checks inside the transaction name it.
    #[error("unique key violated ({constraint:?})")]
    Conflict { constraint: Option<String> },
    /// Text the database cannot store (Postgres refuses NUL characters in TEXT).
    #[error("text the database cannot store")]
    InvalidText,
    #[error("invalid database configuration: {0}")]
    Config(String),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    #[error(transparent)]
    Other(sqlx::Error),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        use sqlx::Error as E;
        match e {
            E::PoolTimedOut | E::PoolClosed | E::Io(_) | E::Tls(_) | E::WorkerCrashed => {
                StoreError::Unavailable(e)
            }
            E::Database(ref db) => {
                if db.is_unique_violation() {
                    return StoreError::Conflict {
                        constraint: db.constraint().map(str::to_owned),
                    };
                }
                let code = db.code().map(|c| c.into_owned()).unwrap_or_default();
                if postgres::is_unstorable_text(&code) {
                    return StoreError::InvalidText;
                }
                if postgres::is_transient(&code) || sqlite::is_transient(&code) {
                    StoreError::Unavailable(e)
                } else {
                    StoreError::Other(e)
                }
            }
            other => StoreError::Other(other),
        }
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Pool settings from the configuration.
#[derive(Debug, Clone)]
pub struct PoolOptions {
    pub max_connections: u32,
    /// How long a request waits for a connection before answering 503.
    pub acquire_timeout: Duration,
}

impl Default for PoolOptions {
    fn default() -> Self {
        Self {
            max_connections: 16,
            acquire_timeout: Duration::from_secs(3),
        }
    }
}

/// A Postgres connection listening for key changes.
pub struct KeyChanges(sqlx::postgres::PgListener);

impl KeyChanges {
    /// Waits for the next announced change. An error means the connection was lost, and with
    /// it any announcement made meanwhile: the listener is spent.
    pub async fn next(&mut self) -> Result<()> {
        match self.0.try_recv().await? {
            Some(_) => Ok(()),
            None => Err(StoreError::Unavailable(sqlx::Error::PoolClosed)),
        }
    }
}

#[derive(Clone)]
pub struct Store {
    pools: Pools,
    census: Option<Census>,
}

/// Records every transaction a store runs and how many statements each sent, so a test can
/// prove that a use case is one transaction of so many round trips. Off unless asked for.
#[derive(Clone, Default)]
pub struct Census(Arc<Mutex<Vec<Arc<Tally>>>>);

impl Census {
    /// The transactions begun since the last call, oldest first.
    pub fn take(&self) -> Vec<TxRecord> {
        let tallies = std::mem::take(&mut *self.0.lock().unwrap_or_else(|e| e.into_inner()));
        tallies
            .iter()
            .map(|t| TxRecord {
                kind: t.kind,
                statements: t.statements.load(Ordering::Relaxed),
                committed: t.committed.load(Ordering::Relaxed),
            })
            .collect()
    }

    fn begin(&self, kind: TxKind) -> Arc<Tally> {
        let tally = Arc::new(Tally {
            kind,
            statements: AtomicU32::new(0),
            committed: AtomicBool::new(false),
        });
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(tally.clone());
        tally
    }
}

/// What kind of unit of work a [`Tx`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TxKind {
    /// [`Store::write`]: BEGIN, statements, COMMIT or ROLLBACK.
    Write,
    /// [`Store::read`]: a snapshot, BEGIN, statements, ROLLBACK.
    Read,
    /// [`Store::read_one`]: one statement, no BEGIN.
    Single,
}

/// One transaction as the [`Census`] saw it. Statements exclude BEGIN and COMMIT.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TxRecord {
    pub kind: TxKind,
    pub statements: u32,
    pub committed: bool,
}

struct Tally {
    kind: TxKind,
    statements: AtomicU32,
    committed: AtomicBool,
}

#[derive(Clone)]
enum Pools {
    Postgres(sqlx::PgPool),
    /// SQLite allows one writer at a time: all writes go through a one-connection pool, so
    /// roster's own writers queue in-process instead of meeting `SQLITE_BUSY`; reads use a
    /// separate pool and, in WAL mode, never wait for the writer.
    Sqlite {
        write: sqlx::SqlitePool,
        read: sqlx::SqlitePool,
    },
}

impl Store {
    /// Opens the pools. Connections are made lazily, so this succeeds while the database is
    /// still down; [`Store::wait_until_ready`] waits for it.
    pub async fn connect(url: &str, options: &PoolOptions) -> Result<Self> {
        let pools = match Backend::of_url(url)? {
            Backend::Postgres => Pools::Postgres(postgres::connect(url, options)?),
            Backend::Sqlite => {
                let (write, read) = sqlite::connect(url, options).await?;
                Pools::Sqlite { write, read }
            }
        };
        Ok(Self {
            pools,
            census: None,
        })
    }

    /// This store, recording its transactions in `census`.
    pub fn with_census(self, census: Census) -> Self {
        Self {
            census: Some(census),
            ..self
        }
    }

    fn tx(&self, kind: TxKind, conn: Conn) -> Tx {
        Tx(conn, self.census.as_ref().map(|c| c.begin(kind)))
    }

    pub fn backend(&self) -> Backend {
        match self.pools {
            Pools::Postgres(_) => Backend::Postgres,
            Pools::Sqlite { .. } => Backend::Sqlite,
        }
    }

    /// Applies pending migrations, then the data changes they leave to Rust (email re-keys).
    /// Listens for the key changes every process announces ([`Tx::announce_key_change`]);
    /// None on SQLite, which serves one process.
    pub async fn key_changes(&self) -> Result<Option<KeyChanges>> {
        match &self.pools {
            Pools::Postgres(pool) => {
                let mut listener = sqlx::postgres::PgListener::connect_with(pool).await?;
                listener.listen(tenants::KEY_CHANGES).await?;
                Ok(Some(KeyChanges(listener)))
            }
            Pools::Sqlite { .. } => Ok(None),
        }
    }

    pub async fn migrate(&self) -> Result<()> {
        match &self.pools {
            Pools::Postgres(pool) => postgres::MIGRATOR.run(pool).await?,
            Pools::Sqlite { write, .. } => sqlite::MIGRATOR.run(write).await?,
        }
        self.rekey_emails().await
    }

    /// Whether the database answers a trivial query.
    pub async fn ping(&self) -> Result<()> {
        match &self.pools {
            Pools::Postgres(pool) => sqlx::query("SELECT 1").execute(pool).await?.rows_affected(),
            Pools::Sqlite { read, .. } => {
                sqlx::query("SELECT 1").execute(read).await?.rows_affected()
            }
        };
        Ok(())
    }

    /// Waits, retrying with a capped backoff, until the database answers (a container that
    /// starts before its database is the common case). Gives up after `limit`.
    pub async fn wait_until_ready(&self, limit: Duration) -> Result<()> {
        let started = std::time::Instant::now();
        let mut delay = Duration::from_millis(100);
        loop {
            match self.ping().await {
                Ok(()) => return Ok(()),
                Err(StoreError::Unavailable(e)) if started.elapsed() < limit => {
                    tracing::warn!(error = %e, retry_in_ms = delay.as_millis() as u64, "database not reachable yet");
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(Duration::from_secs(2));
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Begins a transaction that may write.
    pub async fn write(&self) -> Result<Tx> {
        let conn = match &self.pools {
            Pools::Postgres(pool) => Conn::Postgres(Handle::Tx(pool.begin().await?)),
            Pools::Sqlite { write, .. } => {
                Conn::Sqlite(Handle::Tx(sqlite::begin_immediate(write).await?))
            }
        };
        Ok(self.tx(TxKind::Write, conn))
    }

    /// Begins a transaction that only reads (a consistent snapshot for multi-query answers).
    pub async fn read(&self) -> Result<Tx> {
        let conn = match &self.pools {
            Pools::Postgres(pool) => Conn::Postgres(Handle::Tx(pool.begin().await?)),
            Pools::Sqlite { read, .. } => Conn::Sqlite(Handle::Tx(read.begin().await?)),
        };
        Ok(self.tx(TxKind::Read, conn))
    }

    /// A read of ONE statement: it runs as its own transaction, which saves the BEGIN and
    /// ROLLBACK round trips of [`Store::read`]. Several statements on it would each see a
    /// different moment; use [`Store::read`] for those.
    pub async fn read_one(&self) -> Result<Tx> {
        let conn = match &self.pools {
            Pools::Postgres(pool) => Conn::Postgres(Handle::Autocommit(pool.acquire().await?)),
            Pools::Sqlite { read, .. } => Conn::Sqlite(Handle::Autocommit(read.acquire().await?)),
        };
        Ok(self.tx(TxKind::Single, conn))
    }

    pub async fn close(&self) {
        match &self.pools {
            Pools::Postgres(pool) => pool.close().await,
            Pools::Sqlite { write, read } => {
                write.close().await;
                read.close().await;
            }
        }
    }
}

/// One transaction: the unit of work of a use case. Dropping it without [`Tx::commit`] rolls
/// it back. Its tally, when the store keeps a [`Census`], counts the statements it sends.
pub struct Tx(Conn, Option<Arc<Tally>>);

enum Conn {
    Postgres(Handle<sqlx::Postgres>),
    Sqlite(Handle<sqlx::Sqlite>),
}

enum Handle<DB: sqlx::Database> {
    Tx(sqlx::Transaction<'static, DB>),
    /// A pooled connection outside any transaction ([`Store::read_one`]).
    Autocommit(sqlx::pool::PoolConnection<DB>),
}

impl<DB: sqlx::Database> Handle<DB> {
    fn conn(&mut self) -> &mut DB::Connection {
        match self {
            Handle::Tx(t) => t,
            Handle::Autocommit(c) => c,
        }
    }

    async fn commit(self) -> Result<()> {
        if let Handle::Tx(t) = self {
            t.commit().await?;
        }
        Ok(())
    }

    async fn rollback(self) -> Result<()> {
        if let Handle::Tx(t) = self {
            t.rollback().await?;
        }
        Ok(())
    }
}

/// Runs `$body` with `$conn` bound to the transaction's connection, whichever backend it is.
/// With `$pg, $lite` it also binds `$sql` to the text meant for that backend.
macro_rules! with_conn {
    ($tx:expr, |$conn:ident| $body:expr) => {{
        $tx.count_statement();
        match &mut $tx.0 {
            $crate::store::Conn::Postgres(t) => {
                let $conn = t.conn();
                $body
            }
            $crate::store::Conn::Sqlite(t) => {
                let $conn = t.conn();
                $body
            }
        }
    }};
    ($tx:expr, $sql:ident = ($pg:expr, $lite:expr), |$conn:ident| $body:expr) => {{
        $tx.count_statement();
        match &mut $tx.0 {
            $crate::store::Conn::Postgres(t) => {
                let $conn = t.conn();
                let $sql = $pg;
                $body
            }
            $crate::store::Conn::Sqlite(t) => {
                let $conn = t.conn();
                let $sql = $lite;
                $body
            }
        }
    }};
}
pub(crate) use with_conn;

impl Tx {
    pub async fn commit(self) -> Result<()> {
        match self.0 {
            Conn::Postgres(t) => t.commit().await?,
            Conn::Sqlite(t) => t.commit().await?,
        }
        if let Some(tally) = self.1 {
            tally.committed.store(true, Ordering::Relaxed);
        }
        Ok(())
    }

    /// Runs an UPDATE that stamps a time (`$3`) on the tenant's (`$1`) rows that a key (`$2`)
    /// names, such as revoking a user's sessions; answers how many rows it changed.
    pub(crate) async fn stamp<'q, K>(
        &mut self,
        sql: &'q str,
        tenant: Uuid,
        key: K,
        at: DateTime<Utc>,
    ) -> Result<u64>
    where
        K: sqlx::Encode<'q, sqlx::Postgres>
            + sqlx::Type<sqlx::Postgres>
            + sqlx::Encode<'q, sqlx::Sqlite>
            + sqlx::Type<sqlx::Sqlite>
            + Send
            + Copy
            + 'q,
    {
        Ok(with_conn!(self, |c| sqlx::query(sql)
            .bind(tenant)
            .bind(key)
            .bind(at)
            .execute(c)
            .await?
            .rows_affected()))
    }

    /// Every query of the store goes through `with_conn!`, which counts it here.
    fn count_statement(&self) {
        if let Some(tally) = &self.1 {
            tally.statements.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Ends the transaction now, releasing its locks, instead of when it is dropped.
    pub async fn rollback(self) -> Result<()> {
        match self.0 {
            Conn::Postgres(t) => t.rollback().await,
            Conn::Sqlite(t) => t.rollback().await,
        }
    }

    pub fn backend(&self) -> Backend {
        match self.0 {
            Conn::Postgres(_) => Backend::Postgres,
            Conn::Sqlite(_) => Backend::Sqlite,
        }
    }
}

/// Reads a stored enum-like text column back into its domain type.
pub(crate) fn parse_stored<T: std::str::FromStr>(column: &str, raw: &str) -> Result<T> {
    raw.parse()
        .map_err(|_| StoreError::Corrupt(format!("{column} holds {raw:?}")))
}
