//! Regpack: the action-dispatch `POST /reg/api2/users/` and `POST /reg/api2/statuses/`.
//! Organization = tenant, `group_id` = a roster group, `clogin_id` = the user's number; the
//! membership rules live in `service::memberships`, this module only translates.

mod doc;
mod error;
mod wire;

use crate::domain::event::Actor;
use crate::domain::fields::{DisplayName, Email, Password, PersonName, Phone};
use crate::domain::membership::{status_choice, Color};
use crate::domain::user::{Change, NewUser, UserPatch};
use crate::domain::Entity;
use crate::domain::{FieldError, FieldErrors, Status};
use crate::http::auth::{header, request_id};
use crate::http::dialects::kit::Unrouted;
use crate::http::json::{parse_json, read_body};
use crate::http::openapi::{add_common_errors, tag, Common, When};
use crate::http::tenancy::{caller_for_key, require_tenant};
use crate::http::AppState;
use crate::service::memberships::Enrollee;
use crate::service::{Context, Error};
use axum::extract::{FromRequest, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::IntoResponse as _;
use axum::routing::post;
use axum::{Json, Router};
use error::RegpackError;
use serde::de::DeserializeOwned;
use serde_json::{json, Map, Value};
use utoipa::OpenApi as _;
use wire::{users_answer, Id, StatusesBody, UsersBody};

/// Everything under `/reg` is Regpack's; what no route takes answers in its envelope.
pub const UNROUTED: Unrouted = Unrouted {
    paths: &["/reg"],
    no_route: |uri| {
        RegpackError::new(
            StatusCode::NOT_FOUND,
            format!("no Regpack endpoint at {}", uri.path()),
        )
        .into_response()
    },
    wrong_method: |method, _| {
        RegpackError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            format!("{method} is not allowed: Regpack's endpoints answer POST"),
        )
        .into_response()
    },
    undecodable: || RegpackError::new(StatusCode::NOT_FOUND, "not found").into_response(),
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/reg/api2/users/", post(users))
        .route("/reg/api2/users", post(users))
        .route("/reg/api2/statuses/", post(statuses))
        .route("/reg/api2/statuses", post(statuses))
}

/// How far `Timestamp` may be from the server clock, either way, in seconds.
const TIMESTAMP_WINDOW: i64 = 5 * 60;

/// A caller authenticated by Regpack's four headers. Its context records the `Api-user` it
/// acts for on every audit event.
struct RegpackCaller(Context);

impl FromRequestParts<AppState> for RegpackCaller {
    type Rejection = RegpackError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, RegpackError> {
        let now = chrono::Utc::now().timestamp();
        let sent = header(parts, "timestamp").ok_or_else(|| {
            RegpackError::unauthorized("send the current Unix time in seconds as Timestamp")
        })?;
        let sent: i64 = sent.parse().map_err(|_| {
            RegpackError::unauthorized("Timestamp must be the Unix time in seconds")
        })?;
        if (now - sent).abs() > TIMESTAMP_WINDOW {
            return Err(RegpackError::unauthorized(format!(
                "Timestamp {sent} is more than 5 minutes away from the server clock ({now}); \
                 send the current Unix time in seconds"
            )));
        }
        let user = header(parts, "api-user")
            .map(|u| Email::parse("Api-user", u))
            .ok_or_else(|| RegpackError::unauthorized("send the acting admin's email as Api-user"))?
            .map_err(|e| RegpackError::unauthorized(format!("Api-user {}", e.message)))?
            .into_inner();
        let api_id = header(parts, "api-id").map(str::to_owned).ok_or_else(|| {
            RegpackError::unauthorized("send the organization's account number as Api-id")
        })?;
        if api_id.parse::<i64>().is_err() {
            return Err(RegpackError::unauthorized(
                "Api-id must be the organization's numeric account id",
            ));
        }
        let token = header(parts, "api-token").map(str::to_owned);
        let caller = caller_for_key(parts, state, token.as_deref()).await?;
        require_tenant(&caller, &api_id)?;
        let actor = Actor::ApiKeyFor {
            key: caller.owner.key_id,
            user,
        };
        Ok(RegpackCaller(Context::new(
            caller.owner.tenant_id,
            actor,
            request_id(parts),
        )))
    }
}

