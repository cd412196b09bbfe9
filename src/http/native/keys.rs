//! `/v1/keys`: a tenant's own API keys, managed with a key that holds `manage-api-keys` (the
//! `full` scope). The operator's `/v1/api-keys` routes manage any tenant's.

use super::tenants::ApiKeyBody;
use super::wire::{path_uuid, List};
use crate::domain::fields::DisplayName;
use crate::domain::permission::{Scope, Scopes};
use crate::domain::FieldErrors;
use crate::http::auth::Caller;
use crate::http::json::{ApiJson, OptionalJson};
use crate::http::openapi::tag;
use crate::http::problem::{ApiResult, ProblemBody};
use crate::http::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa_axum::routes;

pub fn router() -> super::Routes {
    super::Routes::new()
        .routes(routes!(list, create))
        .routes(routes!(revoke))
        .routes(routes!(rotate))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = CreateKeyRequest, example = json!({"name": "okta-scim", "scopes": ["scim"]}))]
struct CreateKey {
    /// What the key is for.
    #[schema(min_length = 1, max_length = 200)]
    name: String,
    /// One or more of `read`, `scim`, `lifecycle`, `full`.
    #[schema(min_items = 1)]
    scopes: Vec<String>,
}

#[utoipa::path(
    get,
    path = "/v1/keys",
    tag = tag::NATIVE,
    operation_id = "listKeys",
    summary = "List the tenant's API keys",
    description = "Every key of the tenant, revoked ones included, oldest first; never a secret. \
Needs `manage-api-keys` (scope `full`).",
    responses(
        (status = 200, description = "The keys", body = List<ApiKeyBody>),
    ),
    security(("api_key" = [])),
)]
async fn list(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<List<ApiKeyBody>>> {
    let keys = state.services.api_keys(&caller.ctx).await?;
    Ok(Json(List::all(
        keys.into_iter().map(|k| ApiKeyBody::new(k, None)).collect(),
    )))
}

#[utoipa::path(
    post,
    path = "/v1/keys",
    tag = tag::NATIVE,
    operation_id = "createKey",
    summary = "Issue an API key",
    description = "Issues a key of the caller's tenant with a name and scopes; the secret is in \
this answer only. Needs `manage-api-keys` (scope `full`). Audited (`api_key_created`).",
    request_body = CreateKey,
    responses(
        (status = 201, description = "Issued, with `api_key`", body = ApiKeyBody),
        (status = 422, description = "A field breaks a rule; `errors` names each", body = ProblemBody,
            content_type = "application/problem+json"),
    ),
    security(("api_key" = [])),
)]
async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<CreateKey>,
) -> ApiResult<(StatusCode, Json<ApiKeyBody>)> {
    let mut errors = FieldErrors::new();
    let name = errors.take(DisplayName::parse("name", &body.name));
    let scopes: Vec<Scope> = body
        .scopes
        .iter()
        .enumerate()
        .filter_map(|(i, s)| errors.take(Scope::parse(&format!("scopes[{i}]"), s)))
        .collect();
    if body.scopes.is_empty() {
        errors.push(crate::domain::FieldError::new(
            "scopes",
            "must name at least one scope",
        ));
    }
    errors.finish()?;
    let name = name.expect("finish() refused a missing name");
    let key = state
        .services
        .issue_api_key(&caller.ctx, &name, &Scopes::new(scopes))
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(ApiKeyBody::new(key.record, Some(key.secret))),
    ))
}

#[utoipa::path(
    delete,
    path = "/v1/keys/{id}",
    tag = tag::NATIVE,
    operation_id = "revokeKey",
    summary = "Revoke an API key",
    description = "Revokes a key of the caller's tenant at once (401 from now on). Needs \
`manage-api-keys`. Audited (`api_key_revoked`).",
    params(("id" = String, Path, description = "The key's id (a UUID)")),
    responses(
        (status = 200, description = "The key, with `revoked_at`", body = ApiKeyBody),
        (status = 404, description = "No key of this tenant has this id", body = ProblemBody,
            content_type = "application/problem+json"),
    ),
    security(("api_key" = [])),
)]
async fn revoke(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<ApiKeyBody>> {
    let id = path_uuid(&id, "API key")?;
    let key = state.services.revoke_tenant_key(&caller.ctx, id).await?;
    Ok(Json(ApiKeyBody::new(key, None)))
}

#[derive(Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = RotateKeyRequest, example = json!({"overlap_seconds": 3600}))]
struct RotateKey {
    /// How long the old key keeps working, in seconds (0 to 30 days; default 3600).
    #[schema(minimum = 0, maximum = 2592000)]
    overlap_seconds: Option<i64>,
}

/// A rotation: the new key (with its secret) and the old one with its end.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = KeyRotation)]
struct Rotation {
    key: ApiKeyBody,
    replaced: ApiKeyBody,
    /// When the old key stops working.
    old_key_expires_at: DateTime<Utc>,
}

#[utoipa::path(
    post,
    path = "/v1/keys/{id}/rotate",
    tag = tag::NATIVE,
    operation_id = "rotateKey",
    summary = "Rotate an API key",
    description = "Issues a new key with the same name and scopes, and ends the old one after \
`overlap_seconds` (default one hour), so clients can switch without downtime. Needs \
`manage-api-keys`. One transaction, audited (`api_key_rotated`).",
    params(("id" = String, Path, description = "The key's id (a UUID)")),
    request_body(content = RotateKey, description = "Optional"),
    responses(
        (status = 201, description = "The new key (with `api_key`) and the old one", body = Rotation),
        (status = 404, description = "No live key of this tenant has this id", body = ProblemBody,
            content_type = "application/problem+json"),
        (status = 422, description = "`overlap_seconds` is out of range", body = ProblemBody,
            content_type = "application/problem+json"),
    ),
    security(("api_key" = [])),
)]
async fn rotate(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    OptionalJson(body): OptionalJson<RotateKey>,
) -> ApiResult<(StatusCode, Json<Rotation>)> {
    let id = path_uuid(&id, "API key")?;
    let overlap = body.overlap_seconds.unwrap_or(3600);
    if !(0..=30 * 24 * 3600).contains(&overlap) {
        return Err(crate::domain::FieldError::new(
            "overlap_seconds",
            "must be between 0 and 2592000 (30 days)",
        )
        .into());
    }
    let (new, old) = state
        .services
        .rotate_api_key(&caller.ctx, id, chrono::Duration::seconds(overlap))
        .await?;
    let old_key_expires_at = old.expires_at.unwrap_or_else(|| state.services.now());
    Ok((
        StatusCode::CREATED,
        Json(Rotation {
            key: ApiKeyBody::new(new.record, Some(new.secret)),
            replaced: ApiKeyBody::new(old, None),
            old_key_expires_at,
        }),
    ))
}
