//! Publica.la's integration API, users: create, list, read, update, deactivate, reactivate,
//! force logout. Authenticated by `X-User-Token: <roster API key>`; rate-limited per key.

mod error;
mod rate;
mod wire;

use crate::domain::event::Note;
use crate::domain::fields::{Email, ExternalId, Password};
use crate::domain::permission::BuiltinRole;
use crate::domain::plan::{self, PlanGrant};
use crate::domain::user::UserFilter;
use crate::domain::user::{self, Change, NewUser, Roles, UserPatch};
use crate::domain::{FieldError, FieldErrors, Status, Transition};
use crate::http::auth::Caller;
use crate::http::dialects::kit::{self, KeyCaller, OptionalBody, Query};
use crate::http::openapi::{add_common_errors, tag, Common as CommonError, When};
use crate::http::AppState;
use crate::service::plans::UserWithPlans;
use crate::service::users::{Creation, OnExisting, UserRef};
use crate::service::{Context, Services};
use axum::extract::{OriginalUri, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware;
use axum::routing::post;
use axum::{Json, Router};
use error::{ErrorBody, Publica, PublicaError, ValidationError};
use serde_json::Value;
use std::collections::HashMap;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;
use wire::{
    CreateUser, Created, Deactivated, ListUser, LoggedOut, Member, Paginator, Reactivated,
    UpdateUser, UserAnswer, UserList,
};

/// The header that carries the API key.
const TOKEN_HEADER: &str = "x-user-token";

/// Users per page of the list unless `per_page` (1 to 200) says otherwise.
const PER_PAGE: u32 = 100;

const USERS: &str = "/integration-api/v1/dashboard/users";

/// The routes, at Publica.la's paths, with their part of the contract.
fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create, list))
        .routes(routes!(read, update, deactivate))
        .routes(routes!(reactivate))
        .routes(routes!(force_logout))
        .routes(routes!(force_logout_by_reference_path))
}

pub fn router(state: AppState) -> Router<AppState> {
    let (routes, _) = routes().split_for_parts();
    let routes = routes.route(&format!("{USERS}/"), post(create).get(list));
    // Outermost: every call counts against the key's limit, even one that names nothing.
    kit::serve::<Publica>(routes)
        .route_layer(middleware::from_fn_with_state(state, rate::rate_limit))
}

// By name: under `/t/{tenant}` the request carries one more path parameter.
#[derive(serde::Deserialize)]
struct UserPath {
    user: String,
}

/// Judges the members of a body, collecting every error.
struct Members {
    errors: FieldErrors,
}

impl Members {
    fn new() -> Self {
        Self {
            errors: FieldErrors::new(),
        }
    }

    /// The member, unless absent or null (Laravel's `nullable`).
    fn value(member: &Member) -> Option<&Value> {
        member.0.as_ref().filter(|v| !v.is_null())
    }

    fn text<'a>(&mut self, name: &str, member: &'a Member, required: bool) -> Option<&'a str> {
        match Self::value(member) {
            Some(Value::String(s)) if !s.trim().is_empty() => Some(s.as_str()),
            Some(Value::String(_)) | None => {
                if required {
                    self.errors.push(PublicaError::required(name));
                }
                None
            }
            Some(_) => {
                self.errors.push(FieldError::new(name, "must be a string"));
                None
            }
        }
    }

    /// `true`/`false`, `1`/`0` (as numbers or strings), as Laravel's `boolean` rule accepts.
    fn boolean(&mut self, name: &str, member: &Member, required: bool) -> Option<bool> {
        let v = match Self::value(member) {
            None => {
                if required {
                    self.errors.push(PublicaError::required(name));
                }
                return None;
            }
            Some(v) => v,
        };
        let parsed = match v {
            Value::Bool(b) => Some(*b),
            Value::Number(n) => match n.as_i64() {
                Some(1) => Some(true),
                Some(0) => Some(false),
                _ => None,
            },
            Value::String(s) => match s.as_str() {
                "1" => Some(true),
                "0" => Some(false),
                _ => None,
            },
            _ => None,
        };
        if parsed.is_none() {
            self.errors
                .push(FieldError::new(name, "field must be true or false"));
        }
        parsed
    }

    /// Absent: None; null: Some(None); an integer (or a string of digits): Some(Some(n)).
    fn integer(&mut self, name: &str, member: &Member) -> Option<Option<i64>> {
        let v = member.0.as_ref()?;
        let n = match v {
            Value::Null => return Some(None),
            Value::Number(n) => n.as_i64(),
            Value::String(s) if s.trim().is_empty() => return Some(None),
            Value::String(s) => s.trim().parse().ok(),
            _ => None,
        };
        if n.is_none() {
            self.errors
                .push(FieldError::new(name, "must be an integer"));
            return None;
        }
        Some(n)
    }

    fn take<T>(&mut self, parsed: Result<T, FieldError>) -> Option<T> {
        self.errors.take(parsed)
    }

    fn finish(self) -> Result<(), PublicaError> {
        Ok(self.errors.finish()?)
    }
}

