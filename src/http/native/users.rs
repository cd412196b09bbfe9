//! `/v1/users`: create, list, read, patch, and the lifecycle actions.

use super::wire::{decode_cursor, encode_cursor, path_uuid, List, UserBody};
use crate::domain::event::Note;
use crate::domain::fields::{
    self, email_key, Email, ExternalId, GroupKey, Password, PersonName, Phone,
};
use crate::domain::user::{self, Change, NewUser, Role, Roles, UserPatch};
use crate::domain::{FieldError, FieldErrors, Transition};
use crate::http::auth::Caller;
use crate::http::idempotency::IdempotencyKey;
use crate::http::json::{nullable, ApiJson, ApiQuery, OptionalJson};
use crate::http::openapi::tag;
use crate::http::problem::{ApiResult, Problem, ProblemBody};
use crate::http::AppState;
use crate::service::lifecycle::Deactivation;
use crate::service::users::{status_filter, Creation, OnExisting};
use crate::service::{page_size, UserView};
use crate::store::UserFilter;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::{json, Value};
use uuid::Uuid;

#[derive(utoipa::OpenApi)]
#[openapi(paths(create))]
pub struct Api;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/users", post(create).get(list))
        .route("/v1/users/{id}", get(read).patch(patch))
        .route("/v1/users/{id}/{action}", post(act))
}

/// The body of an action: the client's account of the change, and for `deactivate` whether
/// to hand over the rooms the user alone owns.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct NoteBody {
    reason: Option<String>,
    reference_id: Option<String>,
    occurred_at: Option<DateTime<Utc>>,
    relinquish: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ActionQuery {
    dry_run: Option<bool>,
}

fn note(
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

/// A new user. Only `email` is required (a child account, with `parent_id`, may have none).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "email": "ada@example.com",
    "first_name": "Ada",
    "last_name": "Lovelace",
    "status": "invited",
    "roles": ["admin"],
    "groups": ["engineering"],
    "send_invite": true,
    "reason": "joined the engineering team"
}))]
struct CreateUser {
    email: Option<String>,
    external_id: Option<String>,
    first_name: Option<String>,
    last_name: Option<String>,
    phone_number: Option<String>,
    status: Option<String>,
    password: Option<String>,
    roles: Option<Vec<String>>,
    groups: Option<Vec<String>>,
    parent_id: Option<Uuid>,
    sessions_limit: Option<i64>,
    metadata: Option<Value>,
    referrer: Option<String>,
    send_invite: Option<bool>,
    reason: Option<String>,
    reference_id: Option<String>,
    occurred_at: Option<DateTime<Utc>>,
}

fn parse_roles(raw: Vec<String>, errors: &mut FieldErrors) -> Roles {
    Roles::new(
        raw.iter()
            .enumerate()
            .filter_map(|(i, r)| errors.take(Role::parse(&format!("roles[{i}]"), r))),
    )
}

impl CreateUser {
    fn into_command(self) -> Result<(NewUser, Creation), Problem> {
        let mut errors = FieldErrors::new();
        let email = match (&self.email, self.parent_id) {
            (Some(e), _) => errors.take(Email::parse("email", e)),
            (None, Some(_)) => None,
            (None, None) => {
                errors.push(FieldError::new(
                    "email",
                    "is required (only a child account, with parent_id, may have none)",
                ));
                None
            }
        };
        let name = |field: &str, v: &Option<String>, errors: &mut FieldErrors| {
            v.as_deref()
                .and_then(|s| errors.take(PersonName::parse(field, s)))
        };
        let new = NewUser {
            email,
            external_id: self
                .external_id
                .as_deref()
                .and_then(|x| errors.take(ExternalId::parse("external_id", x))),
            first_name: name("first_name", &self.first_name, &mut errors),
            last_name: name("last_name", &self.last_name, &mut errors),
            phone_number: self
                .phone_number
                .as_deref()
                .and_then(|p| errors.take(Phone::parse("phone_number", p))),
            status: errors
                .take(user::initial_status(
                    "status",
                    self.status.as_deref().unwrap_or("invited"),
                ))
                .unwrap_or(crate::domain::Status::Invited),
            roles: parse_roles(self.roles.unwrap_or_default(), &mut errors),
            password: self
                .password
                .as_deref()
                .and_then(|p| errors.take(Password::parse("password", p))),
            parent_id: self.parent_id,
            sessions_limit: self
                .sessions_limit
                .and_then(|n| errors.take(user::sessions_limit("sessions_limit", n))),
            groups: self
                .groups
                .unwrap_or_default()
                .iter()
                .enumerate()
                .filter_map(|(i, k)| errors.take(GroupKey::parse(&format!("groups[{i}]"), k)))
                .collect(),
        };
        if self.metadata.as_ref().is_some_and(|m| !m.is_object()) {
            errors.push(FieldError::new("metadata", "must be a JSON object"));
        }
        let note = note(
            self.reason,
            self.reference_id,
            self.occurred_at,
            &mut errors,
        );
        errors.finish()?;
        Ok((
            new,
            Creation {
                note,
                metadata: self.metadata,
                referrer: self.referrer,
                send_invite: self.send_invite.unwrap_or(false),
                plan: None,
            },
        ))
    }
}

