//! Which tenant a dialect request is for. Every dialect serves its vendor's paths at the root
//! and under the tenant base URL `/t/{tenant}`; the tenant is always the credential's, and a
//! base URL or path id naming any other tenant is "not found", never "forbidden", so no answer
//! reveals that another tenant exists. Each dialect maps [`Refusal`] to its own envelope.

use super::auth::Caller;
use super::AppState;
use crate::domain::event::Channel;
use crate::domain::tenant::{KeyOwner, Tenant};
use crate::service::Error;
use axum::extract::{FromRequestParts, RawPathParams};
use axum::http::request::Parts;
use uuid::Uuid;

/// Why a dialect request has no tenant to act for.
#[derive(Debug)]
pub enum Refusal {
    /// No credential, or one that is unknown or revoked.
    Unauthenticated,
    /// The base URL or a path id names a tenant other than the credential's.
    UnknownTenant,
    /// The lookup itself failed (the database is down, ...).
    Service(Error),
}

impl From<Error> for Refusal {
    fn from(e: Error) -> Self {
        Refusal::Service(e)
    }
}

/// Whether `slug_or_id` names this tenant (by slug, uuid or account number).
pub fn names_tenant(id: Uuid, slug: &str, number: i64, slug_or_id: &str) -> bool {
    slug_or_id == slug
        || Uuid::parse_str(slug_or_id).is_ok_and(|u| u == id)
        || slug_or_id.parse::<i64>().is_ok_and(|n| n == number)
}

fn owner_named(owner: &KeyOwner, slug_or_id: &str) -> bool {
    names_tenant(
        owner.tenant_id,
        &owner.tenant_slug,
        owner.tenant_number,
        slug_or_id,
    )
}

/// The `{tenant}` of the `/t/{tenant}` base URL the request came through, if any.
pub async fn base_tenant(parts: &mut Parts, state: &AppState) -> Option<String> {
    let params = RawPathParams::from_request_parts(parts, state).await.ok()?;
    params
        .iter()
        .find(|(name, _)| *name == "tenant")
        .map(|(_, v)| v.to_owned())
}

/// Authenticates an API key presented in a dialect's own header, and checks the base URL.
pub async fn caller_for_key(
    parts: &mut Parts,
    state: &AppState,
    secret: Option<&str>,
    channel: Channel,
) -> Result<Caller, Refusal> {
    let secret = secret
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or(Refusal::Unauthenticated)?;
    let owner = state
        .services
        .authenticate_key(secret)
        .await?
        .ok_or(Refusal::Unauthenticated)?;
    if let Some(base) = base_tenant(parts, state).await {
        if !owner_named(&owner, &base) {
            return Err(Refusal::UnknownTenant);
        }
    }
    Ok(Caller::new(owner, parts, channel))
}

/// Checks a tenant id carried in a vendor's path or body (Village's `{network_id}`).
pub fn require_tenant(caller: &Caller, slug_or_id: &str) -> Result<(), Refusal> {
    if owner_named(&caller.owner, slug_or_id) {
        Ok(())
    } else {
        Err(Refusal::UnknownTenant)
    }
}

/// The tenant named by the base URL, for calls whose credential is not an API key (a login).
pub async fn tenant_of_base(
    parts: &mut Parts,
    state: &AppState,
) -> Result<Option<Tenant>, Refusal> {
    let Some(base) = base_tenant(parts, state).await else {
        return Ok(None);
    };
    match state.services.tenant(&base).await {
        Ok(t) => Ok(Some(t)),
        Err(Error::NotFound(_)) => Err(Refusal::UnknownTenant),
        Err(e) => Err(Refusal::Service(e)),
    }
}

/// The id of the tenant a `/t/{tenant}` path names, for the native calls that exist only
/// there and carry no API key (password reset, impersonation links, external sign-in): an
/// unknown tenant is a native 404.
pub async fn path_tenant(
    parts: &mut Parts,
    state: &AppState,
) -> Result<Uuid, super::problem::Problem> {
    match tenant_of_base(parts, state).await {
        Ok(Some(t)) => Ok(t.id),
        Err(Refusal::Service(e)) => Err(e.into()),
        Ok(None) | Err(_) => Err(super::problem::Problem::not_found("tenant")),
    }
}
