//! Status changes in time: bans and deactivations that end by themselves, changes scheduled
//! for later, and the scheduler that carries them out as roster (actor `system`).

use super::lifecycle::{
    apply_transition, lock_view, transition_locked, Deactivation, StatusChange,
};
use super::{Context, Error, Result, Services};
use crate::domain::event::{NewEvent, Note};
use crate::domain::permission::{self, Need, Permission};
use crate::domain::schedule::{
    check_until, decide_lift, lift_of, schedulable, ChangeKind, LiftDecision, ScheduledChange,
};
use crate::domain::user::UserRef;
use crate::domain::{status, Entity, FieldError, Transition};
use crate::store::{DueChange, Tx};
use chrono::{DateTime, Utc};
use serde_json::json;
use uuid::Uuid;

/// Queues the lift of a ban or deactivation at `until`, replacing any pending lift of the
/// user. It remembers the user's last status change: a later one supersedes it.
pub(crate) async fn set_lift(
    tx: &mut Tx,
    ctx: &Context,
    user: Uuid,
    lift: Transition,
    until: DateTime<Utc>,
    note: &Note,
    at: DateTime<Utc>,
) -> Result<()> {
    tx.cancel_lifts(ctx.tenant, user, "replaced by a newer end time", at)
        .await?;
    let after_seq = tx.last_status_event(ctx.tenant, user).await?;
    let change = ScheduledChange {
        id: Uuid::now_v7(),
        user_id: user,
        kind: ChangeKind::Lift,
        transition: lift,
        due_at: until,
        until: None,
        reason: note.reason.clone(),
        reference_id: note.reference_id.clone(),
        status: "pending".to_owned(),
        outcome: None,
        created_by: ctx.actor.clone(),
        created_at: at,
        settled_at: None,
    };
    Ok(tx
        .insert_scheduled_change(ctx.tenant, &change, after_seq)
        .await?)
}

/// What a client asks to schedule.
#[derive(Debug, Clone)]
pub struct ScheduleRequest {
    pub user: Uuid,
    /// `ban`, `unban`, `deactivate` or `reactivate`.
    pub action: String,
    pub at: DateTime<Utc>,
    pub until: Option<DateTime<Utc>>,
    pub note: Note,
}