/// A JSON body whose errors answer in Regpack's envelope.
struct RegpackJson<T>(T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for RegpackJson<T> {
    type Rejection = RegpackError;

    async fn from_request(req: Request, _: &S) -> Result<Self, RegpackError> {
        let (parts, body) = read_body(req).await?;
        Ok(RegpackJson(parse_json(&parts.headers, &body, None)?))
    }
}

const ACTIONS: &str =
    "create, create_child, login, update, add_email, add_product, get_info, set_status";

/// One users call, parsed whole before anything is read or written.
enum Command {
    Enroll(Enrollee),
    Login {
        email: Email,
        password: Password,
        clogin_id: i64,
    },
    Update(i64, UserPatch),
    AddEmail(i64, Email),
    AddProduct(i64, i64),
    GetInfo(i64),
    SetStatus(i64, Option<i64>),
}

/// Where each service field is in a Regpack request.
const DOC_FIELDS: &[(&str, &str)] = &[
    ("email", "doc.email"),
    ("first_name", "doc.first_name"),
    ("last_name", "doc.last_name"),
    ("phone_number", "doc.phone"),
    ("password", "doc.password"),
    ("product_id", "doc.product_id"),
    ("name", "doc.status_name"),
];

#[utoipa::path(
    post,
    path = "/reg/api2/users",
    tag = tag::REGPACK,
    operation_id = "regpackUsers",
    summary = "Act on a user: create, create_child, login, update, add_email, add_product, get_info, set_status",
    description = "One endpoint, dispatched by `action`. Every call names the `group_id` (a group \
of the organization of `Api-id`); every action but `create` names a person by `clogin_id`, the \
person's number across the organization's groups: the member acted on, or for `create_child` \
the parent (which `connected_to` may name instead; when both are sent they must agree). The whole \
request is checked before anything is read or written: every bad or misplaced field is named \
in one 400 (`connected_to` is read only by `create_child`, `status_id` only by `set_status`, \
`doc` members an action does not read are refused). Every answer shows the member after the \
call. Also served at the path with a trailing slash.",
    request_body = doc::UsersRequest,
    responses(
        (status = 200, description = "Done; `msg` says what, `effected_users` whether the member \
changed", body = doc::UsersAnswer, examples(
            ("create" = (summary = "A new person, or an existing one added to the group",
                value = json!(doc::answer_example("User created successfully.", 1, json!({}))))),
            ("create_child" = (summary = "A child linked to its parent",
                value = json!(doc::answer_example("Child user created successfully.", 1, json!({
                    "users": [102670541],
                    "user_info": {"clogin_id": "102670541"},
                    "meta_info": {"u_name": "Erin Davis"},
                    "profile": {"email": null, "first_name": "Erin", "phone": null}
                }))))),
            ("login" = (summary = "A session opened; `token` and `token_expires_at` only here",
                value = json!(doc::answer_example("User logged in successfully.", 0, json!({
                    "token": "rss_SaNwkOgrJwS5bS9mdySXT9g5L1Y9ElKxYWaguxeJiEI",
                    "token_expires_at": "2026-11-24T09:30:00Z"
                }))))),
            ("update" = (summary = "The profile edited",
                value = json!(doc::answer_example("User updated successfully.", 1, json!({}))))),
            ("add_email" = (summary = "A secondary email added",
                value = json!(doc::answer_example("Email added successfully.", 1, json!({
                    "profile": {"secondary_emails": ["miles.davis@example.org"]}
                }))))),
            ("add_product" = (summary = "A product added to the order",
                value = json!(doc::answer_example("Product added successfully.", 1, json!({
                    "meta_info": {"total_order": "120.00", "products": [
                        {"product_id": "5521", "name": "Summer camp, week 1", "price": "120.00"}
                    ]}
                }))))),
            ("get_info" = (summary = "The member, unchanged",
                value = json!(doc::answer_example("User info.", 0, json!({}))))),
            ("set_status" = (summary = "The status set",
                value = json!(doc::answer_example("User status updated successfully.", 1, json!({
                    "meta_info": {"status_id": "76867", "status_name": "Paid in full", "status_color": "#2e7d32"}
                })))))
        )),
        (status = 400, description = "Unknown action, or fields missing, misplaced or breaking a \
rule, or naming a parent (`connected_to`), product or status the organization does not have \
(also a body that is not a JSON object); `errors` names each", body = doc::Error),
        (status = 401, description = "An authentication header is missing or wrong (the \
`Timestamp` more than 5 minutes off, an unknown `Api-token`...), or, for `login`, a wrong email \
or password", body = doc::Error, example = json!({
            "msg": "wrong email or password", "msg_type": "error", "success": false
        })),
        (status = 404, description = "`Api-id` is not the organization of the `Api-token`; \
`group_id` is not a group of the organization; `clogin_id` is not a user of it, or not in the \
group (also `login` by a person who is not in the group)", body = doc::Error, example = json!({
            "msg": "clogin_id 102670540 is not in group_id 100909072; add them with the create action",
            "msg_type": "error", "success": false
        })),
        (status = 409, description = "`create`: the person is already in the group, or an email \
is used by another person; a concurrent change (retry)", body = doc::Error, example = json!({
            "msg": "the user with this email is already in group_id 100909072",
            "msg_type": "error", "success": false
        })),
    ),
    security(("regpack_api_token" = [], "regpack_api_id" = [], "regpack_api_user" = [], "regpack_timestamp" = [])),
)]
async fn users(
    State(state): State<AppState>,
    RegpackCaller(ctx): RegpackCaller,
    RegpackJson(body): RegpackJson<UsersBody>,
) -> Result<Json<Value>, RegpackError> {
    let (group, command) = command(&body)?;
    let clogin = body.clogin_id.map(|c| c.0);
    let explain = |e: Error| explain(e, group, clogin).renamed(DOC_FIELDS);
    let services = &state.services;
    let answer = match command {
        Command::Enroll(enrollee) => {
            let child = matches!(enrollee, Enrollee::Child { .. });
            let emails = !body.disable_email_sending.unwrap_or(false);
            // The service names the parent `connected_to`; the caller may have sent it as
            // the acting `clogin_id`.
            let parent_field = if body.connected_to.is_some() {
                "connected_to"
            } else {
                "clogin_id"
            };
            let done = services
                .enroll(&ctx, group, enrollee, emails)
                .await
                .map_err(|e| explain(e).renamed(&[("connected_to", parent_field)]))?;
            let msg = match (child, done.created) {
                (true, _) => "Child user created successfully.",
                (false, true) => "User created successfully.",
                (false, false) => "Existing user added to the group successfully.",
            };
            users_answer(msg, &done.member, true)
        }
        Command::Login {
            email,
            password,
            clogin_id,
        } => {
            let (login, member) = services
                .login_member(&ctx, group, clogin_id, &email, &password)
                .await
                .map_err(explain)?;
            let mut answer = users_answer("User logged in successfully.", &member, false);
            answer["token"] = json!(login.token);
            answer["token_expires_at"] = json!(login.session.expires_at);
            answer
        }
        Command::Update(number, patch) => {
            let m = services
                .update_member(&ctx, group, number, patch)
                .await
                .map_err(explain)?;
            users_answer("User updated successfully.", &m, true)
        }
        Command::AddEmail(number, email) => {
            let m = services
                .add_secondary_email(&ctx, group, number, email)
                .await
                .map_err(explain)?;
            users_answer("Email added successfully.", &m, true)
        }
        Command::AddProduct(number, product) => {
            let m = services
                .add_member_product(&ctx, group, number, product)
                .await
                .map_err(explain)?;
            users_answer("Product added successfully.", &m, true)
        }
        Command::GetInfo(number) => {
            let m = services
                .member(&ctx, group, number)
                .await
                .map_err(explain)?;
            users_answer("User info.", &m, false)
        }
        Command::SetStatus(number, status) => {
            let m = services
                .set_member_status(&ctx, group, number, status)
                .await
                .map_err(explain)?;
            users_answer("User status updated successfully.", &m, true)
        }
    };
    Ok(Json(answer))
}

