//! Use cases. Each one runs in ONE transaction: load (and lock), ask the domain, write, and
//! append the audit event, then commit. HTTP handlers of every API call only this layer.

mod error;
pub mod groups;
mod idempotency;
pub mod invites;
pub mod lifecycle;
pub mod memberships;
pub mod outbox;
mod passwords;
pub mod plans;
mod rate_limit;
pub mod rooms;
pub mod secrets;
pub mod sessions;
pub mod tenants;
pub mod user_query;
pub mod users;

pub use error::{Error, Result};
pub use passwords::Passwords;

use crate::domain::clock::Clock;
use crate::domain::event::{Actor, Note};
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
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            session_ttl: chrono::Duration::days(30),
            invite_ttl: chrono::Duration::days(7),
            publica_rate_limit: 100,
        }
    }
}

#[derive(Clone)]
pub struct Services {
    store: Store,
    passwords: Passwords,
    settings: Settings,
    clock: Clock,
}

impl Services {
    pub fn new(store: Store, settings: Settings) -> Self {
        Self {
            store,
            passwords: Passwords::default(),
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

    pub fn settings(&self) -> &Settings {
        &self.settings
    }
}

/// Who is asking, for which tenant, in which request.
#[derive(Debug, Clone)]
pub struct Context {
    pub tenant: Uuid,
    actor: String,
    request_id: Option<String>,
}

impl Context {
    pub fn new(tenant: Uuid, actor: Actor, request_id: Option<String>) -> Self {
        Self {
            tenant,
            actor: actor.to_string(),
            request_id,
        }
    }

    fn origin<'a>(&'a self, note: &'a Note, at: DateTime<Utc>) -> EventOrigin<'a> {
        EventOrigin {
            tenant: self.tenant,
            actor: &self.actor,
            request_id: self.request_id.as_deref(),
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
