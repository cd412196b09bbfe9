//! Invites. Only the token's SHA-256 is stored.

use super::{with_conn, Result, Tx};
use crate::domain::invite::Invite;
use chrono::{DateTime, Utc};
use uuid::Uuid;

#[derive(sqlx::FromRow)]
struct InviteRow {
    id: Uuid,
    tenant_id: Uuid,
    user_id: Uuid,
    created_at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
    accepted_at: Option<DateTime<Utc>>,
    revoked_at: Option<DateTime<Utc>>,
}

impl From<InviteRow> for Invite {
    fn from(r: InviteRow) -> Self {
        Invite {
            id: r.id,
            tenant_id: r.tenant_id,
            user_id: r.user_id,
            created_at: r.created_at,
            expires_at: r.expires_at,
            accepted_at: r.accepted_at,
            revoked_at: r.revoked_at,
        }
    }
}

impl Tx {
    pub async fn insert_invite(&mut self, invite: &Invite, token_hash: &[u8]) -> Result<()> {
        with_conn!(self, |c| sqlx::query(
            "INSERT INTO invites (id, tenant_id, user_id, token_hash, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6)"
        )
        .bind(invite.id)
        .bind(invite.tenant_id)
        .bind(invite.user_id)
        .bind(token_hash)
        .bind(invite.created_at)
        .bind(invite.expires_at)
        .execute(c)
        .await?
        .rows_affected());
        Ok(())
    }

    /// The invite with this token hash, whatever its state. A token is its own credential: it
    /// names its tenant.
    pub async fn invite_by_token(&mut self, token_hash: &[u8]) -> Result<Option<Invite>> {
        let row: Option<InviteRow> = with_conn!(self, |c| sqlx::query_as(
            "SELECT id, tenant_id, user_id, created_at, expires_at, accepted_at, revoked_at \
             FROM invites WHERE token_hash = $1"
        )
        .bind(token_hash)
        .fetch_optional(c)
        .await?);
        Ok(row.map(Invite::from))
    }

    /// Withdraws every open invite of the user; answers how many.
    pub async fn revoke_invites(
        &mut self,
        tenant: Uuid,
        user: Uuid,
        at: DateTime<Utc>,
    ) -> Result<u64> {
        let sql = "UPDATE invites SET revoked_at = $3 \
             WHERE tenant_id = $1 AND user_id = $2 AND revoked_at IS NULL AND accepted_at IS NULL";
        self.stamp(sql, tenant, user, at).await
    }

    /// Marks the invite used; answers false if it was used or withdrawn meanwhile.
    pub async fn accept_invite(
        &mut self,
        tenant: Uuid,
        id: Uuid,
        at: DateTime<Utc>,
    ) -> Result<bool> {
        let sql = "UPDATE invites SET accepted_at = $3 \
             WHERE tenant_id = $1 AND id = $2 AND accepted_at IS NULL AND revoked_at IS NULL";
        Ok(self.stamp(sql, tenant, id, at).await? == 1)
    }
}
