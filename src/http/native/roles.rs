//! `/v1/roles`: the built-in roles and the tenant's own, and granting them to users.

use super::wire::{path_uuid, List, UserBody};
use crate::domain::fields::DisplayName;
use crate::domain::permission::{Permission, Permissions};
use crate::domain::role::RoleView;
use crate::domain::user::RoleName;
use crate::domain::FieldErrors;
use crate::http::auth::Caller;
use crate::http::json::ApiJson;
use crate::http::openapi::tag;
use crate::http::problem::{ApiResult, ProblemBody};
use crate::http::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa_axum::routes;

pub fn router() -> super::Routes {
    super::Routes::new()
        .routes(routes!(list, create))
        .routes(routes!(update, delete))
        .routes(routes!(grant, take))
}

/// A role: built-in (fixed) or the tenant's.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = Role, example = json!({
    "name": "status-desk",
    "description": "Support agents who (de)activate accounts",
    "permissions": ["edit-other-user-active-status"],
    "builtin": false
}))]
struct RoleBody {
    name: String,
    description: Option<String>,
    /// The permissions the role grants, by name.
    #[schema(value_type = Vec<String>)]
    permissions: Vec<&'static str>,
    /// Built-in roles (`admin`, `moderator`, `user`, `plan_admin`, `only_sees_readable`)
    /// cannot be changed or deleted.
    builtin: bool,
}

impl From<RoleView> for RoleBody {
    fn from(r: RoleView) -> Self {
        Self {
            name: r.name,
            description: r.description,
            permissions: r.permissions.iter().map(Permission::as_str).collect(),
            builtin: r.builtin,
        }
    }
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = CreateRoleRequest, example = json!({
    "name": "status-desk",
    "description": "Support agents who (de)activate accounts",
    "permissions": ["edit-other-user-active-status"]
}))]
struct CreateRole {
    #[schema(pattern = r"^[a-z0-9][a-z0-9_-]{0,63}$")]
    name: String,
    #[schema(min_length = 1, max_length = 200)]
    description: Option<String>,
    /// Permission names (see `GET /v1/roles` for what the built-in roles hold).
    permissions: Vec<String>,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = UpdateRoleRequest, example = json!({
    "description": "Support agents",
    "permissions": ["edit-other-user-active-status", "logout-other-user"]
}))]
struct UpdateRole {
    #[schema(min_length = 1, max_length = 200)]
    description: Option<String>,
    permissions: Vec<String>,
}

/// Parses a description and a permission list, collecting every field error.
fn parse_grants(
    errors: &mut FieldErrors,
    description: Option<&str>,
    permissions: &[String],
) -> (Option<DisplayName>, Permissions) {
    let description = description.and_then(|d| errors.take(DisplayName::parse("description", d)));
    let permissions = permissions
        .iter()
        .enumerate()
        .filter_map(|(i, p)| errors.take(Permission::parse(&format!("permissions[{i}]"), p)))
        .collect::<Vec<_>>();
    (description, Permissions::new(permissions))
}

#[utoipa::path(
    get,
    path = "/v1/roles",
    tag = tag::NATIVE,
    operation_id = "listRoles",
    summary = "List roles",
    description = "The built-in roles, then the tenant's, with the permissions each grants. Needs \
`view-user-administration`.",
    responses((status = 200, description = "The roles", body = List<RoleBody>)),
    security(("api_key" = [])),
)]
async fn list(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<List<RoleBody>>> {
    let roles = state.services.roles(&caller.ctx).await?;
    Ok(Json(List::all(
        roles.into_iter().map(RoleBody::from).collect(),
    )))
}

#[utoipa::path(
    post,
    path = "/v1/roles",
    tag = tag::NATIVE,
    operation_id = "createRole",
    summary = "Define a role",
    description = "Defines a role of the tenant. Needs `access-permissions` (scope `full`). \
Audited (`role_created`). Honours `Idempotency-Key`.",
    request_body = CreateRole,
    responses(
        (status = 201, description = "Defined", body = RoleBody),
        (status = 409, description = "The name is a built-in role or taken", body = ProblemBody,
            content_type = "application/problem+json"),
        (status = 422, description = "A field breaks a rule; `errors` names each", body = ProblemBody,
            content_type = "application/problem+json"),
    ),
    security(("api_key" = [])),
)]
async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<CreateRole>,
) -> ApiResult<(StatusCode, Json<RoleBody>)> {
    let mut errors = FieldErrors::new();
    let name = errors.take(RoleName::parse("name", &body.name));
    let (description, permissions) =
        parse_grants(&mut errors, body.description.as_deref(), &body.permissions);
    errors.finish()?;
    let name = name.expect("finish() refused a missing name");
    let role = state
        .services
        .create_role(&caller.ctx, name, description, permissions)
        .await?;
    Ok((StatusCode::CREATED, Json(role.into())))
}

