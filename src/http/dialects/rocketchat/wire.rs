//! Rocket.Chat's request and success bodies.

use crate::domain::Status;
use crate::service::UserView;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::openapi::schema::{ObjectBuilder, Type};
use uuid::Uuid;

// Rocket.Chat's fixed words and flags, each documented as its one value.
fn word(value: &'static str) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some([value]))
}

fn flag(value: bool) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::Boolean)
        .enum_values(Some([value]))
}

fn success_word() -> ObjectBuilder {
    word("success")
}

pub fn error_word() -> ObjectBuilder {
    word("error")
}

fn user_type() -> ObjectBuilder {
    word("user")
}

fn always_true() -> ObjectBuilder {
    flag(true)
}

pub fn always_false() -> ObjectBuilder {
    flag(false)
}

/// The user every Rocket.Chat example shows.
pub fn user_example() -> serde_json::Value {
    serde_json::json!({
        "_id": "0193a1f2-7c4e-7d31-9b2a-5f0e8c6d4a10",
        "username": "jane.doe@example.com",
        "name": "Jane Doe",
        "emails": [{"address": "jane.doe@example.com", "verified": true}],
        "type": "user",
        "active": true,
        "roles": ["user", "admin"],
        "createdAt": "2026-11-22T23:40:00Z",
        "_updatedAt": "2026-11-22T23:41:00Z"
    })
}

/// A user as Rocket.Chat shows one.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = RocketchatUser, example = json!(user_example()))]
pub struct RcUser {
    /// roster's user id, the `userId` of every other call.
    #[serde(rename = "_id")]
    pub id: Uuid,
    /// The user's email, or for a user without one their number.
    pub username: String,
    /// First and last name joined by a space; empty when neither is set.
    pub name: String,
    /// The user's email, verified once the user has joined (not `invited`); empty without one.
    pub emails: Vec<RcEmail>,
    #[serde(rename = "type")]
    #[schema(schema_with = user_type)]
    pub kind: &'static str,
    /// Whether the user is `active`.
    pub active: bool,
    /// `user`, then the user's roster roles (`admin`, `plan_admin`, `only_sees_readable`).
    #[schema(value_type = Vec<String>)]
    pub roles: Vec<&'static str>,
    #[serde(rename = "createdAt")]
    pub created_at: DateTime<Utc>,
    #[serde(rename = "_updatedAt")]
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = RocketchatEmail)]
pub struct RcEmail {
    pub address: String,
    pub verified: bool,
}

impl From<&UserView> for RcUser {
    fn from(view: &UserView) -> Self {
        let u = &view.user;
        let name = [u.first_name.as_deref(), u.last_name.as_deref()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
        let mut roles = vec!["user"];
        roles.extend(u.roles.names());
        Self {
            id: u.id,
            username: u.email.clone().unwrap_or_else(|| u.number.to_string()),
            name,
            emails: u
                .email
                .iter()
                .map(|e| RcEmail {
                    address: e.clone(),
                    verified: u.status != Status::Invited,
                })
                .collect(),
            kind: "user",
            active: u.status == Status::Active,
            roles,
            created_at: u.created_at,
            updated_at: u.updated_at,
        }
    }
}

// The handler reads the body as a map, taking the first of `user`, `username` and `email` that
// is a string; this type only documents it.
/// A login: the user's email (as `user`, `username` or `email`) and password. Without both, the
/// login fails (401). Other fields are ignored.
#[derive(utoipa::ToSchema)]
#[schema(as = RocketchatLoginRequest, example = json!({
    "user": "jane.doe@example.com",
    "password": "correct horse battery staple"
}))]
#[allow(dead_code)]
pub struct LoginBody {
    /// The user's email.
    #[schema(required = false)]
    user: String,
    /// The same as `user`, read when `user` is absent.
    #[schema(required = false)]
    username: String,
    /// The same as `user`, read when `user` and `username` are absent.
    #[schema(required = false)]
    email: String,
    #[schema(format = Password)]
    password: String,
}

