//! SQLite: the embedded default, a single file that needs no server.

use super::{PoolOptions, Result, StoreError};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use std::str::FromStr;
use std::time::Duration;

pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

/// Opens the one-connection write pool and the read pool over the same file.
pub async fn connect(
    url: &str,
    options: &PoolOptions,
) -> Result<(sqlx::SqlitePool, sqlx::SqlitePool)> {
    let connect = SqliteConnectOptions::from_str(url)?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        // FULL: a commit is on disk before roster answers 2xx, even if the machine loses power.
        .synchronous(SqliteSynchronous::Full)
        .foreign_keys(true)
        // Other processes on the same file (the CLI beside a running server) wait their turn.
        .busy_timeout(Duration::from_secs(10));
    if let Some(dir) = connect.get_filename().parent() {
        if !dir.as_os_str().is_empty() {
            std::fs::create_dir_all(dir)
                .map_err(|e| StoreError::Config(format!("cannot create {}: {e}", dir.display())))?;
        }
    }
    let write = SqlitePoolOptions::new()
        .max_connections(1)
        .min_connections(1)
        .before_acquire(not_in_transaction)
        // Writers queue here; a long queue is still served, not refused.
        .acquire_timeout(options.acquire_timeout.max(Duration::from_secs(30)))
        .connect_with(connect.clone())
        .await?;
    let read = SqlitePoolOptions::new()
        .before_acquire(not_in_transaction)
        .max_connections(options.max_connections.clamp(2, max_readers()))
        .acquire_timeout(options.acquire_timeout)
        .connect_lazy_with(connect);
    Ok((write, read))
}

/// SQLite readers: two per core at most. A read runs on its connection's own thread, so more
/// readers than cores add no throughput, only memory (each keeps its own page cache).
fn max_readers() -> u32 {
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    u32::try_from(cores * 2).unwrap_or(u32::MAX).max(2)
}

/// Begins a write transaction with `BEGIN IMMEDIATE`, which takes the write lock at once, so a
/// transaction that reads before it writes never fails to upgrade its lock half-way.
///
/// It runs on its own task: sqlx-sqlite 0.8 checks a custom BEGIN after sending it, and a
/// request cancelled at that moment (the client hung up) would leave the one write connection
/// inside a transaction nobody owns. On its own task the BEGIN always completes; if the
/// request is gone by then, the transaction is dropped and rolled back.
pub async fn begin_immediate(
    pool: &sqlx::SqlitePool,
) -> Result<sqlx::Transaction<'static, sqlx::Sqlite>> {
    let pool = pool.clone();
    let begun = tokio::spawn(async move { pool.begin_with("BEGIN IMMEDIATE").await })
        .await
        .map_err(|_| StoreError::Other(sqlx::Error::WorkerCrashed))?;
    Ok(begun?)
}

/// Refuses a pooled connection that is still inside a transaction (the pool closes it and
/// opens another): whatever left it so, no later request inherits it.
fn not_in_transaction(
    conn: &mut sqlx::SqliteConnection,
    _: sqlx::pool::PoolConnectionMetadata,
) -> futures::future::BoxFuture<'_, std::result::Result<bool, sqlx::Error>> {
    use sqlx::Connection;
    let clean = !conn.is_in_transaction();
    if !clean {
        tracing::warn!("closing a pooled SQLite connection left inside a transaction");
    }
    Box::pin(async move { Ok(clean) })
}

/// SQLITE_BUSY and SQLITE_LOCKED (with their extended codes): another process holds the
/// file's lock longer than the busy timeout.
pub fn is_transient(code: &str) -> bool {
    matches!(code.parse::<i32>(), Ok(c) if c & 0xff == 5 || c & 0xff == 6)
}
