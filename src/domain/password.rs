//! The password policy, and password reset links.

use super::error::FieldError;
use super::fields::Password;
use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

/// How long a password reset link works.
pub fn reset_ttl() -> Duration {
    Duration::minutes(30)
}

/// Reset requests allowed per address, and per tenant, per rate-limit window (a minute).
pub const RESETS_PER_ADDRESS: u32 = 3;
pub const RESETS_PER_TENANT: u32 = 30;

/// A new password: 8 to 255 characters, not the user's email, and (when the caller knows it)
/// not the current password.
pub fn new_password(
    field: &str,
    raw: &str,
    current: Option<&str>,
    email: Option<&str>,
) -> Result<Password, FieldError> {
    let password = Password::parse(field, raw)?;
    if current == Some(raw) {
        return Err(FieldError::new(
            field,
            "must differ from the current password",
        ));
    }
    if email.is_some_and(|e| e.trim().to_lowercase() == raw.trim().to_lowercase()) {
        return Err(FieldError::new(field, "must not be the email address"));
    }
    Ok(password)
}

/// A password reset link. It dies when used, replaced by a newer one, or too old.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswordReset {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub user_id: Uuid,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// Why a reset link no longer works.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeadReset {
    Used,
    Replaced,
    Expired,
}

impl DeadReset {
    pub fn reason(self) -> &'static str {
        match self {
            DeadReset::Used => "this password reset link was already used",
            DeadReset::Replaced => "this password reset link was replaced by a newer one",
            DeadReset::Expired => "this password reset link has expired",
        }
    }
}

impl PasswordReset {
    pub fn usable(&self, now: DateTime<Utc>) -> Result<(), DeadReset> {
        if self.used_at.is_some() {
            Err(DeadReset::Used)
        } else if self.revoked_at.is_some() {
            Err(DeadReset::Replaced)
        } else if self.expires_at <= now {
            Err(DeadReset::Expired)
        } else {
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy() {
        assert!(new_password("p", "short", None, None).is_err());
        assert!(new_password("p", "long enough", None, None).is_ok());
        let same = new_password("p", "old password", Some("old password"), None).unwrap_err();
        assert_eq!(same.field, "p");
        assert!(new_password("p", "Ada@Example.com", None, Some("ada@example.com")).is_err());
        assert!(new_password("p", "new password", Some("old password"), Some("a@b.c")).is_ok());
    }

    #[test]
    fn a_reset_dies_used_replaced_or_expired() {
        let now = Utc::now();
        let live = PasswordReset {
            id: Uuid::nil(),
            tenant_id: Uuid::nil(),
            user_id: Uuid::nil(),
            created_at: now,
            expires_at: now + reset_ttl(),
            used_at: None,
            revoked_at: None,
        };
        assert_eq!(live.usable(now), Ok(()));
        assert_eq!(live.usable(now + reset_ttl()), Err(DeadReset::Expired));
        let used = PasswordReset {
            used_at: Some(now),
            revoked_at: Some(now),
            ..live.clone()
        };
        assert_eq!(used.usable(now), Err(DeadReset::Used));
        let replaced = PasswordReset {
            revoked_at: Some(now),
            ..live
        };
        assert_eq!(replaced.usable(now), Err(DeadReset::Replaced));
    }
}