/// The fields create and update share.
struct Common {
    email: Option<Email>,
    external_id: Option<ExternalId>,
    password: Option<Password>,
    /// Absent: None; null: Some(None).
    sessions_limit: Option<Option<i32>>,
    plan: Option<PlanGrant>,
    admin: Option<bool>,
    plan_admin: Option<bool>,
    only_sees_readable: Option<bool>,
}

/// Reads the fields of a create (`update` false) or an update, as the issue lists them.
fn common(body: &CreateUser, update: bool) -> Result<Common, PublicaError> {
    let mut b = Members::new();
    let email = b
        .text("email", &body.email, true)
        .and_then(|s| b.take(Email::parse("email", s)));
    let external_id = b
        .text("external_id", &body.external_id, true)
        .and_then(|s| b.take(ExternalId::parse("external_id", s)));
    let password = b
        .text("new_password", &body.new_password, false)
        .and_then(|s| b.take(Password::parse("new_password", s)));
    let sessions_limit = b
        .integer("sessions_limit", &body.sessions_limit)
        .map(|n| n.and_then(|n| b.take(user::sessions_limit("sessions_limit", n))));
    let plan_id = b
        .integer("assign_new_plan", &body.assign_new_plan)
        .flatten();
    let valid_to = b
        .text(
            "new_plan_custom_valid_to",
            &body.new_plan_custom_valid_to,
            false,
        )
        .and_then(|s| b.take(plan::valid_to("new_plan_custom_valid_to", s)));
    if valid_to.is_some() && plan_id.is_none() {
        b.errors.push(FieldError::new(
            "new_plan_custom_valid_to",
            "may only be given with assign_new_plan",
        ));
    }
    let admin = b.boolean("admin", &body.admin, false);
    let plan_admin = b.boolean("plan_admin", &body.plan_admin, false);
    let only_sees_readable = b.boolean("only_sees_readable", &body.only_sees_readable, update);
    b.finish()?;
    Ok(Common {
        email,
        external_id,
        password,
        sessions_limit,
        plan: plan_id.map(|plan_id| PlanGrant { plan_id, valid_to }),
        admin,
        plan_admin,
        only_sees_readable,
    })
}

impl Common {
    /// The roles this request turns on or off; flags it leaves out keep their value.
    fn role_changes(&self) -> Vec<(BuiltinRole, bool)> {
        [
            (BuiltinRole::Admin, self.admin),
            (BuiltinRole::PlanAdmin, self.plan_admin),
            (BuiltinRole::OnlySeesReadable, self.only_sees_readable),
        ]
        .into_iter()
        .filter_map(|(role, flag)| flag.map(|on| (role, on)))
        .collect()
    }
}

