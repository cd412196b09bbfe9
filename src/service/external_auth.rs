//! External sign-in (Publica.la's `external-auth-token`): a tenant registers the key its
//! platform signs tokens with; a token signed with it signs the user it names in, creating
//! them on first sight if the tenant allows. The algorithm is the registered key's, never
//! the one the token's header names; the claims are judged by `domain::external_token`; a
//! token id is accepted once (kept in the database, so every roster process agrees).

use super::sessions::{open_session, Login};
use super::users::{insert_user, Creation, UserRef};
use super::{Authority, Context, Error, Result, Services};
use crate::domain::event::{Actor, Channel, NewEvent, Note};
use crate::domain::external_token::{
    check, is_unsigned, split_name, Claims, ExternalAuthKey, SigningAlgorithm, MIN_SECRET_BYTES,
};
use crate::domain::fields::{Email, ExternalId, PersonName};
use crate::domain::permission::Permission;
use crate::domain::user::NewUser;
use crate::domain::{Entity, FieldError, Status};
use chrono::DateTime;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::json;

/// The kind of token id a sign-in leaves behind.
const SIGN_IN_TOKEN: &str = "external-auth";

/// Why a token did not sign anyone in; the reason is safe to show the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRefused(pub String);

/// A sign-in: the session, and whether the user was created by it.
#[derive(Debug)]
pub struct ExternalSignIn {
    pub login: Login,
    pub created: bool,
}

fn algorithm(a: SigningAlgorithm) -> Algorithm {
    match a {
        SigningAlgorithm::Hs256 => Algorithm::HS256,
        SigningAlgorithm::Rs256 => Algorithm::RS256,
        SigningAlgorithm::Es256 => Algorithm::ES256,
    }
}

/// The key to check signatures with, or why the registered material is not one.
fn decoding_key(key: &ExternalAuthKey) -> Result<DecodingKey, FieldError> {
    match key.algorithm {
        SigningAlgorithm::Hs256 if key.key.len() < MIN_SECRET_BYTES => Err(FieldError::new(
            "key",
            format!("an HS256 secret must be at least {MIN_SECRET_BYTES} bytes"),
        )),
        SigningAlgorithm::Hs256 => Ok(DecodingKey::from_secret(key.key.as_bytes())),
        SigningAlgorithm::Rs256 => DecodingKey::from_rsa_pem(key.key.as_bytes())
            .map_err(|_| FieldError::new("key", "must be an RSA public key in PEM")),
        SigningAlgorithm::Es256 => DecodingKey::from_ec_pem(key.key.as_bytes())
            .map_err(|_| FieldError::new("key", "must be a P-256 public key in PEM")),
    }
}

