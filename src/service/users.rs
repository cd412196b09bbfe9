//! Creating, reading and editing users.

use super::invites::issue_invite;
use super::lifecycle::transition_locked;
use super::plans::{grant_plan, with_plans, UserWithPlans};
use super::{view, with_groups, Context, Error, Page, Result, Services, Settings, UserView};
use crate::domain::event::EventCursor;
use crate::domain::event::{Event, NewEvent, Note};
use crate::domain::extension::Extension;
use crate::domain::fields::email_key;
use crate::domain::permission::BuiltinRole;
use crate::domain::permission::Permission;
use crate::domain::plan::PlanGrant;
use crate::domain::user::UserFilter;
use crate::domain::user::{NewUser, Roles, User, UserPatch};
use crate::domain::username::username_key;
use crate::domain::Entity;
use crate::domain::{Status, Transition};
use crate::store::{Tx, UniqueValues, UserRecord};
use chrono::{DateTime, Utc};
use serde_json::{json, Value};
use uuid::Uuid;

/// What creating a user did: made a new one, or found the email's user already there (and,
/// if that user was revoked, invited them again).
#[derive(Debug, Clone)]
pub struct CreateOutcome {
    pub user: UserView,
    pub created: bool,
    /// The email's user was revoked and is invited again.
    pub reinvited: bool,
}

/// What a create means when the email already belongs to a user who is not revoked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnExisting {
    /// The email is taken, whatever its user's status (Publica.la's create).
    Refuse,
    /// A revoked user is invited again; any other user's email is taken (roster's native API).
    ReinviteRevoked,
    /// A revoked user is invited again; any other user is answered unchanged (Village's
    /// `create_user`).
    Return,
}

/// Facts of a creation beyond the user's own fields. They count only when a user is created:
/// for an existing user they are ignored.
#[derive(Debug, Clone, Default)]
pub struct Creation {
    pub note: Note,
    /// Client metadata kept on the `created` event as given.
    pub metadata: Option<Value>,
    /// Another user's referral code: that user referred this one.
    pub referrer: Option<String>,
    /// Queue the invite email in the same transaction.
    pub send_invite: bool,
    /// A plan to give the new user (Publica.la's `assign_new_plan`).
    pub plan: Option<PlanGrant>,
    /// Attributes of an extension to keep for the new user (SCIM's Enterprise User).
    pub extension: Option<Extension>,
    /// Deactivate the new user in the same transaction: an identity provider creating a
    /// person who is not (yet) allowed in. The history shows both steps.
    pub deactivated: bool,
}

pub use crate::domain::user::UserRef;

/// One numbered page of a list, with the size of the whole list.
#[derive(Debug, Clone)]
pub struct NumberedPage<T> {
    pub items: Vec<T>,
    pub total: i64,
}

impl Services {
    /// Creates a user. Creating the email of a revoked user invites that user again instead
    /// (the only way out of `revoked`); then nothing else of `new` is applied.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant))]
    pub async fn create_user(
        &self,
        ctx: &Context,
        new: NewUser,
        creation: Creation,
        on_existing: OnExisting,
    ) -> Result<CreateOutcome> {
        ctx.require_one(&[Permission::CreateUsers])?;
        if creation.deactivated {
            ctx.require(crate::domain::permission::needed_for(
                Transition::Deactivate,
            ))?;
        }
        if new.roles != Roles::default() {
            ctx.require_one(&[Permission::ManageRoles])?;
        }
        // Hash before the transaction: argon2 takes tens of milliseconds, a lock should not.
        let password_hash = match &new.password {
            Some(p) => Some(self.passwords.hash(p).await?),
            None => None,
        };
        // A second attempt only follows a lost race on Postgres: two creates of one new email,
        // where the other committed first and is found the second time.
        for attempt in 0..2 {
            let at = self.now();
            let mut tx = self.store.write().await?;
            if let Some(outcome) = existing_user(
                &mut tx,
                ctx,
                &self.settings,
                &new,
                &creation,
                on_existing,
                at,
            )
            .await?
            {
                tx.commit().await?;
                return Ok(outcome);
            }
            match insert_user(
                &mut tx,
                ctx,
                &self.settings,
                &new,
                password_hash.clone(),
                &creation,
                at,
            )
            .await
            {
                Ok(user) => {
                    tx.commit().await?;
                    return Ok(CreateOutcome {
                        user,
                        created: true,
                        reinvited: false,
                    });
                }
                Err(Error::Taken(fields))
                    if attempt == 0 && on_existing == OnExisting::Return && fields == ["email"] => {
                }
                Err(e) => return Err(e),
            }
        }
        Err(Error::Conflict)
    }

