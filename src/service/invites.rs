//! Invites: issued with the email that carries them, redeemed once.

use super::lifecycle::{lock_view, transition_locked};
use super::secrets;
use super::sessions::{open_session, Login};
use super::{Authority, Context, Error, Result, Services, Settings};
use crate::domain::event::{Actor, Channel, NewEvent, Note};
use crate::domain::fields::Password;
use crate::domain::invite::{Dead, Invite};
use crate::domain::permission::Permission;
use crate::domain::user::{Profile, User};
use crate::domain::Entity;
use crate::domain::{Status, Transition};
use crate::store::Tx;
use chrono::{DateTime, Utc};
use serde_json::json;
use uuid::Uuid;

/// Invite tokens look like `rsi_…`.
const INVITE_PREFIX: &str = "rsi_";

/// Issues an invite to `user` and queues the email that carries it, inside `tx`; any earlier
/// invite of the user dies. Answers the email's id.
pub(crate) async fn issue_invite(
    tx: &mut Tx,
    settings: &Settings,
    user: &User,
    at: DateTime<Utc>,
) -> Result<Uuid> {
    let recipient = user
        .email
        .as_deref()
        .ok_or_else(|| Error::invalid("send_invite", "the user has no email address to invite"))?;
    tx.revoke_invites(user.tenant_id, user.id, at).await?;
    let minted = secrets::mint(INVITE_PREFIX);
    let invite = Invite {
        id: Uuid::now_v7(),
        tenant_id: user.tenant_id,
        user_id: user.id,
        created_at: at,
        expires_at: at + settings.invite_ttl,
        accepted_at: None,
        revoked_at: None,
    };
    tx.insert_invite(&invite, &minted.hash).await?;
    Ok(tx
        .queue_email(
            user.tenant_id,
            user.id,
            "invite",
            recipient,
            Some(&minted.secret),
            at,
        )
        .await?)
}

impl Services {
    /// Sends a new invite to an invited user; the old one dies.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant, user = %id))]
    pub async fn resend_invite(&self, ctx: &Context, id: Uuid) -> Result<Uuid> {
        ctx.require_one(&[Permission::CreateUsers])?;
        let at = self.now();
        let mut tx = self.store.write().await?;
        let user = tx
            .user(ctx.tenant, id, true)
            .await?
            .ok_or(Error::NotFound(Entity::User))?;
        if user.status != Status::Invited {
            return Err(Error::Transition {
                current: user.status,
                transition: Transition::Reinvite,
            });
        }
        let email = issue_invite(&mut tx, &self.settings, &user, at).await?;
        tx.append_event(
            &ctx.origin(&Note::default(), at),
            &NewEvent::about(id, "invite_sent").details(json!({ "email": email })),
        )
        .await?;
        tx.commit().await?;
        Ok(email)
    }

    /// Redeems an invite: the user sets a password, becomes active and is logged in, in one
    /// transaction. `tenant` is the tenant of the base URL the call came through, if any.
    #[tracing::instrument(skip_all)]
    pub async fn accept_invite(
        &self,
        tenant: Option<Uuid>,
        token: &str,
        password: &Password,
        request_id: Option<String>,
    ) -> Result<Login> {
        let hash = secrets::hash(token);
        let invite = self
            .store
            .read()
            .await?
            .invite_by_token(&hash)
            .await?
            .filter(|i| tenant.is_none_or(|t| t == i.tenant_id))
            .ok_or(Error::NotFound(Entity::Invite))?;
        invite
            .redeemable(self.now())
            .map_err(|dead| Error::Gone(dead.reason()))?;
        let password_hash = self.passwords.hash(password).await?;
        let at = self.now();
        let ctx = Context::new(
            invite.tenant_id,
            Actor::User(invite.user_id),
            Authority::Visitor,
            Channel::Native,
            request_id,
        );
        let mut tx = self.store.write().await?;
        let locked = match lock_view(&mut tx, invite.tenant_id, invite.user_id.into()).await {
            Err(Error::NotFound(_)) => return Err(Error::NotFound(Entity::Invite)),
            other => other?,
        };
        let user = &locked.user;
        // Only a user who has not joined yet can accept; anyone else's invite is void.
        if user.status != Status::Invited {
            return Err(Error::Gone(Dead::Revoked.reason()));
        }
        if !tx.accept_invite(invite.tenant_id, invite.id, at).await? {
            // Used or withdrawn while the password was being hashed.
            let now_state = tx
                .invite_by_token(&hash)
                .await?
                .ok_or(Error::NotFound(Entity::Invite))?;
            let dead = now_state
                .redeemable(at)
                .err()
                .unwrap_or(crate::domain::invite::Dead::Used);
            return Err(Error::Gone(dead.reason()));
        }
        tx.revoke_invites(invite.tenant_id, invite.user_id, at)
            .await?;
        tx.update_profile(
            invite.tenant_id,
            user.id,
            &Profile::of(user),
            Some(&password_hash),
            at,
        )
        .await?;
        let note = Note {
            reason: Some("invite accepted".into()),
            ..Note::default()
        };
        let change =
            transition_locked(&mut tx, &ctx, locked, Transition::Activate, &note, at).await?;
        let login = open_session(&mut tx, &self.settings, change.user.user, at).await?;
        tx.commit().await?;
        Ok(login)
    }
}
