//! Group memberships as Regpack-style organisations see them: one person (one user, one
//! number) joins many groups; each membership carries its own status and ordered products.
//! Also the organisation's statuses, its product catalogue, and secondary emails.

use super::error::taken_as;
use super::sessions::LoginName;
use super::users::{insert_user, Creation};
use super::{Context, Error, Result, Services};
use crate::domain::event::{NewEvent, Note};
use crate::domain::fields::{DisplayName, Email, GroupKey, Password};
use crate::domain::group::Group;
use crate::domain::membership::{Color, MemberStatus, Price, Product};
use crate::domain::membership::{MemberProduct, Membership};
use crate::domain::permission::Permission;
use crate::domain::user::{NewUser, User, UserPatch};
use crate::domain::Entity;
use crate::domain::Status;
use crate::store::Tx;
use serde_json::json;
use uuid::Uuid;

/// A person as a member of one group.
#[derive(Debug, Clone)]
pub struct Member {
    pub user: User,
    pub group: Group,
    /// The parent's number for a child; the user's own number for everyone else.
    pub connected_to: i64,
    pub membership: Membership,
    pub products: Vec<MemberProduct>,
    pub secondary_emails: Vec<String>,
}

/// What an enrolment did.
#[derive(Debug, Clone)]
pub struct Enrolment {
    pub member: Member,
    /// A new user was made (false: an existing person joined the group).
    pub created: bool,
}

/// Who is enrolled: a person found by email or created, or a new child of a parent.
#[derive(Debug, Clone)]
pub enum Enrollee {
    /// The person holding this email (primary or secondary) joins; without one, a new user.
    Person(NewUser),
    /// Always a new user, linked to the parent with this number.
    Child { parent: i64, new: NewUser },
}

