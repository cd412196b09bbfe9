//! Users in bulk: import (create or update by email or external id, a chunk of lines per
//! transaction, results streamed line by line), export (keyset pages, streamed) and erasure.

use super::invites::issue_invite;
use super::{Context, Error, Result, Services};
use crate::domain::authority::{is_active_admin, keeps_an_active_admin};
use crate::domain::event::{NewEvent, Note};
use crate::domain::import::{ImportUpdate, ImportUser, UserLine};
use crate::domain::permission::{BuiltinRole, Permission};
use crate::domain::user::{User, UserFilter};
use crate::domain::{Entity, FieldError, Status};
use crate::store::{Matched, Tx, UserRecord};
use chrono::{DateTime, Utc};
use futures::{Stream, StreamExt};
use serde_json::json;
use std::collections::{HashMap, HashSet};
use tokio::sync::mpsc;
use uuid::Uuid;

/// How an import runs.
#[derive(Debug, Clone, Copy)]
pub struct ImportOptions {
    /// Every chunk is rolled back instead of committed; the results say what would happen.
    pub dry_run: bool,
    /// Queue an invite email for each user created `invited`.
    pub send_invites: bool,
    /// Lines per transaction (1 to 5,000).
    pub chunk_size: usize,
}

impl Default for ImportOptions {
    fn default() -> Self {
        Self {
            dry_run: false,
            send_invites: false,
            chunk_size: 1000,
        }
    }
}

/// One line of an import as read: its number (from 1) and the user, or why it could not be read.
#[derive(Debug, Clone)]
pub struct ImportLine {
    pub number: u64,
    pub user: std::result::Result<ImportUser, Vec<FieldError>>,
}

impl ImportLine {
    /// Line `number` of an NDJSON import (without its newline).
    pub fn from_ndjson(number: u64, text: &[u8]) -> Self {
        Self {
            number,
            user: UserLine::from_json(text)
                .map_err(|e| vec![e])
                .and_then(UserLine::parse),
        }
    }
}

/// What became of one line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LineResult {
    Created(Uuid),
    Updated(Uuid),
    Unchanged(Uuid),
    Refused(Vec<FieldError>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineOutcome {
    pub line: u64,
    pub result: LineResult,
}

/// Counts so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImportTally {
    pub lines: u64,
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub refused: u64,
    /// Transactions committed (rolled back, in a dry run).
    pub chunks: u64,
}

impl ImportTally {
    fn count(&mut self, r: &LineResult) {
        self.lines += 1;
        match r {
            LineResult::Created(_) => self.created += 1,
            LineResult::Updated(_) => self.updated += 1,
            LineResult::Unchanged(_) => self.unchanged += 1,
            LineResult::Refused(_) => self.refused += 1,
        }
    }
}

/// What an import reports as it goes: each line's result, then the tally after each chunk.
#[derive(Debug, Clone)]
pub enum ImportReport {
    Line(LineOutcome),
    Chunk(ImportTally),
}

/// How an export runs.
#[derive(Debug, Clone, Default)]
pub struct ExportOptions {
    pub filter: UserFilter,
    /// Include each user's stored password hash (the operator's CLI only).
    pub password_hashes: bool,
}

impl Services {
    /// Imports `lines`, a chunk per transaction (a line that fails to be read, such as a body
    /// cut off, ends the import with the chunk in hand rolled back), sending each line's result and each chunk's
    /// tally to `out` as soon as its chunk ends. Stops early (after the chunk in hand) when
    /// `out` is closed. Answers the final tally.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant))]
    pub async fn import_users<S>(
        &self,
        ctx: &Context,
        lines: S,
        options: ImportOptions,
        out: mpsc::Sender<ImportReport>,
    ) -> Result<ImportTally>
    where
        S: Stream<Item = std::io::Result<ImportLine>> + Send,
    {
        ctx.require_one(&[Permission::CreateUsers])?;
        ctx.require_one(&[Permission::EditProfiles])?;
        let size = options.chunk_size.clamp(1, 5000);
        let mut lines = std::pin::pin!(lines.fuse());
        let mut tally = ImportTally::default();
        let mut carried: Option<ImportLine> = None;
        loop {
            // A chunk ends at its size, at the end, or before a line that names a key an
            // earlier line of the chunk names (so that line sees the earlier one's effect).
            let mut chunk = Vec::with_capacity(size);
            let mut keys = HashSet::new();
            while chunk.len() < size {
                let Some(line) = (match carried.take() {
                    Some(l) => Some(l),
                    None => lines.next().await.transpose().map_err(|e| {
                        Error::invalid("body", format!("could not be read to its end: {e}"))
                    })?,
                }) else {
                    break;
                };
                if let Ok(user) = &line.user {
                    let named = user.keys();
                    if named.iter().any(|k| keys.contains(k)) {
                        carried = Some(line);
                        break;
                    }
                    keys.extend(named);
                }
                chunk.push(line);
            }
            if chunk.is_empty() {
                break;
            }
            let outcomes = self.import_chunk(ctx, &chunk, options).await?;
            tally.chunks += 1;
            for o in outcomes {
                tally.count(&o.result);
                if out.send(ImportReport::Line(o)).await.is_err() {
                    return Ok(tally);
                }
            }
            if out.send(ImportReport::Chunk(tally)).await.is_err() {
                return Ok(tally);
            }
        }
        Ok(tally)
    }

