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
    /// Connections in the pool (Postgres; SQLite readers, at most two per core).
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

// Parsed once at start and matched once: the size of `Serve` costs nothing worth a box.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the HTTP API.
    Serve(Box<ServeArgs>),
    /// Apply pending database migrations and exit.
    Migrate,
    /// Manage tenants.
    #[command(subcommand)]
    Tenant(TenantCommand),
    /// Manage API keys.
    #[command(subcommand)]
    Key(KeyCommand),
    /// Manage a tenant's webhook endpoints.
    #[command(subcommand)]
    Webhook(WebhookCommand),
    /// Import users from an NDJSON or CSV file (created or updated by email or external id),
    /// a chunk per transaction; refused lines on stderr, the summary as JSON on stdout.
    Import(ImportArgs),
    /// Export a tenant's users as NDJSON or CSV, in the shape `import` takes.
    Export(ExportArgs),
    /// Manage the admins who use a tenant's console.
    #[command(subcommand)]
    Admin(AdminCommand),
    /// Print the OpenAPI document (or, with --postman, the Postman collection) and exit.
    Openapi {
        /// Print the Postman collection (v2.1) generated from the document instead.
        #[arg(long)]
        postman: bool,
    },
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
    /// How long an API key may be served from the in-process key cache (Postgres) without
    /// asking the database; a revocation empties every process's cache at once anyway. `0s`
    /// turns the cache off.
    #[arg(long, env = "ROSTER_KEY_CACHE_TTL", default_value = "10s", value_parser = humantime::parse_duration)]
    pub key_cache_ttl: Duration,
    /// Calls per minute each API key may make to the Publica.la dialect.
    #[arg(long, env = "ROSTER_PUBLICA_RATE_LIMIT", default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..))]
    pub publica_rate_limit: u32,
    #[command(flatten)]
    pub mail: MailArgs,
    #[command(flatten)]
    pub worker: WorkerArgs,
}

#[derive(Debug, Args)]
pub struct WorkerArgs {
    /// Accept webhook URLs that are plain http or on private, loopback or link-local
    /// addresses. Off by default: only https to public addresses.
    #[arg(long, env = "ROSTER_WEBHOOKS_ALLOW_PRIVATE", value_parser = clap::builder::BoolishValueParser::new(), action = clap::ArgAction::SetTrue)]
    pub webhooks_allow_private: bool,
    /// How often the worker looks for due webhook deliveries and scheduled status changes.
    #[arg(long, env = "ROSTER_WORKER_TICK", default_value = "1s", value_parser = humantime::parse_duration)]
    pub worker_tick: Duration,
    /// How long a claimed delivery or change is its worker's before another may take it.
    #[arg(long, env = "ROSTER_WORKER_LEASE", default_value = "60s", value_parser = humantime::parse_duration)]
    pub worker_lease: Duration,
    /// How long one webhook attempt may take, answer included.
    #[arg(long, env = "ROSTER_WEBHOOK_TIMEOUT", default_value = "10s", value_parser = humantime::parse_duration)]
    pub webhook_timeout: Duration,
    /// First retry delay of a failed delivery; it doubles with each attempt up to the cap,
    /// less a random part of up to half (jitter).
    #[arg(long, env = "ROSTER_WEBHOOK_RETRY_BASE", default_value = "5s", value_parser = humantime::parse_duration)]
    pub webhook_retry_base: Duration,
    #[arg(long, env = "ROSTER_WEBHOOK_RETRY_CAP", default_value = "1h", value_parser = humantime::parse_duration)]
    pub webhook_retry_cap: Duration,
    /// Failed attempts in a row after which an endpoint is paused (until resumed).
    #[arg(long, env = "ROSTER_WEBHOOK_PAUSE_AFTER", default_value_t = 50, value_parser = clap::value_parser!(i64).range(1..))]
    pub webhook_pause_after: i64,
}

