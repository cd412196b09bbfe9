//! Webhook endpoints as a tenant manages them, and their deliveries as the worker sends them.

use super::{secrets, Context, Error, Result, Services};
use crate::domain::event::EventCursor;
use crate::domain::permission::Permission;
use crate::domain::webhook::{self, Delivery, Endpoint, EventTypes};
use crate::domain::{Entity, FieldErrors};
use crate::store::{AttemptRecord, ClaimedDelivery};
use chrono::{DateTime, Utc};
use uuid::Uuid;

/// What a client sends to create or change an endpoint; None leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct EndpointInput {
    pub url: Option<String>,
    pub event_types: Option<Vec<String>>,
    /// Some(None) clears it.
    pub description: Option<Option<String>>,
}

/// A new endpoint with its secret, shown this once.
#[derive(Debug, Clone)]
pub struct CreatedEndpoint {
    pub endpoint: Endpoint,
    pub secret: String,
}

/// How one attempt at a delivery ended.
#[derive(Debug, Clone)]
pub struct AttemptOutcome {
    pub started_at: DateTime<Utc>,
    pub duration_ms: i64,
    pub status_code: Option<i64>,
    /// None: delivered (a 2xx answer).
    pub error: Option<String>,
}

struct Checked {
    url: Option<String>,
    event_types: Option<EventTypes>,
    description: Option<Option<String>>,
}

