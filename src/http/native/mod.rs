//! The native API, `/v1`: roster's own, with bare JSON resources, `{data, next_cursor}` lists
//! and RFC 9457 problems.

mod actions;
mod bulk;
mod events;
mod external_auth;
mod groups;
mod health;
mod impersonation;
mod invites;
mod keys;
mod me;
mod pages;
mod password_reset;
mod plans;
mod products;
mod roles;
mod rooms;
mod schedules;
mod sessions;
mod settings;
mod tenants;
mod users;
mod webhooks;
mod wire;

use super::idempotency::{self, idempotency};
use super::openapi::{add_common_errors, Common, When};
use super::path::require_decodable;
use super::problem::Problem;
use super::AppState;
use axum::middleware;
use axum::response::IntoResponse;
use axum::Router;
use utoipa::openapi::schema::Schema;
use utoipa::openapi::{OpenApi, RefOr, Required};
use utoipa::OpenApi as _;
use utoipa_axum::router::OpenApiRouter;

type Routes = OpenApiRouter<AppState>;

/// Every native route with its documentation, each registered once by its own module, in the
/// document's order. `keyed` sets up the modules whose POSTs honour `Idempotency-Key` (logins
/// and key creation do not: their answers hold secrets, which are never stored in the clear).
fn api(keyed: impl Fn(Routes) -> Routes) -> Routes {
    Routes::new()
        .merge(keyed(users::router()))
        .merge(bulk::router())
        .merge(keyed(actions::router()))
        .merge(events::router())
        .merge(sessions::router())
        .merge(me::router())
        .merge(impersonation::router())
        .merge(external_auth::router())
        .merge(keyed(groups::router()))
        .merge(keyed(rooms::router()))
        .merge(keyed(plans::router()))
        .merge(keyed(products::router()))
        .merge(keyed(schedules::router()))
        .merge(webhooks::router())
        .merge(invites::router())
        .merge(password_reset::router())
        .merge(keyed(roles::router()))
        .merge(keys::router())
        .merge(settings::router())
        .merge(tenants::router())
        .merge(health::router())
}

pub fn router(state: AppState) -> Router<AppState> {
    let guard = middleware::from_fn_with_state(state, idempotency);
    let (routes, _) = api(|keyed| keyed.layer(guard.clone()))
        .route_layer(middleware::from_fn(|req, next| {
            require_decodable(req, next, || Problem::not_found("resource").into_response())
        }))
        .split_for_parts();
    routes
}

#[derive(utoipa::OpenApi)]
#[openapi(components(schemas(super::problem::ProblemBody)))]
struct Components;

/// The native API's part of the contract.
pub fn openapi() -> OpenApi {
    let mut doc = Components::openapi();
    doc.merge(api(idempotency::document).into_openapi());
    absent_not_null(&mut doc);
    add_common_errors(
        &mut doc,
        "Problem",
        "application/problem+json",
        &[
            // Only bodies and query strings can be malformed; operations with a query string
            // document their own 400.
            Common {
                status: "400",
                description: "Malformed: the body could not be read as JSON of the right shape; the problem names the field",
                when: When::Body,
            },
            Common {
                status: "401",
                description: "No credential, or one that is unknown or revoked",
                when: When::Authenticated,
            },
            Common::TOO_LARGE,
            Common::FORBIDDEN,
            Common {
                status: "415",
                description: "The body is not JSON (`application/json` or another `+json` type)",
                when: When::Body,
            },
            // Every credential is looked up in the database. Of the public operations, those
            // that read it (readiness, invite acceptance) say so themselves.
            Common {
                when: When::Authenticated,
                ..Common::UNAVAILABLE
            },
        ],
    );
    idempotency::document_errors(&mut doc);
    doc
}

/// An optional body (`request_body(content = Option<T>)`) is one that may be left out, not
/// one that may be JSON `null` (which is refused: bodies are objects). utoipa writes the
/// `Option` as `oneOf: [null, T]`; this keeps only `T`.
fn absent_not_null(doc: &mut OpenApi) {
    let null = serde_json::json!({ "type": "null" });
    for item in doc.paths.paths.values_mut() {
        for op in [&mut item.post, &mut item.put, &mut item.patch]
            .into_iter()
            .flatten()
        {
            let Some(body) = op.request_body.as_mut() else {
                continue;
            };
            if matches!(body.required, Some(Required::True)) {
                continue;
            }
            for content in body.content.values_mut() {
                let Some(RefOr::T(Schema::OneOf(one_of))) = &content.schema else {
                    continue;
                };
                let rest: Vec<_> = one_of
                    .items
                    .iter()
                    .filter(|s| serde_json::to_value(s).ok().as_ref() != Some(&null))
                    .cloned()
                    .collect();
                if let [only] = &rest[..] {
                    content.schema = Some(only.clone());
                }
            }
        }
    }
}