/// A user with its ETag, the version a conditional PATCH must name.
fn user_response(status: StatusCode, view: UserView) -> Response {
    let etag = format!("\"v{}\"", view.user.version);
    let mut res = (status, Json(UserBody::from(view))).into_response();
    if let Ok(v) = HeaderValue::from_str(&etag) {
        res.headers_mut().insert(header::ETAG, v);
    }
    res
}

#[utoipa::path(
    post,
    path = "/v1/users",
    tag = tag::NATIVE,
    operation_id = "createUser",
    summary = "Create or invite a user",
    description = "Creates a user, `invited` unless `status` says `active`. Creating a user \
whose invite was revoked re-invites them (200); any other existing email is a 409. With \
`send_invite`, an invite email is queued in the same transaction. Honours `Idempotency-Key`.",
    request_body = CreateUser,
    params(IdempotencyKey),
    responses(
        (status = 201, description = "Created", body = UserBody,
            headers(("ETag" = String, description = "The user's version, for `If-Match`"))),
        (status = 200, description = "A revoked user, re-invited", body = UserBody,
            headers(("ETag" = String, description = "The user's version, for `If-Match`"))),
        (status = 409, description = "The email or external id is taken", body = ProblemBody,
            content_type = "application/problem+json"),
        (status = 422, description = "A field breaks a rule; `errors` names each", body = ProblemBody,
            content_type = "application/problem+json"),
    ),
    security(("api_key" = [])),
)]
async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<CreateUser>,
) -> ApiResult<Response> {
    let (new, creation) = body.into_command()?;
    let outcome = state
        .services
        .create_user(&caller.ctx, new, creation, OnExisting::ReinviteRevoked)
        .await?;
    let status = if outcome.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok(user_response(status, outcome.user))
}

