//! The operator's API: tenants and their API keys.

use super::wire::{path_uuid, List};
use crate::domain::error::both;
use crate::domain::fields::{DisplayName, Slug};
use crate::domain::permission::Scopes;
use crate::domain::tenant::{ApiKey, Tenant};
use crate::http::auth::Operator;
use crate::http::json::ApiJson;
use crate::http::openapi::tag;
use crate::http::problem::{ApiResult, OperatorRefusal, ProblemBody};
use crate::http::AppState;
use crate::service::tenants::NewApiKey;
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
        .routes(routes!(create_key))
        .routes(routes!(revoke_key))
}

/// A tenant: one platform's users, keys and audit log.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = Tenant, example = json!({
    "id": "0190f4ff-0000-7000-8000-00000000a001",
    "number": 1042,
    "slug": "acme",
    "name": "Acme Learning",
    "created_at": "2026-11-01T08:00:00Z",
    "api_key": "rst_5fQ2mX8vN1bT7cR4yL0pW3sZ6hJ9kD2aVx8Qm4Lp0s",
    "api_key_id": "0190f4ff-0000-7000-8000-00000000b001"
}))]
pub struct TenantBody {
    id: Uuid,
    /// The tenant's account number (Regpack's `Api-Id`).
    number: i64,
    /// Names the tenant in the base URL `/t/{tenant}`.
    slug: String,
    name: String,
    created_at: DateTime<Utc>,
    /// The tenant's first API key: only in the answer that creates the tenant.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(required = false, value_type = String)]
    api_key: Option<String>,
    /// Only in the answer that creates the tenant.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(required = false, value_type = Uuid)]
    api_key_id: Option<Uuid>,
}

impl TenantBody {
    pub fn new(t: Tenant, key: Option<NewApiKey>) -> Self {
        Self {
            id: t.id,
            number: t.number,
            slug: t.slug,
            name: t.name,
            created_at: t.created_at,
            api_key_id: key.as_ref().map(|k| k.record.id),
            api_key: key.map(|k| k.secret),
        }
    }
}

/// An API key: the secret itself is shown once, when created.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = ApiKey, example = json!({
    "id": "0190f4ff-0000-7000-8000-00000000b002",
    "tenant_id": "0190f4ff-0000-7000-8000-00000000a001",
    "name": "billing-backend",
    "scopes": ["lifecycle"],
    "prefix": "rst_7Hd2kQ",
    "created_at": "2026-11-20T12:00:00Z",
    "last_used_at": null,
    "expires_at": null,
    "revoked_at": null,
    "api_key": "rst_7Hd2kQ9xB3nV6mC1zR8tY4wL0pS5fG2jTz1Hq7Nc3e"
}))]
pub struct ApiKeyBody {
    id: Uuid,
    tenant_id: Uuid,
    /// What the key is for.
    name: String,
    /// What the key may do: `read`, `scim`, `lifecycle`, `full`.
    #[schema(value_type = Vec<String>)]
    scopes: Vec<&'static str>,
    /// The first characters of the secret, to tell keys apart.
    prefix: String,
    created_at: DateTime<Utc>,
    /// When the key last authenticated a call (to the minute).
    last_used_at: Option<DateTime<Utc>>,
    /// When a rotated key stops working.
    expires_at: Option<DateTime<Utc>>,
    revoked_at: Option<DateTime<Utc>>,
    /// The key itself: only in the answer that creates it.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(required = false, value_type = String)]
    api_key: Option<String>,
}

impl ApiKeyBody {
    pub fn new(r: ApiKey, secret: Option<String>) -> Self {
        Self {
            id: r.id,
            tenant_id: r.tenant_id,
            name: r.name,
            scopes: r.scopes.names(),
            prefix: r.prefix,
            created_at: r.created_at,
            last_used_at: r.last_used_at,
            expires_at: r.expires_at,
            revoked_at: r.revoked_at,
            api_key: secret,
        }
    }
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = CreateTenantRequest, example = json!({"slug": "acme", "name": "Acme Learning"}))]
struct CreateTenant {
    /// Unique; names the tenant in the base URL `/t/{tenant}`.
    #[schema(pattern = r"^[a-z0-9][a-z0-9-]{0,61}[a-z0-9]$")]
    slug: String,
    /// The display name; the slug if left out.
    #[schema(min_length = 1, max_length = 200)]
    name: Option<String>,
}

