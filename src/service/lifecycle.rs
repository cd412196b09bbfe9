//! Status changes and logging a user out.

use super::user_query::set_extension_locked;
use super::users::patch_locked;
use super::{Context, Error, Result, Services, UserView};
use crate::domain::authority::{is_active_admin, keeps_an_active_admin};
use crate::domain::event::{NewEvent, Note};
use crate::domain::extension::Extension;
use crate::domain::permission::{self, Permission};
use crate::domain::room::{relinquish_plan, MemberRole, RelinquishPlan};
use crate::domain::user::{UserPatch, UserRef};
use crate::domain::Entity;
use crate::domain::{status, Outcome, Status, Transition};
use crate::store::Tx;
use chrono::{DateTime, Utc};
use serde_json::json;
use uuid::Uuid;

/// Options of a deactivation.
#[derive(Debug, Clone, Copy, Default)]
pub struct Deactivation {
    /// Reactivate the user by themselves at this time.
    pub until: Option<DateTime<Utc>>,
    /// Hand over (or remove) the rooms the user alone owns, instead of refusing.
    pub relinquish: bool,
    /// Answer the plan; change nothing.
    pub dry_run: bool,
}

/// A profile edit made together with a status change.
#[derive(Debug, Clone)]
pub struct Edit {
    pub patch: UserPatch,
    /// The version the client read (`If-Match`): the edit requires it.
    pub expected_version: Option<i64>,
    /// An extension's attributes the user ends with.
    pub extension: Option<Extension>,
}

/// What a deactivation did, or (dry run) would do, to the user and their rooms.
#[derive(Debug, Clone)]
pub struct Deactivated {
    pub user: UserView,
    pub changed: bool,
    pub plan: RelinquishPlan,
}

/// Hands rooms over and removes the ownerless ones, with one event per room.
async fn apply_plan(
    tx: &mut Tx,
    ctx: &Context,
    id: Uuid,
    plan: &RelinquishPlan,
    note: &Note,
    at: DateTime<Utc>,
) -> Result<()> {
    if plan.is_empty() {
        return Ok(());
    }
    // The user hands ownership over: the heir becomes owner and the user a plain member, so a
    // later reactivation gives nothing back.
    let heirs: Vec<(Uuid, Uuid)> = plan
        .transfers
        .iter()
        .map(|t| (t.room_id, t.new_owner))
        .collect();
    let handed: Vec<(Uuid, Uuid)> = plan.transfers.iter().map(|t| (t.room_id, id)).collect();
    // The rooms are locked, so every heir is still a member; if one is not, the plan is stale
    // and nothing of it may be applied.
    if tx.set_roles(ctx.tenant, &heirs, MemberRole::Owner).await? != heirs.len() as u64 {
        return Err(Error::Conflict);
    }
    tx.set_roles(ctx.tenant, &handed, MemberRole::Member)
        .await?;
    let removed: Vec<Uuid> = plan.removals.iter().map(|r| r.room_id).collect();
    tx.delete_rooms(ctx.tenant, &removed).await?;
    let events: Vec<NewEvent> = plan
        .transfers
        .iter()
        .map(|t| {
            NewEvent::about(id, "room_ownership_transferred").details(
                json!({ "room_id": t.room_id, "room": t.room_name, "new_owner": t.new_owner }),
            )
        })
        .chain(plan.removals.iter().map(|r| {
            NewEvent::about(id, "room_removed")
                .details(json!({ "room_id": r.room_id, "room": r.room_name }))
        }))
        .collect();
    tx.append_events(&ctx.origin(note, at), &events).await?;
    Ok(())
}

/// The answer to a status change: the user as they now are, and whether anything changed.
#[derive(Debug, Clone)]
pub struct StatusChange {
    pub user: UserView,
    pub changed: bool,
}

