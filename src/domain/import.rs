//! Users in bulk: the line an import reads and an export writes (one shape for both, so an
//! export imports back unchanged), its parse through the same field rules every API uses,
//! and what a line does to the user it matches.

use super::error::{FieldError, FieldErrors};
use super::fields::{Email, ExternalId, GroupKey, PersonName, Phone};
use super::password_hash::ImportedHash;
use super::status::Status;
use super::user::{Change, Profile, ProfileChange, RoleName, Roles, User, UserPatch};
use super::username::Username;
use serde::{Deserialize, Serialize};

/// One user as an NDJSON line (or a CSV row) of an import or an export. Absent members keep
/// what an existing user has; `roles` and `groups`, when present, are the whole set.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserLine {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone_number: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub roles: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub groups: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_hash: Option<String>,
}

/// The CSV columns, in order. `roles` and `groups` hold their names separated by spaces; an
/// empty cell is an absent member.
pub const CSV_COLUMNS: [&str; 10] = [
    "email",
    "external_id",
    "username",
    "first_name",
    "last_name",
    "phone_number",
    "status",
    "roles",
    "groups",
    "password_hash",
];

/// The formats an export writes (and the CLI imports).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ExportFormat {
    #[default]
    Ndjson,
    Csv,
}

impl ExportFormat {
    /// What comes before the first line: CSV's header row.
    pub fn header(self) -> Vec<u8> {
        match self {
            ExportFormat::Ndjson => Vec::new(),
            ExportFormat::Csv => csv_rows([CSV_COLUMNS.map(str::to_owned)]),
        }
    }

    /// Lines in this format, each ending with a newline.
    pub fn encode(self, lines: &[UserLine]) -> Vec<u8> {
        match self {
            ExportFormat::Ndjson => {
                let mut out = Vec::with_capacity(lines.len() * 200);
                for line in lines {
                    // A struct of strings always serializes.
                    let _ = serde_json::to_writer(&mut out, line);
                    out.push(b'\n');
                }
                out
            }
            ExportFormat::Csv => csv_rows(lines.iter().map(UserLine::to_cells)),
        }
    }
}

fn csv_rows(rows: impl IntoIterator<Item = [String; 10]>) -> Vec<u8> {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new());
    for row in rows {
        // Writing to a Vec cannot fail.
        let _ = w.write_record(&row);
    }
    w.into_inner().unwrap_or_default()
}

impl UserLine {
    /// The line's export form: every member of `user` (roles and groups always, possibly
    /// empty), the hash only when given.
    pub fn of(user: &User, groups: Vec<String>, password_hash: Option<String>) -> Self {
        Self {
            email: user.email.clone(),
            external_id: user.external_id.clone(),
            username: user.username.clone(),
            first_name: user.first_name.clone(),
            last_name: user.last_name.clone(),
            phone_number: user.phone_number.clone(),
            status: Some(user.status.as_str().to_owned()),
            roles: Some(user.roles.names()),
            groups: Some(groups),
            password_hash,
        }
    }

    /// The cells of the line's CSV row, in [`CSV_COLUMNS`] order.
    pub fn to_cells(&self) -> [String; 10] {
        let text = |v: &Option<String>| v.clone().unwrap_or_default();
        let list = |v: &Option<Vec<String>>| v.as_ref().map(|l| l.join(" ")).unwrap_or_default();
        [
            text(&self.email),
            text(&self.external_id),
            text(&self.username),
            text(&self.first_name),
            text(&self.last_name),
            text(&self.phone_number),
            text(&self.status),
            list(&self.roles),
            list(&self.groups),
            text(&self.password_hash),
        ]
    }

