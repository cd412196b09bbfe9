//! Creating, reading and editing users.

use super::lifecycle::apply_transition;
use super::{view, with_groups, Context, Error, Page, Result, Services, UserView};
use crate::domain::event::{Event, NewEvent, Note};
use crate::domain::fields::email_key;
use crate::domain::user::{NewUser, UserPatch};
use crate::domain::{now, Status, Transition};
use crate::store::{EventCursor, Tx, UserFilter, UserRecord};
use serde_json::{json, Value};
use uuid::Uuid;

/// What creating a user did: made a new one, or invited a revoked one again.
#[derive(Debug, Clone)]
pub struct CreateOutcome {
    pub user: UserView,
    pub created: bool,
}

/// Extra facts recorded on the `created` event.
#[derive(Debug, Clone, Default)]
pub struct Creation {
    pub note: Note,
    /// Client metadata kept on the event as given.
    pub metadata: Option<Value>,
}

impl Services {
    /// Creates a user. Creating the email of a revoked user invites that user again instead
    /// (the only way out of `revoked`); then nothing else of `new` is applied.
    pub async fn create_user(
        &self,
        ctx: &Context,
        new: NewUser,
        creation: Creation,
    ) -> Result<CreateOutcome> {
        // Hash before the transaction: argon2 takes tens of milliseconds, a lock should not.
        let password_hash = match &new.password {
            Some(p) => Some(self.passwords.hash(p).await?),
            None => None,
        };
        let mut tx = self.store.write().await?;
        if let Some(email) = &new.email {
            let existing = tx.user_by_email(ctx.tenant, &email.key(), true).await?;
            if let Some(revoked) = existing.filter(|u| u.status == Status::Revoked) {
                let change = apply_transition(
                    &mut tx,
                    ctx,
                    revoked.id,
                    Transition::Reinvite,
                    &creation.note,
                )
                .await?;
                tx.commit().await?;
                return Ok(CreateOutcome {
                    user: change.user,
                    created: false,
                });
            }
        }
        let user = insert_user(&mut tx, ctx, &new, password_hash, &creation).await?;
        tx.commit().await?;
        Ok(CreateOutcome {
            user,
            created: true,
        })
    }

    pub async fn user(&self, ctx: &Context, id: Uuid) -> Result<UserView> {
        let mut tx = self.store.read().await?;
        let user = tx
            .user(ctx.tenant, id, false)
            .await?
            .ok_or(Error::NotFound("user"))?;
        view(&mut tx, ctx.tenant, user).await
    }

    pub async fn users(
        &self,
        ctx: &Context,
        filter: &UserFilter,
        after: Option<i64>,
        limit: u32,
    ) -> Result<Page<UserView, i64>> {
        let mut tx = self.store.read().await?;
        let users = tx.users(ctx.tenant, filter, after, limit).await?;
        let next = (users.len() == limit as usize)
            .then(|| users.last().map(|u| u.number))
            .flatten();
        let items = with_groups(&mut tx, ctx.tenant, users).await?;
        Ok(Page { items, next })
    }

