//! Impersonation: an admin acting as a user through a short-lived session of that user's,
//! marked with who opened it. Such a session may not change the user's credentials.

use chrono::Duration;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// How long an impersonation session lives.
pub fn session_ttl() -> Duration {
    Duration::minutes(30)
}

/// How long an impersonation link (the `impersonate` URL of a user list) can be opened.
pub fn link_ttl() -> Duration {
    Duration::minutes(10)
}

/// Who acts through an impersonation session: an actor as events record one (`key:…`,
/// `user:…`) and the name it goes by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Impersonator {
    pub actor: String,
    pub name: Option<String>,
}

/// What an impersonation session may not do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Guarded {
    Password,
    Email,
}

impl Guarded {
    pub fn field(self) -> &'static str {
        match self {
            Guarded::Password => "password",
            Guarded::Email => "email",
        }
    }
}

/// Refuses a credential change made through an impersonation session: the admin acts as the
/// user, but must not take their account over.
pub fn may_change(impersonator: Option<&Impersonator>, what: Guarded) -> Result<(), Guarded> {
    match impersonator {
        Some(_) => Err(what),
        None => Ok(()),
    }
}

/// The claims of an impersonation link's ticket (signed by roster with a per-tenant secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ticket {
    /// The user to act as.
    pub sub: Uuid,
    /// The tenant.
    pub tid: Uuid,
    /// The impersonator's actor.
    pub act: String,
    /// The impersonator's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub act_name: Option<String>,
    /// Expiry, Unix seconds.
    pub exp: i64,
    /// The ticket's id: a link opens once.
    pub jti: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_impersonation_session_changes_no_credential() {
        let admin = Impersonator {
            actor: "key:1".into(),
            name: None,
        };
        assert_eq!(
            may_change(Some(&admin), Guarded::Password),
            Err(Guarded::Password)
        );
        assert_eq!(
            may_change(Some(&admin), Guarded::Email),
            Err(Guarded::Email)
        );
        assert_eq!(may_change(None, Guarded::Password), Ok(()));
    }
}
