//! Password reset links. Only the token's SHA-256 is stored.

use super::{with_conn, Result, Tx};
use crate::domain::password::PasswordReset;
use chrono::{DateTime, Utc};
use uuid::Uuid;

#[derive(sqlx::FromRow)]
struct ResetRow {
    id: Uuid,
    tenant_id: Uuid,
    user_id: Uuid,
    created_at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
    used_at: Option<DateTime<Utc>>,
    revoked_at: Option<DateTime<Utc>>,
}

impl From<ResetRow> for PasswordReset {
    fn from(r: ResetRow) -> Self {
        PasswordReset {
            id: r.id,
            tenant_id: r.tenant_id,
            user_id: r.user_id,
            created_at: r.created_at,
            expires_at: r.expires_at,
            used_at: r.used_at,
            revoked_at: r.revoked_at,
        }
    }
}

impl Tx {
    pub async fn insert_password_reset(
        &mut self,
        reset: &PasswordReset,
        token_hash: &[u8],
    ) -> Result<()> {
        with_conn!(self, |c| {
            sqlx::query(
            "INSERT INTO password_resets (id, tenant_id, user_id, token_hash, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6)"
        )
        .bind(reset.id)
        .bind(reset.tenant_id)
        .bind(reset.user_id)
        .bind(token_hash)
        .bind(reset.created_at)
        .bind(reset.expires_at)
        .execute(c)
        .await?
        .rows_affected()
        });
        Ok(())
    }

    /// The reset link with this token hash, in this tenant, whatever its state.
    pub async fn password_reset_by_token(
        &mut self,
        tenant: Uuid,
        token_hash: &[u8],
    ) -> Result<Option<PasswordReset>> {
        let row: Option<ResetRow> = with_conn!(self, |c| sqlx::query_as(
            "SELECT id, tenant_id, user_id, created_at, expires_at, used_at, revoked_at \
             FROM password_resets WHERE tenant_id = $1 AND token_hash = $2"
        )
        .bind(tenant)
        .bind(token_hash)
        .fetch_optional(c)
        .await?);
        Ok(row.map(PasswordReset::from))
    }

    /// Kills every open reset link of the user; answers how many.
    pub async fn revoke_password_resets(
        &mut self,
        tenant: Uuid,
        user: Uuid,
        at: DateTime<Utc>,
    ) -> Result<u64> {
        let sql = "UPDATE password_resets SET revoked_at = $3 \
             WHERE tenant_id = $1 AND user_id = $2 AND revoked_at IS NULL AND used_at IS NULL";
        self.stamp(sql, tenant, user, at).await
    }

    /// Marks the link used; answers false if it was used or replaced meanwhile.
    pub async fn use_password_reset(
        &mut self,
        tenant: Uuid,
        id: Uuid,
        at: DateTime<Utc>,
    ) -> Result<bool> {
        let sql = "UPDATE password_resets SET used_at = $3 \
             WHERE tenant_id = $1 AND id = $2 AND used_at IS NULL AND revoked_at IS NULL";
        Ok(self.stamp(sql, tenant, id, at).await? == 1)
    }
}
