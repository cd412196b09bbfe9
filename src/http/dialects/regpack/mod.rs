//! Regpack: the action-dispatch `POST /reg/api2/users/` and `POST /reg/api2/statuses/`.
//! Organization = tenant, `group_id` = a roster group, `clogin_id` = the user's number; the
//! membership rules live in `service::memberships`, this module only translates.

mod command;
mod error;
mod wire;

use crate::domain::event::{Actor, Channel};
use crate::domain::fields::{DisplayName, Email};
use crate::domain::membership::Color;
use crate::domain::{Entity, FieldErrors};
use crate::http::auth::header;
use crate::http::dialects::kit::{self, Body, Failure};
use crate::http::openapi::{add_common_errors, tag, Common, When};
use crate::http::tenancy::{caller_for_key, require_tenant};
use crate::http::AppState;
use crate::service::memberships::Enrollee;
use crate::service::{Context, Error};
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use command::{command, Call, Command};
use error::{ErrorBody, Regpack, RegpackError};
use serde_json::json;
use utoipa::ToSchema as _;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use wire::{
    answer_example, AddEmailRequest, AddProductRequest, CreateChildRequest, CreateRequest,
    EmailDoc, EmptyDoc, GetInfoRequest, Id, LoginDoc, LoginRequest, NewUserDoc, ProductDoc,
    SetStatusRequest, StatusCreated, StatusesBody, UpdateDoc, UpdateRequest, UsersAnswer,
    UsersRequest,
};

/// The routes, at Regpack's paths, with their part of the contract.
fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(users))
        .routes(routes!(statuses))
}

pub fn router() -> Router<AppState> {
    let (routes, _) = routes().split_for_parts();
    // Regpack's page writes both paths with a trailing slash.
    let routes = routes
        .route("/reg/api2/users/", post(users))
        .route("/reg/api2/statuses/", post(statuses));
    kit::serve::<Regpack>(routes)
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
        let caller = caller_for_key(parts, state, token.as_deref(), Channel::Regpack).await?;
        require_tenant(&caller, &api_id)?;
        let actor = Actor::ApiKeyFor {
            key: caller.owner.key_id,
            user,
        };
        Ok(RegpackCaller(caller.ctx.acting_as(actor)))
    }
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
    request_body = UsersRequest,
    responses(
        (status = 200, description = "Done; `msg` says what, `effected_users` whether the member \
changed", body = UsersAnswer, examples(
            ("create" = (summary = "A new person, or an existing one added to the group",
                value = json!(answer_example("User created successfully.", 1, json!({}))))),
            ("create_child" = (summary = "A child linked to its parent",
                value = json!(answer_example("Child user created successfully.", 1, json!({
                    "users": [102670541],
                    "user_info": {"clogin_id": "102670541"},
                    "meta_info": {"u_name": "Erin Davis"},
                    "profile": {"email": null, "first_name": "Erin", "phone": null}
                }))))),
            ("login" = (summary = "A session opened; `token` and `token_expires_at` only here",
                value = json!(answer_example("User logged in successfully.", 0, json!({
                    "token": "rss_SaNwkOgrJwS5bS9mdySXT9g5L1Y9ElKxYWaguxeJiEI",
                    "token_expires_at": "2026-11-24T09:30:00Z"
                }))))),
            ("update" = (summary = "The profile edited",
                value = json!(answer_example("User updated successfully.", 1, json!({}))))),
            ("add_email" = (summary = "A secondary email added",
                value = json!(answer_example("Email added successfully.", 1, json!({
                    "profile": {"secondary_emails": ["miles.davis@example.org"]}
                }))))),
            ("add_product" = (summary = "A product added to the order",
                value = json!(answer_example("Product added successfully.", 1, json!({
                    "meta_info": {"total_order": "120.00", "products": [
                        {"product_id": "5521", "name": "Summer camp, week 1", "price": "120.00"}
                    ]}
                }))))),
            ("get_info" = (summary = "The member, unchanged",
                value = json!(answer_example("User info.", 0, json!({}))))),
            ("set_status" = (summary = "The status set",
                value = json!(answer_example("User status updated successfully.", 1, json!({
                    "meta_info": {"status_id": "76867", "status_name": "Paid in full", "status_color": "#2e7d32"}
                })))))
        )),
        (status = 400, description = "Unknown action, or fields missing, misplaced or breaking a \
rule, or naming a parent (`connected_to`), product or status the organization does not have \
(also a body that is not a JSON object); `errors` names each", body = ErrorBody),
        (status = 401, description = "An authentication header is missing or wrong (the \
`Timestamp` more than 5 minutes off, an unknown `Api-token`...), or, for `login`, a wrong email \
or password", body = ErrorBody, example = json!({
            "msg": "wrong email or password", "msg_type": "error", "success": false
        })),
        (status = 404, description = "`Api-id` is not the organization of the `Api-token`; \
`group_id` is not a group of the organization; `clogin_id` is not a user of it, or not in the \
group (also `login` by a person who is not in the group)", body = ErrorBody, example = json!({
            "msg": "clogin_id 102670540 is not in group_id 100909072; add them with the create action",
            "msg_type": "error", "success": false
        })),
        (status = 409, description = "`create`: the person is already in the group, or an email \
is used by another person; a concurrent change (retry)", body = ErrorBody, example = json!({
            "msg": "the user with this email is already in group_id 100909072",
            "msg_type": "error", "success": false
        })),
    ),
    security(("regpack_api_token" = [], "regpack_api_id" = [], "regpack_api_user" = [], "regpack_timestamp" = [])),
)]
async fn users(
    State(state): State<AppState>,
    RegpackCaller(ctx): RegpackCaller,
    Body(request, _): Body<Regpack, UsersRequest>,
) -> Result<Json<UsersAnswer>, RegpackError> {
    let Call {
        group,
        clogin,
        command,
    } = command(&request)?;
    let explain = |e: Error| explain(e, group, clogin).renamed(DOC_FIELDS);
    let services = &state.services;
    let answer = match command {
        Command::Enroll {
            enrollee,
            emails,
            parent_field,
        } => {
            let child = matches!(enrollee, Enrollee::Child { .. });
            let done = services
                .enroll(&ctx, group, enrollee, emails)
                .await
                .map_err(|e| explain(e).renamed(&[("connected_to", parent_field)]))?;
            let msg = match (child, done.created) {
                (true, _) => "Child user created successfully.",
                (false, true) => "User created successfully.",
                (false, false) => "Existing user added to the group successfully.",
            };
            UsersAnswer::new(msg, &done.member, true)
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
            UsersAnswer::logged_in(&member, login)
        }
        Command::Update(number, patch) => {
            let m = services
                .update_member(&ctx, group, number, patch)
                .await
                .map_err(explain)?;
            UsersAnswer::new("User updated successfully.", &m, true)
        }
        Command::AddEmail(number, email) => {
            let m = services
                .add_secondary_email(&ctx, group, number, email)
                .await
                .map_err(explain)?;
            UsersAnswer::new("Email added successfully.", &m, true)
        }
        Command::AddProduct(number, product) => {
            let m = services
                .add_member_product(&ctx, group, number, product)
                .await
                .map_err(explain)?;
            UsersAnswer::new("Product added successfully.", &m, true)
        }
        Command::GetInfo(number) => {
            let m = services
                .member(&ctx, group, number)
                .await
                .map_err(explain)?;
            UsersAnswer::new("User info.", &m, false)
        }
        Command::SetStatus(number, status) => {
            let m = services
                .set_member_status(&ctx, group, number, status)
                .await
                .map_err(explain)?;
            UsersAnswer::new("User status updated successfully.", &m, true)
        }
    };
    Ok(Json(answer))
}

