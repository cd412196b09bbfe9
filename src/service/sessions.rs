//! Logging in, and what a session token says about its holder.

use super::secrets::{self, SESSION_PREFIX};
use super::{view, Context, Error, Result, Services, Settings, UserView};
use crate::domain::event::{Channel, NewEvent, Note};
use crate::domain::fields::email_key;
use crate::domain::impersonation::Impersonator;
use crate::domain::password_hash::HashScheme;
use crate::domain::permission::Permission;
use crate::domain::session::Session;
use crate::domain::user::User;
use crate::domain::username::lookup_key;
use crate::domain::Entity;
use crate::store::Tx;
use chrono::{DateTime, Utc};
use serde_json::json;
use uuid::Uuid;

/// Whom a login names.
#[derive(Debug, Clone, Copy)]
pub enum LoginName<'a> {
    /// The user's email (compared case-insensitively).
    Email(&'a str),
    /// The user's username (compared case-insensitively).
    Username(&'a str),
    /// A username or an email, as Rocket.Chat's login takes them. An email match wins, so a
    /// username that happens to be another user's email never takes that user's login.
    EmailOrUsername(&'a str),
}

impl LoginName<'_> {
    /// The email key and username key to look the user up by.
    fn keys(self) -> (Option<String>, Option<String>) {
        match self {
            LoginName::Email(e) => (Some(email_key(e)), None),
            LoginName::Username(u) => (None, lookup_key(u)),
            LoginName::EmailOrUsername(x) => (Some(email_key(x)), lookup_key(x)),
        }
    }
}

/// A new session: the token (shown only now), the session and its user.
#[derive(Debug)]
pub struct Login {
    pub token: String,
    pub session: Session,
    pub user: User,
}

impl Services {
    /// Checks the password and opens a session. Every failure (unknown name, wrong password,
    /// a user who may not log in) is the same [`Error::BadCredentials`], in the same time.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant))]
    pub async fn login(&self, ctx: &Context, name: LoginName<'_>, password: &str) -> Result<Login> {
        // A person signing in proves who they are with the password; a platform signing them
        // in with its key needs the permission to.
        if ctx.is_key() {
            ctx.require_one(&[Permission::SignIn])?;
        }
        self.login_admitting(ctx, name, password, |u| u.status.may_log_in())
            .await
    }

    /// [`Services::login`] for the users `admit` lets in (the console's: its admins); anyone
    /// else is refused as a wrong password is.
    pub(crate) async fn login_admitting(
        &self,
        ctx: &Context,
        name: LoginName<'_>,
        password: &str,
        admit: fn(&User) -> bool,
    ) -> Result<Login> {
        let (email_key, username_key) = name.keys();
        let (user, stored) = match self
            .store
            .read_one()
            .await?
            .user_with_password_hash(ctx.tenant, email_key.as_deref(), username_key.as_deref())
            .await?
        {
            Some((user, hash)) => (Some(user), hash),
            None => (None, None),
        };
        let legacy = stored.clone().filter(|h| HashScheme::is_legacy(h));
        let matches = self.passwords.verify(password, stored).await?;
        let Some(user) = user.filter(|u| matches && admit(u)) else {
            return Err(Error::BadCredentials);
        };
        // An imported bcrypt or scrypt hash is replaced by argon2id now that the password is
        // known; hashed before the transaction, like every hash.
        let upgrade = match legacy {
            Some(old) => Some((old, self.passwords.hash_proven(password).await?)),
            None => None,
        };
        let at = self.now();
        let mut tx = self.store.write().await?;
        // The status may have changed while the hash was being checked.
        let user = tx
            .user(ctx.tenant, user.id, true)
            .await?
            .filter(admit)
            .ok_or(Error::BadCredentials)?;
        if let Some((old, new)) = upgrade {
            // Only if the hash is still the one proven: a password changed meanwhile stays.
            if tx
                .replace_password_hash(ctx.tenant, user.id, &old, &new)
                .await?
            {
                let from = HashScheme::of(&old).map_or("unknown", HashScheme::as_str);
                tx.append_event(
                    &ctx.origin(&Note::default(), at),
                    &NewEvent::about(user.id, "password_rehashed")
                        .details(json!({ "from": from, "to": "argon2id" })),
                )
                .await?;
            }
        }
        let login = open_session(&mut tx, &self.settings, user, at).await?;
        tx.commit().await?;
        Ok(login)
    }

    /// The caller behind a session token: the session's user, with what their roles grant,
    /// calling through `channel` (an impersonation session's events name the impersonator).
    #[tracing::instrument(skip_all)]
    pub async fn session_caller(
        &self,
        token: &str,
        channel: Channel,
        request_id: Option<String>,
    ) -> Result<(Context, Session, UserView)> {
        let (session, user) = self.session_by_token(token).await?;
        let permissions = self.permissions_of(&user.user).await?;
        let ctx = Context::of_session(&session, permissions, channel, request_id);
        Ok((ctx, session, user))
    }

    /// The live session behind a token, and its user.
    #[tracing::instrument(skip_all)]
    pub async fn session_by_token(&self, token: &str) -> Result<(Session, UserView)> {
        let mut tx = self.store.read().await?;
        let session = tx
            .live_session_by_token(&secrets::hash(token), self.now())
            .await?
            .ok_or(Error::BadCredentials)?;
        let user = tx
            .user(session.tenant_id, session.user_id, false)
            .await?
            .ok_or(Error::BadCredentials)?;
        Ok((session, view(&mut tx, user.tenant_id, user).await?))
    }

    /// Ends the one session behind `token` (a client logging itself out).
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant))]
    pub async fn end_session(&self, ctx: &Context, token: &str) -> Result<()> {
        let at = self.now();
        let mut tx = self.store.write().await?;
        let hash = secrets::hash(token);
        let session = tx
            .live_session_by_token(&hash, at)
            .await?
            .filter(|s| s.tenant_id == ctx.tenant)
            .ok_or(Error::BadCredentials)?;
        tx.revoke_session_by_token(ctx.tenant, &hash, at).await?;
        let event = match &session.impersonator {
            // The end of an impersonation is the admin's act, whoever the session belongs to.
            Some(admin) => NewEvent::about(session.user_id, "impersonation_ended").details(
                json!({ "session_id": session.id, "impersonator": admin.actor, "impersonator_name": admin.name }),
            ),
            None => NewEvent::about(session.user_id, "logged_out")
                .details(json!({ "sessions_revoked": 1 })),
        };
        tx.append_event(&ctx.origin(&Note::default(), at), &event)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant, user = %user))]
    pub async fn live_sessions(&self, ctx: &Context, user: Uuid) -> Result<Vec<Session>> {
        if !ctx.is_self(user) {
            ctx.require_one(&[Permission::ViewUsers])?;
        }
        let mut tx = self.store.read().await?;
        tx.user(ctx.tenant, user, false)
            .await?
            .ok_or(Error::NotFound(Entity::User))?;
        Ok(tx.live_sessions(ctx.tenant, user, self.now()).await?)
    }
}

