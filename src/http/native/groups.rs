//! `/v1/groups`: Village segments and Regpack projects.

use super::wire::{path_number, path_uuid, List};
use crate::domain::error::both;
use crate::domain::fields::{DisplayName, GroupKey};
use crate::domain::group::Group;
use crate::http::auth::Caller;
use crate::http::json::ApiJson;
use crate::http::openapi::tag;
use crate::http::problem::{ApiResult, CreateRefusals, ProblemBody};
use crate::http::AppState;
use axum::extract::Path;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa_axum::routes;
use uuid::Uuid;

pub fn router() -> super::Routes {
    super::Routes::new()
        .routes(routes!(create, list))
        .routes(routes!(read))
        .routes(routes!(add_member))
        .routes(routes!(remove_member))
}

/// A group of users: a Village segment, a Regpack project.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = Group, example = json!({
    "id": 7,
    "key": "engineering",
    "name": "Engineering",
    "created_at": "2026-11-02T09:00:00Z"
}))]
struct GroupBody {
    id: i64,
    /// The key users' `groups` name it by.
    key: String,
    name: String,
    created_at: DateTime<Utc>,
}

impl From<Group> for GroupBody {
    fn from(g: Group) -> Self {
        Self {
            id: g.id,
            key: g.key,
            name: g.name,
            created_at: g.created_at,
        }
    }
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = CreateGroupRequest, example = json!({"key": "engineering", "name": "Engineering"}))]
struct CreateGroup {
    #[schema(pattern = r"^[A-Za-z0-9._-]{1,64}$")]
    key: String,
    /// The display name; the key if left out.
    #[schema(min_length = 1, max_length = 200)]
    name: Option<String>,
}

#[utoipa::path(
    post,
    path = "/v1/groups",
    tag = tag::NATIVE,
    operation_id = "createGroup",
    summary = "Create a group",
    description = "Creates a group; its key is unique in the tenant. Honours `Idempotency-Key`.",
    request_body = CreateGroup,
    responses(
        (status = 201, description = "Created", body = GroupBody),
        CreateRefusals,
    ),
    security(("api_key" = [])),
)]
async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<CreateGroup>,
) -> ApiResult<(StatusCode, Json<GroupBody>)> {
    let (key, name) = both(
        GroupKey::parse("key", &body.key),
        DisplayName::parse("name", body.name.as_deref().unwrap_or(&body.key)),
    )?;
    let group = state.services.create_group(&caller.ctx, key, name).await?;
    Ok((StatusCode::CREATED, Json(group.into())))
}

#[utoipa::path(
    get,
    path = "/v1/groups",
    tag = tag::NATIVE,
    operation_id = "listGroups",
    summary = "List groups",
    description = "Every group of the tenant. Not paged: `next_cursor` is null.",
    responses((status = 200, description = "The groups", body = List<GroupBody>)),
    security(("api_key" = [])),
)]
async fn list(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<List<GroupBody>>> {
    let groups = state.services.groups(&caller.ctx).await?;
    Ok(Json(List::all(
        groups.into_iter().map(GroupBody::from).collect(),
    )))
}

/// A member of a group.
#[derive(Serialize, utoipa::ToSchema)]
struct GroupMember {
    user_id: Uuid,
    joined_at: DateTime<Utc>,
}

/// A group with its members.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(example = json!({
    "id": 7,
    "key": "engineering",
    "name": "Engineering",
    "created_at": "2026-11-02T09:00:00Z",
    "members": [{"user_id": "0190f5a0-1b2c-7d3e-8f40-5a6b7c8d9e0f", "joined_at": "2026-11-03T10:15:00Z"}]
}))]
struct GroupWithMembers {
    id: i64,
    key: String,
    name: String,
    created_at: DateTime<Utc>,
    members: Vec<GroupMember>,
}

#[utoipa::path(
    get,
    path = "/v1/groups/{id}",
    tag = tag::NATIVE,
    operation_id = "getGroup",
    summary = "Read a group",
    description = "The group and its members.",
    params(("id" = String, Path, description = "The group's id (a number)")),
    responses(
        (status = 200, description = "The group", body = GroupWithMembers),
        (status = 404, description = "No group of this tenant has this id (or it is not a number)",
            body = ProblemBody, content_type = "application/problem+json"),
    ),
    security(("api_key" = [])),
)]
async fn read(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<GroupWithMembers>> {
    let id = path_number(&id, "group")?;
    let (group, members) = state.services.group(&caller.ctx, id).await?;
    Ok(Json(GroupWithMembers {
        id: group.id,
        key: group.key,
        name: group.name,
        created_at: group.created_at,
        members: members
            .into_iter()
            .map(|m| GroupMember {
                user_id: m.user_id,
                joined_at: m.joined_at,
            })
            .collect(),
    }))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = AddGroupMemberRequest, example = json!({"user_id": "0190f5a0-1b2c-7d3e-8f40-5a6b7c8d9e0f"}))]
struct AddMember {
    user_id: Uuid,
}

/// A membership.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(example = json!({"group_id": 7, "user_id": "0190f5a0-1b2c-7d3e-8f40-5a6b7c8d9e0f"}))]
struct GroupMembership {
    group_id: i64,
    user_id: Uuid,
}

#[utoipa::path(
    post,
    path = "/v1/groups/{id}/members",
    tag = tag::NATIVE,
    operation_id = "addGroupMember",
    summary = "Add a user to a group",
    description = "Adds the user to the group (201); a user already in it is left as is (200). \
Honours `Idempotency-Key`.",
    request_body = AddMember,
    params(("id" = String, Path, description = "The group's id (a number)")),
    responses(
        (status = 201, description = "Added", body = GroupMembership),
        (status = 200, description = "Already a member", body = GroupMembership),
        (status = 404, description = "No group of this tenant has this id (or it is not a \
number), or no user has `user_id`", body = ProblemBody, content_type = "application/problem+json"),
        (status = 422, description = "The Idempotency-Key was used with another request",
            body = ProblemBody, content_type = "application/problem+json"),
    ),
    security(("api_key" = [])),
)]
async fn add_member(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<AddMember>,
) -> ApiResult<(StatusCode, Json<GroupMembership>)> {
    let id = path_number(&id, "group")?;
    let joined = state
        .services
        .join_group(&caller.ctx, id, body.user_id)
        .await?;
    let status = if joined {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((
        status,
        Json(GroupMembership {
            group_id: id,
            user_id: body.user_id,
        }),
    ))
}

#[utoipa::path(
    delete,
    path = "/v1/groups/{id}/members/{user_id}",
    tag = tag::NATIVE,
    operation_id = "removeGroupMember",
    summary = "Remove a user from a group",
    description = "Removes the user from the group.",
    params(
        ("id" = String, Path, description = "The group's id (a number)"),
        ("user_id" = String, Path, description = "The user's id (a UUID)"),
    ),
    responses(
        (status = 204, description = "Removed"),
        (status = 404, description = "No such group or user (or a malformed id), or the user is not in the group",
            body = ProblemBody, content_type = "application/problem+json"),
    ),
    security(("api_key" = [])),
)]
async fn remove_member(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, user)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let id = path_number(&id, "group")?;
    let user = path_uuid(&user, "user")?;
    if state.services.leave_group(&caller.ctx, id, user).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(crate::http::problem::Problem::not_found("group member"))
    }
}