    /// The user with this email (matched case-insensitively).
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant))]
    pub async fn user_by_email(&self, ctx: &Context, email: &str) -> Result<UserView> {
        ctx.require_one(&[Permission::ViewUsers])?;
        let mut tx = self.store.read().await?;
        let user = tx
            .user_by_email(ctx.tenant, &email_key(email), false)
            .await?
            .ok_or(Error::NotFound(Entity::User))?;
        view(&mut tx, ctx.tenant, user).await
    }

    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant, user = %id))]
    pub async fn user(&self, ctx: &Context, id: Uuid) -> Result<UserView> {
        if !ctx.is_self(id) {
            ctx.require_one(&[Permission::ViewUsers])?;
        }
        let mut tx = self.store.read().await?;
        let user = tx
            .user(ctx.tenant, id, false)
            .await?
            .ok_or(Error::NotFound(Entity::User))?;
        view(&mut tx, ctx.tenant, user).await
    }

    /// The user named by `r`, if the tenant has one.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant))]
    pub async fn find_user(&self, ctx: &Context, r: UserRef<'_>) -> Result<UserWithPlans> {
        let mut tx = self.store.read().await?;
        let user = user_by_ref(&mut tx, ctx, r)
            .await?
            .ok_or(Error::NotFound(Entity::User))?;
        if !ctx.is_self(user.id) {
            ctx.require_one(&[Permission::ViewUsers])?;
        }
        let user = view(&mut tx, ctx.tenant, user).await?;
        let mut found = with_plans(&mut tx, ctx.tenant, vec![user]).await?;
        Ok(found.pop().expect("one user in, one out"))
    }

    /// Page `page` (from 1) of `per_page` users in `number` order, with the total count, read
    /// in one snapshot.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant))]
    pub async fn users_numbered(
        &self,
        ctx: &Context,
        filter: &UserFilter,
        page: u64,
        per_page: u32,
    ) -> Result<NumberedPage<UserWithPlans>> {
        ctx.require_one(&[Permission::ViewUsers])?;
        let mut tx = self.store.read().await?;
        let total = tx.count_users(ctx.tenant, filter).await?;
        let offset = page.saturating_sub(1).saturating_mul(u64::from(per_page));
        // A page past the end is empty; no query needed (and no offset the database cannot hold).
        let users = if offset < u64::try_from(total).unwrap_or(0) {
            tx.users_at_offset(ctx.tenant, filter, offset, per_page)
                .await?
        } else {
            Vec::new()
        };
        let users = with_groups(&mut tx, ctx.tenant, users).await?;
        let items = with_plans(&mut tx, ctx.tenant, users).await?;
        Ok(NumberedPage { items, total })
    }

    /// Edits a profile, turns single roles on or off (the others keep), and, when given,
    /// grants a plan: one transaction, so no concurrent edit of the roles is lost.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant))]
    pub async fn edit_user<'a>(
        &self,
        ctx: &Context,
        who: impl Into<UserRef<'a>>,
        mut patch: UserPatch,
        roles: &[(BuiltinRole, bool)],
        plan: Option<PlanGrant>,
    ) -> Result<UserView> {
        ctx.require_one(&[Permission::EditProfiles])?;
        let password_hash = match &patch.password {
            Some(p) => Some(self.passwords.hash(p).await?),
            None => None,
        };
        let at = self.now();
        let mut tx = self.store.write().await?;
        let current = tx
            .user_by_ref(ctx.tenant, who.into(), true)
            .await?
            .ok_or(Error::NotFound(Entity::User))?;
        let id = current.id;
        if !roles.is_empty() {
            let mut new_roles = patch.roles.take().unwrap_or_else(|| current.roles.clone());
            for (role, on) in roles {
                new_roles.set(*role, *on);
            }
            patch.roles = Some(new_roles);
        }
        let user = patch_locked(&mut tx, ctx, current, patch, password_hash, None, at).await?;
        if let Some(grant) = plan {
            grant_plan(&mut tx, ctx, id, &grant, &Note::default(), at).await?;
        }
        tx.commit().await?;
        Ok(user)
    }

    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant))]
    pub async fn users(
        &self,
        ctx: &Context,
        filter: &UserFilter,
        after: Option<i64>,
        limit: u32,
    ) -> Result<Page<UserView, i64>> {
        ctx.require_one(&[Permission::ViewUsers])?;
        // One statement needs no snapshot of its own: no transaction.
        let rows = self
            .store
            .read_one()
            .await?
            .users(ctx.tenant, filter, after, limit)
            .await?;
        let next = (rows.len() == limit as usize)
            .then(|| rows.last().map(|(u, _)| u.number))
            .flatten();
        let items = rows
            .into_iter()
            .map(|(user, groups)| UserView { user, groups })
            .collect();
        Ok(Page { items, next })
    }

    /// Applies a profile patch. `expected_version` (from `If-Match`) makes it conditional.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant))]
    pub async fn patch_user<'a>(
        &self,
        ctx: &Context,
        who: impl Into<UserRef<'a>>,
        patch: UserPatch,
        expected_version: Option<i64>,
    ) -> Result<UserView> {
        ctx.require_one(&[Permission::EditProfiles])?;
        let password_hash = match &patch.password {
            Some(p) => Some(self.passwords.hash(p).await?),
            None => None,
        };
        let mut tx = self.store.write().await?;
        let user = tx
            .user_by_ref(ctx.tenant, who.into(), true)
            .await?
            .ok_or(Error::NotFound(Entity::User))?;
        let at = self.now();
        let view = patch_locked(
            &mut tx,
            ctx,
            user,
            patch,
            password_hash,
            expected_version,
            at,
        )
        .await?;
        tx.commit().await?;
        Ok(view)
    }

    /// One user's audit timeline.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant, user = %id))]
    pub async fn user_events(
        &self,
        ctx: &Context,
        id: Uuid,
        after: i64,
        limit: u32,
        actor: Option<&str>,
    ) -> Result<Page<Event, i64>> {
        ctx.require_one(&[Permission::ViewAudit])?;
        let mut tx = self.store.read().await?;
        tx.user(ctx.tenant, id, false)
            .await?
            .ok_or(Error::NotFound(Entity::User))?;
        let items = tx.user_events(ctx.tenant, id, after, limit, actor).await?;
        let next = items
            .last()
            .map(|e| e.seq)
            .filter(|_| items.len() == limit as usize);
        Ok(Page { items, next })
    }

    /// The tenant's audit feed. Its cursor is always returned, so a client can poll from it.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant))]
    pub async fn feed(
        &self,
        ctx: &Context,
        after: EventCursor,
        limit: u32,
        actor: Option<&str>,
    ) -> Result<Page<Event, EventCursor>> {
        ctx.require_one(&[Permission::ViewAudit])?;
        let mut tx = self.store.read().await?;
        let items = tx.feed(ctx.tenant, after, limit, actor).await?;
        let next = Some(items.last().map_or(after, |e| EventCursor {
            tx_order: e.tx_order,
            seq: e.seq,
        }));
        Ok(Page { items, next })
    }
}

