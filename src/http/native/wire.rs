//! Shapes the native API shows, and its opaque cursors.

use crate::domain::event::Event;
use crate::domain::event::EventCursor;
use crate::domain::room::{MemberRole, Room, RoomKind, RoomMember};
use crate::domain::session::Session;
use crate::domain::Status;
use crate::service::{Page, UserView};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::borrow::Cow;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::openapi::RefOr;
use uuid::Uuid;

use super::super::problem::Problem;

/// A user's status on the wire: its domain name. The contract lists the domain's names, so
/// they cannot drift.
#[derive(Clone, Copy)]
pub struct StatusName(pub Status);

impl Serialize for StatusName {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.0.as_str())
    }
}

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

/// The user every example of the native API shows.
pub fn user_example() -> serde_json::Value {
    serde_json::json!({
        "id": "0190f5a0-1b2c-7d3e-8f40-5a6b7c8d9e0f",
        "number": 100042,
        "email": "ada@example.com",
        "username": "ada.lovelace",
        "external_id": "crm-8812",
        "first_name": "Ada",
        "last_name": "Lovelace",
        "phone_number": "+14155550142",
        "status": "active",
        "roles": ["admin"],
        "referral_code": "BKSCX8CX8M",
        "parent_id": null,
        "referred_by": null,
        "groups": ["engineering"],
        "sessions_limit": null,
        "has_password": true,
        "created_at": "2026-11-02T09:00:00Z",
        "updated_at": "2026-11-20T14:03:01Z",
        "status_changed_at": "2026-11-20T14:03:01Z",
        "version": 4
    })
}

/// A user, as every native answer shows one.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = User, example = user_example)]
pub struct UserBody {
    pub id: Uuid,
    pub number: i64,
    pub email: Option<String>,
    /// The user's login name, as written (unique in the tenant, compared case-insensitively).
    pub username: Option<String>,
    pub external_id: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub phone_number: Option<String>,
    pub status: StatusName,
    #[schema(value_type = Vec<String>, example = json!(["admin"]))]
    pub roles: Vec<String>,
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

/// A user with its ETag, the version a conditional PATCH must name.
pub struct UserAnswer(pub StatusCode, pub UserBody);

impl IntoResponse for UserAnswer {
    fn into_response(self) -> Response {
        let UserAnswer(status, user) = self;
        let etag = HeaderValue::from_str(&format!("\"v{}\"", user.version));
        let mut res = (status, Json(user)).into_response();
        if let Ok(etag) = etag {
            res.headers_mut().insert(header::ETAG, etag);
        }
        res
    }
}

impl From<UserView> for UserBody {
    fn from(v: UserView) -> Self {
        let u = v.user;
        Self {
            id: u.id,
            number: u.number,
            email: u.email,
            username: u.username,
            external_id: u.external_id,
            first_name: u.first_name,
            last_name: u.last_name,
            phone_number: u.phone_number,
            status: StatusName(u.status),
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

/// One audit event: a change to a user (or to the tenant), who made it and why.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = Event, example = json!({
    "id": "0190f5a2-7c1e-7d3a-9b1e-3f2a1c4d5e6f",
    "user_id": "0190f5a0-1b2c-7d3e-8f40-5a6b7c8d9e0f",
    "action": "banned",
    "from_status": "active",
    "to_status": "banned",
    "actor": "api_key:0190f4ff-0000-7000-8000-000000000001",
    "actor_name": "billing-backend",
    "channel": "village",
    "reference_id": "TICKET-4821",
    "description": "chargeback fraud",
    "details": null,
    "occurred_at": "2026-11-20T14:03:00Z",
    "recorded_at": "2026-11-20T14:03:01.204Z",
    "request_id": "6f1c2d3e-4b5a-4c6d-8e7f-9a0b1c2d3e4f"
}))]
pub struct EventBody {
    pub id: Uuid,
    /// The user the event is about; null for tenant-wide events.
    pub user_id: Option<Uuid>,
    /// What happened: a transition's past tense (`activated`, `banned`...), `created`,
    /// `updated`, `logged_out`, `room_ownership_transferred`...
    pub action: String,
    pub from_status: Option<String>,
    pub to_status: Option<String>,
    /// Who did it: `api_key:<id>` (with `for <person>` when the client names one),
    /// `user:<id>`, `operator`, `system`.
    pub actor: String,
    /// The actor's name where it has one: an API key's. Null on events recorded before
    /// actors had names.
    pub actor_name: Option<String>,
    /// The API the change came through: `native`, `village`, `publica`, `rocketchat`,
    /// `regpack`, `scim`, `console`, `cli` or `scheduler`. Null on events recorded before
    /// channels.
    pub channel: Option<String>,
    /// The client's own reference for the change (`reference_id` of the request).
    pub reference_id: Option<String>,
    /// The client's reason for the change (`reason` of the request).
    pub description: Option<String>,
    /// What else the event records (changed fields, rooms handed over...).
    pub details: Option<serde_json::Value>,
    /// When the change happened, as the client said (`occurred_at`), else when it was recorded.
    pub occurred_at: DateTime<Utc>,
    pub recorded_at: DateTime<Utc>,
    pub request_id: Option<String>,
    /// Who acted as the user (`api_key:<id>`, `user:<id>`), on events made through an
    /// impersonation session; absent otherwise. `actor` is then the user.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub impersonator: Option<String>,
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
            actor_name: e.actor_name,
            channel: e.channel,
            reference_id: e.reference_id,
            description: e.description,
            details: e.details,
            occurred_at: e.occurred_at,
            recorded_at: e.recorded_at,
            request_id: e.request_id,
            impersonator: e.impersonator,
        }
    }
}

