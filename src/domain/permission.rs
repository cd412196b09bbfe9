//! Who may do what: the permissions every action needs, the built-in roles that grant them,
//! and the scopes of API keys. Every API asks [`needed_for`] the same question for the same
//! action, so no dialect decides by itself.

use super::error::FieldError;
use super::status::Transition;
use std::collections::BTreeSet;
use std::fmt;

macro_rules! permissions {
    ($($(#[$doc:meta])* $variant:ident = $name:literal,)*) => {
        /// A named permission. Names are Rocket.Chat's where Rocket.Chat has one.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Permission {
            $($(#[$doc])* $variant,)*
        }

        impl Permission {
            /// Every permission, in a stable order.
            pub const ALL: &'static [Permission] = &[$(Permission::$variant,)*];

            pub fn as_str(self) -> &'static str {
                match self {
                    $(Permission::$variant => $name,)*
                }
            }

            pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
                match raw {
                    $($name => Ok(Permission::$variant),)*
                    other => Err(FieldError::new(
                        field,
                        format!("unknown permission {other:?}; known: {}", Self::names()),
                    )),
                }
            }
        }
    };
}

permissions! {
    /// Read users, their sessions, invites, emails, groups and rooms.
    ViewUsers = "view-user-administration",
    /// Create or invite users, re-send invites, enrol people.
    CreateUsers = "create-user",
    /// Change another user's profile (names, phone, email, roles set at creation...).
    EditProfiles = "edit-other-user-info",
    /// Activate, deactivate and reactivate users.
    ChangeStatus = "edit-other-user-active-status",
    /// Ban, unban, suspend and unsuspend users (and, as in Rocket.Chat, deactivate them).
    Moderate = "manage-moderation-actions",
    /// End another user's sessions.
    ForceLogout = "logout-other-user",
    /// Sign a user in with their password on their behalf (a platform's login form).
    SignIn = "sign-in-users",
    /// Create groups and change who is in them.
    ManageGroups = "manage-groups",
    /// Create rooms and change their members.
    ManageRooms = "manage-rooms",
    /// Plans, products and what members hold of them.
    ManageCatalogue = "manage-catalogue",
    /// Define roles, and grant and take them (Rocket.Chat's name for its permissions page).
    ManageRoles = "access-permissions",
    /// Issue, rotate and revoke the tenant's API keys.
    ManageKeys = "manage-api-keys",
    /// Read the audit log: a user's timeline and the tenant feed.
    ViewAudit = "view-audit-log",
    /// Add, change, pause and replay webhook endpoints (they receive every change).
    ManageWebhooks = "manage-webhooks",
    /// Change the tenant's settings (such as what a SCIM DELETE does).
    ManageSettings = "manage-settings",
    /// Act as another user through a short-lived session marked as impersonated.
    Impersonate = "impersonate-users",
}

impl Permission {
    fn names() -> String {
        Self::ALL
            .iter()
            .map(|p| p.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl fmt::Display for Permission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A set of permissions, stored as a comma-separated list of names.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Permissions(BTreeSet<Permission>);

impl Permissions {
    pub fn all() -> Self {
        Self::new(Permission::ALL.iter().copied())
    }

    pub fn new(permissions: impl IntoIterator<Item = Permission>) -> Self {
        Self(permissions.into_iter().collect())
    }

    pub fn contains(&self, p: Permission) -> bool {
        self.0.contains(&p)
    }

    pub fn extend(&mut self, other: &Permissions) {
        self.0.extend(other.0.iter().copied());
    }

    pub fn iter(&self) -> impl Iterator<Item = Permission> + '_ {
        self.0.iter().copied()
    }

    pub fn to_stored(&self) -> String {
        self.iter()
            .map(|p| p.as_str())
            .collect::<Vec<_>>()
            .join(",")
    }

    /// Reads the stored form; names this build does not know are dropped (they grant nothing).
    pub fn from_stored(s: &str) -> Self {
        Self(
            s.split(',')
                .filter_map(|name| Permission::parse("permissions", name).ok())
                .collect(),
        )
    }
}

/// What an action needs: any one of these permissions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Need(pub &'static [Permission]);

impl Need {
    /// The permission a refusal names: the first, the one the action is mainly about.
    pub fn primary(self) -> Permission {
        self.0[0]
    }

    pub fn met_by(self, held: &Permissions) -> bool {
        self.0.iter().any(|p| held.contains(*p))
    }
}

/// The permission a status change needs. Activating, deactivating and reactivating follow
/// Rocket.Chat's `users.setActiveStatus`, which admits either of its two permissions
/// (`permissionsRequired` with `operation: 'hasAny'`); bans are moderation; withdrawing an
/// invite or inviting again is what creating users is about.
pub fn needed_for(transition: Transition) -> Need {
    use Permission::{ChangeStatus, CreateUsers, Moderate};
    match transition {
        Transition::Activate | Transition::Deactivate | Transition::Reactivate => {
            Need(&[ChangeStatus, Moderate])
        }
        Transition::Ban | Transition::Unban => Need(&[Moderate]),
        Transition::RevokeInvite | Transition::Reinvite => Need(&[CreateUsers]),
    }
}

/// The roles every tenant has. Their permissions are fixed; custom roles are the tenant's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum BuiltinRole {
    Admin,
    Moderator,
    User,
    /// May manage plans (Publica.la's `plan_admin`).
    PlanAdmin,
    /// Sees only the content readable to them (Publica.la's `only_sees_readable`).
    OnlySeesReadable,
}

impl BuiltinRole {
    pub const ALL: [BuiltinRole; 5] = [
        BuiltinRole::Admin,
        BuiltinRole::Moderator,
        BuiltinRole::User,
        BuiltinRole::PlanAdmin,
        BuiltinRole::OnlySeesReadable,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            BuiltinRole::Admin => "admin",
            BuiltinRole::Moderator => "moderator",
            BuiltinRole::User => "user",
            BuiltinRole::PlanAdmin => "plan_admin",
            BuiltinRole::OnlySeesReadable => "only_sees_readable",
        }
    }

    pub fn description(self) -> &'static str {
        match self {
            BuiltinRole::Admin => "Every permission; the tenant keeps at least one active admin",
            BuiltinRole::Moderator => {
                "Reads users and the audit log; bans, (de)activates, logs out"
            }
            BuiltinRole::User => {
                "Every signed-in person holds it: may look others up, change nothing of theirs"
            }
            BuiltinRole::PlanAdmin => "Manages plans and products (Publica.la's plan_admin)",
            BuiltinRole::OnlySeesReadable => {
                "Sees only content readable to them (Publica.la's only_sees_readable)"
            }
        }
    }

    pub fn named(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == name)
    }

    pub fn permissions(self) -> Permissions {
        use Permission::*;
        match self {
            BuiltinRole::Admin => Permissions::all(),
            BuiltinRole::Moderator => {
                Permissions::new([ViewUsers, ChangeStatus, Moderate, ForceLogout, ViewAudit])
            }
            BuiltinRole::PlanAdmin => Permissions::new([ViewUsers, ManageCatalogue]),
            // Rocket.Chat lets every signed-in user look others up (users.info).
            BuiltinRole::User => Permissions::new([ViewUsers]),
            BuiltinRole::OnlySeesReadable => Permissions::default(),
        }
    }
}

