//! The email outbox. A row is written in the transaction of the change that causes the email.

use super::{with_conn, Result, Tx};
use chrono::{DateTime, Utc};
use uuid::Uuid;

impl Tx {
    /// Queues an email of `kind` to `recipient` about `user`, due at once.
    pub async fn queue_email(
        &mut self,
        tenant: Uuid,
        user: Uuid,
        kind: &str,
        recipient: &str,
        at: DateTime<Utc>,
    ) -> Result<Uuid> {
        let id = Uuid::now_v7();
        with_conn!(self, |c| {
            sqlx::query(
            "INSERT INTO emails (id, tenant_id, user_id, kind, recipient, status, next_attempt_at, created_at) \
             VALUES ($1, $2, $3, $4, $5, 'queued', $6, $6)"
        )
        .bind(id)
        .bind(tenant)
        .bind(user)
        .bind(kind)
        .bind(recipient)
        .bind(at)
        .execute(c)
        .await?
        .rows_affected()
        });
        Ok(id)
    }

    /// (kind, recipient, status) of every email about the user, oldest first.
    pub async fn emails_of(
        &mut self,
        tenant: Uuid,
        user: Uuid,
    ) -> Result<Vec<(String, String, String)>> {
        Ok(with_conn!(self, |c| sqlx::query_as(
            "SELECT kind, recipient, status FROM emails WHERE tenant_id = $1 AND user_id = $2 \
             ORDER BY created_at, id"
        )
        .bind(tenant)
        .bind(user)
        .fetch_all(c)
        .await?))
    }
}
