//! The admin console's rules: who may sign in to it, and the one-time links that let an admin
//! set their password.

use super::authority::is_active_admin;
use super::user::User;
use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

/// How long a set-password link printed by `roster serve` or `roster admin create` works.
pub fn setup_link_ttl() -> Duration {
    Duration::hours(24)
}

/// Who may sign in to a tenant's console: its active admins.
pub fn may_sign_in(user: &User) -> bool {
    is_active_admin(user)
}

/// A one-time link to set an admin's password. Without a user it claims the tenant: it
/// creates the tenant's first admin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetupLink {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub user_id: Option<Uuid>,
    pub expires_at: DateTime<Utc>,
    pub used_at: Option<DateTime<Utc>>,
}

/// Why a set-password link no longer works.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeadLink {
    Used,
    Expired,
}

impl DeadLink {
    pub fn reason(self) -> &'static str {
        match self {
            DeadLink::Used => "this link was already used",
            DeadLink::Expired => "this link has expired",
        }
    }
}

impl SetupLink {
    /// Ok if the link can be used at `now`, else why not.
    pub fn usable(&self, now: DateTime<Utc>) -> Result<(), DeadLink> {
        if self.used_at.is_some() {
            Err(DeadLink::Used)
        } else if self.expires_at <= now {
            Err(DeadLink::Expired)
        } else {
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_dies_used_or_expired() {
        let now = Utc::now();
        let live = SetupLink {
            id: Uuid::nil(),
            tenant_id: Uuid::nil(),
            user_id: None,
            expires_at: now + setup_link_ttl(),
            used_at: None,
        };
        assert_eq!(live.usable(now), Ok(()));
        assert_eq!(
            live.usable(now + Duration::hours(25)),
            Err(DeadLink::Expired)
        );
        let used = SetupLink {
            used_at: Some(now),
            ..live
        };
        assert_eq!(used.usable(now), Err(DeadLink::Used));
    }
}
