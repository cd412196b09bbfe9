//! Signing in and out, the set-password links, and `/` pointing a browser to the console.

use super::page::{base, field_messages, render, Chrome, Failure};
use super::session::{
    cookie, is_https, set_cookie, tokens_match, Admin, AdminForm, ConsoleTenant, SESSION_COOKIE,
    SIGN_IN_COOKIE,
};
use crate::domain::fields::{email_key, Email, Password};
use crate::http::auth::request_id;
use crate::http::problem::Problem;
use crate::http::AppState;
use crate::service::console::SetupFor;
use crate::service::secrets;
use crate::service::sessions::Login;
use crate::service::Error;
use axum::extract::{FromRequestParts, Query, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use minijinja::context;
use serde::Deserialize;

/// Sign-in attempts per email per minute (the rate-limit window).
const SIGN_IN_ATTEMPTS: u32 = 10;
const SIGN_IN_SCOPE: &str = "console-sign-in";

/// The one message for every refused sign-in, whatever the reason.
pub const SIGN_IN_REFUSED: &str =
    "Wrong email or password, or this account may not use the console.";

/// `GET /`: a browser goes to the default tenant's console; anything else is not found.
pub async fn root(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let browser = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("text/html"));
    if browser {
        if let Ok(tenant) = state.services.tenant("default").await {
            return Redirect::to(&base(&tenant.slug)).into_response();
        }
    }
    Problem::not_found("route").into_response()
}

#[derive(Deserialize)]
pub struct SignInQuery {
    signed_out: Option<String>,
}

/// `GET …/console/sign-in`.
pub async fn sign_in_page(
    State(state): State<AppState>,
    admin: Result<Admin, Failure>,
    ConsoleTenant(tenant): ConsoleTenant,
    headers: HeaderMap,
    Query(query): Query<SignInQuery>,
) -> Result<Response, Failure> {
    if admin.is_ok() {
        return Ok(Redirect::to(&base(&tenant.slug)).into_response());
    }
    let chrome = Chrome::public(&tenant).notice(
        query
            .signed_out
            .is_some()
            .then(|| "You are signed out.".to_owned()),
    );
    sign_in_form(&state, &headers, chrome, "", StatusCode::OK)
}

/// The sign-in form, with its double-submit token (kept from an earlier visit, or new).
fn sign_in_form(
    state: &AppState,
    headers: &HeaderMap,
    chrome: Chrome,
    email: &str,
    status: StatusCode,
) -> Result<Response, Failure> {
    let token = cookie(headers, SIGN_IN_COOKIE)
        .map(str::to_owned)
        .unwrap_or_else(|| secrets::mint("").secret);
    let path = format!("{}/sign-in", chrome.base);
    let mut res = render(
        status,
        "sign_in.html",
        context! { c => chrome, csrf => token, email },
    )?;
    res.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(
            SIGN_IN_COOKIE,
            &token,
            &path,
            3600,
            is_https(headers, state),
        ),
    );
    Ok(res)
}

#[derive(Deserialize)]
pub struct SignInForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    csrf: Option<String>,
}

/// `POST …/console/sign-in`.
pub async fn sign_in(
    State(state): State<AppState>,
    ConsoleTenant(tenant): ConsoleTenant,
    headers: HeaderMap,
    parts_id: RequestId,
    Form(form): Form<SignInForm>,
) -> Result<Response, Failure> {
    let expected = cookie(&headers, SIGN_IN_COOKIE).unwrap_or_default();
    if expected.is_empty() || !tokens_match(expected, form.csrf.as_deref()) {
        return Err(Failure::Csrf);
    }
    // Guessing one admin's password is bounded per email (whoever the email is: a limit
    // reached says nothing about whether the account exists).
    let attempts = format!("{}\n{}", tenant.id, email_key(form.email.trim()));
    let window = state
        .services
        .count_call(SIGN_IN_SCOPE, &attempts, SIGN_IN_ATTEMPTS)
        .await?;
    if !window.allowed {
        let message = format!(
            "Too many sign-in attempts for this email; try again in {} seconds.",
            window.retry_after
        );
        return sign_in_form(
            &state,
            &headers,
            Chrome::public(&tenant).error(Some(message)),
            form.email.trim(),
            StatusCode::TOO_MANY_REQUESTS,
        );
    }
    match state
        .services
        .console_sign_in(tenant.id, form.email.trim(), &form.password, parts_id.0)
        .await
    {
        Ok(login) => Ok(signed_in(&state, &headers, &tenant.slug, &login)),
        Err(Error::BadCredentials) => sign_in_form(
            &state,
            &headers,
            Chrome::public(&tenant).error(Some(SIGN_IN_REFUSED.to_owned())),
            form.email.trim(),
            StatusCode::UNAUTHORIZED,
        ),
        Err(e) => Err(e.into()),
    }
}