/// A live session of a user.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = Session)]
pub struct SessionBody {
    pub id: Uuid,
    pub user_id: Uuid,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    /// On an impersonation session: who acts as the user through it (`api_key:<id>`,
    /// `user:<id>`). Absent on the user's own sessions.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub impersonator: Option<String>,
}

impl From<Session> for SessionBody {
    fn from(s: Session) -> Self {
        Self {
            id: s.id,
            user_id: s.user_id,
            created_at: s.created_at,
            expires_at: s.expires_at,
            impersonator: s.impersonator.map(|i| i.actor),
        }
    }
}

/// How many sessions a logout ended.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(example = json!({"sessions_revoked": 2}))]
pub struct SessionsRevoked {
    /// The sessions that were live and are now ended.
    pub sessions_revoked: u64,
}

/// A room. `members` is in the answers about one room, not in the list.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = Room, example = json!({
    "id": "0190f5b0-2c3d-7e4f-8a5b-6c7d8e9f0a1b",
    "name": "engineering",
    "type": "channel",
    "created_at": "2026-11-02T09:00:00Z",
    "members": [{
        "user_id": "0190f5a0-1b2c-7d3e-8f40-5a6b7c8d9e0f",
        "role": "owner",
        "joined_at": "2026-11-02T09:00:00Z"
    }]
}))]
pub struct RoomBody {
    pub id: Uuid,
    pub name: String,
    #[serde(rename = "type")]
    pub kind: RoomType,
    pub created_at: DateTime<Utc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(required = false, value_type = Vec<RoomMemberBody>)]
    pub members: Option<Vec<RoomMemberBody>>,
}

/// A room's kind.
// Named as the domain names it (`RoomKind::as_str`): see the test below.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum RoomType {
    Channel,
    Private,
    Direct,
}

impl From<RoomKind> for RoomType {
    fn from(kind: RoomKind) -> Self {
        match kind {
            RoomKind::Channel => Self::Channel,
            RoomKind::Private => Self::Private,
            RoomKind::Direct => Self::Direct,
        }
    }
}

/// A member's role in a room.
// Named as the domain names it (`MemberRole::as_str`): see the test below.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum RoomRole {
    Owner,
    Member,
}

impl From<MemberRole> for RoomRole {
    fn from(role: MemberRole) -> Self {
        match role {
            MemberRole::Owner => Self::Owner,
            MemberRole::Member => Self::Member,
        }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = RoomMember)]
pub struct RoomMemberBody {
    pub user_id: Uuid,
    pub role: RoomRole,
    pub joined_at: DateTime<Utc>,
}

