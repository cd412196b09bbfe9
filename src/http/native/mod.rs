//! The native API, `/v1`: roster's own, with bare JSON resources, `{data, next_cursor}` lists
//! and RFC 9457 problems.

mod events;
mod groups;
mod health;
mod invites;
mod plans;
mod products;
mod rooms;
mod sessions;
mod tenants;
mod users;
mod wire;

use super::idempotency::idempotency;
use super::openapi::{add_common_errors, Common, When};
use super::path::require_decodable;
use super::problem::Problem;
use super::AppState;
use axum::middleware;
use axum::response::IntoResponse;
use axum::Router;
use utoipa::openapi::schema::Schema;
use utoipa::openapi::{ContentBuilder, OpenApi, Ref, RefOr, Required, ResponseBuilder};
use utoipa::OpenApi as _;

pub fn router(state: AppState) -> Router<AppState> {
    // POSTs that change tenant data honour Idempotency-Key. Logins and key creation do not:
    // their answers hold secrets, which are never stored in the clear.
    let idempotent = Router::new()
        .merge(users::router())
        .merge(groups::router())
        .merge(plans::router())
        .merge(rooms::router())
        .merge(products::router())
        .layer(middleware::from_fn_with_state(state, idempotency));
    Router::new()
        .merge(idempotent)
        .merge(events::router())
        .merge(sessions::router())
        .merge(tenants::router())
        .merge(invites::router())
        .merge(health::router())
        .route_layer(middleware::from_fn(|req, next| {
            require_decodable(req, next, || Problem::not_found("resource").into_response())
        }))
}

#[derive(utoipa::OpenApi)]
#[openapi(components(schemas(super::problem::ProblemBody)))]
struct Components;

/// The native API's part of the contract.
pub fn openapi() -> OpenApi {
    let mut doc = Components::openapi();
    for part in [
        users::Api::openapi(),
        events::Api::openapi(),
        sessions::Api::openapi(),
        groups::Api::openapi(),
        rooms::Api::openapi(),
        plans::Api::openapi(),
        products::Api::openapi(),
        invites::Api::openapi(),
        tenants::Api::openapi(),
        health::Api::openapi(),
    ] {
        doc.merge(part);
    }
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
    idempotency_errors(&mut doc);
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

/// Every POST that takes `Idempotency-Key` can answer 400 for a malformed key and 409 while
/// an earlier request with the same key still runs (see `idempotency`), whatever its own 400s
/// and 409s are.
fn idempotency_errors(doc: &mut OpenApi) {
    const IN_PROGRESS: &str =
        "A request with this Idempotency-Key is still running (`idempotency-in-progress`)";
    for item in doc.paths.paths.values_mut() {
        let Some(op) = item.post.as_mut() else {
            continue;
        };
        let keyed = op
            .parameters
            .iter()
            .flatten()
            .any(|p| p.name == "Idempotency-Key");
        if !keyed {
            continue;
        }
        if let Some(RefOr::T(response)) = op.responses.responses.get_mut("400") {
            response.description = format!(
                "{}; or `Idempotency-Key` is not 1 to 255 visible ASCII characters",
                response.description
            );
        }
        match op.responses.responses.get_mut("409") {
            Some(RefOr::T(response)) => {
                response.description = format!(
                    "{}; or a request with this Idempotency-Key is still running \
(`idempotency-in-progress`)",
                    response.description
                );
            }
            Some(RefOr::Ref(_)) => {}
            None => {
                op.responses.responses.insert(
                    "409".to_owned(),
                    RefOr::T(
                        ResponseBuilder::new()
                            .description(IN_PROGRESS)
                            .content(
                                "application/problem+json",
                                ContentBuilder::new()
                                    .schema(Some(Ref::from_schema_name("Problem")))
                                    .build(),
                            )
                            .build(),
                    ),
                );
            }
        }
    }
}
