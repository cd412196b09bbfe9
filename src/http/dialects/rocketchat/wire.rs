//! Rocket.Chat's request and success bodies.

use crate::domain::user::User;
use crate::domain::Status;
use crate::http::dialects::kit::Member;
use crate::service::sessions::LoginName;
use crate::service::UserView;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
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

const OFFLINE: &str = "offline";

fn offline() -> ObjectBuilder {
    word(OFFLINE)
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
        "username": "jane.doe",
        "name": "Jane Doe",
        "emails": [{"address": "jane.doe@example.com", "verified": true}],
        "type": "user",
        "status": "offline",
        "utcOffset": 0,
        "active": true,
        "roles": ["user", "admin"],
        "createdAt": "2026-11-22T23:40:00Z",
        "_updatedAt": "2026-11-22T23:41:00Z"
    })
}

/// The caller as `me` and the login answer show them: the user with Rocket.Chat's `me` fields.
pub fn me_example() -> serde_json::Value {
    let mut me = user_example();
    me["email"] = "jane.doe@example.com".into();
    me["statusConnection"] = "offline".into();
    me["settings"] = serde_json::json!({"profile": {}, "preferences": {}});
    me
}

/// The user's `username` on Rocket.Chat's wire: their username; without one their email, and
/// without either their number, so that every user has one (Rocket.Chat's users all do).
/// `users.info?username=` resolves the same names in the same order.
pub fn rc_username(u: &User) -> String {
    u.username
        .clone()
        .or_else(|| u.email.clone())
        .unwrap_or_else(|| u.number.to_string())
}

/// A user as Rocket.Chat shows one.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = RocketchatUser, example = json!(user_example()))]
pub struct RcUser {
    /// roster's user id, the `userId` of every other call.
    #[serde(rename = "_id")]
    pub id: Uuid,
    /// The user's username; without one their email, and without either their number.
    pub username: String,
    /// First and last name joined by a space; empty when neither is set.
    pub name: String,
    /// The user's email, verified once the user has joined (not `invited`); empty without one.
    pub emails: Vec<RcEmail>,
    #[serde(rename = "type")]
    #[schema(schema_with = user_type)]
    pub kind: &'static str,
    /// Presence, which roster does not track: always `offline`, what Rocket.Chat shows for a
    /// user with no live connection.
    #[schema(schema_with = offline)]
    pub status: &'static str,
    /// Hours from UTC; roster keeps no time zone, so 0.
    #[serde(rename = "utcOffset")]
    pub utc_offset: i32,
    /// Whether the user is `active`.
    pub active: bool,
    /// `user`, then the user's roster roles (`admin`, `plan_admin`, `only_sees_readable`).
    #[schema(value_type = Vec<String>)]
    pub roles: Vec<String>,
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
        // Every Rocket.Chat user has the role `user`, listed first.
        let mut roles = vec!["user".to_owned()];
        roles.extend(u.roles.names().into_iter().filter(|r| r != "user"));
        Self {
            id: u.id,
            username: rc_username(u),
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
            status: OFFLINE,
            utc_offset: 0,
            active: u.status == Status::Active,
            roles,
            created_at: u.created_at,
            updated_at: u.updated_at,
        }
    }
}

/// The caller as Rocket.Chat's `me` and login answers show them: the user, their verified
/// `email`, their connection status and their (empty) settings.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = RocketchatMeUser, example = json!(me_example()))]
pub struct RcMe {
    #[serde(flatten)]
    pub user: RcUser,
    /// The user's email once it is verified (the user has joined); absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(required = false)]
    pub email: Option<String>,
    /// Always `offline`: roster keeps no connections.
    #[serde(rename = "statusConnection")]
    #[schema(schema_with = offline)]
    pub status_connection: &'static str,
    /// Rocket.Chat's per-user settings; roster keeps none, so both are empty.
    pub settings: RcSettings,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = RocketchatSettings)]
pub struct RcSettings {
    #[schema(value_type = Object)]
    pub profile: Map<String, serde_json::Value>,
    #[schema(value_type = Object)]
    pub preferences: Map<String, serde_json::Value>,
}