#[utoipa::path(
    post,
    path = "/integration-api/v1/dashboard/users",
    tag = tag::PUBLICA,
    operation_id = "publicaCreateUser",
    summary = "Create a user",
    description = "Creates an active user with `email` and `external_id` (both unique in the \
store), optionally a password, a sessions limit, the `admin`, `plan_admin` and \
`only_sees_readable` flags, and a plan (`assign_new_plan`, until `new_plan_custom_valid_to`). \
An email or external id already in use, an unknown plan, or any member that breaks a rule is a \
422 naming each. Members it does not know are ignored. Also served at the path with a trailing \
slash.",
    request_body = CreateUser,
    responses(
        (status = 200, description = "Created", body = Created),
        (status = 409, description = "A concurrent write met this one; retry", body = ErrorBody,
            example = json!({"message": "The user changed meanwhile; retry."})),
        (status = 422, description = "A member is missing or breaks a rule (also a body that is \
not a JSON object); `errors` names each", body = ValidationError),
    ),
    security(("publica_token" = [])),
)]
async fn create(
    State(state): State<AppState>,
    KeyCaller(caller, _): KeyCaller<Publica>,
    OptionalBody(body, _): OptionalBody<Publica, CreateUser>,
) -> Result<Json<Created>, PublicaError> {
    let c = common(&body, false)?;
    let email = c
        .email
        .clone()
        .ok_or_else(|| PublicaError::invalid(vec![PublicaError::required("email")]))?;
    let mut new = NewUser::with_email(email, Status::Active);
    new.external_id = c.external_id.clone();
    new.roles = Roles::new(
        c.role_changes()
            .into_iter()
            .filter_map(|(role, on)| on.then_some(role)),
    );
    new.sessions_limit = c.sessions_limit.flatten();
    new.password = c.password;
    let creation = Creation {
        plan: c.plan,
        ..Creation::default()
    };
    let outcome = state
        .services
        .create_user(&caller.ctx, new, creation, OnExisting::Refuse)
        .await?;
    Ok(Json(outcome.user.into()))
}

#[derive(serde::Deserialize, Default)]
struct ListQuery {
    // Read as text: a `page` or `per_page` that is not a number takes its default, as in Laravel.
    query: Option<String>,
    email: Option<String>,
    page: Option<String>,
    per_page: Option<String>,
}