impl Services {
    /// Enrols a person in a group: a new user with the membership, or an existing person of
    /// the organisation joining one more group. Already a member of it: [`Error::Exists`].
    /// With `emails`, a new invited user with an address gets the invite email (the only
    /// email an enrolment sends).
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant, group))]
    pub async fn enroll(
        &self,
        ctx: &Context,
        group: i64,
        enrollee: Enrollee,
        emails: bool,
    ) -> Result<Enrolment> {
        ctx.require_one(&[Permission::CreateUsers])?;
        let (mut new, parent) = match enrollee {
            Enrollee::Person(new) => (new, None),
            Enrollee::Child { parent, new } => (new, Some(parent)),
        };
        let creation = Creation {
            send_invite: emails && new.email.is_some() && new.status == Status::Invited,
            ..Creation::default()
        };
        let password_hash = match &new.password {
            Some(p) => Some(self.passwords.hash(p).await?),
            None => None,
        };
        // A second attempt only follows a lost race on Postgres: another create of the same
        // new email committed first, and is found (and joined) the second time.
        for attempt in 0..2 {
            let at = self.now();
            let mut tx = self.store.write().await?;
            let g = group_of(&mut tx, ctx, group).await?;
            let existing = match (&new.email, parent) {
                (Some(email), None) => tx.email_key_holder(ctx.tenant, &email.key()).await?,
                _ => None,
            };
            if let Some(id) = existing {
                let user = tx
                    .user(ctx.tenant, id, true)
                    .await?
                    .ok_or(Error::NotFound(Entity::User))?;
                if !tx.add_group_member(ctx.tenant, g.id, id, at).await? {
                    return Err(Error::Exists(Entity::Membership));
                }
                tx.append_event(
                    &ctx.origin(&creation.note, at),
                    &NewEvent::about(id, "group_joined").details(json!({ "group": g.key })),
                )
                .await?;
                let member = member_view(&mut tx, ctx.tenant, g, user).await?;
                tx.commit().await?;
                return Ok(Enrolment {
                    member,
                    created: false,
                });
            }
            if let Some(number) = parent {
                let parent = tx
                    .user_by_number(ctx.tenant, number, false)
                    .await?
                    .ok_or_else(|| {
                        Error::invalid("connected_to", "no user of this organization has this id")
                    })?;
                new.parent_id = Some(parent.id);
            }
            new.groups = vec![GroupKey::parse("group", &g.key)
                .map_err(|e| anyhow::anyhow!("stored group key: {}", e.message))?];
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
                Ok(view) => {
                    let member = member_view(&mut tx, ctx.tenant, g, view.user).await?;
                    tx.commit().await?;
                    return Ok(Enrolment {
                        member,
                        created: true,
                    });
                }
                Err(Error::Taken(fields))
                    if attempt == 0 && parent.is_none() && fields == ["email"] => {}
                Err(e) => return Err(e),
            }
        }
        Err(Error::Conflict)
    }

    /// The member with this number in this group.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant, group))]
    pub async fn member(&self, ctx: &Context, group: i64, number: i64) -> Result<Member> {
        ctx.require_one(&[Permission::ViewUsers])?;
        let mut tx = self.store.read().await?;
        let g = group_of(&mut tx, ctx, group).await?;
        let user = tx
            .user_by_number(ctx.tenant, number, false)
            .await?
            .ok_or(Error::NotFound(Entity::User))?;
        member_view(&mut tx, ctx.tenant, g, user).await
    }

    /// Logs a member of the group in, as [`Services::login`] does. A person who is not in
    /// the group, or is not the `expected` number, is refused before any session is opened.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant, group))]
    pub async fn login_member(
        &self,
        ctx: &Context,
        group: i64,
        expected: i64,
        email: &Email,
        password: &Password,
    ) -> Result<(super::sessions::Login, Member)> {
        ctx.require_one(&[Permission::SignIn])?;
        {
            let mut tx = self.store.read().await?;
            let g = group_of(&mut tx, ctx, group).await?;
            if let Some(u) = tx.user_by_email(ctx.tenant, &email.key(), false).await? {
                if u.number != expected {
                    return Err(Error::BadCredentials);
                }
                tx.membership(ctx.tenant, g.id, u.id)
                    .await?
                    .ok_or(Error::NotFound(Entity::Membership))?;
            }
        }
        let login = self
            .login(ctx, LoginName::Email(email.as_str()), password.expose())
            .await?;
        let member = self.member(ctx, group, login.user.number).await?;
        Ok((login, member))
    }

    /// Edits a member's profile (the profile is the person's, in every group).
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant, group))]
    pub async fn update_member(
        &self,
        ctx: &Context,
        group: i64,
        number: i64,
        patch: UserPatch,
    ) -> Result<Member> {
        ctx.require_one(&[Permission::EditProfiles])?;
        let id = self.member(ctx, group, number).await?.user.id;
        self.patch_user(ctx, id, patch, None).await?;
        self.member(ctx, group, number).await
    }

    /// Adds a secondary email: unique in the organisation among primary and secondary emails.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant, group))]
    pub async fn add_secondary_email(
        &self,
        ctx: &Context,
        group: i64,
        number: i64,
        email: Email,
    ) -> Result<Member> {
        ctx.require_one(&[Permission::EditProfiles])?;
        let at = self.now();
        let mut tx = self.store.write().await?;
        let (g, user, _) = resolve(&mut tx, ctx, group, number, true).await?;
        // Checked first because SQLite does not name the violated key; on Postgres the unique
        // index settles a race with a concurrent create of the same address.
        if tx
            .email_key_holder(ctx.tenant, &email.key())
            .await?
            .is_some()
        {
            return Err(Error::Taken(vec!["email"]));
        }
        tx.insert_secondary_email(ctx.tenant, user.id, email.as_str(), &email.key(), at)
            .await
            .map_err(taken_as("email"))?;
        tx.append_event(
            &ctx.origin(&Note::default(), at),
            &NewEvent::about(user.id, "email_added").details(json!({ "email": email.as_str() })),
        )
        .await?;
        let member = member_view(&mut tx, ctx.tenant, g, user).await?;
        tx.commit().await?;
        Ok(member)
    }

    /// Sets a membership's status (None clears it); other groups' memberships keep theirs.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant, group))]
    pub async fn set_member_status(
        &self,
        ctx: &Context,
        group: i64,
        number: i64,
        status: Option<i64>,
    ) -> Result<Member> {
        ctx.require_one(&[Permission::ManageGroups])?;
        let at = self.now();
        let mut tx = self.store.write().await?;
        let (g, user, membership) = resolve(&mut tx, ctx, group, number, true).await?;
        let after = match status {
            Some(id) => Some(tx.member_status(ctx.tenant, id).await?.ok_or_else(|| {
                Error::invalid("status_id", "no status of this organization has this id")
            })?),
            None => None,
        };
        tx.set_membership_status(ctx.tenant, g.id, user.id, status)
            .await?;
        let name =
            |s: &Option<MemberStatus>| s.as_ref().map(|s| json!({ "id": s.id, "name": s.name }));
        tx.append_event(
            &ctx.origin(&Note::default(), at),
            &NewEvent::about(user.id, "member_status_set").details(json!({
                "group": g.key,
                "before": name(&membership.status),
                "after": name(&after),
            })),
        )
        .await?;
        let member = member_view(&mut tx, ctx.tenant, g, user).await?;
        tx.commit().await?;
        Ok(member)
    }

    /// Records one product of the catalogue on a membership, at its current price.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant, group))]
    pub async fn add_member_product(
        &self,
        ctx: &Context,
        group: i64,
        number: i64,
        product: i64,
    ) -> Result<Member> {
        ctx.require_one(&[Permission::ManageCatalogue])?;
        let at = self.now();
        let mut tx = self.store.write().await?;
        let (g, user, _) = resolve(&mut tx, ctx, group, number, true).await?;
        let p = tx.product(ctx.tenant, product).await?.ok_or_else(|| {
            Error::invalid("product_id", "no product of this organization has this id")
        })?;
        tx.add_member_product(ctx.tenant, g.id, user.id, p.id, p.price, at)
            .await?;
        tx.append_event(
            &ctx.origin(&Note::default(), at),
            &NewEvent::about(user.id, "product_added").details(json!({
                "group": g.key,
                "product_id": p.id,
                "price": p.price.to_string(),
            })),
        )
        .await?;
        let member = member_view(&mut tx, ctx.tenant, g, user).await?;
        tx.commit().await?;
        Ok(member)
    }

    /// Defines a status the organisation's memberships can be in.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant))]
    pub async fn create_member_status(
        &self,
        ctx: &Context,
        name: DisplayName,
        color: Color,
        is_excluded: bool,
    ) -> Result<MemberStatus> {
        ctx.require_one(&[Permission::ManageGroups])?;
        let at = self.now();
        let mut tx = self.store.write().await?;
        let status = tx
            .insert_member_status(ctx.tenant, name.as_str(), color.as_str(), is_excluded, at)
            .await
            .map_err(taken_as("name"))?;
        tx.append_event(
            &ctx.origin(&Note::default(), at),
            &tenant_event(
                "member_status_created",
                json!({
                    "id": status.id, "name": status.name, "color": status.color,
                    "is_excluded": status.is_excluded,
                }),
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(status)
    }

    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant))]
    pub async fn create_product(
        &self,
        ctx: &Context,
        name: DisplayName,
        price: Price,
    ) -> Result<Product> {
        ctx.require_one(&[Permission::ManageCatalogue])?;
        let at = self.now();
        let mut tx = self.store.write().await?;
        let product = tx
            .insert_product(ctx.tenant, name.as_str(), price, at)
            .await
            .map_err(taken_as("name"))?;
        tx.append_event(
            &ctx.origin(&Note::default(), at),
            &tenant_event(
                "product_created",
                json!({
                    "id": product.id, "name": product.name, "price": product.price.to_string(),
                }),
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(product)
    }

    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant))]
    pub async fn products(&self, ctx: &Context) -> Result<Vec<Product>> {
        ctx.require_one(&[Permission::ViewUsers])?;
        Ok(self.store.read().await?.products(ctx.tenant).await?)
    }
}