    /// One chunk in one transaction (rolled back in a dry run).
    async fn import_chunk(
        &self,
        ctx: &Context,
        chunk: &[ImportLine],
        options: ImportOptions,
    ) -> Result<Vec<LineOutcome>> {
        let at = self.now();
        let mut tx = self.store.write().await?;
        let may_set_roles = ctx.require_one(&[Permission::ManageRoles]).is_ok();
        let valid: Vec<(u64, &ImportUser)> = chunk
            .iter()
            .filter_map(|l| l.user.as_ref().ok().map(|u| (l.number, u)))
            .collect();

        // Every user the chunk names, in one query.
        let email_keys: Vec<String> = valid
            .iter()
            .filter_map(|(_, u)| u.email.as_ref().map(|e| e.key()))
            .collect();
        let external_ids: Vec<String> = valid
            .iter()
            .filter_map(|(_, u)| u.external_id.as_ref().map(|x| x.as_str().to_owned()))
            .collect();
        let matched = tx
            .users_for_import(ctx.tenant, &email_keys, &external_ids)
            .await?;
        let mut by_email: HashMap<String, usize> = HashMap::new();
        let mut by_external: HashMap<String, usize> = HashMap::new();
        for (i, (u, _, _)) in matched.iter().enumerate() {
            if let Some(e) = &u.email {
                by_email.insert(crate::domain::fields::email_key(e), i);
            }
            if let Some(x) = &u.external_id {
                by_external.insert(x.clone(), i);
            }
        }

        // The groups and the tenant's own roles the chunk names.
        let mut group_keys: Vec<String> = valid
            .iter()
            .flat_map(|(_, u)| u.groups.iter().flatten().map(|g| g.as_str().to_owned()))
            .chain(matched.iter().flat_map(|(_, _, g)| g.iter().cloned()))
            .collect();
        group_keys.sort();
        group_keys.dedup();
        let groups: HashMap<String, i64> = tx
            .groups_by_keys(ctx.tenant, &group_keys)
            .await?
            .into_iter()
            .map(|g| (g.key, g.id))
            .collect();
        let mut custom: Vec<String> = valid
            .iter()
            .flat_map(|(_, u)| u.roles.iter().flat_map(|r| r.custom()))
            .map(|r| r.as_str().to_owned())
            .collect();
        custom.sort();
        custom.dedup();
        let mut known_roles = HashSet::new();
        for name in custom {
            if tx.custom_role(ctx.tenant, &name).await?.is_some() {
                known_roles.insert(name);
            }
        }

        // Each line's plan, refusals first.
        let mut plans: Vec<(u64, Plan)> = Vec::with_capacity(chunk.len());
        for line in chunk {
            let plan = match &line.user {
                Err(errors) => Plan::Refuse(errors.clone()),
                Ok(u) => plan_line(
                    u,
                    &matched,
                    &by_email,
                    &by_external,
                    &groups,
                    &known_roles,
                    may_set_roles,
                )
                .unwrap_or_else(|e| Plan::Refuse(vec![e])),
            };
            plans.push((line.number, plan));
        }
        // Unique values a creation or an update brings must be free (or the target's own).
        let mut wanted: [Vec<String>; 3] = Default::default();
        for (_, plan) in &plans {
            let profile = match plan {
                Plan::Create(u) => u.new_profile(),
                Plan::Update(_, up) => up.change.profile.clone(),
                _ => continue,
            };
            wanted[0].extend(
                profile
                    .email
                    .as_deref()
                    .map(crate::domain::fields::email_key),
            );
            wanted[1].extend(profile.external_id.clone());
            wanted[2].extend(
                profile
                    .username
                    .as_deref()
                    .map(crate::domain::username::username_key),
            );
        }
        let holders = tx
            .holders(ctx.tenant, &wanted[0], &wanted[1], &wanted[2])
            .await?;
        let held: HashMap<(String, String), Uuid> = holders
            .into_iter()
            .map(|(kind, value, id)| ((kind, value), id))
            .collect();
        // The last-admin rule: lines that take `admin` from an active admin may not take it
        // from every one.
        let demoted: Vec<Uuid> = plans
            .iter()
            .filter_map(|(_, p)| match p {
                Plan::Update((user, _, _), up)
                    if is_active_admin(user)
                        && !up.change.profile.roles.contains(BuiltinRole::Admin) =>
                {
                    Some(user.id)
                }
                _ => None,
            })
            .collect();
        let admins_left = if demoted.is_empty() {
            true
        } else {
            let admins = tx.lock_active_admins(ctx.tenant).await?;
            admins.iter().any(|a| !demoted.contains(a))
        };
        for (_, plan) in plans.iter_mut() {
            let (target, profile) = match plan {
                Plan::Create(u) => (None, u.new_profile()),
                Plan::Update((user, _, _), up) => (Some(user.id), up.change.profile.clone()),
                _ => continue,
            };
            let mut taken = Vec::new();
            for (kind, value) in [
                (
                    "email",
                    profile
                        .email
                        .as_deref()
                        .map(crate::domain::fields::email_key),
                ),
                ("external_id", profile.external_id.clone()),
                (
                    "username",
                    profile
                        .username
                        .as_deref()
                        .map(crate::domain::username::username_key),
                ),
            ] {
                let holder = value.and_then(|v| held.get(&(kind.to_owned(), v)));
                if holder.is_some_and(|h| Some(*h) != target) {
                    taken.push(FieldError::new(
                        kind,
                        "is taken by another user of this tenant",
                    ));
                }
            }
            if let (false, Plan::Update((user, _, _), _)) = (admins_left, &*plan) {
                if demoted.contains(&user.id) {
                    taken.push(FieldError::new(
                        "roles",
                        "would leave the tenant without an active admin",
                    ));
                }
            }
            if !taken.is_empty() {
                *plan = Plan::Refuse(taken);
            }
        }

        // Writes: creations in multi-row statements, updates one by one, events in one batch.
        let mut records = Vec::new();
        let mut members = Vec::new();
        let mut events = Vec::new();
        let mut outcomes = Vec::with_capacity(plans.len());
        for (line, plan) in plans {
            let result = match plan {
                Plan::Refuse(errors) => LineResult::Refused(errors),
                Plan::Unchanged(id) => LineResult::Unchanged(id),
                Plan::Create(u) => {
                    let id = Uuid::now_v7();
                    let status = u.status.unwrap_or(Status::Invited);
                    let keys: Vec<&str> = u.groups.iter().flatten().map(|g| g.as_str()).collect();
                    members.extend(keys.iter().map(|k| (groups[*k], id)));
                    records.push(UserRecord {
                        id,
                        tenant_id: ctx.tenant,
                        profile: u.new_profile(),
                        password_hash: u.password_hash.as_ref().map(|h| h.as_str().to_owned()),
                        status,
                        referral_code: super::secrets::referral_code(),
                        parent_id: None,
                        referred_by: None,
                        at,
                    });
                    events.push(
                        NewEvent::about(id, "created")
                            .status(None, status)
                            .details(json!({ "groups": keys, "import": { "line": line } })),
                    );
                    LineResult::Created(id)
                }
                Plan::Update((user, _, _), up) => {
                    let id = user.id;
                    update_one(&mut tx, ctx, user, &up, &groups, at).await?;
                    let mut details = up.change.details();
                    if up.password_hash.is_some() {
                        details["password"] = json!("imported");
                    }
                    if !up.join.is_empty() || !up.leave.is_empty() {
                        details["groups"] = json!({ "joined": up.join, "left": up.leave });
                    }
                    details["import"] = json!({ "line": line });
                    events.push(NewEvent::about(id, "profile_updated").details(details));
                    LineResult::Updated(id)
                }
            };
            outcomes.push(LineOutcome { line, result });
        }
        tx.insert_users(&records).await?;
        tx.add_group_members(ctx.tenant, &members, at).await?;
        if options.send_invites {
            for r in records.iter().filter(|r| r.status == Status::Invited) {
                if let Some(user) = tx.user(ctx.tenant, r.id, false).await? {
                    issue_invite(&mut tx, &self.settings, &user, at).await?;
                }
            }
        }
        tx.append_events(&ctx.origin(&Note::default(), at), &events)
            .await?;
        if !options.dry_run {
            tx.commit().await?;
        }
        Ok(outcomes)
    }

