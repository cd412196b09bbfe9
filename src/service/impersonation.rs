//! Impersonation: an admin opens a short-lived session of another user's, marked with who
//! they are. The user's own sessions are untouched; a force logout ends impersonation
//! sessions too (they are the user's); starting and ending are audited.

use super::sessions::{open_session_for, Login};
use super::users::UserRef;
use super::{Context, Error, Result, Services};
use crate::domain::event::{Channel, NewEvent, Note};
use crate::domain::impersonation::{link_ttl, session_ttl, Impersonator, Ticket};
use crate::domain::permission::Permission;
use crate::domain::Entity;
use crate::store::Tx;
use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rand::RngCore;
use serde_json::json;
use uuid::Uuid;

/// The purpose of the tenant secret that signs impersonation links.
const LINK_SECRET: &str = "impersonation-links";
/// The kind of token id an opened link leaves behind.
const LINK_TOKEN: &str = "impersonation-link";

/// An impersonation link's ticket for one user.
#[derive(Debug, Clone)]
pub struct LinkTicket {
    pub user: Uuid,
    pub ticket: String,
}

impl Services {
    /// The caller starts acting as the user: a session of the user's, marked as theirs.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant))]
    pub async fn impersonate<'a>(
        &self,
        ctx: &Context,
        who: impl Into<UserRef<'a>>,
    ) -> Result<Login> {
        ctx.require_one(&[Permission::Impersonate])?;
        if ctx.impersonator().is_some() {
            return Err(Error::invalid(
                "user",
                "an impersonation session cannot start another impersonation",
            ));
        }
        let at = self.now();
        let mut tx = self.store.write().await?;
        let user = tx
            .user_by_ref(ctx.tenant, who.into(), true)
            .await?
            .ok_or(Error::NotFound(Entity::User))?;
        let login = start(&mut tx, ctx, user, ctx.as_impersonator(), at).await?;
        tx.commit().await?;
        Ok(login)
    }

    /// Tickets for the `impersonate` links of these users, or None when the caller may not
    /// impersonate. Each link opens once, within [`link_ttl`].
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant))]
    pub async fn impersonation_links(
        &self,
        ctx: &Context,
        users: &[Uuid],
    ) -> Result<Option<Vec<LinkTicket>>> {
        if ctx.require_one(&[Permission::Impersonate]).is_err() || users.is_empty() {
            return Ok(None);
        }
        let secret = self.link_secret(ctx.tenant).await?;
        let at = self.now();
        let admin = ctx.as_impersonator();
        let key = EncodingKey::from_secret(&secret);
        let tickets = users
            .iter()
            .map(|user| {
                let claims = Ticket {
                    sub: *user,
                    tid: ctx.tenant,
                    act: admin.actor.clone(),
                    act_name: admin.name.clone(),
                    exp: (at + link_ttl()).timestamp(),
                    jti: Uuid::new_v4().to_string(),
                };
                jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &key)
                    .map(|ticket| LinkTicket {
                        user: *user,
                        ticket,
                    })
                    .map_err(|e| Error::Internal(e.into()))
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Some(tickets))
    }

    /// Opens an impersonation link: `user` is the account number the link names, `ticket`
    /// what it carries. Answers the impersonation session.
    #[tracing::instrument(skip_all, fields(tenant = %tenant))]
    pub async fn open_impersonation_link(
        &self,
        tenant: Uuid,
        user: i64,
        ticket: &str,
        request_id: Option<String>,
    ) -> Result<Login> {
        let refused = || Error::Gone("this impersonation link is invalid, used or expired");
        // A tenant that never listed a link has no secret, and a link opens nothing there.
        let secret = self
            .store
            .read_one()
            .await?
            .find_tenant_secret(tenant, LINK_SECRET)
            .await?
            .ok_or_else(refused)?;
        let mut validation = Validation::new(Algorithm::HS256);
        validation.validate_exp = false;
        validation.required_spec_claims.clear();
        let claims =
            jsonwebtoken::decode::<Ticket>(ticket, &DecodingKey::from_secret(&secret), &validation)
                .map_err(|_| refused())?
                .claims;
        let at = self.now();
        if claims.tid != tenant || claims.exp <= at.timestamp() {
            return Err(refused());
        }
        let admin = Impersonator {
            actor: claims.act.clone(),
            name: claims.act_name.clone(),
        };
        let ctx = Context::of_impersonator(tenant, &admin, Channel::Publica, request_id);
        let mut tx = self.store.write().await?;
        let target = tx
            .user(tenant, claims.sub, true)
            .await?
            .filter(|u| u.number == user)
            .ok_or(Error::NotFound(Entity::User))?;
        let expires = DateTime::from_timestamp(claims.exp, 0).unwrap_or(at);
        if !tx
            .use_token_id(tenant, LINK_TOKEN, &claims.jti, expires, at)
            .await?
        {
            return Err(refused());
        }
        let login = start(&mut tx, &ctx, target, admin, at).await?;
        tx.commit().await?;
        Ok(login)
    }

    /// The tenant's secret for impersonation links, made on the first list that shows one.
    async fn link_secret(&self, tenant: Uuid) -> Result<Vec<u8>> {
        if let Some(secret) = self
            .store
            .read_one()
            .await?
            .find_tenant_secret(tenant, LINK_SECRET)
            .await?
        {
            return Ok(secret);
        }
        let mut fresh = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut fresh);
        let mut tx = self.store.write().await?;
        let secret = tx
            .tenant_secret(tenant, LINK_SECRET, &fresh, self.now())
            .await?;
        tx.commit().await?;
        Ok(secret)
    }
}

/// Opens the impersonation session of `admin` as `user` (locked in `tx`) and audits it.
async fn start(
    tx: &mut Tx,
    ctx: &Context,
    user: crate::domain::user::User,
    admin: Impersonator,
    at: DateTime<Utc>,
) -> Result<Login> {
    if !user.status.may_log_in() {
        return Err(Error::invalid(
            "user",
            format!(
                "only an active user can be impersonated; this one is {}",
                user.status
            ),
        ));
    }
    if ctx.is_self(user.id) || admin.actor == crate::domain::event::Actor::User(user.id).to_string()
    {
        return Err(Error::invalid(
            "user",
            "a user cannot impersonate themselves",
        ));
    }
    let id = user.id;
    let login = open_session_for(tx, user, at, at + session_ttl(), Some(admin.clone())).await?;
    tx.append_event(
        &ctx.origin(&Note::default(), at),
        &NewEvent::about(id, "impersonation_started").details(json!({
            "session_id": login.session.id,
            "impersonator": admin.actor,
            "impersonator_name": admin.name,
            "expires_at": login.session.expires_at,
        })),
    )
    .await?;
    Ok(login)
}
