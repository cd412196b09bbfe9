//! A query over a tenant's users: conditions on a whitelist of user attributes, combined with
//! and, or and not. APIs with a filter language (SCIM) parse their text into it; the store
//! translates it to one parametrised SQL query, so no list is ever filtered in memory.

use chrono::{DateTime, Utc};

/// The user attributes a query may name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserField {
    Id,
    /// Compared case-insensitively.
    Username,
    /// The primary email, compared case-insensitively.
    Email,
    /// Compared exactly.
    ExternalId,
    /// Compared case-insensitively.
    FirstName,
    /// Compared case-insensitively.
    LastName,
    Phone,
    /// Whether the user's status is `active` (compared with a boolean).
    Active,
    Created,
    Modified,
}

impl UserField {
    /// Whether text comparisons ignore case.
    pub fn case_insensitive(self) -> bool {
        matches!(
            self,
            UserField::Username | UserField::Email | UserField::FirstName | UserField::LastName
        )
    }
}

/// A comparison of an attribute with a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compare {
    Eq,
    Ne,
    /// Contains.
    Co,
    /// Starts with.
    Sw,
    /// Ends with.
    Ew,
    Gt,
    Ge,
    Lt,
    Le,
}

/// The value an attribute is compared with.
#[derive(Debug, Clone, PartialEq)]
pub enum Operand {
    Text(String),
    Bool(bool),
    Time(DateTime<Utc>),
}

#[derive(Debug, Clone, PartialEq)]
pub enum UserQuery {
    /// Every user.
    All,
    /// No user (a comparison no user can satisfy, such as an id that is not a uuid).
    Nothing,
    Match(UserField, Compare, Operand),
    /// The attribute has a value.
    Present(UserField),
    /// Users their identity provider deleted (deactivated, and gone from its view).
    Deprovisioned,
    And(Box<UserQuery>, Box<UserQuery>),
    Or(Box<UserQuery>, Box<UserQuery>),
    Not(Box<UserQuery>),
}

impl UserQuery {
    pub fn and(self, other: UserQuery) -> UserQuery {
        UserQuery::And(Box::new(self), Box::new(other))
    }

    pub fn or(self, other: UserQuery) -> UserQuery {
        UserQuery::Or(Box::new(self), Box::new(other))
    }

    #[allow(clippy::should_implement_trait)]
    pub fn not(self) -> UserQuery {
        UserQuery::Not(Box::new(self))
    }
}

/// The order of a query's answer: by an attribute (then by account number), or by account
/// number alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct UserOrder {
    pub by: Option<UserField>,
    pub descending: bool,
}
