//! Erasure: forgetting a user's personal data everywhere it is stored, and scrubbing it from
//! the audit log (whose rows otherwise never change).

use super::events::{EventRow, EVENT_COLUMNS};
use super::{with_conn, Result, Tx};
use crate::domain::event::Event;
use chrono::{DateTime, Utc};
use serde_json::Value;
use uuid::Uuid;

/// The tables whose rows about a user an erasure deletes, children before parents.
const USER_ROWS: [&str; 10] = [
    "sessions",
    "invites",
    "emails",
    "member_products",
    "group_members",
    "room_members",
    "user_plans",
    "user_extensions",
    "scheduled_changes",
    "email_keys",
];

impl Tx {
    /// Every address the user holds (primary and secondary), as typed and as keyed.
    pub async fn addresses_of(
        &mut self,
        tenant: Uuid,
        user: Uuid,
    ) -> Result<Vec<(String, String)>> {
        Ok(with_conn!(self, |c| sqlx::query_as(
            "SELECT email, email_key FROM email_keys WHERE tenant_id = $1 AND user_id = $2"
        )
        .bind(tenant)
        .bind(user)
        .fetch_all(c)
        .await?))
    }

    /// Clears the user's personal columns and password, sets `status`, and deletes every row
    /// about them in [`USER_ROWS`]. The id, number and dates stay.
    pub async fn forget_user(
        &mut self,
        tenant: Uuid,
        user: Uuid,
        status: &str,
        at: DateTime<Utc>,
    ) -> Result<()> {
        with_conn!(self, |c| {
            sqlx::query(
            "UPDATE users SET email = NULL, email_key = NULL, external_id = NULL, first_name = NULL, \
             last_name = NULL, phone_number = NULL, username = NULL, username_key = NULL, \
             password_hash = NULL, search_text = '', roles = '', sessions_limit = NULL, \
             status = $3, status_changed_at = $4, updated_at = $4, version = version + 1 \
             WHERE tenant_id = $1 AND id = $2"
        )
        .bind(tenant)
        .bind(user)
        .bind(status)
        .bind(at)
        .execute(c)
        .await?
        .rows_affected()
        });
        for table in USER_ROWS {
            let sql = format!("DELETE FROM {table} WHERE tenant_id = $1 AND user_id = $2");
            with_conn!(self, |c| sqlx::query(&sql)
                .bind(tenant)
                .bind(user)
                .execute(c)
                .await?
                .rows_affected());
        }
        Ok(())
    }

    /// The tenant's events about `user` or whose text holds any of `values` (compared
    /// case-insensitively), oldest first.
    pub async fn events_mentioning(
        &mut self,
        tenant: Uuid,
        user: Uuid,
        values: &[String],
    ) -> Result<Vec<Event>> {
        let text = "lower(COALESCE(actor, '') || ' ' || COALESCE(actor_name, '') || ' ' || \
             COALESCE(description, '') || ' ' || COALESCE(reference_id, '') || ' ' || \
             COALESCE(details, ''))";
        let mentions: String = (0..values.len())
            .map(|i| format!(" OR {text} LIKE ${} ESCAPE '\\'", i + 3))
            .collect();
        let base = format!(
            "SELECT {EVENT_COLUMNS} FROM events WHERE tenant_id = $1 AND (user_id = $2{mentions}) \
             ORDER BY seq"
        );
        // Postgres keeps details as JSON text in a `text` column on both backends' schemas.
        let rows: Vec<EventRow> = with_conn!(self, |c| {
            let mut q = sqlx::query_as(&base).bind(tenant).bind(user);
            for v in values {
                q = q.bind(super::users::like_pattern(v));
            }
            q.fetch_all(c).await?
        });
        rows.into_iter().map(EventRow::into_event).collect()
    }

    /// Rewrites the personal fields of one event (an erasure's scrub; see migration 0011).
    pub async fn scrub_event(
        &mut self,
        tenant: Uuid,
        e: &Event,
        details: Option<&Value>,
    ) -> Result<()> {
        with_conn!(
            self,
            sql = (
                "SELECT set_config('roster.erasing', 'on', true)",
                "SELECT 'on'"
            ),
            |c| sqlx::query_scalar::<_, String>(sql).fetch_one(c).await?
        );
        with_conn!(self, |c| sqlx::query(
            "UPDATE events SET actor = $3, actor_name = $4, description = $5, reference_id = $6, \
             details = $7 WHERE tenant_id = $1 AND seq = $2"
        )
        .bind(tenant)
        .bind(e.seq)
        .bind(&e.actor)
        .bind(&e.actor_name)
        .bind(&e.description)
        .bind(&e.reference_id)
        .bind(details.map(|d| d.to_string()))
        .execute(c)
        .await?
        .rows_affected());
        Ok(())
    }

    /// Forgets cached idempotent answers whose body holds `value` (they are replay guards,
    /// kept a day; an erased address must not outlive its user there).
    pub async fn forget_cached_answers(&mut self, value: &str) -> Result<u64> {
        Ok(with_conn!(
            self,
            sql = (
                "DELETE FROM idempotency_keys WHERE position(convert_to($1, 'UTF8') in body) > 0",
                "DELETE FROM idempotency_keys WHERE instr(body, CAST($1 AS BLOB)) > 0"
            ),
            |c| sqlx::query(sql)
                .bind(value)
                .execute(c)
                .await?
                .rows_affected()
        ))
    }
}
