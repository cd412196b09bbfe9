//! Village's request and response bodies.

use crate::service::UserView;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// `POST /networks/{network_id}/user_status`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserStatusBody {
    pub user: String,
    pub status_change: String,
    pub send_email: Option<bool>,
    pub referrer: Option<String>,
    pub segment_adds: Option<Vec<String>>,
    pub metadata: Option<Metadata>,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Metadata {
    pub reference_id: Option<String>,
    /// Unix seconds.
    pub status_change_timestamp: Option<i64>,
    pub description: Option<String>,
}

/// A user as this dialect shows one.
#[derive(Debug, Serialize)]
pub struct VillageUser {
    pub id: Uuid,
    pub email: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub phone_number: Option<String>,
    pub status: &'static str,
    pub referral_code: String,
    pub referred_by: Option<Uuid>,
    pub segments: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<UserView> for VillageUser {
    fn from(v: UserView) -> Self {
        let u = v.user;
        Self {
            id: u.id,
            email: u.email,
            first_name: u.first_name,
            last_name: u.last_name,
            phone_number: u.phone_number,
            status: u.status.as_str(),
            referral_code: u.referral_code,
            referred_by: u.referred_by,
            segments: v.groups,
            created_at: u.created_at,
            updated_at: u.updated_at,
        }
    }
}

/// The answer to every accepted `user_status` call (201).
#[derive(Debug, Serialize)]
pub struct UserStatusAnswer {
    pub status_change: String,
    pub user: VillageUser,
    /// Whether this call created the user.
    pub created: bool,
    /// Fields of the request that had no effect, and so were ignored.
    pub ignored_fields: Vec<&'static str>,
}