    /// Sends the users `options.filter` selects, a page of `UserLine`s at a time, in number
    /// order, to `out`; each page is read on its own, so the export never holds the tenant.
    /// Stops when `out` is closed.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant))]
    pub async fn export_users(
        &self,
        ctx: &Context,
        options: ExportOptions,
        out: mpsc::Sender<Vec<UserLine>>,
    ) -> Result<u64> {
        ctx.require_one(&[Permission::ViewUsers])?;
        let mut after = 0;
        let mut sent = 0;
        loop {
            let mut tx = self.store.read().await?;
            let users = tx
                .users(ctx.tenant, &options.filter, Some(after), 1000)
                .await?;
            let Some((last, _)) = users.last() else {
                break;
            };
            after = last.number;
            let ids: Vec<Uuid> = users.iter().map(|(u, _)| u.id).collect();
            let mut hashes: HashMap<Uuid, String> = if options.password_hashes {
                tx.password_hashes_of(ctx.tenant, &ids)
                    .await?
                    .into_iter()
                    .collect()
            } else {
                HashMap::new()
            };
            drop(tx);
            let full = users.len() == 1000;
            let page: Vec<UserLine> = users
                .into_iter()
                .map(|(u, groups)| {
                    let hash = hashes.remove(&u.id);
                    UserLine::of(&u, groups, hash)
                })
                .collect();
            sent += page.len() as u64;
            if out.send(page).await.is_err() || !full {
                break;
            }
        }
        Ok(sent)
    }
}

