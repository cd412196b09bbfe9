//! `/v1/webhooks`: a tenant's webhook endpoints, their deliveries, re-sends and replays.

use super::wire::{decode_cursor, encode_cursor, feed_position, path_uuid, List};
use crate::domain::webhook::{Attempt, Delivery, Endpoint};
use crate::http::auth::Caller;
use crate::http::json::{ApiJson, ApiQuery, OptionalJson};
use crate::http::openapi::tag;
use crate::http::problem::{ApiResult, Problem, ProblemBody};
use crate::http::AppState;
use crate::service::page_size;
use crate::service::webhooks::EndpointInput;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa_axum::routes;
use uuid::Uuid;

pub fn router() -> super::Routes {
    super::Routes::new()
        .routes(routes!(create, list))
        .routes(routes!(read, update, delete))
        .routes(routes!(pause))
        .routes(routes!(resume))
        .routes(routes!(deliveries))
        .routes(routes!(delivery))
        .routes(routes!(resend))
        .routes(routes!(replay))
}

/// A webhook endpoint. Its secret is shown once, when it is created.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = WebhookEndpoint, example = json!({
    "id": "0190f5d0-1a2b-7c3d-8e4f-5a6b7c8d9e0f",
    "url": "https://hooks.example.com/roster",
    "event_types": ["banned", "unbanned", "deactivated"],
    "description": "billing",
    "status": "active",
    "paused_at": null,
    "paused_reason": null,
    "consecutive_failures": 0,
    "created_at": "2026-11-20T14:03:00Z",
    "updated_at": "2026-11-20T14:03:00Z"
}))]
struct EndpointBody {
    id: Uuid,
    url: String,
    /// The audit actions it receives, or `["*"]` for every one.
    event_types: Vec<String>,
    description: Option<String>,
    /// `active` or `paused` (deliveries wait while paused, and go out once resumed).
    #[schema(value_type = String, example = "active")]
    status: &'static str,
    paused_at: Option<DateTime<Utc>>,
    /// Why it was paused: by a client, or by roster after repeated failures.
    paused_reason: Option<String>,
    /// Failed attempts in a row; the endpoint is paused when they reach the configured limit.
    consecutive_failures: i64,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<Endpoint> for EndpointBody {
    fn from(e: Endpoint) -> Self {
        Self {
            id: e.id,
            url: e.url,
            event_types: e.event_types.names(),
            description: e.description,
            status: if e.paused_at.is_some() {
                "paused"
            } else {
                "active"
            },
            paused_at: e.paused_at,
            paused_reason: e.paused_reason,
            consecutive_failures: e.consecutive_failures,
            created_at: e.created_at,
            updated_at: e.updated_at,
        }
    }
}

/// A new endpoint, with the secret that signs its deliveries: shown only now.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = CreatedWebhookEndpoint)]
struct CreatedBody {
    #[serde(flatten)]
    endpoint: EndpointBody,
    /// `whsec_` and the base64 of 32 random bytes (Standard Webhooks). Shown only in this answer.
    #[schema(example = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")]
    secret: String,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = WebhookEndpointRequest, example = json!({
    "url": "https://hooks.example.com/roster",
    "event_types": ["banned", "unbanned", "deactivated"],
    "description": "billing"
}))]
struct EndpointRequest {
    /// An `https` URL on a public address (unless the operator allows others). Required to create.
    url: Option<String>,
    /// Audit actions (`banned`, `created`, ...) or `["*"]`; every event if left out at creation.
    event_types: Option<Vec<String>>,
    /// A note for people; `""` clears it.
    #[schema(max_length = 1000)]
    description: Option<String>,
}

impl From<EndpointRequest> for EndpointInput {
    fn from(r: EndpointRequest) -> Self {
        EndpointInput {
            url: r.url,
            event_types: r.event_types,
            description: r.description.map(|d| Some(d).filter(|d| !d.is_empty())),
        }
    }
}