impl RoomBody {
    pub fn new(room: Room, members: Option<Vec<RoomMember>>) -> Self {
        Self {
            id: room.id,
            name: room.name,
            kind: room.kind.into(),
            created_at: room.created_at,
            members: members.map(|ms| {
                ms.into_iter()
                    .map(|m| RoomMemberBody {
                        user_id: m.user_id,
                        role: m.role.into(),
                        joined_at: m.joined_at,
                    })
                    .collect()
            }),
        }
    }
}

/// Every list: `{"data": [...], "next_cursor": "..." | null}`.
#[derive(Serialize, utoipa::ToSchema)]
pub struct List<T> {
    pub data: Vec<T>,
    /// Pass it back as `cursor` (the feed: `after`) for the next page; null on the last page
    /// (the feed always sets it).
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

/// A position in the tenant feed from a `next_cursor` the feed gave out; the start without one.
pub fn feed_position(field: &str, raw: Option<&str>) -> Result<EventCursor, Problem> {
    let Some(raw) = raw else {
        return Ok(EventCursor::default());
    };
    let n = decode_cursor(field, "e", raw, 2)?;
    Ok(EventCursor {
        tx_order: n[0],
        seq: n[1],
    })
}

/// Parses a path id; a malformed one is simply not found.
pub fn path_uuid(raw: &str, what: &'static str) -> Result<Uuid, Problem> {
    Uuid::parse_str(raw).map_err(|_| Problem::not_found(what))
}

pub fn path_number(raw: &str, what: &'static str) -> Result<i64, Problem> {
    raw.parse().map_err(|_| Problem::not_found(what))
}

/// The `first_name`, `last_name` and `phone_number` members of a merge patch (absent keeps,
/// null clears), parsed; a bad one is recorded in `errors` and keeps.
pub(super) fn names_and_phone(
    first_name: &Option<Option<String>>,
    last_name: &Option<Option<String>>,
    phone_number: &Option<Option<String>>,
    errors: &mut crate::domain::FieldErrors,
) -> (
    crate::domain::user::Change<crate::domain::fields::PersonName>,
    crate::domain::user::Change<crate::domain::fields::PersonName>,
    crate::domain::user::Change<crate::domain::fields::Phone>,
) {
    use crate::domain::fields::{PersonName, Phone};
    use crate::domain::user::Change;
    fn member(m: &Option<Option<String>>) -> Option<Option<&str>> {
        m.as_ref().map(|v| v.as_deref())
    }
    (
        Change::from_member(member(first_name), errors, |s| {
            PersonName::parse("first_name", s)
        }),
        Change::from_member(member(last_name), errors, |s| {
            PersonName::parse("last_name", s)
        }),
        Change::from_member(member(phone_number), errors, |s| {
            Phone::parse("phone_number", s)
        }),
    )
}

#[cfg(test)]
mod tests {
    use super::{RoomRole, RoomType};
    use crate::domain::room::{MemberRole, RoomKind};
    use serde_json::{json, Value};
    use utoipa::PartialSchema;

    /// The names a wire enum's schema lists.
    fn documented<T: PartialSchema>() -> Vec<String> {
        let schema = serde_json::to_value(T::schema()).unwrap();
        let Value::Array(names) = &schema["enum"] else {
            panic!("an enum schema: {schema}");
        };
        names
            .iter()
            .map(|n| n.as_str().unwrap().to_owned())
            .collect()
    }

    /// The wire names are the domain's: each documented name parses to the kind or role that
    /// is sent under that name (and `From` maps every kind and role, exhaustively).
    #[test]
    fn room_names_are_the_domains() {
        for name in documented::<RoomType>() {
            let kind = RoomKind::parse("type", &name).unwrap();
            assert_eq!(kind.as_str(), name);
            assert_eq!(json!(RoomType::from(kind)), json!(name));
        }
        for name in documented::<RoomRole>() {
            let role = MemberRole::parse("role", &name).unwrap();
            assert_eq!(role.as_str(), name);
            assert_eq!(json!(RoomRole::from(role)), json!(name));
        }
    }
}
