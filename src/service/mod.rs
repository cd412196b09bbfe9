//! Use cases. Each one runs in ONE transaction: load (and lock), ask the domain, write, and
//! append the audit event, then commit. HTTP handlers of every API call only this layer.

pub mod bulk;
pub mod console;
mod error;
pub mod external_auth;
pub mod groups;
mod idempotency;
pub mod impersonation;
pub mod invites;
mod key_cache;
pub mod lifecycle;
pub mod memberships;
pub mod outbox;
pub mod password_reset;
mod passwords;
pub mod plans;
mod rate_limit;
pub mod roles;
pub mod rooms;
pub mod schedules;
pub mod secrets;
pub mod self_service;
pub mod sessions;
pub mod tenants;
pub mod user_query;
pub mod users;
pub mod webhooks;

pub use error::{Error, Result};
pub use passwords::Passwords;

use crate::domain::clock::Clock;
use crate::domain::event::{Actor, Channel, Note};
use crate::domain::impersonation::Impersonator;
use crate::domain::permission::{Missing, Need, Permission, Permissions, Scope, Scopes};
use crate::domain::session::Session;
use crate::domain::user::User;
use crate::store::{EventOrigin, Store, Tx};
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use uuid::Uuid;

/// Settings the use cases need.
#[derive(Debug, Clone)]
pub struct Settings {
    pub session_ttl: chrono::Duration,
    pub invite_ttl: chrono::Duration,
    /// Calls per minute per API key on the Publica.la dialect.
    pub publica_rate_limit: u32,
    /// Let webhook endpoints be plain `http` and on private or loopback addresses (tests, a
    /// closed network). Off by default.
    pub webhooks_allow_private: bool,
    /// How long an authenticated API key may be served from the key cache without asking the
    /// database (Postgres; zero turns the cache off). Revocations empty it at once anyway.
    pub key_cache_ttl: std::time::Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            session_ttl: chrono::Duration::days(30),
            invite_ttl: chrono::Duration::days(7),
            publica_rate_limit: 100,
            webhooks_allow_private: false,
            key_cache_ttl: std::time::Duration::from_secs(10),
        }
    }
}

#[derive(Clone)]
pub struct Services {
    store: Store,
    passwords: Passwords,
    keys: std::sync::Arc<key_cache::KeyCache>,
    settings: Settings,
    clock: Clock,
}

impl Services {
    pub fn new(store: Store, settings: Settings) -> Self {
        Self {
            store,
            passwords: Passwords::default(),
            keys: std::sync::Arc::new(key_cache::KeyCache::new(settings.key_cache_ttl)),
            settings,
            clock: Clock::system(),
        }
    }

    /// These services reading the time from `clock` (tests move a manual one).
    pub fn with_clock(self, clock: Clock) -> Self {
        Self { clock, ..self }
    }

    /// The time a use case acts at: every row and event it writes carries this one value.
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// Whether the database answers: the readiness probe.
    #[tracing::instrument(skip_all)]
    pub async fn ready(&self) -> Result<()> {
        self.store.ping().await.map_err(|e| {
            tracing::warn!(error = %e, "not ready");
            Error::Unavailable
        })
    }

    /// The store these services use (the CLI builds services with other settings on it).
    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }
}

/// What a caller may do.
#[derive(Debug, Clone)]
pub enum Authority {
    /// An API key: what its scopes allow.
    Key(Scopes),
    /// A signed-in user: what their roles grant.
    User(Permissions),
    /// Someone proving who they are (a login form, an invite's token): they may act on
    /// themselves, through the use cases made for that, and nothing else.
    Visitor,
    /// The operator, or roster itself.
    Everything,
}

/// Who is asking, for which tenant, through which API, in which request.
#[derive(Debug, Clone)]
pub struct Context {
    pub tenant: Uuid,
    actor: String,
    actor_name: Option<String>,
    /// The user acting, when the caller is a person: they may always read themselves.
    acting_user: Option<Uuid>,
    authority: Authority,
    channel: Channel,
    request_id: Option<String>,
    /// Who acts as the user, on a context made from an impersonation session.
    impersonator: Option<Impersonator>,
}

impl Context {
    pub fn new(
        tenant: Uuid,
        actor: Actor,
        authority: Authority,
        channel: Channel,
        request_id: Option<String>,
    ) -> Self {
        let acting_user = match actor {
            Actor::User(id) => Some(id),
            _ => None,
        };
        Self {
            tenant,
            actor: actor.to_string(),
            actor_name: None,
            acting_user,
            authority,
            channel,
            request_id,
            impersonator: None,
        }
    }

    /// The user of a live session, with what their roles grant, calling through `channel`.
    /// An impersonation session's events name the impersonator too.
    pub fn of_session(
        session: &Session,
        permissions: Permissions,
        channel: Channel,
        request_id: Option<String>,
    ) -> Self {
        Self {
            impersonator: session.impersonator.clone(),
            ..Self::new(
                session.tenant_id,
                Actor::User(session.user_id),
                Authority::User(permissions),
                channel,
                request_id,
            )
        }
    }

    /// Who acts as the user, when this caller is an impersonation session.
    pub fn impersonator(&self) -> Option<&Impersonator> {
        self.impersonator.as_ref()
    }