/// What an API key may do: a key holds one or more scopes, each a fixed set of permissions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Scope {
    /// Read users and the audit log; change nothing.
    Read,
    /// What an identity provider needs over SCIM: read, create, edit, (de)activate, groups.
    Scim,
    /// Every change to users, their groups, rooms and plans; not roles, keys, webhooks or settings.
    Lifecycle,
    /// Everything, including roles and keys. A tenant's first key has it.
    Full,
}

impl Scope {
    /// From the narrowest to the widest: a refusal names the narrowest scope that would do.
    pub const ALL: [Scope; 4] = [Scope::Read, Scope::Scim, Scope::Lifecycle, Scope::Full];

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Read => "read",
            Scope::Scim => "scim",
            Scope::Lifecycle => "lifecycle",
            Scope::Full => "full",
        }
    }

    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        Self::ALL
            .into_iter()
            .find(|s| s.as_str() == raw)
            .ok_or_else(|| {
                FieldError::new(
                    field,
                    format!("unknown scope {raw:?}; known: read, scim, lifecycle, full"),
                )
            })
    }

    pub fn permissions(self) -> Permissions {
        use Permission::*;
        const READ: [Permission; 2] = [ViewUsers, ViewAudit];
        match self {
            Scope::Read => Permissions::new(READ),
            Scope::Scim => Permissions::new(READ.into_iter().chain([
                CreateUsers,
                EditProfiles,
                ChangeStatus,
                ForceLogout,
                ManageGroups,
            ])),
            Scope::Lifecycle => Permissions::new(Permission::ALL.iter().copied().filter(|p| {
                !matches!(
                    p,
                    ManageRoles | ManageKeys | ManageWebhooks | ManageSettings | Impersonate
                )
            })),
            Scope::Full => Permissions::all(),
        }
    }

    /// The narrowest scope that grants what `need` asks.
    pub fn narrowest_for(need: Need) -> Scope {
        Self::ALL
            .into_iter()
            .find(|s| need.met_by(&s.permissions()))
            .unwrap_or(Scope::Full)
    }
}

