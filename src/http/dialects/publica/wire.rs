//! Publica.la's request and response bodies. Every answer's members are in the order roster
//! has always sent them: it built these bodies as sorted JSON maps, so they read
//! alphabetically, and clients have seen no other order.

use crate::domain::permission::BuiltinRole;
use crate::domain::plan;
use crate::domain::Status;
pub use crate::http::dialects::kit::Member;
use crate::service::plans::UserWithPlans;
use crate::service::UserView;
use chrono::{DateTime, NaiveDate, Utc};
use md5::{Digest, Md5};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::borrow::Cow;
use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Schema, Type};
use utoipa::openapi::{Ref, RefOr};
use utoipa::{PartialSchema, ToSchema};
use uuid::Uuid;

/// A moment as Publica.la writes one: `{timestamp, date: "YYYY-MM-DD HH:MM:SS", timezone}`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = PublicaMoment, example = json!({
    "timestamp": 1620931649, "date": "2021-05-13 18:47:29", "timezone": "UTC"
}))]
pub struct Moment {
    /// `YYYY-MM-DD HH:MM:SS`, in `timezone`.
    #[schema(example = "2021-05-13 18:47:29")]
    date: String,
    /// Unix time in seconds.
    timestamp: i64,
    /// Always `UTC`.
    #[schema(value_type = String, example = "UTC")]
    timezone: &'static str,
}

impl From<DateTime<Utc>> for Moment {
    fn from(at: DateTime<Utc>) -> Self {
        Self {
            timestamp: at.timestamp(),
            date: at.format("%Y-%m-%d %H:%M:%S").to_string(),
            timezone: "UTC",
        }
    }
}

/// Laravel's JSON form of a date in lists: `2021-05-18T13:28:53.000000Z`.
fn iso(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

/// The Gravatar of an email: md5 of the trimmed, lowercased address.
pub fn gravatar(email: Option<&str>) -> String {
    let key = email.unwrap_or_default().trim().to_lowercase();
    format!(
        "https://www.gravatar.com/avatar/{:x}?s=160&d=mm&r=g",
        Md5::digest(key.as_bytes())
    )
}

/// A user as the create call answers one.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(example = json!({
    "id": 923242,
    "email": "reader@example.com",
    "external_id": "user-id-in-your-platform",
    "uuid": "af5af4f9-9b8d-4d79-b162-0cec4279cae5",
    "picture": "https://www.gravatar.com/avatar/5c472faa5105266a3d41aee277eb9d0c?s=160&d=mm&r=g",
    "admin": false,
    "plan_admin": false,
    "only_sees_readable": false,
    "sessions_limit": null,
    "created_at": {"timestamp": 1620931649, "date": "2021-05-13 18:47:29", "timezone": "UTC"},
    "updated_at": {"timestamp": 1620931649, "date": "2021-05-13 18:47:29", "timezone": "UTC"},
    "deleted_at": null
}))]
pub struct PublicaUser {
    admin: bool,
    created_at: Moment,
    /// When the user was deactivated; null while not deactivated.
    deleted_at: Option<Moment>,
    email: Option<String>,
    external_id: Option<String>,
    /// The user's integer id: the `{user}` of the other calls.
    id: i64,
    only_sees_readable: bool,
    /// The Gravatar of the email.
    picture: String,
    plan_admin: bool,
    /// How many sessions the user may hold at once; null: no limit.
    sessions_limit: Option<i32>,
    updated_at: Moment,
    uuid: Uuid,
}

impl From<UserView> for PublicaUser {
    fn from(v: UserView) -> Self {
        let u = v.user;
        Self {
            id: u.number,
            picture: gravatar(u.email.as_deref()),
            uuid: u.id,
            admin: u.roles.contains(BuiltinRole::Admin),
            plan_admin: u.roles.contains(BuiltinRole::PlanAdmin),
            only_sees_readable: u.roles.contains(BuiltinRole::OnlySeesReadable),
            sessions_limit: u.sessions_limit,
            created_at: u.created_at.into(),
            updated_at: u.updated_at.into(),
            deleted_at: u.deactivated_at().map(Moment::from),
            email: u.email,
            external_id: u.external_id,
        }
    }
}

/// A plan the user holds.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = PublicaUserPlan)]
pub struct UserPlan {
    /// When it was granted, `2021-05-18T13:28:53.000000Z`.
    created_at: String,
    expired: bool,
    /// The plan's id (what `assign_new_plan` names).
    id: i64,
    name: String,
    /// `YYYY-MM-DD`; null: no end.
    valid_to: Option<String>,
}

impl UserPlan {
    fn new(p: &plan::UserPlan, today: NaiveDate) -> Self {
        Self {
            created_at: iso(p.granted_at),
            expired: !p.is_current(today),
            id: p.plan_id,
            name: p.name.clone(),
            valid_to: p.valid_to.map(|d| d.format("%Y-%m-%d").to_string()),
        }
    }
}

