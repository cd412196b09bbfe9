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
use super::AppState;
use axum::middleware;
use axum::Router;

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
