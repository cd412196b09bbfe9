//! The operator's API: tenants and their API keys.

use super::wire::{path_uuid, List};
use crate::domain::fields::{DisplayName, Slug};
use crate::domain::FieldErrors;
use crate::http::auth::Operator;
use crate::http::json::ApiJson;
use crate::http::problem::ApiResult;
use crate::http::AppState;
use crate::service::tenants::NewApiKey;
use crate::store::{ApiKeyRecord, TenantRecord};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{delete, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/tenants", post(create).get(list))
        .route("/v1/tenants/{id}/api-keys", post(create_key))
        .route("/v1/api-keys/{id}", delete(revoke_key))
}

#[derive(Serialize)]
pub struct TenantBody {
    id: Uuid,
    number: i64,
    slug: String,
    name: String,
    created_at: DateTime<Utc>,
    /// Only in the answer that creates the tenant.
    #[serde(skip_serializing_if = "Option::is_none")]
    api_key: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    api_key_id: Option<Uuid>,
}

impl TenantBody {
    pub fn new(t: TenantRecord, key: Option<NewApiKey>) -> Self {
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

#[derive(Serialize)]
pub struct ApiKeyBody {
    id: Uuid,
    tenant_id: Uuid,
    prefix: String,
    created_at: DateTime<Utc>,
    revoked_at: Option<DateTime<Utc>>,
    /// The key itself: only in the answer that creates it.
    #[serde(skip_serializing_if = "Option::is_none")]
    api_key: Option<String>,
}

impl ApiKeyBody {
    pub fn new(r: ApiKeyRecord, secret: Option<String>) -> Self {
        Self {
            id: r.id,
            tenant_id: r.tenant_id,
            prefix: r.prefix,
            created_at: r.created_at,
            revoked_at: r.revoked_at,
            api_key: secret,
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateTenant {
    slug: String,
    name: Option<String>,
}

async fn create(
    State(state): State<AppState>,
    _: Operator,
    ApiJson(body): ApiJson<CreateTenant>,
) -> ApiResult<(StatusCode, Json<TenantBody>)> {
    let mut errors = FieldErrors::new();
    let slug = errors.take(Slug::parse("slug", &body.slug));
    let name = errors.take(DisplayName::parse(
        "name",
        body.name.as_deref().unwrap_or(&body.slug),
    ));
    errors.finish()?;
    let (Some(slug), Some(name)) = (slug, name) else {
        unreachable!("finish() refused missing values")
    };
    let (tenant, key) = state.services.create_tenant(slug, name).await?;
    Ok((
        StatusCode::CREATED,
        Json(TenantBody::new(tenant, Some(key))),
    ))
}

async fn list(State(state): State<AppState>, _: Operator) -> ApiResult<Json<List<TenantBody>>> {
    let tenants = state.services.tenants().await?;
    Ok(Json(List::all(
        tenants
            .into_iter()
            .map(|t| TenantBody::new(t, None))
            .collect(),
    )))
}

async fn create_key(
    State(state): State<AppState>,
    _: Operator,
    Path(id): Path<String>,
) -> ApiResult<(StatusCode, Json<ApiKeyBody>)> {
    let tenant = path_uuid(&id, "tenant")?;
    let key = state.services.create_api_key(tenant).await?;
    Ok((
        StatusCode::CREATED,
        Json(ApiKeyBody::new(key.record, Some(key.secret))),
    ))
}

async fn revoke_key(
    State(state): State<AppState>,
    _: Operator,
    Path(id): Path<String>,
) -> ApiResult<Json<ApiKeyBody>> {
    let id = path_uuid(&id, "API key")?;
    let key = state.services.revoke_api_key(id).await?;
    Ok(Json(ApiKeyBody::new(key, None)))
}