    /// Applies a profile patch. `expected_version` (from `If-Match`) makes it conditional.
    pub async fn patch_user(
        &self,
        ctx: &Context,
        id: Uuid,
        patch: UserPatch,
        expected_version: Option<i64>,
    ) -> Result<UserView> {
        let password_hash = match &patch.password {
            Some(p) => Some(self.passwords.hash(p).await?),
            None => None,
        };
        let at = now();
        let mut tx = self.store.write().await?;
        let user = tx
            .user(ctx.tenant, id, true)
            .await?
            .ok_or(Error::NotFound("user"))?;
        if let Some(expected) = expected_version {
            if expected != user.version {
                return Err(Error::VersionMismatch {
                    expected,
                    current: user.version,
                });
            }
        }
        let change = patch.apply(&user);
        if change.is_empty() && password_hash.is_none() {
            return view(&mut tx, ctx.tenant, user).await;
        }
        // Only values that change need to be free; keeping your own email is not a conflict.
        let new_email_key = change
            .profile
            .email
            .as_deref()
            .map(email_key)
            .filter(|k| user.email.as_deref().map(email_key).as_ref() != Some(k));
        let new_external_id = change
            .profile
            .external_id
            .as_deref()
            .filter(|x| user.external_id.as_deref() != Some(*x));
        if new_email_key.is_some() || new_external_id.is_some() {
            let taken = tx
                .taken_by_other(
                    ctx.tenant,
                    Some(id),
                    new_email_key.as_deref(),
                    new_external_id,
                )
                .await?;
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
        let view = view(&mut tx, ctx.tenant, updated).await?;
        tx.commit().await?;
        Ok(view)
    }

    /// One user's audit timeline.
    pub async fn user_events(
        &self,
        ctx: &Context,
        id: Uuid,
        after: i64,
        limit: u32,
    ) -> Result<Page<Event, i64>> {
        let mut tx = self.store.read().await?;
        tx.user(ctx.tenant, id, false)
            .await?
            .ok_or(Error::NotFound("user"))?;
        let items = tx.user_events(ctx.tenant, id, after, limit).await?;
        let next = items
            .last()
            .map(|e| e.seq)
            .filter(|_| items.len() == limit as usize);
        Ok(Page { items, next })
    }

    /// The tenant's audit feed. Its cursor is always returned, so a client can poll from it.
    pub async fn feed(
        &self,
        ctx: &Context,
        after: EventCursor,
        limit: u32,
    ) -> Result<Page<Event, EventCursor>> {
        let mut tx = self.store.read().await?;
        let items = tx.feed(ctx.tenant, after, limit).await?;
        let next = Some(items.last().map_or(after, |e| EventCursor {
            tx_order: e.tx_order,
            seq: e.seq,
        }));
        Ok(Page { items, next })
    }
}

/// Inserts a user with their group memberships and the `created` event, inside `tx`. Shared by
/// every way of creating a user.
pub(crate) async fn insert_user(
    tx: &mut Tx,
    ctx: &Context,
    new: &NewUser,
    password_hash: Option<String>,
    creation: &Creation,
) -> Result<UserView> {
    let at = now();
    let taken = tx
        .taken_by_other(
            ctx.tenant,
            None,
            new.email.as_ref().map(|e| e.key()).as_deref(),
            new.external_id.as_ref().map(|x| x.as_str()),
        )
        .await?;
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
    if let Some(parent) = new.parent_id {
        tx.user(ctx.tenant, parent, false)
            .await?
            .ok_or_else(|| Error::invalid("parent_id", "no such user in this tenant"))?;
    }
    let record = UserRecord {
        id: Uuid::now_v7(),
        tenant_id: ctx.tenant,
        email: new.email.as_ref().map(|e| e.as_str().to_owned()),
        external_id: new.external_id.as_ref().map(|x| x.as_str().to_owned()),
        first_name: new.first_name.as_ref().map(|n| n.as_str().to_owned()),
        last_name: new.last_name.as_ref().map(|n| n.as_str().to_owned()),
        phone_number: new.phone_number.as_ref().map(|p| p.as_str().to_owned()),
        password_hash,
        status: new.status,
        roles: new.roles.clone(),
        referral_code: super::secrets::referral_code(),
        parent_id: new.parent_id,
        sessions_limit: new.sessions_limit,
        at,
    };
    let user = tx.insert_user(&record).await?;
    for group in &groups {
        tx.add_group_member(ctx.tenant, group.id, user.id, at)
            .await?;
    }
    let mut details = json!({ "groups": keys });
    if let Some(metadata) = &creation.metadata {
        details["metadata"] = metadata.clone();
    }
    tx.append_event(
        &ctx.origin(&creation.note, at),
        &NewEvent::about(user.id, "created")
            .status(None, user.status)
            .details(details),
    )
    .await?;
    Ok(UserView {
        user,
        groups: groups.into_iter().map(|g| g.key).collect(),
    })
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