/// What one line will do.
enum Plan<'a> {
    Create(&'a ImportUser),
    Update(&'a Matched, Box<ImportUpdate>),
    Unchanged(Uuid),
    Refuse(Vec<FieldError>),
}

/// A line's plan before the unique values and the last-admin rule are checked: the user it
/// matches (by email, else by external id; both must name the same one), and what changes.
#[allow(clippy::too_many_arguments)]
fn plan_line<'a>(
    u: &'a ImportUser,
    matched: &'a [Matched],
    by_email: &HashMap<String, usize>,
    by_external: &HashMap<String, usize>,
    groups: &HashMap<String, i64>,
    known_roles: &HashSet<String>,
    may_set_roles: bool,
) -> std::result::Result<Plan<'a>, FieldError> {
    let email = u.email.as_ref().and_then(|e| by_email.get(&e.key()));
    let external = u
        .external_id
        .as_ref()
        .and_then(|x| by_external.get(x.as_str()));
    if let (Some(e), Some(x)) = (email, external) {
        if e != x {
            return Err(FieldError::new(
                "external_id",
                "belongs to another user than the email does",
            ));
        }
    }
    if let Some(unknown) = u
        .groups
        .iter()
        .flatten()
        .find(|g| !groups.contains_key(g.as_str()))
    {
        return Err(FieldError::new(
            "groups",
            format!("no group of this tenant has the key {:?}", unknown.as_str()),
        ));
    }
    if let Some(roles) = &u.roles {
        if let Some(r) = roles.custom().find(|r| !known_roles.contains(r.as_str())) {
            return Err(FieldError::new(
                "roles",
                format!("no role named {:?} in this tenant", r.as_str()),
            ));
        }
    }
    let plan = match email.or(external) {
        None => {
            if u.email.is_none() {
                return Err(FieldError::new(
                    "email",
                    "is required to create a user (no user has this external_id)",
                ));
            }
            if u.roles.as_ref().is_some_and(|r| !r.names().is_empty()) && !may_set_roles {
                return Err(FieldError::new(
                    "roles",
                    format!(
                        "setting roles needs the {} permission",
                        Permission::ManageRoles.as_str()
                    ),
                ));
            }
            Plan::Create(u)
        }
        Some(&i) => {
            let m = &matched[i];
            let up = u.update_of(&m.0, m.1.as_deref(), &m.2)?;
            if up.change.profile.roles != m.0.roles && !may_set_roles {
                return Err(FieldError::new(
                    "roles",
                    format!(
                        "changing roles needs the {} permission",
                        Permission::ManageRoles.as_str()
                    ),
                ));
            }
            if up.is_empty() {
                Plan::Unchanged(m.0.id)
            } else {
                Plan::Update(m, Box::new(up))
            }
        }
    };
    Ok(plan)
}