impl From<&UserView> for RcMe {
    fn from(view: &UserView) -> Self {
        let user = RcUser::from(view);
        let email = user
            .emails
            .iter()
            .find(|e| e.verified)
            .map(|e| e.address.clone());
        Self {
            user,
            email,
            status_connection: OFFLINE,
            settings: RcSettings {
                profile: Map::new(),
                preferences: Map::new(),
            },
        }
    }
}

/// A login: who (as `user`, `username` or `email`) and the password. Without both, the login
/// fails (401). Other members are ignored, and so is any of these that is not a string.
#[derive(Deserialize, utoipa::ToSchema)]
#[schema(as = RocketchatLoginRequest, example = json!({
    "user": "jane.doe",
    "password": "correct horse battery staple"
}))]
pub struct LoginBody {
    /// The user's username or email: an email match wins.
    #[schema(value_type = String, required = false)]
    user: Option<Value>,
    /// The same as `user`, read when `user` is absent.
    #[schema(value_type = String, required = false)]
    username: Option<Value>,
    /// The user's email, read when `user` and `username` are absent.
    #[schema(value_type = String, required = false)]
    email: Option<Value>,
    #[schema(value_type = String, required = true, format = Password)]
    password: Option<Value>,
}

impl LoginBody {
    /// Who logs in: the first of `user`, `username` and `email` that is a string.
    pub fn login_name(&self) -> Option<LoginName<'_>> {
        text(&self.user)
            .or_else(|| text(&self.username))
            .map(LoginName::EmailOrUsername)
            .or_else(|| text(&self.email).map(LoginName::Email))
    }

    pub fn password(&self) -> Option<&str> {
        text(&self.password)
    }
}

fn text(member: &Option<Value>) -> Option<&str> {
    member.as_ref().and_then(Value::as_str)
}

/// The answer to a login.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = RocketchatLogin, example = json!({
    "status": "success",
    "data": {
        "userId": "0193a1f2-7c4e-7d31-9b2a-5f0e8c6d4a10",
        "authToken": "rss_aBIKvUJjbn5dtELj0d9RoEZeXuz9aqBvMMC4GH85dfU",
        "me": me_example()
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
    pub me: RcMe,
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
#[schema(as = RocketchatMe, example = json!(me_answer_example()))]
pub struct MeAnswer {
    #[serde(flatten)]
    pub me: RcMe,
    #[schema(schema_with = always_true)]
    pub success: bool,
    /// When the session of this `X-Auth-Token` ends.
    #[serde(rename = "sessionExpiresAt")]
    pub session_expires_at: DateTime<Utc>,
}

fn me_answer_example() -> serde_json::Value {
    let mut me = me_example();
    me["success"] = true.into();
    me["sessionExpiresAt"] = "2026-12-22T23:45:00Z".into();
    me
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

/// The user and the status to give them. Any other field is refused (`invalid-params`).
#[derive(Deserialize, utoipa::ToSchema)]
#[schema(as = RocketchatSetActiveStatusRequest, example = json!({
    "activeStatus": false,
    "userId": "0193a1f2-7c4e-7d31-9b2a-5f0e8c6d4a10",
    "confirmRelinquish": true
}))]
pub struct SetActiveStatusBody {
    #[serde(rename = "activeStatus", default)]
    #[schema(schema_with = active_status_schema, required = true)]
    pub active_status: Member,
    /// The user's id (the `_id` of a user).
    #[serde(rename = "userId", default)]
    #[schema(value_type = String, format = Uuid, required = true)]
    pub user_id: Member,
    #[serde(rename = "confirmRelinquish", default)]
    #[schema(schema_with = confirm_relinquish_schema, required = false)]
    pub confirm_relinquish: Member,
    /// The members Rocket.Chat's validator does not know, to refuse by name.
    #[serde(flatten)]
    #[schema(ignore)]
    pub unknown: Map<String, Value>,
}

