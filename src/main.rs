mod bulk_cli;

use anyhow::Context as _;
use clap::Parser;
use roster::config::{
    AdminCommand, Cli, Command, DatabaseArgs, KeyCommand, LogFormat, TenantCommand, WebhookCommand,
};
use roster::domain::fields::{DisplayName, Email, Password, Slug};
use roster::domain::permission::{Scope, Scopes};
use roster::domain::user::UserFilter;
use roster::domain::user::UserPatch;
use roster::domain::webhook::Endpoint;
use roster::http::{self, AppState};
use roster::mail;
use roster::service::bulk::{ExportOptions, ImportOptions};
use roster::service::webhooks::EndpointInput;
use roster::service::Context;
use roster::service::{Services, Settings};
use roster::store::{PoolOptions, Store};
use roster::webhooks;
use serde_json::json;
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    init_logging(cli.log_format);
    match cli.command {
        Command::Serve(args) => {
            let store = open(&cli.database).await?;
            if !args.no_migrate {
                store.migrate().await.context("applying migrations")?;
            }
            let settings = Settings {
                session_ttl: chrono::Duration::from_std(args.session_ttl)
                    .context("ROSTER_SESSION_TTL")?,
                invite_ttl: chrono::Duration::from_std(args.mail.invite_ttl)
                    .context("ROSTER_INVITE_TTL")?,
                publica_rate_limit: args.publica_rate_limit,
                webhooks_allow_private: args.worker.webhooks_allow_private,
                key_cache_ttl: args.key_cache_ttl,
            };
            let transport =
                mail::Transport::from_url(args.mail.smtp_url.as_ref().map(|s| s.expose()))?;
            let services = Services::new(store.clone(), settings);
            if let Some((tenant, key)) = services.ensure_default_tenant().await? {
                // Printed once, to stdout, so a newcomer can use roster right away.
                println!(
                    "Created tenant {:?} (id {}). Its API key, shown only now:\n\n    {}\n",
                    tenant.slug, tenant.id, key.secret
                );
                let token = services.issue_setup_link(tenant.id, None).await?;
                println!(
                    "Open the admin console and create its first admin (this link works once, \
                     for 24 hours):\n\n    {}\n",
                    setup_url(&args.mail.public_url, &tenant.slug, &token)
                );
            }
            let listener = tokio::net::TcpListener::bind(&args.bind)
                .await
                .with_context(|| format!("binding {}", args.bind))?;
            tracing::info!(address = %listener.local_addr()?, backend = ?store.backend(), "roster is serving");
            let (stop, stopped) = tokio::sync::watch::channel(false);
            let worker = tokio::spawn(mail::run(
                services.clone(),
                transport,
                args.mail.settings(),
                Default::default(),
                stopped.clone(),
            ));
            let hooks = tokio::spawn(webhooks::run(
                services.clone(),
                args.worker.settings(),
                stopped,
            ));
            let keys = tokio::spawn(services.clone().watch_keys());
            let state = AppState::new(services, args.operator_token.as_ref().map(|s| s.expose()))
                .with_public_url(&args.mail.public_url);
            http::serve(listener, state, async move {
                shutdown_signal().await;
                let _ = stop.send(true);
            })
            .await?;
            // The worker finishes the email in hand; an unsent claimed one is retried later.
            let _ = worker.await;
            let _ = hooks.await;
            keys.abort();
            store.close().await;
            tracing::info!("roster stopped");
        }
        Command::Openapi { postman } => print!("{}", http::openapi::text(postman)),
        Command::Migrate => {
            open(&cli.database).await?.migrate().await?;
            tracing::info!("migrations applied");
        }
        Command::Tenant(cmd) => {
            let services = services(&cli.database).await?;
            match cmd {
                TenantCommand::Create { slug, name } => {
                    let slug = Slug::parse("--slug", &slug)
                        .map_err(|e| anyhow::anyhow!("{}: {}", e.field, e.message))?;
                    let name =
                        DisplayName::parse("--name", name.as_deref().unwrap_or(slug.as_str()))
                            .map_err(|e| anyhow::anyhow!("{}: {}", e.field, e.message))?;
                    let (t, key) = services.create_tenant(slug, name).await?;
                    print_json(&json!({
                        "id": t.id, "number": t.number, "slug": t.slug, "name": t.name,
                        "created_at": t.created_at, "api_key": key.secret, "api_key_id": key.record.id,
                    }));
                }
                TenantCommand::List => {
                    let tenants: Vec<_> = services
                        .tenants()
                        .await?
                        .into_iter()
                        .map(|t| json!({"id": t.id, "number": t.number, "slug": t.slug, "name": t.name, "created_at": t.created_at}))
                        .collect();
                    print_json(&json!(tenants));
                }
            }
        }
        Command::Key(cmd) => {
            let services = services(&cli.database).await?;
            match cmd {
                KeyCommand::Create {
                    tenant,
                    name,
                    scopes,
                } => {
                    let tenant = services.tenant(&tenant).await?;
                    let scopes = parse_scopes(&scopes)?;
                    let key = services.create_api_key(tenant.id, &name, &scopes).await?;
                    print_json(&json!({
                        "id": key.record.id, "tenant_id": tenant.id, "name": key.record.name,
                        "scopes": key.record.scopes.names(), "prefix": key.record.prefix,
                        "created_at": key.record.created_at, "api_key": key.secret,
                    }));
                }
                KeyCommand::List { tenant } => {
                    let tenant = services.tenant(&tenant).await?;
                    let keys = services.api_keys(&Context::operator(tenant.id)).await?;
                    let keys: Vec<_> = keys.iter().map(key_json).collect();
                    print_json(&json!(keys));
                }
                KeyCommand::Rotate {
                    tenant,
                    id,
                    overlap,
                } => {
                    let tenant = services.tenant(&tenant).await?;
                    let overlap = chrono::Duration::from_std(overlap)?;
                    let (new, old) = services
                        .rotate_api_key(&Context::operator(tenant.id), id, overlap)
                        .await?;
                    let mut answer = key_json(&new.record);
                    answer["api_key"] = json!(new.secret);
                    answer["replaced"] = key_json(&old);
                    print_json(&answer);
                }
                KeyCommand::Revoke { id } => {
                    let key = services.revoke_api_key(id).await?;
                    print_json(
                        &json!({"id": key.id, "tenant_id": key.tenant_id, "revoked_at": key.revoked_at}),
                    );
                }
            }
        }
        Command::Webhook(cmd) => webhook_command(&cli.database, cmd).await?,
        Command::Import(args) => {
            let services = services(&cli.database).await?;
            let tenant = services.tenant(&args.tenant).await?;
            let format = bulk_cli::format_of(&args.file, args.format.map(Into::into));
            let options = ImportOptions {
                dry_run: args.dry_run,
                send_invites: args.send_invites,
                chunk_size: args.chunk_size as usize,
            };
            let ctx = Context::operator(tenant.id);
            bulk_cli::import(&services, &ctx, &args.file, format, options).await?;
        }
        Command::Export(args) => {
            let services = services(&cli.database).await?;
            let tenant = services.tenant(&args.tenant).await?;
            let format = match &args.output {
                Some(path) => bulk_cli::format_of(path, args.format.map(Into::into)),
                None => args.format.map(Into::into).unwrap_or_default(),
            };
            let status = args
                .status
                .as_deref()
                .map(|s| roster::service::users::status_filter("--status", s))
                .transpose()
                .map_err(|e| anyhow::anyhow!("{}", field_errors(&e)))?;
            let options = ExportOptions {
                filter: UserFilter {
                    status,
                    group_key: args.group,
                    ..UserFilter::default()
                },
                password_hashes: args.with_password_hashes,
            };
            let ctx = Context::operator(tenant.id);
            let n =
                bulk_cli::export(&services, &ctx, options, format, args.output.as_deref()).await?;
            tracing::info!(users = n, "exported");
        }
        Command::Admin(cmd) => admin_command(&cli.database, cmd).await?,
    }
    Ok(())
}