#[utoipa::path(
    post,
    path = "/v1/webhooks",
    tag = tag::NATIVE,
    operation_id = "createWebhook",
    summary = "Register a webhook endpoint",
    description = "Registers an endpoint. Every audit event it wants is delivered to it as a \
Standard Webhooks message (`webhook-id`, `webhook-timestamp`, `webhook-signature`), at least once \
and in order per user. The answer carries the signing secret, shown only this once.",
    request_body = EndpointRequest,
    responses(
        (status = 201, description = "Registered; the secret is in this answer only", body = CreatedBody),
        (status = 422, description = "A field breaks a rule (`errors` names each): a URL that is \
not https or names a private address, an unknown event type", body = ProblemBody,
            content_type = "application/problem+json"),
    ),
    security(("api_key" = [])),
)]
async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<EndpointRequest>,
) -> ApiResult<(StatusCode, Json<CreatedBody>)> {
    let created = state
        .services
        .create_webhook(&caller.ctx, body.into())
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedBody {
            endpoint: created.endpoint.into(),
            secret: created.secret,
        }),
    ))
}

#[utoipa::path(
    get,
    path = "/v1/webhooks",
    tag = tag::NATIVE,
    operation_id = "listWebhooks",
    summary = "List webhook endpoints",
    description = "Every endpoint of the tenant, oldest first. Not paged: `next_cursor` is null.",
    responses((status = 200, description = "The endpoints", body = List<EndpointBody>)),
    security(("api_key" = [])),
)]
async fn list(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<List<EndpointBody>>> {
    let all = state.services.webhooks(&caller.ctx).await?;
    Ok(Json(List::all(
        all.into_iter().map(EndpointBody::from).collect(),
    )))
}

const NOT_FOUND: &str = "No endpoint of this tenant has this id (or it is not a UUID)";

#[utoipa::path(
    get,
    path = "/v1/webhooks/{id}",
    tag = tag::NATIVE,
    operation_id = "getWebhook",
    summary = "Read a webhook endpoint",
    params(("id" = String, Path, description = "The endpoint's id (a UUID)")),
    responses(
        (status = 200, description = "The endpoint", body = EndpointBody),
        (status = 404, description = NOT_FOUND, body = ProblemBody, content_type = "application/problem+json"),
    ),
    security(("api_key" = [])),
)]
async fn read(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<EndpointBody>> {
    let id = path_uuid(&id, "webhook endpoint")?;
    Ok(Json(state.services.webhook(&caller.ctx, id).await?.into()))
}

#[utoipa::path(
    patch,
    path = "/v1/webhooks/{id}",
    tag = tag::NATIVE,
    operation_id = "updateWebhook",
    summary = "Change a webhook endpoint",
    description = "Changes the fields sent; the others stay. The secret does not change.",
    params(("id" = String, Path, description = "The endpoint's id (a UUID)")),
    request_body = EndpointRequest,
    responses(
        (status = 200, description = "The endpoint as it now is", body = EndpointBody),
        (status = 404, description = NOT_FOUND, body = ProblemBody, content_type = "application/problem+json"),
        (status = 422, description = "A field breaks a rule (`errors` names each)", body = ProblemBody,
            content_type = "application/problem+json"),
    ),
    security(("api_key" = [])),
)]
async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<EndpointRequest>,
) -> ApiResult<Json<EndpointBody>> {
    let id = path_uuid(&id, "webhook endpoint")?;
    let endpoint = state
        .services
        .update_webhook(&caller.ctx, id, body.into())
        .await?;
    Ok(Json(endpoint.into()))
}