impl WorkerArgs {
    pub fn settings(&self) -> crate::webhooks::WorkerSettings {
        crate::webhooks::WorkerSettings {
            tick: self.worker_tick,
            lease: self
                .worker_lease
                .max(self.webhook_timeout + Duration::from_secs(5)),
            timeout: self.webhook_timeout,
            retry: crate::domain::webhook::RetryPolicy {
                base: self.webhook_retry_base,
                cap: self.webhook_retry_cap,
                pause_after: self.webhook_pause_after,
            },
            allow_private: self.webhooks_allow_private,
            ..Default::default()
        }
    }
}

#[derive(Debug, Args)]
pub struct MailArgs {
    /// SMTP server for outgoing email, e.g. `smtp://127.0.0.1:1025` or
    /// `smtp://user:pass@mail.example:587?tls=required`; unset, emails are written to the log.
    #[arg(long, env = "SMTP_URL", value_parser = secret, hide_env_values = true)]
    pub smtp_url: Option<Secret>,
    /// Sender of every email.
    #[arg(
        long,
        env = "ROSTER_MAIL_FROM",
        default_value = "roster <no-reply@roster.localhost>"
    )]
    pub mail_from: String,
    /// Where people reach roster: the base of the links in emails.
    #[arg(
        long,
        env = "ROSTER_PUBLIC_URL",
        default_value = "http://127.0.0.1:8080"
    )]
    pub public_url: String,
    /// How long an invite can be accepted.
    #[arg(long, env = "ROSTER_INVITE_TTL", default_value = "7days", value_parser = humantime::parse_duration)]
    pub invite_ttl: Duration,
    /// How often the delivery worker looks for due emails.
    #[arg(long, env = "ROSTER_MAIL_POLL", default_value = "1s", value_parser = humantime::parse_duration)]
    pub mail_poll: Duration,
    /// How long a claimed email is its worker's before another may take it (at least the
    /// mail timeout + 5 s).
    #[arg(long, env = "ROSTER_MAIL_LEASE", default_value = "60s", value_parser = humantime::parse_duration)]
    pub mail_lease: Duration,
    /// How long one send may take in all.
    #[arg(long, env = "ROSTER_MAIL_TIMEOUT", default_value = "15s", value_parser = humantime::parse_duration)]
    pub mail_timeout: Duration,
    /// First retry delay; it doubles with each attempt up to ROSTER_MAIL_RETRY_CAP.
    #[arg(long, env = "ROSTER_MAIL_RETRY_BASE", default_value = "2s", value_parser = humantime::parse_duration)]
    pub mail_retry_base: Duration,
    #[arg(long, env = "ROSTER_MAIL_RETRY_CAP", default_value = "10m", value_parser = humantime::parse_duration)]
    pub mail_retry_cap: Duration,
    /// Attempts before an email is given up.
    #[arg(long, env = "ROSTER_MAIL_MAX_ATTEMPTS", default_value_t = 8)]
    pub mail_max_attempts: u32,
}

