//! Invites: a token a person redeems to join. It dies when it is used, withdrawn (revoke_invite,
//! ban, a newer invite) or too old.

use chrono::{DateTime, Utc};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invite {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub user_id: Uuid,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub accepted_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// Why an invite can no longer be redeemed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dead {
    Used,
    Revoked,
    Expired,
}

impl Dead {
    pub fn reason(self) -> &'static str {
        match self {
            Dead::Used => "this invite was already accepted",
            Dead::Revoked => "this invite was withdrawn",
            Dead::Expired => "this invite has expired",
        }
    }
}

impl Invite {
    /// Ok if the invite can be redeemed at `now`, else why not. Used beats revoked beats
    /// expired, so the reason names what happened first in the person's eyes.
    pub fn redeemable(&self, now: DateTime<Utc>) -> Result<(), Dead> {
        if self.accepted_at.is_some() {
            Err(Dead::Used)
        } else if self.revoked_at.is_some() {
            Err(Dead::Revoked)
        } else if self.expires_at <= now {
            Err(Dead::Expired)
        } else {
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    #[test]
    fn an_invite_dies_used_revoked_or_expired() {
        let now = Utc::now();
        let live = Invite {
            id: Uuid::nil(),
            tenant_id: Uuid::nil(),
            user_id: Uuid::nil(),
            created_at: now,
            expires_at: now + Duration::days(7),
            accepted_at: None,
            revoked_at: None,
        };
        assert_eq!(live.redeemable(now), Ok(()));
        assert_eq!(live.redeemable(now + Duration::days(8)), Err(Dead::Expired));
        let revoked = Invite {
            revoked_at: Some(now),
            ..live.clone()
        };
        assert_eq!(revoked.redeemable(now), Err(Dead::Revoked));
        let used = Invite {
            accepted_at: Some(now),
            ..revoked
        };
        assert_eq!(used.redeemable(now), Err(Dead::Used));
    }
}
