//! The email outbox as the API shows it: what was queued for a user, and how its delivery went.

use chrono::{DateTime, Utc};
use uuid::Uuid;

/// An email about a user and the state of its delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailDelivery {
    pub id: Uuid,
    pub user_id: Uuid,
    /// What the email is (`invite`, ...).
    pub kind: String,
    pub recipient: String,
    /// `queued`, `sending`, `sent` or `failed`.
    pub status: String,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub next_attempt_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
}
