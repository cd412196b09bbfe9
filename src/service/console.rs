//! The admin console's use cases: signing an admin in and recognising them on each page,
//! the one-time links that set an admin's password, making an admin from the command line,
//! and the users list's counts. Every other console action calls the use cases every API uses.

use super::secrets;
use super::sessions::{open_session, Login, LoginName};
use super::users::{insert_user, patch_locked, Creation, OnExisting};
use super::{Authority, Context, Error, Page, Result, Services, UserView};
use crate::domain::console::{may_sign_in, setup_link_ttl, SetupLink};
use crate::domain::event::{Actor, Channel, Note};
use crate::domain::event::{Event, EventCursor};
use crate::domain::fields::{Email, Password};
use crate::domain::permission::{BuiltinRole, Permission, Permissions};
use crate::domain::room::RoomFacts;
use crate::domain::session::Session;
use crate::domain::user::{NewUser, Roles, User, UserPatch, UserRef};
use crate::domain::{Entity, Status};
use uuid::Uuid;

/// Set-password link tokens look like `rsc_…`.
const SETUP_PREFIX: &str = "rsc_";

/// Counts per status stop here: counting further would read every user of a large tenant.
pub const STATUS_COUNT_CAP: u32 = 10_000;

/// An admin recognised by their console session.
#[derive(Debug, Clone)]
pub struct ConsoleAdmin {
    pub session: Session,
    pub user: User,
    pub permissions: Permissions,
}

/// What a set-password link is for, as its page shows it.
#[derive(Debug, Clone)]
pub enum SetupFor {
    /// The tenant's first admin, who names themselves on the page.
    FirstAdmin,
    /// The admin with this email.
    Admin { email: Option<String> },
}

impl Services {
    /// Signs an admin in to `tenant`'s console with their email and password. A wrong
    /// password, an unknown email and a person who is not an active admin are the same
    /// [`Error::BadCredentials`].
    #[tracing::instrument(skip_all, fields(tenant = %tenant))]
    pub async fn console_sign_in(
        &self,
        tenant: Uuid,
        email: &str,
        password: &str,
        request_id: Option<String>,
    ) -> Result<Login> {
        let ctx = Context::new(
            tenant,
            Actor::System,
            Authority::Visitor,
            Channel::Console,
            request_id,
        );
        self.login_admitting(&ctx, LoginName::Email(email), password, may_sign_in)
            .await
    }

    /// The admin behind a console session token, if the session is live, of `tenant`, and
    /// its user still an active admin.
    #[tracing::instrument(skip_all, fields(tenant = %tenant))]
    pub async fn console_admin(&self, tenant: Uuid, token: &str) -> Result<ConsoleAdmin> {
        let (session, view) = self.session_by_token(token).await?;
        if session.tenant_id != tenant || !may_sign_in(&view.user) {
            return Err(Error::BadCredentials);
        }
        let permissions = self.permissions_of(&view.user).await?;
        Ok(ConsoleAdmin {
            session,
            user: view.user,
            permissions,
        })
    }

    /// Mints a one-time set-password link for `user` (an admin) or, without one, for the
    /// tenant's first admin. Answers the token, shown only now.
    #[tracing::instrument(skip_all, fields(tenant = %tenant))]
    pub async fn issue_setup_link(&self, tenant: Uuid, user: Option<Uuid>) -> Result<String> {
        let at = self.now();
        let minted = secrets::mint(SETUP_PREFIX);
        let link = SetupLink {
            id: Uuid::now_v7(),
            tenant_id: tenant,
            user_id: user,
            expires_at: at + setup_link_ttl(),
            used_at: None,
        };
        let mut tx = self.store.write().await?;
        tx.insert_setup_link(&link, &minted.hash, at).await?;
        tx.commit().await?;
        Ok(minted.secret)
    }

    /// What a live set-password link is for; a dead one is [`Error::Gone`], an unknown one
    /// [`Error::NotFound`].
    #[tracing::instrument(skip_all, fields(tenant = %tenant))]
    pub async fn setup_link(&self, tenant: Uuid, token: &str) -> Result<SetupFor> {
        let mut tx = self.store.read().await?;
        let link = tx
            .setup_link(tenant, &secrets::hash(token))
            .await?
            .ok_or(Error::NotFound(Entity::Invite))?;
        link.usable(self.now())
            .map_err(|dead| Error::Gone(dead.reason()))?;
        match link.user_id {
            None => Ok(SetupFor::FirstAdmin),
            Some(id) => Ok(SetupFor::Admin {
                email: tx
                    .user(tenant, id, false)
                    .await?
                    .ok_or(Error::NotFound(Entity::Invite))?
                    .email,
            }),
        }
    }

