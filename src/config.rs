//! Configuration: command-line flags, each also read from the environment.

use clap::{Args, Parser, Subcommand, ValueEnum};
use secrecy::{ExposeSecret, SecretString};
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, Parser)]
#[command(
    name = "roster",
    version,
    about = "Multi-tenant user-lifecycle service"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// Log lines as human-readable text or JSON.
    #[arg(long, env = "ROSTER_LOG_FORMAT", default_value = "text", global = true)]
    pub log_format: LogFormat,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Args)]
pub struct DatabaseArgs {
    /// `postgres://user:pass@host/db` or `sqlite://path/to/file.db`.
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "sqlite://data/roster.db",
        global = true
    )]
    pub database_url: String,
    /// Connections in the pool (Postgres; SQLite readers).
    #[arg(
        long,
        env = "ROSTER_DB_MAX_CONNECTIONS",
        default_value_t = 16,
        global = true
    )]
    pub db_max_connections: u32,
    /// How long a request waits for a database connection before answering 503.
    #[arg(long, env = "ROSTER_DB_ACQUIRE_TIMEOUT", default_value = "3s", value_parser = humantime::parse_duration, global = true)]
    pub db_acquire_timeout: Duration,
    /// How long to wait at start for the database to come up.
    #[arg(long, env = "ROSTER_DB_WAIT", default_value = "60s", value_parser = humantime::parse_duration, global = true)]
    pub db_wait: Duration,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the HTTP API.
    Serve(ServeArgs),
    /// Apply pending database migrations and exit.
    Migrate,
    /// Manage tenants.
    #[command(subcommand)]
    Tenant(TenantCommand),
    /// Manage API keys.
    #[command(subcommand)]
    Key(KeyCommand),
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "ROSTER_BIND", default_value = "127.0.0.1:8080")]
    pub bind: String,
    /// Do not apply pending migrations at start.
    #[arg(long, env = "ROSTER_NO_MIGRATE", value_parser = clap::builder::BoolishValueParser::new(), action = clap::ArgAction::SetTrue)]
    pub no_migrate: bool,
    /// Token for the operator API (`/v1/tenants`); unset disables it.
    #[arg(long, env = "ROSTER_OPERATOR_TOKEN", value_parser = secret, hide_env_values = true)]
    pub operator_token: Option<Secret>,
    /// How long a login session lasts.
    #[arg(long, env = "ROSTER_SESSION_TTL", default_value = "30days", value_parser = humantime::parse_duration)]
    pub session_ttl: Duration,
    /// Calls per minute each API key may make to the Publica.la dialect.
    #[arg(long, env = "ROSTER_PUBLICA_RATE_LIMIT", default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..))]
    pub publica_rate_limit: u32,
}

#[derive(Debug, Subcommand)]
pub enum TenantCommand {
    /// Create a tenant and print it with its first API key, as JSON.
    Create {
        #[arg(long)]
        slug: String,
        #[arg(long)]
        name: Option<String>,
    },
    /// List tenants as JSON.
    List,
}

#[derive(Debug, Subcommand)]
pub enum KeyCommand {
    /// Create an API key for a tenant (slug or id) and print it once, as JSON.
    Create {
        #[arg(long)]
        tenant: String,
    },
    /// Revoke an API key by its id.
    Revoke { id: uuid::Uuid },
}

/// A secret from the command line or environment; `Debug` never shows it.
#[derive(Clone)]
pub struct Secret(Arc<SecretString>);

impl Secret {
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

fn secret(raw: &str) -> Result<Secret, String> {
    Ok(Secret(Arc::new(SecretString::from(raw.to_owned()))))
}
