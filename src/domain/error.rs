//! The domain's one error type: what a rule refused, in words a client can act on.

use super::status::{Status, Transition};

/// One field that failed to parse, named as the client sent it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    #[error("invalid input")]
    Invalid(Vec<FieldError>),
    #[error("cannot {transition} a user who is {from}")]
    Transition {
        from: Status,
        transition: Transition,
    },
    /// The change would leave the tenant without an active admin.
    #[error("the tenant's last active admin cannot be deactivated")]
    LastAdmin,
}

impl DomainError {
    pub fn field(field: impl Into<String>, message: impl Into<String>) -> Self {
        DomainError::Invalid(vec![FieldError::new(field, message)])
    }
}

impl From<FieldError> for DomainError {
    fn from(e: FieldError) -> Self {
        DomainError::Invalid(vec![e])
    }
}

/// Collects every field error of a request instead of stopping at the first, so a client
/// fixes its body in one round trip.
#[derive(Debug, Default)]
pub struct FieldErrors(Vec<FieldError>);

impl FieldErrors {
    pub fn new() -> Self {
        Self::default()
    }

    /// Keeps the parsed value, or records the error and returns None.
    pub fn take<T>(&mut self, parsed: Result<T, FieldError>) -> Option<T> {
        match parsed {
            Ok(v) => Some(v),
            Err(e) => {
                self.0.push(e);
                None
            }
        }
    }

    pub fn push(&mut self, e: FieldError) {
        self.0.push(e);
    }

    pub fn finish(self) -> Result<(), DomainError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(DomainError::Invalid(self.0))
        }
    }
}

/// Two fields parsed together: both values, or the errors of both (not only the first).
pub fn both<A, B>(
    a: Result<A, FieldError>,
    b: Result<B, FieldError>,
) -> Result<(A, B), DomainError> {
    match (a, b) {
        (Ok(a), Ok(b)) => Ok((a, b)),
        (a, b) => Err(DomainError::Invalid(
            a.err().into_iter().chain(b.err()).collect(),
        )),
    }
}

/// The things roster keeps, as an error names them: "user not found", "membership already
/// exists". Each API words them its own way; none matches on the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entity {
    User,
    Group,
    Membership,
    Room,
    RoomMember,
    Invite,
    Tenant,
    ApiKey,
    Role,
    Webhook,
    WebhookDelivery,
    ScheduledChange,
    PasswordReset,
    ExternalAuthKey,
}

impl Entity {
    pub fn as_str(self) -> &'static str {
        match self {
            Entity::User => "user",
            Entity::Group => "group",
            Entity::Membership => "membership",
            Entity::Room => "room",
            Entity::RoomMember => "room member",
            Entity::Invite => "invite",
            Entity::Tenant => "tenant",
            Entity::ApiKey => "API key",
            Entity::Role => "role",
            Entity::Webhook => "webhook endpoint",
            Entity::WebhookDelivery => "webhook delivery",
            Entity::ScheduledChange => "scheduled change",
            Entity::PasswordReset => "password reset link",
            Entity::ExternalAuthKey => "external sign-in key",
        }
    }
}

impl std::fmt::Display for Entity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