#[utoipa::path(
    post,
    path = "/v1/tenants",
    tag = tag::NATIVE,
    operation_id = "createTenant",
    summary = "Create a tenant",
    description = "Creates a tenant and its first API key, shown only in this answer. Operator \
only. Does not honour `Idempotency-Key`: the answer holds a secret.",
    request_body = CreateTenant,
    responses(
        (status = 201, description = "Created, with `api_key` and `api_key_id`", body = TenantBody),
        OperatorRefusal,
        (status = 409, description = "The slug is taken", body = ProblemBody,
            content_type = "application/problem+json"),
        (status = 422, description = "A field breaks a rule; `errors` names each", body = ProblemBody,
            content_type = "application/problem+json"),
    ),
    security(("operator" = [])),
)]
async fn create(
    State(state): State<AppState>,
    _: Operator,
    ApiJson(body): ApiJson<CreateTenant>,
) -> ApiResult<(StatusCode, Json<TenantBody>)> {
    let (slug, name) = both(
        Slug::parse("slug", &body.slug),
        DisplayName::parse("name", body.name.as_deref().unwrap_or(&body.slug)),
    )?;
    let (tenant, key) = state.services.create_tenant(slug, name).await?;
    Ok((
        StatusCode::CREATED,
        Json(TenantBody::new(tenant, Some(key))),
    ))
}

#[utoipa::path(
    get,
    path = "/v1/tenants",
    tag = tag::NATIVE,
    operation_id = "listTenants",
    summary = "List tenants",
    description = "Every tenant, without keys. Operator only. Not paged: `next_cursor` is null.",
    responses(
        (status = 200, description = "The tenants", body = List<TenantBody>),
        OperatorRefusal,
    ),
    security(("operator" = [])),
)]
async fn list(State(state): State<AppState>, _: Operator) -> ApiResult<Json<List<TenantBody>>> {
    let tenants = state.services.tenants().await?;
    Ok(Json(List::all(
        tenants
            .into_iter()
            .map(|t| TenantBody::new(t, None))
            .collect(),
    )))
}

#[utoipa::path(
    post,
    path = "/v1/tenants/{id}/api-keys",
    tag = tag::NATIVE,
    operation_id = "createApiKey",
    summary = "Create an API key",
    description = "Issues another API key for the tenant; the key is shown only in this answer. \
Operator only. Takes no body. Does not honour `Idempotency-Key`: the answer holds a secret.",
    params(("id" = String, Path, description = "The tenant's id (a UUID)")),
    responses(
        (status = 201, description = "Created, with `api_key`", body = ApiKeyBody),
        OperatorRefusal,
        (status = 404, description = "No tenant has this id (or it is not a UUID)",
            body = ProblemBody, content_type = "application/problem+json"),
    ),
    security(("operator" = [])),
)]
async fn create_key(
    State(state): State<AppState>,
    _: Operator,
    Path(id): Path<String>,
) -> ApiResult<(StatusCode, Json<ApiKeyBody>)> {
    let tenant = path_uuid(&id, "tenant")?;
    let key = state
        .services
        .create_api_key(tenant, "default", &Scopes::full())
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(ApiKeyBody::new(key.record, Some(key.secret))),
    ))
}

#[utoipa::path(
    delete,
    path = "/v1/api-keys/{id}",
    tag = tag::NATIVE,
    operation_id = "revokeApiKey",
    summary = "Revoke an API key",
    description = "Revokes the key at once: it answers 401 from now on. Revoking a revoked key \
answers it unchanged. Operator only.",
    params(("id" = String, Path, description = "The API key's id (a UUID)")),
    responses(
        (status = 200, description = "The key, with `revoked_at`", body = ApiKeyBody),
        OperatorRefusal,
        (status = 404, description = "No API key has this id (or it is not a UUID)",
            body = ProblemBody, content_type = "application/problem+json"),
    ),
    security(("operator" = [])),
)]
async fn revoke_key(
    State(state): State<AppState>,
    _: Operator,
    Path(id): Path<String>,
) -> ApiResult<Json<ApiKeyBody>> {
    let id = path_uuid(&id, "API key")?;
    let key = state.services.revoke_api_key(id).await?;
    Ok(Json(ApiKeyBody::new(key, None)))
}