/// Writes one matched user's update: profile (and hash), invites and sessions the change
/// ends, group memberships.
async fn update_one(
    tx: &mut Tx,
    ctx: &Context,
    user: &User,
    up: &ImportUpdate,
    groups: &HashMap<String, i64>,
    at: DateTime<Utc>,
) -> Result<()> {
    if !up.change.is_empty() || up.password_hash.is_some() {
        tx.update_profile(
            ctx.tenant,
            user.id,
            &up.change.profile,
            up.password_hash.as_deref(),
            at,
        )
        .await?;
    }
    if up.change.profile.email != user.email {
        tx.revoke_invites(ctx.tenant, user.id, at).await?;
    }
    if up.password_hash.is_some() {
        tx.revoke_sessions(ctx.tenant, user.id, at).await?;
    }
    let joins: Vec<(i64, Uuid)> = up.join.iter().map(|k| (groups[k], user.id)).collect();
    tx.add_group_members(ctx.tenant, &joins, at).await?;
    for key in &up.leave {
        tx.remove_group_member(ctx.tenant, groups[key], user.id)
            .await?;
    }
    Ok(())
}

/// What an erasure did.
#[derive(Debug, Clone)]
pub struct Erasure {
    pub user_id: Uuid,
    pub erased_at: DateTime<Utc>,
    /// Audit events whose personal fields were scrubbed (the `erased` event aside).
    pub events_scrubbed: usize,
}

impl Services {
    /// Erases a user's personal data: their email, names, phone, external id, username,
    /// password, sessions, invites, outbox emails, memberships and extension data go; their
    /// id and audit trail stay, with every mention of those values scrubbed; one `erased`
    /// event records who asked and why. The user ends `revoked`. Refused while they are the
    /// tenant's last active admin. One transaction; it cannot be undone.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant, user = %id))]
    pub async fn erase_user(&self, ctx: &Context, id: Uuid, reason: &str) -> Result<Erasure> {
        self.erase(ctx, id, reason, false).await
    }

    /// Erases a user their identity provider deleted (SCIM's DELETE, when the tenant's
    /// `scim_delete` setting says `erase`), and records the deletion in the same transaction:
    /// SCIM no longer finds them.
    pub async fn erase_deprovisioned(
        &self,
        ctx: &Context,
        id: Uuid,
        reason: &str,
    ) -> Result<Erasure> {
        self.erase(ctx, id, reason, true).await
    }

    async fn erase(
        &self,
        ctx: &Context,
        id: Uuid,
        reason: &str,
        deprovision: bool,
    ) -> Result<Erasure> {
        ctx.require_one(&[Permission::EditProfiles])?;
        ctx.require_one(&[Permission::ChangeStatus])?;
        let at = self.now();
        let mut tx = self.store.write().await?;
        // The admins' locks come first, as every change under the last-admin rule takes them.
        let admins = tx.lock_active_admins(ctx.tenant).await?;
        let user = tx
            .user(ctx.tenant, id, true)
            .await?
            .ok_or(Error::NotFound(Entity::User))?;
        if is_active_admin(&user) {
            keeps_an_active_admin(&admins, id)?;
        }
        let mut values = personal_values(&user, tx.addresses_of(ctx.tenant, id).await?);
        let mut events = tx.events_mentioning(ctx.tenant, id, &values).await?;
        // The user's own events hold their earlier values too (a name before a change):
        // those are scrubbed as well, wherever they appear.
        let earlier = earlier_values(&events, id, &values);
        if !earlier.is_empty() {
            values.extend(earlier);
            values.sort_by(|a, b| b.len().cmp(&a.len()).then(a.cmp(b)));
            values.dedup();
            events = tx.events_mentioning(ctx.tenant, id, &values).await?;
        }
        tx.forget_user(ctx.tenant, id, Status::Revoked.as_str(), at)
            .await?;
        if deprovision {
            tx.mark_deprovisioned(ctx.tenant, id, at).await?;
        }
        let mut scrubbed = 0;
        for mut e in events {
            let before = e.clone();
            for field in [&mut e.description, &mut e.reference_id, &mut e.actor_name] {
                if let Some(text) = field.as_mut() {
                    *text = scrub(text, &values);
                }
            }
            e.actor = scrub(&e.actor, &values);
            if let Some(details) = e.details.as_mut() {
                if e.user_id == Some(id) {
                    // Whatever a client attached to the user goes with them.
                    if let Some(map) = details.as_object_mut() {
                        map.remove("metadata");
                    }
                }
                scrub_json(details, &values);
            }
            if e != before {
                tx.scrub_event(ctx.tenant, &e, e.details.as_ref()).await?;
                scrubbed += 1;
            }
        }
        for v in &values {
            tx.forget_cached_answers(v).await?;
        }
        let note = Note {
            reason: Some(reason.to_owned()),
            ..Note::default()
        };
        tx.append_event(
            &ctx.origin(&note, at),
            &NewEvent::about(id, "erased")
                .status(Some(user.status), Status::Revoked)
                .details(json!({
                    "requested_by": ctx.actor(),
                    "reason": reason,
                    "events_scrubbed": scrubbed,
                })),
        )
        .await?;
        tx.commit().await?;
        Ok(Erasure {
            user_id: id,
            erased_at: at,
            events_scrubbed: scrubbed,
        })
    }
}