/// A key's scopes, stored as a comma-separated list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scopes(BTreeSet<Scope>);

impl Scopes {
    pub fn new(scopes: impl IntoIterator<Item = Scope>) -> Self {
        Self(scopes.into_iter().collect())
    }

    pub fn full() -> Self {
        Self::new([Scope::Full])
    }

    pub fn permissions(&self) -> Permissions {
        let mut all = Permissions::default();
        for s in &self.0 {
            all.extend(&s.permissions());
        }
        all
    }

    pub fn names(&self) -> Vec<&'static str> {
        self.0.iter().map(|s| s.as_str()).collect()
    }

    pub fn to_stored(&self) -> String {
        self.names().join(",")
    }

    /// Reads the stored form; a name this build does not know grants nothing.
    pub fn from_stored(s: &str) -> Self {
        Self(
            s.split(',')
                .filter_map(|name| Scope::parse("scopes", name).ok())
                .collect(),
        )
    }
}

/// Why a caller may not do something: the permission it lacks and, for an API key, the scope
/// that would grant it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Missing {
    pub permission: Permission,
    pub scope: Option<Scope>,
}

impl fmt::Display for Missing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.scope {
            Some(scope) => write!(
                f,
                "the API key lacks the scope `{}` (needed for `{}`)",
                scope.as_str(),
                self.permission
            ),
            None => write!(f, "the caller lacks the permission `{}`", self.permission),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for p in Permission::ALL {
            assert_eq!(Permission::parse("p", p.as_str()), Ok(*p));
        }
        let set = Permissions::new([Permission::Moderate, Permission::ViewUsers]);
        assert_eq!(Permissions::from_stored(&set.to_stored()), set);
        assert!(Permission::parse("p", "fly").is_err());
    }

    #[test]
    fn deactivation_follows_rocket_chats_has_any_rule() {
        let need = needed_for(Transition::Deactivate);
        assert!(need.met_by(&Permissions::new([Permission::ChangeStatus])));
        assert!(need.met_by(&Permissions::new([Permission::Moderate])));
        assert!(!need.met_by(&Permissions::new([Permission::EditProfiles])));
        let ban = needed_for(Transition::Ban);
        assert!(!ban.met_by(&Permissions::new([Permission::ChangeStatus])));
    }

    #[test]
    fn scopes_nest_and_refusals_name_the_narrowest() {
        assert!(!Scope::Read.permissions().contains(Permission::ChangeStatus));
        assert_eq!(
            Scope::narrowest_for(needed_for(Transition::Deactivate)),
            Scope::Scim
        );
        assert_eq!(
            Scope::narrowest_for(Need(&[Permission::Moderate])),
            Scope::Lifecycle
        );
        assert_eq!(
            Scope::narrowest_for(Need(&[Permission::ManageKeys])),
            Scope::Full
        );
        assert_eq!(
            Scope::narrowest_for(Need(&[Permission::ViewUsers])),
            Scope::Read
        );
    }

    #[test]
    fn the_admin_role_holds_every_permission() {
        assert_eq!(BuiltinRole::Admin.permissions(), Permissions::all());
        assert_eq!(
            BuiltinRole::User.permissions(),
            Permissions::new([Permission::ViewUsers])
        );
    }
}