/// Laravel's length-aware paginator: `{current_page, data, first_page_url, from, last_page,
/// last_page_url, next_page_url, path, per_page, prev_page_url, to, total}`.
#[utoipa::path(
    get,
    path = "/integration-api/v1/dashboard/users",
    tag = tag::PUBLICA,
    operation_id = "publicaListUsers",
    summary = "List users",
    description = "Pages through the store's users in id order (deactivated ones included unless \
filtered), as Laravel's length-aware paginator. `query=deactivated` keeps the deactivated users, \
`query=admins` the admins; `email` keeps the user with that email. Also served at the path with \
a trailing slash.",
    params(
        ("query" = Option<String>, Query, description = "`deactivated` or `admins`; any other \
non-empty value is a 422", example = "deactivated"),
        ("email" = Option<String>, Query, description = "Only the user with this email \
(compared after Unicode NFC normalization and case folding, the domain as its IDNA A-label)", example = "reader@example.com"),
        ("page" = Option<u64>, Query, description = "From 1; anything that is not a positive \
number is the first page", example = 1),
        ("per_page" = Option<u32>, Query, description = "Users per page, 1 to 200 (out of range: \
the nearest bound; not a number: 100)", example = 100),
    ),
    responses(
        (status = 200, description = "A page of users", body = UserList),
        (status = 422, description = "`query` is not a known filter, or a parameter is repeated",
            body = ValidationError),
    ),
    security(("publica_token" = [])),
)]
async fn list(
    State(state): State<AppState>,
    KeyCaller(caller, _): KeyCaller<Publica>,
    Query(q, _): Query<Publica, ListQuery>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
) -> Result<Json<UserList>, PublicaError> {
    let mut filter = UserFilter::default();
    match q.query.as_deref().filter(|s| !s.is_empty()) {
        None => {}
        Some("deactivated") => filter.status = Some(Status::Deactivated),
        Some("admins") => filter.role = Some(BuiltinRole::Admin),
        Some(_) => {
            return Err(PublicaError::invalid(vec![FieldError::new(
                "query",
                "The selected query is invalid.",
            )]))
        }
    }
    filter.email_key = q
        .email
        .as_deref()
        .filter(|e| !e.trim().is_empty())
        .map(crate::domain::fields::email_key);
    // Like Laravel's paginator, a page that is not a positive number is the first page.
    let page = q
        .page
        .as_deref()
        .and_then(|p| p.parse::<u64>().ok())
        .filter(|p| *p >= 1)
        .unwrap_or(1);
    let per_page = q
        .per_page
        .as_deref()
        .and_then(|p| p.parse::<u32>().ok())
        .map_or(PER_PAGE, |n| n.clamp(1, 200));
    let found = state
        .services
        .users_numbered(&caller.ctx, &filter, page, per_page)
        .await?;
    let total = found.total.max(0) as u64;
    let last_page = total.div_ceil(u64::from(per_page)).max(1);
    let path = base_url(&headers, uri.path());
    let url = |n: u64| page_url(&path, uri.query(), n);
    let from = (page - 1)
        .saturating_mul(u64::from(per_page))
        .saturating_add(1);
    let count = found.items.len() as u64;
    let today = state.services.now().date_naive();
    let mut links = impersonate_links(&state, &caller.ctx, &headers, &found.items).await?;
    Ok(Json(UserList::from(Paginator {
        current_page: page,
        data: found
            .items
            .iter()
            .map(|u| ListUser::new(u, today).impersonate(links.remove(&u.user.user.id)))
            .collect(),
        first_page_url: url(1),
        from: (count > 0).then_some(from),
        last_page,
        last_page_url: url(last_page),
        next_page_url: (page < last_page).then(|| url(page + 1)),
        per_page,
        prev_page_url: (page > 1).then(|| url(page - 1)),
        to: (count > 0).then_some(from + count - 1),
        total,
        path,
    })))
}

/// The `impersonate` links of these users, by user id: for a caller who may impersonate,
/// one per active user.
async fn impersonate_links(
    state: &AppState,
    ctx: &Context,
    headers: &HeaderMap,
    users: &[UserWithPlans],
) -> Result<HashMap<Uuid, String>, PublicaError> {
    let active: Vec<&UserWithPlans> = users
        .iter()
        .filter(|u| u.user.user.status.may_log_in())
        .collect();
    let ids: Vec<Uuid> = active.iter().map(|u| u.user.user.id).collect();
    let Some(tickets) = state.services.impersonation_links(ctx, &ids).await? else {
        return Ok(HashMap::new());
    };
    let origin = base_url(headers, "");
    Ok(active
        .iter()
        .zip(tickets)
        .map(|(u, t)| {
            let user = &u.user.user;
            let link = format!(
                "{origin}/t/{}/impersonate/take/{}?ticket={}",
                user.tenant_id, user.number, t.ticket
            );
            (t.user, link)
        })
        .collect())
}

/// The URL the client called, without its query: its own scheme and host, and the path with
/// the `/t/{tenant}` base if it came through one.
fn base_url(headers: &HeaderMap, path: &str) -> String {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let scheme = header("x-forwarded-proto").unwrap_or("http");
    let host = header("x-forwarded-host")
        .or_else(|| header("host"))
        .unwrap_or("localhost");
    format!("{scheme}://{host}{path}")
}

/// `path?...&page=n`, keeping the request's other query parameters (the filters).
fn page_url(path: &str, query: Option<&str>, page: u64) -> String {
    let mut out = form_urlencoded::Serializer::new(String::new());
    for (k, v) in form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
        if k != "page" {
            out.append_pair(&k, &v);
        }
    }
    out.append_pair("page", &page.to_string());
    format!("{path}?{}", out.finish())
}

