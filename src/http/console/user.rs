//! One user: profile, status, groups, rooms, open sessions, invite emails, and the audit
//! timeline; with the forms of the actions their status allows.

use super::page::{render, when, Chrome, Failure};
use super::session::Admin;
use super::users::UserRow;
use crate::domain::event::Event;
use crate::domain::room::MemberRole;
use crate::domain::Status;
use crate::http::AppState;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use minijinja::context;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Events shown on a user's page.
const TIMELINE: u32 = 100;

/// The user's id from the path; anything that is not a uuid names nobody.
pub fn user_id(raw: &str) -> Result<Uuid, Failure> {
    Uuid::parse_str(raw).map_err(|_| Failure::not_found())
}

/// An audit event as a row of a timeline or the feed.
#[derive(Debug, Serialize)]
pub struct EventRow {
    at: String,
    action: String,
    user_id: Option<String>,
    change: Option<String>,
    actor: String,
    channel: String,
    reference_id: Option<String>,
    description: Option<String>,
    details: Option<String>,
}

impl From<&Event> for EventRow {
    fn from(e: &Event) -> Self {
        let change = match (&e.from_status, &e.to_status) {
            (Some(f), Some(t)) => Some(format!("{f} → {t}")),
            (None, Some(t)) => Some(format!("→ {t}")),
            _ => None,
        };
        EventRow {
            at: when(e.occurred_at),
            action: e.action.clone(),
            user_id: e.user_id.map(|u| u.to_string()),
            change,
            actor: match &e.actor_name {
                Some(name) if !name.is_empty() => format!("{name} ({})", e.actor),
                _ => e.actor.clone(),
            },
            channel: e.channel.clone().unwrap_or_else(|| "—".into()),
            reference_id: e.reference_id.clone(),
            description: e.description.clone(),
            details: e.details.as_ref().map(|d| d.to_string()),
        }
    }
}

/// The user page's query: what was just done, and where the timeline starts.
#[derive(Debug, Default, Deserialize)]
struct UserQuery {
    done: Option<String>,
    /// Show the events older than this `seq`.
    before: Option<String>,
}

/// What a finished action says on the page it lands on; the query names it, the text is ours.
fn done_message(done: Option<&str>) -> Option<String> {
    let text = match done? {
        "ban" => "The user is banned; their sessions have ended.",
        "unban" => "The user is unbanned.",
        "reactivate" => "The user is active again.",
        "deactivate" => "The user is deactivated; their rooms were handed over as shown.",
        "revoke-invite" => "The invite is revoked.",
        "resend-invite" => "A new invite email is queued; the earlier link no longer works.",
        "logout" => "Every session of the user has ended.",
        "edit" => "The profile is saved.",
        "invite" => "The user is invited; the invite email is queued.",
        _ => return None,
    };
    Some(text.to_owned())
}

/// `GET …/console/users/{id}`.
pub async fn page(
    State(state): State<AppState>,
    admin: Admin,
    Path((_, id)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
) -> Result<Response, Failure> {
    let id = user_id(&id)?;
    let query: UserQuery =
        serde_urlencoded::from_str(raw.as_deref().unwrap_or_default()).unwrap_or_default();
    let chrome = Chrome::of(&admin).notice(done_message(query.done.as_deref()));
    let before = query.before.and_then(|b| b.parse().ok());
    render_timeline(&state, &admin, id, before, chrome, StatusCode::OK).await
}

/// The user's page, framed by `chrome` (which may carry a refusal from an action).
pub async fn render_user(
    state: &AppState,
    admin: &Admin,
    id: Uuid,
    chrome: Chrome,
    status: StatusCode,
) -> Result<Response, Failure> {
    render_timeline(state, admin, id, None, chrome, status).await
}

/// The user's page with the events before `before` (a `seq`; None: the latest).
async fn render_timeline(
    state: &AppState,
    admin: &Admin,
    id: Uuid,
    before: Option<i64>,
    chrome: Chrome,
    status: StatusCode,
) -> Result<Response, Failure> {
    let s = &state.services;
    let ctx = &admin.ctx;
    let view = s.user(ctx, id).await?;
    let sessions: Vec<_> = s
        .live_sessions(ctx, id)
        .await?
        .iter()
        .map(|x| context! { id => x.id.to_string(), created => when(x.created_at), expires => when(x.expires_at) })
        .collect();
    let emails: Vec<_> = s
        .emails_of(ctx, id)
        .await?
        .iter()
        .map(|e| {
            context! {
                kind => e.kind, recipient => e.recipient, status => e.status,
                attempts => e.attempts, last_error => e.last_error,
                created => when(e.created_at), sent => e.sent_at.map(when),
            }
        })
        .collect();
    let rooms: Vec<_> = s
        .rooms_of(ctx, id)
        .await?
        .iter()
        .map(|r| {
            context! {
                name => r.name, kind => r.kind.as_str(),
                owner => r.role == MemberRole::Owner, role => r.role.as_str(),
            }
        })
        .collect();
    let events = s.latest_user_events(ctx, id, before, TIMELINE).await?;
    let older = events
        .last()
        .filter(|_| events.len() == TIMELINE as usize)
        .map(|e| e.seq);
    let timeline: Vec<EventRow> = events.iter().map(EventRow::from).collect();
    let u = &view.user;
    let st = u.status;
    let actions = context! {
        ban => st != Status::Banned && st != Status::Revoked,
        unban => st == Status::Banned,
        deactivate => st == Status::Active,
        reactivate => st == Status::Deactivated,
        resend_invite => st == Status::Invited,
        revoke_invite => st == Status::Invited,
        logout => !sessions.is_empty(),
    };
    render(
        status,
        "user.html",
        context! {
            c => chrome,
            user => UserRow::from(&view),
            first_name => u.first_name, last_name => u.last_name, phone => u.phone_number,
            username => u.username, external_id => u.external_id,
            has_password => u.has_password, updated => when(u.updated_at),
            status_since => when(u.status_changed_at),
            sessions, emails, rooms, events => timeline, actions, older, newest => before.is_none(),
            title_name => if u.email.is_some() { u.email.clone() } else { Some(format!("user {}", u.number)) },
        },
    )
}
