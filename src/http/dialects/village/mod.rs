//! Village: `POST /networks/{network_id}/user_status` and
//! `PATCH /networks/{network_id}/users/{user_email}`.

mod error;
mod wire;

use crate::domain::event::Note;
use crate::domain::fields::{Email, GroupKey, PersonName, Phone};
use crate::domain::user::{Change, NewUser, UserPatch};
use crate::domain::{FieldError, FieldErrors, Status, Transition};
use crate::http::auth::{bearer, Caller};
use crate::http::json::{parse_json, read_body};
use crate::http::tenancy::{caller_for_key, require_tenant};
use crate::http::AppState;
use crate::service::users::{Creation, OnExisting};
use axum::extract::{FromRequest, FromRequestParts, Path, Request, State};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::routing::{patch, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use error::VillageError;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use wire::{Metadata, UserStatusAnswer, UserStatusBody, VillageUser};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/networks/{network_id}/user_status", post(user_status))
        .route(
            "/networks/{network_id}/users/{user_email}",
            patch(patch_user),
        )
}

// Path parameters by name: under `/t/{tenant}` the request carries one more, which these
// ignore. Every field is a string the route guarantees, so extracting them cannot fail.
#[derive(serde::Deserialize)]
struct NetworkPath {
    network_id: String,
}

#[derive(serde::Deserialize)]
struct UserPath {
    network_id: String,
    user_email: String,
}

/// A caller with a tenant API key as `Authorization: Bearer`.
struct VillageCaller(Caller);

impl FromRequestParts<AppState> for VillageCaller {
    type Rejection = VillageError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, VillageError> {
        let secret = bearer(parts).map(str::to_owned);
        Ok(VillageCaller(
            caller_for_key(parts, state, secret.as_deref()).await?,
        ))
    }
}