/// A service error told with the request's own ids; none reveals another organization.
fn explain(e: Error, group: i64, clogin: Option<i64>) -> RegpackError {
    let who = clogin.map_or("the user".to_owned(), |c| format!("clogin_id {c}"));
    match e {
        Error::NotFound(Entity::Group) => RegpackError::new(
            StatusCode::NOT_FOUND,
            format!("group_id {group} is not a group of this organization"),
        ),
        Error::NotFound(Entity::User) => RegpackError::new(
            StatusCode::NOT_FOUND,
            format!("{who} is not a user of this organization"),
        ),
        Error::NotFound(Entity::Membership) => RegpackError::new(
            StatusCode::NOT_FOUND,
            format!("{who} is not in group_id {group}; add them with the create action"),
        ),
        Error::Exists(Entity::Membership) => RegpackError::new(
            StatusCode::CONFLICT,
            format!("the user with this email is already in group_id {group}"),
        ),
        other => other.into(),
    }
}

/// Parses a users call into its group and command, naming every bad field at once.
fn command(body: &UsersBody) -> Result<(i64, Command), RegpackError> {
    let mut errors = FieldErrors::new();
    let empty = Map::new();
    let doc = body.doc.as_ref().unwrap_or(&empty);
    let group = body.group_id.map(|g| g.0);
    if group.is_none() {
        errors.push(FieldError::new("group_id", "is required"));
    }
    let action = body.action.as_str();
    let mut clogin = || match body.clogin_id {
        Some(Id(n)) => Some(n),
        None => {
            errors.push(FieldError::new(
                "clogin_id",
                format!("is required by {action}"),
            ));
            None
        }
    };
    let command = match action {
        "create" => {
            if body.clogin_id.is_some() {
                errors.push(FieldError::new(
                    "clogin_id",
                    "is not read by create: a new user gets one, shown in user_info",
                ));
            }
            new_user(doc, true, &mut errors).map(|new| Command::Enroll(Enrollee::Person(new)))
        }
        "create_child" => {
            let new = new_user(doc, false, &mut errors);
            let parent = child_parent(body, &mut errors);
            new.zip(parent)
                .map(|(new, parent)| Command::Enroll(Enrollee::Child { parent, new }))
        }
        "login" => {
            let n = clogin();
            only(doc, &["email", "password"], action, &mut errors);
            let email = required(doc, "email", &mut errors)
                .and_then(|e| errors.take(Email::parse("doc.email", e)));
            let password = required(doc, "password", &mut errors)
                .and_then(|p| errors.take(Password::parse("doc.password", p)));
            match (n, email, password) {
                (Some(clogin_id), Some(email), Some(password)) => Some(Command::Login {
                    email,
                    password,
                    clogin_id,
                }),
                _ => None,
            }
        }
        "update" => {
            let n = clogin();
            let patch = patch(doc, &mut errors);
            n.map(|n| Command::Update(n, patch))
        }
        "add_email" => {
            let n = clogin();
            only(doc, &["email"], action, &mut errors);
            let email = required(doc, "email", &mut errors)
                .and_then(|e| errors.take(Email::parse("doc.email", e)));
            n.zip(email).map(|(n, e)| Command::AddEmail(n, e))
        }
        "add_product" => {
            let n = clogin();
            only(doc, &["product_id"], action, &mut errors);
            let product = match doc.get("product_id") {
                None | Some(Value::Null) => {
                    errors.push(FieldError::new("doc.product_id", "is required"));
                    None
                }
                Some(v) => match serde_json::from_value::<Id>(v.clone()) {
                    Ok(Id(p)) => Some(p),
                    Err(e) => {
                        errors.push(FieldError::new("doc.product_id", e.to_string()));
                        None
                    }
                },
            };
            n.zip(product).map(|(n, p)| Command::AddProduct(n, p))
        }
        "get_info" => {
            let n = clogin();
            only(doc, &[], action, &mut errors);
            n.map(Command::GetInfo)
        }
        "set_status" => {
            let n = clogin();
            only(doc, &[], action, &mut errors);
            let status = match body.status_id {
                Some(Id(s)) => errors.take(status_choice("status_id", s)),
                None => {
                    errors.push(FieldError::new(
                        "status_id",
                        "is required by set_status (0 clears the status)",
                    ));
                    None
                }
            };
            n.zip(status).map(|(n, s)| Command::SetStatus(n, s))
        }
        other => {
            return Err(RegpackError::field(
                "action",
                format!("unknown action {other:?}; valid actions: {ACTIONS}"),
            ))
        }
    };
    if action != "create_child" && body.connected_to.is_some() {
        errors.push(FieldError::new(
            "connected_to",
            "is read only by create_child, which links a new child to its parent",
        ));
    }
    if action != "set_status" && body.status_id.is_some() {
        errors.push(FieldError::new("status_id", "is read only by set_status"));
    }
    errors
        .finish()
        .map_err(|e| RegpackError::from(Error::from(e)))?;
    match (group, command) {
        (Some(g), Some(c)) => Ok((g, c)),
        _ => Err(RegpackError::field(".", "the request is incomplete")),
    }
}