/// A boolean, or the string `"true"` or `"false"` (Rocket.Chat's validator coerces them);
/// `null` too where Rocket.Chat's schema allows it.
fn flag_or_text(description: &str, nullable: bool) -> utoipa::openapi::schema::Schema {
    let mut one_of = utoipa::openapi::schema::OneOfBuilder::new()
        .description(Some(description))
        .item(ObjectBuilder::new().schema_type(Type::Boolean))
        .item(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .enum_values(Some(["true", "false"])),
        );
    if nullable {
        one_of = one_of.item(ObjectBuilder::new().schema_type(Type::Null));
    }
    utoipa::openapi::schema::Schema::OneOf(one_of.build())
}

fn active_status_schema() -> utoipa::openapi::schema::Schema {
    flag_or_text(
        "`true` makes the user active (an invited user joins, a deactivated one is \
         reactivated); `false` deactivates them. The strings \"true\" and \"false\" are read as \
         these booleans.",
        false,
    )
}

fn confirm_relinquish_schema() -> utoipa::openapi::schema::Schema {
    flag_or_text(
        "With `activeStatus: false`: hand over the rooms the user alone owns (to each room's \
         oldest active member) and remove those left without one, instead of refusing. The \
         strings \"true\" and \"false\" are read as these booleans; null is false.",
        true,
    )
}

/// The answer to `GET /api/info`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = RocketchatServerInfo, example = json!({"version": "7.6", "success": true}))]
pub struct ServerInfo {
    /// The Rocket.Chat release whose REST API roster speaks, as major.minor (Rocket.Chat
    /// shows no more to a caller without `view-statistics`).
    #[schema(value_type = String, example = "7.6")]
    pub version: &'static str,
    #[schema(schema_with = always_true)]
    pub success: bool,
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

/// `users.updateOwnBasicInfo`: what the signed-in user changes of themselves, in `data`.
#[derive(Deserialize, utoipa::ToSchema)]
#[schema(as = RocketchatUpdateOwnBasicInfoRequest, example = json!({
    "data": {"realname": "Ada Lovelace", "phone": "+14155550142"}
}))]
pub struct UpdateOwnBasicInfoBody {
    #[serde(default)]
    #[schema(value_type = OwnBasicInfo, required = true)]
    pub data: Member,
    /// The members Rocket.Chat's validator does not know, to refuse by name.
    #[serde(flatten)]
    #[schema(ignore)]
    pub unknown: Map<String, Value>,
}

/// The fields of `data`. Any other (`username`, `nickname`, `statusText`, `bio`,
/// `customFields`...) is refused (`invalid-params`).
#[derive(utoipa::ToSchema)]
#[schema(as = RocketchatOwnBasicInfo)]
#[allow(dead_code)]
pub struct OwnBasicInfo {
    /// The full name: the last word is the last name, the rest the first name.
    realname: Option<String>,
    /// roster's: the first name alone (at least 2 letters).
    #[schema(rename = "firstName")]
    first_name: Option<String>,
    /// roster's: the last name alone (at least 1 character).
    #[schema(rename = "lastName")]
    last_name: Option<String>,
    /// roster's: the phone number, in international format; `""` removes it.
    phone: Option<String>,
    /// Needed with `newPassword`: the current password, in clear.
    #[schema(rename = "currentPassword")]
    current_password: Option<String>,
    /// 8 to 255 characters, not the current password, not the email. Every session of the
    /// user ends, the caller's included.
    #[schema(rename = "newPassword")]
    new_password: Option<String>,
    /// Refused: an email changes through those who administer users.
    email: Option<String>,
}

/// The answer to `users.updateOwnBasicInfo`: the user as `me` shows them, and what the
/// profile page says.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = RocketchatUpdateOwnBasicInfo, example = json!({
    "user": me_example(),
    "message": "Your profile has been successfully updated.",
    "success": true
}))]
pub struct UpdateOwnBasicInfoAnswer {
    pub user: RcMe,
    /// `Your profile has been successfully updated.`, or, after a password change, `Changing
    /// your password will log you out immediately. Use the new password to log back in.`
    pub message: &'static str,
    /// After a password change: how many sessions ended (the caller's included). Absent
    /// otherwise.
    #[serde(rename = "sessionsRevoked", skip_serializing_if = "Option::is_none")]
    #[schema(required = false)]
    pub sessions_revoked: Option<u64>,
    #[schema(schema_with = always_true)]
    pub success: bool,
}
