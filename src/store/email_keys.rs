//! Every email key of a tenant, primary (kept by a trigger on `users`) or secondary, under one
//! unique index: see migrations/postgres/0003_regpack.sql.

use super::{with_conn, Result, Tx};
use chrono::{DateTime, Utc};
use uuid::Uuid;

impl Tx {
    /// The user holding this email key, as a primary or a secondary email.
    pub async fn email_key_holder(
        &mut self,
        tenant: Uuid,
        email_key: &str,
    ) -> Result<Option<Uuid>> {
        Ok(with_conn!(self, |c| sqlx::query_scalar(
            "SELECT user_id FROM email_keys WHERE tenant_id = $1 AND email_key = $2"
        )
        .bind(tenant)
        .bind(email_key)
        .fetch_optional(c)
        .await?))
    }

    /// Adds a secondary email; a key already held anywhere in the tenant is a conflict.
    pub async fn insert_secondary_email(
        &mut self,
        tenant: Uuid,
        user: Uuid,
        email: &str,
        email_key: &str,
        at: DateTime<Utc>,
    ) -> Result<()> {
        with_conn!(self, |c| sqlx::query(
            "INSERT INTO email_keys (tenant_id, email_key, email, user_id, is_primary, added_at) \
             VALUES ($1, $2, $3, $4, FALSE, $5)"
        )
        .bind(tenant)
        .bind(email_key)
        .bind(email)
        .bind(user)
        .bind(at)
        .execute(c)
        .await?
        .rows_affected());
        Ok(())
    }

    /// A user's secondary emails, in the order they were added.
    pub async fn secondary_emails(&mut self, tenant: Uuid, user: Uuid) -> Result<Vec<String>> {
        Ok(with_conn!(self, |c| {
            sqlx::query_scalar(
            "SELECT email FROM email_keys WHERE tenant_id = $1 AND user_id = $2 AND NOT is_primary \
             ORDER BY added_at, email_key"
        )
        .bind(tenant)
        .bind(user)
        .fetch_all(c)
        .await?
        }))
    }
}