/// The user a path names: Publica's integer id, or (for the read) an email.
async fn user_at(
    services: &Services,
    ctx: &Context,
    raw: &str,
) -> Result<UserWithPlans, PublicaError> {
    let r = if raw.contains('@') {
        UserRef::Email(raw)
    } else {
        UserRef::Number(raw.parse().map_err(|_| PublicaError::not_found())?)
    };
    Ok(services.find_user(ctx, r).await?)
}

#[utoipa::path(
    get,
    path = "/integration-api/v1/dashboard/users/{user}",
    tag = tag::PUBLICA,
    operation_id = "publicaReadUser",
    summary = "Read a user",
    description = "One user, in the list's shape, by integer id or by email.",
    params(("user" = String, Path, description = "The user's integer `id`, or their email",
        example = "923242")),
    responses(
        (status = 200, description = "The user", body = UserAnswer),
        (status = 404, description = "No user of the store has this id or email (also an id \
that is not a number)", body = ErrorBody, example = json!({"message": "User not found."})),
    ),
    security(("publica_token" = [])),
)]
async fn read(
    State(state): State<AppState>,
    KeyCaller(caller, _): KeyCaller<Publica>,
    Path(UserPath { user }): Path<UserPath>,
    headers: HeaderMap,
) -> Result<Json<UserAnswer>, PublicaError> {
    let u = user_at(&state.services, &caller.ctx, &user).await?;
    let mut links =
        impersonate_links(&state, &caller.ctx, &headers, std::slice::from_ref(&u)).await?;
    let answer = UserAnswer::new(&u, state.services.now().date_naive());
    Ok(Json(answer.impersonate(links.remove(&u.user.user.id))))
}

#[utoipa::path(
    put,
    path = "/integration-api/v1/dashboard/users/{user}",
    tag = tag::PUBLICA,
    operation_id = "publicaUpdateUser",
    summary = "Update a user",
    description = "Sets the user's `email` and `external_id` (both required), and, when sent, \
the password (ending every session), the sessions limit (null removes it), the flags, and a \
plan to grant. `only_sees_readable` is required; `admin` and `plan_admin` left out keep their \
value. An unknown user is a 404 before the body is judged.",
    params(("user" = String, Path, description = "The user's integer `id`", example = "923242")),
    request_body = UpdateUser,
    responses(
        (status = 204, description = "Updated"),
        (status = 404, description = "No user of the store has this id (also an id that is not \
a number)", body = ErrorBody, example = json!({"message": "User not found."})),
        (status = 409, description = "The user changed meanwhile; retry", body = ErrorBody,
            example = json!({"message": "The user changed meanwhile; retry."})),
        (status = 422, description = "A member is missing or breaks a rule (an email or external \
id in use, an unknown plan...); `errors` names each", body = ValidationError),
    ),
    security(("publica_token" = [])),
)]
async fn update(
    State(state): State<AppState>,
    KeyCaller(caller, _): KeyCaller<Publica>,
    Path(UserPath { user }): Path<UserPath>,
    OptionalBody(UpdateUser(body), _): OptionalBody<Publica, UpdateUser>,
) -> Result<StatusCode, PublicaError> {
    // An unknown user is 404 before the body is judged, as Laravel's route binding answers.
    let current = numbered(&state.services, &caller.ctx, &user).await?;
    let c = common(&body, true)?;
    let patch = UserPatch {
        email: c.email.clone().map_or(Change::Keep, Change::Set),
        external_id: c.external_id.clone().map_or(Change::Keep, Change::Set),
        sessions_limit: match c.sessions_limit {
            None => Change::Keep,
            Some(None) => Change::Clear,
            Some(Some(n)) => Change::Set(n),
        },
        password: c.password.clone(),
        ..UserPatch::default()
    };
    state
        .services
        .edit_user(
            &caller.ctx,
            current.user.user.id,
            patch,
            &c.role_changes(),
            c.plan,
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The user a path's integer id names; anything else is not found.
async fn numbered(
    services: &Services,
    ctx: &Context,
    raw: &str,
) -> Result<UserWithPlans, PublicaError> {
    let n = raw.parse().map_err(|_| PublicaError::not_found())?;
    Ok(services.find_user(ctx, UserRef::Number(n)).await?)
}

/// `DELETE …/users/{id}` answers `data: []`.
#[utoipa::path(
    delete,
    path = "/integration-api/v1/dashboard/users/{user}",
    tag = tag::PUBLICA,
    operation_id = "publicaDeactivateUser",
    summary = "Deactivate a user",
    description = "Deactivates the user: every session ends and they cannot log in until \
reactivated. Deactivating a deactivated user changes nothing and answers the same. Refused \
(409) for a user whose status cannot be deactivated (banned, a revoked invite), for the last \
active admin, and for a user who alone owns rooms.",
    params(("user" = String, Path, description = "The user's integer `id`", example = "923242")),
    responses(
        (status = 200, description = "Deactivated", body = Deactivated),
        (status = 404, description = "No user of the store has this id (also an id that is not \
a number)", body = ErrorBody, example = json!({"message": "User not found."})),
        (status = 409, description = "The user's status, the last admin or their rooms forbid it",
            body = ErrorBody, example = json!({"message": "Cannot deactivate a user who is banned."})),
    ),
    security(("publica_token" = [])),
)]
async fn deactivate(
    State(state): State<AppState>,
    KeyCaller(caller, _): KeyCaller<Publica>,
    Path(UserPath { user }): Path<UserPath>,
) -> Result<Json<Deactivated>, PublicaError> {
    change_status(&state, &caller, &user, Transition::Deactivate).await?;
    Ok(Json(Deactivated::new()))
}