impl Services {
    /// A status change with an optional end time (`until`, for ban and deactivate), after
    /// which roster lifts it by itself. Without `until`, [`Services::change_status`].
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant))]
    pub async fn change_status_until<'a>(
        &self,
        ctx: &Context,
        who: impl Into<UserRef<'a>>,
        transition: Transition,
        note: &Note,
        until: Option<DateTime<Utc>>,
    ) -> Result<StatusChange> {
        ctx.require(permission::needed_for(transition))?;
        let Some(until) = until else {
            return self.change_status(ctx, who, transition, note).await;
        };
        let at = self.now();
        let lift = check_until(transition, at, until).map_err(|e| Error::Invalid(vec![e]))?;
        if transition == Transition::Deactivate {
            let options = Deactivation {
                until: Some(until),
                ..Deactivation::default()
            };
            let done = self.deactivate(ctx, who, note, options).await?;
            return Ok(StatusChange {
                user: done.user,
                changed: done.changed,
            });
        }
        let mut tx = self.store.write().await?;
        let change = apply_transition(&mut tx, ctx, who.into(), |_| transition, note, at).await?;
        set_lift(&mut tx, ctx, change.user.user.id, lift, until, note, at).await?;
        tx.commit().await?;
        Ok(change)
    }

    /// Schedules a status change for a later time.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant, user = %req.user))]
    pub async fn schedule_change(
        &self,
        ctx: &Context,
        req: ScheduleRequest,
    ) -> Result<ScheduledChange> {
        let now = self.now();
        let mut errors = Vec::new();
        let transition = schedulable(&req.action);
        if transition.is_none() {
            errors.push(FieldError::new(
                "action",
                "must be ban, unban, deactivate or reactivate",
            ));
        }
        if req.at <= now {
            errors.push(FieldError::new("at", "must be in the future"));
        }
        if let (Some(t), Some(until)) = (transition, req.until) {
            if let Err(e) = check_until(t, req.at, until) {
                errors.push(e);
            }
        }
        let Some(transition) = transition.filter(|_| errors.is_empty()) else {
            return Err(Error::Invalid(errors));
        };
        ctx.require(permission::needed_for(transition))?;
        let change = ScheduledChange {
            id: Uuid::now_v7(),
            user_id: req.user,
            kind: ChangeKind::Scheduled,
            transition,
            due_at: req.at,
            until: req.until,
            reason: req.note.reason,
            reference_id: req.note.reference_id,
            status: "pending".to_owned(),
            outcome: None,
            created_by: ctx.actor.clone(),
            created_at: now,
            settled_at: None,
        };
        let mut tx = self.store.write().await?;
        tx.user(ctx.tenant, req.user, false)
            .await?
            .ok_or(Error::NotFound(Entity::User))?;
        tx.insert_scheduled_change(ctx.tenant, &change, None)
            .await?;
        tx.commit().await?;
        Ok(change)
    }

    /// The tenant's scheduled changes and lifts (of one user; pending only), by due time.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant))]
    pub async fn scheduled_changes(
        &self,
        ctx: &Context,
        user: Option<Uuid>,
        pending_only: bool,
    ) -> Result<Vec<ScheduledChange>> {
        ctx.require_one(&[Permission::ViewUsers])?;
        let mut tx = self.store.read().await?;
        Ok(tx.scheduled_changes(ctx.tenant, user, pending_only).await?)
    }

    /// Cancels a pending change; one already carried out, skipped or cancelled is a conflict.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant, change = %id))]
    pub async fn cancel_scheduled_change(
        &self,
        ctx: &Context,
        id: Uuid,
    ) -> Result<ScheduledChange> {
        ctx.require(Need(&[Permission::ChangeStatus, Permission::Moderate]))?;
        let mut tx = self.store.write().await?;
        let outcome = format!("cancelled by {}", ctx.actor);
        if !tx
            .settle_scheduled_change(ctx.tenant, id, "cancelled", Some(&outcome), self.now())
            .await?
        {
            tx.scheduled_change(ctx.tenant, id)
                .await?
                .ok_or(Error::NotFound(Entity::ScheduledChange))?;
            return Err(Error::Conflict);
        }
        let change = tx
            .scheduled_change(ctx.tenant, id)
            .await?
            .ok_or(Error::NotFound(Entity::ScheduledChange))?;
        tx.commit().await?;
        Ok(change)
    }

    /// Carries out every change that is due, one transaction each; answers how many ran.
    /// Each is claimed for `lease`, so another process takes it only if this one died.
    pub async fn run_due_changes(&self, lease: chrono::Duration) -> Result<usize> {
        let mut ran = 0;
        loop {
            let at = self.now();
            let mut tx = self.store.write().await?;
            let Some(due) = tx.claim_due_change(at, at + lease).await? else {
                return Ok(ran);
            };
            tx.commit().await?;
            self.run_change(due).await?;
            ran += 1;
        }
    }

    #[tracing::instrument(skip_all, fields(tenant = %due.tenant_id, change = %due.change.id))]
    async fn run_change(&self, due: DueChange) -> Result<()> {
        let ctx = Context::system(due.tenant_id);
        let c = &due.change;
        let note = Note {
            reason: c.reason.clone(),
            reference_id: c.reference_id.clone(),
            occurred_at: None,
        };
        if c.kind == ChangeKind::Scheduled && c.transition == Transition::Deactivate {
            // Deactivation has its own locking and room hand-over; it is idempotent, so a
            // re-run after a crash before settling changes nothing twice.
            let options = Deactivation {
                relinquish: true,
                until: c.until,
                ..Deactivation::default()
            };
            let outcome = self.deactivate(&ctx, c.user_id, &note, options).await;
            let mut tx = self.store.write().await?;
            let at = self.now();
            match outcome {
                Ok(_) => {
                    tx.settle_scheduled_change(ctx.tenant, c.id, "done", None, at)
                        .await?;
                }
                Err(e) if refusal(&e) => skip(&mut tx, &ctx, c, &note, &e.to_string(), at).await?,
                Err(e) => return Err(e),
            }
            return Ok(tx.commit().await?);
        }
        let mut tx = self.store.write().await?;
        let at = self.now();
        let locked = match lock_view(&mut tx, ctx.tenant, UserRef::Id(c.user_id)).await {
            Ok(locked) => locked,
            Err(e) if refusal(&e) => {
                skip(&mut tx, &ctx, c, &note, &e.to_string(), at).await?;
                return Ok(tx.commit().await?);
            }
            Err(e) => return Err(e),
        };
        let decision = match c.kind {
            ChangeKind::Lift => {
                let last = tx.last_status_event(ctx.tenant, c.user_id).await?;
                decide_lift(c.transition, locked.user.status, last > due.after_seq)
            }
            ChangeKind::Scheduled => match status::apply(locked.user.status, c.transition) {
                Ok(_) => LiftDecision::Apply(locked.user.status),
                Err(e) => LiftDecision::Skip(Error::from(e).to_string()),
            },
        };
        match decision {
            LiftDecision::Apply(_) => {
                let change =
                    transition_locked(&mut tx, &ctx, locked, c.transition, &note, at).await?;
                if let (Some(until), Some(lift)) = (c.until, lift_of(c.transition)) {
                    set_lift(&mut tx, &ctx, change.user.user.id, lift, until, &note, at).await?;
                }
                tx.settle_scheduled_change(ctx.tenant, c.id, "done", None, at)
                    .await?;
            }
            LiftDecision::Skip(reason) => skip(&mut tx, &ctx, c, &note, &reason, at).await?,
        }
        Ok(tx.commit().await?)
    }
}

/// Refusals a change meets when its time comes: recorded as skipped, never retried.
fn refusal(e: &Error) -> bool {
    matches!(
        e,
        Error::Transition { .. }
            | Error::LastAdmin
            | Error::LastOwner { .. }
            | Error::NotFound(_)
            | Error::Invalid(_)
    )
}

/// Records that a change was not made, and why: on the change and as an event of the user.
async fn skip(
    tx: &mut Tx,
    ctx: &Context,
    c: &ScheduledChange,
    note: &Note,
    reason: &str,
    at: DateTime<Utc>,
) -> Result<()> {
    tracing::info!(reason, "a scheduled status change is skipped");
    if tx.user(ctx.tenant, c.user_id, false).await?.is_some() {
        tx.append_event(
            &ctx.origin(note, at),
            &NewEvent::about(c.user_id, "status_change_skipped").details(json!({
                "change_id": c.id,
                "kind": c.kind.as_str(),
                "action": c.transition.as_str(),
                "reason": reason,
            })),
        )
        .await?;
    }
    tx.settle_scheduled_change(ctx.tenant, c.id, "skipped", Some(reason), at)
        .await?;
    Ok(())
}
