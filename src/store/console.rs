//! The admin console's storage: one-time set-password links (only the token's SHA-256 is
//! stored) and the per-status counts of the users list.

use super::events::{events, EventRow, EVENT_COLUMNS};
use super::{with_conn, Result, Tx};
use crate::domain::console::SetupLink;
use crate::domain::event::{Event, EventCursor};
use crate::domain::Status;
use chrono::{DateTime, Utc};
use uuid::Uuid;

#[derive(sqlx::FromRow)]
struct SetupLinkRow {
    id: Uuid,
    tenant_id: Uuid,
    user_id: Option<Uuid>,
    expires_at: DateTime<Utc>,
    used_at: Option<DateTime<Utc>>,
}

impl From<SetupLinkRow> for SetupLink {
    fn from(r: SetupLinkRow) -> Self {
        SetupLink {
            id: r.id,
            tenant_id: r.tenant_id,
            user_id: r.user_id,
            expires_at: r.expires_at,
            used_at: r.used_at,
        }
    }
}

impl Tx {
    pub async fn insert_setup_link(
        &mut self,
        link: &SetupLink,
        token_hash: &[u8],
        at: DateTime<Utc>,
    ) -> Result<()> {
        with_conn!(self, |c| sqlx::query(
            "INSERT INTO console_setup_tokens \
             (id, tenant_id, user_id, token_hash, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6)"
        )
        .bind(link.id)
        .bind(link.tenant_id)
        .bind(link.user_id)
        .bind(token_hash)
        .bind(at)
        .bind(link.expires_at)
        .execute(c)
        .await?
        .rows_affected());
        Ok(())
    }

    /// The link of this tenant with this token hash, whatever its state.
    pub async fn setup_link(
        &mut self,
        tenant: Uuid,
        token_hash: &[u8],
    ) -> Result<Option<SetupLink>> {
        let row: Option<SetupLinkRow> = with_conn!(self, |c| sqlx::query_as(
            "SELECT id, tenant_id, user_id, expires_at, used_at FROM console_setup_tokens \
             WHERE tenant_id = $1 AND token_hash = $2"
        )
        .bind(tenant)
        .bind(token_hash)
        .fetch_optional(c)
        .await?);
        Ok(row.map(SetupLink::from))
    }

    /// Marks the link used; false if it was used meanwhile.
    pub async fn use_setup_link(
        &mut self,
        tenant: Uuid,
        id: Uuid,
        at: DateTime<Utc>,
    ) -> Result<bool> {
        let sql = "UPDATE console_setup_tokens SET used_at = $3 \
                   WHERE tenant_id = $1 AND id = $2 AND used_at IS NULL";
        Ok(self.stamp(sql, tenant, id, at).await? == 1)
    }

    /// How many users of the tenant have each status, each counted up to `cap` (one index
    /// range per status, so the answer costs the same with a million users).
    pub async fn status_counts_capped(
        &mut self,
        tenant: Uuid,
        cap: u32,
    ) -> Result<Vec<(Status, i64)>> {
        let sql = format!(
            "SELECT COUNT(*) FROM (SELECT 1 FROM users WHERE tenant_id = $1 AND status = $2 \
             LIMIT {cap}) capped"
        );
        let mut counts = Vec::with_capacity(Status::ALL.len());
        for status in Status::ALL {
            let n: i64 = with_conn!(self, |c| sqlx::query_scalar(&sql)
                .bind(tenant)
                .bind(status.as_str())
                .fetch_one(c)
                .await?);
            counts.push((status, n));
        }
        Ok(counts)
    }
}

impl Tx {
    /// The tenant's latest events, newest first, before `before` when given, of one action
    /// when given: the console's feed (the API's feed reads forward from a cursor instead).
    pub async fn latest_events(
        &mut self,
        tenant: Uuid,
        before: Option<EventCursor>,
        action: Option<&str>,
        limit: u32,
    ) -> Result<Vec<Event>> {
        let before = before.unwrap_or(EventCursor {
            tx_order: i64::MAX,
            seq: i64::MAX,
        });
        let sql = format!(
            "SELECT {EVENT_COLUMNS} FROM events \
             WHERE tenant_id = $1 AND (tx_order, seq) < ($2, $3) AND ($4 IS NULL OR action = $4) \
             ORDER BY tx_order DESC, seq DESC LIMIT {limit}"
        );
        let rows: Vec<EventRow> = with_conn!(self, |c| sqlx::query_as(&sql)
            .bind(tenant)
            .bind(before.tx_order)
            .bind(before.seq)
            .bind(action)
            .fetch_all(c)
            .await?);
        events(rows)
    }
}

impl Tx {
    /// A user's latest events before `before` (a `seq`), newest first.
    pub async fn latest_user_events(
        &mut self,
        tenant: Uuid,
        user: Uuid,
        before: Option<i64>,
        limit: u32,
    ) -> Result<Vec<Event>> {
        let sql = format!(
            "SELECT {EVENT_COLUMNS} FROM events WHERE tenant_id = $1 AND user_id = $2 \
             AND seq < $3 ORDER BY seq DESC LIMIT {limit}"
        );
        let rows: Vec<EventRow> = with_conn!(self, |c| sqlx::query_as(&sql)
            .bind(tenant)
            .bind(user)
            .bind(before.unwrap_or(i64::MAX))
            .fetch_all(c)
            .await?);
        events(rows)
    }
}
