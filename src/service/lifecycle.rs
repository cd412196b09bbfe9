//! Status changes and logging a user out.

use super::{view, Context, Error, Result, Services, UserView};
use crate::domain::event::{NewEvent, Note};
use crate::domain::{now, status, Outcome, Transition};
use crate::store::Tx;
use serde_json::json;
use uuid::Uuid;

/// The answer to a status change: the user as they now are, and whether anything changed.
#[derive(Debug, Clone)]
pub struct StatusChange {
    pub user: UserView,
    pub changed: bool,
}

impl Services {
    pub async fn change_status(
        &self,
        ctx: &Context,
        id: Uuid,
        transition: Transition,
        note: &Note,
    ) -> Result<StatusChange> {
        let mut tx = self.store.write().await?;
        let change = apply_transition(&mut tx, ctx, id, transition, note).await?;
        tx.commit().await?;
        Ok(change)
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
    transition: Transition,
    note: &Note,
) -> Result<StatusChange> {
    let at = now();
    let user = tx
        .user(ctx.tenant, id, true)
        .await?
        .ok_or(Error::NotFound("user"))?;
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
