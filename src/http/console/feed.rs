//! The tenant feed: the latest events across the tenant, newest first, filterable by action.

use super::page::{render, Chrome, Failure};
use super::session::Admin;
use super::user::EventRow;
use crate::domain::event::EventCursor;
use crate::http::AppState;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use minijinja::context;
use serde::Deserialize;

const PAGE: u32 = 50;

/// Actions offered as suggestions in the filter (any action may be typed).
const KNOWN_ACTIONS: &[&str] = &[
    "created",
    "invite_sent",
    "activated",
    "profile_updated",
    "deactivated",
    "reactivated",
    "banned",
    "unbanned",
    "invite_revoked",
    "reinvited",
    "logged_out",
    "role_granted",
    "role_revoked",
    "room_ownership_transferred",
    "room_removed",
];

#[derive(Debug, Default, Deserialize)]
struct FeedQuery {
    #[serde(default)]
    action: String,
    /// `tx_order.seq` of the last event of the page before.
    #[serde(default)]
    before: String,
}

/// `GET …/console/feed`.
pub async fn page(
    State(state): State<AppState>,
    admin: Admin,
    RawQuery(raw): RawQuery,
) -> Result<Response, Failure> {
    let query: FeedQuery =
        serde_urlencoded::from_str(raw.as_deref().unwrap_or_default()).unwrap_or_default();
    let before = query.before.split_once('.').and_then(|(t, s)| {
        Some(EventCursor {
            tx_order: t.parse().ok()?,
            seq: s.parse().ok()?,
        })
    });
    let action = Some(query.action.trim()).filter(|a| !a.is_empty());
    let page = state
        .services
        .latest_events(&admin.ctx, before, action, PAGE)
        .await?;
    let events: Vec<EventRow> = page.items.iter().map(EventRow::from).collect();
    let next = page.next.map(|c| {
        form_urlencoded::Serializer::new(String::new())
            .append_pair("action", action.unwrap_or_default())
            .append_pair("before", &format!("{}.{}", c.tx_order, c.seq))
            .finish()
    });
    render(
        StatusCode::OK,
        "feed.html",
        context! {
            c => Chrome::of(&admin), events, next, action => action.unwrap_or_default(),
            known_actions => KNOWN_ACTIONS,
        },
    )
}