/// An event about the tenant's own settings rather than about one user.
fn tenant_event(action: &'static str, details: serde_json::Value) -> NewEvent {
    NewEvent {
        user_id: None,
        action,
        from_status: None,
        to_status: None,
        details: Some(details),
    }
}

/// The tenant's group with this id; another tenant's group is as unknown as none at all.
async fn group_of(tx: &mut Tx, ctx: &Context, group: i64) -> Result<Group> {
    tx.group(ctx.tenant, group)
        .await?
        .ok_or(Error::NotFound(Entity::Group))
}

/// The group, the user with this number, and their membership of the group.
async fn resolve(
    tx: &mut Tx,
    ctx: &Context,
    group: i64,
    number: i64,
    lock: bool,
) -> Result<(Group, User, Membership)> {
    let g = group_of(tx, ctx, group).await?;
    let user = tx
        .user_by_number(ctx.tenant, number, lock)
        .await?
        .ok_or(Error::NotFound(Entity::User))?;
    let membership = tx
        .membership(ctx.tenant, g.id, user.id)
        .await?
        .ok_or(Error::NotFound(Entity::Membership))?;
    Ok((g, user, membership))
}

async fn member_view(tx: &mut Tx, tenant: Uuid, group: Group, user: User) -> Result<Member> {
    let membership = tx
        .membership(tenant, group.id, user.id)
        .await?
        .ok_or(Error::NotFound(Entity::Membership))?;
    let connected_to = match user.parent_id {
        Some(parent) => {
            tx.user(tenant, parent, false)
                .await?
                .ok_or_else(|| anyhow::anyhow!("user {} has a missing parent", user.id))?
                .number
        }
        None => user.number,
    };
    Ok(Member {
        products: tx.member_products(tenant, group.id, user.id).await?,
        secondary_emails: tx.secondary_emails(tenant, user.id).await?,
        connected_to,
        membership,
        group,
        user,
    })
}