/// Applies a profile patch inside `tx`: locks the user, checks the version and the unique
/// values, writes, revokes every session on a new password, appends the event.
/// Applies a profile patch to a user whose row `tx` holds locked.
pub(crate) async fn patch_locked(
    tx: &mut Tx,
    ctx: &Context,
    user: User,
    patch: UserPatch,
    password_hash: Option<String>,
    expected_version: Option<i64>,
    at: DateTime<Utc>,
) -> Result<UserView> {
    let id = user.id;
    if let Some(expected) = expected_version {
        if expected != user.version {
            return Err(Error::VersionMismatch {
                expected,
                current: user.version,
            });
        }
    }
    let change = patch
        .apply(&user)
        .map_err(crate::domain::DomainError::from)?;
    if change.profile.roles != user.roles {
        ctx.require_one(&[Permission::ManageRoles])?;
        super::roles::check_roles_exist(tx, ctx.tenant, &change.profile.roles).await?;
    }
    if change.is_empty() && password_hash.is_none() {
        return view(tx, ctx.tenant, user).await;
    }
    // Only values that change need to be free; keeping your own email is not a conflict.
    let new_key = |after: &Option<String>, before: &Option<String>, key: fn(&str) -> String| {
        let after = after.as_deref().map(key);
        after.filter(|k| before.as_deref().map(key).as_ref() != Some(k))
    };
    let new_username_key = new_key(&change.profile.username, &user.username, username_key);
    let new_email_key = new_key(&change.profile.email, &user.email, email_key);
    let new_external_id = new_key(
        &change.profile.external_id,
        &user.external_id,
        str::to_owned,
    );
    if new_email_key.is_some() || new_external_id.is_some() || new_username_key.is_some() {
        let values = UniqueValues {
            email_key: new_email_key.as_deref(),
            external_id: new_external_id.as_deref(),
            username_key: new_username_key.as_deref(),
        };
        let taken = tx.taken_by_other(ctx.tenant, Some(id), &values).await?;
        if !taken.is_empty() {
            return Err(Error::Taken(taken));
        }
    }
    let updated = tx
        .update_profile(
            ctx.tenant,
            id,
            &change.profile,
            password_hash.as_deref(),
            at,
        )
        .await?;
    let mut details = change.details();
    if new_email_key.is_some() {
        // An invite went to the old address: it must not outlive the change.
        tx.revoke_invites(ctx.tenant, id, at).await?;
    }
    if password_hash.is_some() {
        // The audit log says the password changed, never what to.
        details["password"] = json!("changed");
        details["sessions_revoked"] = json!(tx.revoke_sessions(ctx.tenant, id, at).await?);
    }
    tx.append_event(
        &ctx.origin(&Note::default(), at),
        &NewEvent::about(id, "profile_updated").details(details),
    )
    .await?;
    let view = view(tx, ctx.tenant, updated).await?;
    Ok(view)
}