#[utoipa::path(
    delete,
    path = "/v1/webhooks/{id}",
    tag = tag::NATIVE,
    operation_id = "deleteWebhook",
    summary = "Remove a webhook endpoint",
    description = "Removes the endpoint with its deliveries; nothing more is sent to it.",
    params(("id" = String, Path, description = "The endpoint's id (a UUID)")),
    responses(
        (status = 204, description = "Removed"),
        (status = 404, description = NOT_FOUND, body = ProblemBody, content_type = "application/problem+json"),
    ),
    security(("api_key" = [])),
)]
async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    let id = path_uuid(&id, "webhook endpoint")?;
    state.services.delete_webhook(&caller.ctx, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = PauseWebhookRequest, example = json!({"reason": "maintenance of the receiver"}))]
struct PauseBody {
    /// Why; recorded on the endpoint.
    #[schema(max_length = 1000)]
    reason: Option<String>,
}

#[utoipa::path(
    post,
    path = "/v1/webhooks/{id}/pause",
    tag = tag::NATIVE,
    operation_id = "pauseWebhook",
    summary = "Pause a webhook endpoint",
    description = "Stops sending to the endpoint. Events keep being queued for it and go out, in \
order, once it is resumed.",
    params(("id" = String, Path, description = "The endpoint's id (a UUID)")),
    request_body(content = Option<PauseBody>, description = "Optional: why"),
    responses(
        (status = 200, description = "The endpoint, paused", body = EndpointBody),
        (status = 404, description = NOT_FOUND, body = ProblemBody, content_type = "application/problem+json"),
        (status = 422, description = "The reason is too long", body = ProblemBody,
            content_type = "application/problem+json"),
    ),
    security(("api_key" = [])),
)]
async fn pause(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    OptionalJson(body): OptionalJson<PauseBody>,
) -> ApiResult<Json<EndpointBody>> {
    let id = path_uuid(&id, "webhook endpoint")?;
    let reason = match body.reason {
        Some(r) => crate::domain::fields::note("reason", &r)
            .map_err(|e| Problem::from(crate::service::Error::Invalid(vec![e])))?,
        None => format!("paused by {}", caller.ctx.actor()),
    };
    let endpoint = state
        .services
        .pause_webhook(&caller.ctx, id, Some(&reason))
        .await?;
    Ok(Json(endpoint.into()))
}

#[utoipa::path(
    post,
    path = "/v1/webhooks/{id}/resume",
    tag = tag::NATIVE,
    operation_id = "resumeWebhook",
    summary = "Resume a webhook endpoint",
    description = "Sends to the endpoint again (what waited goes out first, in order) and forgets \
its failures in a row.",
    params(("id" = String, Path, description = "The endpoint's id (a UUID)")),
    responses(
        (status = 200, description = "The endpoint, active", body = EndpointBody),
        (status = 404, description = NOT_FOUND, body = ProblemBody, content_type = "application/problem+json"),
    ),
    security(("api_key" = [])),
)]
async fn resume(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<EndpointBody>> {
    let id = path_uuid(&id, "webhook endpoint")?;
    let endpoint = state.services.pause_webhook(&caller.ctx, id, None).await?;
    Ok(Json(endpoint.into()))
}

/// One try at sending a delivery.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = WebhookAttempt)]
struct AttemptBody {
    attempt: i64,
    started_at: DateTime<Utc>,
    duration_ms: i64,
    /// The receiver's HTTP status, if it answered.
    status_code: Option<i64>,
    /// Why the attempt failed; null when delivered.
    error: Option<String>,
}

impl From<Attempt> for AttemptBody {
    fn from(a: Attempt) -> Self {
        Self {
            attempt: a.attempt,
            started_at: a.started_at,
            duration_ms: a.duration_ms,
            status_code: a.status_code,
            error: a.error,
        }
    }
}

/// One event for one endpoint, and how sending it went.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = WebhookDelivery, example = json!({
    "id": "0190f5d1-aaaa-7bbb-8ccc-dddddddddddd",
    "event_id": "0190f5c1-8d2e-7f30-a142-b3c4d5e6f708",
    "user_id": "0190f5a3-4d5e-7f60-8172-839405a6b7c8",
    "type": "banned",
    "status": "delivered",
    "attempts": 2,
    "next_attempt_at": "2026-11-20T14:03:05Z",
    "last_status_code": 200,
    "last_error": null,
    "created_at": "2026-11-20T14:03:00Z",
    "delivered_at": "2026-11-20T14:03:05.120Z",
    "tries": [
        {"attempt": 1, "started_at": "2026-11-20T14:03:00.010Z", "duration_ms": 31, "status_code": 500, "error": "HTTP 500"},
        {"attempt": 2, "started_at": "2026-11-20T14:03:05.002Z", "duration_ms": 18, "status_code": 200, "error": null}
    ]
}))]
struct DeliveryBody {
    /// Also the `webhook-id` header, the same on every attempt and re-send.
    id: Uuid,
    event_id: Uuid,
    user_id: Option<Uuid>,
    /// The event's action (the payload's `type`).
    #[serde(rename = "type")]
    action: String,
    /// `pending`, `sending` or `delivered`.
    status: String,
    attempts: i64,
    next_attempt_at: DateTime<Utc>,
    last_status_code: Option<i64>,
    last_error: Option<String>,
    created_at: DateTime<Utc>,
    delivered_at: Option<DateTime<Utc>>,
    tries: Vec<AttemptBody>,
}

