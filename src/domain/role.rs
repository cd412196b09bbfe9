//! Roles a tenant defines beside the built-in ones: a name and the permissions it grants.

use super::permission::{BuiltinRole, Permissions};
use chrono::{DateTime, Utc};

/// A role the tenant defined.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomRole {
    pub name: String,
    pub description: Option<String>,
    pub permissions: Permissions,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A role as it is listed: built-in (fixed) or the tenant's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleView {
    pub name: String,
    pub description: Option<String>,
    pub permissions: Permissions,
    pub builtin: bool,
}

impl From<BuiltinRole> for RoleView {
    fn from(r: BuiltinRole) -> Self {
        Self {
            name: r.as_str().to_owned(),
            description: Some(r.description().to_owned()),
            permissions: r.permissions(),
            builtin: true,
        }
    }
}

impl From<CustomRole> for RoleView {
    fn from(r: CustomRole) -> Self {
        Self {
            name: r.name,
            description: r.description,
            permissions: r.permissions,
            builtin: false,
        }
    }
}
