//! Groups: Village segments, Regpack projects. A user belongs to many.

use chrono::{DateTime, Utc};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    pub id: i64,
    pub key: String,
    pub name: String,
    /// The group's id in the identity provider that created it (SCIM's `externalId`).
    pub external_id: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// A member of a group as listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupMember {
    pub user_id: Uuid,
    pub joined_at: DateTime<Utc>,
}
