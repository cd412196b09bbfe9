//! Publica.la's shapes of a user: the full one (create) and the list item.

use crate::domain::plan::UserPlan;
use crate::domain::user::Role;
use crate::service::plans::UserWithPlans;
use crate::service::UserView;
use chrono::{DateTime, NaiveDate, Utc};
use md5::{Digest, Md5};
use serde::Serialize;
use serde_json::{json, Value};
use uuid::Uuid;

/// A moment as Publica.la writes one: `{timestamp, date: "YYYY-MM-DD HH:MM:SS", timezone}`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = PublicaMoment, example = json!({
    "timestamp": 1620931649, "date": "2021-05-13 18:47:29", "timezone": "UTC"
}))]
pub struct Moment {
    /// Unix time in seconds.
    timestamp: i64,
    /// `YYYY-MM-DD HH:MM:SS`, in `timezone`.
    #[schema(example = "2021-05-13 18:47:29")]
    date: String,
    /// Always `UTC`.
    #[schema(value_type = String, example = "UTC")]
    timezone: &'static str,
}

impl From<DateTime<Utc>> for Moment {
    fn from(at: DateTime<Utc>) -> Self {
        Self {
            timestamp: at.timestamp(),
            date: at.format("%Y-%m-%d %H:%M:%S").to_string(),
            timezone: "UTC",
        }
    }
}

/// Laravel's JSON form of a date in lists: `2021-05-18T13:28:53.000000Z`.
fn iso(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

/// The Gravatar of an email: md5 of the trimmed, lowercased address.
pub fn gravatar(email: Option<&str>) -> String {
    let key = email.unwrap_or_default().trim().to_lowercase();
    format!(
        "https://www.gravatar.com/avatar/{:x}?s=160&d=mm&r=g",
        Md5::digest(key.as_bytes())
    )
}

/// A user as the create call answers one.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(example = json!({
    "id": 923242,
    "email": "reader@example.com",
    "external_id": "user-id-in-your-platform",
    "uuid": "af5af4f9-9b8d-4d79-b162-0cec4279cae5",
    "picture": "https://www.gravatar.com/avatar/5c472faa5105266a3d41aee277eb9d0c?s=160&d=mm&r=g",
    "admin": false,
    "plan_admin": false,
    "only_sees_readable": false,
    "sessions_limit": null,
    "created_at": {"timestamp": 1620931649, "date": "2021-05-13 18:47:29", "timezone": "UTC"},
    "updated_at": {"timestamp": 1620931649, "date": "2021-05-13 18:47:29", "timezone": "UTC"},
    "deleted_at": null
}))]
pub struct PublicaUser {
    /// The user's integer id: the `{user}` of the other calls.
    id: i64,
    email: Option<String>,
    external_id: Option<String>,
    uuid: Uuid,
    /// The Gravatar of the email.
    picture: String,
    admin: bool,
    plan_admin: bool,
    only_sees_readable: bool,
    /// How many sessions the user may hold at once; null: no limit.
    sessions_limit: Option<i32>,
    created_at: Moment,
    updated_at: Moment,
    /// When the user was deactivated; null while not deactivated.
    deleted_at: Option<Moment>,
}

impl From<UserView> for PublicaUser {
    fn from(v: UserView) -> Self {
        let u = v.user;
        Self {
            id: u.number,
            picture: gravatar(u.email.as_deref()),
            uuid: u.id,
            admin: u.roles.contains(Role::Admin),
            plan_admin: u.roles.contains(Role::PlanAdmin),
            only_sees_readable: u.roles.contains(Role::OnlySeesReadable),
            sessions_limit: u.sessions_limit,
            created_at: u.created_at.into(),
            updated_at: u.updated_at.into(),
            deleted_at: u.deactivated_at().map(Moment::from),
            email: u.email,
            external_id: u.external_id,
        }
    }
}

fn user_plan(p: &UserPlan, today: NaiveDate) -> Value {
    json!({
        "id": p.plan_id,
        "name": p.name,
        "valid_to": p.valid_to.map(|d| d.format("%Y-%m-%d").to_string()),
        "expired": !p.is_current(today),
        "created_at": iso(p.granted_at),
    })
}

/// A user as lists (and the one-user read) show one, with the reference page's list fields.
/// Roster keeps no purchases, IP ranges, referrers or impersonation links: those answer empty.
pub fn list_item(u: &UserWithPlans) -> Value {
    let user = &u.user.user;
    let today = Utc::now().date_naive();
    json!({
        "id": user.number,
        "uuid": user.id,
        "external_id": user.external_id,
        "admin": user.roles.contains(Role::Admin),
        "plan_admin": user.roles.contains(Role::PlanAdmin),
        "email": user.email,
        "sessions_limit": user.sessions_limit,
        // The reference page's list shows this flag as 1/0 where the create answer has a boolean.
        "only_sees_readable": i32::from(user.roles.contains(Role::OnlySeesReadable)),
        "picture": gravatar(user.email.as_deref()),
        "created_at": iso(user.created_at),
        "updated_at": iso(user.updated_at),
        "deleted_at": user.deactivated_at().map(iso),
        "status": user.status.as_str(),
        "purchased_issues_with_cancelled_count": 0,
        "user_plans_count": u.plans.len(),
        "can_be_edited": true,
        "created_at_date_string": user.created_at.format("%Y-%m-%d").to_string(),
        "impersonate": null,
        "sessions": null,
        "ip_ranges": [],
        "referrers": [],
        "purchased_issues_with_cancelled": [],
        "user_plans": u.plans.iter().map(|p| user_plan(p, today)).collect::<Vec<_>>(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gravatar_hashes_the_trimmed_lowercased_email() {
        // md5("myemailaddress@example.com"), Gravatar's own documented example.
        assert_eq!(
            gravatar(Some("  MyEmailAddress@example.com ")),
            "https://www.gravatar.com/avatar/0bc83cb571cd1c50ba6f3e8a78ef1346?s=160&d=mm&r=g"
        );
    }

    #[test]
    fn moments_read_like_publica() {
        let at = DateTime::from_timestamp(1620931649, 0).unwrap();
        let m = serde_json::to_value(Moment::from(at)).unwrap();
        assert_eq!(
            m,
            json!({"timestamp": 1620931649, "date": "2021-05-13 18:47:29", "timezone": "UTC"})
        );
        assert_eq!(iso(at), "2021-05-13T18:47:29.000000Z");
    }
}