/// Inserts a user with their group memberships and the `created` event, inside `tx`. Shared by
/// every way of creating a user.
pub(crate) async fn insert_user(
    tx: &mut Tx,
    ctx: &Context,
    settings: &Settings,
    new: &NewUser,
    password_hash: Option<String>,
    creation: &Creation,
    at: DateTime<Utc>,
) -> Result<UserView> {
    super::roles::check_roles_exist(tx, ctx.tenant, &new.roles).await?;
    let email_key = new.email.as_ref().map(|e| e.key());
    let username_key = new.username.as_ref().map(|u| u.key());
    let values = UniqueValues {
        email_key: email_key.as_deref(),
        external_id: new.external_id.as_ref().map(|x| x.as_str()),
        username_key: username_key.as_deref(),
    };
    let taken = tx.taken_by_other(ctx.tenant, None, &values).await?;
    if !taken.is_empty() {
        return Err(Error::Taken(taken));
    }
    let keys: Vec<String> = new.groups.iter().map(|k| k.as_str().to_owned()).collect();
    let groups = tx.groups_by_keys(ctx.tenant, &keys).await?;
    let unknown: Vec<&str> = keys
        .iter()
        .filter(|k| !groups.iter().any(|g| &g.key == *k))
        .map(String::as_str)
        .collect();
    if !unknown.is_empty() {
        return Err(Error::invalid(
            "groups",
            format!("unknown group keys: {}", unknown.join(", ")),
        ));
    }
    let referred_by = match &creation.referrer {
        Some(code) => Some(
            tx.user_by_referral_code(ctx.tenant, code)
                .await?
                .ok_or_else(|| {
                    Error::invalid("referrer", "no user of this tenant has this referral code")
                })?
                .id,
        ),
        None => None,
    };
    if let Some(grant) = &creation.plan {
        tx.plan(ctx.tenant, grant.plan_id)
            .await?
            .ok_or_else(|| Error::invalid("plan", "is not a plan of this tenant"))?;
    }
    if let Some(parent) = new.parent_id {
        tx.user(ctx.tenant, parent, false)
            .await?
            .ok_or_else(|| Error::invalid("parent_id", "no such user in this tenant"))?;
    }
    let record = UserRecord {
        id: Uuid::now_v7(),
        tenant_id: ctx.tenant,
        profile: new.profile(),
        password_hash,
        status: new.status,
        referral_code: super::secrets::referral_code(),
        parent_id: new.parent_id,
        referred_by,
        at,
    };
    let user = tx.insert_user(&record).await?;
    if let Some(ext) = &creation.extension {
        tx.set_extension(ctx.tenant, user.id, ext).await?;
    }
    for group in &groups {
        tx.add_group_member(ctx.tenant, group.id, user.id, at)
            .await?;
    }
    let mut details = json!({ "groups": keys });
    if let Some(metadata) = &creation.metadata {
        details["metadata"] = metadata.clone();
    }
    if let Some(code) = &creation.referrer {
        details["referrer"] = json!(code);
    }
    if creation.send_invite {
        details["invite_email"] = json!(issue_invite(tx, settings, &user, at).await?);
    }
    tx.append_event(
        &ctx.origin(&creation.note, at),
        &NewEvent::about(user.id, "created")
            .status(None, user.status)
            .details(details),
    )
    .await?;
    if let Some(grant) = &creation.plan {
        grant_plan(tx, ctx, user.id, grant, &creation.note, at).await?;
    }
    let view = UserView {
        user,
        groups: groups.into_iter().map(|g| g.key).collect(),
    };
    if creation.deactivated {
        let note = &creation.note;
        return Ok(
            transition_locked(tx, ctx, view, Transition::Deactivate, note, at)
                .await?
                .user,
        );
    }
    Ok(view)
}