/// A user as the list and the read show one, with the reference page's list fields. Roster
/// keeps no purchases, IP ranges, referrers or impersonation links: those are always empty.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = PublicaListUser, example = json!({
    "id": 923242,
    "uuid": "af5af4f9-9b8d-4d79-b162-0cec4279cae5",
    "external_id": "user-id-in-your-platform",
    "admin": false,
    "plan_admin": false,
    "email": "reader@example.com",
    "sessions_limit": 1,
    "only_sees_readable": 1,
    "picture": "https://www.gravatar.com/avatar/98789c9d5825d6f6c6615313ffcaf1ac?s=160&d=mm&r=g",
    "created_at": "2021-05-18T13:28:53.000000Z",
    "updated_at": "2021-05-18T13:28:53.000000Z",
    "deleted_at": null,
    "status": "active",
    "purchased_issues_with_cancelled_count": 0,
    "user_plans_count": 1,
    "can_be_edited": true,
    "created_at_date_string": "2021-05-18",
    "impersonate": null,
    "sessions": null,
    "ip_ranges": [],
    "referrers": [],
    "purchased_issues_with_cancelled": [],
    "user_plans": [{
        "id": 52, "name": "Premium", "valid_to": "2027-12-31", "expired": false,
        "created_at": "2021-05-18T13:30:02.000000Z"
    }]
}))]
pub struct ListUser {
    admin: bool,
    /// Always true.
    can_be_edited: bool,
    /// `2021-05-18T13:28:53.000000Z`
    created_at: String,
    /// `YYYY-MM-DD`
    created_at_date_string: String,
    /// When the user was deactivated; null while not.
    deleted_at: Option<String>,
    email: Option<String>,
    external_id: Option<String>,
    id: i64,
    /// For a caller holding `impersonate-users` and an active user: a link that opens a
    /// 30-minute session as the user, marked as impersonated by the caller (once, within 10
    /// minutes). Null otherwise.
    impersonate: Option<String>,
    /// Always empty.
    #[schema(max_items = 0)]
    ip_ranges: Vec<Value>,
    /// `1` or `0` here (the create answer has a boolean).
    #[schema(minimum = 0, maximum = 1)]
    only_sees_readable: i32,
    picture: String,
    plan_admin: bool,
    /// Always empty.
    #[schema(max_items = 0)]
    purchased_issues_with_cancelled: Vec<Value>,
    /// Always 0.
    purchased_issues_with_cancelled_count: i64,
    /// Always empty.
    #[schema(max_items = 0)]
    referrers: Vec<Value>,
    /// Always null.
    sessions: Option<i64>,
    sessions_limit: Option<i32>,
    #[schema(value_type = StatusName)]
    status: &'static str,
    updated_at: String,
    user_plans: Vec<UserPlan>,
    user_plans_count: i64,
    uuid: Uuid,
}

impl ListUser {
    /// The same user with its `impersonate` link.
    pub fn impersonate(mut self, link: Option<String>) -> Self {
        self.impersonate = link;
        self
    }

    /// A user of the list; `today` decides which plans have expired.
    pub fn new(u: &UserWithPlans, today: NaiveDate) -> Self {
        let user = &u.user.user;
        Self {
            admin: user.roles.contains(BuiltinRole::Admin),
            can_be_edited: true,
            created_at: iso(user.created_at),
            created_at_date_string: user.created_at.format("%Y-%m-%d").to_string(),
            deleted_at: user.deactivated_at().map(iso),
            email: user.email.clone(),
            external_id: user.external_id.clone(),
            id: user.number,
            impersonate: None,
            ip_ranges: Vec::new(),
            only_sees_readable: i32::from(user.roles.contains(BuiltinRole::OnlySeesReadable)),
            picture: gravatar(user.email.as_deref()),
            plan_admin: user.roles.contains(BuiltinRole::PlanAdmin),
            purchased_issues_with_cancelled: Vec::new(),
            purchased_issues_with_cancelled_count: 0,
            referrers: Vec::new(),
            sessions: None,
            sessions_limit: user.sessions_limit,
            status: user.status.as_str(),
            updated_at: iso(user.updated_at),
            user_plans: u.plans.iter().map(|p| UserPlan::new(p, today)).collect(),
            user_plans_count: u.plans.len() as i64,
            uuid: user.id,
        }
    }
}

/// A status name, from the domain's list so it cannot drift.
pub struct StatusName;

impl PartialSchema for StatusName {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .enum_values(Some(Status::ALL.iter().map(|s| s.as_str())))
            .into()
    }
}

impl ToSchema for StatusName {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("PublicaStatus")
    }
}