#[utoipa::path(
    put,
    path = "/v1/roles/{name}",
    tag = tag::NATIVE,
    operation_id = "updateRole",
    summary = "Change a role",
    description = "Replaces a custom role's description and permissions; every holder gets the \
new permissions at their next call. Needs `access-permissions`. Audited (`role_updated`).",
    params(("name" = String, Path, description = "The role's name")),
    request_body = UpdateRole,
    responses(
        (status = 200, description = "The role", body = RoleBody),
        (status = 404, description = "The tenant has no custom role of this name", body = ProblemBody,
            content_type = "application/problem+json"),
        (status = 422, description = "A field breaks a rule, or the role is built-in", body = ProblemBody,
            content_type = "application/problem+json"),
    ),
    security(("api_key" = [])),
)]
async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
    ApiJson(body): ApiJson<UpdateRole>,
) -> ApiResult<Json<RoleBody>> {
    let name = RoleName::parse("name", &name)?;
    let mut errors = FieldErrors::new();
    let (description, permissions) =
        parse_grants(&mut errors, body.description.as_deref(), &body.permissions);
    errors.finish()?;
    let role = state
        .services
        .update_role(&caller.ctx, &name, description, permissions)
        .await?;
    Ok(Json(role.into()))
}

#[utoipa::path(
    delete,
    path = "/v1/roles/{name}",
    tag = tag::NATIVE,
    operation_id = "deleteRole",
    summary = "Delete a role",
    description = "Deletes a custom role nobody holds (take it from its holders first). Needs \
`access-permissions`. Audited (`role_deleted`).",
    params(("name" = String, Path, description = "The role's name")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "The tenant has no custom role of this name", body = ProblemBody,
            content_type = "application/problem+json"),
        (status = 422, description = "The role is built-in or still held", body = ProblemBody,
            content_type = "application/problem+json"),
    ),
    security(("api_key" = [])),
)]
async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
) -> ApiResult<StatusCode> {
    let name = RoleName::parse("name", &name)?;
    state.services.delete_role(&caller.ctx, &name).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(
    put,
    path = "/v1/users/{id}/roles/{role}",
    tag = tag::NATIVE,
    operation_id = "grantRole",
    summary = "Grant a role",
    description = "Gives the user a role (built-in or the tenant's); granting one they hold \
changes nothing. Needs `access-permissions`. Audited (`role_granted`).",
    params(
        ("id" = String, Path, description = "The user's id (a UUID)"),
        ("role" = String, Path, description = "The role's name"),
    ),
    responses(
        (status = 200, description = "The user", body = UserBody),
        (status = 404, description = "No such user", body = ProblemBody,
            content_type = "application/problem+json"),
        (status = 422, description = "No such role in the tenant", body = ProblemBody,
            content_type = "application/problem+json"),
    ),
    security(("api_key" = [])),
)]
async fn grant(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, role)): Path<(String, String)>,
) -> ApiResult<Json<UserBody>> {
    set_role(&state, &caller, &id, &role, true).await
}

#[utoipa::path(
    delete,
    path = "/v1/users/{id}/roles/{role}",
    tag = tag::NATIVE,
    operation_id = "takeRole",
    summary = "Take a role",
    description = "Takes a role from the user; taking one they do not hold changes nothing. \
Taking `admin` from the tenant's last active admin is refused (409). Needs \
`access-permissions`. Audited (`role_revoked`).",
    params(
        ("id" = String, Path, description = "The user's id (a UUID)"),
        ("role" = String, Path, description = "The role's name"),
    ),
    responses(
        (status = 200, description = "The user", body = UserBody),
        (status = 404, description = "No such user", body = ProblemBody,
            content_type = "application/problem+json"),
        (status = 409, description = "The last active admin keeps `admin`", body = ProblemBody,
            content_type = "application/problem+json"),
        (status = 422, description = "No such role in the tenant", body = ProblemBody,
            content_type = "application/problem+json"),
    ),
    security(("api_key" = [])),
)]
async fn take(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, role)): Path<(String, String)>,
) -> ApiResult<Json<UserBody>> {
    set_role(&state, &caller, &id, &role, false).await
}

/// Grants (`on`) or takes a role named in the path.
async fn set_role(
    state: &AppState,
    caller: &Caller,
    id: &str,
    role: &str,
    on: bool,
) -> ApiResult<Json<UserBody>> {
    let id = path_uuid(id, "user")?;
    let role = RoleName::parse("role", role)?;
    let user = match on {
        true => state.services.grant_role(&caller.ctx, id, &role).await?,
        false => state.services.take_role(&caller.ctx, id, &role).await?,
    };
    Ok(Json(user.into()))
}
