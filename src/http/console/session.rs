//! Who is using the console: the tenant in the path, the admin behind the session cookie, and
//! the CSRF token every form of that session carries.
//!
//! The cookie holds a roster session token (`rss_…`, stored hashed like every session), so
//! ending the admin's sessions (a ban, a deactivation, a force logout) signs them out at once.
//! The CSRF token is derived from the session token (a synchronizer token without storage): a
//! page of the session can show it, another site cannot compute it.

use super::page::{base, Failure};
use crate::domain::event::{Actor, Channel};
use crate::domain::tenant::Tenant;
use crate::domain::user::User;
use crate::http::auth::request_id;
use crate::http::AppState;
use crate::service::{Authority, Context, Error};
use axum::extract::{FromRequest, FromRequestParts, RawPathParams, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// The session cookie.
pub const SESSION_COOKIE: &str = "roster_console";
/// The sign-in form's token cookie (a double-submit token: signing in has no session yet).
pub const SIGN_IN_COOKIE: &str = "roster_console_signin";

/// The value of cookie `name` in the request.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim())
        .filter(|v| !v.is_empty())
}

/// Whether the browser reached roster over https: the proxy says so, or the public URL is.
pub fn is_https(headers: &HeaderMap, state: &AppState) -> bool {
    state.public_https
        || headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
            .is_some_and(|p| p.trim().eq_ignore_ascii_case("https"))
}

/// A `Set-Cookie` value: HttpOnly, SameSite=Lax, Secure over https; `max_age` 0 deletes it.
pub fn set_cookie(name: &str, value: &str, path: &str, max_age: i64, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{name}={value}; Path={path}; Max-Age={max_age}; HttpOnly; SameSite=Lax{secure}"
    ))
    .expect("cookie values are base64url and paths are slugs")
}

/// The CSRF token of the session whose token is `session_token`.
pub fn csrf_of(session_token: &str) -> String {
    let digest = Sha256::new()
        .chain_update(b"roster console csrf\0")
        .chain_update(session_token.as_bytes())
        .finalize();
    URL_SAFE_NO_PAD.encode(digest)
}

/// Compares a submitted token with the expected one in constant time.
pub fn tokens_match(expected: &str, given: Option<&str>) -> bool {
    given.is_some_and(|g| bool::from(expected.as_bytes().ct_eq(g.as_bytes())))
}

/// The tenant the path names, by its slug. Any other tenant reference, or none, is not found.
pub struct ConsoleTenant(pub Tenant);

impl FromRequestParts<AppState> for ConsoleTenant {
    type Rejection = Failure;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Failure> {
        let params = RawPathParams::from_request_parts(parts, state)
            .await
            .map_err(|_| Failure::not_found())?;
        let slug = params
            .iter()
            .find(|(k, _)| *k == "tenant")
            .map(|(_, v)| v.to_owned())
            .ok_or_else(Failure::not_found)?;
        let tenant = state.services.tenant(&slug).await?;
        if tenant.slug != slug {
            return Err(Failure::not_found());
        }
        Ok(ConsoleTenant(tenant))
    }
}

/// A signed-in admin of the tenant in the path, and the context their actions run in.
pub struct Admin {
    pub tenant: Tenant,
    pub user: User,
    pub ctx: Context,
    /// The session token (the cookie's value).
    pub token: String,
    pub csrf: String,
}

impl FromRequestParts<AppState> for Admin {
    type Rejection = Failure;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Failure> {
        let ConsoleTenant(tenant) = ConsoleTenant::from_request_parts(parts, state).await?;
        let sign_in = || Failure::SignIn(format!("{}/sign-in", base(&tenant.slug)));
        let token = cookie(&parts.headers, SESSION_COOKIE)
            .ok_or_else(sign_in)?
            .to_owned();
        let admin = match state.services.console_admin(tenant.id, &token).await {
            Ok(admin) => admin,
            Err(Error::BadCredentials) => return Err(sign_in()),
            Err(e) => return Err(e.into()),
        };
        let ctx = Context::new(
            tenant.id,
            Actor::User(admin.user.id),
            Authority::User(admin.permissions),
            Channel::Console,
            request_id(parts),
        )
        .named(admin.user.email.clone().unwrap_or_default());
        Ok(Admin {
            tenant,
            user: admin.user,
            ctx,
            csrf: csrf_of(&token),
            token,
        })
    }
}

/// A form posted by a signed-in admin, with its session's CSRF token (field `csrf`); a form
/// without it, or with another session's, is refused before anything is read or done.
pub struct AdminForm<T> {
    pub admin: Admin,
    pub form: T,
}

#[derive(Deserialize)]
struct CsrfField {
    csrf: Option<String>,
}

/// The largest form the console reads.
const FORM_LIMIT: usize = 64 * 1024;

impl<T: DeserializeOwned> FromRequest<AppState> for AdminForm<T> {
    type Rejection = Failure;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Failure> {
        let (mut parts, body) = req.into_parts();
        let admin = Admin::from_request_parts(&mut parts, state).await?;
        let bytes = axum::body::to_bytes(body, FORM_LIMIT)
            .await
            .map_err(|_| bad_form("the form is too large"))?;
        let given = serde_urlencoded::from_bytes::<CsrfField>(&bytes)
            .ok()
            .and_then(|f| f.csrf);
        if !tokens_match(&admin.csrf, given.as_deref()) {
            return Err(Failure::Csrf);
        }
        let form = serde_urlencoded::from_bytes(&bytes).map_err(|e| bad_form(&e.to_string()))?;
        Ok(AdminForm { admin, form })
    }
}

/// A form the console's own pages would never send.
pub fn bad_form(why: &str) -> Failure {
    Failure::Page(
        axum::http::StatusCode::BAD_REQUEST,
        "Bad form",
        format!("The form could not be read: {why}."),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_found_by_name() {
        let mut h = HeaderMap::new();
        h.append(
            header::COOKIE,
            HeaderValue::from_static("a=1; roster_console=rss_x"),
        );
        h.append(header::COOKIE, HeaderValue::from_static("b=2"));
        assert_eq!(cookie(&h, SESSION_COOKIE), Some("rss_x"));
        assert_eq!(cookie(&h, "b"), Some("2"));
        assert_eq!(cookie(&h, "roster"), None);
    }

    #[test]
    fn csrf_tokens_are_per_session_and_compared_whole() {
        let a = csrf_of("rss_a");
        assert_ne!(a, csrf_of("rss_b"));
        assert!(tokens_match(&a, Some(&a)));
        assert!(!tokens_match(&a, Some(&a[..10])));
        assert!(!tokens_match(&a, None));
    }
}