/// The answer to a login.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = RocketchatLogin, example = json!({
    "status": "success",
    "data": {
        "userId": "0193a1f2-7c4e-7d31-9b2a-5f0e8c6d4a10",
        "authToken": "rss_aBIKvUJjbn5dtELj0d9RoEZeXuz9aqBvMMC4GH85dfU",
        "me": user_example()
    }
}))]
pub struct LoginAnswer {
    #[schema(schema_with = success_word)]
    pub status: &'static str,
    pub data: LoginData,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = RocketchatLoginData)]
pub struct LoginData {
    /// Send as `X-User-Id`.
    #[serde(rename = "userId")]
    pub user_id: Uuid,
    /// Send as `X-Auth-Token`; shown only now.
    #[serde(rename = "authToken")]
    pub auth_token: String,
    pub me: RcUser,
}

/// The answer to a logout.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = RocketchatLogout, example = json!({
    "status": "success",
    "data": {"message": "You've been logged out!"}
}))]
pub struct LogoutAnswer {
    #[schema(schema_with = success_word)]
    pub status: &'static str,
    pub data: LogoutData,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = RocketchatLogoutData)]
pub struct LogoutData {
    #[schema(value_type = String, example = "You've been logged out!")]
    pub message: &'static str,
}

/// The caller, with their session's end.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = RocketchatMe, example = json!({
    "_id": "0193a1f2-7c4e-7d31-9b2a-5f0e8c6d4a10",
    "username": "jane.doe@example.com",
    "name": "Jane Doe",
    "emails": [{"address": "jane.doe@example.com", "verified": true}],
    "type": "user",
    "active": true,
    "roles": ["user", "admin"],
    "createdAt": "2026-11-22T23:40:00Z",
    "_updatedAt": "2026-11-22T23:41:00Z",
    "success": true,
    "sessionExpiresAt": "2026-12-22T23:45:00Z"
}))]
pub struct MeAnswer {
    #[serde(flatten)]
    pub user: RcUser,
    #[schema(schema_with = always_true)]
    pub success: bool,
    /// When the session of this `X-Auth-Token` ends.
    #[serde(rename = "sessionExpiresAt")]
    pub session_expires_at: DateTime<Utc>,
}

/// The answer to `users.info`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = RocketchatUserInfo, example = json!({
    "user": user_example(),
    "success": true
}))]
pub struct InfoAnswer {
    pub user: RcUser,
    #[schema(schema_with = always_true)]
    pub success: bool,
}

// The handler checks the map itself, in the words of Rocket.Chat's validator; this type only
// documents it.
/// The user and the status to give them. Any other field is refused (`invalid-params`).
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = RocketchatSetActiveStatusRequest, example = json!({
    "activeStatus": false,
    "userId": "0193a1f2-7c4e-7d31-9b2a-5f0e8c6d4a10",
    "confirmRelinquish": true
}))]
#[allow(dead_code)]
pub struct SetActiveStatusBody {
    /// `true` makes the user active (an invited user joins, a deactivated one is
    /// reactivated); `false` deactivates them.
    #[serde(rename = "activeStatus")]
    active_status: bool,
    /// The user's id (the `_id` of a user).
    #[serde(rename = "userId")]
    #[schema(format = Uuid)]
    user_id: String,
    /// With `activeStatus: false`: hand over the rooms the user alone owns (to each room's
    /// oldest active member) and remove those left without one, instead of refusing.
    #[serde(rename = "confirmRelinquish")]
    confirm_relinquish: Option<bool>,
}

/// The answer to `users.setActiveStatus`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = RocketchatSetActiveStatus, example = json!({
    "user": {"_id": "0193a1f2-7c4e-7d31-9b2a-5f0e8c6d4a10", "active": false},
    "success": true
}))]
pub struct ActiveStatusAnswer {
    pub user: ActiveStatusUser,
    #[schema(schema_with = always_true)]
    pub success: bool,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = RocketchatActiveStatusUser)]
pub struct ActiveStatusUser {
    #[serde(rename = "_id")]
    pub id: Uuid,
    /// Whether the user is now `active`.
    pub active: bool,
}
