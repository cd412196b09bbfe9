//! `/v1/scheduled-changes`: status changes that happen later, by schedule or as the end of a
//! ban or deactivation given an `until`.

use super::actions::note;
use super::wire::{path_uuid, List};
use crate::domain::schedule::ScheduledChange;
use crate::domain::FieldErrors;
use crate::http::auth::Caller;
use crate::http::json::{ApiJson, ApiQuery};
use crate::http::openapi::tag;
use crate::http::problem::{ApiResult, ProblemBody};
use crate::http::AppState;
use crate::service::schedules::ScheduleRequest;
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
        .routes(routes!(cancel))
}

/// A status change waiting for its time, or what became of it.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = ScheduledChange, example = json!({
    "id": "0190f5e0-1111-7222-8333-444444444444",
    "user_id": "0190f5a3-4d5e-7f60-8172-839405a6b7c8",
    "kind": "lift",
    "action": "unban",
    "due_at": "2026-11-27T14:03:00Z",
    "until": null,
    "reason": "spam, 7 days",
    "reference_id": "MOD-77",
    "status": "pending",
    "outcome": null,
    "created_by": "api_key:0190f5a0-0000-7000-8000-000000000001",
    "created_at": "2026-11-20T14:03:00Z",
    "settled_at": null
}))]
struct ChangeBody {
    id: Uuid,
    user_id: Uuid,
    /// `scheduled` (asked for a time) or `lift` (the end of a ban or deactivation with `until`).
    kind: &'static str,
    /// `ban`, `unban`, `deactivate` or `reactivate`.
    action: &'static str,
    due_at: DateTime<Utc>,
    /// A scheduled ban or deactivation: when it is lifted in turn.
    until: Option<DateTime<Utc>>,
    /// The reason recorded on the change's event (a lift carries the original one).
    reason: Option<String>,
    reference_id: Option<String>,
    /// `pending`, `done`, `skipped` (no longer legal, see `outcome`) or `cancelled`.
    status: String,
    outcome: Option<String>,
    created_by: String,
    created_at: DateTime<Utc>,
    settled_at: Option<DateTime<Utc>>,
}

impl From<ScheduledChange> for ChangeBody {
    fn from(c: ScheduledChange) -> Self {
        Self {
            id: c.id,
            user_id: c.user_id,
            kind: c.kind.as_str(),
            action: c.transition.as_str(),
            due_at: c.due_at,
            until: c.until,
            reason: c.reason,
            reference_id: c.reference_id,
            status: c.status,
            outcome: c.outcome,
            created_by: c.created_by,
            created_at: c.created_at,
            settled_at: c.settled_at,
        }
    }
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = ScheduleChangeRequest, example = json!({
    "user_id": "0190f5a3-4d5e-7f60-8172-839405a6b7c8",
    "action": "deactivate",
    "at": "2026-12-31T17:00:00Z",
    "reason": "contract ends",
    "reference_id": "HR-3001"
}))]
struct ScheduleBody {
    user_id: Uuid,
    /// `ban`, `unban`, `deactivate` or `reactivate`.
    action: String,
    /// When; must be in the future.
    at: DateTime<Utc>,
    /// Ban and deactivate only: when roster lifts the change in turn.
    until: Option<DateTime<Utc>>,
    #[schema(max_length = 1000)]
    reason: Option<String>,
    #[schema(max_length = 1000)]
    reference_id: Option<String>,
}

#[utoipa::path(
    post,
    path = "/v1/scheduled-changes",
    tag = tag::NATIVE,
    operation_id = "scheduleStatusChange",
    summary = "Schedule a status change",
    description = "Roster makes the change at `at` by itself, recorded with actor `system` and this \
reason. If the user's status no longer allows it then, it is skipped and recorded (event \
`status_change_skipped`), never forced. A scheduled deactivation hands over rooms the user alone \
owns. Honours `Idempotency-Key`.",
    request_body = ScheduleBody,
    responses(
        (status = 201, description = "Scheduled", body = ChangeBody),
        (status = 404, description = "No user of this tenant has this id", body = ProblemBody,
            content_type = "application/problem+json"),
        (status = 422, description = "A field breaks a rule (`errors` names each): an unknown \
action, a time not in the future, an `until` not after `at`", body = ProblemBody,
            content_type = "application/problem+json"),
    ),
    security(("api_key" = [])),
)]
async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<ScheduleBody>,
) -> ApiResult<(StatusCode, Json<ChangeBody>)> {
    let mut errors = FieldErrors::new();
    let note = note(body.reason, body.reference_id, None, &mut errors);
    errors.finish()?;
    let change = state
        .services
        .schedule_change(
            &caller.ctx,
            ScheduleRequest {
                user: body.user_id,
                action: body.action,
                at: body.at,
                until: body.until,
                note,
            },
        )
        .await?;
    Ok((StatusCode::CREATED, Json(change.into())))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct ListQuery {
    /// Only this user's changes.
    user: Option<Uuid>,
    /// Only changes still waiting (default); `false` shows done, skipped and cancelled ones too.
    pending: Option<bool>,
}

#[utoipa::path(
    get,
    path = "/v1/scheduled-changes",
    tag = tag::NATIVE,
    operation_id = "listScheduledChanges",
    summary = "List scheduled changes",
    description = "Scheduled changes and lifts of the tenant by due time (at most 1000). Not \
paged: `next_cursor` is null.",
    params(ListQuery),
    responses(
        (status = 200, description = "The changes", body = List<ChangeBody>),
        (status = 400, description = "An unknown or malformed parameter", body = ProblemBody,
            content_type = "application/problem+json"),
    ),
    security(("api_key" = [])),
)]
async fn list(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Json<List<ChangeBody>>> {
    let all = state
        .services
        .scheduled_changes(&caller.ctx, q.user, q.pending.unwrap_or(true))
        .await?;
    Ok(Json(List::all(
        all.into_iter().map(ChangeBody::from).collect(),
    )))
}

#[utoipa::path(
    delete,
    path = "/v1/scheduled-changes/{id}",
    tag = tag::NATIVE,
    operation_id = "cancelScheduledChange",
    summary = "Cancel a scheduled change",
    description = "Cancels a change (or a lift) that is still pending.",
    params(("id" = String, Path, description = "The change's id (a UUID)")),
    responses(
        (status = 200, description = "Cancelled", body = ChangeBody),
        (status = 404, description = "No change of this tenant has this id", body = ProblemBody,
            content_type = "application/problem+json"),
        (status = 409, description = "It is no longer pending", body = ProblemBody,
            content_type = "application/problem+json"),
    ),
    security(("api_key" = [])),
)]
async fn cancel(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<ChangeBody>> {
    let id = path_uuid(&id, "scheduled change")?;
    let change = state
        .services
        .cancel_scheduled_change(&caller.ctx, id)
        .await?;
    Ok(Json(change.into()))
}
