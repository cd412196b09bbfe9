//! Doc-only types: the contract's account of the bodies this dialect reads member by member
//! (`common` in mod.rs) or builds with `json!` (`success`, `list`, `wire::list_item`, the
//! error envelope). Nothing constructs them; a change to those builders must change them too.
#![allow(dead_code)]

use super::wire::PublicaUser;
use crate::domain::Status;
use serde::Serialize;
use serde_json::Value;
use std::borrow::Cow;
use std::collections::BTreeMap;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::openapi::RefOr;
use uuid::Uuid;

/// The request of a create. Members it does not know are ignored; `null` is as if absent.
#[derive(Serialize, utoipa::ToSchema)]
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
    /// Unique in the store.
    /// Internationalized addresses (RFC 6531) are accepted; compared as roster compares emails
    /// (Unicode NFC and case folding, the domain as its IDNA A-label).
    #[schema(example = "reader@example.com", format = Email, max_length = 254)]
    email: String,
    /// Your platform's id for the user (at most 64 characters), unique in the store.
    #[schema(example = "user-id-in-your-platform", min_length = 1, max_length = 64)]
    external_id: String,
    /// 8 to 255 characters. Recommended on create; on update it ends every session.
    #[schema(min_length = 8, max_length = 255)]
    new_password: Option<String>,
    /// Simultaneous sessions allowed, 1 to 999999 (an integer or a string of digits); null
    /// (or an empty string) removes the limit.
    #[schema(minimum = 1, maximum = 999999)]
    sessions_limit: Option<i64>,
    /// The id of a plan of the store to grant (an integer or a string of digits); an unknown
    /// one is a 422.
    assign_new_plan: Option<i64>,
    /// `YYYY-MM-DD`: when the granted plan ends. Only with `assign_new_plan`.
    #[schema(example = "2027-12-31", pattern = r"^(\d{4}-\d{2}-\d{2})?$")]
    new_plan_custom_valid_to: Option<String>,
    #[schema(value_type = Option<Flag>)]
    admin: Option<bool>,
    #[schema(value_type = Option<Flag>)]
    plan_admin: Option<bool>,
    /// Whether the user only sees what they may read.
    #[schema(value_type = Option<Flag>)]
    only_sees_readable: Option<bool>,
}

/// The request of an update: the create's members, with `only_sees_readable` required too.
/// A flag left out keeps its value.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = PublicaUpdateUser, example = json!({
    "email": "reader@example.com",
    "external_id": "user-id-in-your-platform",
    "sessions_limit": 2,
    "assign_new_plan": 52,
    "new_plan_custom_valid_to": "2027-12-31",
    "admin": 0,
    "plan_admin": 0,
    "only_sees_readable": 1
}))]
pub struct UpdateUser {
    /// Internationalized addresses (RFC 6531) are accepted; compared as roster compares emails
    /// (Unicode NFC and case folding, the domain as its IDNA A-label).
    #[schema(example = "reader@example.com", format = Email, max_length = 254)]
    email: String,
    #[schema(example = "user-id-in-your-platform", min_length = 1, max_length = 64)]
    external_id: String,
    /// 8 to 255 characters. Recommended on create; on update it ends every session.
    #[schema(min_length = 8, max_length = 255)]
    new_password: Option<String>,
    /// Simultaneous sessions allowed, 1 to 999999 (an integer or a string of digits); null
    /// (or an empty string) removes the limit.
    #[schema(minimum = 1, maximum = 999999)]
    sessions_limit: Option<i64>,
    /// The id of a plan of the store to grant (an integer or a string of digits); an unknown
    /// one is a 422.
    assign_new_plan: Option<i64>,
    /// `YYYY-MM-DD`: when the granted plan ends. Only with `assign_new_plan`.
    #[schema(example = "2027-12-31", pattern = r"^(\d{4}-\d{2}-\d{2})?$")]
    new_plan_custom_valid_to: Option<String>,
    #[schema(value_type = Option<Flag>)]
    admin: Option<bool>,
    #[schema(value_type = Option<Flag>)]
    plan_admin: Option<bool>,
    /// Whether the user only sees what they may read.
    #[schema(value_type = Flag)]
    only_sees_readable: bool,
}

/// A boolean as Laravel's `boolean` rule reads one: `true`/`false`, `1`/`0` or `"1"`/`"0"`.
pub struct Flag;

impl utoipa::PartialSchema for Flag {
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
            .fold(utoipa::openapi::schema::OneOfBuilder::new(), |b, k| {
                b.item(k)
            })
            .description(Some("`true`/`false`, `1`/`0` or `\"1\"`/`\"0\"`"))
            .into()
    }
}

impl utoipa::ToSchema for Flag {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("PublicaFlag")
    }
}

/// A status name, from the domain's list so it cannot drift.
pub struct StatusName;

impl utoipa::PartialSchema for StatusName {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .enum_values(Some(Status::ALL.iter().map(|s| s.as_str())))
            .into()
    }
}

impl utoipa::ToSchema for StatusName {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("PublicaStatus")
    }
}

