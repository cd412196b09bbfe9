//! The admin console (issue 17): server-rendered pages where a tenant's admins find their
//! users, see what happened to them and act, at `/t/{tenant}/console`. Plain HTML forms and
//! links (no script), minijinja templates and a stylesheet compiled into the binary. Every
//! action calls the same use case the APIs call, as the signed-in admin, through the
//! `console` channel.

mod actions;
mod assets;
mod auth;
mod feed;
mod page;
mod session;
mod templates;
mod user;
mod users;

use super::AppState;
use axum::extract::Request;
use axum::http::{header, HeaderValue};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;

pub fn router() -> Router<AppState> {
    let pages = Router::new()
        .route("/t/{tenant}/console", get(users::list))
        .route(
            "/t/{tenant}/console/sign-in",
            get(auth::sign_in_page).post(auth::sign_in),
        )
        .route("/t/{tenant}/console/sign-out", post(auth::sign_out))
        .route(
            "/t/{tenant}/console/setup",
            get(auth::setup_page).post(auth::setup),
        )
        .route("/t/{tenant}/console/invite", post(actions::invite))
        .route("/t/{tenant}/console/feed", get(feed::page))
        .route("/t/{tenant}/console/users/{id}", get(user::page))
        .route(
            "/t/{tenant}/console/users/{id}/deactivate",
            get(actions::deactivate_preview).post(actions::deactivate),
        )
        .route("/t/{tenant}/console/users/{id}/edit", post(actions::edit))
        .route(
            "/t/{tenant}/console/users/{id}/{action}",
            post(actions::act),
        )
        .layer(middleware::from_fn(page_headers));
    Router::new()
        .route("/", get(auth::root))
        .route("/console/assets/console.css", get(assets::css))
        .merge(pages)
}

/// Console pages are never cached, framed, or sent as a referrer (a set-up link's token is in
/// its URL), and load nothing but roster's own stylesheet.
async fn page_headers(req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; \
             frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    res
}
