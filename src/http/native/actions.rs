//! `POST /v1/users/{id}/<action>`: the lifecycle actions, one route and one handler each.

use super::wire::{path_uuid, user_example, SessionsRevoked, UserAnswer, UserBody};
use crate::domain::event::Note;
use crate::domain::fields;
use crate::domain::{FieldError, FieldErrors, Transition};
use crate::http::auth::Caller;
use crate::http::json::{ApiQuery, OptionalJson};
use crate::http::openapi::tag;
use crate::http::problem::{ApiResult, Problem, ProblemBody};
use crate::http::AppState;
use crate::service::lifecycle::Deactivation;
use axum::extract::{FromRequest, FromRequestParts, Path, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa_axum::routes;
use uuid::Uuid;

pub fn router() -> super::Routes {
    super::Routes::new()
        .routes(routes!(activate))
        .routes(routes!(reactivate))
        .routes(routes!(ban))
        .routes(routes!(unban))
        .routes(routes!(revoke_invite))
        .routes(routes!(invite))
        .routes(routes!(logout))
        .routes(routes!(deactivate))
}

/// The body of an action: the client's account of the change, and for `deactivate` whether
/// to hand over the rooms the user alone owns.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = DeactivateRequest, example = json!({
    "reason": "left the company",
    "reference_id": "HR-2291",
    "occurred_at": "2026-11-20T17:00:00Z",
    "relinquish": true
}))]
struct DeactivateBody {
    /// Why: recorded as the event's `description`.
    #[schema(max_length = 1000)]
    reason: Option<String>,
    /// The client's own reference (a ticket, an order): recorded on the event.
    #[schema(max_length = 1000)]
    reference_id: Option<String>,
    /// When the change really happened, if not now.
    occurred_at: Option<DateTime<Utc>>,
    /// Hand the rooms the user alone owns to their oldest active member (or remove rooms with
    /// no other member). Without it, such rooms refuse the deactivation (409 `last-owner`).
    relinquish: Option<bool>,
    /// Ban and deactivate only: when roster lifts the change by itself (unban, reactivate),
    /// recorded with actor `system` and this change's reason. A later status change cancels it.
    until: Option<DateTime<Utc>>,
}

/// The body every other action accepts: the client's account of the change. `relinquish`
/// applies to deactivate only, and is refused here (422).
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = ActionRequest, example = json!({
    "reason": "chargeback fraud",
    "reference_id": "TICKET-4821",
    "until": "2026-12-08T00:00:00Z"
}))]
struct ActionBody {
    /// Why: recorded as the event's `description`.
    #[schema(max_length = 1000)]
    reason: Option<String>,
    /// The client's own reference (a ticket, an order): recorded on the event.
    #[schema(max_length = 1000)]
    reference_id: Option<String>,
    /// When the change really happened, if not now.
    occurred_at: Option<DateTime<Utc>>,
    /// Ban and deactivate only: when roster lifts the change by itself (unban, reactivate),
    /// recorded with actor `system` and this change's reason. A later status change cancels it.
    until: Option<DateTime<Utc>>,
    /// Read only to refuse it by name, rather than as an unknown field.
    #[schema(ignore)]
    relinquish: Option<bool>,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct ActionQuery {
    /// Answer what the deactivation would do (the rooms handed over or removed) and change
    /// nothing.
    dry_run: Option<bool>,
}

/// The client's account of a change, from the fields every body that records one has.
pub(super) fn note(
    reason: Option<String>,
    reference_id: Option<String>,
    occurred_at: Option<DateTime<Utc>>,
    errors: &mut FieldErrors,
) -> Note {
    Note {
        reason: reason.and_then(|r| errors.take(fields::note("reason", &r))),
        reference_id: reference_id.and_then(|r| errors.take(fields::note("reference_id", &r))),
        occurred_at,
    }
}

fn checked_note(
    reason: Option<String>,
    reference_id: Option<String>,
    occurred_at: Option<DateTime<Utc>>,
) -> Result<Note, Problem> {
    let mut errors = FieldErrors::new();
    let note = note(reason, reference_id, occurred_at, &mut errors);
    errors.finish()?;
    Ok(note)
}

/// What every action but deactivate reads: the user, and the optional body. `relinquish` and
/// `dry_run` are deactivate's, and refused by name (422) before the user is looked for.
struct Action {
    id: Uuid,
    body: ActionBody,
}

impl<S: Send + Sync> FromRequest<S> for Action {
    type Rejection = Problem;

