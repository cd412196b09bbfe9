//! What a use case can answer instead of a result. Each HTTP API maps these to its envelope.

use crate::domain::permission::Missing;
use crate::domain::{DomainError, Entity, FieldError, Status, Transition};
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("invalid input")]
    Invalid(Vec<FieldError>),
    #[error("{0} not found")]
    NotFound(Entity),
    /// Unique values another record already holds, by field name.
    #[error("already taken: {}", .0.join(", "))]
    Taken(Vec<&'static str>),
    /// The thing to add is already there.
    #[error("{0} already exists")]
    Exists(Entity),
    /// The state machine refused the transition.
    #[error("cannot {transition} a user who is {current}")]
    Transition {
        current: Status,
        transition: Transition,
    },
    /// Deactivating this user would leave the tenant without an active admin.
    #[error("the tenant's last active admin cannot be deactivated")]
    LastAdmin,
    /// The user alone owns rooms, and handing them over was not confirmed.
    #[error("the user is the last owner of rooms")]
    LastOwner {
        should_change_owner: Vec<String>,
        should_be_removed: Vec<String>,
    },
    /// The thing existed but can no longer be used (a spent or withdrawn invite).
    #[error("{0}")]
    Gone(&'static str),
    /// Another write happened since the version the client read.
    #[error("the user changed since version {expected}; it is now at version {current}")]
    VersionMismatch { expected: i64, current: i64 },
    /// The caller lacks a permission (a user's role) or a scope (an API key's).
    #[error("{0}")]
    Forbidden(Missing),
    /// Wrong credentials, or a person who may not log in: deliberately one answer.
    #[error("invalid credentials")]
    BadCredentials,
    #[error("the database is unavailable")]
    Unavailable,
    #[error("conflicts with an existing record")]
    Conflict,
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Invalid(vec![FieldError::new(field, message)])
    }
}

impl From<FieldError> for Error {
    fn from(e: FieldError) -> Self {
        Error::Invalid(vec![e])
    }
}

impl From<DomainError> for Error {
    fn from(e: DomainError) -> Self {
        match e {
            DomainError::Invalid(fields) => Error::Invalid(fields),
            DomainError::Transition { from, transition } => Error::Transition {
                current: from,
                transition,
            },
            DomainError::LastAdmin => Error::LastAdmin,
        }
    }
}

/// The one place a named unique constraint becomes a client error.
fn field_of_constraint(constraint: &str) -> Option<&'static str> {
    Some(match constraint {
        "users_email_key" | "email_keys_key" => "email",
        "users_external_id_key" => "external_id",
        "users_username_key" => "username",
        "tenants_slug_key" => "slug",
        "groups_key_key" => "key",
        "rooms_name_key" | "products_name_key" | "member_statuses_name_key" => "name",
        _ => return None,
    })
}

impl From<StoreError> for Error {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Unavailable(_) => Error::Unavailable,
            StoreError::InvalidText => Error::invalid(".", "text must not contain NUL characters"),
            StoreError::Conflict { constraint } => {
                match constraint.as_deref().and_then(field_of_constraint) {
                    Some(field) => Error::Taken(vec![field]),
                    None => Error::Conflict,
                }
            }
            other => Error::Internal(other.into()),
        }
    }
}

/// For inserts whose only client-chosen unique value is `field`: a unique violation means that
/// field is taken, on every backend.
pub(crate) fn taken_as(field: &'static str) -> impl Fn(StoreError) -> Error {
    move |e| match e {
        StoreError::Conflict { .. } => Error::Taken(vec![field]),
        other => other.into(),
    }
}