/// `PUT …/users/{id}/re-activate` answers `data: 1`.
#[utoipa::path(
    put,
    path = "/integration-api/v1/dashboard/users/{user}/re-activate",
    tag = tag::PUBLICA,
    operation_id = "publicaReactivateUser",
    summary = "Reactivate a user",
    description = "Makes a deactivated user active again. An active user answers the same and \
nothing changes; any other status (invited, banned, revoked) is a 409.",
    params(("user" = String, Path, description = "The user's integer `id`", example = "923242")),
    responses(
        (status = 200, description = "Reactivated", body = Reactivated),
        (status = 404, description = "No user of the store has this id (also an id that is not \
a number)", body = ErrorBody, example = json!({"message": "User not found."})),
        (status = 409, description = "The user's status cannot be reactivated", body = ErrorBody,
            example = json!({"message": "Cannot reactivate a user who is invited."})),
    ),
    security(("publica_token" = [])),
)]
async fn reactivate(
    State(state): State<AppState>,
    KeyCaller(caller, _): KeyCaller<Publica>,
    Path(UserPath { user }): Path<UserPath>,
) -> Result<Json<Reactivated>, PublicaError> {
    change_status(&state, &caller, &user, Transition::Reactivate).await?;
    Ok(Json(Reactivated::new()))
}

async fn change_status(
    state: &AppState,
    caller: &Caller,
    user: &str,
    transition: Transition,
) -> Result<(), PublicaError> {
    let n: i64 = user.parse().map_err(|_| PublicaError::not_found())?;
    state
        .services
        .change_status(
            &caller.ctx,
            UserRef::Number(n),
            transition,
            &Note::default(),
        )
        .await?;
    Ok(())
}

/// `{user}` is the integer id or the `external_id`: an integer that is no user's id is tried
/// as an `external_id`, since platforms often use numbers as their own ids.
#[utoipa::path(
    post,
    path = "/integration-api/v1/dashboard/users/{user}/force-logout",
    tag = tag::PUBLICA,
    operation_id = "publicaForceLogout",
    summary = "Force a user's logout",
    description = FORCE_LOGOUT,
    params(("user" = String, Path, description = FORCE_LOGOUT_USER, example = "923242")),
    responses(
        (status = 200, description = "Every session ended", body = LoggedOut),
        (status = 404, description = "No user of the store has this id or external id",
            body = ErrorBody, example = json!({"message": "User not found."})),
    ),
    security(("publica_token" = [])),
)]
async fn force_logout(
    State(state): State<AppState>,
    KeyCaller(caller, _): KeyCaller<Publica>,
    Path(UserPath { user }): Path<UserPath>,
) -> Result<Json<LoggedOut>, PublicaError> {
    let revoked = state
        .services
        .logout(
            &caller.ctx,
            UserRef::NumberElseExternalId(&user),
            &Note::default(),
        )
        .await?;
    Ok(Json(LoggedOut::new(revoked)))
}