/// The parent of a create_child. Regpack's page makes `clogin_id` mandatory on every call but
/// `create`, so a client following it sends the acting parent's `clogin_id`; its own field for
/// the link is `connected_to`. Either names the parent; when both are sent they must agree.
fn child_parent(body: &UsersBody, errors: &mut FieldErrors) -> Option<i64> {
    match (body.clogin_id, body.connected_to) {
        (Some(Id(acting)), Some(Id(parent))) if acting != parent => {
            errors.push(FieldError::new(
                "connected_to",
                format!(
                    "must be the clogin_id of the parent the child is created for \
                     ({acting}), or be left out; it names {parent}"
                ),
            ));
            None
        }
        (Some(Id(parent)), _) | (None, Some(Id(parent))) => Some(parent),
        (None, None) => {
            errors.push(FieldError::new(
                "clogin_id",
                "is required by create_child: the parent's clogin_id (or send it as connected_to)",
            ));
            None
        }
    }
}

/// Refuses every doc field of `action` other than `allowed`.
fn only(doc: &Map<String, Value>, allowed: &[&str], action: &str, errors: &mut FieldErrors) {
    for field in doc.keys().filter(|k| !allowed.contains(&k.as_str())) {
        let expected = if allowed.is_empty() {
            "none".to_owned()
        } else {
            allowed.join(", ")
        };
        errors.push(FieldError::new(
            format!("doc.{field}"),
            format!("is not a field of {action} (its doc fields: {expected})"),
        ));
    }
}