    /// A line from a CSV row whose header is `header` (columns in any order; unknown ones
    /// are refused).
    pub fn from_cells(header: &[String], cells: &[String]) -> Result<Self, FieldError> {
        let mut line = UserLine::default();
        for (name, cell) in header.iter().zip(cells) {
            let text = (!cell.is_empty()).then(|| cell.clone());
            let list = || {
                text.as_ref()
                    .map(|t| t.split_whitespace().map(str::to_owned).collect())
            };
            match name.trim() {
                "email" => line.email = text,
                "external_id" => line.external_id = text,
                "username" => line.username = text,
                "first_name" => line.first_name = text,
                "last_name" => line.last_name = text,
                "phone_number" => line.phone_number = text,
                "status" => line.status = text,
                "roles" => line.roles = list(),
                "groups" => line.groups = list(),
                "password_hash" => line.password_hash = text,
                other => {
                    return Err(FieldError::new(
                        other,
                        format!(
                            "is not a column of an import; known: {}",
                            CSV_COLUMNS.join(", ")
                        ),
                    ))
                }
            }
        }
        Ok(line)
    }

    /// A line from one NDJSON line (without its newline).
    pub fn from_json(text: &[u8]) -> Result<Self, FieldError> {
        serde_json::from_slice(text).map_err(|e| {
            FieldError::new(
                "line",
                format!("is not a JSON object of an import's shape: {e}"),
            )
        })
    }

    /// Parses every member with the field rules every API uses, naming each bad one.
    pub fn parse(self) -> Result<ImportUser, Vec<FieldError>> {
        let mut errors = FieldErrors::new();
        if self.email.is_none() && self.external_id.is_none() {
            errors.push(FieldError::new(
                "email",
                "is required (or external_id): a line is matched by one of them",
            ));
        }
        fn each<T>(
            raw: Option<String>,
            errors: &mut FieldErrors,
            parse: impl Fn(&str) -> Result<T, FieldError>,
        ) -> Option<T> {
            raw.and_then(|v| errors.take(parse(&v)))
        }
        let user = ImportUser {
            email: each(self.email, &mut errors, |v| Email::parse("email", v)),
            external_id: each(self.external_id, &mut errors, |v| {
                ExternalId::parse("external_id", v)
            }),
            username: each(self.username, &mut errors, |v| {
                Username::parse("username", v)
            }),
            first_name: each(self.first_name, &mut errors, |v| {
                PersonName::parse("first_name", v)
            }),
            last_name: each(self.last_name, &mut errors, |v| {
                PersonName::parse("last_name", v)
            }),
            phone_number: each(self.phone_number, &mut errors, |v| {
                Phone::parse("phone_number", v)
            }),
            status: each(self.status, &mut errors, |v| {
                v.parse::<Status>().map_err(|_| {
                    FieldError::new(
                        "status",
                        "must be one of invited, active, deactivated, banned, revoked",
                    )
                })
            }),
            roles: self.roles.map(|names| {
                Roles::of(
                    names.iter().enumerate().filter_map(|(i, r)| {
                        errors.take(RoleName::parse(&format!("roles[{i}]"), r))
                    }),
                )
            }),
            groups: self.groups.map(|keys| {
                let mut keys: Vec<GroupKey> = keys
                    .iter()
                    .enumerate()
                    .filter_map(|(i, k)| errors.take(GroupKey::parse(&format!("groups[{i}]"), k)))
                    .collect();
                keys.sort_by(|a, b| a.as_str().cmp(b.as_str()));
                keys.dedup();
                keys
            }),
            password_hash: each(self.password_hash, &mut errors, |v| {
                ImportedHash::parse("password_hash", v)
            }),
        };
        match errors.finish() {
            Ok(()) => Ok(user),
            Err(super::DomainError::Invalid(fields)) => Err(fields),
            Err(other) => Err(vec![FieldError::new("line", other.to_string())]),
        }
    }
}

/// An import line whose every member parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportUser {
    pub email: Option<Email>,
    pub external_id: Option<ExternalId>,
    pub username: Option<Username>,
    pub first_name: Option<PersonName>,
    pub last_name: Option<PersonName>,
    pub phone_number: Option<Phone>,
    pub status: Option<Status>,
    pub roles: Option<Roles>,
    /// Sorted, without repeats.
    pub groups: Option<Vec<GroupKey>>,
    pub password_hash: Option<ImportedHash>,
}

/// What a line does to the user it matched.
#[derive(Debug, Clone)]
pub struct ImportUpdate {
    pub change: ProfileChange,
    /// Set when the line brings a hash other than the stored one.
    pub password_hash: Option<String>,
    /// Group keys to join and to leave (sorted).
    pub join: Vec<String>,
    pub leave: Vec<String>,
}