async fn read(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let id = path_uuid(&id, "user")?;
    let view = state.services.user(&caller.ctx, id).await?;
    Ok(user_response(StatusCode::OK, view))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ListQuery {
    status: Option<String>,
    email: Option<String>,
    external_id: Option<String>,
    group: Option<String>,
    q: Option<String>,
    limit: Option<u32>,
    cursor: Option<String>,
}

async fn list(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Json<List<UserBody>>> {
    let filter = UserFilter {
        status: q
            .status
            .as_deref()
            .map(|s| status_filter("status", s))
            .transpose()?,
        email_key: q.email.as_deref().map(email_key),
        external_id: q.external_id,
        group_key: q.group,
        text: q.q.filter(|t| !t.trim().is_empty()),
        role: None,
    };
    let after = match &q.cursor {
        Some(c) => Some(decode_cursor("cursor", "u", c, 1)?[0]),
        None => None,
    };
    let page = state
        .services
        .users(&caller.ctx, &filter, after, page_size(q.limit))
        .await?;
    Ok(Json(List::page(page, |n| encode_cursor("u", &[n]))))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PatchUser {
    #[serde(default, deserialize_with = "nullable")]
    email: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    external_id: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    first_name: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    last_name: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    phone_number: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    roles: Option<Option<Vec<String>>>,
    #[serde(default, deserialize_with = "nullable")]
    sessions_limit: Option<Option<i64>>,
    #[serde(default, deserialize_with = "nullable")]
    password: Option<Option<String>>,
}

impl PatchUser {
    fn into_patch(self) -> Result<UserPatch, Problem> {
        let mut errors = FieldErrors::new();
        let cannot_clear = |field: &str, errors: &mut FieldErrors| {
            errors.push(FieldError::new(field, "cannot be null"))
        };
        let email = match self.email {
            None => None,
            Some(None) => {
                cannot_clear("email", &mut errors);
                None
            }
            Some(Some(e)) => errors.take(Email::parse("email", &e)),
        };
        let roles = match self.roles {
            None => None,
            Some(None) => Some(Roles::default()),
            Some(Some(r)) => Some(parse_roles(r, &mut errors)),
        };
        let password = match self.password {
            None => None,
            Some(None) => {
                cannot_clear("password", &mut errors);
                None
            }
            Some(Some(p)) => errors.take(Password::parse("password", &p)),
        };
        let patch = UserPatch {
            email,
            external_id: Change::from_member(
                self.external_id.as_ref().map(Option::as_deref),
                &mut errors,
                |s| ExternalId::parse("external_id", s),
            ),
            first_name: Change::from_member(
                self.first_name.as_ref().map(Option::as_deref),
                &mut errors,
                |s| PersonName::parse("first_name", s),
            ),
            last_name: Change::from_member(
                self.last_name.as_ref().map(Option::as_deref),
                &mut errors,
                |s| PersonName::parse("last_name", s),
            ),
            phone_number: Change::from_member(
                self.phone_number.as_ref().map(Option::as_deref),
                &mut errors,
                |s| Phone::parse("phone_number", s),
            ),
            roles,
            sessions_limit: match self.sessions_limit {
                None => Change::Keep,
                Some(None) => Change::Clear,
                Some(Some(n)) => errors
                    .take(user::sessions_limit("sessions_limit", n))
                    .map_or(Change::Keep, Change::Set),
            },
            password,
        };
        errors.finish()?;
        Ok(patch)
    }
}

/// The version an `If-Match` header names; `*` (any) is no condition.
fn if_match(headers: &HeaderMap) -> Result<Option<i64>, Problem> {
    let Some(raw) = headers.get(header::IF_MATCH) else {
        return Ok(None);
    };
    let text = raw.to_str().unwrap_or("").trim();
    if text == "*" {
        return Ok(None);
    }
    text.strip_prefix("\"v")
        .and_then(|t| t.strip_suffix('"'))
        .and_then(|n| n.parse().ok())
        .map(Some)
        .ok_or_else(|| {
            Problem::new(
                StatusCode::PRECONDITION_FAILED,
                "version-mismatch",
                "Precondition failed",
                "If-Match must be an ETag this API gave out, such as \"v3\"",
            )
        })
}

async fn patch(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<PatchUser>,
) -> ApiResult<Response> {
    let id = path_uuid(&id, "user")?;
    let expected = if_match(&headers)?;
    let patch = body.into_patch()?;
    if patch.is_empty() {
        return Err(Problem::invalid(vec![FieldError::new(
            ".",
            "name at least one field to change",
        )]));
    }
    let view = state
        .services
        .patch_user(&caller.ctx, id, patch, expected)
        .await?;
    Ok(user_response(StatusCode::OK, view))
}

/// `POST /v1/users/{id}/{action}`.
async fn act(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, action)): Path<(String, String)>,
    ApiQuery(query): ApiQuery<ActionQuery>,
    OptionalJson(body): OptionalJson<NoteBody>,
) -> ApiResult<Response> {
    if action == "deactivate" {
        return deactivate(&state, &caller, &id, query, body).await;
    }
    let mut errors = FieldErrors::new();
    if body.relinquish.is_some() {
        errors.push(FieldError::new("relinquish", "applies to deactivate only"));
    }
    if query.dry_run.is_some() {
        errors.push(FieldError::new("dry_run", "applies to deactivate only"));
    }
    errors.finish()?;
    let transition = match action.as_str() {
        "activate" => Transition::Activate,
        "reactivate" => Transition::Reactivate,
        "ban" => Transition::Ban,
        "unban" => Transition::Unban,
        "revoke-invite" => Transition::RevokeInvite,
        "invite" => {
            let id = path_uuid(&id, "user")?;
            let email = state.services.resend_invite(&caller.ctx, id).await?;
            return Ok((
                StatusCode::ACCEPTED,
                Json(json!({ "email_id": email, "status": "queued" })),
            )
                .into_response());
        }
        "logout" => {
            let id = path_uuid(&id, "user")?;
            let note = checked_note(body)?;
            let revoked = state.services.logout(&caller.ctx, id, &note).await?;
            return Ok(Json(json!({ "sessions_revoked": revoked })).into_response());
        }
        _ => return Err(Problem::not_found("route")),
    };
    let id = path_uuid(&id, "user")?;
    let note = checked_note(body)?;
    let change = state
        .services
        .change_status(&caller.ctx, id, transition, &note)
        .await?;
    Ok(user_response(StatusCode::OK, change.user))
}

/// `POST /v1/users/{id}/deactivate[?dry_run=true]` with `{"relinquish": true}` to hand over
/// the rooms the user alone owns.
async fn deactivate(
    state: &AppState,
    caller: &Caller,
    id: &str,
    query: ActionQuery,
    body: NoteBody,
) -> ApiResult<Response> {
    let id = path_uuid(id, "user")?;
    let options = Deactivation {
        relinquish: body.relinquish.unwrap_or(false),
        dry_run: query.dry_run.unwrap_or(false),
    };
    let note = checked_note(body)?;
    let done = state
        .services
        .deactivate(&caller.ctx, id, &note, options)
        .await?;
    if !options.dry_run {
        return Ok(user_response(StatusCode::OK, done.user));
    }
    let plan = &done.plan;
    Ok(Json(json!({
        "dry_run": true,
        "user": UserBody::from(done.user),
        "transfers": plan.transfers.iter().map(|t| json!({"room_id": t.room_id, "room": t.room_name, "new_owner": t.new_owner})).collect::<Vec<_>>(),
        "removals": plan.removals.iter().map(|r| json!({"room_id": r.room_id, "room": r.room_name})).collect::<Vec<_>>(),
    }))
    .into_response())
}

fn checked_note(body: NoteBody) -> Result<Note, Problem> {
    let mut errors = FieldErrors::new();
    let note = note(
        body.reason,
        body.reference_id,
        body.occurred_at,
        &mut errors,
    );
    errors.finish()?;
    Ok(note)
}