/// A doc member as text: None when absent, Some(None) when null.
fn text<'a>(
    doc: &'a Map<String, Value>,
    field: &str,
    errors: &mut FieldErrors,
) -> Option<Option<&'a str>> {
    match doc.get(field)? {
        Value::Null => Some(None),
        Value::String(s) => Some(Some(s.as_str())),
        _ => {
            errors.push(FieldError::new(format!("doc.{field}"), "must be a string"));
            None
        }
    }
}

fn required<'a>(
    doc: &'a Map<String, Value>,
    field: &str,
    errors: &mut FieldErrors,
) -> Option<&'a str> {
    match doc.get(field) {
        None | Some(Value::Null) => {
            errors.push(FieldError::new(format!("doc.{field}"), "is required"));
            None
        }
        Some(_) => text(doc, field, errors).flatten(),
    }
}

/// The new user of a create (email required) or create_child (email optional). A password
/// makes the user active at once; without one the user is invited (and, with an email and
/// emails not disabled, gets the invite email).
fn new_user(
    doc: &Map<String, Value>,
    email_required: bool,
    errors: &mut FieldErrors,
) -> Option<NewUser> {
    const FIELDS: &[&str] = &["email", "first_name", "last_name", "phone", "password"];
    for field in doc.keys().filter(|k| !FIELDS.contains(&k.as_str())) {
        errors.push(FieldError::new(
            format!("doc.{field}"),
            format!("is not a profile field ({})", FIELDS.join(", ")),
        ));
    }
    let email = if email_required {
        required(doc, "email", errors).and_then(|e| errors.take(Email::parse("doc.email", e)))
    } else {
        text(doc, "email", errors)
            .flatten()
            .and_then(|e| errors.take(Email::parse("doc.email", e)))
    };
    let mut optional = |field: &str| text(doc, field, errors).flatten();
    let first = optional("first_name");
    let last = optional("last_name");
    let phone = optional("phone");
    let password = optional("password");
    let first_name = first.and_then(|n| errors.take(PersonName::parse("doc.first_name", n)));
    let last_name = last.and_then(|n| errors.take(PersonName::parse("doc.last_name", n)));
    let phone_number = phone.and_then(|p| errors.take(Phone::parse("doc.phone", p)));
    let password = password.and_then(|p| errors.take(Password::parse("doc.password", p)));
    if email_required && email.is_none() {
        return None;
    }
    let status = if password.is_some() {
        Status::Active
    } else {
        Status::Invited
    };
    Some(NewUser {
        email,
        username: None,
        external_id: None,
        first_name,
        last_name,
        phone_number,
        status,
        roles: Default::default(),
        password,
        parent_id: None,
        sessions_limit: None,
        groups: Vec::new(),
    })
}