/// A service error told with the request's own ids; none reveals another organization.
fn explain(e: Error, group: i64, clogin: Option<i64>) -> RegpackError {
    let who = clogin.map_or("the user".to_owned(), |c| format!("clogin_id {c}"));
    match e {
        Error::NotFound(Entity::Group) => Failure::new(
            StatusCode::NOT_FOUND,
            format!("group_id {group} is not a group of this organization"),
        ),
        Error::NotFound(Entity::User) => Failure::new(
            StatusCode::NOT_FOUND,
            format!("{who} is not a user of this organization"),
        ),
        Error::NotFound(Entity::Membership) => Failure::new(
            StatusCode::NOT_FOUND,
            format!("{who} is not in group_id {group}; add them with the create action"),
        ),
        Error::Exists(Entity::Membership) => Failure::new(
            StatusCode::CONFLICT,
            format!("the user with this email is already in group_id {group}"),
        ),
        other => other.into(),
    }
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
    request_body = StatusesBody,
    responses(
        (status = 200, description = "Created", body = StatusCreated),
        (status = 400, description = "Unknown action, no `doc`, or a field breaking a rule (also \
a body that is not a JSON object); `errors` names each", body = ErrorBody),
        (status = 404, description = "`Api-id` is not the organization of the `Api-token`, or \
`group_id` is not a group of it", body = ErrorBody, example = json!({
            "msg": "group_id 100909072 is not a group of this organization",
            "msg_type": "error", "success": false
        })),
        (status = 409, description = "The organization has a status of this name", body = ErrorBody),
    ),
    security(("regpack_api_token" = [], "regpack_api_id" = [], "regpack_api_user" = [], "regpack_timestamp" = [])),
)]
async fn statuses(
    State(state): State<AppState>,
    RegpackCaller(ctx): RegpackCaller,
    Body(body, _): Body<Regpack, StatusesBody>,
) -> Result<Json<StatusCreated>, RegpackError> {
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
    errors.finish()?;
    let (Some(name), Some(color)) = (name, color) else {
        return Err(RegpackError::field("doc", "the request is incomplete"));
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
    Ok(Json(StatusCreated::new(status.id)))
}

/// This dialect's part of the contract.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let mut doc = routes().into_openapi();
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
            Common::FORBIDDEN,
            Common {
                status: "415",
                description: "The body is not `application/json`",
                when: When::Body,
            },
            Common::UNAVAILABLE,
        ],
    );
    kit::refuses_unknown_members(
        &mut doc,
        &[
            CreateRequest::name(),
            CreateChildRequest::name(),
            LoginRequest::name(),
            UpdateRequest::name(),
            AddEmailRequest::name(),
            AddProductRequest::name(),
            GetInfoRequest::name(),
            SetStatusRequest::name(),
            NewUserDoc::name(),
            LoginDoc::name(),
            UpdateDoc::name(),
            EmailDoc::name(),
            ProductDoc::name(),
            EmptyDoc::name(),
        ],
    );
    doc
}
