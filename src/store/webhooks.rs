//! Webhook endpoints and their delivery outbox. Deliveries are enqueued by a trigger on
//! `events` (migration 0007), so they commit with the event they announce; here the worker
//! claims, sends and settles them, and a tenant inspects, re-sends and replays them.

use super::events::EventRow;
use super::{with_conn, Result, Tx};
use crate::domain::event::{Event, EventCursor};
use crate::domain::webhook::{Attempt, Delivery, Endpoint, EventTypes};
use chrono::{DateTime, Utc};
use uuid::Uuid;

#[derive(sqlx::FromRow)]
struct EndpointRow {
    id: Uuid,
    url: String,
    event_types: String,
    description: Option<String>,
    paused_at: Option<DateTime<Utc>>,
    paused_reason: Option<String>,
    consecutive_failures: i64,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<EndpointRow> for Endpoint {
    fn from(r: EndpointRow) -> Self {
        Endpoint {
            id: r.id,
            url: r.url,
            event_types: EventTypes::from_stored(&r.event_types),
            description: r.description,
            paused_at: r.paused_at,
            paused_reason: r.paused_reason,
            consecutive_failures: r.consecutive_failures,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

const ENDPOINT_COLUMNS: &str = "id, url, event_types, description, paused_at, paused_reason, \
    consecutive_failures, created_at, updated_at";

#[derive(sqlx::FromRow)]
struct DeliveryRow {
    id: Uuid,
    endpoint_id: Uuid,
    event_id: Uuid,
    event_seq: i64,
    user_id: Option<Uuid>,
    action: String,
    status: String,
    attempts: i64,
    next_attempt_at: DateTime<Utc>,
    last_status_code: Option<i64>,
    last_error: Option<String>,
    created_at: DateTime<Utc>,
    delivered_at: Option<DateTime<Utc>>,
}

#[derive(sqlx::FromRow)]
struct AttemptRow {
    delivery_id: Uuid,
    attempt: i64,
    started_at: DateTime<Utc>,
    duration_ms: i64,
    status_code: Option<i64>,
    error: Option<String>,
}

/// A delivery a worker has claimed, with where it goes and the event it announces.
#[derive(Debug, Clone)]
pub struct ClaimedDelivery {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub endpoint_id: Uuid,
    pub url: String,
    pub secret: String,
    /// Counting this one.
    pub attempts: i64,
    /// The claim that holds it: only this claim settles it.
    pub claim: Uuid,
    pub event: Event,
}

#[derive(sqlx::FromRow)]
struct ClaimedRow {
    delivery_id: Uuid,
    delivery_tenant: Uuid,
    endpoint_id: Uuid,
    url: String,
    secret: String,
    attempts: i64,
    #[sqlx(flatten)]
    event: EventRow,
}

/// How one attempt ended, to record.
#[derive(Debug, Clone)]
pub struct AttemptRecord<'a> {
    pub attempt: i64,
    pub started_at: DateTime<Utc>,
    pub duration_ms: i64,
    pub status_code: Option<i64>,
    pub error: Option<&'a str>,
}

impl Tx {
    #[allow(clippy::too_many_arguments)]
    pub async fn insert_webhook(
        &mut self,
        tenant: Uuid,
        id: Uuid,
        url: &str,
        secret: &str,
        event_types: &EventTypes,
        description: Option<&str>,
        at: DateTime<Utc>,
    ) -> Result<()> {
        with_conn!(self, |c| sqlx::query(
            "INSERT INTO webhook_endpoints (id, tenant_id, url, secret, event_types, description, \
             created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7)"
        )
        .bind(id)
        .bind(tenant)
        .bind(url)
        .bind(secret)
        .bind(event_types.stored())
        .bind(description)
        .bind(at)
        .execute(c)
        .await?
        .rows_affected());
        Ok(())
    }

    pub async fn webhooks(&mut self, tenant: Uuid) -> Result<Vec<Endpoint>> {
        let sql = format!(
            "SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE tenant_id = $1 ORDER BY created_at, id"
        );
        let rows: Vec<EndpointRow> = with_conn!(self, |c| sqlx::query_as(&sql)
            .bind(tenant)
            .fetch_all(c)
            .await?);
        Ok(rows.into_iter().map(Endpoint::from).collect())
    }

    pub async fn webhook(&mut self, tenant: Uuid, id: Uuid) -> Result<Option<Endpoint>> {
        let sql = format!(
            "SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE tenant_id = $1 AND id = $2"
        );
        let row: Option<EndpointRow> = with_conn!(self, |c| sqlx::query_as(&sql)
            .bind(tenant)
            .bind(id)
            .fetch_optional(c)
            .await?);
        Ok(row.map(Endpoint::from))
    }

    /// Sets what is given; answers the endpoint as it now is.
    pub async fn update_webhook(
        &mut self,
        tenant: Uuid,
        id: Uuid,
        url: Option<&str>,
        event_types: Option<&EventTypes>,
        description: Option<Option<&str>>,
        at: DateTime<Utc>,
    ) -> Result<Option<Endpoint>> {
        let sql = format!(
            "UPDATE webhook_endpoints SET url = COALESCE($3, url), \
             event_types = COALESCE($4, event_types), \
             description = CASE WHEN $5 THEN $6 ELSE description END, updated_at = $7 \
             WHERE tenant_id = $1 AND id = $2 RETURNING {ENDPOINT_COLUMNS}"
        );
        let row: Option<EndpointRow> = with_conn!(self, |c| sqlx::query_as(&sql)
            .bind(tenant)
            .bind(id)
            .bind(url)
            .bind(event_types.map(EventTypes::stored))
            .bind(description.is_some())
            .bind(description.flatten())
            .bind(at)
            .fetch_optional(c)
            .await?);
        Ok(row.map(Endpoint::from))
    }

    /// Pauses (with the reason) or resumes an endpoint; resuming forgets its failures.
    pub async fn set_webhook_paused(
        &mut self,
        tenant: Uuid,
        id: Uuid,
        paused: Option<(&str, DateTime<Utc>)>,
        at: DateTime<Utc>,
    ) -> Result<Option<Endpoint>> {
        let sql = format!(
            "UPDATE webhook_endpoints SET paused_at = $3, paused_reason = $4, \
             consecutive_failures = CASE WHEN $3 IS NULL THEN 0 ELSE consecutive_failures END, \
             updated_at = $5 WHERE tenant_id = $1 AND id = $2 RETURNING {ENDPOINT_COLUMNS}"
        );
        let row: Option<EndpointRow> = with_conn!(self, |c| sqlx::query_as(&sql)
            .bind(tenant)
            .bind(id)
            .bind(paused.map(|p| p.1))
            .bind(paused.map(|p| p.0))
            .bind(at)
            .fetch_optional(c)
            .await?);
        Ok(row.map(Endpoint::from))
    }

    /// Removes an endpoint with its deliveries and their attempts; answers whether it existed.
    pub async fn delete_webhook(&mut self, tenant: Uuid, id: Uuid) -> Result<bool> {
        with_conn!(self, |c| sqlx::query(
            "DELETE FROM webhook_attempts WHERE tenant_id = $1 AND delivery_id IN \
             (SELECT id FROM webhook_deliveries WHERE tenant_id = $1 AND endpoint_id = $2)"
        )
        .bind(tenant)
        .bind(id)
        .execute(c)
        .await?
        .rows_affected());
        with_conn!(self, |c| sqlx::query(
            "DELETE FROM webhook_deliveries WHERE tenant_id = $1 AND endpoint_id = $2"
        )
        .bind(tenant)
        .bind(id)
        .execute(c)
        .await?
        .rows_affected());
        let n = with_conn!(self, |c| sqlx::query(
            "DELETE FROM webhook_endpoints WHERE tenant_id = $1 AND id = $2"
        )
        .bind(tenant)
        .bind(id)
        .execute(c)
        .await?
        .rows_affected());
        Ok(n > 0)
    }

    /// An endpoint's deliveries after `after_seq` (or one, by id), oldest event first, each
    /// with its attempts.
    pub async fn webhook_deliveries(
        &mut self,
        tenant: Uuid,
        endpoint: Uuid,
        only: Option<Uuid>,
        after_seq: i64,
        limit: u32,
    ) -> Result<Vec<Delivery>> {
        let chosen = format!(
            "SELECT d.id FROM webhook_deliveries d WHERE d.tenant_id = $1 AND d.endpoint_id = $2 \
             AND d.event_seq > $3 AND ($4 IS NULL OR d.id = $4) ORDER BY d.event_seq LIMIT {limit}"
        );
        let sql = format!(
            "SELECT d.id, d.endpoint_id, d.event_id, d.event_seq, d.user_id, e.action, d.status, \
             d.attempts, d.next_attempt_at, d.last_status_code, d.last_error, d.created_at, \
             d.delivered_at FROM webhook_deliveries d \
             JOIN events e ON e.tenant_id = d.tenant_id AND e.id = d.event_id \
             WHERE d.tenant_id = $1 AND d.id IN ({chosen}) ORDER BY d.event_seq"
        );
        let rows: Vec<DeliveryRow> = with_conn!(self, |c| sqlx::query_as(&sql)
            .bind(tenant)
            .bind(endpoint)
            .bind(after_seq)
            .bind(only)
            .fetch_all(c)
            .await?);
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT delivery_id, attempt, started_at, duration_ms, status_code, error \
             FROM webhook_attempts WHERE tenant_id = $1 AND delivery_id IN ({chosen}) \
             ORDER BY delivery_id, attempt"
        );
        let attempts: Vec<AttemptRow> = with_conn!(self, |c| sqlx::query_as(&sql)
            .bind(tenant)
            .bind(endpoint)
            .bind(after_seq)
            .bind(only)
            .fetch_all(c)
            .await?);
        Ok(rows
            .into_iter()
            .map(|r| Delivery {
                tries: attempts
                    .iter()
                    .filter(|a| a.delivery_id == r.id)
                    .map(|a| Attempt {
                        attempt: a.attempt,
                        started_at: a.started_at,
                        duration_ms: a.duration_ms,
                        status_code: a.status_code,
                        error: a.error.clone(),
                    })
                    .collect(),
                id: r.id,
                endpoint_id: r.endpoint_id,
                event_id: r.event_id,
                event_seq: r.event_seq,
                user_id: r.user_id,
                action: r.action,
                status: r.status,
                attempts: r.attempts,
                next_attempt_at: r.next_attempt_at,
                last_status_code: r.last_status_code,
                last_error: r.last_error,
                created_at: r.created_at,
                delivered_at: r.delivered_at,
            })
            .collect())
    }

    /// Makes a delivery due again at `at`, with the same id; answers whether there was one to
    /// re-send (one being sent right now is left to its worker).
    pub async fn resend_delivery(
        &mut self,
        tenant: Uuid,
        endpoint: Uuid,
        id: Uuid,
        at: DateTime<Utc>,
    ) -> Result<bool> {
        let n = with_conn!(self, |c| {
            sqlx::query(
            "UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = $4, delivered_at = NULL \
             WHERE tenant_id = $1 AND endpoint_id = $2 AND id = $3 AND status <> 'sending'"
        )
        .bind(tenant)
        .bind(endpoint)
        .bind(id)
        .bind(at)
        .execute(c)
        .await?
        .rows_affected()
        });
        Ok(n > 0)
    }

    /// Queues every event of the tenant after `after` that the endpoint wants: a new delivery
    /// for an event it never had, the same delivery (same `webhook-id`) due again otherwise.
    /// Answers how many deliveries are due.
    pub async fn replay_webhook(
        &mut self,
        tenant: Uuid,
        endpoint: &Endpoint,
        after: EventCursor,
        at: DateTime<Utc>,
    ) -> Result<u64> {
        let sql = |new_id: &str| {
            format!(
                "INSERT INTO webhook_deliveries (id, tenant_id, endpoint_id, event_id, event_seq, \
                 user_id, status, next_attempt_at, created_at) \
                 SELECT {new_id}, e.tenant_id, $2, e.id, e.seq, e.user_id, 'pending', $5, $5 \
                 FROM events e WHERE e.tenant_id = $1 AND (e.tx_order, e.seq) > ($3, $4) \
                 AND ($6 = ' * ' OR instr($6, ' ' || e.action || ' ') > 0) \
                 ON CONFLICT (tenant_id, endpoint_id, event_id) DO UPDATE SET status = 'pending', \
                 next_attempt_at = excluded.next_attempt_at, delivered_at = NULL \
                 WHERE webhook_deliveries.status <> 'sending'"
            )
        };
        let pg = sql("gen_random_uuid()").replace(
            "instr($6, ' ' || e.action || ' ')",
            "position(' ' || e.action || ' ' IN $6)",
        );
        let lite = sql("randomblob(16)");
        let n = with_conn!(self, sql = (&pg, &lite), |c| sqlx::query(sql)
            .bind(tenant)
            .bind(endpoint.id)
            .bind(after.tx_order)
            .bind(after.seq)
            .bind(at)
            .bind(endpoint.event_types.stored())
            .execute(c)
            .await?
            .rows_affected());
        Ok(n)
    }

    /// Claims up to `limit` deliveries until `lease_until`: due ones, and ones whose worker's
    /// lease ran out, of endpoints not paused, each the oldest open one of its user for its
    /// endpoint (so a user's deliveries go out in order). `SKIP LOCKED` lets several workers
    /// on Postgres claim side by side without taking the same row.
    pub async fn claim_webhook_deliveries(
        &mut self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<ClaimedDelivery>> {
        let claim = Uuid::new_v4();
        let due = format!(
            "SELECT d.id FROM webhook_deliveries d \
             WHERE ((d.status = 'pending' AND d.next_attempt_at <= $1) \
                 OR (d.status = 'sending' AND d.lease_until <= $1)) \
             AND NOT EXISTS (SELECT 1 FROM webhook_endpoints w WHERE w.id = d.endpoint_id AND w.paused_at IS NOT NULL) \
             AND NOT EXISTS (SELECT 1 FROM webhook_deliveries p WHERE p.endpoint_id = d.endpoint_id \
                 AND p.user_id = d.user_id AND p.event_seq < d.event_seq AND p.status <> 'delivered') \
             ORDER BY d.event_seq LIMIT {limit}"
        );
        let update = |due: &str| {
            format!(
                "UPDATE webhook_deliveries SET status = 'sending', lease_until = $2, claim = $3, \
                 attempts = attempts + 1 WHERE id IN ({due})"
            )
        };
        let pg = update(&format!("{due} FOR UPDATE SKIP LOCKED"));
        let lite = update(&due);
        let n = with_conn!(self, sql = (&pg, &lite), |c| sqlx::query(sql)
            .bind(now)
            .bind(lease_until)
            .bind(claim)
            .execute(c)
            .await?
            .rows_affected());
        if n == 0 {
            return Ok(Vec::new());
        }
        let rows: Vec<ClaimedRow> = with_conn!(self, |c| {
            sqlx::query_as(
            "SELECT d.id AS delivery_id, d.tenant_id AS delivery_tenant, d.endpoint_id, w.url, \
             w.secret, d.attempts, e.seq, e.tx_order, e.id, e.user_id, e.action, e.from_status, \
             e.to_status, e.actor, e.actor_name, e.channel, e.reference_id, e.description, e.details, e.occurred_at, \
             e.recorded_at, e.request_id, e.impersonator \
             FROM webhook_deliveries d JOIN webhook_endpoints w ON w.tenant_id = d.tenant_id AND w.id = d.endpoint_id \
             JOIN events e ON e.tenant_id = d.tenant_id AND e.id = d.event_id WHERE d.claim = $1 AND d.status = 'sending' \
             ORDER BY d.event_seq"
        )
        .bind(claim)
        .fetch_all(c)
        .await?
        });
        rows.into_iter()
            .map(|r| {
                Ok(ClaimedDelivery {
                    id: r.delivery_id,
                    tenant_id: r.delivery_tenant,
                    endpoint_id: r.endpoint_id,
                    url: r.url,
                    secret: r.secret,
                    attempts: r.attempts,
                    claim,
                    event: r.event.into_event()?,
                })
            })
            .collect()
    }

    pub async fn record_webhook_attempt(
        &mut self,
        tenant: Uuid,
        delivery: Uuid,
        a: &AttemptRecord<'_>,
    ) -> Result<()> {
        // A re-claim after a lost lease may repeat an attempt number: the first record stands.
        with_conn!(self, |c| {
            sqlx::query(
            "INSERT INTO webhook_attempts \
             (tenant_id, delivery_id, attempt, started_at, duration_ms, status_code, error) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (tenant_id, delivery_id, attempt) DO NOTHING"
        )
        .bind(tenant)
        .bind(delivery)
        .bind(a.attempt)
        .bind(a.started_at)
        .bind(a.duration_ms)
        .bind(a.status_code)
        .bind(a.error)
        .execute(c)
        .await?
        .rows_affected()
        });
        Ok(())
    }

    /// Settles a claimed delivery: delivered (`retry_at` None) or due again at `retry_at`.
    /// Only the claim that holds it settles it (not one whose lease ran out and was re-claimed).
    pub async fn settle_webhook_delivery(
        &mut self,
        id: Uuid,
        claim: Uuid,
        status_code: Option<i64>,
        error: Option<&str>,
        retry_at: Option<DateTime<Utc>>,
        at: DateTime<Utc>,
    ) -> Result<()> {
        with_conn!(self, |c| sqlx::query(
            "UPDATE webhook_deliveries SET \
             status = CASE WHEN $4 IS NULL THEN 'delivered' ELSE 'pending' END, \
             next_attempt_at = COALESCE($4, next_attempt_at), \
             delivered_at = CASE WHEN $4 IS NULL THEN $5 ELSE delivered_at END, \
             last_status_code = $2, last_error = $3, lease_until = NULL, claim = NULL \
             WHERE id = $1 AND status = 'sending' AND claim = $6"
        )
        .bind(id)
        .bind(status_code)
        .bind(error)
        .bind(retry_at)
        .bind(at)
        .bind(claim)
        .execute(c)
        .await?
        .rows_affected());
        Ok(())
    }

    /// Counts an endpoint's success (clearing its failures) or failure; a failure that makes
    /// `pause_after` in a row pauses it with `reason`. Answers whether this paused it.
    pub async fn count_webhook_outcome(
        &mut self,
        endpoint: Uuid,
        failed: bool,
        pause_after: i64,
        reason: &str,
        at: DateTime<Utc>,
    ) -> Result<bool> {
        if !failed {
            with_conn!(self, |c| sqlx::query(
                "UPDATE webhook_endpoints SET consecutive_failures = 0 \
                 WHERE id = $1 AND consecutive_failures <> 0"
            )
            .bind(endpoint)
            .execute(c)
            .await?
            .rows_affected());
            return Ok(false);
        }
        let n = with_conn!(self, |c| {
            sqlx::query(
            "UPDATE webhook_endpoints SET consecutive_failures = consecutive_failures + 1, \
             paused_at = CASE WHEN consecutive_failures + 1 >= $2 THEN $3 ELSE paused_at END, \
             paused_reason = CASE WHEN consecutive_failures + 1 >= $2 THEN $4 ELSE paused_reason END, \
             updated_at = CASE WHEN consecutive_failures + 1 >= $2 THEN $3 ELSE updated_at END \
             WHERE id = $1 AND paused_at IS NULL"
        )
        .bind(endpoint)
        .bind(pause_after)
        .bind(at)
        .bind(reason)
        .execute(c)
        .await?
        .rows_affected()
        });
        if n == 0 {
            return Ok(false);
        }
        let paused: Option<(Option<DateTime<Utc>>,)> = with_conn!(self, |c| sqlx::query_as(
            "SELECT paused_at FROM webhook_endpoints WHERE id = $1"
        )
        .bind(endpoint)
        .fetch_optional(c)
        .await?);
        Ok(paused.is_some_and(|(p,)| p.is_some()))
    }
}
