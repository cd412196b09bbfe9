//! Groups: Village segments, Regpack projects. A user belongs to many.

use chrono::{DateTime, Utc};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    pub id: i64,
    pub key: String,
    pub name: String,
    pub created_at: DateTime<Utc>,
}
