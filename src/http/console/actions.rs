//! The console's actions: each one use case every API uses, run as the signed-in admin through
//! the `console` channel. A refusal (an illegal transition, the last admin, a bad field) is
//! shown as a message on the page the admin acted from.

use super::page::{done_url, refusal, render, Chrome, Failure};
use super::session::{Admin, AdminForm};
use super::user::{render_user, user_id};
use super::users::{render_list, ListQuery};
use crate::domain::event::Note;
use crate::domain::fields::{self, Email, PersonName, Phone};
use crate::domain::user::{Change, NewUser, UserPatch};
use crate::domain::{FieldError, Status, Transition};
use crate::http::AppState;
use crate::service::lifecycle::Deactivation;
use crate::service::users::{Creation, OnExisting};
use crate::service::Error;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::context;
use serde::Deserialize;
use uuid::Uuid;

/// The admin's account of a change: why, and a reference (a ticket), both optional.
#[derive(Debug, Default, Deserialize)]
pub struct NoteForm {
    #[serde(default)]
    reason: String,
    #[serde(default)]
    reference_id: String,
}

impl NoteForm {
    fn note(&self) -> Result<Note, Error> {
        let field = |name: &str, raw: &str| -> Result<Option<String>, FieldError> {
            let raw = raw.trim();
            if raw.is_empty() {
                Ok(None)
            } else {
                fields::note(name, raw).map(Some)
            }
        };
        let reason = field("reason", &self.reason);
        let reference_id = field("reference_id", &self.reference_id);
        match (reason, reference_id) {
            (Ok(reason), Ok(reference_id)) => Ok(Note {
                reason,
                reference_id,
                occurred_at: None,
            }),
            (r, x) => Err(Error::Invalid(
                [r.err(), x.err()].into_iter().flatten().collect(),
            )),
        }
    }
}

/// After an action: back to the user's page saying it is done, or the page with the refusal.
async fn answer<T>(
    state: &AppState,
    admin: &Admin,
    id: Uuid,
    done: &str,
    outcome: Result<T, Error>,
) -> Result<Response, Failure> {
    match outcome {
        Ok(_) => Ok(Redirect::to(&done_url(&admin.tenant.slug, id, done)).into_response()),
        Err(e) => match refusal(&e) {
            Some((status, message)) => {
                let chrome = Chrome::of(admin).error(Some(message));
                render_user(state, admin, id, chrome, status).await
            }
            None => Err(e.into()),
        },
    }
}

/// `POST …/console/users/{id}/{action}`: ban, unban, reactivate, revoke-invite,
/// resend-invite, logout.
pub async fn act(
    State(state): State<AppState>,
    Path((_, id, action)): Path<(String, String, String)>,
    AdminForm { admin, form }: AdminForm<NoteForm>,
) -> Result<Response, Failure> {
    let id = user_id(&id)?;
    let s = &state.services;
    let ctx = &admin.ctx;
    let note = match form.note() {
        Ok(note) => note,
        Err(e) => return answer::<()>(&state, &admin, id, &action, Err(e)).await,
    };
    let transition = match action.as_str() {
        "ban" => Some(Transition::Ban),
        "unban" => Some(Transition::Unban),
        "reactivate" => Some(Transition::Reactivate),
        "revoke-invite" => Some(Transition::RevokeInvite),
        _ => None,
    };
    let outcome = match (transition, action.as_str()) {
        (Some(t), _) => s.change_status(ctx, id, t, &note).await.map(drop),
        (None, "resend-invite") => s.resend_invite(ctx, id).await.map(drop),
        (None, "logout") => s.logout(ctx, id, &note).await.map(drop),
        _ => return Err(Failure::not_found()),
    };
    answer(&state, &admin, id, &action, outcome).await
}

/// `GET …/console/users/{id}/deactivate`: what deactivating would do (the dry run's room
/// hand-over plan), with the form that confirms it.
pub async fn deactivate_preview(
    State(state): State<AppState>,
    admin: Admin,
    Path((_, id)): Path<(String, String)>,
) -> Result<Response, Failure> {
    let id = user_id(&id)?;
    let options = Deactivation {
        relinquish: true,
        dry_run: true,
        ..Deactivation::default()
    };
    let dry = state
        .services
        .deactivate(&admin.ctx, id, &Note::default(), options)
        .await;
    let dry = match dry {
        Ok(dry) => dry,
        Err(e) => return answer::<()>(&state, &admin, id, "deactivate", Err(e)).await,
    };
    let mut transfers = Vec::new();
    for t in &dry.plan.transfers {
        let heir = state.services.user(&admin.ctx, t.new_owner).await?;
        transfers.push(context! {
            room => t.room_name, heir_id => t.new_owner.to_string(),
            heir => heir.user.email.unwrap_or_else(|| format!("user {}", heir.user.number)),
        });
    }
    let removals: Vec<_> = dry
        .plan
        .removals
        .iter()
        .map(|r| r.room_name.clone())
        .collect();
    let u = &dry.user.user;
    render(
        StatusCode::OK,
        "deactivate.html",
        context! {
            c => Chrome::of(&admin),
            id => u.id.to_string(),
            email => u.email.clone().unwrap_or_else(|| format!("user {}", u.number)),
            transfers, removals,
        },
    )
}

