//! Village: `POST /networks/{network_id}/user_status` and
//! `PATCH /networks/{network_id}/users/{user_email}`.

mod error;
mod wire;

use crate::domain::event::Note;
use crate::domain::fields::{Email, GroupKey, PersonName, Phone};
use crate::domain::user::{NewUser, UserPatch, UserRef};
use crate::domain::{DomainError, FieldError, FieldErrors, Status, Transition};
use crate::http::dialects::kit::{self, Body, KeyCaller};
use crate::http::openapi::{add_common_errors, tag, Common, When};
use crate::http::tenancy::require_tenant;
use crate::http::AppState;
use crate::service::users::{Creation, OnExisting};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use error::{ErrorBody, Village, VillageError};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use wire::{
    IgnoredField, Metadata, PatchUserBody, StatusChange, UserStatusAnswer, UserStatusBody,
    VillageUser,
};

/// The routes, at Village's paths, with their part of the contract.
fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(user_status))
        .routes(routes!(patch_user))
}

pub fn router() -> Router<AppState> {
    kit::serve::<Village>(routes().split_for_parts().0)
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

#[utoipa::path(
    post,
    path = "/networks/{network_id}/user_status",
    tag = tag::VILLAGE,
    operation_id = "villageUserStatus",
    summary = "Create a user, revoke an invite, or ban a user",
    description = "Changes the status of the user whose email is `user`, by `status_change`:\n\n\
- `create_user` creates the user, `invited` (with `send_email: true`, the invite email is \
queued). `referrer`, `segment_adds` and `metadata` count only on this first create. If the email \
already has a user, nothing is created and the answer is that user as they are, `created: false`, \
with the create-only fields sent listed in `ignored_fields`; a `revoked` user is invited again \
(and `send_email` then counts).\n\
- `revoke_invite` stops an invite not yet accepted: `invited` becomes `revoked` (already \
`revoked`: unchanged). An `active`, `deactivated` or `banned` user is a 409.\n\
- `ban` suspends the user from all network activity: `banned`, whatever the status was.\n\n\
`revoke_invite` and `ban` use only `user`: any other field sent is listed in `ignored_fields`. \
Every accepted call answers 201.",
    request_body = UserStatusBody,
    params(
        ("network_id" = String, Path, description = "Your network: the tenant's slug, id or \
account number. Any other network is a 404.", example = "acme"),
    ),
    responses(
        (status = 201, description = "Accepted: the user as they now are", body = UserStatusAnswer),
        (status = 404, description = "The network is not the API key's, or (`revoke_invite`, \
`ban`) no user has this email", body = ErrorBody, example = json!({
            "error": {"code": "not_found", "message": "user not found"}
        })),
        (status = 409, description = "The user's status does not allow the change (`current_status` \
says it), or the user changed meanwhile (retry)", body = ErrorBody, example = json!({
            "error": {
                "code": "conflict",
                "message": "cannot revoke-invite a user who is active",
                "current_status": "active"
            }
        })),
    ),
    security(("api_key" = [])),
)]
async fn user_status(
    State(state): State<AppState>,
    KeyCaller(caller, _): KeyCaller<Village>,
    Path(NetworkPath { network_id }): Path<NetworkPath>,
    Body(body, _): Body<Village, UserStatusBody>,
) -> Result<(StatusCode, Json<UserStatusAnswer>), VillageError> {
    require_tenant(&caller, &network_id)?;
    let email = Email::parse("user", &body.user).map_err(|e| VillageError::bad_request(vec![e]))?;
    let services = &state.services;
    let answer = match body.status_change {
        StatusChange::CreateUser => {
            let (new, creation) = creation(email, &body)?;
            let outcome = services
                .create_user(&caller.ctx, new, creation, OnExisting::Return)
                .await
                .map_err(|e| VillageError::from(e).renamed(&[("groups", "segment_adds")]))?;
            // Village counts these only on the first create; on any later one they are ignored.
            let mut ignored = Vec::new();
            if !outcome.created {
                ignored.extend(present(
                    &body,
                    &[
                        IgnoredField::Referrer,
                        IgnoredField::SegmentAdds,
                        IgnoredField::Metadata,
                    ],
                ));
                if body.send_email == Some(true) && !outcome.reinvited {
                    ignored.push(IgnoredField::SendEmail);
                }
            }
            UserStatusAnswer {
                status_change: body.status_change,
                user: VillageUser::from(outcome.user),
                created: outcome.created,
                ignored_fields: ignored,
            }
        }
        StatusChange::RevokeInvite | StatusChange::Ban => {
            let transition = if body.status_change == StatusChange::Ban {
                Transition::Ban
            } else {
                Transition::RevokeInvite
            };
            let who = UserRef::Email(email.as_str());
            let change = services
                .change_status(&caller.ctx, who, transition, &Note::default())
                .await?;
            UserStatusAnswer {
                status_change: body.status_change,
                user: VillageUser::from(change.user),
                created: false,
                ignored_fields: present(
                    &body,
                    &[
                        IgnoredField::SendEmail,
                        IgnoredField::Referrer,
                        IgnoredField::SegmentAdds,
                        IgnoredField::Metadata,
                    ],
                ),
            }
        }
    };
    Ok((StatusCode::CREATED, Json(answer)))
}