    async fn from_request(req: Request, state: &S) -> Result<Self, Problem> {
        let (mut parts, body) = req.into_parts();
        // Every segment decodes (see `require_decodable`), so the id is always there.
        let Path(id) = Path::<String>::from_request_parts(&mut parts, state)
            .await
            .map_err(|_| Problem::not_found("user"))?;
        let ApiQuery(query) =
            ApiQuery::<ActionQuery>::from_request_parts(&mut parts, state).await?;
        let OptionalJson(body) =
            OptionalJson::<ActionBody>::from_request(Request::from_parts(parts, body), state)
                .await?;
        let mut errors = FieldErrors::new();
        if body.relinquish.is_some() {
            errors.push(FieldError::new("relinquish", "applies to deactivate only"));
        }
        if query.dry_run.is_some() {
            errors.push(FieldError::new("dry_run", "applies to deactivate only"));
        }
        errors.finish()?;
        Ok(Action {
            id: path_uuid(&id, "user")?,
            body,
        })
    }
}

impl Action {
    /// For the actions that are not status changes: `until` has nothing to end.
    fn without_until(self) -> Result<Self, Problem> {
        let mut errors = FieldErrors::new();
        if self.body.until.is_some() {
            errors.push(FieldError::new(
                "until",
                "applies to ban and deactivate only",
            ));
        }
        errors.finish()?;
        Ok(self)
    }

    /// The user and the client's account of the change, checked.
    fn noted(self) -> Result<(Uuid, Note), Problem> {
        let ActionBody {
            reason,
            reference_id,
            occurred_at,
            until: _,
            relinquish: _,
        } = self.body;
        Ok((self.id, checked_note(reason, reference_id, occurred_at)?))
    }
}

/// A status transition that answers the user: refused (409) from the statuses the state
/// machine refuses, and a no-op (200) when the user is already there.
macro_rules! transition {
    ($name:ident, $transition:expr, $path:literal, $id:literal, $summary:literal, $description:literal) => {
        #[utoipa::path(
            post,
            path = $path,
            tag = tag::NATIVE,
            operation_id = $id,
            summary = $summary,
            description = $description,
            request_body(content = Option<ActionBody>, description = "Optional: the client's account of the change"),
            params(("id" = String, Path, description = "The user's id (a UUID)")),
            responses(
                (status = 200, description = "The user, as they now are (unchanged if already there)",
                    body = UserBody,
                    headers(("ETag" = String, description = "The user's version, for `If-Match`"))),
                (status = 404, description = "No user of this tenant has this id (or it is not a UUID)",
                    body = ProblemBody, content_type = "application/problem+json"),
                (status = 409, description = "The user's status does not allow this change \
(`invalid-transition`, with `current_status`), or a concurrent change conflicted (`conflict`)",
                    body = ProblemBody, content_type = "application/problem+json"),
                (status = 422, description = "A field breaks a rule (`relinquish` and `dry_run` \
apply to deactivate only, `until` to ban only and must be in the future), or the \
Idempotency-Key was used with another request",
                    body = ProblemBody, content_type = "application/problem+json"),
            ),
            security(("api_key" = [])),
        )]
        async fn $name(
            State(state): State<AppState>,
            caller: Caller,
            action: Action,
        ) -> ApiResult<UserAnswer> {
            let until = action.body.until;
            let (id, note) = action.noted()?;
            let change = state
                .services
                .change_status_until(&caller.ctx, id, $transition, &note, until)
                .await?;
            Ok(UserAnswer(StatusCode::OK, change.user.into()))
        }
    };
}

transition!(
    activate,
    Transition::Activate,
    "/v1/users/{id}/activate",
    "activateUser",
    "Activate an invited user",
    "`invited` → `active`, as accepting the invite would. Refused for `deactivated` (use \
reactivate), `banned` and `revoked` users."
);
transition!(
    reactivate,
    Transition::Reactivate,
    "/v1/users/{id}/reactivate",
    "reactivateUser",
    "Reactivate a deactivated user",
    "`deactivated` → `active`. Refused for `invited`, `banned` (use unban) and `revoked` users. \
Rooms handed over at deactivation are not given back."
);
transition!(
    ban,
    Transition::Ban,
    "/v1/users/{id}/ban",
    "banUser",
    "Ban a user",
    "Any status → `banned`, ending every session of the user. With `until`, roster unbans \
the user at that time by itself (actor `system`, this ban's reason), unless their status \
changed meanwhile: then the lift is skipped and recorded (`status_change_skipped`)."
);
transition!(
    unban,
    Transition::Unban,
    "/v1/users/{id}/unban",
    "unbanUser",
    "Unban a user",
    "`banned` → `active`. Refused for `invited`, `deactivated` and `revoked` users."
);
transition!(
    revoke_invite,
    Transition::RevokeInvite,
    "/v1/users/{id}/revoke-invite",
    "revokeInvite",
    "Revoke a user's invite",
    "`invited` → `revoked`: the invite link stops working (410). Creating the user again \
re-invites them. Refused for `active`, `deactivated` and `banned` users."
);

