//! Roster's domain: pure types and rules. Nothing here knows about HTTP or SQL.

pub mod authority;
pub mod clock;
pub mod console;
pub mod error;
pub mod event;
pub mod extension;
pub mod external_token;
pub mod fields;
pub mod group;
pub mod idempotency;
pub mod impersonation;
pub mod import;
pub mod invite;
pub mod membership;
pub mod outbox;
pub mod password;
pub mod password_hash;
pub mod permission;
pub mod plan;
pub mod profile;
pub mod query;
pub mod rate_limit;
pub mod role;
pub mod room;
pub mod schedule;
pub mod session;
pub mod status;
pub mod tenant;
pub mod user;
pub mod username;
pub mod webhook;

pub use error::{DomainError, Entity, FieldError, FieldErrors};
pub use status::{Outcome, Status, Transition};
