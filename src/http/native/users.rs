//! `/v1/users`: create, list, read, patch, and the lifecycle actions.

use super::wire::{decode_cursor, encode_cursor, path_uuid, List, StatusName, UserBody};
use crate::domain::event::Note;
use crate::domain::fields::{
    self, email_key, Email, ExternalId, GroupKey, Password, PersonName, Phone,
};
use crate::domain::user::UserFilter;
use crate::domain::user::{self, Change, NewUser, Role, Roles, UserPatch};
use crate::domain::username::Username;
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
use axum::extract::Path;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use uuid::Uuid;

#[derive(utoipa::OpenApi)]
#[openapi(paths(
    create,
    list,
    read,
    patch,
    activate_doc,
    reactivate_doc,
    ban_doc,
    unban_doc,
    revoke_invite_doc,
    invite_doc,
    logout_doc,
    deactivate_doc
))]
pub struct Api;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/users", post(create).get(list))
        .route("/v1/users/{id}", get(read).patch(patch))
        .route("/v1/users/{id}/{action}", post(act))
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
struct NoteBody {
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
}

/// The body every other action accepts: `NoteBody` without `relinquish`, which they refuse
/// (422). Documentation only: `act` reads a `NoteBody` for every action.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = ActionRequest, example = json!({
    "reason": "chargeback fraud",
    "reference_id": "TICKET-4821"
}))]
#[allow(dead_code)]
struct ActionNote {
    /// Why: recorded as the event's `description`.
    #[schema(max_length = 1000)]
    reason: Option<String>,
    /// The client's own reference (a ticket, an order): recorded on the event.
    #[schema(max_length = 1000)]
    reference_id: Option<String>,
    /// When the change really happened, if not now.
    occurred_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct ActionQuery {
    /// Answer what the deactivation would do (the rooms handed over or removed) and change
    /// nothing.
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
    "username": "ada.lovelace",
    "first_name": "Ada",
    "last_name": "Lovelace",
    "status": "invited",
    "roles": ["admin"],
    "groups": ["engineering"],
    "send_invite": true,
    "reason": "joined the engineering team"
}))]
struct CreateUser {
    /// Required unless `parent_id` is set.
    /// Internationalized addresses (RFC 6531) are accepted, such as `kåre@bücher.de`; whitespace,
    /// a full-width `＠` and invisible or control characters are refused. Unique in the tenant,
    /// compared after Unicode NFC normalization and case folding, the domain as its IDNA A-label.
    #[schema(format = Email, max_length = 254)]
    email: Option<String>,
    /// A login name, unique in the tenant (compared case-insensitively): 1 to 254 ASCII
    /// letters, digits, `.`, `_`, `-`, `@` and `+`, starting with a letter or a digit.
    #[schema(
        min_length = 1,
        max_length = 254,
        pattern = "^[A-Za-z0-9][A-Za-z0-9._@+-]*$"
    )]
    username: Option<String>,
    #[schema(min_length = 1, max_length = 64)]
    external_id: Option<String>,
    #[schema(min_length = 1, max_length = 100)]
    first_name: Option<String>,
    #[schema(min_length = 1, max_length = 100)]
    last_name: Option<String>,
    #[schema(example = "+14155550142")]
    phone_number: Option<String>,
    status: Option<String>,
    #[schema(min_length = 8, max_length = 255)]
    password: Option<String>,
    roles: Option<Vec<String>>,
    groups: Option<Vec<String>>,
    parent_id: Option<Uuid>,
    #[schema(minimum = 1, maximum = 999999)]
    sessions_limit: Option<i64>,
    metadata: Option<Value>,
    referrer: Option<String>,
    send_invite: Option<bool>,
    #[schema(max_length = 1000)]
    reason: Option<String>,
    #[schema(max_length = 1000)]
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
            username: self
                .username
                .as_deref()
                .and_then(|u| errors.take(Username::parse("username", u))),
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

