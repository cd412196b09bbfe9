//! Village's request and response bodies.

use crate::domain::user::Change;
use crate::domain::{FieldError, FieldErrors};
use crate::service::UserView;
use chrono::{DateTime, Utc};
use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};
use utoipa::openapi::{Ref, RefOr, Schema};
use uuid::Uuid;

/// A status change of the user whose email is `user`. Any other field is refused (400).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = VillageUserStatusRequest, example = json!({
    "user": "jane.doe@example.com",
    "status_change": "create_user",
    "send_email": false,
    "referrer": "K7Q2MZ4PXA",
    "segment_adds": ["new-hires"],
    "metadata": {
        "reference_id": "signup-20931",
        "status_change_timestamp": 1732316400,
        "description": "Signed up on the platform"
    }
}))]
pub struct UserStatusBody {
    /// The user's email.
    /// Internationalized addresses (RFC 6531) are accepted; compared as roster compares emails
    /// (Unicode NFC and case folding, the domain as its IDNA A-label).
    #[schema(format = Email, example = "jane.doe@example.com")]
    pub user: String,
    pub status_change: StatusChange,
    /// With `create_user`: queue the invite email. Ignored by the other changes, and by a
    /// `create_user` that finds the user already there (unless it re-invites a revoked user).
    pub send_email: Option<bool>,
    /// Another user's referral code (their `referral_code`): that user referred this one.
    /// Counts only on the first `create_user`.
    pub referrer: Option<String>,
    /// Keys of existing segments to add the user to. Counts only on the first `create_user`.
    pub segment_adds: Option<Vec<String>>,
    /// Counts only on the first `create_user`.
    pub metadata: Option<Metadata>,
}

/// The status change to make.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[schema(as = VillageStatusChange)]
#[serde(rename_all = "snake_case")]
pub enum StatusChange {
    /// Creates the user, invited (or invites a revoked user again); an existing user is
    /// answered as they are.
    CreateUser,
    /// Stops an invite not yet accepted: the user becomes `revoked`.
    RevokeInvite,
    /// Suspends the user from all network activity: `banned`.
    Ban,
}

// Read by hand so that an unknown change is refused in Village's words, not serde's.
impl<'de> Deserialize<'de> for StatusChange {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match String::deserialize(d)?.as_str() {
            "create_user" => Ok(StatusChange::CreateUser),
            "revoke_invite" => Ok(StatusChange::RevokeInvite),
            "ban" => Ok(StatusChange::Ban),
            other => Err(D::Error::custom(format!(
                "unknown status change {other:?}; expected create_user, revoke_invite or ban"
            ))),
        }
    }
}

#[derive(Debug, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = VillageMetadata)]
pub struct Metadata {
    /// An identifier of your own, for reporting; kept on the audit event.
    pub reference_id: Option<String>,
    /// When the change happened, in Unix seconds (0 or more); the time of the call when absent.
    #[schema(minimum = 0, example = 1732316400)]
    pub status_change_timestamp: Option<i64>,
    /// The reason for the change; kept on the audit event.
    pub description: Option<String>,
}

/// Village shows roster's statuses by their own names: the native API's `Status` schema,
/// whose values come from the domain's list.
pub fn status_schema() -> RefOr<Schema> {
    Ref::from_schema_name("Status").into()
}

/// A user as this dialect shows one, as the examples show them.
fn user_example() -> Value {
    serde_json::json!({
        "id": "0193a1f2-7c4e-7d31-9b2a-5f0e8c6d4a10",
        "email": "jane.doe@example.com",
        "first_name": "Jane",
        "last_name": "Doe",
        "phone_number": "+15555555555",
        "status": "invited",
        "referral_code": "H3WQ9T2KNB",
        "referred_by": "0193a1e0-11aa-7b6c-8d2e-3f4a5b6c7d8e",
        "segments": ["new-hires"],
        "created_at": "2026-11-22T23:40:00Z",
        "updated_at": "2026-11-22T23:40:00Z"
    })
}