impl Services {
    /// Registers (or replaces) the tenant's external sign-in key.
    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant))]
    pub async fn set_external_auth_key(&self, ctx: &Context, key: ExternalAuthKey) -> Result<()> {
        ctx.require_one(&[Permission::ManageKeys])?;
        decoding_key(&key).map_err(|e| Error::Invalid(vec![e]))?;
        if key.audience.trim().is_empty() {
            return Err(Error::invalid("audience", "must not be empty"));
        }
        let at = self.now();
        let mut tx = self.store.write().await?;
        tx.put_external_auth_key(ctx.tenant, &key, at).await?;
        tx.append_event(
            &ctx.origin(&Note::default(), at),
            &NewEvent::tenant_wide("external_auth_key_set").details(json!({
                "algorithm": key.algorithm.as_str(),
                "audience": key.audience,
                "issuer": key.issuer,
                "create_users": key.create_users,
            })),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant))]
    pub async fn external_auth_key(&self, ctx: &Context) -> Result<ExternalAuthKey> {
        ctx.require_one(&[Permission::ManageKeys])?;
        self.store
            .read_one()
            .await?
            .external_auth_key(ctx.tenant)
            .await?
            .ok_or(Error::NotFound(Entity::ExternalAuthKey))
    }

    #[tracing::instrument(skip_all, fields(tenant = %ctx.tenant))]
    pub async fn delete_external_auth_key(&self, ctx: &Context) -> Result<()> {
        ctx.require_one(&[Permission::ManageKeys])?;
        let at = self.now();
        let mut tx = self.store.write().await?;
        if !tx.delete_external_auth_key(ctx.tenant).await? {
            return Err(Error::NotFound(Entity::ExternalAuthKey));
        }
        tx.append_event(
            &ctx.origin(&Note::default(), at),
            &NewEvent::tenant_wide("external_auth_key_deleted"),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Signs in the user an external token names, in `tenant`.
    #[tracing::instrument(skip_all, fields(tenant = %tenant))]
    pub async fn sign_in_external(
        &self,
        tenant: uuid::Uuid,
        token: &str,
        channel: Channel,
        request_id: Option<String>,
    ) -> Result<Result<ExternalSignIn, TokenRefused>> {
        let refuse = |why: String| Ok(Err(TokenRefused(why)));
        let Some(key) = self
            .store
            .read_one()
            .await?
            .external_auth_key(tenant)
            .await?
        else {
            return refuse("the tenant has no external sign-in key".into());
        };
        let decoding =
            decoding_key(&key).map_err(|e| Error::Internal(anyhow::anyhow!(e.message)))?;
        let expected = algorithm(key.algorithm);
        // Only the registered key's algorithm; exp, nbf and aud are judged below, against
        // roster's clock.
        let mut validation = Validation::new(expected);
        validation.validate_exp = false;
        validation.validate_nbf = false;
        validation.validate_aud = false;
        validation.required_spec_claims.clear();
        let claims = match jsonwebtoken::decode::<Claims>(token, &decoding, &validation) {
            Ok(data) => data.claims,
            Err(e) => {
                let why = match e.kind() {
                    ErrorKind::InvalidAlgorithm => format!(
                        "the token is not signed with {}, the algorithm of the tenant's key",
                        key.algorithm.as_str()
                    ),
                    ErrorKind::InvalidSignature => "the token's signature does not verify".into(),
                    _ if is_unsigned(token) => {
                        "an unsigned token (alg none) signs nobody in".into()
                    }
                    _ => "the token is not a well-formed signed JWT".into(),
                };
                return refuse(why);
            }
        };
        let now = self.now();
        let identity = match check(claims, &key, now.timestamp()) {
            Ok(identity) => identity,
            Err(refusal) => return refuse(refusal.reason()),
        };
        let external_id = identity.external_id.to_string();
        let ctx = Context::new(
            tenant,
            Actor::System,
            Authority::Everything,
            channel,
            request_id,
        );
        let mut tx = self.store.write().await?;
        let expires = DateTime::from_timestamp(identity.expires_at, 0).unwrap_or(now);
        if !tx
            .use_token_id(tenant, SIGN_IN_TOKEN, &identity.jti, expires, now)
            .await?
        {
            return refuse("the token was already used (its jti was seen)".into());
        }
        let existing = tx
            .user_by_ref(tenant, UserRef::ExternalId(&external_id), true)
            .await?;
        let (user, created) = match existing {
            Some(user) if user.status.may_log_in() => (user, false),
            Some(_) => return refuse("the user may not sign in".into()),
            None if !key.create_users => {
                return refuse("no user has this external id, and the tenant creates none".into())
            }
            None => {
                let Some(email) = &identity.email else {
                    return refuse("a new user needs `user.email` in the token".into());
                };
                let Ok(email) = Email::parse("user.email", email) else {
                    return refuse("the token's `user.email` is not an email address".into());
                };
                let mut new = NewUser::with_email(email, Status::Active);
                new.external_id = Some(ExternalId::parse("user.uuid", &external_id)?);
                if let Some(name) = &identity.name {
                    let (first, last) = split_name(name);
                    new.first_name = PersonName::parse("user.name", &first).ok();
                    new.last_name = last.and_then(|l| PersonName::parse("user.name", &l).ok());
                }
                let view = match insert_user(
                    &mut tx,
                    &ctx,
                    &self.settings,
                    &new,
                    None,
                    &Creation::default(),
                    now,
                )
                .await
                {
                    Ok(view) => view,
                    Err(Error::Taken(_)) => {
                        return refuse("the token's email belongs to another user".into())
                    }
                    Err(e) => return Err(e),
                };
                (view.user, true)
            }
        };
        let user_id = user.id;
        let login = open_session(&mut tx, &self.settings, user, now).await?;
        tx.append_event(
            &ctx.signed_in(user_id).origin(&Note::default(), now),
            &NewEvent::about(user_id, "signed_in_external").details(json!({
                "session_id": login.session.id,
                "jti": identity.jti,
                "created": created,
            })),
        )
        .await?;
        tx.commit().await?;
        Ok(Ok(ExternalSignIn { login, created }))
    }
}
