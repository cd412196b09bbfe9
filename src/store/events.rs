//! The audit log. Rows are only ever inserted.

use super::{with_conn, Result, StoreError, Tx};
use crate::domain::event::{Event, EventCursor, NewEvent, Note};
use chrono::{DateTime, Utc};
use uuid::Uuid;

#[derive(sqlx::FromRow)]
pub(super) struct EventRow {
    seq: i64,
    tx_order: i64,
    id: Uuid,
    user_id: Option<Uuid>,
    action: String,
    from_status: Option<String>,
    to_status: Option<String>,
    actor: String,
    actor_name: Option<String>,
    channel: Option<String>,
    reference_id: Option<String>,
    description: Option<String>,
    details: Option<String>,
    occurred_at: DateTime<Utc>,
    recorded_at: DateTime<Utc>,
    request_id: Option<String>,
    impersonator: Option<String>,
}

impl EventRow {
    pub(super) fn into_event(self) -> Result<Event> {
        let details = self
            .details
            .map(|d| serde_json::from_str(&d))
            .transpose()
            .map_err(|e| StoreError::Corrupt(format!("events.details: {e}")))?;
        Ok(Event {
            seq: self.seq,
            tx_order: self.tx_order,
            id: self.id,
            user_id: self.user_id,
            action: self.action,
            from_status: self.from_status,
            to_status: self.to_status,
            actor: self.actor,
            actor_name: self.actor_name,
            channel: self.channel,
            reference_id: self.reference_id,
            description: self.description,
            details,
            occurred_at: self.occurred_at,
            recorded_at: self.recorded_at,
            request_id: self.request_id,
            impersonator: self.impersonator,
        })
    }
}

pub(super) fn events(rows: Vec<EventRow>) -> Result<Vec<Event>> {
    rows.into_iter().map(EventRow::into_event).collect()
}

pub(super) const EVENT_COLUMNS: &str =
    "seq, tx_order, id, user_id, action, from_status, to_status, actor, actor_name, channel, \
    reference_id, description, details, occurred_at, recorded_at, request_id, impersonator";

/// Who and why, as the service knows it for the whole request.
pub struct EventOrigin<'a> {
    pub tenant: Uuid,
    pub actor: &'a str,
    /// The actor's name where it has one (an API key's).
    pub actor_name: Option<&'a str>,
    /// The API the change came through.
    pub channel: &'a str,
    pub request_id: Option<&'a str>,
    /// Who acts as the user, when the change comes through an impersonation session.
    pub impersonator: Option<&'a str>,
    pub note: &'a Note,
    pub recorded_at: DateTime<Utc>,
}

impl Tx {
    pub async fn append_event(&mut self, origin: &EventOrigin<'_>, e: &NewEvent) -> Result<()> {
        self.append_events(origin, std::slice::from_ref(e)).await
    }

    /// Appends events with one statement per batch of rows.
    pub async fn append_events(
        &mut self,
        origin: &EventOrigin<'_>,
        events: &[NewEvent],
    ) -> Result<()> {
        const COLUMNS: usize = 16;
        for chunk in events.chunks(100) {
            let rows = (0..chunk.len())
                .map(|i| {
                    let n = i * COLUMNS;
                    let params = (1..=COLUMNS)
                        .map(|k| format!("${}", n + k))
                        .collect::<Vec<_>>();
                    format!("({})", params.join(", "))
                })
                .collect::<Vec<_>>()
                .join(", ");
            let sql = format!(
                "INSERT INTO events (id, tenant_id, user_id, action, from_status, to_status, actor, \
                 actor_name, channel, reference_id, description, details, occurred_at, recorded_at, \
                 request_id, impersonator) VALUES {rows}"
            );
            with_conn!(self, |c| {
                let mut q = sqlx::query(&sql);
                for e in chunk {
                    q = q
                        .bind(Uuid::now_v7())
                        .bind(origin.tenant)
                        .bind(e.user_id)
                        .bind(e.action)
                        .bind(e.from_status.map(|s| s.as_str()))
                        .bind(e.to_status.map(|s| s.as_str()))
                        .bind(origin.actor)
                        .bind(origin.actor_name)
                        .bind(origin.channel)
                        .bind(&origin.note.reference_id)
                        .bind(&origin.note.reason)
                        .bind(e.details.as_ref().map(|d| d.to_string()))
                        .bind(origin.note.occurred_at.unwrap_or(origin.recorded_at))
                        .bind(origin.recorded_at)
                        .bind(origin.request_id)
                        .bind(origin.impersonator);
                }
                q.execute(c).await?.rows_affected()
            });
        }
        Ok(())
    }

    /// One user's timeline, oldest first, after `after_seq`.
    pub async fn user_events(
        &mut self,
        tenant: Uuid,
        user: Uuid,
        after_seq: i64,
        limit: u32,
        actor: Option<&str>,
    ) -> Result<Vec<Event>> {
        let sql = format!(
            "SELECT {EVENT_COLUMNS} FROM events \
             WHERE tenant_id = $1 AND user_id = $2 AND seq > $3 AND ($4 IS NULL OR actor = $4) \
             ORDER BY seq LIMIT {limit}"
        );
        let rows: Vec<EventRow> = with_conn!(self, |c| sqlx::query_as(&sql)
            .bind(tenant)
            .bind(user)
            .bind(after_seq)
            .bind(actor)
            .fetch_all(c)
            .await?);
        events(rows)
    }

    /// The tenant's feed after `after`. On Postgres it shows only events of transactions older
    /// than every transaction still running, so an event that commits late never appears
    /// behind a cursor that has already passed it.
    pub async fn feed(
        &mut self,
        tenant: Uuid,
        after: EventCursor,
        limit: u32,
        actor: Option<&str>,
    ) -> Result<Vec<Event>> {
        let base = format!(
            "SELECT {EVENT_COLUMNS} FROM events \
             WHERE tenant_id = $1 AND (tx_order, seq) > ($2, $3) AND ($4 IS NULL OR actor = $4)"
        );
        let order = format!(" ORDER BY tx_order, seq LIMIT {limit}");
        let pg = format!(
            "{base} AND tx_order < pg_snapshot_xmin(pg_current_snapshot())::text::bigint{order}"
        );
        let lite = format!("{base}{order}");
        let rows: Vec<EventRow> = with_conn!(self, sql = (&pg, &lite), |c| sqlx::query_as(sql)
            .bind(tenant)
            .bind(after.tx_order)
            .bind(after.seq)
            .bind(actor)
            .fetch_all(c)
            .await?);
        events(rows)
    }
}
