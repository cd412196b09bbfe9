//! Shapes the native API shows, and its opaque cursors.

use crate::domain::event::Event;
use crate::domain::room::{Room, RoomMember};
use crate::domain::session::Session;
use crate::domain::Status;
use crate::service::{Page, UserView};
use crate::store::EventCursor;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::borrow::Cow;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::openapi::RefOr;
use uuid::Uuid;

use super::super::problem::Problem;

/// A status in the contract. Its names come from the domain's list, so they cannot drift.
pub struct StatusName;

impl utoipa::PartialSchema for StatusName {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .enum_values(Some(Status::ALL.iter().map(|s| s.as_str())))
            .description(Some("The user's place in the lifecycle"))
            .into()
    }
}

impl utoipa::ToSchema for StatusName {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("Status")
    }
}

/// A user, as every native answer shows one.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = User)]
pub struct UserBody {
    pub id: Uuid,
    pub number: i64,
    pub email: Option<String>,
    pub external_id: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub phone_number: Option<String>,
    #[schema(value_type = StatusName)]
    pub status: &'static str,
    #[schema(value_type = Vec<String>, example = json!(["admin"]))]
    pub roles: Vec<&'static str>,
    pub referral_code: String,
    pub parent_id: Option<Uuid>,
    pub referred_by: Option<Uuid>,
    pub groups: Vec<String>,
    pub sessions_limit: Option<i32>,
    pub has_password: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub status_changed_at: DateTime<Utc>,
    pub version: i64,
}

impl From<UserView> for UserBody {
    fn from(v: UserView) -> Self {
        let u = v.user;
        Self {
            id: u.id,
            number: u.number,
            email: u.email,
            external_id: u.external_id,
            first_name: u.first_name,
            last_name: u.last_name,
            phone_number: u.phone_number,
            status: u.status.as_str(),
            roles: u.roles.names(),
            referral_code: u.referral_code,
            parent_id: u.parent_id,
            referred_by: u.referred_by,
            groups: v.groups,
            sessions_limit: u.sessions_limit,
            has_password: u.has_password,
            created_at: u.created_at,
            updated_at: u.updated_at,
            status_changed_at: u.status_changed_at,
            version: u.version,
        }
    }
}

#[derive(Serialize)]
pub struct EventBody {
    pub id: Uuid,
    pub user_id: Option<Uuid>,
    pub action: String,
    pub from_status: Option<String>,
    pub to_status: Option<String>,
    pub actor: String,
    pub reference_id: Option<String>,
    pub description: Option<String>,
    pub details: Option<serde_json::Value>,
    pub occurred_at: DateTime<Utc>,
    pub recorded_at: DateTime<Utc>,
    pub request_id: Option<String>,
}

impl From<Event> for EventBody {
    fn from(e: Event) -> Self {
        Self {
            id: e.id,
            user_id: e.user_id,
            action: e.action,
            from_status: e.from_status,
            to_status: e.to_status,
            actor: e.actor,
            reference_id: e.reference_id,
            description: e.description,
            details: e.details,
            occurred_at: e.occurred_at,
            recorded_at: e.recorded_at,
            request_id: e.request_id,
        }
    }
}

#[derive(Serialize)]
pub struct SessionBody {
    pub id: Uuid,
    pub user_id: Uuid,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

impl From<Session> for SessionBody {
    fn from(s: Session) -> Self {
        Self {
            id: s.id,
            user_id: s.user_id,
            created_at: s.created_at,
            expires_at: s.expires_at,
        }
    }
}

#[derive(Serialize)]
pub struct RoomBody {
    pub id: Uuid,
    pub name: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub created_at: DateTime<Utc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub members: Option<Vec<RoomMemberBody>>,
}

#[derive(Serialize)]
pub struct RoomMemberBody {
    pub user_id: Uuid,
    pub role: &'static str,
    pub joined_at: DateTime<Utc>,
}

impl RoomBody {
    pub fn new(room: Room, members: Option<Vec<RoomMember>>) -> Self {
        Self {
            id: room.id,
            name: room.name,
            kind: room.kind.as_str(),
            created_at: room.created_at,
            members: members.map(|ms| {
                ms.into_iter()
                    .map(|m| RoomMemberBody {
                        user_id: m.user_id,
                        role: m.role.as_str(),
                        joined_at: m.joined_at,
                    })
                    .collect()
            }),
        }
    }
}

/// Every list: `{"data": [...], "next_cursor": "..." | null}`.
#[derive(Serialize)]
pub struct List<T> {
    pub data: Vec<T>,
    pub next_cursor: Option<String>,
}

impl<T> List<T> {
    pub fn all(data: Vec<T>) -> Self {
        Self {
            data,
            next_cursor: None,
        }
    }

    pub fn page<I, C>(page: Page<I, C>, encode: impl Fn(C) -> String) -> Self
    where
        T: From<I>,
    {
        Self {
            data: page.items.into_iter().map(T::from).collect(),
            next_cursor: page.next.map(encode),
        }
    }
}

/// Cursors are opaque to clients: a tag and numbers, base64url-encoded.
pub fn encode_cursor(tag: &str, parts: &[i64]) -> String {
    let text = std::iter::once(tag.to_owned())
        .chain(parts.iter().map(i64::to_string))
        .collect::<Vec<_>>()
        .join(":");
    URL_SAFE_NO_PAD.encode(text)
}

pub fn decode_cursor(field: &str, tag: &str, raw: &str, n: usize) -> Result<Vec<i64>, Problem> {
    let invalid = || {
        Problem::malformed(format!("{field} is not a cursor this list gave out"))
            .with_field(field, "is not a valid cursor")
    };
    let bytes = URL_SAFE_NO_PAD.decode(raw).map_err(|_| invalid())?;
    let text = String::from_utf8(bytes).map_err(|_| invalid())?;
    let mut parts = text.split(':');
    if parts.next() != Some(tag) {
        return Err(invalid());
    }
    let numbers: Vec<i64> = parts
        .map(str::parse)
        .collect::<Result<_, _>>()
        .map_err(|_| invalid())?;
    if numbers.len() != n {
        return Err(invalid());
    }
    Ok(numbers)
}

pub fn feed_cursor(c: EventCursor) -> String {
    encode_cursor("e", &[c.tx_order, c.seq])
}

/// Parses a path id; a malformed one is simply not found.
pub fn path_uuid(raw: &str, what: &'static str) -> Result<Uuid, Problem> {
    Uuid::parse_str(raw).map_err(|_| Problem::not_found(what))
}

pub fn path_number(raw: &str, what: &'static str) -> Result<i64, Problem> {
    raw.parse().map_err(|_| Problem::not_found(what))
}