impl From<Delivery> for DeliveryBody {
    fn from(d: Delivery) -> Self {
        Self {
            id: d.id,
            event_id: d.event_id,
            user_id: d.user_id,
            action: d.action,
            status: d.status,
            attempts: d.attempts,
            next_attempt_at: d.next_attempt_at,
            last_status_code: d.last_status_code,
            last_error: d.last_error,
            created_at: d.created_at,
            delivered_at: d.delivered_at,
            tries: d.tries.into_iter().map(AttemptBody::from).collect(),
        }
    }
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct DeliveriesQuery {
    /// The `next_cursor` of the previous page.
    cursor: Option<String>,
    /// Page size: 1 to 200, default 50 (out-of-range values are clamped).
    limit: Option<u32>,
}

#[utoipa::path(
    get,
    path = "/v1/webhooks/{id}/deliveries",
    tag = tag::NATIVE,
    operation_id = "listWebhookDeliveries",
    summary = "List an endpoint's deliveries",
    description = "The endpoint's deliveries in event order, each with its attempts (status \
codes, timings, errors), a page at a time.",
    params(("id" = String, Path, description = "The endpoint's id (a UUID)"), DeliveriesQuery),
    responses(
        (status = 200, description = "A page of deliveries", body = List<DeliveryBody>),
        (status = 400, description = "An unknown parameter, a `limit` that is not a number, or a \
`cursor` this list did not give out", body = ProblemBody, content_type = "application/problem+json"),
        (status = 404, description = NOT_FOUND, body = ProblemBody, content_type = "application/problem+json"),
    ),
    security(("api_key" = [])),
)]
async fn deliveries(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<DeliveriesQuery>,
) -> ApiResult<Json<List<DeliveryBody>>> {
    let id = path_uuid(&id, "webhook endpoint")?;
    let after = match &q.cursor {
        Some(c) => decode_cursor("cursor", "d", c, 1)?[0],
        None => 0,
    };
    let page = state
        .services
        .webhook_deliveries(&caller.ctx, id, after, page_size(q.limit))
        .await?;
    Ok(Json(List::page(page, |seq| encode_cursor("d", &[seq]))))
}