/// `CODE`: always `success` on a 2xx.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = PublicaCode)]
#[serde(rename_all = "lowercase")]
pub enum Code {
    Success,
}

/// A plan the user holds, as `wire::user_plan` builds it.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = PublicaUserPlan)]
struct UserPlan {
    /// The plan's id (what `assign_new_plan` names).
    id: i64,
    name: String,
    /// `YYYY-MM-DD`; null: no end.
    valid_to: Option<String>,
    expired: bool,
    /// When it was granted, `2021-05-18T13:28:53.000000Z`.
    created_at: String,
}

/// A user as the list and the read show one (`wire::list_item`). Roster keeps no purchases,
/// IP ranges, referrers or impersonation links: those are always empty.
#[derive(Serialize, utoipa::ToSchema)]
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
struct ListUser {
    id: i64,
    uuid: Uuid,
    external_id: Option<String>,
    admin: bool,
    plan_admin: bool,
    email: Option<String>,
    sessions_limit: Option<i32>,
    /// `1` or `0` here (the create answer has a boolean).
    #[schema(minimum = 0, maximum = 1)]
    only_sees_readable: i32,
    picture: String,
    /// `2021-05-18T13:28:53.000000Z`
    created_at: String,
    updated_at: String,
    /// When the user was deactivated; null while not.
    deleted_at: Option<String>,
    #[schema(value_type = StatusName)]
    status: &'static str,
    /// Always 0.
    purchased_issues_with_cancelled_count: i64,
    user_plans_count: i64,
    /// Always true.
    can_be_edited: bool,
    /// `YYYY-MM-DD`
    created_at_date_string: String,
    /// Always null.
    #[schema(value_type = Option<String>)]
    impersonate: Option<Value>,
    /// Always null.
    #[schema(value_type = Option<i64>)]
    sessions: Option<Value>,
    /// Always empty.
    #[schema(max_items = 0)]
    ip_ranges: Vec<Value>,
    /// Always empty.
    #[schema(max_items = 0)]
    referrers: Vec<Value>,
    /// Always empty.
    #[schema(max_items = 0)]
    purchased_issues_with_cancelled: Vec<Value>,
    user_plans: Vec<UserPlan>,
}

/// Laravel's length-aware paginator, as `list` builds it. The URLs keep the request's filters.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = PublicaPaginator)]
struct Paginator {
    current_page: u64,
    data: Vec<ListUser>,
    first_page_url: String,
    /// The position of the page's first user; null on an empty page.
    from: Option<u64>,
    last_page: u64,
    last_page_url: String,
    next_page_url: Option<String>,
    /// The URL called, without its query.
    path: String,
    per_page: u32,
    prev_page_url: Option<String>,
    /// The position of the page's last user; null on an empty page.
    to: Option<u64>,
    /// Users matching the filters, on every page.
    total: u64,
}

#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = PublicaPaginatorData)]
struct PaginatorData {
    paginator: Paginator,
}

/// `{CODE: "success", data}` with the created user.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = PublicaCreated)]
pub struct Created {
    #[serde(rename = "CODE")]
    code: Code,
    data: PublicaUser,
}

/// `{CODE: "success", data}` with one user.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = PublicaUserAnswer)]
pub struct UserAnswer {
    #[serde(rename = "CODE")]
    code: Code,
    data: ListUser,
}

/// `{CODE: "success", data: {paginator}}`.
#[derive(Serialize, utoipa::ToSchema)]
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

/// `{CODE: "success", data: []}`.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = PublicaDeactivated, example = json!({"CODE": "success", "data": []}))]
pub struct Deactivated {
    #[serde(rename = "CODE")]
    code: Code,
    #[schema(max_items = 0)]
    data: Vec<Value>,
}

/// `{CODE: "success", data: 1}`.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = PublicaReactivated, example = json!({"CODE": "success", "data": 1}))]
pub struct Reactivated {
    #[serde(rename = "CODE")]
    code: Code,
    #[schema(minimum = 1, maximum = 1)]
    data: i32,
}

#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = PublicaSessionsRevoked)]
struct Revoked {
    /// How many live sessions were ended.
    sessions_revoked: u64,
}

/// `{CODE: "success", data: {sessions_revoked}}`.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = PublicaLoggedOut, example = json!({"CODE": "success", "data": {"sessions_revoked": 2}}))]
pub struct LoggedOut {
    #[serde(rename = "CODE")]
    code: Code,
    data: Revoked,
}

/// Laravel's error envelope (error.rs).
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = PublicaError, example = json!({"message": "Unauthenticated."}))]
pub struct Error {
    message: String,
}

/// Laravel's validation envelope: every refused member, each with its sentences. `message` is
/// the first of them.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = PublicaValidationError, example = json!({
    "message": "The external id field is required. (and 1 more error)",
    "errors": {
        "external_id": ["The external id field is required."],
        "email": ["The email has already been taken."]
    }
}))]
pub struct ValidationError {
    message: String,
    errors: BTreeMap<String, Vec<String>>,
}
