//! Users: the stored person, the command that creates one, and the patch that edits a profile.
//! Create-only fields (status, parent, groups at creation) exist on `NewUser` and not on
//! `UserPatch`, so no update path can set them.

use super::error::{FieldError, FieldErrors};
use super::fields::{Email, ExternalId, GroupKey, Password, PersonName, Phone};
use super::permission::{BuiltinRole, Permissions};
use super::status::Status;
use super::username::Username;
use chrono::{DateTime, Utc};
use serde_json::{json, Value};
use std::collections::BTreeSet;
use uuid::Uuid;

/// A role's name: one of the [`BuiltinRole`]s or one the tenant defined.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RoleName(String);

/// Built-in roles first, in their own order (the order every API has always listed them
/// in), then the tenant's by name.
impl Ord for RoleName {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        let rank = |r: &RoleName| r.builtin().map_or(usize::MAX, |b| b as usize);
        (rank(self), &self.0).cmp(&(rank(other), &other.0))
    }
}

impl PartialOrd for RoleName {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl RoleName {
    /// Lowercase letters, digits, `_` and `-`, starting with a letter or digit, at most 64.
    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        let ok = !raw.is_empty()
            && raw.len() <= 64
            && raw
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
            && !raw.starts_with(['_', '-']);
        if ok {
            Ok(Self(raw.to_owned()))
        } else {
            Err(FieldError::new(
                field,
                "must be 1 to 64 lowercase letters, digits, `_` or `-`, not starting with `_` or `-`",
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The built-in role of this name, if it is one.
    pub fn builtin(&self) -> Option<BuiltinRole> {
        BuiltinRole::named(&self.0)
    }
}

impl From<BuiltinRole> for RoleName {
    fn from(r: BuiltinRole) -> Self {
        Self(r.as_str().to_owned())
    }
}

/// A user's roles, stored as a comma-separated list of role names.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Roles(BTreeSet<RoleName>);

impl Roles {
    pub fn new(roles: impl IntoIterator<Item = BuiltinRole>) -> Self {
        Self(roles.into_iter().map(RoleName::from).collect())
    }

    pub fn of(names: impl IntoIterator<Item = RoleName>) -> Self {
        Self(names.into_iter().collect())
    }

    pub fn contains(&self, role: BuiltinRole) -> bool {
        self.0.iter().any(|n| n.as_str() == role.as_str())
    }

    pub fn has(&self, name: &RoleName) -> bool {
        self.0.contains(name)
    }

    /// Adds or removes one role.
    pub fn set(&mut self, role: impl Into<RoleName>, on: bool) {
        let role = role.into();
        if on {
            self.0.insert(role);
        } else {
            self.0.remove(&role);
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = &RoleName> {
        self.0.iter()
    }

    /// The roles the tenant defined (their permissions are the tenant's to look up).
    pub fn custom(&self) -> impl Iterator<Item = &RoleName> {
        self.0.iter().filter(|n| n.builtin().is_none())
    }

    /// What the built-in roles among these grant.
    pub fn builtin_permissions(&self) -> Permissions {
        let mut all = Permissions::default();
        for role in self.0.iter().filter_map(RoleName::builtin) {
            all.extend(&role.permissions());
        }
        all
    }

    pub fn names(&self) -> Vec<String> {
        self.0.iter().map(|r| r.0.clone()).collect()
    }

    pub fn to_stored(&self) -> String {
        self.names().join(",")
    }

    /// Reads the stored form.
    pub fn from_stored(s: &str) -> Self {
        Self(
            s.split(',')
                .filter_map(|name| RoleName::parse("roles", name).ok())
                .collect(),
        )
    }
}

/// A user as stored. Its text fields were validated when they were written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: Uuid,
    pub number: i64,
    pub tenant_id: Uuid,
    pub email: Option<String>,
    pub username: Option<String>,
    pub external_id: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub phone_number: Option<String>,
    pub status: Status,
    pub roles: Roles,
    pub referral_code: String,
    pub parent_id: Option<Uuid>,
    pub referred_by: Option<Uuid>,
    pub sessions_limit: Option<i32>,
    pub has_password: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub status_changed_at: DateTime<Utc>,
    pub version: i64,
}

impl User {
    /// When the user was deactivated, while they are: the status change is the one record
    /// of it, so no second column can disagree with the status.
    pub fn deactivated_at(&self) -> Option<DateTime<Utc>> {
        (self.status == Status::Deactivated).then_some(self.status_changed_at)
    }
}

/// What the user list's text search `q` matches: the email, username and names, lowercased
/// for every script (databases' own `lower()` may fold ASCII only).
pub fn search_text(
    email: Option<&str>,
    username: Option<&str>,
    first_name: Option<&str>,
    last_name: Option<&str>,
) -> String {
    [email, username, first_name, last_name]
        .into_iter()
        .flatten()
        .map(str::to_lowercase)
        .collect::<Vec<_>>()
        .join("\n")
}

/// The statuses a user may be created in.
pub fn initial_status(field: &str, raw: &str) -> Result<Status, FieldError> {
    match raw {
        "invited" => Ok(Status::Invited),
        "active" => Ok(Status::Active),
        _ => Err(FieldError::new(field, "must be \"invited\" or \"active\"")),
    }
}

/// A session limit: 1 to 999999 live sessions.
pub fn sessions_limit(field: &str, n: i64) -> Result<i32, FieldError> {
    if (1..=999_999).contains(&n) {
        Ok(n as i32)
    } else {
        Err(FieldError::new(field, "must be between 1 and 999999"))
    }
}

/// Everything needed to create a user.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub email: Option<Email>,
    pub username: Option<Username>,
    pub external_id: Option<ExternalId>,
    pub first_name: Option<PersonName>,
    pub last_name: Option<PersonName>,
    pub phone_number: Option<Phone>,
    pub status: Status,
    pub roles: Roles,
    pub password: Option<Password>,
    pub parent_id: Option<Uuid>,
    pub sessions_limit: Option<i32>,
    pub groups: Vec<GroupKey>,
}

impl NewUser {
    /// A user with only an email, in the given status; callers fill in the rest.
    pub fn with_email(email: Email, status: Status) -> Self {
        Self {
            email: Some(email),
            username: None,
            external_id: None,
            first_name: None,
            last_name: None,
            phone_number: None,
            status,
            roles: Roles::default(),
            password: None,
            parent_id: None,
            sessions_limit: None,
            groups: Vec::new(),
        }
    }
}

/// One field of a patch: leave it, clear it, or set it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Change<T> {
    #[default]
    Keep,
    Clear,
    Set(T),
}

impl<T> Change<T> {
    /// Reads one member of a JSON merge patch: absent keeps, null clears, a value is parsed
    /// (a value that fails to parse is recorded in `errors` and keeps).
    pub fn from_member(
        member: Option<Option<&str>>,
        errors: &mut FieldErrors,
        parse: impl Fn(&str) -> Result<T, FieldError>,
    ) -> Self {
        match member {
            None => Change::Keep,
            Some(None) => Change::Clear,
            Some(Some(s)) => errors.take(parse(s)).map_or(Change::Keep, Change::Set),
        }
    }
}

/// An edit of a user's profile (JSON merge patch semantics: absent keeps, null clears).
#[derive(Debug, Clone, Default)]
pub struct UserPatch {
    pub email: Change<Email>,
    pub username: Change<Username>,
    pub external_id: Change<ExternalId>,
    pub first_name: Change<PersonName>,
    pub last_name: Change<PersonName>,
    pub phone_number: Change<Phone>,
    pub roles: Option<Roles>,
    pub sessions_limit: Change<i32>,
    pub password: Option<Password>,
}

/// The profile columns a patch writes, after it is applied to a user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    pub email: Option<String>,
    pub username: Option<String>,
    pub external_id: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub phone_number: Option<String>,
    pub roles: Roles,
    pub sessions_limit: Option<i32>,
}

impl Profile {
    pub fn of(user: &User) -> Self {
        Self {
            email: user.email.clone(),
            username: user.username.clone(),
            external_id: user.external_id.clone(),
            first_name: user.first_name.clone(),
            last_name: user.last_name.clone(),
            phone_number: user.phone_number.clone(),
            roles: user.roles.clone(),
            sessions_limit: user.sessions_limit,
        }
    }
}

impl NewUser {
    /// The profile this user starts with.
    pub fn profile(&self) -> Profile {
        fn text<T: AsRef<str>>(v: &Option<T>) -> Option<String> {
            v.as_ref().map(|v| v.as_ref().to_owned())
        }
        Profile {
            email: text(&self.email),
            username: text(&self.username),
            external_id: text(&self.external_id),
            first_name: text(&self.first_name),
            last_name: text(&self.last_name),
            phone_number: text(&self.phone_number),
            roles: self.roles.clone(),
            sessions_limit: self.sessions_limit,
        }
    }
}

/// What a patch changes: the new profile and, per changed field, its value before and after.
#[derive(Debug, Clone)]
pub struct ProfileChange {
    pub profile: Profile,
    pub changes: Vec<(&'static str, Value, Value)>,
}

impl ProfileChange {
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    /// The audit details: `{"field": {"before": .., "after": ..}}`.
    pub fn details(&self) -> Value {
        let mut map = serde_json::Map::new();
        for (field, before, after) in &self.changes {
            map.insert(
                (*field).to_owned(),
                json!({"before": before, "after": after}),
            );
        }
        Value::Object(map)
    }
}

fn changed<T: AsRef<str>>(current: &Option<String>, change: &Change<T>) -> Option<String> {
    match change {
        Change::Keep => current.clone(),
        Change::Clear => None,
        Change::Set(v) => Some(v.as_ref().to_owned()),
    }
}

impl UserPatch {
    pub fn is_empty(&self) -> bool {
        self.email == Change::Keep
            && self.username == Change::Keep
            && self.external_id == Change::Keep
            && self.first_name == Change::Keep
            && self.last_name == Change::Keep
            && self.phone_number == Change::Keep
            && self.roles.is_none()
            && self.sessions_limit == Change::Keep
            && self.password.is_none()
    }