impl Services {
    fn check_endpoint(&self, input: EndpointInput, creating: bool) -> Result<Checked> {
        let mut errors = FieldErrors::new();
        if creating && input.url.is_none() {
            errors.push(crate::domain::FieldError::new("url", "is required"));
        }
        let url = input.url.and_then(|u| {
            errors.take(webhook::parse_url(
                "url",
                &u,
                self.settings.webhooks_allow_private,
            ))
        });
        let event_types = input
            .event_types
            .and_then(|t| errors.take(EventTypes::parse("event_types", &t)));
        let description = input
            .description
            .map(|d| d.and_then(|d| errors.take(crate::domain::fields::note("description", &d))));
        errors.finish()?;
        Ok(Checked {
            url: url.map(|u| u.to_string()),
            event_types,
            description,
        })
    }

    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant))]
    pub async fn create_webhook(
        &self,
        ctx: &Context,
        input: EndpointInput,
    ) -> Result<CreatedEndpoint> {
        ctx.require_one(&[Permission::ManageWebhooks])?;
        let checked = self.check_endpoint(
            EndpointInput {
                event_types: Some(input.event_types.unwrap_or_else(|| vec!["*".to_owned()])),
                ..input
            },
            true,
        )?;
        let (Some(url), Some(types)) = (checked.url, checked.event_types) else {
            return Err(Error::invalid("url", "is required"));
        };
        let secret = secrets::webhook_secret();
        let id = Uuid::now_v7();
        let at = self.now();
        let mut tx = self.store.write().await?;
        tx.insert_webhook(
            ctx.tenant,
            id,
            &url,
            &secret,
            &types,
            checked.description.flatten().as_deref(),
            at,
        )
        .await?;
        let endpoint = tx
            .webhook(ctx.tenant, id)
            .await?
            .ok_or(Error::NotFound(Entity::Webhook))?;
        tx.commit().await?;
        Ok(CreatedEndpoint { endpoint, secret })
    }

    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant))]
    pub async fn webhooks(&self, ctx: &Context) -> Result<Vec<Endpoint>> {
        ctx.require_one(&[Permission::ManageWebhooks])?;
        let mut tx = self.store.read().await?;
        Ok(tx.webhooks(ctx.tenant).await?)
    }

    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant, webhook = %id))]
    pub async fn webhook(&self, ctx: &Context, id: Uuid) -> Result<Endpoint> {
        ctx.require_one(&[Permission::ManageWebhooks])?;
        let mut tx = self.store.read().await?;
        tx.webhook(ctx.tenant, id)
            .await?
            .ok_or(Error::NotFound(Entity::Webhook))
    }

    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant, webhook = %id))]
    pub async fn update_webhook(
        &self,
        ctx: &Context,
        id: Uuid,
        input: EndpointInput,
    ) -> Result<Endpoint> {
        ctx.require_one(&[Permission::ManageWebhooks])?;
        let c = self.check_endpoint(input, false)?;
        let mut tx = self.store.write().await?;
        let endpoint = tx
            .update_webhook(
                ctx.tenant,
                id,
                c.url.as_deref(),
                c.event_types.as_ref(),
                c.description.as_ref().map(|d| d.as_deref()),
                self.now(),
            )
            .await?
            .ok_or(Error::NotFound(Entity::Webhook))?;
        tx.commit().await?;
        Ok(endpoint)
    }

    /// Pauses an endpoint (deliveries wait, none is lost) or, with None, resumes it.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant, webhook = %id))]
    pub async fn pause_webhook(
        &self,
        ctx: &Context,
        id: Uuid,
        reason: Option<&str>,
    ) -> Result<Endpoint> {
        ctx.require_one(&[Permission::ManageWebhooks])?;
        let at = self.now();
        let mut tx = self.store.write().await?;
        let endpoint = tx
            .set_webhook_paused(ctx.tenant, id, reason.map(|r| (r, at)), at)
            .await?
            .ok_or(Error::NotFound(Entity::Webhook))?;
        tx.commit().await?;
        Ok(endpoint)
    }

    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant, webhook = %id))]
    pub async fn delete_webhook(&self, ctx: &Context, id: Uuid) -> Result<()> {
        ctx.require_one(&[Permission::ManageWebhooks])?;
        let mut tx = self.store.write().await?;
        if !tx.delete_webhook(ctx.tenant, id).await? {
            return Err(Error::NotFound(Entity::Webhook));
        }
        Ok(tx.commit().await?)
    }

    /// An endpoint's deliveries after the event `after_seq`, with their attempts.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant, webhook = %endpoint))]
    pub async fn webhook_deliveries(
        &self,
        ctx: &Context,
        endpoint: Uuid,
        after_seq: i64,
        limit: u32,
    ) -> Result<super::Page<Delivery, i64>> {
        ctx.require_one(&[Permission::ManageWebhooks])?;
        let mut tx = self.store.read().await?;
        tx.webhook(ctx.tenant, endpoint)
            .await?
            .ok_or(Error::NotFound(Entity::Webhook))?;
        let items = tx
            .webhook_deliveries(ctx.tenant, endpoint, None, after_seq, limit)
            .await?;
        let next = (items.len() == limit as usize)
            .then(|| items.last().map(|d| d.event_seq))
            .flatten();
        Ok(super::Page { items, next })
    }

    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant, webhook = %endpoint))]
    pub async fn webhook_delivery(
        &self,
        ctx: &Context,
        endpoint: Uuid,
        id: Uuid,
    ) -> Result<Delivery> {
        ctx.require_one(&[Permission::ManageWebhooks])?;
        let mut tx = self.store.read().await?;
        tx.webhook_deliveries(ctx.tenant, endpoint, Some(id), 0, 1)
            .await?
            .pop()
            .ok_or(Error::NotFound(Entity::WebhookDelivery))
    }

    /// Sends a delivery again, with the same `webhook-id`.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant, webhook = %endpoint))]
    pub async fn resend_delivery(&self, ctx: &Context, endpoint: Uuid, id: Uuid) -> Result<()> {
        ctx.require_one(&[Permission::ManageWebhooks])?;
        let mut tx = self.store.write().await?;
        if !tx
            .resend_delivery(ctx.tenant, endpoint, id, self.now())
            .await?
        {
            // Either unknown, or being sent right now (which is as good as re-sent).
            tx.webhook_deliveries(ctx.tenant, endpoint, Some(id), 0, 1)
                .await?
                .pop()
                .ok_or(Error::NotFound(Entity::WebhookDelivery))?;
        }
        Ok(tx.commit().await?)
    }

    /// Delivers again every event of the tenant feed after `after` that the endpoint wants.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant, webhook = %endpoint))]
    pub async fn replay_webhook(
        &self,
        ctx: &Context,
        endpoint: Uuid,
        after: EventCursor,
    ) -> Result<u64> {
        ctx.require_one(&[Permission::ManageWebhooks])?;
        let mut tx = self.store.write().await?;
        let endpoint = tx
            .webhook(ctx.tenant, endpoint)
            .await?
            .ok_or(Error::NotFound(Entity::Webhook))?;
        let n = tx
            .replay_webhook(ctx.tenant, &endpoint, after, self.now())
            .await?;
        tx.commit().await?;
        Ok(n)
    }

    /// Claims due deliveries for `lease` (after which another worker may take them).
    #[tracing::instrument(skip_all)]
    pub async fn claim_webhook_deliveries(
        &self,
        lease: chrono::Duration,
        limit: u32,
    ) -> Result<Vec<ClaimedDelivery>> {
        let at = self.now();
        let mut tx = self.store.write().await?;
        let claimed = tx.claim_webhook_deliveries(at, at + lease, limit).await?;
        tx.commit().await?;
        Ok(claimed)
    }

    /// Records an attempt and settles the delivery: delivered, or due again after the backoff;
    /// counts the endpoint's failures and pauses it when they are too many in a row. Answers
    /// whether the endpoint was paused by this attempt.
    #[tracing::instrument(skip_all, fields(delivery = %d.id))]
    pub async fn settle_webhook_delivery(
        &self,
        d: &ClaimedDelivery,
        outcome: &AttemptOutcome,
        policy: &webhook::RetryPolicy,
        jitter: f64,
    ) -> Result<bool> {
        let at = self.now();
        let retry_at = outcome.error.as_ref().map(|_| {
            at + chrono::Duration::from_std(policy.backoff(d.attempts, jitter)).unwrap_or_default()
        });
        let mut tx = self.store.write().await?;
        tx.record_webhook_attempt(
            d.tenant_id,
            d.id,
            &AttemptRecord {
                attempt: d.attempts,
                started_at: outcome.started_at,
                duration_ms: outcome.duration_ms,
                status_code: outcome.status_code,
                error: outcome.error.as_deref(),
            },
        )
        .await?;
        tx.settle_webhook_delivery(
            d.id,
            d.claim,
            outcome.status_code,
            outcome.error.as_deref(),
            retry_at,
            at,
        )
        .await?;
        let reason = format!(
            "{} failed attempts in a row; the last: {}",
            policy.pause_after,
            outcome.error.as_deref().unwrap_or_default()
        );
        let paused = tx
            .count_webhook_outcome(
                d.endpoint_id,
                outcome.error.is_some(),
                policy.pause_after,
                &reason,
                at,
            )
            .await?;
        tx.commit().await?;
        Ok(paused)
    }
}
