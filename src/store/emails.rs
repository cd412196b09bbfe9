//! The email outbox. A row is written in the transaction of the change that causes the email,
//! and the delivery worker claims, sends and settles it.

use super::{with_conn, Result, Tx};
use crate::domain::outbox::EmailDelivery;
use chrono::{DateTime, Utc};
use uuid::Uuid;

#[derive(sqlx::FromRow)]
struct DeliveryRow {
    id: Uuid,
    user_id: Uuid,
    kind: String,
    recipient: String,
    status: String,
    attempts: i64,
    last_error: Option<String>,
    next_attempt_at: DateTime<Utc>,
    created_at: DateTime<Utc>,
    sent_at: Option<DateTime<Utc>>,
}

impl From<DeliveryRow> for EmailDelivery {
    fn from(r: DeliveryRow) -> Self {
        EmailDelivery {
            id: r.id,
            user_id: r.user_id,
            kind: r.kind,
            recipient: r.recipient,
            status: r.status,
            attempts: r.attempts,
            last_error: r.last_error,
            next_attempt_at: r.next_attempt_at,
            created_at: r.created_at,
            sent_at: r.sent_at,
        }
    }
}

/// An email a worker has claimed, with what it needs to render and send it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ClaimedEmail {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub tenant_slug: String,
    pub tenant_name: String,
    pub user_id: Uuid,
    pub kind: String,
    pub recipient: String,
    pub secret: Option<String>,
    pub message_id: String,
    pub attempts: i64,
}

const RECORD_COLUMNS: &str =
    "id, user_id, kind, recipient, status, attempts, last_error, next_attempt_at, created_at, sent_at";

impl Tx {
    /// Queues an email of `kind` to `recipient` about `user`, due at once. `secret` is what
    /// the email must carry (an invite token); it is wiped once the email is settled.
    pub async fn queue_email(
        &mut self,
        tenant: Uuid,
        user: Uuid,
        kind: &str,
        recipient: &str,
        secret: Option<&str>,
        at: DateTime<Utc>,
    ) -> Result<Uuid> {
        let id = Uuid::now_v7();
        with_conn!(self, |c| {
            sqlx::query(
            "INSERT INTO emails (id, tenant_id, user_id, kind, recipient, status, secret, message_id, \
             next_attempt_at, created_at) VALUES ($1, $2, $3, $4, $5, 'queued', $6, $7, $8, $8)"
        )
        .bind(id)
        .bind(tenant)
        .bind(user)
        .bind(kind)
        .bind(recipient)
        .bind(secret)
        .bind(format!("<{id}@roster>"))
        .bind(at)
        .execute(c)
        .await?
        .rows_affected()
        });
        Ok(id)
    }

    /// The emails about a user, oldest first.
    pub async fn emails_of(&mut self, tenant: Uuid, user: Uuid) -> Result<Vec<EmailDelivery>> {
        let sql = format!(
            "SELECT {RECORD_COLUMNS} FROM emails WHERE tenant_id = $1 AND user_id = $2 ORDER BY created_at, id"
        );
        let rows: Vec<DeliveryRow> = with_conn!(self, |c| sqlx::query_as(&sql)
            .bind(tenant)
            .bind(user)
            .fetch_all(c)
            .await?);
        Ok(rows.into_iter().map(EmailDelivery::from).collect())
    }

    /// Claims up to `limit` emails that are due, or whose sender's lease ran out (it died),
    /// until `lease_until`. On Postgres `SKIP LOCKED` lets several workers claim side by side
    /// without ever taking the same row.
    pub async fn claim_emails(
        &mut self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<ClaimedEmail>> {
        let due = format!(
            "SELECT id FROM emails \
             WHERE (status = 'queued' AND next_attempt_at <= $1) OR (status = 'sending' AND lease_until <= $1) \
             ORDER BY next_attempt_at LIMIT {limit}"
        );
        let claim = |due: &str| {
            format!(
                "UPDATE emails SET status = 'sending', lease_until = $2, attempts = attempts + 1 \
                 WHERE id IN ({due}) \
                 RETURNING id, tenant_id, \
                   (SELECT slug FROM tenants t WHERE t.id = emails.tenant_id) AS tenant_slug, \
                   (SELECT name FROM tenants t WHERE t.id = emails.tenant_id) AS tenant_name, \
                   user_id, kind, recipient, secret, message_id, attempts"
            )
        };
        let pg = claim(&format!("{due} FOR UPDATE SKIP LOCKED"));
        let lite = claim(&due);
        Ok(with_conn!(self, sql = (&pg, &lite), |c| sqlx::query_as(
            sql
        )
        .bind(now)
        .bind(lease_until)
        .fetch_all(c)
        .await?))
    }

    /// Delivered: done, and its secret forgotten.
    pub async fn email_sent(&mut self, id: Uuid, at: DateTime<Utc>) -> Result<()> {
        with_conn!(self, |c| {
            sqlx::query(
            "UPDATE emails SET status = 'sent', sent_at = $2, lease_until = NULL, secret = NULL, last_error = NULL \
             WHERE id = $1"
        )
        .bind(id)
        .bind(at)
        .execute(c)
        .await?
        .rows_affected()
        });
        Ok(())
    }

    /// A failed attempt to try again at `retry_at`.
    pub async fn email_retry(
        &mut self,
        id: Uuid,
        error: &str,
        retry_at: DateTime<Utc>,
    ) -> Result<()> {
        with_conn!(self, |c| {
            sqlx::query(
            "UPDATE emails SET status = 'queued', lease_until = NULL, last_error = $2, next_attempt_at = $3 \
             WHERE id = $1"
        )
        .bind(id)
        .bind(error)
        .bind(retry_at)
        .execute(c)
        .await?
        .rows_affected()
        });
        Ok(())
    }

    /// Given up: the error was permanent or the attempts ran out; the secret is forgotten.
    pub async fn email_failed(&mut self, id: Uuid, error: &str) -> Result<()> {
        with_conn!(self, |c| {
            sqlx::query(
            "UPDATE emails SET status = 'failed', lease_until = NULL, last_error = $2, secret = NULL WHERE id = $1"
        )
        .bind(id)
        .bind(error)
        .execute(c)
        .await?
        .rows_affected()
        });
        Ok(())
    }
}
