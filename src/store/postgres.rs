//! Postgres: the production store.

use super::{PoolOptions, Result};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use std::str::FromStr;

pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

pub fn connect(url: &str, options: &PoolOptions) -> Result<sqlx::PgPool> {
    let connect = PgConnectOptions::from_str(url)?.application_name("roster");
    Ok(PgPoolOptions::new()
        .max_connections(options.max_connections)
        .acquire_timeout(options.acquire_timeout)
        // A connection the server dropped (restart, failover) is found and replaced at
        // acquire time instead of failing the request that gets it.
        .test_before_acquire(true)
        .connect_lazy_with(connect))
}

/// SQLSTATEs of text Postgres cannot store: a NUL character (22021) or one the encoding lacks
/// (22P05). Such text comes from a client, so it is the client's error.
pub fn is_unstorable_text(code: &str) -> bool {
    matches!(code, "22021" | "22P05")
}

/// SQLSTATEs that mean "try again later", not "your request is wrong": connection exceptions
/// (class 08), the server shutting down or starting (57P0x), too many connections (53300),
/// and lock conflicts resolved by aborting one side (40001, 40P01).
pub fn is_transient(code: &str) -> bool {
    code.starts_with("08")
        || matches!(
            code,
            "57P01" | "57P02" | "57P03" | "53300" | "40001" | "40P01"
        )
}