/// The `webhook` subcommands, acting for the tenant as the operator.
async fn webhook_command(db: &DatabaseArgs, cmd: WebhookCommand) -> anyhow::Result<()> {
    let services = services(db).await?;
    let (tenant, allow_private) = match &cmd {
        WebhookCommand::Create {
            tenant,
            allow_private,
            ..
        } => (tenant, *allow_private),
        WebhookCommand::List { tenant }
        | WebhookCommand::Pause { tenant, .. }
        | WebhookCommand::Resume { tenant, .. }
        | WebhookCommand::Delete { tenant, .. } => (tenant, false),
    };
    let tenant = services.tenant(tenant).await?;
    let services = Services::new(
        services.store().clone(),
        Settings {
            webhooks_allow_private: allow_private,
            ..Settings::default()
        },
    );
    let ctx = Context::operator(tenant.id);
    let show = |e: Endpoint| {
        json!({
            "id": e.id, "url": e.url, "event_types": e.event_types.names(),
            "description": e.description, "paused_at": e.paused_at, "paused_reason": e.paused_reason,
            "consecutive_failures": e.consecutive_failures, "created_at": e.created_at,
        })
    };
    let out = match cmd {
        WebhookCommand::Create {
            url,
            event_types,
            description,
            ..
        } => {
            let input = EndpointInput {
                url: Some(url),
                event_types: Some(event_types),
                description: description.map(Some),
            };
            let created = services
                .create_webhook(&ctx, input)
                .await
                .map_err(|e| anyhow::anyhow!("{}", field_errors(&e)))?;
            let mut out = show(created.endpoint);
            out["secret"] = json!(created.secret);
            out
        }
        WebhookCommand::List { .. } => json!(services
            .webhooks(&ctx)
            .await?
            .into_iter()
            .map(show)
            .collect::<Vec<_>>()),
        WebhookCommand::Pause { id, reason, .. } => {
            let reason = reason.unwrap_or_else(|| "paused by the operator".to_owned());
            show(services.pause_webhook(&ctx, id, Some(&reason)).await?)
        }
        WebhookCommand::Resume { id, .. } => show(services.pause_webhook(&ctx, id, None).await?),
        WebhookCommand::Delete { id, .. } => {
            services.delete_webhook(&ctx, id).await?;
            json!({ "id": id, "deleted": true })
        }
    };
    print_json(&out);
    Ok(())
}

