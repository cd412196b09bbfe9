//! The users list: searchable and filterable by status, group, role and text, paged by
//! account number (keyset: each page costs the same however deep), with counts per status.

use super::page::{render, when, Chrome, Failure};
use super::session::Admin;
use crate::domain::permission::BuiltinRole;
use crate::domain::user::UserFilter;
use crate::domain::Status;
use crate::http::AppState;
use crate::service::console::STATUS_COUNT_CAP;
use crate::service::UserView;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use minijinja::context;
use serde::{Deserialize, Serialize};

/// Users per page.
const PAGE: u32 = 50;

/// The list's query string, as typed; values that name nothing are ignored.
#[derive(Debug, Default, Deserialize, Serialize)]
pub struct ListQuery {
    #[serde(default)]
    pub q: String,
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub group: String,
    #[serde(default)]
    pub role: String,
    #[serde(default, skip_serializing)]
    pub after: String,
}

impl ListQuery {
    pub fn parse(raw: Option<&str>) -> Self {
        serde_urlencoded::from_str(raw.unwrap_or_default()).unwrap_or_default()
    }

    fn filter(&self) -> UserFilter {
        let text = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
        UserFilter {
            status: self.status.parse::<Status>().ok(),
            group_key: text(&self.group),
            text: text(&self.q),
            role: BuiltinRole::ALL
                .into_iter()
                .find(|r| r.as_str() == self.role),
            ..UserFilter::default()
        }
    }

    /// This query's string with `after`, for the next page's link.
    fn with_after(&self, after: i64) -> String {
        let mut s = form_urlencoded::Serializer::new(String::new());
        for (k, v) in [
            ("q", &self.q),
            ("status", &self.status),
            ("group", &self.group),
            ("role", &self.role),
        ] {
            if !v.is_empty() {
                s.append_pair(k, v);
            }
        }
        s.append_pair("after", &after.to_string());
        s.finish()
    }
}

/// A user as a row of a list.
#[derive(Debug, Serialize)]
pub struct UserRow {
    id: String,
    number: i64,
    email: String,
    name: String,
    status: &'static str,
    roles: String,
    groups: String,
    created: String,
}

impl From<&UserView> for UserRow {
    fn from(v: &UserView) -> Self {
        let u = &v.user;
        let name = [u.first_name.as_deref(), u.last_name.as_deref()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
        UserRow {
            id: u.id.to_string(),
            number: u.number,
            email: u.email.clone().unwrap_or_default(),
            name,
            status: u.status.as_str(),
            roles: u
                .roles
                .iter()
                .map(|r| r.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            groups: v.groups.join(", "),
            created: when(u.created_at),
        }
    }
}

/// `GET …/console`: the users list.
pub async fn list(
    State(state): State<AppState>,
    admin: Admin,
    RawQuery(raw): RawQuery,
) -> Result<Response, Failure> {
    let query = ListQuery::parse(raw.as_deref());
    render_list(&state, &admin, &query, Chrome::of(&admin), StatusCode::OK).await
}

/// The list page for `query`, framed by `chrome` (which may carry a message).
pub async fn render_list(
    state: &AppState,
    admin: &Admin,
    query: &ListQuery,
    chrome: Chrome,
    status: StatusCode,
) -> Result<Response, Failure> {
    let after = query.after.parse::<i64>().ok();
    let page = state
        .services
        .users(&admin.ctx, &query.filter(), after, PAGE)
        .await?;
    let counts: Vec<_> = state
        .services
        .status_counts(&admin.ctx)
        .await?
        .into_iter()
        .map(|(s, n)| {
            let shown = if n >= i64::from(STATUS_COUNT_CAP) {
                format!("{STATUS_COUNT_CAP}+")
            } else {
                n.to_string()
            };
            context! { status => s.as_str(), count => shown }
        })
        .collect();
    let rows: Vec<UserRow> = page.items.iter().map(UserRow::from).collect();
    let next = page.next.map(|n| query.with_after(n));
    let statuses: Vec<&str> = Status::ALL.iter().map(|s| s.as_str()).collect();
    let roles: Vec<&str> = BuiltinRole::ALL.iter().map(|r| r.as_str()).collect();
    let filtered = !(query.q.is_empty()
        && query.status.is_empty()
        && query.group.is_empty()
        && query.role.is_empty());
    render(
        status,
        "users.html",
        context! {
            c => chrome, rows, counts, next, query, statuses, roles, filtered,
            paged => after.is_some(),
        },
    )
}