impl MailArgs {
    pub fn settings(&self) -> crate::mail::MailSettings {
        crate::mail::MailSettings {
            from: self.mail_from.clone(),
            public_url: self.public_url.clone(),
            poll: self.mail_poll,
            lease: self.mail_lease,
            timeout: self.mail_timeout,
            retry_base: self.mail_retry_base,
            retry_cap: self.mail_retry_cap,
            max_attempts: self.mail_max_attempts,
        }
    }
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
pub enum AdminCommand {
    /// Make the person with this email an admin of the tenant (creating them, active, if the
    /// tenant has no such user) and print a one-time link to the console where they set their
    /// password; with --password-stdin, set the password read from stdin instead.
    Create {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        email: String,
        /// Read the password from the first line of stdin (for scripts).
        #[arg(long)]
        password_stdin: bool,
        /// Where people reach roster: the base of the printed link.
        #[arg(
            long,
            env = "ROSTER_PUBLIC_URL",
            default_value = "http://127.0.0.1:8080"
        )]
        public_url: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum WebhookCommand {
    /// Register an endpoint and print it with its signing secret (shown once), as JSON.
    Create {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        url: String,
        /// Audit actions it receives, comma-separated; `*` (the default) for every one.
        #[arg(long, default_value = "*", value_delimiter = ',')]
        event_types: Vec<String>,
        #[arg(long)]
        description: Option<String>,
        /// Accept an http URL or a private address (as ROSTER_WEBHOOKS_ALLOW_PRIVATE does).
        #[arg(long, env = "ROSTER_WEBHOOKS_ALLOW_PRIVATE", value_parser = clap::builder::BoolishValueParser::new(), action = clap::ArgAction::SetTrue)]
        allow_private: bool,
    },
    /// List a tenant's endpoints as JSON.
    List {
        #[arg(long)]
        tenant: String,
    },
    /// Pause an endpoint: deliveries wait until it is resumed.
    Pause {
        #[arg(long)]
        tenant: String,
        id: uuid::Uuid,
        #[arg(long)]
        reason: Option<String>,
    },
    /// Resume a paused endpoint.
    Resume {
        #[arg(long)]
        tenant: String,
        id: uuid::Uuid,
    },
    /// Remove an endpoint with its deliveries.
    Delete {
        #[arg(long)]
        tenant: String,
        id: uuid::Uuid,
    },
}

#[derive(Debug, Subcommand)]
pub enum KeyCommand {
    /// Create an API key for a tenant (slug or id) and print it once, as JSON.
    Create {
        #[arg(long)]
        tenant: String,
        /// What the key is for.
        #[arg(long, default_value = "default")]
        name: String,
        /// Comma-separated: read, scim, lifecycle, full.
        #[arg(long, default_value = "full")]
        scopes: String,
    },
    /// List a tenant's API keys (never their secrets), as JSON.
    List {
        #[arg(long)]
        tenant: String,
    },
    /// Replace a key with a new one of the same name and scopes; the old one keeps working
    /// for `--overlap` (e.g. `1h`, `30m`, `0s`).
    Rotate {
        #[arg(long)]
        tenant: String,
        id: uuid::Uuid,
        #[arg(long, default_value = "1h", value_parser = humantime::parse_duration)]
        overlap: std::time::Duration,
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

/// A bulk file's format.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum BulkFormat {
    Ndjson,
    Csv,
}

impl From<BulkFormat> for crate::domain::import::ExportFormat {
    fn from(f: BulkFormat) -> Self {
        match f {
            BulkFormat::Ndjson => Self::Ndjson,
            BulkFormat::Csv => Self::Csv,
        }
    }
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The tenant (slug or id).
    #[arg(long)]
    pub tenant: String,
    /// The file: NDJSON, or CSV with a header (by its `.csv` name, or `--format`).
    pub file: std::path::PathBuf,
    #[arg(long, value_enum)]
    pub format: Option<BulkFormat>,
    /// Report what would happen and change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Queue an invite email for each user created `invited`.
    #[arg(long)]
    pub send_invites: bool,
    /// Lines per transaction.
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u64).range(1..=5000))]
    pub chunk_size: u64,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The tenant (slug or id).
    #[arg(long)]
    pub tenant: String,
    /// Write here instead of stdout.
    #[arg(long, short)]
    pub output: Option<std::path::PathBuf>,
    /// NDJSON unless the output's name ends in `.csv`.
    #[arg(long, value_enum)]
    pub format: Option<BulkFormat>,
    /// Only users with this status.
    #[arg(long)]
    pub status: Option<String>,
    /// Only members of the group with this key.
    #[arg(long)]
    pub group: Option<String>,
    /// Include the stored password hashes (so an import elsewhere keeps the passwords).
    #[arg(long)]
    pub with_password_hashes: bool,
}
