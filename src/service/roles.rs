//! Roles: the built-in ones and those a tenant defines, and granting and taking them.

use super::{lifecycle::lock_view, view, Context, Error, Result, Services, UserView};
use crate::domain::authority::{is_active_admin, keeps_an_active_admin};
use crate::domain::event::{NewEvent, Note};
use crate::domain::fields::DisplayName;
use crate::domain::permission::{BuiltinRole, Permission, Permissions};
use crate::domain::role::{CustomRole, RoleView};
use crate::domain::user::{RoleName, Roles, User, UserRef};
use crate::domain::Entity;
use crate::store::Tx;
use serde_json::json;
use uuid::Uuid;

impl Services {
    /// The built-in roles, then the tenant's, by name.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant))]
    pub async fn roles(&self, ctx: &Context) -> Result<Vec<RoleView>> {
        ctx.require_one(&[Permission::ViewUsers])?;
        let custom = self.store.read().await?.custom_roles(ctx.tenant).await?;
        Ok(BuiltinRole::ALL
            .into_iter()
            .map(RoleView::from)
            .chain(custom.into_iter().map(RoleView::from))
            .collect())
    }

    /// What a user may do: what their built-in roles grant (every person holds `user`), and
    /// their tenant's custom roles.
    #[tracing::instrument(skip_all, fields(user = %user.id))]
    pub async fn permissions_of(&self, user: &User) -> Result<Permissions> {
        let mut held = user.roles.builtin_permissions();
        held.extend(&BuiltinRole::User.permissions());
        let custom: Vec<&str> = user.roles.custom().map(|r| r.as_str()).collect();
        if !custom.is_empty() {
            let granted = self
                .store
                .read()
                .await?
                .custom_role_permissions(user.tenant_id, &custom)
                .await?;
            held.extend(&granted);
        }
        Ok(held)
    }

    /// Defines a role; a built-in name or one the tenant has is taken.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant))]
    pub async fn create_role(
        &self,
        ctx: &Context,
        name: RoleName,
        description: Option<DisplayName>,
        permissions: Permissions,
    ) -> Result<RoleView> {
        ctx.require_one(&[Permission::ManageRoles])?;
        if name.builtin().is_some() {
            return Err(Error::Taken(vec!["name"]));
        }
        let at = self.now();
        let role = CustomRole {
            name: name.as_str().to_owned(),
            description: description.map(|d| d.as_str().to_owned()),
            permissions,
            created_at: at,
            updated_at: at,
        };
        let mut tx = self.store.write().await?;
        if !tx.insert_custom_role(ctx.tenant, &role).await? {
            return Err(Error::Taken(vec!["name"]));
        }
        role_event(&mut tx, ctx, "role_created", &role, at).await?;
        tx.commit().await?;
        Ok(role.into())
    }

    /// Changes a custom role's description and permissions; built-in roles are fixed.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant))]
    pub async fn update_role(
        &self,
        ctx: &Context,
        name: &RoleName,
        description: Option<DisplayName>,
        permissions: Permissions,
    ) -> Result<RoleView> {
        ctx.require_one(&[Permission::ManageRoles])?;
        refuse_builtin(name)?;
        let at = self.now();
        let mut tx = self.store.write().await?;
        let mut role = tx
            .custom_role(ctx.tenant, name.as_str())
            .await?
            .ok_or(Error::NotFound(Entity::Role))?;
        role.description = description.map(|d| d.as_str().to_owned());
        role.permissions = permissions;
        role.updated_at = at;
        tx.update_custom_role(ctx.tenant, &role).await?;
        role_event(&mut tx, ctx, "role_updated", &role, at).await?;
        tx.commit().await?;
        Ok(role.into())
    }

