//! A signed-in user on themselves: reading and editing their own profile, changing their
//! password. The caller is the user's session (`Context::of_session`); events name the user
//! as the actor (and the impersonator, through an impersonation session).

use super::passwords::set_user_password;
use super::users::patch_locked;
use super::{Context, Error, Result, Services, UserView};
use crate::domain::impersonation::{may_change, Guarded};
use crate::domain::password::new_password;
use crate::domain::profile::OwnProfile;
use crate::domain::Entity;
use serde_json::json;
use uuid::Uuid;

impl Services {
    /// The signed-in user.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant))]
    pub async fn me(&self, ctx: &Context) -> Result<UserView> {
        let id = signed_in(ctx)?;
        self.user(ctx, id).await
    }

    /// Edits the signed-in user's own names and phone; audited as done by them.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant))]
    pub async fn edit_own_profile(&self, ctx: &Context, profile: OwnProfile) -> Result<UserView> {
        let id = signed_in(ctx)?;
        let at = self.now();
        let mut tx = self.store.write().await?;
        let user = tx
            .user(ctx.tenant, id, true)
            .await?
            .ok_or(Error::NotFound(Entity::User))?;
        let view = patch_locked(&mut tx, ctx, user, profile.into_patch(), None, None, at).await?;
        tx.commit().await?;
        Ok(view)
    }

    /// Changes the signed-in user's password. The current one must match; the new one must
    /// follow the policy. Every session of the user ends, the caller's included: answers how
    /// many. Not through an impersonation session.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant))]
    pub async fn change_own_password(
        &self,
        ctx: &Context,
        current: &str,
        new: &str,
    ) -> Result<u64> {
        let id = signed_in(ctx)?;
        may_change(ctx.impersonator(), Guarded::Password).map_err(refused)?;
        let (user, stored) = self
            .store
            .read_one()
            .await?
            .user_password_hash(ctx.tenant, id)
            .await?
            .ok_or(Error::NotFound(Entity::User))?;
        let password = new_password("new_password", new, Some(current), user.email.as_deref())?;
        if !self.passwords.verify(current, stored.clone()).await? {
            return Err(Error::invalid(
                "current_password",
                "is not the current password",
            ));
        }
        let hash = self.passwords.hash(&password).await?;
        let at = self.now();
        let mut tx = self.store.write().await?;
        let user = tx
            .user(ctx.tenant, id, true)
            .await?
            .ok_or(Error::NotFound(Entity::User))?;
        let revoked = set_user_password(
            &mut tx,
            ctx,
            &user,
            &hash,
            "password_changed",
            json!({}),
            at,
        )
        .await?;
        tx.commit().await?;
        Ok(revoked)
    }
}

/// The user a session caller is; anyone else has no "own" profile.
fn signed_in(ctx: &Context) -> Result<Uuid> {
    ctx.acting_user().ok_or(Error::BadCredentials)
}

/// An impersonation session's refusal, naming the field it may not change.
pub(crate) fn refused(what: Guarded) -> Error {
    Error::invalid(
        what.field(),
        format!(
            "an impersonation session cannot change the {}",
            what.field()
        ),
    )
}
