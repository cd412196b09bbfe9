//! The audit log: one user's timeline, and the tenant's feed.

use super::wire::{
    decode_cursor, encode_cursor, feed_cursor, feed_position, path_uuid, EventBody, List,
};
use crate::http::auth::Caller;
use crate::http::json::ApiQuery;
use crate::http::openapi::tag;
use crate::http::problem::{ApiResult, ProblemBody};
use crate::http::AppState;
use crate::service::page_size;
use axum::extract::Path;
use axum::extract::State;
use axum::Json;
use serde::Deserialize;
use utoipa_axum::routes;

pub fn router() -> super::Routes {
    super::Routes::new()
        .routes(routes!(timeline))
        .routes(routes!(feed))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct TimelineQuery {
    /// The `next_cursor` of the previous page.
    cursor: Option<String>,
    /// Page size: 1 to 200, default 50 (out-of-range values are clamped).
    limit: Option<u32>,
    /// Only the events of this actor, as events name it (`api_key:<id>`, `user:<id>`,
    /// `operator`, `system`).
    actor: Option<String>,
}

#[utoipa::path(
    get,
    path = "/v1/users/{id}/events",
    tag = tag::NATIVE,
    operation_id = "listUserEvents",
    summary = "A user's timeline",
    description = "Every audit event about the user, oldest first, a page at a time.",
    params(("id" = String, Path, description = "The user's id (a UUID)"), TimelineQuery),
    responses(
        (status = 200, description = "A page of events", body = List<EventBody>),
        (status = 400, description = "An unknown parameter, a `limit` that is not a number, or a \
`cursor` this list did not give out", body = ProblemBody, content_type = "application/problem+json"),
        (status = 404, description = "No user of this tenant has this id (or it is not a UUID)",
            body = ProblemBody, content_type = "application/problem+json"),
    ),
    security(("api_key" = [])),
)]
async fn timeline(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<TimelineQuery>,
) -> ApiResult<Json<List<EventBody>>> {
    let id = path_uuid(&id, "user")?;
    let after = match &q.cursor {
        Some(c) => decode_cursor("cursor", "s", c, 1)?[0],
        None => 0,
    };
    let page = state
        .services
        .user_events(
            &caller.ctx,
            id,
            after,
            page_size(q.limit),
            q.actor.as_deref(),
        )
        .await?;
    Ok(Json(List::page(page, |seq| encode_cursor("s", &[seq]))))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct FeedQuery {
    /// The `next_cursor` of the previous answer; without it, the feed starts at the beginning.
    after: Option<String>,
    /// Page size: 1 to 200, default 50 (out-of-range values are clamped).
    limit: Option<u32>,
    /// Only the events of this actor, as events name it (`api_key:<id>`, `user:<id>`,
    /// `operator`, `system`).
    actor: Option<String>,
}

#[utoipa::path(
    get,
    path = "/v1/events",
    tag = tag::NATIVE,
    operation_id = "listEvents",
    summary = "The tenant's event feed",
    description = "Every audit event of the tenant in commit order, a page at a time. \
`next_cursor` is always set, even on an empty page: poll with `?after=<next_cursor>` to \
receive each event once.",
    params(FeedQuery),
    responses(
        (status = 200, description = "A page of events", body = List<EventBody>),
        (status = 400, description = "An unknown parameter, a `limit` that is not a number, or an \
`after` this feed did not give out", body = ProblemBody, content_type = "application/problem+json"),
    ),
    security(("api_key" = [])),
)]
/// The tenant's feed. `next_cursor` is always set: poll with `?after=<next_cursor>`.
async fn feed(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<FeedQuery>,
) -> ApiResult<Json<List<EventBody>>> {
    let after = feed_position("after", q.after.as_deref())?;
    let page = state
        .services
        .feed(&caller.ctx, after, page_size(q.limit), q.actor.as_deref())
        .await?;
    Ok(Json(List::page(page, feed_cursor)))
}
