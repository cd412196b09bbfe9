//! Status changes and logging a user out.

use super::{view, Context, Error, Result, Services, UserView};
use crate::domain::event::{NewEvent, Note};
use crate::domain::room::{relinquish_plan, MemberRole, RelinquishPlan};
use crate::domain::user::{Role, User};
use crate::domain::{now, status, Outcome, Status, Transition};
use crate::store::Tx;
use serde_json::json;
use uuid::Uuid;

/// Options of a deactivation.
#[derive(Debug, Clone, Copy, Default)]
pub struct Deactivation {
    /// Hand over (or remove) the rooms the user alone owns, instead of refusing.
    pub relinquish: bool,
    /// Answer the plan; change nothing.
    pub dry_run: bool,
}

/// What a deactivation did, or (dry run) would do, to the user and their rooms.
#[derive(Debug, Clone)]
pub struct Deactivated {
    pub user: UserView,
    pub changed: bool,
    pub plan: RelinquishPlan,
}

fn is_active_admin(user: &User) -> bool {
    user.status == Status::Active && user.roles.contains(Role::Admin)
}

/// Hands rooms over and removes the ownerless ones, with one event per room.
async fn apply_plan(
    tx: &mut Tx,
    ctx: &Context,
    id: Uuid,
    plan: &RelinquishPlan,
    note: &Note,
) -> Result<()> {
    if plan.is_empty() {
        return Ok(());
    }
    let at = now();
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
    pub async fn change_status(
        &self,
        ctx: &Context,
        id: Uuid,
        transition: Transition,
        note: &Note,
    ) -> Result<StatusChange> {
        if transition == Transition::Deactivate {
            let done = self
                .deactivate(ctx, id, note, Deactivation::default())
                .await?;
            return Ok(StatusChange {
                user: done.user,
                changed: done.changed,
            });
        }
        let mut tx = self.store.write().await?;
        let change = apply_transition(&mut tx, ctx, id, |_| transition, note).await?;
        tx.commit().await?;
        Ok(change)
    }

    /// Makes the user active again, whatever the way back from their status is (an invited
    /// user joins, a deactivated one is reactivated; banned and revoked users are refused).
    pub async fn make_active(&self, ctx: &Context, id: Uuid, note: &Note) -> Result<StatusChange> {
        let mut tx = self.store.write().await?;
        let change = apply_transition(&mut tx, ctx, id, status::activation_for, note).await?;
        tx.commit().await?;
        Ok(change)
    }

    /// Deactivates a user under the deactivation rules: the tenant keeps an active admin, and
    /// no room is left without an owner. Rooms the user alone owns pass to their oldest active
    /// member or are removed, which needs `relinquish`; without it such rooms refuse the call
    /// and nothing changes. A dry run answers the plan and changes nothing.
    pub async fn deactivate(
        &self,
        ctx: &Context,
        id: Uuid,
        note: &Note,
        options: Deactivation,
    ) -> Result<Deactivated> {
        let mut tx = self.store.write().await?;
        let peek = tx
            .user(ctx.tenant, id, false)
            .await?
            .ok_or(Error::NotFound("user"))?;
        // Locks are taken in one order (the tenant's admins, the user, the user's rooms), so two
        // deactivations that meet on an admin or a room wait for each other and never deadlock.
        let admins = match is_active_admin(&peek) {
            true => Some(tx.lock_active_admins(ctx.tenant).await?),
            false => None,
        };
        let user = tx
            .user(ctx.tenant, id, true)
            .await?
            .ok_or(Error::NotFound("user"))?;
        if status::apply(user.status, Transition::Deactivate)? == Outcome::Unchanged {
            return Ok(Deactivated {
                user: view(&mut tx, ctx.tenant, user).await?,
                changed: false,
                plan: RelinquishPlan::default(),
            });
        }
        if is_active_admin(&user) {
            match &admins {
                Some(admins) if admins.iter().any(|a| *a != id) => {}
                Some(_) => return Err(Error::LastAdmin),
                // Became an admin after the first look: the locks were not taken in order.
                None => return Err(Error::Conflict),
            }
        }
        tx.lock_rooms_of(ctx.tenant, id).await?;
        let plan = relinquish_plan(&tx.room_facts(ctx.tenant, id).await?);
        if options.dry_run {
            return Ok(Deactivated {
                user: view(&mut tx, ctx.tenant, user).await?,
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
        apply_plan(&mut tx, ctx, id, &plan, note).await?;
        let change = transition_locked(&mut tx, ctx, user, Transition::Deactivate, note).await?;
        tx.commit().await?;
        Ok(Deactivated {
            user: change.user,
            changed: change.changed,
            plan,
        })
    }

    /// Ends every session of the user; answers how many were live.
    pub async fn logout(&self, ctx: &Context, id: Uuid, note: &Note) -> Result<u64> {
        let at = now();
        let mut tx = self.store.write().await?;
        tx.user(ctx.tenant, id, true)
            .await?
            .ok_or(Error::NotFound("user"))?;
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

/// Locks the user, asks the state machine, and writes the outcome with its event (and, for
/// transitions that end access, the revocation of every session) inside `tx`.
pub(crate) async fn apply_transition(
    tx: &mut Tx,
    ctx: &Context,
    id: Uuid,
    choose: impl FnOnce(Status) -> Transition,
    note: &Note,
) -> Result<StatusChange> {
    let user = tx
        .user(ctx.tenant, id, true)
        .await?
        .ok_or(Error::NotFound("user"))?;
    let transition = choose(user.status);
    transition_locked(tx, ctx, user, transition, note).await
}

/// [`apply_transition`] for a caller that already holds `user`'s row locked in `tx`.
pub(crate) async fn transition_locked(
    tx: &mut Tx,
    ctx: &Context,
    user: User,
    transition: Transition,
    note: &Note,
) -> Result<StatusChange> {
    let at = now();
    let id = user.id;
    let to = match status::apply(user.status, transition)? {
        Outcome::Unchanged => {
            return Ok(StatusChange {
                user: view(tx, ctx.tenant, user).await?,
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
        user: view(tx, ctx.tenant, updated).await?,
        changed: true,
    })
}