#[utoipa::path(
    get,
    path = "/v1/users/{id}",
    tag = tag::NATIVE,
    operation_id = "getUser",
    summary = "Read a user",
    description = "The user, with its `ETag` (the version a conditional PATCH names in `If-Match`).",
    params(("id" = String, Path, description = "The user's id (a UUID)")),
    responses(
        (status = 200, description = "The user", body = UserBody,
            headers(("ETag" = String, description = "The user's version, for `If-Match`"))),
        (status = 404, description = "No user of this tenant has this id (or it is not a UUID)",
            body = ProblemBody, content_type = "application/problem+json"),
    ),
    security(("api_key" = [])),
)]
async fn read(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let id = path_uuid(&id, "user")?;
    let view = state.services.user(&caller.ctx, id).await?;
    Ok(user_response(StatusCode::OK, view))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct ListQuery {
    /// Only users with this status.
    #[param(value_type = Option<StatusName>)]
    status: Option<String>,
    /// Only the user with this email, compared as roster compares emails: Unicode NFC and case
    /// folding, the domain as its IDNA A-label.
    email: Option<String>,
    /// Only the user with this username (case-insensitively); a text that breaks the username
    /// rule is refused (422).
    username: Option<String>,
    /// Only the user with this external id.
    external_id: Option<String>,
    /// Only members of the group with this key.
    group: Option<String>,
    /// Only users whose name or email contains this text.
    q: Option<String>,
    /// Page size: 1 to 200, default 50 (out-of-range values are clamped).
    limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    cursor: Option<String>,
}

#[utoipa::path(
    get,
    path = "/v1/users",
    tag = tag::NATIVE,
    operation_id = "listUsers",
    summary = "List users",
    description = "The tenant's users, oldest first, a page at a time; the filters combine. \
Unknown query parameters are refused (400).",
    params(ListQuery),
    responses(
        (status = 200, description = "A page of users", body = List<UserBody>),
        (status = 400, description = "An unknown parameter, a `limit` that is not a number, or a \
`cursor` this list did not give out", body = ProblemBody, content_type = "application/problem+json"),
        (status = 422, description = "`status` is not a status name, `username` breaks the \
username rule, or a text holds a NUL character",
            body = ProblemBody, content_type = "application/problem+json"),
    ),
    security(("api_key" = [])),
)]
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
        username_key: q
            .username
            .as_deref()
            .map(|u| Username::parse("username", u).map(|u| u.key()))
            .transpose()
            .map_err(|e| Problem::invalid(vec![e]))?,
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

/// A JSON merge patch (RFC 7396) of a user: members left out are kept, `null` clears
/// (`roles: null` removes every role); `email` and `password` cannot be cleared.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = UserPatch, example = json!({
    "first_name": "Augusta Ada",
    "phone_number": null,
    "roles": ["admin", "billing"]
}))]
struct PatchUser {
    #[serde(default, deserialize_with = "nullable")]
    /// Internationalized addresses (RFC 6531) are accepted; compared as roster compares emails
    /// (Unicode NFC and case folding, the domain as its IDNA A-label).
    #[schema(value_type = Option<String>, required = false, format = Email, max_length = 254)]
    email: Option<Option<String>>,
    /// `null` removes the username.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, required = false, min_length = 1, max_length = 254,
        pattern = "^[A-Za-z0-9][A-Za-z0-9._@+-]*$")]
    username: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, required = false, min_length = 1, max_length = 64)]
    external_id: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, required = false, min_length = 1, max_length = 100)]
    first_name: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, required = false, min_length = 1, max_length = 100)]
    last_name: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, required = false, example = "+14155550142")]
    phone_number: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<Vec<String>>, required = false)]
    roles: Option<Option<Vec<String>>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<i64>, required = false, minimum = 1, maximum = 999999)]
    sessions_limit: Option<Option<i64>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, required = false, min_length = 8, max_length = 255)]
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
            username: Change::from_member(
                self.username.as_ref().map(Option::as_deref),
                &mut errors,
                |s| Username::parse("username", s),
            ),
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

/// The `If-Match` header of a conditional PATCH.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Header)]
#[allow(dead_code)] // Read from the headers by `if_match`; this type only documents it.
struct IfMatch {
    /// The `ETag` of the version the change was made against (`"v3"`); any other version
    /// answers 412. `*` or no header: no condition.
    // A header is absent or a string, never null: hence `value_type` and `required`.
    #[param(rename = "If-Match", value_type = String, required = false, example = "\"v3\"")]
    if_match: Option<String>,
}

#[utoipa::path(
    patch,
    path = "/v1/users/{id}",
    tag = tag::NATIVE,
    operation_id = "patchUser",
    summary = "Update a user",
    description = "Applies a JSON merge patch to the user's profile, roles, session limit or \
password (send it as `application/merge-patch+json` or `application/json`). The status is not \
patched: use the actions. With `If-Match`, the change applies only to that version (412 \
otherwise, with `current_version`); without it, the last write wins. A patch that changes \
nothing answers the user as it is.",
    request_body(content(
        (PatchUser = "application/merge-patch+json"),
        (PatchUser = "application/json"),
    )),
    params(("id" = String, Path, description = "The user's id (a UUID)"), IfMatch),
    responses(
        (status = 200, description = "The user, patched", body = UserBody,
            headers(("ETag" = String, description = "The user's new version, for `If-Match`"))),
        (status = 404, description = "No user of this tenant has this id (or it is not a UUID)",
            body = ProblemBody, content_type = "application/problem+json"),
        (status = 409, description = "The email or external id is taken by another user",
            body = ProblemBody, content_type = "application/problem+json"),
        (status = 412, description = "`If-Match` names another version than the user's \
(`current_version` says which), or is not an ETag this API gave out",
            body = ProblemBody, content_type = "application/problem+json"),
        (status = 422, description = "A field breaks a rule, or the patch names no field; \
`errors` names each", body = ProblemBody, content_type = "application/problem+json"),
    ),
    security(("api_key" = [])),
)]
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

// The actions share one route and one handler, `act`; each is documented as its own path
// by the functions below, which exist only to carry their `#[utoipa::path]`.