impl ImportUpdate {
    pub fn is_empty(&self) -> bool {
        self.change.is_empty()
            && self.password_hash.is_none()
            && self.join.is_empty()
            && self.leave.is_empty()
    }
}

impl ImportUser {
    /// The unique keys this line names (email key, external id, username key): two lines of
    /// one chunk may not share one, so each line sees the one before it committed.
    pub fn keys(&self) -> Vec<String> {
        let mut keys = Vec::with_capacity(3);
        if let Some(e) = &self.email {
            keys.push(format!("e:{}", e.key()));
        }
        if let Some(x) = &self.external_id {
            keys.push(format!("x:{}", x.as_str()));
        }
        if let Some(u) = &self.username {
            keys.push(format!("u:{}", u.key()));
        }
        keys
    }

    /// The profile of a user this line creates.
    pub fn new_profile(&self) -> Profile {
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
            roles: self.roles.clone().unwrap_or_default(),
            sessions_limit: None,
        }
    }

    /// What this line changes of `user`, who holds `hash` and the groups `groups` (keys).
    /// An import never changes an existing user's status (a status change has effects, on
    /// sessions, rooms and the last admin, that only the lifecycle actions apply).
    pub fn update_of(
        &self,
        user: &User,
        hash: Option<&str>,
        groups: &[String],
    ) -> Result<ImportUpdate, FieldError> {
        if self.status.is_some_and(|s| s != user.status) {
            return Err(FieldError::new(
                "status",
                format!(
                    "the user is {}; an import sets the status of the users it creates only \
                     (change it with the lifecycle actions), so it may be {} or left out",
                    user.status.as_str(),
                    user.status.as_str()
                ),
            ));
        }
        fn set<T: Clone>(v: &Option<T>) -> Change<T> {
            v.clone().map_or(Change::Keep, Change::Set)
        }
        let patch = UserPatch {
            email: set(&self.email),
            username: set(&self.username),
            external_id: set(&self.external_id),
            first_name: set(&self.first_name),
            last_name: set(&self.last_name),
            phone_number: set(&self.phone_number),
            roles: self.roles.clone(),
            sessions_limit: Change::Keep,
            password: None,
        };
        let (join, leave) = match &self.groups {
            Some(wanted) => {
                let wanted: Vec<String> = wanted.iter().map(|g| g.as_str().to_owned()).collect();
                let join = wanted
                    .iter()
                    .filter(|k| !groups.contains(k))
                    .cloned()
                    .collect();
                let leave = groups
                    .iter()
                    .filter(|k| !wanted.contains(k))
                    .cloned()
                    .collect();
                (join, leave)
            }
            None => (Vec::new(), Vec::new()),
        };
        Ok(ImportUpdate {
            change: patch.apply(user)?,
            password_hash: self
                .password_hash
                .as_ref()
                .map(|h| h.as_str())
                .filter(|h| Some(*h) != hash)
                .map(str::to_owned),
            join,
            leave,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(json: &str) -> UserLine {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn a_line_names_each_bad_member() {
        let errors = line(r#"{"email": "not-an-email", "phone_number": "12", "status": "x"}"#)
            .parse()
            .unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["email", "phone_number", "status"]);
        let errors = line(r#"{"first_name": "Ada"}"#).parse().unwrap_err();
        assert_eq!(errors[0].field, "email");
    }

    #[test]
    fn csv_cells_round_trip() {
        let l = line(
            r#"{"email": "a@example.com", "roles": ["admin", "x"], "groups": [], "status": "active"}"#,
        );
        let header: Vec<String> = CSV_COLUMNS.iter().map(|c| c.to_string()).collect();
        let back = UserLine::from_cells(&header, &l.to_cells()).unwrap();
        assert_eq!(back.email, l.email);
        assert_eq!(back.roles, l.roles);
        assert_eq!(back.status, l.status);
        // An empty cell is an absent member.
        assert_eq!(back.groups, None);
        assert!(UserLine::from_cells(&["nope".into()], &["1".into()]).is_err());
    }
}
