//! The audit log: one user's timeline, and the tenant's feed.

use super::wire::{decode_cursor, encode_cursor, feed_cursor, path_uuid, EventBody, List};
use crate::http::auth::Caller;
use crate::http::json::ApiQuery;
use crate::http::problem::ApiResult;
use crate::http::AppState;
use crate::service::page_size;
use crate::store::EventCursor;
use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/users/{id}/events", get(timeline))
        .route("/v1/events", get(feed))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TimelineQuery {
    cursor: Option<String>,
    limit: Option<u32>,
}

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
        .user_events(&caller.ctx, id, after, page_size(q.limit))
        .await?;
    Ok(Json(List::page(page, |seq| encode_cursor("s", &[seq]))))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FeedQuery {
    after: Option<String>,
    limit: Option<u32>,
}

/// The tenant's feed. `next_cursor` is always set: poll with `?after=<next_cursor>`.
async fn feed(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<FeedQuery>,
) -> ApiResult<Json<List<EventBody>>> {
    let after = match &q.after {
        Some(c) => {
            let n = decode_cursor("after", "e", c, 2)?;
            EventCursor {
                tx_order: n[0],
                seq: n[1],
            }
        }
        None => EventCursor::default(),
    };
    let page = state
        .services
        .feed(&caller.ctx, after, page_size(q.limit))
        .await?;
    Ok(Json(List::page(page, feed_cursor)))
}
