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
    for part in [users::Api::openapi()] {
        doc.merge(part);
    }
    add_common_errors(
        &mut doc,
        "Problem",
        "application/problem+json",
        &[
            Common {
                status: "400",
                description: "Malformed: the body or query string could not be read (the problem names the field)",
                when: When::Always,
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
                description: "The body is not `application/json`",
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