/// Which of these optional fields the request carried.
fn present(body: &UserStatusBody, fields: &[IgnoredField]) -> Vec<IgnoredField> {
    fields
        .iter()
        .copied()
        .filter(|f| match f {
            IgnoredField::SendEmail => body.send_email.is_some(),
            IgnoredField::Referrer => body.referrer.is_some(),
            IgnoredField::SegmentAdds => body.segment_adds.is_some(),
            IgnoredField::Metadata => body.metadata.is_some(),
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
    errors.finish()?;
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
            ..Creation::default()
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

#[utoipa::path(
    patch,
    path = "/networks/{network_id}/users/{user_email}",
    tag = tag::VILLAGE,
    operation_id = "villagePatchUser",
    summary = "Update a user's name or phone number",
    description = "Changes `first_name`, `last_name` and `phone_number` of the user with this \
email; a field left out is kept, `null` clears it. Send at least one. Any other field is refused \
with a 400 that names it and says where it changes instead: the email through roster's native \
API, the status through `user_status`, segments through the groups API; `referrer` counts only on \
the first `create_user`. A field that breaks a rule (a phone number not in international format, \
a name too long) is refused the same way, and nothing changes.",
    request_body = PatchUserBody,
    params(
        ("network_id" = String, Path, description = "Your network: the tenant's slug, id or \
account number. Any other network is a 404.", example = "acme"),
        ("user_email" = String, Path, description = "The user's email (matched \
after Unicode NFC normalization and case folding, the domain as its IDNA A-label)", example = "jane.doe@example.com"),
    ),
    responses(
        (status = 200, description = "Updated: the user as they now are", body = VillageUser),
        (status = 400, description = "A field is not patchable or breaks a rule; `fields` names \
each, and nothing changed", body = ErrorBody, example = json!({
            "error": {
                "code": "bad_request",
                "message": "status: status changes through POST /networks/{network_id}/user_status",
                "fields": [{
                    "field": "status",
                    "message": "status changes through POST /networks/{network_id}/user_status"
                }]
            }
        })),
        (status = 404, description = "The network is not the API key's, or no user has this \
email", body = ErrorBody, example = json!({
            "error": {"code": "not_found", "message": "user not found"}
        })),
    ),
    security(("api_key" = [])),
)]
async fn patch_user(
    State(state): State<AppState>,
    KeyCaller(caller, _): KeyCaller<Village>,
    Path(UserPath {
        network_id,
        user_email,
    }): Path<UserPath>,
    Body(body, _): Body<Village, PatchUserBody>,
) -> Result<Json<VillageUser>, VillageError> {
    require_tenant(&caller, &network_id)?;
    let mut errors = FieldErrors::new();
    let patch = UserPatch {
        first_name: body.first_name.change("first_name", &mut errors, |t| {
            PersonName::parse("first_name", t)
        }),
        last_name: body.last_name.change("last_name", &mut errors, |t| {
            PersonName::parse("last_name", t)
        }),
        phone_number: body.phone_number.change("phone_number", &mut errors, |t| {
            Phone::parse("phone_number", t)
        }),
        ..UserPatch::default()
    };
    for other in &body.others {
        errors.push(FieldError::new(other, not_patchable(other)));
    }
    if body.is_empty() {
        errors.push(FieldError::new(
            ".",
            "send at least one of first_name, last_name, phone_number",
        ));
    }
    errors.finish().map_err(in_field_order)?;
    let updated = state
        .services
        .patch_user(&caller.ctx, UserRef::Email(&user_email), patch, None)
        .await?;
    Ok(Json(VillageUser::from(updated)))
}

/// Refused fields named in the order of their names, whatever the order they were judged in.
fn in_field_order(e: DomainError) -> VillageError {
    match e {
        DomainError::Invalid(mut fields) => {
            fields.sort_by(|a, b| a.field.cmp(&b.field));
            VillageError::bad_request(fields)
        }
        other => other.into(),
    }
}

/// This dialect's part of the contract.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let mut doc = routes().into_openapi();
    add_common_errors(
        &mut doc,
        "VillageError",
        "application/json",
        &[
            Common {
                status: "400",
                description: "Malformed: the body is not a JSON object of the documented fields, \
or a field breaks a rule; `fields` names each",
                when: When::Body,
            },
            Common {
                status: "401",
                description: "No API key as `Authorization: Bearer`, or one that is unknown or \
revoked",
                when: When::Authenticated,
            },
            Common::TOO_LARGE,
            Common::FORBIDDEN,
            Common {
                status: "415",
                description: "The body is not `application/json`",
                when: When::Body,
            },
            Common::UNAVAILABLE,
        ],
    );
    doc
}