/// A user as this dialect shows one.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(example = user_example)]
pub struct VillageUser {
    pub id: Uuid,
    pub email: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub phone_number: Option<String>,
    #[schema(schema_with = status_schema)]
    pub status: &'static str,
    /// The code another user's `referrer` names to say this user referred them.
    pub referral_code: String,
    /// The user whose referral code this user signed up with.
    pub referred_by: Option<Uuid>,
    /// The keys of the segments the user belongs to.
    pub segments: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<UserView> for VillageUser {
    fn from(v: UserView) -> Self {
        let u = v.user;
        Self {
            id: u.id,
            email: u.email,
            first_name: u.first_name,
            last_name: u.last_name,
            phone_number: u.phone_number,
            status: u.status.as_str(),
            referral_code: u.referral_code,
            referred_by: u.referred_by,
            segments: v.groups,
            created_at: u.created_at,
            updated_at: u.updated_at,
        }
    }
}

/// The answer to every accepted `user_status` call (201).
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = VillageUserStatus, example = json!({
    "status_change": "create_user",
    "user": user_example(),
    "created": true,
    "ignored_fields": []
}))]
pub struct UserStatusAnswer {
    /// The change asked for, as sent.
    pub status_change: StatusChange,
    /// The user as they now are.
    pub user: VillageUser,
    /// Whether this call created the user.
    pub created: bool,
    /// Fields of the request that had no effect, and so were ignored.
    pub ignored_fields: Vec<IgnoredField>,
}

/// A field a `user_status` call carried without effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[schema(as = VillageIgnoredField)]
#[serde(rename_all = "snake_case")]
pub enum IgnoredField {
    SendEmail,
    Referrer,
    SegmentAdds,
    Metadata,
}

/// The fields to change, at least one. Any other field is refused (400), naming where it
/// changes instead.
#[derive(utoipa::ToSchema)]
// For the contract only: `Deserialize` below keeps the other fields, for the handler to
// refuse each by name.
#[serde(deny_unknown_fields)]
#[schema(as = VillagePatchUser, example = json!({
    "first_name": "Jane",
    "last_name": "Smith",
    "phone_number": "+15555555555"
}))]
pub struct PatchUserBody {
    /// The new first name (up to 100 characters, with a letter); null clears it.
    #[schema(value_type = Option<String>)]
    pub first_name: Member,
    /// The new last name (up to 100 characters, with a letter); null clears it.
    #[schema(value_type = Option<String>)]
    pub last_name: Member,
    /// The new phone number in international format: `+`, the country code and the number,
    /// 8 to 15 digits in all. Spaces, hyphens, dots and parentheses are dropped, so
    /// `+1 555 555 5555` is kept as `+15555555555`. Null clears it.
    #[schema(value_type = Option<String>)]
    pub phone_number: Member,
    /// The other fields sent, by name.
    #[schema(ignore)]
    pub others: Vec<String>,
}

impl PatchUserBody {
    /// Whether the body has no field at all.
    pub fn is_empty(&self) -> bool {
        [&self.first_name, &self.last_name, &self.phone_number]
            .iter()
            .all(|m| matches!(m, Member::Absent))
            && self.others.is_empty()
    }
}

/// One field of a patch, as sent. Anything but text or null is refused by the handler, with
/// every other bad field at once.
pub enum Member {
    Absent,
    Null,
    Text(String),
    Other,
}

impl Member {
    /// The change this field asks for: absent keeps, null clears, text is parsed. A value
    /// that is not text, or text that does not parse, is recorded in `errors` and keeps.
    pub fn change<T>(
        &self,
        field: &str,
        errors: &mut FieldErrors,
        parse: impl Fn(&str) -> Result<T, FieldError>,
    ) -> Change<T> {
        let member = match self {
            Member::Absent => None,
            Member::Null => Some(None),
            Member::Text(t) => Some(Some(t.as_str())),
            Member::Other => {
                errors.push(FieldError::new(field, "must be a string or null"));
                return Change::Keep;
            }
        };
        Change::from_member(member, errors, |t| parse(t))
    }
}

impl<'de> Deserialize<'de> for PatchUserBody {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let mut members = Map::<String, Value>::deserialize(d)?;
        let mut take = |name: &str| match members.remove(name) {
            None => Member::Absent,
            Some(Value::Null) => Member::Null,
            Some(Value::String(t)) => Member::Text(t),
            Some(_) => Member::Other,
        };
        Ok(Self {
            first_name: take("first_name"),
            last_name: take("last_name"),
            phone_number: take("phone_number"),
            others: members.into_iter().map(|(name, _)| name).collect(),
        })
    }
}
