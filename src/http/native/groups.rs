//! `/v1/groups`: Village segments and Regpack projects.

use super::wire::{path_number, path_uuid, List};
use crate::domain::fields::{DisplayName, GroupKey};
use crate::domain::group::Group;
use crate::domain::FieldErrors;
use crate::http::auth::Caller;
use crate::http::json::ApiJson;
use crate::http::problem::ApiResult;
use crate::http::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use uuid::Uuid;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/groups", post(create).get(list))
        .route("/v1/groups/{id}", get(read))
        .route("/v1/groups/{id}/members", post(add_member))
        .route("/v1/groups/{id}/members/{user_id}", delete(remove_member))
}

#[derive(Serialize)]
struct GroupBody {
    id: i64,
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateGroup {
    key: String,
    name: Option<String>,
}

async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<CreateGroup>,
) -> ApiResult<(StatusCode, Json<GroupBody>)> {
    let mut errors = FieldErrors::new();
    let key = errors.take(GroupKey::parse("key", &body.key));
    let name = errors.take(DisplayName::parse(
        "name",
        body.name.as_deref().unwrap_or(&body.key),
    ));
    errors.finish()?;
    let (Some(key), Some(name)) = (key, name) else {
        unreachable!("finish() refused missing values")
    };
    let group = state.services.create_group(&caller.ctx, key, name).await?;
    Ok((StatusCode::CREATED, Json(group.into())))
}

async fn list(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<List<GroupBody>>> {
    let groups = state.services.groups(&caller.ctx).await?;
    Ok(Json(List::all(
        groups.into_iter().map(GroupBody::from).collect(),
    )))
}

async fn read(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let id = path_number(&id, "group")?;
    let (group, members) = state.services.group(&caller.ctx, id).await?;
    let mut body = serde_json::to_value(GroupBody::from(group)).unwrap_or_default();
    body["members"] = json!(members
        .iter()
        .map(|m| json!({ "user_id": m.user_id, "joined_at": m.joined_at }))
        .collect::<Vec<_>>());
    Ok(Json(body))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AddMember {
    user_id: Uuid,
}

async fn add_member(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<AddMember>,
) -> ApiResult<(StatusCode, Json<Value>)> {
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
        Json(json!({ "group_id": id, "user_id": body.user_id })),
    ))
}

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