/// `POST …/console/users/{id}/deactivate`: deactivates, handing the rooms over as previewed.
pub async fn deactivate(
    State(state): State<AppState>,
    Path((_, id)): Path<(String, String)>,
    AdminForm { admin, form }: AdminForm<NoteForm>,
) -> Result<Response, Failure> {
    let id = user_id(&id)?;
    let options = Deactivation {
        relinquish: true,
        ..Deactivation::default()
    };
    let outcome = match form.note() {
        Ok(note) => {
            state
                .services
                .deactivate(&admin.ctx, id, &note, options)
                .await
        }
        Err(e) => Err(e),
    };
    answer(&state, &admin, id, "deactivate", outcome).await
}

#[derive(Debug, Deserialize)]
pub struct EditForm {
    #[serde(default)]
    first_name: String,
    #[serde(default)]
    last_name: String,
    #[serde(default)]
    phone_number: String,
}

/// A form field as a patch member: empty clears it.
fn change<T>(
    raw: &str,
    parse: impl FnOnce(&str) -> Result<T, FieldError>,
    errors: &mut Vec<FieldError>,
) -> Change<T> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Change::Clear;
    }
    match parse(raw) {
        Ok(v) => Change::Set(v),
        Err(e) => {
            errors.push(e);
            Change::Keep
        }
    }
}

/// `POST …/console/users/{id}/edit`: the name and phone number.
pub async fn edit(
    State(state): State<AppState>,
    Path((_, id)): Path<(String, String)>,
    AdminForm { admin, form }: AdminForm<EditForm>,
) -> Result<Response, Failure> {
    let id = user_id(&id)?;
    let mut errors = Vec::new();
    let patch = UserPatch {
        first_name: change(
            &form.first_name,
            |r| PersonName::parse("first_name", r),
            &mut errors,
        ),
        last_name: change(
            &form.last_name,
            |r| PersonName::parse("last_name", r),
            &mut errors,
        ),
        phone_number: change(
            &form.phone_number,
            |r| Phone::parse("phone_number", r),
            &mut errors,
        ),
        ..UserPatch::default()
    };
    let outcome = if errors.is_empty() {
        state.services.patch_user(&admin.ctx, id, patch, None).await
    } else {
        Err(Error::Invalid(errors))
    };
    answer(&state, &admin, id, "edit", outcome).await
}

#[derive(Debug, Deserialize)]
pub struct InviteForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    first_name: String,
    #[serde(default)]
    last_name: String,
}

/// `POST …/console/invite`: creates an invited user and queues their invite email (a revoked
/// user of that email is invited again).
pub async fn invite(
    State(state): State<AppState>,
    AdminForm { admin, form }: AdminForm<InviteForm>,
) -> Result<Response, Failure> {
    let mut errors = Vec::new();
    let email = Email::parse("email", form.email.trim())
        .map_err(|e| errors.push(e))
        .ok();
    let name = |field: &str, raw: &str, errors: &mut Vec<FieldError>| {
        let raw = raw.trim();
        (!raw.is_empty())
            .then(|| {
                PersonName::parse(field, raw)
                    .map_err(|e| errors.push(e))
                    .ok()
            })
            .flatten()
    };
    let first_name = name("first_name", &form.first_name, &mut errors);
    let last_name = name("last_name", &form.last_name, &mut errors);
    let outcome = match email {
        Some(email) if errors.is_empty() => {
            let new = NewUser {
                first_name,
                last_name,
                ..NewUser::with_email(email, Status::Invited)
            };
            let creation = Creation {
                send_invite: true,
                ..Creation::default()
            };
            state
                .services
                .create_user(&admin.ctx, new, creation, OnExisting::ReinviteRevoked)
                .await
        }
        _ => Err(Error::Invalid(errors)),
    };
    match outcome {
        Ok(created) => Ok(Redirect::to(&done_url(
            &admin.tenant.slug,
            created.user.user.id,
            "invite",
        ))
        .into_response()),
        Err(e) => match refusal(&e) {
            Some((status, message)) => {
                let chrome = Chrome::of(&admin).error(Some(format!("Invite refused: {message}")));
                render_list(&state, &admin, &ListQuery::default(), chrome, status).await
            }
            None => Err(e.into()),
        },
    }
}