/// The profile edit of an update: names, phone and password; anything else is refused by name.
fn patch(doc: &Map<String, Value>, errors: &mut FieldErrors) -> UserPatch {
    let mut patch = UserPatch::default();
    if doc.is_empty() {
        errors.push(FieldError::new(
            "doc",
            "send at least one of first_name, last_name, phone, password",
        ));
    }
    for (field, value) in doc {
        let name = format!("doc.{field}");
        let member = match value {
            Value::Null => Some(None),
            Value::String(s) => Some(Some(s.as_str())),
            _ => {
                errors.push(FieldError::new(&name, "must be a string or null"));
                continue;
            }
        };
        match field.as_str() {
            "first_name" => {
                patch.first_name =
                    Change::from_member(member, errors, |t| PersonName::parse(&name, t))
            }
            "last_name" => {
                patch.last_name =
                    Change::from_member(member, errors, |t| PersonName::parse(&name, t))
            }
            "phone" => {
                patch.phone_number = Change::from_member(member, errors, |t| Phone::parse(&name, t))
            }
            "password" => match member.flatten() {
                Some(p) => patch.password = errors.take(Password::parse(&name, p)),
                None => errors.push(FieldError::new(&name, "cannot be cleared")),
            },
            "email" => errors.push(FieldError::new(
                &name,
                "is set by create and is the person's login in every group; \
                 add another address with add_email",
            )),
            "connected_to" | "clogin_id" | "group_id" => errors.push(FieldError::new(
                &name,
                "is fixed when the user is created and cannot be updated",
            )),
            _ => errors.push(FieldError::new(
                &name,
                "is not a profile field (first_name, last_name, phone, password)",
            )),
        }
    }
    patch
}

#[utoipa::path(
    post,
    path = "/reg/api2/statuses",
    tag = tag::REGPACK,
    operation_id = "regpackCreateStatus",
    summary = "Create a status",
    description = "Creates a status of the organization (`action: create`, the only action), \
which `set_status` can then give members. Its name is unique in the organization. Also served \
at the path with a trailing slash.",
    request_body = doc::StatusesRequest,
    responses(
        (status = 200, description = "Created", body = doc::StatusCreated),
        (status = 400, description = "Unknown action, no `doc`, or a field breaking a rule (also \
a body that is not a JSON object); `errors` names each", body = doc::Error),
        (status = 404, description = "`Api-id` is not the organization of the `Api-token`, or \
`group_id` is not a group of it", body = doc::Error, example = json!({
            "msg": "group_id 100909072 is not a group of this organization",
            "msg_type": "error", "success": false
        })),
        (status = 409, description = "The organization has a status of this name", body = doc::Error),
    ),
    security(("regpack_api_token" = [], "regpack_api_id" = [], "regpack_api_user" = [], "regpack_timestamp" = [])),
)]
async fn statuses(
    State(state): State<AppState>,
    RegpackCaller(ctx): RegpackCaller,
    RegpackJson(body): RegpackJson<StatusesBody>,
) -> Result<Json<Value>, RegpackError> {
    if body.action != "create" {
        return Err(RegpackError::field(
            "action",
            format!("unknown action {:?}; valid actions: create", body.action),
        ));
    }
    let doc = body.doc.ok_or_else(|| {
        RegpackError::field("doc", "is required: {status_name, color, is_excluded}")
    })?;
    let mut errors = FieldErrors::new();
    let name = errors.take(DisplayName::parse("doc.status_name", &doc.status_name));
    let color = errors.take(Color::parse("doc.color", &doc.color));
    errors
        .finish()
        .map_err(|e| RegpackError::from(Error::from(e)))?;
    let (Some(name), Some(color)) = (name, color) else {
        unreachable!("finish() refused missing values")
    };
    if let Some(Id(group)) = body.group_id {
        state
            .services
            .group(&ctx, group)
            .await
            .map_err(|e| explain(e, group, None))?;
    }
    let status = state
        .services
        .create_member_status(&ctx, name, color, doc.is_excluded)
        .await
        .map_err(|e| RegpackError::from(e).renamed(DOC_FIELDS))?;
    Ok(Json(json!({
        "msg": "Status created successfully.",
        "msg_type": "info",
        "status_id": status.id,
        "success": true,
    })))
}

#[derive(utoipa::OpenApi)]
#[openapi(paths(users, statuses), components(schemas(doc::Error)))]
struct Api;

/// This dialect's part of the contract.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let mut doc = Api::openapi();
    add_common_errors(
        &mut doc,
        "RegpackError",
        "application/json",
        &[
            Common {
                status: "400",
                description: "Malformed: the body is not a JSON object of the documented fields",
                when: When::Always,
            },
            Common {
                status: "401",
                description: "An authentication header is missing or wrong: `Timestamp` more \
than 5 minutes from the server clock, `Api-user` not an email, `Api-id` not a number, \
`Api-token` unknown or revoked",
                when: When::Authenticated,
            },
            Common::TOO_LARGE,
            Common {
                status: "415",
                description: "The body is not `application/json`",
                when: When::Body,
            },
            Common::UNAVAILABLE,
        ],
    );
    doc
}