/// Laravel's length-aware paginator. The URLs keep the request's filters.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = PublicaPaginator)]
pub struct Paginator {
    pub current_page: u64,
    pub data: Vec<ListUser>,
    pub first_page_url: String,
    /// The position of the page's first user; null on an empty page.
    pub from: Option<u64>,
    pub last_page: u64,
    pub last_page_url: String,
    pub next_page_url: Option<String>,
    /// The URL called, without its query.
    pub path: String,
    pub per_page: u32,
    pub prev_page_url: Option<String>,
    /// The position of the page's last user; null on an empty page.
    pub to: Option<u64>,
    /// Users matching the filters, on every page.
    pub total: u64,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(as = PublicaPaginatorData)]
pub struct PaginatorData {
    pub paginator: Paginator,
}

/// `CODE`: always `success` on a 2xx.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[schema(as = PublicaCode)]
#[serde(rename_all = "lowercase")]
pub enum Code {
    Success,
}

/// `{CODE: "success", data}` with the created user.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = PublicaCreated)]
pub struct Created {
    #[serde(rename = "CODE")]
    code: Code,
    data: PublicaUser,
}

impl From<UserView> for Created {
    fn from(user: UserView) -> Self {
        Self {
            code: Code::Success,
            data: user.into(),
        }
    }
}

/// `{CODE: "success", data}` with one user.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = PublicaUserAnswer)]
pub struct UserAnswer {
    #[serde(rename = "CODE")]
    code: Code,
    data: ListUser,
}

impl UserAnswer {
    /// The same answer with the user's `impersonate` link.
    pub fn impersonate(mut self, link: Option<String>) -> Self {
        self.data.impersonate = link;
        self
    }

    pub fn new(user: &UserWithPlans, today: NaiveDate) -> Self {
        Self {
            code: Code::Success,
            data: ListUser::new(user, today),
        }
    }
}

/// `{CODE: "success", data: {paginator}}`.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = PublicaUserList, example = json!({
    "CODE": "success",
    "data": {"paginator": {
        "current_page": 1,
        "data": [],
        "first_page_url": "https://roster.example.com/integration-api/v1/dashboard/users?page=1",
        "from": null,
        "last_page": 1,
        "last_page_url": "https://roster.example.com/integration-api/v1/dashboard/users?page=1",
        "next_page_url": null,
        "path": "https://roster.example.com/integration-api/v1/dashboard/users",
        "per_page": 100,
        "prev_page_url": null,
        "to": null,
        "total": 0
    }}
}))]
pub struct UserList {
    #[serde(rename = "CODE")]
    code: Code,
    data: PaginatorData,
}

impl From<Paginator> for UserList {
    fn from(paginator: Paginator) -> Self {
        Self {
            code: Code::Success,
            data: PaginatorData { paginator },
        }
    }
}

/// `{CODE: "success", data: []}`.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = PublicaDeactivated, example = json!({"CODE": "success", "data": []}))]
pub struct Deactivated {
    #[serde(rename = "CODE")]
    code: Code,
    #[schema(max_items = 0)]
    data: Vec<Value>,
}

impl Deactivated {
    pub fn new() -> Self {
        Self {
            code: Code::Success,
            data: Vec::new(),
        }
    }
}

/// `{CODE: "success", data: 1}`.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = PublicaReactivated, example = json!({"CODE": "success", "data": 1}))]
pub struct Reactivated {
    #[serde(rename = "CODE")]
    code: Code,
    #[schema(minimum = 1, maximum = 1)]
    data: i32,
}

