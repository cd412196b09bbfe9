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
use super::AppState;
use axum::middleware;
use axum::Router;
use utoipa::openapi::OpenApi;
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
    add_common_errors(
        &mut doc,
        "Problem",
        "application/problem+json",
        &[
            // Only bodies and query strings can be malformed; operations with a query string
            // document their own 400.
            Common {
                status: "400",
                description: "Malformed: the body could not be read as JSON of the right shape, or a header (`Idempotency-Key`) is malformed; the problem names the field",
                when: When::Body,
            },
            Common {
                status: "401",
                description: "No credential, or one that is unknown or revoked",
                when: When::Authenticated,
            },
            Common {
                status: "413",
                description: "The body is larger than 64 KiB",
                when: When::Body,
            },
            Common {
                status: "415",
                description: "The body is not JSON (`application/json` or another `+json` type)",
                when: When::Body,
            },
            Common {
                status: "503",
                description: "The database is unreachable; retry after `Retry-After` seconds",
                when: When::Always,
            },
        ],
    );
    doc
}
