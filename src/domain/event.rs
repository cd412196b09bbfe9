//! The audit log's entries: who did what to whom, when it happened and when it was recorded.

use super::status::Status;
use chrono::{DateTime, Utc};
use serde_json::Value;
use std::fmt;
use uuid::Uuid;

/// Who made a change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    ApiKey(Uuid),
    /// An API key used on behalf of a person the client names (Regpack's `Api-user`).
    ApiKeyFor {
        key: Uuid,
        user: String,
    },
    User(Uuid),
    Operator,
    System,
}

impl fmt::Display for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Actor::ApiKey(id) => write!(f, "api_key:{id}"),
            Actor::ApiKeyFor { key, user } => write!(f, "api_key:{key} for {user}"),
            Actor::User(id) => write!(f, "user:{id}"),
            Actor::Operator => f.write_str("operator"),
            Actor::System => f.write_str("system"),
        }
    }
}

/// The API a change came through, as the audit log records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    Native,
    Village,
    Publica,
    RocketChat,
    Regpack,
    Scim,
    Console,
    /// The `roster` command line.
    Cli,
    /// roster itself, on a schedule.
    Scheduler,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Native => "native",
            Channel::Village => "village",
            Channel::Publica => "publica",
            Channel::RocketChat => "rocketchat",
            Channel::Regpack => "regpack",
            Channel::Scim => "scim",
            Channel::Console => "console",
            Channel::Cli => "cli",
            Channel::Scheduler => "scheduler",
        }
    }
}

/// The client's account of a change: why, its reference, and when it really happened.
#[derive(Debug, Clone, Default)]
pub struct Note {
    pub reason: Option<String>,
    pub reference_id: Option<String>,
    pub occurred_at: Option<DateTime<Utc>>,
}

/// An event about to be appended.
#[derive(Debug, Clone)]
pub struct NewEvent {
    pub user_id: Option<Uuid>,
    pub action: &'static str,
    pub from_status: Option<Status>,
    pub to_status: Option<Status>,
    pub details: Option<Value>,
}

impl NewEvent {
    pub fn about(user_id: Uuid, action: &'static str) -> Self {
        Self {
            user_id: Some(user_id),
            action,
            from_status: None,
            to_status: None,
            details: None,
        }
    }

    /// An event about the tenant rather than one user (a key issued, a role defined).
    pub fn tenant_wide(action: &'static str) -> Self {
        Self {
            user_id: None,
            action,
            from_status: None,
            to_status: None,
            details: None,
        }
    }

    pub fn status(mut self, from: Option<Status>, to: Status) -> Self {
        self.from_status = from;
        self.to_status = Some(to);
        self
    }

    pub fn details(mut self, details: Value) -> Self {
        self.details = Some(details);
        self
    }
}

/// An event as recorded.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub seq: i64,
    pub tx_order: i64,
    pub id: Uuid,
    pub user_id: Option<Uuid>,
    pub action: String,
    pub from_status: Option<String>,
    pub to_status: Option<String>,
    pub actor: String,
    /// The actor's name where it has one (an API key's); None on events older than names.
    pub actor_name: Option<String>,
    /// The API the change came through; None on events older than channels.
    pub channel: Option<String>,
    pub reference_id: Option<String>,
    pub description: Option<String>,
    pub details: Option<Value>,
    pub occurred_at: DateTime<Utc>,
    pub recorded_at: DateTime<Utc>,
    pub request_id: Option<String>,
    /// Who acted as the user when the event was made through an impersonation session.
    pub impersonator: Option<String>,
}

/// A position in the tenant feed: after the event with this (tx_order, seq).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EventCursor {
    pub tx_order: i64,
    pub seq: i64,
}