/// The answer to `invite`.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(example = json!({
    "email_id": "0190f5c1-8d2e-7f30-a142-b3c4d5e6f708",
    "status": "queued"
}))]
struct InviteQueued {
    /// The queued email; follow its delivery at `GET /v1/emails?user=<id>`.
    email_id: Uuid,
    /// Always `queued`.
    #[schema(value_type = String, example = "queued")]
    status: &'static str,
}

#[utoipa::path(
    post,
    path = "/v1/users/{id}/invite",
    tag = tag::NATIVE,
    operation_id = "resendInvite",
    summary = "Send a user's invite again",
    description = "Queues a new invite email for an `invited` user; the earlier invite links stop \
working. The body, if any, is checked but not recorded.",
    request_body(content = Option<ActionBody>, description = "Optional; not recorded"),
    params(("id" = String, Path, description = "The user's id (a UUID)")),
    responses(
        (status = 202, description = "The invite email is queued", body = InviteQueued),
        (status = 404, description = "No user of this tenant has this id (or it is not a UUID)",
            body = ProblemBody, content_type = "application/problem+json"),
        (status = 409, description = "The user is not `invited` (`invalid-transition`, with \
`current_status`)", body = ProblemBody, content_type = "application/problem+json"),
        (status = 422, description = "The user has no email address, `relinquish` or `dry_run` \
was sent, or the Idempotency-Key was used with another request",
            body = ProblemBody, content_type = "application/problem+json"),
    ),
    security(("api_key" = [])),
)]
async fn invite(
    State(state): State<AppState>,
    caller: Caller,
    action: Action,
) -> ApiResult<(StatusCode, Json<InviteQueued>)> {
    let action = action.without_until()?;
    let email = state.services.resend_invite(&caller.ctx, action.id).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(InviteQueued {
            email_id: email,
            status: "queued",
        }),
    ))
}

#[utoipa::path(
    post,
    path = "/v1/users/{id}/logout",
    tag = tag::NATIVE,
    operation_id = "logoutUser",
    summary = "Log a user out everywhere",
    description = "Ends every live session of the user; the status does not change. An event is \
recorded only if a session was live.",
    request_body(content = Option<ActionBody>, description = "Optional: the client's account of the change"),
    params(("id" = String, Path, description = "The user's id (a UUID)")),
    responses(
        (status = 200, description = "The sessions ended", body = SessionsRevoked),
        (status = 404, description = "No user of this tenant has this id (or it is not a UUID)",
            body = ProblemBody, content_type = "application/problem+json"),
        (status = 422, description = "A field breaks a rule (`relinquish` and `dry_run` apply to \
deactivate only), or the Idempotency-Key was used with another request",
            body = ProblemBody, content_type = "application/problem+json"),
    ),
    security(("api_key" = [])),
)]
async fn logout(
    State(state): State<AppState>,
    caller: Caller,
    action: Action,
) -> ApiResult<Json<SessionsRevoked>> {
    let (id, note) = action.without_until()?.noted()?;
    let revoked = state.services.logout(&caller.ctx, id, &note).await?;
    Ok(Json(SessionsRevoked {
        sessions_revoked: revoked,
    }))
}

/// A room the deactivation hands to another member.
#[derive(Serialize, utoipa::ToSchema)]
struct RoomTransfer {
    room_id: Uuid,
    /// The room's name.
    room: String,
    /// The member who becomes the owner: the room's oldest active member.
    new_owner: Uuid,
}

/// A room the deactivation removes (no other member could own it).
#[derive(Serialize, utoipa::ToSchema)]
struct RoomRemoval {
    room_id: Uuid,
    /// The room's name.
    room: String,
}

