//! `/v1/rooms`: rooms and their members, whose ownership deactivation cares about.

use super::wire::{path_uuid, List, RoomBody, RoomRole, RoomType};
use crate::domain::error::both;
use crate::domain::fields::DisplayName;
use crate::domain::room::{MemberRole, RoomKind};
use crate::http::auth::Caller;
use crate::http::json::ApiJson;
use crate::http::openapi::tag;
use crate::http::problem::{ApiResult, CreateRefusals, ProblemBody};
use crate::http::AppState;
use crate::service::rooms::RoomSeat;
use axum::extract::Path;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use utoipa_axum::routes;
use uuid::Uuid;

pub fn router() -> super::Routes {
    super::Routes::new()
        .routes(routes!(create, list))
        .routes(routes!(read))
        .routes(routes!(add_member))
        .routes(routes!(set_member, remove_member))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = CreateRoomRequest, example = json!({"name": "engineering", "type": "channel"}))]
struct CreateRoom {
    /// Unique in the tenant.
    #[schema(min_length = 1, max_length = 200)]
    name: String,
    /// `channel` if left out.
    #[serde(rename = "type")]
    #[schema(value_type = Option<RoomType>)]
    kind: Option<String>,
}

#[utoipa::path(
    post,
    path = "/v1/rooms",
    tag = tag::NATIVE,
    operation_id = "createRoom",
    summary = "Create a room",
    description = "Creates a room with no members. Honours `Idempotency-Key`.",
    request_body = CreateRoom,
    responses(
        (status = 201, description = "Created (`members` is empty)", body = RoomBody),
        CreateRefusals,
    ),
    security(("api_key" = [])),
)]
async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<CreateRoom>,
) -> ApiResult<(StatusCode, Json<RoomBody>)> {
    let (name, kind) = both(
        DisplayName::parse("name", &body.name),
        RoomKind::parse("type", body.kind.as_deref().unwrap_or("channel")),
    )?;
    let room = state.services.create_room(&caller.ctx, name, kind).await?;
    Ok((
        StatusCode::CREATED,
        Json(RoomBody::new(room, Some(Vec::new()))),
    ))
}

#[utoipa::path(
    get,
    path = "/v1/rooms",
    tag = tag::NATIVE,
    operation_id = "listRooms",
    summary = "List rooms",
    description = "Every room of the tenant, without members. Not paged: `next_cursor` is null.",
    responses((status = 200, description = "The rooms", body = List<RoomBody>)),
    security(("api_key" = [])),
)]
async fn list(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<List<RoomBody>>> {
    let rooms = state.services.rooms(&caller.ctx).await?;
    Ok(Json(List::all(
        rooms.into_iter().map(|r| RoomBody::new(r, None)).collect(),
    )))
}

#[utoipa::path(
    get,
    path = "/v1/rooms/{id}",
    tag = tag::NATIVE,
    operation_id = "getRoom",
    summary = "Read a room",
    description = "The room and its members.",
    params(("id" = String, Path, description = "The room's id (a UUID)")),
    responses(
        (status = 200, description = "The room, with `members`", body = RoomBody),
        (status = 404, description = "No room of this tenant has this id (or it is not a UUID)", body = ProblemBody,
            content_type = "application/problem+json"),
    ),
    security(("api_key" = [])),
)]
async fn read(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<RoomBody>> {
    let id = path_uuid(&id, "room")?;
    let (room, members) = state.services.room(&caller.ctx, id).await?;
    Ok(Json(RoomBody::new(room, Some(members))))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = AddRoomMemberRequest, example = json!({
    "user_id": "0190f5a0-1b2c-7d3e-8f40-5a6b7c8d9e0f",
    "role": "owner"
}))]
struct AddMember {
    user_id: Uuid,
    /// `member` if left out.
    #[schema(value_type = Option<RoomRole>)]
    role: Option<String>,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = SetRoomMemberRequest, example = json!({"role": "owner"}))]
struct SetMember {
    #[schema(value_type = RoomRole)]
    role: String,
}

#[utoipa::path(
    post,
    path = "/v1/rooms/{id}/members",
    tag = tag::NATIVE,
    operation_id = "addRoomMember",
    summary = "Add a user to a room",
    description = "Adds the user to the room with a role. Honours `Idempotency-Key`.",
    request_body = AddMember,
    params(("id" = String, Path, description = "The room's id (a UUID)")),
    responses(
        (status = 201, description = "Added: the room with its members", body = RoomBody),
        (status = 404, description = "No such room (or a malformed id), or no user has `user_id`",
            body = ProblemBody, content_type = "application/problem+json"),
        (status = 409, description = "The user is already a member (`exists`)", body = ProblemBody,
            content_type = "application/problem+json"),
        (status = 422, description = "`role` is not a role, or the Idempotency-Key was used \
with another request", body = ProblemBody, content_type = "application/problem+json"),
    ),
    security(("api_key" = [])),
)]
async fn add_member(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<AddMember>,
) -> ApiResult<(StatusCode, Json<RoomBody>)> {
    let id = path_uuid(&id, "room")?;
    let role = MemberRole::parse("role", body.role.as_deref().unwrap_or("member"))?;
    let (room, members) = state
        .services
        .put_room_member(&caller.ctx, id, body.user_id, role, RoomSeat::New)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(RoomBody::new(room, Some(members))),
    ))
}

#[utoipa::path(
    put,
    path = "/v1/rooms/{id}/members/{user_id}",
    tag = tag::NATIVE,
    operation_id = "setRoomMemberRole",
    summary = "Set a member's role",
    description = "Sets the role of a user who is already a member of the room.",
    request_body = SetMember,
    params(
        ("id" = String, Path, description = "The room's id (a UUID)"),
        ("user_id" = String, Path, description = "The user's id (a UUID)"),
    ),
    responses(
        (status = 200, description = "The room with its members", body = RoomBody),
        (status = 404, description = "No such room or user (or a malformed id), or the user is \
not a member", body = ProblemBody, content_type = "application/problem+json"),
        (status = 422, description = "`role` is not a role", body = ProblemBody,
            content_type = "application/problem+json"),
    ),
    security(("api_key" = [])),
)]
async fn set_member(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, user)): Path<(String, String)>,
    ApiJson(body): ApiJson<SetMember>,
) -> ApiResult<Json<RoomBody>> {
    let id = path_uuid(&id, "room")?;
    let user = path_uuid(&user, "user")?;
    let role = MemberRole::parse("role", &body.role)?;
    let (room, members) = state
        .services
        .put_room_member(&caller.ctx, id, user, role, RoomSeat::Taken)
        .await?;
    Ok(Json(RoomBody::new(room, Some(members))))
}

#[utoipa::path(
    delete,
    path = "/v1/rooms/{id}/members/{user_id}",
    tag = tag::NATIVE,
    operation_id = "removeRoomMember",
    summary = "Remove a user from a room",
    description = "Removes the user from the room.",
    params(
        ("id" = String, Path, description = "The room's id (a UUID)"),
        ("user_id" = String, Path, description = "The user's id (a UUID)"),
    ),
    responses(
        (status = 204, description = "Removed"),
        (status = 404, description = "No such room (or a malformed id), or the user is not a \
member", body = ProblemBody, content_type = "application/problem+json"),
    ),
    security(("api_key" = [])),
)]
async fn remove_member(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, user)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let id = path_uuid(&id, "room")?;
    let user = path_uuid(&user, "user")?;
    state
        .services
        .remove_room_member(&caller.ctx, id, user)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