/// The user `r` names in the tenant.
async fn user_by_ref(tx: &mut Tx, ctx: &Context, r: UserRef<'_>) -> Result<Option<User>> {
    Ok(tx.user_by_ref(ctx.tenant, r, false).await?)
}

/// The status a list filter names.
pub fn status_filter(field: &str, raw: &str) -> Result<Status> {
    raw.parse().map_err(|_| {
        Error::invalid(
            field,
            "must be one of invited, active, deactivated, banned, revoked",
        )
    })
}

/// The user a create finds already holding its email, or None to insert a new one.
async fn existing_user(
    tx: &mut Tx,
    ctx: &Context,
    settings: &Settings,
    new: &NewUser,
    creation: &Creation,
    on_existing: OnExisting,
    at: DateTime<Utc>,
) -> Result<Option<CreateOutcome>> {
    let Some(email) = &new.email else {
        return Ok(None);
    };
    let Some(existing) = tx.user_by_email(ctx.tenant, &email.key(), true).await? else {
        return Ok(None);
    };
    if existing.status == Status::Revoked && on_existing != OnExisting::Refuse {
        let locked = view(tx, ctx.tenant, existing).await?;
        let change =
            transition_locked(tx, ctx, locked, Transition::Reinvite, &creation.note, at).await?;
        if creation.send_invite {
            issue_invite(tx, settings, &change.user.user, at).await?;
        }
        return Ok(Some(CreateOutcome {
            user: change.user,
            created: false,
            reinvited: true,
        }));
    }
    match on_existing {
        OnExisting::Refuse | OnExisting::ReinviteRevoked => Err(Error::Taken(vec!["email"])),
        OnExisting::Return => Ok(Some(CreateOutcome {
            user: view(tx, ctx.tenant, existing).await?,
            created: false,
            reinvited: false,
        })),
    }
}