    /// The caller as an impersonator: its actor and name.
    pub fn as_impersonator(&self) -> Impersonator {
        Impersonator {
            actor: self.actor.clone(),
            name: self.actor_name.clone(),
        }
    }

    /// The same caller, with the name its actor goes by (an API key's name).
    pub fn named(self, name: impl Into<String>) -> Self {
        Self {
            actor_name: Some(name.into()),
            ..self
        }
    }

    /// The same caller, recorded as `actor` on the events it causes (a key used on behalf of
    /// a person the client names).
    pub fn acting_as(self, actor: Actor) -> Self {
        Self {
            actor: actor.to_string(),
            ..self
        }
    }

    /// The person who just signed in through this caller, acting on themselves (what a login
    /// answers is read as them).
    pub fn signed_in(&self, user: Uuid) -> Self {
        Self {
            actor: Actor::User(user).to_string(),
            actor_name: None,
            acting_user: Some(user),
            authority: Authority::Visitor,
            ..self.clone()
        }
    }

    /// An impersonator coming back through a link roster signed for them: recorded as they
    /// were when the link was made, able only to open the impersonation.
    pub(crate) fn of_impersonator(
        tenant: Uuid,
        impersonator: &Impersonator,
        channel: Channel,
        request_id: Option<String>,
    ) -> Self {
        Self {
            actor: impersonator.actor.clone(),
            actor_name: impersonator.name.clone(),
            ..Self::new(
                tenant,
                Actor::System,
                Authority::Visitor,
                channel,
                request_id,
            )
        }
    }

    /// The operator, from the command line.
    pub fn operator(tenant: Uuid) -> Self {
        Self::new(
            tenant,
            Actor::Operator,
            Authority::Everything,
            Channel::Cli,
            None,
        )
    }

    /// Roster acting by itself in a tenant (a scheduled change).
    pub fn system(tenant: Uuid) -> Self {
        Self::new(
            tenant,
            Actor::System,
            Authority::Everything,
            Channel::Scheduler,
            None,
        )
    }

    pub fn channel(&self) -> Channel {
        self.channel
    }

    /// Refuses the call unless the caller holds what `need` asks.
    pub fn require(&self, need: Need) -> Result<()> {
        let held = match &self.authority {
            Authority::Everything => return Ok(()),
            Authority::Key(scopes) => scopes.permissions(),
            Authority::User(permissions) => permissions.clone(),
            Authority::Visitor => Permissions::default(),
        };
        if need.met_by(&held) {
            return Ok(());
        }
        let scope = matches!(self.authority, Authority::Key(_)).then(|| Scope::narrowest_for(need));
        Err(Error::Forbidden(Missing {
            permission: need.primary(),
            scope,
        }))
    }

    /// [`Self::require`] for an action that needs one permission.
    pub fn require_one(&self, p: &'static [Permission; 1]) -> Result<()> {
        self.require(Need(p))
    }

    /// The user calling, when the caller is a person (a session, a login).
    pub fn acting_user(&self) -> Option<Uuid> {
        self.acting_user
    }

    /// Whether the caller is this user, acting on themselves.
    pub fn is_self(&self, user: Uuid) -> bool {
        self.acting_user == Some(user)
    }

    /// Whether the caller is an API key (a platform's backend) rather than a person.
    pub fn is_key(&self) -> bool {
        matches!(self.authority, Authority::Key(_))
    }

    /// Who is asking, as events record it.
    pub fn actor(&self) -> &str {
        &self.actor
    }

    fn origin<'a>(&'a self, note: &'a Note, at: DateTime<Utc>) -> EventOrigin<'a> {
        EventOrigin {
            tenant: self.tenant,
            actor: &self.actor,
            actor_name: self.actor_name.as_deref(),
            channel: self.channel.as_str(),
            request_id: self.request_id.as_deref(),
            impersonator: self.impersonator.as_ref().map(|i| i.actor.as_str()),
            note,
            recorded_at: at,
        }
    }
}

/// A user with the keys of the groups they belong to: what every API shows of a user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserView {
    pub user: User,
    pub groups: Vec<String>,
}

/// A page of a keyset-paginated list.
#[derive(Debug, Clone)]
pub struct Page<T, C> {
    pub items: Vec<T>,
    /// Where the next page starts, when there may be one.
    pub next: Option<C>,
}

/// Attaches group keys to users with one query for the whole page.
async fn with_groups(tx: &mut Tx, tenant: Uuid, users: Vec<User>) -> Result<Vec<UserView>> {
    let ids: Vec<Uuid> = users.iter().map(|u| u.id).collect();
    let mut keys: HashMap<Uuid, Vec<String>> = HashMap::new();
    for (user, key) in tx.group_keys_of(tenant, &ids).await? {
        keys.entry(user).or_default().push(key);
    }
    Ok(users
        .into_iter()
        .map(|user| UserView {
            groups: keys.remove(&user.id).unwrap_or_default(),
            user,
        })
        .collect())
}

async fn view(tx: &mut Tx, tenant: Uuid, user: User) -> Result<UserView> {
    let mut views = with_groups(tx, tenant, vec![user]).await?;
    Ok(views.pop().expect("one user in, one view out"))
}

/// Clamps a client's page size to 1..=200 (default 50).
pub fn page_size(requested: Option<u32>) -> u32 {
    requested.unwrap_or(50).clamp(1, 200)
}