impl Reactivated {
    pub fn new() -> Self {
        Self {
            code: Code::Success,
            data: 1,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(as = PublicaSessionsRevoked)]
struct Revoked {
    /// How many live sessions were ended.
    sessions_revoked: u64,
}

/// `{CODE: "success", data: {sessions_revoked}}`.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = PublicaLoggedOut, example = json!({"CODE": "success", "data": {"sessions_revoked": 2}}))]
pub struct LoggedOut {
    #[serde(rename = "CODE")]
    code: Code,
    data: Revoked,
}

impl LoggedOut {
    pub fn new(sessions_revoked: u64) -> Self {
        Self {
            code: Code::Success,
            data: Revoked { sessions_revoked },
        }
    }
}

/// The request of a create. Members it does not know are ignored; `null` is as if absent.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[schema(as = PublicaCreateUser, example = json!({
    "email": "reader@example.com",
    "external_id": "user-id-in-your-platform",
    "new_password": "Abcd1234",
    "sessions_limit": null,
    "assign_new_plan": null,
    "new_plan_custom_valid_to": "",
    "admin": false,
    "plan_admin": false,
    "only_sees_readable": true
}))]
pub struct CreateUser {
    /// Unique in the store. Internationalized addresses (RFC 6531) are accepted; compared as
    /// roster compares emails (Unicode NFC and case folding, the domain as its IDNA A-label).
    #[schema(value_type = String, required = true, example = "reader@example.com", format = Email, max_length = 254)]
    #[serde(default)]
    pub email: Member,
    /// Your platform's id for the user (at most 64 characters), unique in the store.
    #[schema(value_type = String, required = true, example = "user-id-in-your-platform", min_length = 1, max_length = 64)]
    #[serde(default)]
    pub external_id: Member,
    /// 8 to 255 characters. Recommended on create; on update it ends every session.
    #[schema(value_type = Option<String>, min_length = 8, max_length = 255)]
    #[serde(default)]
    pub new_password: Member,
    /// Simultaneous sessions allowed, 1 to 999999 (an integer or a string of digits); null
    /// (or an empty string) removes the limit.
    #[schema(value_type = Option<i64>, minimum = 1, maximum = 999999)]
    #[serde(default)]
    pub sessions_limit: Member,
    /// The id of a plan of the store to grant (an integer or a string of digits); an unknown
    /// one is a 422.
    #[schema(value_type = Option<i64>)]
    #[serde(default)]
    pub assign_new_plan: Member,
    /// `YYYY-MM-DD`: when the granted plan ends. Only with `assign_new_plan`.
    #[schema(value_type = Option<String>, example = "2027-12-31", pattern = r"^(\d{4}-\d{2}-\d{2})?$")]
    #[serde(default)]
    pub new_plan_custom_valid_to: Member,
    #[schema(value_type = Option<Flag>)]
    #[serde(default)]
    pub admin: Member,
    #[schema(value_type = Option<Flag>)]
    #[serde(default)]
    pub plan_admin: Member,
    /// Whether the user only sees what they may read.
    #[schema(value_type = Option<Flag>)]
    #[serde(default)]
    pub only_sees_readable: Member,
}

/// The request of an update: a create's members.
#[derive(Debug, Default, Deserialize)]
#[serde(transparent)]
pub struct UpdateUser(pub CreateUser);

// The create's schema, with what an update reads differently.
impl PartialSchema for UpdateUser {
    fn schema() -> RefOr<Schema> {
        let mut schema = CreateUser::schema();
        if let RefOr::T(Schema::Object(update)) = &mut schema {
            update.description = Some(
                "The request of an update: the create's members, with `only_sees_readable` \
                 required too.\nA flag left out keeps its value."
                    .into(),
            );
            update.required.push("only_sees_readable".into());
            let mut flag = Ref::from_schema_name(Flag::name());
            flag.description = "Whether the user only sees what they may read.".into();
            update
                .properties
                .insert("only_sees_readable".into(), flag.into());
            update.example = Some(serde_json::json!({
                "email": "reader@example.com",
                "external_id": "user-id-in-your-platform",
                "sessions_limit": 2,
                "assign_new_plan": 52,
                "new_plan_custom_valid_to": "2027-12-31",
                "admin": 0,
                "plan_admin": 0,
                "only_sees_readable": 1
            }));
        }
        schema
    }
}

impl ToSchema for UpdateUser {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("PublicaUpdateUser")
    }

    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        CreateUser::schemas(schemas);
    }
}

/// A boolean as Laravel's `boolean` rule reads one: `true`/`false`, `1`/`0` or `"1"`/`"0"`.
pub struct Flag;

impl PartialSchema for Flag {
    fn schema() -> RefOr<Schema> {
        let kinds = [
            ObjectBuilder::new().schema_type(Type::Boolean).build(),
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .enum_values(Some([0, 1]))
                .build(),
            ObjectBuilder::new()
                .schema_type(Type::String)
                .enum_values(Some(["0", "1"]))
                .build(),
        ];
        kinds
            .into_iter()
            .fold(OneOfBuilder::new(), |b, k| b.item(k))
            .description(Some("`true`/`false`, `1`/`0` or `\"1\"`/`\"0\"`"))
            .into()
    }
}

impl ToSchema for Flag {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("PublicaFlag")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gravatar_hashes_the_trimmed_lowercased_email() {
        // md5("myemailaddress@example.com"), Gravatar's own documented example.
        assert_eq!(
            gravatar(Some("  MyEmailAddress@example.com ")),
            "https://www.gravatar.com/avatar/0bc83cb571cd1c50ba6f3e8a78ef1346?s=160&d=mm&r=g"
        );
    }

    #[test]
    fn moments_read_like_publica() {
        let at = DateTime::from_timestamp(1620931649, 0).unwrap();
        let m = serde_json::to_string(&Moment::from(at)).unwrap();
        assert_eq!(
            m,
            r#"{"date":"2021-05-13 18:47:29","timestamp":1620931649,"timezone":"UTC"}"#
        );
        assert_eq!(iso(at), "2021-05-13T18:47:29.000000Z");
    }
}