impl Services {
    /// Applies a transition. Deactivation always goes through [`Services::deactivate`], so
    /// its rules hold whichever API asks for it; here without handing over rooms.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant))]
    pub async fn change_status<'a>(
        &self,
        ctx: &Context,
        who: impl Into<UserRef<'a>>,
        transition: Transition,
        note: &Note,
    ) -> Result<StatusChange> {
        ctx.require(permission::needed_for(transition))?;
        let who = who.into();
        if transition == Transition::Deactivate {
            let done = self
                .deactivate(ctx, who, note, Deactivation::default())
                .await?;
            return Ok(StatusChange {
                user: done.user,
                changed: done.changed,
            });
        }
        let mut tx = self.store.write().await?;
        let change = apply_transition(&mut tx, ctx, who, |_| transition, note, self.now()).await?;
        tx.commit().await?;
        Ok(change)
    }

    /// Makes the user active again, whatever the way back from their status is (an invited
    /// user joins, a deactivated one is reactivated; banned and revoked users are refused).
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant))]
    pub async fn make_active<'a>(
        &self,
        ctx: &Context,
        who: impl Into<UserRef<'a>>,
        note: &Note,
    ) -> Result<StatusChange> {
        ctx.require(permission::needed_for(Transition::Reactivate))?;
        let mut tx = self.store.write().await?;
        let change = apply_transition(
            &mut tx,
            ctx,
            who.into(),
            status::activation_for,
            note,
            self.now(),
        )
        .await?;
        tx.commit().await?;
        Ok(change)
    }

    /// Deactivates a user under the deactivation rules: the tenant keeps an active admin, and
    /// no room is left without an owner. Rooms the user alone owns pass to their oldest active
    /// member or are removed, which needs `relinquish`; without it such rooms refuse the call
    /// and nothing changes. A dry run answers the plan and changes nothing.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant))]
    pub async fn deactivate<'a>(
        &self,
        ctx: &Context,
        who: impl Into<UserRef<'a>>,
        note: &Note,
        options: Deactivation,
    ) -> Result<Deactivated> {
        ctx.require(permission::needed_for(Transition::Deactivate))?;
        self.deactivate_as(ctx, who.into(), note, options, false, None)
            .await
    }

    /// Deactivates a user their identity provider deleted (SCIM's DELETE), under the same
    /// rules, and records the deletion in the same transaction: the provider no longer sees
    /// them. A user already deactivated is only marked.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant))]
    pub async fn deprovision<'a>(
        &self,
        ctx: &Context,
        who: impl Into<UserRef<'a>>,
        note: &Note,
    ) -> Result<Deactivated> {
        ctx.require(permission::needed_for(Transition::Deactivate))?;
        self.deactivate_as(ctx, who.into(), note, Deactivation::default(), true, None)
            .await
    }

    /// Edits a profile and, when `active` says so, deactivates or (re)activates the user, in
    /// one transaction: a deactivation refused by its rules (the last admin, a room's last
    /// owner) leaves the profile as it was. An identity provider's PUT and PATCH.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant))]
    pub async fn edit_and_set_active<'a>(
        &self,
        ctx: &Context,
        who: impl Into<UserRef<'a>>,
        edit: Edit,
        active: Option<bool>,
        note: &Note,
    ) -> Result<UserView> {
        ctx.require_one(&[Permission::EditProfiles])?;
        match active {
            Some(false) => ctx.require(permission::needed_for(Transition::Deactivate))?,
            Some(true) => ctx.require(permission::needed_for(Transition::Reactivate))?,
            None => {}
        }
        let password_hash = match &edit.patch.password {
            Some(p) => Some(self.passwords.hash(p).await?),
            None => None,
        };
        let edit = (edit, password_hash);
        if active == Some(false) {
            let done = self
                .deactivate_as(
                    ctx,
                    who.into(),
                    note,
                    Deactivation::default(),
                    false,
                    Some(edit),
                )
                .await?;
            return Ok(done.user);
        }
        let (edit, password_hash) = edit;
        let at = self.now();
        let mut tx = self.store.write().await?;
        let locked = lock_view(&mut tx, ctx.tenant, who.into()).await?;
        let mut user = patch_locked(
            &mut tx,
            ctx,
            locked.user,
            edit.patch,
            password_hash,
            edit.expected_version,
            at,
        )
        .await?;
        if let Some(ext) = &edit.extension {
            user = set_extension_locked(&mut tx, ctx, user, ext, at).await?;
        }
        if active == Some(true) && user.user.status != Status::Active {
            let transition = status::activation_for(user.user.status);
            user = transition_locked(&mut tx, ctx, user, transition, note, at)
                .await?
                .user;
        }
        tx.commit().await?;
        Ok(user)
    }

    async fn deactivate_as(
        &self,
        ctx: &Context,
        who: UserRef<'_>,
        note: &Note,
        options: Deactivation,
        deprovision: bool,
        edit: Option<(Edit, Option<String>)>,
    ) -> Result<Deactivated> {
        let mut tx = self.store.write().await?;
        // Locks are taken in one order (the tenant's admins, the user, the user's rooms), so two
        // deactivations that meet on an admin or a room wait for each other and never deadlock.
        // Most users are not admins: lock the user first, and start over with the admins
        // locked first only when the user turns out to be one.
        let mut locked = lock_view(&mut tx, ctx.tenant, who).await?;
        let id = locked.user.id;
        let mut admins = None;
        if is_active_admin(&locked.user) {
            tx.rollback().await?;
            tx = self.store.write().await?;
            admins = Some(tx.lock_active_admins(ctx.tenant).await?);
            locked = lock_view(&mut tx, ctx.tenant, UserRef::Id(id)).await?;
        }
        let edited = edit.is_some();
        if let Some((edit, password_hash)) = edit {
            locked = patch_locked(
                &mut tx,
                ctx,
                locked.user,
                edit.patch,
                password_hash,
                edit.expected_version,
                self.now(),
            )
            .await?;
            if let Some(ext) = &edit.extension {
                locked = set_extension_locked(&mut tx, ctx, locked, ext, self.now()).await?;
            }
        }
        if status::apply(locked.user.status, Transition::Deactivate)? == Outcome::Unchanged {
            if deprovision {
                tx.mark_deprovisioned(ctx.tenant, id, self.now()).await?;
            }
            let lift = options.until.filter(|_| !options.dry_run);
            if let Some(until) = lift {
                // An end time for a deactivation already in force.
                super::schedules::set_lift(
                    &mut tx,
                    ctx,
                    id,
                    Transition::Reactivate,
                    until,
                    note,
                    self.now(),
                )
                .await?;
            }
            if deprovision || edited || lift.is_some() {
                tx.commit().await?;
            }
            return Ok(Deactivated {
                user: locked,
                changed: false,
                plan: RelinquishPlan::default(),
            });
        }
        if is_active_admin(&locked.user) {
            // Became an admin while unlocked: the locks were not taken in order.
            let admins = admins.as_deref().ok_or(Error::Conflict)?;
            keeps_an_active_admin(admins, id)?;
        }
        // A user in no room (the common case) needs no room facts.
        let plan = match tx.lock_rooms_of(ctx.tenant, id).await? {
            0 => RelinquishPlan::default(),
            _ => relinquish_plan(&tx.room_facts(ctx.tenant, id).await?),
        };
        if options.dry_run {
            return Ok(Deactivated {
                user: locked,
                changed: false,
                plan,
            });
        }
        if !plan.is_empty() && !options.relinquish {
            return Err(Error::LastOwner {
                should_change_owner: plan.transfers.iter().map(|t| t.room_name.clone()).collect(),
                should_be_removed: plan.removals.iter().map(|r| r.room_name.clone()).collect(),
            });
        }
        let at = self.now();
        apply_plan(&mut tx, ctx, id, &plan, note, at).await?;
        let change =
            transition_locked(&mut tx, ctx, locked, Transition::Deactivate, note, at).await?;
        if deprovision {
            tx.mark_deprovisioned(ctx.tenant, id, at).await?;
        }
        if let Some(until) = options.until {
            super::schedules::set_lift(&mut tx, ctx, id, Transition::Reactivate, until, note, at)
                .await?;
        }
        tx.commit().await?;
        Ok(Deactivated {
            user: change.user,
            changed: change.changed,
            plan,
        })
    }

    /// Ends every session of the user; answers how many were live.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant))]
    pub async fn logout<'a>(
        &self,
        ctx: &Context,
        who: impl Into<UserRef<'a>>,
        note: &Note,
    ) -> Result<u64> {
        ctx.require_one(&[Permission::ForceLogout])?;
        let at = self.now();
        let mut tx = self.store.write().await?;
        let id = tx
            .user_by_ref(ctx.tenant, who.into(), true)
            .await?
            .ok_or(Error::NotFound(Entity::User))?
            .id;
        let revoked = tx.revoke_sessions(ctx.tenant, id, at).await?;
        if revoked > 0 {
            tx.append_event(
                &ctx.origin(note, at),
                &NewEvent::about(id, "logged_out").details(json!({ "sessions_revoked": revoked })),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(revoked)
    }
}

/// Locks the user's row and reads them with their groups, in one query.
pub(crate) async fn lock_view(tx: &mut Tx, tenant: Uuid, who: UserRef<'_>) -> Result<UserView> {
    let (user, groups) = tx
        .user_with_group_keys(tenant, who, true)
        .await?
        .ok_or(Error::NotFound(Entity::User))?;
    Ok(UserView { user, groups })
}

/// Locks the user, asks the state machine, and writes the outcome with its event (and, for
/// transitions that end access, the revocation of every session) inside `tx`.
pub(crate) async fn apply_transition(
    tx: &mut Tx,
    ctx: &Context,
    who: UserRef<'_>,
    choose: impl FnOnce(Status) -> Transition,
    note: &Note,
    at: DateTime<Utc>,
) -> Result<StatusChange> {
    let locked = lock_view(tx, ctx.tenant, who).await?;
    let transition = choose(locked.user.status);
    transition_locked(tx, ctx, locked, transition, note, at).await
}

/// [`apply_transition`] for a caller that already holds the user's row locked in `tx` (and
/// read their groups: a status change leaves them as they are).
pub(crate) async fn transition_locked(
    tx: &mut Tx,
    ctx: &Context,
    locked: UserView,
    transition: Transition,
    note: &Note,
    at: DateTime<Utc>,
) -> Result<StatusChange> {
    let UserView { user, groups } = locked;
    let id = user.id;
    let to = match status::apply(user.status, transition)? {
        Outcome::Unchanged => {
            return Ok(StatusChange {
                user: UserView { user, groups },
                changed: false,
            })
        }
        Outcome::Changed(to) => to,
    };
    let updated = tx.set_status(ctx.tenant, id, to, at).await?;
    let mut event = NewEvent::about(id, transition.event_action()).status(Some(user.status), to);
    if transition.ends_invites() {
        tx.revoke_invites(ctx.tenant, id, at).await?;
    }
    if transition.revokes_sessions() {
        let revoked = tx.revoke_sessions(ctx.tenant, id, at).await?;
        event = event.details(json!({ "sessions_revoked": revoked }));
    }
    tx.append_event(&ctx.origin(note, at), &event).await?;
    Ok(StatusChange {
        user: UserView {
            user: updated,
            groups,
        },
        changed: true,
    })
}