/// The request's id, for the events a page's use case records.
pub struct RequestId(Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for RequestId {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(RequestId(request_id(parts)))
    }
}

/// To the console, holding the new session in its cookie.
fn signed_in(state: &AppState, headers: &HeaderMap, slug: &str, login: &Login) -> Response {
    let max_age = (login.session.expires_at - login.session.created_at).num_seconds();
    let home = base(slug);
    let mut res = Redirect::to(&home).into_response();
    let https = is_https(headers, state);
    let h = res.headers_mut();
    h.append(
        header::SET_COOKIE,
        set_cookie(SESSION_COOKIE, &login.token, &home, max_age, https),
    );
    h.append(
        header::SET_COOKIE,
        set_cookie(SIGN_IN_COOKIE, "", &format!("{home}/sign-in"), 0, https),
    );
    res
}

#[derive(Deserialize)]
pub struct Nothing {}

/// `POST …/console/sign-out`: ends this session (audited as the admin's logout).
pub async fn sign_out(
    State(state): State<AppState>,
    headers: HeaderMap,
    AdminForm { admin, .. }: AdminForm<Nothing>,
) -> Result<Response, Failure> {
    match state.services.end_session(&admin.ctx, &admin.token).await {
        Ok(()) | Err(Error::BadCredentials) => {}
        Err(e) => return Err(e.into()),
    }
    let home = base(&admin.tenant.slug);
    let mut res = Redirect::to(&format!("{home}/sign-in?signed_out=1")).into_response();
    res.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(SESSION_COOKIE, "", &home, 0, is_https(&headers, &state)),
    );
    Ok(res)
}

#[derive(Deserialize)]
pub struct SetupQuery {
    token: Option<String>,
}

/// `GET …/console/setup?token=…`: the form a set-password link opens.
pub async fn setup_page(
    State(state): State<AppState>,
    ConsoleTenant(tenant): ConsoleTenant,
    Query(query): Query<SetupQuery>,
) -> Result<Response, Failure> {
    let token = query.token.unwrap_or_default();
    let chrome = Chrome::public(&tenant);
    let email = match state.services.setup_link(tenant.id, &token).await {
        Ok(SetupFor::FirstAdmin) => None,
        Ok(SetupFor::Admin { email }) => Some(email.unwrap_or_default()),
        Err(e) => return dead_link(e),
    };
    render(
        StatusCode::OK,
        "setup.html",
        context! { c => chrome, token, email, first => email.is_none() },
    )
}

/// A set-password link that does not work (unknown, used or expired), as a page.
fn dead_link(e: Error) -> Result<Response, Failure> {
    let why = match e {
        Error::NotFound(_) => "this link is not valid",
        Error::Gone(why) => why,
        other => return Err(other.into()),
    };
    Err(Failure::Page(
        StatusCode::GONE,
        "Link not valid",
        format!(
            "The set-password link does not work: {why}. Ask for a new one with \
             `roster admin create --tenant <tenant> --email <email>`."
        ),
    ))
}

#[derive(Deserialize)]
pub struct SetupForm {
    #[serde(default)]
    token: String,
    email: Option<String>,
    #[serde(default)]
    password: String,
    #[serde(default)]
    password_again: String,
}

/// `POST …/console/setup`: sets the password, uses the link up, and signs the admin in.
pub async fn setup(
    State(state): State<AppState>,
    ConsoleTenant(tenant): ConsoleTenant,
    headers: HeaderMap,
    id: RequestId,
    Form(form): Form<SetupForm>,
) -> Result<Response, Failure> {
    let refused = |message: String| {
        let first = form.email.is_some();
        render(
            StatusCode::UNPROCESSABLE_ENTITY,
            "setup.html",
            context! {
                c => Chrome::public(&tenant).error(Some(message)),
                token => &form.token,
                email => form.email.as_deref().filter(|_| !first),
                typed_email => form.email.as_deref(),
                first,
            },
        )
    };
    let email = match form
        .email
        .as_deref()
        .map(|e| Email::parse("email", e.trim()))
    {
        None => None,
        Some(Ok(e)) => Some(e),
        Some(Err(e)) => return refused(format!("Email: {}.", e.message)),
    };
    let password = match Password::parse("password", &form.password) {
        Ok(p) => p,
        Err(e) => return refused(format!("Password: {}.", e.message)),
    };
    if form.password != form.password_again {
        return refused("The two passwords differ.".into());
    }
    match state
        .services
        .redeem_setup_link(tenant.id, &form.token, email, &password, id.0)
        .await
    {
        Ok(login) => Ok(signed_in(&state, &headers, &tenant.slug, &login)),
        Err(e @ (Error::NotFound(_) | Error::Gone(_))) => dead_link(e),
        Err(Error::Taken(_)) => refused("A user of this tenant already has this email.".into()),
        Err(Error::Invalid(fields)) => refused(field_messages(&fields)),
        Err(e) => Err(e.into()),
    }
}