/// A JSON body whose errors answer in Village's envelope.
struct VillageJson<T>(T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for VillageJson<T> {
    type Rejection = VillageError;

    async fn from_request(req: Request, _: &S) -> Result<Self, VillageError> {
        let (parts, body) = read_body(req).await?;
        Ok(VillageJson(parse_json(&parts.headers, &body, None)?))
    }
}

async fn user_status(
    State(state): State<AppState>,
    VillageCaller(caller): VillageCaller,
    Path(NetworkPath { network_id }): Path<NetworkPath>,
    VillageJson(body): VillageJson<UserStatusBody>,
) -> Result<(StatusCode, Json<UserStatusAnswer>), VillageError> {
    require_tenant(&caller, &network_id)?;
    let email = Email::parse("user", &body.user).map_err(|e| VillageError::bad_request(vec![e]))?;
    let services = &state.services;
    let answer = match body.status_change.as_str() {
        "create_user" => {
            let (new, creation) = creation(email, &body)?;
            let outcome = services
                .create_user(&caller.ctx, new, creation, OnExisting::Return)
                .await
                .map_err(|e| VillageError::from(e).renamed(&[("groups", "segment_adds")]))?;
            // Village counts these only on the first create; on any later one they are ignored.
            let mut ignored = Vec::new();
            if !outcome.created {
                ignored.extend(present(&body, &["referrer", "segment_adds", "metadata"]));
                if body.send_email == Some(true) && !outcome.reinvited {
                    ignored.push("send_email");
                }
            }
            UserStatusAnswer {
                status_change: body.status_change.clone(),
                user: VillageUser::from(outcome.user),
                created: outcome.created,
                ignored_fields: ignored,
            }
        }
        "revoke_invite" | "ban" => {
            let transition = if body.status_change == "ban" {
                Transition::Ban
            } else {
                Transition::RevokeInvite
            };
            let user = services.user_by_email(&caller.ctx, email.as_str()).await?;
            let change = services
                .change_status(&caller.ctx, user.user.id, transition, &Note::default())
                .await?;
            UserStatusAnswer {
                status_change: body.status_change.clone(),
                user: VillageUser::from(change.user),
                created: false,
                ignored_fields: present(
                    &body,
                    &["send_email", "referrer", "segment_adds", "metadata"],
                ),
            }
        }
        other => {
            return Err(VillageError::field(
                "status_change",
                format!(
                    "unknown status change {other:?}; expected create_user, revoke_invite or ban"
                ),
            ))
        }
    };
    Ok((StatusCode::CREATED, Json(answer)))
}

/// Which of these optional fields the request carried.
fn present(body: &UserStatusBody, fields: &[&'static str]) -> Vec<&'static str> {
    fields
        .iter()
        .copied()
        .filter(|f| match *f {
            "send_email" => body.send_email.is_some(),
            "referrer" => body.referrer.is_some(),
            "segment_adds" => body.segment_adds.is_some(),
            "metadata" => body.metadata.is_some(),
            _ => false,
        })
        .collect()
}

/// The user and creation facts of a `create_user`.
fn creation(email: Email, body: &UserStatusBody) -> Result<(NewUser, Creation), VillageError> {
    let mut errors = FieldErrors::new();
    let mut new = NewUser::with_email(email, Status::Invited);
    new.groups = body
        .segment_adds
        .iter()
        .flatten()
        .enumerate()
        .filter_map(|(i, k)| errors.take(GroupKey::parse(&format!("segment_adds[{i}]"), k)))
        .collect();
    let note = match &body.metadata {
        Some(m) => note(m, &mut errors),
        None => Note::default(),
    };
    errors
        .finish()
        .map_err(|e| VillageError::from(crate::service::Error::from(e)))?;
    let metadata = body
        .metadata
        .as_ref()
        .and_then(|m| serde_json::to_value(m).ok());
    Ok((
        new,
        Creation {
            note,
            metadata,
            referrer: body.referrer.clone(),
            send_invite: body.send_email.unwrap_or(false),
            plan: None,
        },
    ))
}

fn note(m: &Metadata, errors: &mut FieldErrors) -> Note {
    let occurred_at = m.status_change_timestamp.and_then(|ts| {
        let at = (ts >= 0)
            .then(|| DateTime::<Utc>::from_timestamp(ts, 0))
            .flatten();
        if at.is_none() {
            errors.push(FieldError::new(
                "metadata.status_change_timestamp",
                "must be a Unix time in seconds, 0 or more",
            ));
        }
        at
    });
    Note {
        reason: m
            .description
            .clone()
            .and_then(|d| errors.take(crate::domain::fields::note("metadata.description", &d))),
        reference_id: m
            .reference_id
            .clone()
            .and_then(|r| errors.take(crate::domain::fields::note("metadata.reference_id", &r))),
        occurred_at,
    }
}

/// Where a field this API does not change is changed instead.
fn not_patchable(field: &str) -> String {
    match field {
        "email" => {
            "the email is not changed through the Patch User API; use roster's PATCH /v1/users/{id}"
                .into()
        }
        "status" | "status_change" => {
            "status changes through POST /networks/{network_id}/user_status".into()
        }
        "segment_adds" | "segments" => {
            "segments change through roster's groups API (POST /v1/groups/{id}/members)".into()
        }
        "referrer" => "a referrer counts only on the first create_user".into(),
        _ => "is not a field of the Patch User API (first_name, last_name, phone_number)".into(),
    }
}

async fn patch_user(
    State(state): State<AppState>,
    VillageCaller(caller): VillageCaller,
    Path(UserPath {
        network_id,
        user_email,
    }): Path<UserPath>,
    VillageJson(body): VillageJson<Map<String, Value>>,
) -> Result<Json<VillageUser>, VillageError> {
    require_tenant(&caller, &network_id)?;
    let mut errors = FieldErrors::new();
    let mut patch = UserPatch::default();
    for (field, value) in &body {
        let text = match value {
            Value::Null => None,
            Value::String(s) => Some(s.as_str()),
            _ => {
                errors.push(FieldError::new(field, "must be a string or null"));
                continue;
            }
        };
        let member = Some(text);
        match field.as_str() {
            "first_name" => {
                patch.first_name =
                    Change::from_member(member, &mut errors, |t| PersonName::parse(field, t))
            }
            "last_name" => {
                patch.last_name =
                    Change::from_member(member, &mut errors, |t| PersonName::parse(field, t))
            }
            "phone_number" => {
                patch.phone_number =
                    Change::from_member(member, &mut errors, |t| Phone::parse(field, t))
            }
            other => errors.push(FieldError::new(other, not_patchable(other))),
        }
    }
    if body.is_empty() {
        errors.push(FieldError::new(
            ".",
            "send at least one of first_name, last_name, phone_number",
        ));
    }
    errors
        .finish()
        .map_err(|e| VillageError::from(crate::service::Error::from(e)))?;
    let user = state
        .services
        .user_by_email(&caller.ctx, &user_email)
        .await?;
    let updated = state
        .services
        .patch_user(&caller.ctx, user.user.id, patch, None)
        .await?;
    Ok(Json(VillageUser::from(updated)))
}

/// This dialect's part of the contract.
pub fn openapi() -> utoipa::openapi::OpenApi {
    utoipa::openapi::OpenApi::default()
}
