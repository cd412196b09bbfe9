//! `/v1/settings`: the caller's tenant's settings.

use crate::domain::tenant::{ScimDelete, SettingsChange, TenantSettings};
use crate::domain::FieldErrors;
use crate::http::auth::Caller;
use crate::http::json::ApiJson;
use crate::http::openapi::tag;
use crate::http::problem::{ApiResult, ProblemBody};
use crate::http::AppState;
use axum::extract::State;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa_axum::routes;

pub fn router() -> super::Routes {
    super::Routes::new().routes(routes!(show, change))
}

/// The tenant's settings.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = Settings, example = json!({"scim_delete": "deactivate"}))]
struct SettingsBody {
    /// What an identity provider's SCIM `DELETE` does to a user: `deactivate` (the default:
    /// deactivated, gone from SCIM, kept in roster with their history) or `erase` (every
    /// personal datum removed, the audit trail kept scrubbed; needs a key that may erase).
    #[schema(value_type = String, example = "deactivate")]
    scim_delete: &'static str,
}

impl From<TenantSettings> for SettingsBody {
    fn from(s: TenantSettings) -> Self {
        Self {
            scim_delete: s.scim_delete.as_str(),
        }
    }
}

/// The settings to change; those left out stay.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = SettingsChange, example = json!({"scim_delete": "erase"}))]
struct ChangeBody {
    /// `deactivate` or `erase`.
    #[schema(value_type = Option<String>, required = false)]
    scim_delete: Option<String>,
}

#[utoipa::path(
    get,
    path = "/v1/settings",
    tag = tag::NATIVE,
    operation_id = "getSettings",
    summary = "Read the tenant's settings",
    description = "Needs `view-user-administration` (any scope) or `manage-settings`.",
    responses((status = 200, description = "The settings", body = SettingsBody)),
    security(("api_key" = [])),
)]
async fn show(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<SettingsBody>> {
    let settings = state.services.tenant_settings(&caller.ctx).await?;
    Ok(Json(settings.into()))
}

#[utoipa::path(
    patch,
    path = "/v1/settings",
    tag = tag::NATIVE,
    operation_id = "changeSettings",
    summary = "Change the tenant's settings",
    description = "Needs `manage-settings` (scope `full`). Audited (`settings_changed`, each \
changed setting with its value before and after) when anything changes.",
    request_body = ChangeBody,
    responses(
        (status = 200, description = "The settings now", body = SettingsBody),
        (status = 422, description = "A field breaks a rule; `errors` names each", body = ProblemBody,
            content_type = "application/problem+json"),
    ),
    security(("api_key" = [])),
)]
async fn change(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<ChangeBody>,
) -> ApiResult<Json<SettingsBody>> {
    let mut errors = FieldErrors::new();
    let change = SettingsChange {
        scim_delete: body
            .scim_delete
            .and_then(|s| errors.take(ScimDelete::parse("scim_delete", &s))),
    };
    errors.finish()?;
    let settings = state
        .services
        .change_tenant_settings(&caller.ctx, &change)
        .await?;
    Ok(Json(settings.into()))
}