const FORCE_LOGOUT: &str = "Ends every session of the user; their next request meets the \
login. Answers how many sessions were live (0 is a success too).";
const FORCE_LOGOUT_USER: &str = "The user's integer `id` or their `external_id`: a number that \
is no user's id is tried as an `external_id`";

/// The path the reference page lists for force logout (its own example uses the dashboard one).
#[utoipa::path(
    post,
    path = "/integration-api/v1/users/{user}/force-logout",
    tag = tag::PUBLICA,
    operation_id = "publicaForceLogoutByReferencePath",
    summary = "Force a user's logout (the reference page's path)",
    description = FORCE_LOGOUT,
    params(("user" = String, Path, description = FORCE_LOGOUT_USER, example = "user-id-in-your-platform")),
    responses(
        (status = 200, description = "Every session ended", body = LoggedOut),
        (status = 404, description = "No user of the store has this id or external id",
            body = ErrorBody, example = json!({"message": "User not found."})),
    ),
    security(("publica_token" = [])),
)]
async fn force_logout_by_reference_path(
    state: State<AppState>,
    caller: KeyCaller<Publica>,
    user: Path<UserPath>,
) -> Result<Json<LoggedOut>, PublicaError> {
    force_logout(state, caller, user).await
}

/// This dialect's part of the contract.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let mut doc = routes().into_openapi();
    add_common_errors(
        &mut doc,
        "PublicaError",
        "application/json",
        &[
            CommonError {
                status: "401",
                description: "No `X-User-Token`, or one that is unknown or revoked",
                when: When::Authenticated,
            },
            CommonError::TOO_LARGE,
            CommonError::FORBIDDEN,
            CommonError {
                status: "415",
                description: "The body is not `application/json`",
                when: When::Body,
            },
            CommonError {
                status: "429",
                description: "Too Many Attempts: the token used up its calls of this window; \
retry after `Retry-After` seconds",
                when: When::Authenticated,
            },
            CommonError::UNAVAILABLE,
        ],
    );
    rate_limit_headers(&mut doc);
    doc
}

/// Every answer to a call with a token says where the token stands; a 429 also says when to
/// retry. `add_common_errors` writes bodies only, so the headers are added here.
fn rate_limit_headers(doc: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::{HeaderBuilder, Object, RefOr, Type};
    let header = |what: &str| {
        HeaderBuilder::new()
            .schema(Object::with_type(Type::Integer))
            .description(Some(what))
            .build()
    };
    for item in doc.paths.paths.values_mut() {
        for op in [
            &mut item.get,
            &mut item.post,
            &mut item.put,
            &mut item.delete,
        ]
        .into_iter()
        .flatten()
        {
            for (status, response) in op.responses.responses.iter_mut() {
                let RefOr::T(response) = response else {
                    continue;
                };
                if status.starts_with('2') || status == "429" {
                    response.headers.insert(
                        "X-RateLimit-Limit".into(),
                        header("Calls the token may make in a window"),
                    );
                    response.headers.insert(
                        "X-RateLimit-Remaining".into(),
                        header("Calls left in this window"),
                    );
                }
                if status == "429" {
                    response.headers.insert(
                        "X-RateLimit-Reset".into(),
                        header("Unix time at which the window ends (sent once no call is left)"),
                    );
                    response.headers.insert(
                        "Retry-After".into(),
                        header("Seconds until the window ends"),
                    );
                }
                if status == "503" {
                    response
                        .headers
                        .insert("Retry-After".into(), header("Seconds to wait: 1"));
                }
            }
        }
    }
}
