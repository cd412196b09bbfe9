//! Password reset: a request by email answers the same whether or not the address is
//! known; a known, active user gets an email with a one-time link (through the outbox) whose
//! token is stored hashed and dies after a short while, when used, or when a newer request
//! replaces it. Setting the new password ends every session of the user.

use super::passwords::set_user_password;
use super::{secrets, Authority, Context, Error, Result, Services};
use crate::domain::event::{Actor, Channel, NewEvent, Note};
use crate::domain::fields::{email_key, Email};
use crate::domain::password::{
    new_password, reset_ttl, DeadReset, PasswordReset, RESETS_PER_ADDRESS, RESETS_PER_TENANT,
};
use crate::domain::Entity;
use serde_json::json;
use uuid::Uuid;

/// Reset tokens look like `rsr_…`.
const RESET_PREFIX: &str = "rsr_";

/// What a reset request answers: the same for every address, unless the rate limit is hit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResetRequest {
    /// If the address is an active user's, an email is on its way.
    Accepted,
    /// Too many requests for this address or this tenant; retry after this many seconds.
    Limited { retry_after: i64 },
}

impl Services {
    /// Asks for a password reset link for `email` in `tenant`.
    #[tracing::instrument(skip_all, fields(tenant = %tenant))]
    pub async fn request_password_reset(
        &self,
        tenant: Uuid,
        email: &str,
        request_id: Option<String>,
    ) -> Result<ResetRequest> {
        let email = Email::parse("email", email)?;
        let key = email_key(email.as_str());
        // Both budgets are counted for every request, known address or not.
        let address = self
            .count_call(
                "password-reset-address",
                &format!("{tenant}\n{key}"),
                RESETS_PER_ADDRESS,
            )
            .await?;
        let whole = self
            .count_call(
                "password-reset-tenant",
                &tenant.to_string(),
                RESETS_PER_TENANT,
            )
            .await?;
        if !address.allowed || !whole.allowed {
            let retry_after = [address, whole]
                .iter()
                .filter(|w| !w.allowed)
                .map(|w| w.retry_after)
                .max()
                .unwrap_or(1);
            return Ok(ResetRequest::Limited { retry_after });
        }
        let at = self.now();
        let mut tx = self.store.write().await?;
        let Some(user) = tx
            .user_by_email(tenant, &key, true)
            .await?
            .filter(|u| u.status.may_log_in())
        else {
            return Ok(ResetRequest::Accepted);
        };
        let Some(recipient) = user.email.clone() else {
            return Ok(ResetRequest::Accepted);
        };
        tx.revoke_password_resets(tenant, user.id, at).await?;
        let minted = secrets::mint(RESET_PREFIX);
        let reset = PasswordReset {
            id: Uuid::now_v7(),
            tenant_id: tenant,
            user_id: user.id,
            created_at: at,
            expires_at: at + reset_ttl(),
            used_at: None,
            revoked_at: None,
        };
        tx.insert_password_reset(&reset, &minted.hash).await?;
        let email_id = tx
            .queue_email(
                tenant,
                user.id,
                "password_reset",
                &recipient,
                Some(&minted.secret),
                at,
            )
            .await?;
        // Whoever asked only knew the address: roster itself sends the link.
        let ctx = Context::new(
            tenant,
            Actor::System,
            Authority::Visitor,
            Channel::Native,
            request_id,
        );
        tx.append_event(
            &ctx.origin(&Note::default(), at),
            &NewEvent::about(user.id, "password_reset_requested")
                .details(json!({ "email": email_id, "expires_at": reset.expires_at })),
        )
        .await?;
        tx.commit().await?;
        Ok(ResetRequest::Accepted)
    }

    /// Sets a new password with a reset link's token; every session of the user ends.
    /// Answers how many sessions ended.
    #[tracing::instrument(skip_all, fields(tenant = %tenant))]
    pub async fn reset_password(
        &self,
        tenant: Uuid,
        token: &str,
        new: &str,
        request_id: Option<String>,
    ) -> Result<u64> {
        let hash = secrets::hash(token);
        let mut read = self.store.read().await?;
        let reset = read
            .password_reset_by_token(tenant, &hash)
            .await?
            .ok_or(Error::NotFound(Entity::PasswordReset))?;
        reset
            .usable(self.now())
            .map_err(|dead| Error::Gone(dead.reason()))?;
        let user = read
            .user(tenant, reset.user_id, false)
            .await?
            .ok_or(Error::NotFound(Entity::PasswordReset))?;
        drop(read);
        let password = new_password("password", new, None, user.email.as_deref())?;
        let password_hash = self.passwords.hash(&password).await?;
        let at = self.now();
        let ctx = Context::new(
            tenant,
            Actor::User(reset.user_id),
            Authority::Visitor,
            Channel::Native,
            request_id,
        );
        let mut tx = self.store.write().await?;
        let user = tx
            .user(tenant, reset.user_id, true)
            .await?
            .filter(|u| u.status.may_log_in())
            .ok_or(Error::Gone(DeadReset::Replaced.reason()))?;
        if !tx.use_password_reset(tenant, reset.id, at).await? {
            // Used or replaced while the password was being hashed.
            let now_state = tx
                .password_reset_by_token(tenant, &hash)
                .await?
                .ok_or(Error::NotFound(Entity::PasswordReset))?;
            let dead = now_state.usable(at).err().unwrap_or(DeadReset::Used);
            return Err(Error::Gone(dead.reason()));
        }
        let revoked = set_user_password(
            &mut tx,
            &ctx,
            &user,
            &password_hash,
            "password_reset",
            json!({ "reset_id": reset.id }),
            at,
        )
        .await?;
        tx.commit().await?;
        Ok(revoked)
    }
}
