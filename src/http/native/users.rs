//! `/v1/users`: create, list, read and patch (the lifecycle actions are in `actions`).

use super::actions::note;
use super::wire::{
    decode_cursor, encode_cursor, names_and_phone, path_uuid, List, StatusName, UserAnswer,
    UserBody,
};
use crate::domain::fields::{email_key, Email, ExternalId, GroupKey, Password, PersonName, Phone};
use crate::domain::user::UserFilter;
use crate::domain::user::{self, Change, NewUser, RoleName, Roles, UserPatch};
use crate::domain::username::Username;
use crate::domain::{FieldError, FieldErrors};
use crate::http::auth::Caller;
use crate::http::json::{nullable, ApiJson, ApiQuery};
use crate::http::openapi::tag;
use crate::http::problem::{ApiResult, Problem, ProblemBody};
use crate::http::AppState;
use crate::service::page_size;
use crate::service::users::{status_filter, Creation, OnExisting};
use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, StatusCode};
use axum::Json;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::Value;
use std::convert::Infallible;
use utoipa_axum::routes;
use uuid::Uuid;

pub fn router() -> super::Routes {
    super::Routes::new()
        .routes(routes!(create, list))
        .routes(routes!(read, patch))
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
    Roles::of(
        raw.iter()
            .enumerate()
            .filter_map(|(i, r)| errors.take(RoleName::parse(&format!("roles[{i}]"), r))),
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
                ..Creation::default()
            },
        ))
    }
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
) -> ApiResult<UserAnswer> {
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
    Ok(UserAnswer(status, outcome.user.into()))
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
) -> ApiResult<UserAnswer> {
    let id = path_uuid(&id, "user")?;
    let view = state.services.user(&caller.ctx, id).await?;
    Ok(UserAnswer(StatusCode::OK, view.into()))
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
    let filter = user_filter(
        q.status.as_deref(),
        q.email.as_deref(),
        q.username.as_deref(),
        q.external_id,
        q.group,
        q.q,
    )?;
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

/// The native list's filters (shared by the list and the export).
pub(super) fn user_filter(
    status: Option<&str>,
    email: Option<&str>,
    username: Option<&str>,
    external_id: Option<String>,
    group: Option<String>,
    text: Option<String>,
) -> Result<UserFilter, Problem> {
    Ok(UserFilter {
        status: status.map(|s| status_filter("status", s)).transpose()?,
        email_key: email.map(email_key),
        username_key: username
            .map(|u| Username::parse("username", u).map(|u| u.key()))
            .transpose()
            .map_err(|e| Problem::invalid(vec![e]))?,
        external_id,
        group_key: group,
        text: text.filter(|t| !t.trim().is_empty()),
        role: None,
    })
}

/// A JSON merge patch (RFC 7396) of a user: members left out are kept, `null` clears
/// (`roles: null` removes every role); `password` cannot be cleared, and `email: null` or
/// `username: null` is refused when it would leave the user (unless a child) with neither.
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
    /// (Unicode NFC and case folding, the domain as its IDNA A-label). `null` removes the
    /// email of a user who has a username.
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
        let (first_name, last_name, phone_number) = names_and_phone(
            &self.first_name,
            &self.last_name,
            &self.phone_number,
            &mut errors,
        );
        let patch = UserPatch {
            email: Change::from_member(
                self.email.as_ref().map(Option::as_deref),
                &mut errors,
                |s| Email::parse("email", s),
            ),
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
            first_name,
            last_name,
            phone_number,
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

/// The `If-Match` header of a conditional PATCH, as sent: a bad one is refused (412) only
/// after the path and the body were read.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Header)]
struct IfMatch {
    /// The `ETag` of the version the change was made against (`"v3"`); any other version
    /// answers 412. `*` or no header: no condition.
    // A header is absent or a string, never null: hence `value_type` and `required`.
    #[param(rename = "If-Match", value_type = String, required = false, example = "\"v3\"")]
    if_match: Option<HeaderValue>,
}

impl<S: Send + Sync> FromRequestParts<S> for IfMatch {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Infallible> {
        Ok(IfMatch {
            if_match: parts.headers.get(header::IF_MATCH).cloned(),
        })
    }
}

impl IfMatch {
    /// The version the header names; `*` (any) is no condition.
    fn version(&self) -> Result<Option<i64>, Problem> {
        let Some(raw) = &self.if_match else {
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
    if_match: IfMatch,
    ApiJson(body): ApiJson<PatchUser>,
) -> ApiResult<UserAnswer> {
    let id = path_uuid(&id, "user")?;
    let expected = if_match.version()?;
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
    Ok(UserAnswer(StatusCode::OK, view.into()))
}