    /// Applies the profile part of the patch (the password is the service's concern).
    /// Refused when it would leave a user who is not a child with neither an email nor a
    /// username: nobody could name them to sign in or to be found.
    pub fn apply(&self, user: &User) -> Result<ProfileChange, FieldError> {
        let before = Profile::of(user);
        let profile = Profile {
            email: changed(&before.email, &self.email),
            username: changed(&before.username, &self.username),
            external_id: changed(&before.external_id, &self.external_id),
            first_name: changed(&before.first_name, &self.first_name),
            last_name: changed(&before.last_name, &self.last_name),
            phone_number: changed(&before.phone_number, &self.phone_number),
            roles: self.roles.clone().unwrap_or_else(|| before.roles.clone()),
            sessions_limit: match self.sessions_limit {
                Change::Keep => before.sessions_limit,
                Change::Clear => None,
                Change::Set(n) => Some(n),
            },
        };
        let (b, p) = (before, &profile);
        let changes = [
            ("email", json!(b.email), json!(p.email)),
            ("username", json!(b.username), json!(p.username)),
            ("external_id", json!(b.external_id), json!(p.external_id)),
            ("first_name", json!(b.first_name), json!(p.first_name)),
            ("last_name", json!(b.last_name), json!(p.last_name)),
            ("phone_number", json!(b.phone_number), json!(p.phone_number)),
            ("roles", json!(b.roles.names()), json!(p.roles.names())),
            (
                "sessions_limit",
                json!(b.sessions_limit),
                json!(p.sessions_limit),
            ),
        ]
        .into_iter()
        .filter(|(_, from, to)| from != to)
        .collect();
        let anonymous = profile.email.is_none() && profile.username.is_none();
        if anonymous && user.parent_id.is_none() && (b.email.is_some() || b.username.is_some()) {
            let field = if self.email == Change::Clear {
                "email"
            } else {
                "username"
            };
            return Err(FieldError::new(
                field,
                "cannot be removed: a user keeps an email or a username",
            ));
        }
        Ok(ProfileChange { profile, changes })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user() -> User {
        let now = Utc::now();
        User {
            id: Uuid::nil(),
            number: 1,
            tenant_id: Uuid::nil(),
            email: Some("a@example.com".into()),
            username: None,
            external_id: None,
            first_name: Some("Ada".into()),
            last_name: None,
            phone_number: Some("+15555555555".into()),
            status: Status::Active,
            roles: Roles::default(),
            referral_code: "R".into(),
            parent_id: None,
            referred_by: None,
            sessions_limit: None,
            has_password: false,
            created_at: now,
            updated_at: now,
            status_changed_at: now,
            version: 1,
        }
    }

    #[test]
    fn patch_reports_only_what_changed() {
        let patch = UserPatch {
            first_name: Change::Set(PersonName::parse("first_name", "Ada").unwrap()),
            last_name: Change::Set(PersonName::parse("last_name", "Lovelace").unwrap()),
            phone_number: Change::Clear,
            ..Default::default()
        };
        let change = patch.apply(&user()).unwrap();
        let fields: Vec<_> = change.changes.iter().map(|c| c.0).collect();
        assert_eq!(fields, ["last_name", "phone_number"]);
        assert_eq!(change.profile.phone_number, None);
        assert_eq!(
            change.details()["last_name"],
            json!({"before": null, "after": "Lovelace"})
        );
    }

    #[test]
    fn a_username_is_set_changed_and_cleared_like_any_profile_field() {
        let name = |s: &str| Username::parse("username", s).unwrap();
        let set = UserPatch {
            username: Change::Set(name("ada")),
            ..Default::default()
        };
        assert!(!set.is_empty());
        let change = set.apply(&user()).unwrap();
        assert_eq!(change.profile.username.as_deref(), Some("ada"));
        assert_eq!(
            change.details()["username"],
            json!({"before": null, "after": "ada"})
        );
        let mut named = user();
        named.username = Some("ada".into());
        let same = UserPatch {
            username: Change::Set(name("ada")),
            ..Default::default()
        };
        assert!(same.apply(&named).unwrap().is_empty());
        let clear = UserPatch {
            username: Change::Clear,
            ..Default::default()
        };
        assert_eq!(clear.apply(&named).unwrap().profile.username, None);
    }

    #[test]
    fn a_user_keeps_an_email_or_a_username() {
        let mut named = user();
        named.username = Some("ada".into());
        let no_email = UserPatch {
            email: Change::Clear,
            ..Default::default()
        };
        assert_eq!(no_email.apply(&named).unwrap().profile.email, None);
        let nothing = UserPatch {
            username: Change::Clear,
            ..no_email.clone()
        };
        assert_eq!(nothing.apply(&named).unwrap_err().field, "email");
        let only_username = UserPatch {
            username: Change::Clear,
            ..Default::default()
        };
        let mut unnamed = user();
        unnamed.username = None;
        assert!(only_username.apply(&unnamed).is_ok(), "keeps the email");
        let mut child = named.clone();
        child.parent_id = Some(Uuid::nil());
        assert!(
            nothing.apply(&child).is_ok(),
            "a child is found by their parent"
        );
    }

    #[test]
    fn roles_round_trip() {
        let roles = Roles::new([BuiltinRole::Admin]);
        assert_eq!(Roles::from_stored(&roles.to_stored()), roles);
        assert_eq!(Roles::from_stored(""), Roles::default());
    }
}

/// Filters of the user list; all present filters must match.
#[derive(Debug, Clone, Default)]
pub struct UserFilter {
    pub status: Option<Status>,
    pub email_key: Option<String>,
    pub username_key: Option<String>,
    pub external_id: Option<String>,
    pub group_key: Option<String>,
    /// Case-insensitive substring of the email or a name.
    pub text: Option<String>,
    /// Users holding this role.
    pub role: Option<BuiltinRole>,
}

/// A way to name one user of a tenant, as each API names them. Use cases resolve it inside
/// their own transaction, so the user they change is the user the request named.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserRef<'a> {
    Id(Uuid),
    /// The tenant-wide account number (Publica.la's `id`).
    Number(i64),
    /// An address as a client typed it; matched through [`crate::domain::fields::email_key`].
    Email(&'a str),
    ExternalId(&'a str),
    /// A username as a client typed it; compared case-insensitively.
    Username(&'a str),
    /// An account number if a user has it, else an external id (Publica.la's force logout:
    /// platforms often use numbers as their own ids).
    NumberElseExternalId(&'a str),
}

impl<'a> UserRef<'a> {
    /// The plain references to try, in order; the first that names a user is the user.
    pub fn candidates(self) -> [Option<UserRef<'a>>; 2] {
        match self {
            UserRef::NumberElseExternalId(raw) => [
                raw.parse().ok().map(UserRef::Number),
                Some(UserRef::ExternalId(raw)),
            ],
            plain => [Some(plain), None],
        }
    }
}

impl From<Uuid> for UserRef<'_> {
    fn from(id: Uuid) -> Self {
        UserRef::Id(id)
    }
}