    /// Uses a set-password link: sets the password of its admin (or creates the tenant's first
    /// admin with `email`), marks the link used and signs the admin in, in one transaction.
    #[tracing::instrument(skip_all, fields(tenant = %tenant))]
    pub async fn redeem_setup_link(
        &self,
        tenant: Uuid,
        token: &str,
        email: Option<Email>,
        password: &Password,
        request_id: Option<String>,
    ) -> Result<Login> {
        let password_hash = self.passwords.hash(password).await?;
        let at = self.now();
        let mut tx = self.store.write().await?;
        let link = tx
            .setup_link(tenant, &secrets::hash(token))
            .await?
            .ok_or(Error::NotFound(Entity::Invite))?;
        link.usable(at).map_err(|dead| Error::Gone(dead.reason()))?;
        if !tx.use_setup_link(tenant, link.id, at).await? {
            return Err(Error::Gone(crate::domain::console::DeadLink::Used.reason()));
        }
        let ctx = |actor| {
            Context::new(
                tenant,
                actor,
                Authority::Everything,
                Channel::Console,
                request_id.clone(),
            )
        };
        let user = match link.user_id {
            Some(id) => {
                let user = tx
                    .user_by_ref(tenant, UserRef::Id(id), true)
                    .await?
                    .ok_or(Error::NotFound(Entity::Invite))?;
                let patch = UserPatch {
                    password: Some(password.clone()),
                    ..UserPatch::default()
                };
                let ctx = ctx(Actor::User(id));
                patch_locked(&mut tx, &ctx, user, patch, Some(password_hash), None, at)
                    .await?
                    .user
            }
            None => {
                let email = email.ok_or_else(|| Error::invalid("email", "is required"))?;
                let new = NewUser {
                    roles: Roles::new([BuiltinRole::Admin]),
                    ..NewUser::with_email(email, Status::Active)
                };
                let creation = Creation {
                    note: Note {
                        reason: Some(
                            "the tenant's first admin, through the console's set-up link".into(),
                        ),
                        ..Note::default()
                    },
                    ..Creation::default()
                };
                let ctx = ctx(Actor::System);
                insert_user(
                    &mut tx,
                    &ctx,
                    &self.settings,
                    &new,
                    Some(password_hash),
                    &creation,
                    at,
                )
                .await?
                .user
            }
        };
        if !may_sign_in(&user) {
            return Err(Error::BadCredentials);
        }
        let login = open_session(&mut tx, &self.settings, user, at).await?;
        tx.commit().await?;
        Ok(login)
    }

    /// Makes the person with `email` an admin of the tenant: creates them active with the
    /// `admin` role, or grants the role to the user already holding the email (an invited one
    /// joins; a banned or deactivated one stays so until someone lifts it).
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant))]
    pub async fn make_admin(&self, ctx: &Context, email: Email) -> Result<UserView> {
        let existing = match self.user_by_email(ctx, email.as_str()).await {
            Ok(view) => Some(view),
            Err(Error::NotFound(_)) => None,
            Err(e) => return Err(e),
        };
        match existing {
            Some(view) => {
                let id = view.user.id;
                let granted = self.grant_role(ctx, id, &BuiltinRole::Admin.into()).await?;
                // An invited user could never use their link: they join now.
                if granted.user.status != Status::Invited {
                    return Ok(granted);
                }
                let note = Note {
                    reason: Some("made an admin with `roster admin create`".into()),
                    ..Note::default()
                };
                Ok(self.make_active(ctx, id, &note).await?.user)
            }
            None => {
                let new = NewUser {
                    roles: Roles::new([BuiltinRole::Admin]),
                    ..NewUser::with_email(email, Status::Active)
                };
                Ok(self
                    .create_user(ctx, new, Creation::default(), OnExisting::Refuse)
                    .await?
                    .user)
            }
        }
    }

    /// How many users have each status, each counted up to [`STATUS_COUNT_CAP`].
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant))]
    pub async fn status_counts(&self, ctx: &Context) -> Result<Vec<(Status, i64)>> {
        ctx.require_one(&[Permission::ViewUsers])?;
        Ok(self
            .store
            .read()
            .await?
            .status_counts_capped(ctx.tenant, STATUS_COUNT_CAP)
            .await?)
    }
}

impl Services {
    /// The rooms a user belongs to, with their role in each.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant, user = %user))]
    pub async fn rooms_of(&self, ctx: &Context, user: Uuid) -> Result<Vec<RoomFacts>> {
        ctx.require_one(&[Permission::ViewUsers])?;
        let mut tx = self.store.read().await?;
        tx.user(ctx.tenant, user, false)
            .await?
            .ok_or(Error::NotFound(Entity::User))?;
        Ok(tx.room_facts(ctx.tenant, user).await?)
    }

    /// The tenant's latest events, newest first, optionally of one action; the page after
    /// `before`. The next page's cursor comes with a full page.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant))]
    pub async fn latest_events(
        &self,
        ctx: &Context,
        before: Option<EventCursor>,
        action: Option<&str>,
        limit: u32,
    ) -> Result<Page<Event, EventCursor>> {
        ctx.require_one(&[Permission::ViewAudit])?;
        let items = self
            .store
            .read()
            .await?
            .latest_events(ctx.tenant, before, action, limit)
            .await?;
        let next = items
            .last()
            .filter(|_| items.len() == limit as usize)
            .map(|e| EventCursor {
                tx_order: e.tx_order,
                seq: e.seq,
            });
        Ok(Page { items, next })
    }
}

impl Services {
    /// A user's latest events before `before` (a `seq`), newest first: the console's
    /// timeline.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant, user = %user))]
    pub async fn latest_user_events(
        &self,
        ctx: &Context,
        user: Uuid,
        before: Option<i64>,
        limit: u32,
    ) -> Result<Vec<Event>> {
        ctx.require_one(&[Permission::ViewAudit])?;
        let mut tx = self.store.read().await?;
        tx.user(ctx.tenant, user, false)
            .await?
            .ok_or(Error::NotFound(Entity::User))?;
        Ok(tx
            .latest_user_events(ctx.tenant, user, before, limit)
            .await?)
    }
}
