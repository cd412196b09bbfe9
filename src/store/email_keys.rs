//! Every email key of a tenant, primary (kept by a trigger on `users`) or secondary, under one
//! unique index: see migrations/postgres/0003_regpack.sql.

use super::{with_conn, Result, Store, Tx};
use crate::domain::fields::email_key;
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

/// An email key that migration 0004 listed for re-keying.
struct Rekey {
    tenant: Uuid,
    old: String,
}

impl Store {
    /// Re-keys the emails that migration 0004 listed under [`email_key`]'s rule, one per
    /// transaction. An address whose new key another user already holds (the same mailbox,
    /// registered twice under the old rule) keeps its old key, with a warning.
    pub(super) async fn rekey_emails(&self) -> Result<()> {
        loop {
            let mut tx = self.write().await?;
            let Some(Rekey { tenant, old }) = tx.next_rekey().await? else {
                return tx.commit().await;
            };
            if let Some((user, email, primary)) = tx.email_key_row(tenant, &old).await? {
                let new = email_key(&email);
                if new != old {
                    match tx.email_key_holder(tenant, &new).await? {
                        Some(holder) => tracing::warn!(
                            %tenant, %user, %holder, key = %new,
                            "two users hold one address under the new email key rule; this one keeps its old key"
                        ),
                        None => tx.set_email_key(tenant, user, &old, &new, primary).await?,
                    }
                }
            }
            with_conn!(tx, |c| sqlx::query(
                "DELETE FROM email_rekeys WHERE tenant_id = $1 AND email_key = $2"
            )
            .bind(tenant)
            .bind(&old)
            .execute(c)
            .await?
            .rows_affected());
            tx.commit().await?;
        }
    }
}

impl Tx {
    async fn next_rekey(&mut self) -> Result<Option<Rekey>> {
        let row: Option<(Uuid, String)> = with_conn!(self, |c| sqlx::query_as(
            "SELECT tenant_id, email_key FROM email_rekeys LIMIT 1"
        )
        .fetch_optional(c)
        .await?);
        Ok(row.map(|(tenant, old)| Rekey { tenant, old }))
    }

    /// The holder of an email key: (user, email as written, whether it is their primary one).
    async fn email_key_row(
        &mut self,
        tenant: Uuid,
        key: &str,
    ) -> Result<Option<(Uuid, String, bool)>> {
        Ok(with_conn!(self, |c| {
            sqlx::query_as(
            "SELECT user_id, email, is_primary FROM email_keys WHERE tenant_id = $1 AND email_key = $2"
        )
        .bind(tenant)
        .bind(key)
        .fetch_optional(c)
        .await?
        }))
    }

    /// A primary key lives on `users` (the trigger copies it); a secondary one only here.
    async fn set_email_key(
        &mut self,
        tenant: Uuid,
        user: Uuid,
        old: &str,
        new: &str,
        primary: bool,
    ) -> Result<()> {
        let sql = if primary {
            "UPDATE users SET email_key = $4 WHERE tenant_id = $1 AND id = $2 AND email_key = $3"
        } else {
            "UPDATE email_keys SET email_key = $4 \
             WHERE tenant_id = $1 AND user_id = $2 AND email_key = $3"
        };
        with_conn!(self, |c| sqlx::query(sql)
            .bind(tenant)
            .bind(user)
            .bind(old)
            .bind(new)
            .execute(c)
            .await?
            .rows_affected());
        Ok(())
    }
}
