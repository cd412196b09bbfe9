//! What every console page shares: the frame around it (tenant, signed-in admin, CSRF token,
//! messages), rendering, and the pages shown instead of one (not found, refused, failed).

use super::session::Admin;
use super::templates;
use crate::domain::tenant::Tenant;
use crate::domain::FieldError;
use crate::http::problem::InternalError;
use crate::service::Error;
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::sync::Arc;
use uuid::Uuid;

/// The frame of a page: what `base.html` shows around it.
#[derive(Debug, Clone, Serialize)]
pub struct Chrome {
    pub tenant_name: String,
    /// `/t/{slug}/console`: every link of the console starts here.
    pub base: String,
    pub admin_email: Option<String>,
    pub csrf: Option<String>,
    pub notice: Option<String>,
    pub error: Option<String>,
}

impl Chrome {
    /// The frame of a page nobody is signed in to (sign-in, set-up).
    pub fn public(tenant: &Tenant) -> Self {
        Self {
            tenant_name: tenant.name.clone(),
            base: base(&tenant.slug),
            admin_email: None,
            csrf: None,
            notice: None,
            error: None,
        }
    }

    pub fn of(admin: &Admin) -> Self {
        Self {
            admin_email: Some(admin.user.email.clone().unwrap_or_default()),
            csrf: Some(admin.csrf.clone()),
            ..Self::public(&admin.tenant)
        }
    }

    pub fn notice(self, notice: Option<String>) -> Self {
        Self { notice, ..self }
    }

    pub fn error(self, error: Option<String>) -> Self {
        Self { error, ..self }
    }
}

/// The path every console page of the tenant starts with.
pub fn base(slug: &str) -> String {
    format!("/t/{slug}/console")
}

/// Renders `template` with `status`.
pub fn render(
    status: StatusCode,
    template: &str,
    ctx: impl Serialize,
) -> Result<Response, Failure> {
    let html = templates::env()
        .get_template(template)
        .and_then(|t| t.render(ctx))
        .map_err(|e| {
            Failure::from(Error::Internal(anyhow::anyhow!(
                "rendering {template}: {e}"
            )))
        })?;
    Ok((status, Html(html)).into_response())
}

/// A time as the console shows it.
pub fn when(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

/// Why a page could not be shown.
#[derive(Debug)]
pub enum Failure {
    /// Not signed in, or the session ended: go here (the sign-in page).
    SignIn(String),
    /// A form without its session's CSRF token.
    Csrf,
    /// A page shown instead: its status, title and message.
    Page(StatusCode, &'static str, String),
    /// Failed inside: logged once, shown as a generic page.
    Internal(Arc<anyhow::Error>),
}

impl Failure {
    pub fn not_found() -> Self {
        Failure::Page(
            StatusCode::NOT_FOUND,
            "Not found",
            "There is no such page in this tenant's console.".into(),
        )
    }
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        match e {
            Error::NotFound(_) => Failure::not_found(),
            Error::Unavailable => Failure::Page(
                StatusCode::SERVICE_UNAVAILABLE,
                "Unavailable",
                "The database is unavailable; try again in a moment.".into(),
            ),
            Error::Forbidden(missing) => Failure::Page(
                StatusCode::FORBIDDEN,
                "Not allowed",
                format!("Your roles do not grant {}.", missing.permission.as_str()),
            ),
            Error::Internal(e) => Failure::Internal(Arc::new(e)),
            other => Failure::Page(StatusCode::BAD_REQUEST, "Refused", other.to_string()),
        }
    }
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        let (status, title, message, internal) = match self {
            Failure::SignIn(to) => return Redirect::to(&to).into_response(),
            Failure::Csrf => (
                StatusCode::FORBIDDEN,
                "Form expired",
                "This form is missing its security token or comes from another session. Go \
                 back, reload the page and try again."
                    .to_owned(),
                None,
            ),
            Failure::Page(status, title, message) => (status, title, message, None),
            Failure::Internal(e) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong",
                "roster could not show this page; the error is in its log.".to_owned(),
                Some(InternalError(e)),
            ),
        };
        let html = templates::env()
            .get_template("message.html")
            .and_then(|t| t.render(minijinja::context! { title, message }))
            .unwrap_or_else(|_| format!("<!doctype html><title>{title}</title><p>{title}"));
        let mut res = (
            status,
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            html,
        )
            .into_response();
        if let Some(e) = internal {
            res.extensions_mut().insert(e);
        }
        res
    }
}

/// Bad fields as one line: each field named in words, with what is wrong with it.
pub fn field_messages(fields: &[FieldError]) -> String {
    fields
        .iter()
        .map(|f| format!("{}: {}", f.field.replace('_', " "), f.message))
        .collect::<Vec<_>>()
        .join("; ")
}

/// Where an action done on a user lands: their page, saying what was done.
pub fn done_url(tenant_slug: &str, user: Uuid, done: &str) -> String {
    format!("{}/users/{user}?done={done}", base(tenant_slug))
}

/// A use case's refusal an admin can act on (an illegal transition, the last admin, a bad
/// field), shown as a message on the page; None for failures that are not the admin's to fix.
pub fn refusal(e: &Error) -> Option<(StatusCode, String)> {
    let conflict = |m: String| Some((StatusCode::CONFLICT, m));
    match e {
        Error::Invalid(fields) => Some((StatusCode::UNPROCESSABLE_ENTITY, field_messages(fields))),
        Error::Transition {
            current,
            transition,
        } => conflict(format!(
            "Refused: a user who is {current} cannot be {}.",
            transition.event_action().replace('_', " ")
        )),
        Error::LastAdmin => conflict(
            "Refused: this is the tenant's last active admin; make someone else an admin first."
                .into(),
        ),
        Error::LastOwner { .. } => conflict(
            "Refused: the user is the last owner of rooms; review the hand-over first.".into(),
        ),
        Error::Taken(fields) => conflict(format!("Refused: already taken: {}.", fields.join(", "))),
        Error::Exists(_) | Error::Conflict | Error::VersionMismatch { .. } => {
            conflict(format!("Refused: {e}. Reload the page and try again."))
        }
        Error::Gone(why) => Some((StatusCode::GONE, format!("Refused: {why}."))),
        _ => None,
    }
}
