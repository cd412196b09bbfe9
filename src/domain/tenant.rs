//! Tenants and the API keys that act for them.

use super::permission::Scopes;
use chrono::{DateTime, Utc};
use uuid::Uuid;

/// A tenant: one platform's own users, groups, rooms and keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tenant {
    pub id: Uuid,
    /// The tenant's account number (Publica.la's and Village's numeric network id).
    pub number: i64,
    pub slug: String,
    pub name: String,
    pub created_at: DateTime<Utc>,
}

/// An API key as it may be shown: never its secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKey {
    pub id: Uuid,
    pub tenant_id: Uuid,
    /// What the key is for, as its issuer named it.
    pub name: String,
    pub scopes: Scopes,
    /// The first characters of the secret, to tell keys apart.
    pub prefix: String,
    pub created_at: DateTime<Utc>,
    /// When it last authenticated a call, to the minute.
    pub last_used_at: Option<DateTime<Utc>>,
    /// When a rotated key stops working.
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl KeyOwner {
    /// Whether the key still works at `at` (a rotated key ends at its `expires_at`).
    pub fn live_at(&self, at: DateTime<Utc>) -> bool {
        self.expires_at.is_none_or(|end| end > at)
    }
}

/// The tenant a live API key acts for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyOwner {
    pub key_id: Uuid,
    pub key_name: String,
    pub scopes: Scopes,
    pub last_used_at: Option<DateTime<Utc>>,
    /// When a rotated key stops working.
    pub expires_at: Option<DateTime<Utc>>,
    pub tenant_id: Uuid,
    pub tenant_number: i64,
    pub tenant_slug: String,
    pub tenant_name: String,
}
