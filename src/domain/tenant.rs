//! Tenants and the API keys that act for them.

use super::error::FieldError;
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

/// What an identity provider's SCIM `DELETE` does to a user: a tenant's choice.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ScimDelete {
    /// Deactivate them through the deactivation every API uses (sessions end, audited); they
    /// leave SCIM (404 there) and stay in roster with their history. The default: nothing
    /// is lost that a mistaken unassignment in the directory would need back.
    #[default]
    Deactivate,
    /// Erase them: every personal datum goes, the audit trail stays scrubbed (see erasure).
    Erase,
}

impl ScimDelete {
    pub fn as_str(self) -> &'static str {
        match self {
            ScimDelete::Deactivate => "deactivate",
            ScimDelete::Erase => "erase",
        }
    }

    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        match raw {
            "deactivate" => Ok(ScimDelete::Deactivate),
            "erase" => Ok(ScimDelete::Erase),
            _ => Err(FieldError::new(
                field,
                "must be \"deactivate\" or \"erase\"",
            )),
        }
    }
}

/// A tenant's settings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TenantSettings {
    pub scim_delete: ScimDelete,
}

/// A change of settings: what is `None` stays.
#[derive(Debug, Clone, Default)]
pub struct SettingsChange {
    pub scim_delete: Option<ScimDelete>,
}

impl TenantSettings {
    /// The settings after `change`, and what changed as `{"name": {"before", "after"}}`.
    pub fn apply(&self, change: &SettingsChange) -> (TenantSettings, serde_json::Value) {
        let after = TenantSettings {
            scim_delete: change.scim_delete.unwrap_or(self.scim_delete),
        };
        let mut changed = serde_json::Map::new();
        if after.scim_delete != self.scim_delete {
            changed.insert(
                "scim_delete".into(),
                serde_json::json!({"before": self.scim_delete.as_str(), "after": after.scim_delete.as_str()}),
            );
        }
        (after, serde_json::Value::Object(changed))
    }
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
