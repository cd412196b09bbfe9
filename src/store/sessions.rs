//! Login sessions. Only the token's SHA-256 is stored.

use super::{with_conn, Result, Tx};
use crate::domain::impersonation::Impersonator;
use crate::domain::session::Session;
use chrono::{DateTime, Utc};
use uuid::Uuid;

#[derive(sqlx::FromRow)]
struct SessionRow {
    id: Uuid,
    tenant_id: Uuid,
    user_id: Uuid,
    created_at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
    revoked_at: Option<DateTime<Utc>>,
    impersonator: Option<String>,
    impersonator_name: Option<String>,
}

impl From<SessionRow> for Session {
    fn from(r: SessionRow) -> Self {
        Session {
            id: r.id,
            tenant_id: r.tenant_id,
            user_id: r.user_id,
            created_at: r.created_at,
            expires_at: r.expires_at,
            revoked_at: r.revoked_at,
            impersonator: r.impersonator.map(|actor| Impersonator {
                actor,
                name: r.impersonator_name,
            }),
        }
    }
}

const SESSION_COLUMNS: &str = "s.id, s.tenant_id, s.user_id, s.created_at, s.expires_at, \
    s.revoked_at, s.impersonator, s.impersonator_name";

impl Tx {
    pub async fn insert_session(&mut self, session: &Session, token_hash: &[u8]) -> Result<()> {
        with_conn!(self, |c| sqlx::query(
            "INSERT INTO sessions (id, tenant_id, user_id, token_hash, created_at, expires_at, \
             impersonator, impersonator_name) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
        )
        .bind(session.id)
        .bind(session.tenant_id)
        .bind(session.user_id)
        .bind(token_hash)
        .bind(session.created_at)
        .bind(session.expires_at)
        .bind(session.impersonator.as_ref().map(|i| i.actor.as_str()))
        .bind(
            session
                .impersonator
                .as_ref()
                .and_then(|i| i.name.as_deref())
        )
        .execute(c)
        .await?
        .rows_affected());
        Ok(())
    }

    /// The live session with this token hash, whose user may still log in. A token is its
    /// own credential, like an API key: it names its tenant.
    pub async fn live_session_by_token(
        &mut self,
        token_hash: &[u8],
        now: DateTime<Utc>,
    ) -> Result<Option<Session>> {
        let sql = format!(
            "SELECT {SESSION_COLUMNS} FROM sessions s JOIN users u ON u.tenant_id = s.tenant_id AND u.id = s.user_id \
             WHERE s.token_hash = $1 AND s.revoked_at IS NULL AND s.expires_at > $2 \
               AND u.status = 'active'"
        );
        let row: Option<SessionRow> = with_conn!(self, |c| sqlx::query_as(&sql)
            .bind(token_hash)
            .bind(now)
            .fetch_optional(c)
            .await?);
        Ok(row.map(Session::from))
    }

    /// The user's live sessions, newest first.
    pub async fn live_sessions(
        &mut self,
        tenant: Uuid,
        user: Uuid,
        now: DateTime<Utc>,
    ) -> Result<Vec<Session>> {
        let sql = format!(
            "SELECT {SESSION_COLUMNS} FROM sessions s \
             WHERE s.tenant_id = $1 AND s.user_id = $2 AND s.revoked_at IS NULL AND s.expires_at > $3 \
             ORDER BY s.created_at DESC, s.id DESC"
        );
        let rows: Vec<SessionRow> = with_conn!(self, |c| sqlx::query_as(&sql)
            .bind(tenant)
            .bind(user)
            .bind(now)
            .fetch_all(c)
            .await?);
        Ok(rows.into_iter().map(Session::from).collect())
    }

    /// Revokes every unrevoked session of the user; answers how many.
    pub async fn revoke_sessions(
        &mut self,
        tenant: Uuid,
        user: Uuid,
        at: DateTime<Utc>,
    ) -> Result<u64> {
        let sql = "UPDATE sessions SET revoked_at = $3 \
             WHERE tenant_id = $1 AND user_id = $2 AND revoked_at IS NULL";
        self.stamp(sql, tenant, user, at).await
    }

    /// Revokes one session by its token hash; answers whether a live one was revoked.
    pub async fn revoke_session_by_token(
        &mut self,
        tenant: Uuid,
        token_hash: &[u8],
        at: DateTime<Utc>,
    ) -> Result<bool> {
        let sql = "UPDATE sessions SET revoked_at = $3 \
             WHERE tenant_id = $1 AND token_hash = $2 AND revoked_at IS NULL";
        Ok(self.stamp(sql, tenant, token_hash, at).await? > 0)
    }

    /// Keeps the user's `keep` newest live sessions and revokes the others.
    pub async fn revoke_sessions_beyond(
        &mut self,
        tenant: Uuid,
        user: Uuid,
        keep: i32,
        at: DateTime<Utc>,
    ) -> Result<u64> {
        Ok(with_conn!(self, |c| {
            sqlx::query(
            "UPDATE sessions SET revoked_at = $3 \
             WHERE tenant_id = $1 AND user_id = $2 AND revoked_at IS NULL AND impersonator IS NULL \
               AND id NOT IN (SELECT id FROM sessions \
                              WHERE tenant_id = $1 AND user_id = $2 AND revoked_at IS NULL AND expires_at > $3 \
                                AND impersonator IS NULL \
                              ORDER BY created_at DESC, id DESC LIMIT $4)"
        )
        .bind(tenant)
        .bind(user)
        .bind(at)
        .bind(i64::from(keep))
        .execute(c)
        .await?
        .rows_affected()
        }))
    }
}
