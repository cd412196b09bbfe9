//! `/v1/rooms`: rooms and their members, whose ownership deactivation cares about.

use super::wire::{path_uuid, List, RoomBody};
use crate::domain::fields::DisplayName;
use crate::domain::room::{MemberRole, RoomKind};
use crate::domain::FieldErrors;
use crate::http::auth::Caller;
use crate::http::json::ApiJson;
use crate::http::problem::ApiResult;
use crate::http::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde::Deserialize;
use uuid::Uuid;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/rooms", post(create).get(list))
        .route("/v1/rooms/{id}", get(read))
        .route("/v1/rooms/{id}/members", post(add_member))
        .route(
            "/v1/rooms/{id}/members/{user_id}",
            put(set_member).delete(remove_member),
        )
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateRoom {
    name: String,
    #[serde(rename = "type")]
    kind: Option<String>,
}

async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<CreateRoom>,
) -> ApiResult<(StatusCode, Json<RoomBody>)> {
    let mut errors = FieldErrors::new();
    let name = errors.take(DisplayName::parse("name", &body.name));
    let kind = errors.take(RoomKind::parse(
        "type",
        body.kind.as_deref().unwrap_or("channel"),
    ));
    errors.finish()?;
    let (Some(name), Some(kind)) = (name, kind) else {
        unreachable!("finish() refused missing values")
    };
    let room = state.services.create_room(&caller.ctx, name, kind).await?;
    Ok((
        StatusCode::CREATED,
        Json(RoomBody::new(room, Some(Vec::new()))),
    ))
}

async fn list(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<List<RoomBody>>> {
    let rooms = state.services.rooms(&caller.ctx).await?;
    Ok(Json(List::all(
        rooms.into_iter().map(|r| RoomBody::new(r, None)).collect(),
    )))
}

async fn read(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<RoomBody>> {
    let id = path_uuid(&id, "room")?;
    let (room, members) = state.services.room(&caller.ctx, id).await?;
    Ok(Json(RoomBody::new(room, Some(members))))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AddMember {
    user_id: Uuid,
    role: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SetMember {
    role: String,
}

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
        .add_room_member(&caller.ctx, id, body.user_id, role)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(RoomBody::new(room, Some(members))),
    ))
}

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
        .set_room_role(&caller.ctx, id, user, role)
        .await?;
    Ok(Json(RoomBody::new(room, Some(members))))
}

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
