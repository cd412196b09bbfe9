//! Status changes waiting for their time: lifts of bans and deactivations with an end, and
//! changes scheduled for later. The scheduler claims a due one under a lease, so several
//! roster processes never run one change at the same time.

use super::{with_conn, Result, StoreError, Tx};
use crate::domain::schedule::{schedulable, ChangeKind, ScheduledChange};
use chrono::{DateTime, Utc};
use uuid::Uuid;

#[derive(sqlx::FromRow)]
struct ChangeRow {
    id: Uuid,
    tenant_id: Uuid,
    user_id: Uuid,
    kind: String,
    action: String,
    due_at: DateTime<Utc>,
    until: Option<DateTime<Utc>>,
    reason: Option<String>,
    reference_id: Option<String>,
    after_seq: Option<i64>,
    status: String,
    outcome: Option<String>,
    created_by: String,
    created_at: DateTime<Utc>,
    settled_at: Option<DateTime<Utc>>,
}

const COLUMNS: &str = "id, tenant_id, user_id, kind, action, due_at, until, reason, reference_id, \
    after_seq, status, outcome, created_by, created_at, settled_at";

/// A change as the scheduler runs it: for which tenant, and the lift's starting point.
#[derive(Debug, Clone)]
pub struct DueChange {
    pub tenant_id: Uuid,
    pub after_seq: Option<i64>,
    pub change: ScheduledChange,
}

impl ChangeRow {
    fn into_due(self) -> Result<DueChange> {
        let corrupt = |what: &str| StoreError::Corrupt(format!("scheduled_changes.{what}"));
        Ok(DueChange {
            tenant_id: self.tenant_id,
            after_seq: self.after_seq,
            change: ScheduledChange {
                id: self.id,
                user_id: self.user_id,
                kind: ChangeKind::parse(&self.kind).ok_or_else(|| corrupt("kind"))?,
                transition: schedulable(&self.action).ok_or_else(|| corrupt("action"))?,
                due_at: self.due_at,
                until: self.until,
                reason: self.reason,
                reference_id: self.reference_id,
                status: self.status,
                outcome: self.outcome,
                created_by: self.created_by,
                created_at: self.created_at,
                settled_at: self.settled_at,
            },
        })
    }
}

fn changes(rows: Vec<ChangeRow>) -> Result<Vec<ScheduledChange>> {
    rows.into_iter()
        .map(|r| r.into_due().map(|d| d.change))
        .collect()
}

impl Tx {
    /// Queues `change` (pending); a lift carries `after_seq`, the user's last event then.
    pub async fn insert_scheduled_change(
        &mut self,
        tenant: Uuid,
        change: &ScheduledChange,
        after_seq: Option<i64>,
    ) -> Result<()> {
        with_conn!(self, |c| sqlx::query(
            "INSERT INTO scheduled_changes (id, tenant_id, user_id, kind, action, due_at, until, \
             reason, reference_id, after_seq, status, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'pending', $11, $12)"
        )
        .bind(change.id)
        .bind(tenant)
        .bind(change.user_id)
        .bind(change.kind.as_str())
        .bind(change.transition.as_str())
        .bind(change.due_at)
        .bind(change.until)
        .bind(&change.reason)
        .bind(&change.reference_id)
        .bind(after_seq)
        .bind(&change.created_by)
        .bind(change.created_at)
        .execute(c)
        .await?
        .rows_affected());
        Ok(())
    }

    /// The tenant's changes (of one user, if given; pending ones only, if asked), by due time.
    pub async fn scheduled_changes(
        &mut self,
        tenant: Uuid,
        user: Option<Uuid>,
        pending_only: bool,
    ) -> Result<Vec<ScheduledChange>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM scheduled_changes WHERE tenant_id = $1 \
             AND ($2 IS NULL OR user_id = $2) AND (NOT $3 OR status = 'pending') \
             ORDER BY due_at, id LIMIT 1000"
        );
        let rows: Vec<ChangeRow> = with_conn!(self, |c| sqlx::query_as(&sql)
            .bind(tenant)
            .bind(user)
            .bind(pending_only)
            .fetch_all(c)
            .await?);
        changes(rows)
    }

    pub async fn scheduled_change(
        &mut self,
        tenant: Uuid,
        id: Uuid,
    ) -> Result<Option<ScheduledChange>> {
        let sql =
            format!("SELECT {COLUMNS} FROM scheduled_changes WHERE tenant_id = $1 AND id = $2");
        let rows: Vec<ChangeRow> = with_conn!(self, |c| sqlx::query_as(&sql)
            .bind(tenant)
            .bind(id)
            .fetch_all(c)
            .await?);
        Ok(changes(rows)?.pop())
    }

    /// Claims the oldest due pending change until `lease_until`, if there is one.
    pub async fn claim_due_change(
        &mut self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> Result<Option<DueChange>> {
        let due = "SELECT id FROM scheduled_changes WHERE status = 'pending' AND due_at <= $1 \
             AND (lease_until IS NULL OR lease_until <= $1) ORDER BY due_at LIMIT 1";
        let claim = |due: &str| {
            format!(
                "UPDATE scheduled_changes SET lease_until = $2 WHERE id IN ({due}) RETURNING {COLUMNS}"
            )
        };
        let pg = claim(&format!("{due} FOR UPDATE SKIP LOCKED"));
        let lite = claim(due);
        let row: Option<ChangeRow> = with_conn!(self, sql = (&pg, &lite), |c| sqlx::query_as(sql)
            .bind(now)
            .bind(lease_until)
            .fetch_optional(c)
            .await?);
        row.map(ChangeRow::into_due).transpose()
    }

    /// Ends a pending change: `done`, `skipped` or `cancelled`, with what happened. Answers
    /// whether it was still pending.
    pub async fn settle_scheduled_change(
        &mut self,
        tenant: Uuid,
        id: Uuid,
        status: &str,
        outcome: Option<&str>,
        at: DateTime<Utc>,
    ) -> Result<bool> {
        let n = with_conn!(self, |c| {
            sqlx::query(
            "UPDATE scheduled_changes SET status = $3, outcome = $4, settled_at = $5, lease_until = NULL \
             WHERE tenant_id = $1 AND id = $2 AND status = 'pending'"
        )
        .bind(tenant)
        .bind(id)
        .bind(status)
        .bind(outcome)
        .bind(at)
        .execute(c)
        .await?
        .rows_affected()
        });
        Ok(n > 0)
    }

    /// The seq of the user's last status change, if any.
    pub async fn last_status_event(&mut self, tenant: Uuid, user: Uuid) -> Result<Option<i64>> {
        let row: (Option<i64>,) = with_conn!(self, |c| {
            sqlx::query_as(
            "SELECT max(seq) FROM events WHERE tenant_id = $1 AND user_id = $2 AND to_status IS NOT NULL"
        )
        .bind(tenant)
        .bind(user)
        .fetch_one(c)
        .await?
        });
        Ok(row.0)
    }

    /// Cancels the user's pending lifts, saying why.
    pub async fn cancel_lifts(
        &mut self,
        tenant: Uuid,
        user: Uuid,
        why: &str,
        at: DateTime<Utc>,
    ) -> Result<u64> {
        Ok(with_conn!(self, |c| sqlx::query(
            "UPDATE scheduled_changes SET status = 'cancelled', outcome = $3, settled_at = $4 \
             WHERE tenant_id = $1 AND user_id = $2 AND kind = 'lift' AND status = 'pending'"
        )
        .bind(tenant)
        .bind(user)
        .bind(why)
        .bind(at)
        .execute(c)
        .await?
        .rows_affected()))
    }
}