/// The `admin` subcommands, acting for the tenant as the operator.
async fn admin_command(db: &DatabaseArgs, cmd: AdminCommand) -> anyhow::Result<()> {
    let AdminCommand::Create {
        tenant,
        email,
        password_stdin,
        public_url,
    } = cmd;
    let services = services(db).await?;
    let tenant = services.tenant(&tenant).await?;
    let ctx = Context::operator(tenant.id);
    let email = Email::parse("--email", &email)
        .map_err(|e| anyhow::anyhow!("{}: {}", e.field, e.message))?;
    let admin = services
        .make_admin(&ctx, email)
        .await
        .map_err(|e| anyhow::anyhow!("{}", field_errors(&e)))?;
    let mut out = json!({
        "tenant": tenant.slug, "user_id": admin.user.id, "email": admin.user.email,
        "status": admin.user.status.as_str(),
    });
    if password_stdin {
        let mut line = String::new();
        std::io::stdin().read_line(&mut line)?;
        let password = Password::parse("password", line.trim_end_matches(['\r', '\n']))
            .map_err(|e| anyhow::anyhow!("{}: {}", e.field, e.message))?;
        let patch = UserPatch {
            password: Some(password),
            ..UserPatch::default()
        };
        services
            .patch_user(&ctx, admin.user.id, patch, None)
            .await
            .map_err(|e| anyhow::anyhow!("{}", field_errors(&e)))?;
        out["password"] = json!("set");
        out["console"] = json!(format!(
            "{}/t/{}/console",
            public_url.trim_end_matches('/'),
            tenant.slug
        ));
    } else {
        let token = services
            .issue_setup_link(tenant.id, Some(admin.user.id))
            .await?;
        out["set_password_url"] = json!(setup_url(&public_url, &tenant.slug, &token));
    }
    print_json(&out);
    Ok(())
}

/// The console page where a set-password link's holder sets their password.
fn setup_url(public_url: &str, slug: &str, token: &str) -> String {
    format!(
        "{}/t/{slug}/console/setup?token={token}",
        public_url.trim_end_matches('/')
    )
}

/// A refusal's fields, one per line, for the terminal.
fn field_errors(e: &roster::service::Error) -> String {
    match e {
        roster::service::Error::Invalid(fields) => fields
            .iter()
            .map(|f| format!("{}: {}", f.field, f.message))
            .collect::<Vec<_>>()
            .join("\n"),
        other => other.to_string(),
    }
}

async fn open(db: &DatabaseArgs) -> anyhow::Result<Store> {
    let options = PoolOptions {
        max_connections: db.db_max_connections,
        acquire_timeout: db.db_acquire_timeout,
    };
    let store = Store::connect(&db.database_url, &options).await?;
    store
        .wait_until_ready(db.db_wait)
        .await
        .context("waiting for the database")?;
    Ok(store)
}

/// The CLI's commands work on a migrated database.
async fn services(db: &DatabaseArgs) -> anyhow::Result<Services> {
    let store = open(db).await?;
    store.migrate().await?;
    Ok(Services::new(store, Settings::default()))
}

fn print_json(value: &serde_json::Value) {
    println!(
        "{}",
        serde_json::to_string_pretty(value).unwrap_or_default()
    );
}

fn init_logging(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,tower_http=info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Text => builder.init(),
    }
}

/// Resolves on ctrl-c or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down: finishing in-flight requests");
}

/// A key as the CLI prints it: never its secret.
fn key_json(k: &roster::domain::tenant::ApiKey) -> serde_json::Value {
    json!({
        "id": k.id, "tenant_id": k.tenant_id, "name": k.name, "scopes": k.scopes.names(),
        "prefix": k.prefix, "created_at": k.created_at, "last_used_at": k.last_used_at,
        "expires_at": k.expires_at, "revoked_at": k.revoked_at,
    })
}

fn parse_scopes(raw: &str) -> anyhow::Result<Scopes> {
    let scopes = raw
        .split(',')
        .map(|s| Scope::parse("--scopes", s.trim()).map_err(|e| anyhow::anyhow!(e.message)))
        .collect::<anyhow::Result<Vec<_>>>()?;
    Ok(Scopes::new(scopes))
}