/// What a deactivation would do (`?dry_run=true`).
#[derive(Serialize, utoipa::ToSchema)]
#[schema(example = json!({
    "dry_run": true,
    "user": user_example(),
    "transfers": [{
        "room_id": "0190f5b0-2c3d-7e4f-8a5b-6c7d8e9f0a1b",
        "room": "engineering",
        "new_owner": "0190f5a3-4d5e-7f60-8172-839405a6b7c8"
    }],
    "removals": []
}))]
struct DeactivationPlan {
    /// Always true.
    dry_run: bool,
    /// The user as they are: a dry run changes nothing.
    user: UserBody,
    transfers: Vec<RoomTransfer>,
    removals: Vec<RoomRemoval>,
}

/// The answer to `deactivate`: the user, or with `?dry_run=true` the plan.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(untagged)]
enum DeactivateAnswer {
    User(UserBody),
    DryRun(DeactivationPlan),
}

impl IntoResponse for DeactivateAnswer {
    fn into_response(self) -> Response {
        match self {
            Self::User(user) => UserAnswer(StatusCode::OK, user).into_response(),
            plan @ Self::DryRun(_) => Json(plan).into_response(),
        }
    }
}

#[utoipa::path(
    post,
    path = "/v1/users/{id}/deactivate",
    tag = tag::NATIVE,
    operation_id = "deactivateUser",
    summary = "Deactivate a user",
    description = "`active` or `invited` → `deactivated`, ending every session. Refused for \
`banned` and `revoked` users, and for the tenant's last active admin. Rooms the user alone owns \
pass to their oldest active member, or are removed when there is none; that needs \
`{\"relinquish\": true}`, and without it the call is refused (409 `last-owner`, naming the rooms \
in `should_change_owner` and `should_be_removed`) and nothing changes. With `?dry_run=true`, \
answers the plan and changes nothing. With `until`, roster reactivates the user at that time \
by itself unless their status changed meanwhile.",
    request_body(content = Option<DeactivateBody>, description = "Optional: the client's account of the change, and `relinquish`"),
    params(("id" = String, Path, description = "The user's id (a UUID)"), ActionQuery),
    responses(
        (status = 200, description = "The user, deactivated (unchanged if already); with \
`dry_run`, the plan", body = DeactivateAnswer,
            headers(("ETag" = String, description = "The user's version, for `If-Match` (not on a dry run)"))),
        (status = 404, description = "No user of this tenant has this id (or it is not a UUID)",
            body = ProblemBody, content_type = "application/problem+json"),
        (status = 409, description = "Refused: the user's status does not allow it \
(`invalid-transition`, with `current_status`), the user is the last active admin \
(`last-admin`), alone owns rooms and `relinquish` was not sent (`last-owner`), or a \
concurrent change conflicted (`conflict`)",
            body = ProblemBody, content_type = "application/problem+json"),
        (status = 422, description = "A field breaks a rule, or the Idempotency-Key was used \
with another request", body = ProblemBody, content_type = "application/problem+json"),
    ),
    security(("api_key" = [])),
)]
async fn deactivate(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiQuery(query): ApiQuery<ActionQuery>,
    OptionalJson(body): OptionalJson<DeactivateBody>,
) -> ApiResult<DeactivateAnswer> {
    let id = path_uuid(&id, "user")?;
    let options = Deactivation {
        relinquish: body.relinquish.unwrap_or(false),
        dry_run: query.dry_run.unwrap_or(false),
        until: body.until,
    };
    if let Some(until) = body.until {
        crate::domain::schedule::check_until(
            crate::domain::Transition::Deactivate,
            state.services.now(),
            until,
        )
        .map_err(|e| Problem::from(crate::service::Error::Invalid(vec![e])))?;
    }
    let note = checked_note(body.reason, body.reference_id, body.occurred_at)?;
    let done = state
        .services
        .deactivate(&caller.ctx, id, &note, options)
        .await?;
    if !options.dry_run {
        return Ok(DeactivateAnswer::User(done.user.into()));
    }
    let plan = done.plan;
    Ok(DeactivateAnswer::DryRun(DeactivationPlan {
        dry_run: true,
        user: done.user.into(),
        transfers: plan
            .transfers
            .into_iter()
            .map(|t| RoomTransfer {
                room_id: t.room_id,
                room: t.room_name,
                new_owner: t.new_owner,
            })
            .collect(),
        removals: plan
            .removals
            .into_iter()
            .map(|r| RoomRemoval {
                room_id: r.room_id,
                room: r.room_name,
            })
            .collect(),
    }))
}