    /// Deletes a custom role nobody holds.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant))]
    pub async fn delete_role(&self, ctx: &Context, name: &RoleName) -> Result<()> {
        ctx.require_one(&[Permission::ManageRoles])?;
        refuse_builtin(name)?;
        let at = self.now();
        let mut tx = self.store.write().await?;
        let role = tx
            .custom_role(ctx.tenant, name.as_str())
            .await?
            .ok_or(Error::NotFound(Entity::Role))?;
        let holders = tx.role_holders(ctx.tenant, name.as_str()).await?;
        if holders > 0 {
            return Err(Error::invalid(
                "name",
                format!("is held by {holders} user(s): take it from them first"),
            ));
        }
        tx.delete_custom_role(ctx.tenant, name.as_str()).await?;
        role_event(&mut tx, ctx, "role_deleted", &role, at).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Grants a role (built-in or the tenant's) to a user; granting one they hold changes
    /// nothing.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant))]
    pub async fn grant_role<'a>(
        &self,
        ctx: &Context,
        who: impl Into<UserRef<'a>>,
        role: &RoleName,
    ) -> Result<UserView> {
        self.set_role(ctx, who.into(), role, true).await
    }

    /// Takes a role from a user. Taking `admin` from the tenant's last active admin is
    /// refused, as deactivating them is.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant))]
    pub async fn take_role<'a>(
        &self,
        ctx: &Context,
        who: impl Into<UserRef<'a>>,
        role: &RoleName,
    ) -> Result<UserView> {
        self.set_role(ctx, who.into(), role, false).await
    }

    async fn set_role(
        &self,
        ctx: &Context,
        who: UserRef<'_>,
        role: &RoleName,
        on: bool,
    ) -> Result<UserView> {
        ctx.require_one(&[Permission::ManageRoles])?;
        let at = self.now();
        let mut tx = self.store.write().await?;
        let taking_admin = !on && role.builtin() == Some(BuiltinRole::Admin);
        // The admins first, then the user: the order deactivation locks them in.
        let admins = match taking_admin {
            true => Some(tx.lock_active_admins(ctx.tenant).await?),
            false => None,
        };
        let locked = lock_view(&mut tx, ctx.tenant, who).await?;
        check_roles_exist(&mut tx, ctx.tenant, &Roles::of([role.clone()])).await?;
        if locked.user.roles.has(role) == on {
            return Ok(locked);
        }
        if let Some(admins) = &admins {
            if is_active_admin(&locked.user) {
                keeps_an_active_admin(admins, locked.user.id)?;
            }
        }
        let user = locked.user;
        let mut profile = crate::domain::user::Profile::of(&user);
        profile.roles.set(role.clone(), on);
        let updated = tx
            .update_profile(ctx.tenant, user.id, &profile, None, at)
            .await?;
        let action = if on { "role_granted" } else { "role_revoked" };
        tx.append_event(
            &ctx.origin(&Note::default(), at),
            &NewEvent::about(user.id, action).details(json!({ "role": role.as_str() })),
        )
        .await?;
        let view = view(&mut tx, ctx.tenant, updated).await?;
        tx.commit().await?;
        Ok(view)
    }
}

fn refuse_builtin(name: &RoleName) -> Result<()> {
    match name.builtin() {
        Some(_) => Err(Error::invalid(
            "name",
            "is a built-in role: its permissions are fixed",
        )),
        None => Ok(()),
    }
}

/// Refuses roles the tenant does not have, naming the first unknown one.
pub(crate) async fn check_roles_exist(tx: &mut Tx, tenant: Uuid, roles: &Roles) -> Result<()> {
    for name in roles.custom() {
        if tx.custom_role(tenant, name.as_str()).await?.is_none() {
            return Err(Error::invalid(
                "roles",
                format!("no role named {:?} in this tenant", name.as_str()),
            ));
        }
    }
    Ok(())
}

async fn role_event(
    tx: &mut Tx,
    ctx: &Context,
    action: &'static str,
    role: &CustomRole,
    at: chrono::DateTime<chrono::Utc>,
) -> Result<()> {
    let permissions: Vec<&str> = role.permissions.iter().map(|p| p.as_str()).collect();
    tx.append_event(
        &ctx.origin(&Note::default(), at),
        &NewEvent::tenant_wide(action)
            .details(json!({ "role": role.name, "permissions": permissions })),
    )
    .await?;
    Ok(())
}