#[utoipa::path(
    get,
    path = "/v1/webhooks/{id}/deliveries/{delivery_id}",
    tag = tag::NATIVE,
    operation_id = "getWebhookDelivery",
    summary = "Read a delivery",
    params(
        ("id" = String, Path, description = "The endpoint's id (a UUID)"),
        ("delivery_id" = String, Path, description = "The delivery's id (its `webhook-id`)"),
    ),
    responses(
        (status = 200, description = "The delivery with its attempts", body = DeliveryBody),
        (status = 404, description = "No such endpoint or delivery in this tenant", body = ProblemBody,
            content_type = "application/problem+json"),
    ),
    security(("api_key" = [])),
)]
async fn delivery(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, delivery)): Path<(String, String)>,
) -> ApiResult<Json<DeliveryBody>> {
    let id = path_uuid(&id, "webhook endpoint")?;
    let delivery = path_uuid(&delivery, "webhook delivery")?;
    let d = state
        .services
        .webhook_delivery(&caller.ctx, id, delivery)
        .await?;
    Ok(Json(d.into()))
}

#[utoipa::path(
    post,
    path = "/v1/webhooks/{id}/deliveries/{delivery_id}/resend",
    tag = tag::NATIVE,
    operation_id = "resendWebhookDelivery",
    summary = "Send a delivery again",
    description = "Makes the delivery due now, with the same `webhook-id` (receivers that \
deduplicate drop it if they had it). One being sent right now is left as it is.",
    params(
        ("id" = String, Path, description = "The endpoint's id (a UUID)"),
        ("delivery_id" = String, Path, description = "The delivery's id (its `webhook-id`)"),
    ),
    responses(
        (status = 202, description = "Due again", body = DeliveryBody),
        (status = 404, description = "No such endpoint or delivery in this tenant", body = ProblemBody,
            content_type = "application/problem+json"),
    ),
    security(("api_key" = [])),
)]
async fn resend(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, delivery)): Path<(String, String)>,
) -> ApiResult<(StatusCode, Json<DeliveryBody>)> {
    let id = path_uuid(&id, "webhook endpoint")?;
    let delivery = path_uuid(&delivery, "webhook delivery")?;
    state
        .services
        .resend_delivery(&caller.ctx, id, delivery)
        .await?;
    let d = state
        .services
        .webhook_delivery(&caller.ctx, id, delivery)
        .await?;
    Ok((StatusCode::ACCEPTED, Json(d.into())))
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = ReplayWebhookRequest, example = json!({"after": "ZToxMjM0OjU2"}))]
struct ReplayBody {
    /// A `next_cursor` of the tenant feed (`GET /v1/events`): every later event is delivered
    /// again. Without it, the whole feed.
    after: Option<String>,
}

/// What a replay queued.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = WebhookReplay, example = json!({"queued": 42}))]
struct Replayed {
    /// Deliveries made due: new ones for events the endpoint never had, and the earlier ones
    /// (same `webhook-id`) again.
    queued: u64,
}

#[utoipa::path(
    post,
    path = "/v1/webhooks/{id}/replay",
    tag = tag::NATIVE,
    operation_id = "replayWebhook",
    summary = "Replay an endpoint from a feed cursor",
    description = "Delivers again every event of the tenant feed after `after` that the endpoint \
wants, in order per user.",
    params(("id" = String, Path, description = "The endpoint's id (a UUID)")),
    request_body(content = Option<ReplayBody>, description = "Optional: where in the feed to start"),
    responses(
        (status = 202, description = "Queued", body = Replayed),
        (status = 400, description = "`after` is not a cursor the feed gave out", body = ProblemBody,
            content_type = "application/problem+json"),
        (status = 404, description = NOT_FOUND, body = ProblemBody, content_type = "application/problem+json"),
    ),
    security(("api_key" = [])),
)]
async fn replay(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    OptionalJson(body): OptionalJson<ReplayBody>,
) -> ApiResult<(StatusCode, Json<Replayed>)> {
    let id = path_uuid(&id, "webhook endpoint")?;
    let after = feed_position("after", body.after.as_deref())?;
    let queued = state
        .services
        .replay_webhook(&caller.ctx, id, after)
        .await?;
    Ok((StatusCode::ACCEPTED, Json(Replayed { queued })))
}