/// The status transitions that answer the user, refused (409) from the statuses the state
/// machine refuses, and a no-op (200) when the user is already there.
macro_rules! transition_doc {
    ($name:ident, $path:literal, $id:literal, $summary:literal, $description:literal) => {
        #[utoipa::path(
            post,
            path = $path,
            tag = tag::NATIVE,
            operation_id = $id,
            summary = $summary,
            description = $description,
            request_body(content = Option<ActionNote>, description = "Optional: the client's account of the change"),
            params(("id" = String, Path, description = "The user's id (a UUID)"), IdempotencyKey),
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
apply to deactivate only), or the Idempotency-Key was used with another request",
                    body = ProblemBody, content_type = "application/problem+json"),
            ),
            security(("api_key" = [])),
        )]
        #[allow(dead_code)]
        fn $name() {}
    };
}

transition_doc!(
    activate_doc,
    "/v1/users/{id}/activate",
    "activateUser",
    "Activate an invited user",
    "`invited` → `active`, as accepting the invite would. Refused for `deactivated` (use \
reactivate), `banned` and `revoked` users."
);
transition_doc!(
    reactivate_doc,
    "/v1/users/{id}/reactivate",
    "reactivateUser",
    "Reactivate a deactivated user",
    "`deactivated` → `active`. Refused for `invited`, `banned` (use unban) and `revoked` users. \
Rooms handed over at deactivation are not given back."
);
transition_doc!(
    ban_doc,
    "/v1/users/{id}/ban",
    "banUser",
    "Ban a user",
    "Any status → `banned`, ending every session of the user."
);
transition_doc!(
    unban_doc,
    "/v1/users/{id}/unban",
    "unbanUser",
    "Unban a user",
    "`banned` → `active`. Refused for `invited`, `deactivated` and `revoked` users."
);
transition_doc!(
    revoke_invite_doc,
    "/v1/users/{id}/revoke-invite",
    "revokeInvite",
    "Revoke a user's invite",
    "`invited` → `revoked`: the invite link stops working (410). Creating the user again \
re-invites them. Refused for `active`, `deactivated` and `banned` users."
);

/// The answer to `invite`. Documentation only: `act` builds it with `json!`.
#[derive(utoipa::ToSchema)]
#[schema(as = InviteQueued, example = json!({
    "email_id": "0190f5c1-8d2e-7f30-a142-b3c4d5e6f708",
    "status": "queued"
}))]
#[allow(dead_code)]
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
    request_body(content = Option<ActionNote>, description = "Optional; not recorded"),
    params(("id" = String, Path, description = "The user's id (a UUID)"), IdempotencyKey),
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
#[allow(dead_code)]
fn invite_doc() {}

/// How many sessions a logout ended. Documentation only: built with `json!`.
#[derive(utoipa::ToSchema)]
#[schema(as = SessionsRevoked, example = json!({"sessions_revoked": 2}))]
#[allow(dead_code)]
pub(super) struct SessionsRevoked {
    /// The sessions that were live and are now ended.
    sessions_revoked: u64,
}

#[utoipa::path(
    post,
    path = "/v1/users/{id}/logout",
    tag = tag::NATIVE,
    operation_id = "logoutUser",
    summary = "Log a user out everywhere",
    description = "Ends every live session of the user; the status does not change. An event is \
recorded only if a session was live.",
    request_body(content = Option<ActionNote>, description = "Optional: the client's account of the change"),
    params(("id" = String, Path, description = "The user's id (a UUID)"), IdempotencyKey),
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
#[allow(dead_code)]
fn logout_doc() {}

/// A room the deactivation hands to another member. Documentation only: built with `json!`.
#[derive(Serialize, utoipa::ToSchema)]
#[allow(dead_code)]
struct RoomTransfer {
    room_id: Uuid,
    /// The room's name.
    room: String,
    /// The member who becomes the owner: the room's oldest active member.
    new_owner: Uuid,
}

/// A room the deactivation removes (no other member could own it). Documentation only.
#[derive(Serialize, utoipa::ToSchema)]
#[allow(dead_code)]
struct RoomRemoval {
    room_id: Uuid,
    /// The room's name.
    room: String,
}

/// What a deactivation would do (`?dry_run=true`). Documentation only: `deactivate` builds
/// it with `json!`.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(example = json!({
    "dry_run": true,
    "user": super::wire::user_example(),
    "transfers": [{
        "room_id": "0190f5b0-2c3d-7e4f-8a5b-6c7d8e9f0a1b",
        "room": "engineering",
        "new_owner": "0190f5a3-4d5e-7f60-8172-839405a6b7c8"
    }],
    "removals": []
}))]
#[allow(dead_code)]
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
#[allow(dead_code)]
enum DeactivateAnswer {
    User(UserBody),
    DryRun(DeactivationPlan),
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
answers the plan and changes nothing.",
    request_body(content = Option<NoteBody>, description = "Optional: the client's account of the change, and `relinquish`"),
    params(("id" = String, Path, description = "The user's id (a UUID)"), ActionQuery, IdempotencyKey),
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
#[allow(dead_code)]
fn deactivate_doc() {}