/// Opens a session for `user` inside `tx`; a login beyond the user's `sessions_limit` ends
/// their oldest live sessions.
pub(crate) async fn open_session(
    tx: &mut Tx,
    settings: &Settings,
    user: User,
    at: DateTime<Utc>,
) -> Result<Login> {
    open_session_for(tx, user, at, at + settings.session_ttl, None).await
}

/// Opens a session for `user` until `expires_at`, marked with `impersonator` when an admin
/// opens it to act as the user. An impersonation session counts against no `sessions_limit`
/// and ends none of the user's own sessions.
pub(crate) async fn open_session_for(
    tx: &mut Tx,
    user: User,
    at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
    impersonator: Option<Impersonator>,
) -> Result<Login> {
    let minted = secrets::mint(SESSION_PREFIX);
    let own = impersonator.is_none();
    let session = Session {
        id: Uuid::now_v7(),
        tenant_id: user.tenant_id,
        user_id: user.id,
        created_at: at,
        expires_at,
        revoked_at: None,
        impersonator,
    };
    tx.insert_session(&session, &minted.hash).await?;
    if let Some(limit) = user.sessions_limit.filter(|_| own) {
        tx.revoke_sessions_beyond(user.tenant_id, user.id, limit, at)
            .await?;
    }
    Ok(Login {
        token: minted.secret,
        session,
        user,
    })
}