/// The texts an erasure removes wherever they appear: each address (as typed and as keyed),
/// the names, phone, external id and username. Longest first, so a name inside an address is
/// scrubbed with the address.
fn personal_values(user: &User, emails: Vec<(String, String)>) -> Vec<String> {
    let mut values: Vec<String> = emails
        .into_iter()
        .flat_map(|(typed, key)| [typed, key])
        .chain(
            [
                &user.email,
                &user.first_name,
                &user.last_name,
                &user.phone_number,
                &user.external_id,
                &user.username,
            ]
            .into_iter()
            .flatten()
            .cloned(),
        )
        .filter(|v| !v.trim().is_empty())
        .collect();
    values.sort_by(|a, b| b.len().cmp(&a.len()).then(a.cmp(b)));
    values.dedup();
    values
}

/// The personal values the user's own events recorded (`before` and `after` of a profile
/// change) that are not among `known`.
fn earlier_values(
    events: &[crate::domain::event::Event],
    id: Uuid,
    known: &[String],
) -> Vec<String> {
    const PERSONAL: [&str; 6] = [
        "email",
        "first_name",
        "last_name",
        "phone_number",
        "external_id",
        "username",
    ];
    let mut found = Vec::new();
    for e in events.iter().filter(|e| e.user_id == Some(id)) {
        let Some(details) = &e.details else { continue };
        for field in PERSONAL {
            for side in ["before", "after"] {
                if let Some(v) = details[field][side].as_str() {
                    if !v.trim().is_empty() && v != ERASED && !known.iter().any(|k| k == v) {
                        found.push(v.to_owned());
                    }
                }
            }
        }
    }
    found
}

/// What an erased value reads as.
const ERASED: &str = "[erased]";

/// `text` with every occurrence of each value (in any ASCII case) replaced by `[erased]`.
fn scrub(text: &str, values: &[String]) -> String {
    let mut out = text.to_owned();
    for v in values {
        let needle = v.to_ascii_lowercase();
        let mut from = 0;
        while let Some(found) = out[from..].to_ascii_lowercase().find(&needle) {
            let at = from + found;
            out.replace_range(at..at + needle.len(), ERASED);
            from = at + ERASED.len();
        }
    }
    out
}

/// Scrubs every string in a JSON value (keys are field names and stay).
fn scrub_json(v: &mut serde_json::Value, values: &[String]) {
    match v {
        serde_json::Value::String(s) => *s = scrub(s, values),
        serde_json::Value::Array(items) => items.iter_mut().for_each(|i| scrub_json(i, values)),
        serde_json::Value::Object(map) => map.values_mut().for_each(|i| scrub_json(i, values)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scrubbing_replaces_every_case_of_every_value() {
        let values = vec!["ada@example.com".to_owned(), "Ada".to_owned()];
        assert_eq!(
            scrub("api_key:1 for ADA@example.com; Ada, ada", &values),
            "api_key:1 for [erased]; [erased], [erased]"
        );
        let mut details = json!({"first_name": {"before": "Ada", "after": null}, "n": 1});
        scrub_json(&mut details, &values);
        assert_eq!(
            details,
            json!({"first_name": {"before": "[erased]", "after": null}, "n": 1})
        );
        // A value inside its own replacement ends.
        assert_eq!(
            scrub("[erased] e", &["e".to_owned()]),
            "[[erased]ras[erased]d] [erased]"
        );
    }
}
