//! Validated values. Each is built once by `parse` and cannot hold an invalid value afterwards.
//! `parse` takes the name of the field the value came from, so its error names it.

use super::error::FieldError;
use std::fmt;

macro_rules! string_value {
    ($name:ident) => {
        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
            pub fn into_inner(self) -> String {
                self.0
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
    };
}

/// An email address, kept as the client wrote it (trimmed); compared case-insensitively
/// through [`Email::key`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);
string_value!(Email);

impl Email {
    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        let s = raw.trim();
        if s.is_empty() {
            return Err(FieldError::new(field, "must not be empty"));
        }
        if s.len() > 254 {
            return Err(FieldError::new(field, "must be at most 254 characters"));
        }
        if !validator::ValidateEmail::validate_email(&s) {
            return Err(FieldError::new(field, "must be a valid email address"));
        }
        Ok(Self(s.to_owned()))
    }

    /// The uniqueness key: the lowercased address.
    pub fn key(&self) -> String {
        email_key(&self.0)
    }
}

/// The lookup key of an email as a client may type it in a URL or a filter.
pub fn email_key(raw: &str) -> String {
    raw.trim().to_lowercase()
}

/// A first or last name: 1 to 100 characters, letters of any script with spaces, hyphens,
/// apostrophes and periods between them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonName(String);
string_value!(PersonName);

impl PersonName {
    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        let s = raw.trim();
        let len = s.chars().count();
        if len == 0 {
            return Err(FieldError::new(field, "must not be empty"));
        }
        if len > 100 {
            return Err(FieldError::new(field, "must be at most 100 characters"));
        }
        let allowed = |c: char| c.is_alphabetic() || matches!(c, ' ' | '-' | '\'' | '’' | '.');
        if let Some(bad) = s.chars().find(|c| !allowed(*c)) {
            return Err(FieldError::new(
                field,
                format!(
                    "may contain only letters, spaces, hyphens, apostrophes and periods (found {:?})",
                    bad
                ),
            ));
        }
        if !s.chars().any(char::is_alphabetic) {
            return Err(FieldError::new(field, "must contain a letter"));
        }
        Ok(Self(s.to_owned()))
    }
}

/// A phone number in E.164 (`+` and 8 to 15 digits). Spaces, hyphens, dots and parentheses
/// a person types between digits are dropped, so `+1 555 555 5555` is `+15555555555`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Phone(String);
string_value!(Phone);

impl Phone {
    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        let s = raw.trim();
        let Some(rest) = s.strip_prefix('+') else {
            return Err(FieldError::new(
                field,
                "must be in international format, starting with + and the country code",
            ));
        };
        let mut digits = String::with_capacity(16);
        for c in rest.chars() {
            match c {
                '0'..='9' => digits.push(c),
                ' ' | '-' | '.' | '(' | ')' => {}
                _ => {
                    return Err(FieldError::new(
                        field,
                        format!("may contain only digits after + (found {c:?})"),
                    ))
                }
            }
        }
        if digits.starts_with('0') {
            return Err(FieldError::new(field, "country code cannot start with 0"));
        }
        if !(8..=15).contains(&digits.len()) {
            return Err(FieldError::new(field, "must have 8 to 15 digits (E.164)"));
        }
        Ok(Self(format!("+{digits}")))
    }
}

/// A tenant slug: 2 to 63 of `[a-z0-9-]`, not starting or ending with a hyphen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slug(String);
string_value!(Slug);

impl Slug {
    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        let s = raw.trim();
        if !(2..=63).contains(&s.len()) {
            return Err(FieldError::new(field, "must be 2 to 63 characters"));
        }
        if !s
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            return Err(FieldError::new(
                field,
                "may contain only lowercase letters, digits and hyphens",
            ));
        }
        if s.starts_with('-') || s.ends_with('-') {
            return Err(FieldError::new(
                field,
                "must not start or end with a hyphen",
            ));
        }
        Ok(Self(s.to_owned()))
    }
}

/// The platform's own id for a user: 1 to 64 printable characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExternalId(String);
string_value!(ExternalId);

impl ExternalId {
    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        short_text(field, raw, 64).map(Self)
    }
}

/// A group's short key (Village segment id): 1 to 64 of letters, digits, `-`, `_`, `.`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupKey(String);
string_value!(GroupKey);

impl GroupKey {
    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        let s = raw.trim();
        if s.is_empty() || s.len() > 64 {
            return Err(FieldError::new(field, "must be 1 to 64 characters"));
        }
        if !s
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        {
            return Err(FieldError::new(
                field,
                "may contain only letters, digits, '-', '_' and '.'",
            ));
        }
        Ok(Self(s.to_owned()))
    }
}

/// A display name (tenant, group, room): 1 to 200 printable characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisplayName(String);
string_value!(DisplayName);

impl DisplayName {
    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        short_text(field, raw, 200).map(Self)
    }
}

/// Free text attached to an audit event (reason, reference id): at most 1,000 characters.
pub fn note(field: &str, raw: &str) -> Result<String, FieldError> {
    if raw.chars().count() > 1000 {
        return Err(FieldError::new(field, "must be at most 1000 characters"));
    }
    if raw
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return Err(FieldError::new(
            field,
            "must not contain control characters",
        ));
    }
    Ok(raw.to_owned())
}

fn short_text(field: &str, raw: &str, max: usize) -> Result<String, FieldError> {
    let s = raw.trim();
    if s.is_empty() {
        return Err(FieldError::new(field, "must not be empty"));
    }
    if s.chars().count() > max {
        return Err(FieldError::new(
            field,
            format!("must be at most {max} characters"),
        ));
    }
    if s.chars().any(char::is_control) {
        return Err(FieldError::new(
            field,
            "must not contain control characters",
        ));
    }
    Ok(s.to_owned())
}

/// A new password: 8 to 255 characters. Never printed by `Debug`.
#[derive(Clone)]
pub struct Password(secrecy::SecretString);

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(***)")
    }
}

impl Password {
    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        let n = raw.chars().count();
        if n < 8 {
            return Err(FieldError::new(field, "must be at least 8 characters"));
        }
        if n > 255 {
            return Err(FieldError::new(field, "must be at most 255 characters"));
        }
        Ok(Self(raw.to_owned().into()))
    }

    pub fn expose(&self) -> &str {
        secrecy::ExposeSecret::expose_secret(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_keeps_case_and_keys_lowercase() {
        let e = Email::parse("email", "  Ada@Example.COM ").unwrap();
        assert_eq!(e.as_str(), "Ada@Example.COM");
        assert_eq!(e.key(), "ada@example.com");
        assert!(Email::parse("email", "not-an-email").is_err());
        assert!(Email::parse("email", "").is_err());
        assert_eq!(Email::parse("user", "x").unwrap_err().field, "user");
    }

    #[test]
    fn names_accept_every_script_and_refuse_symbols() {
        for ok in ["Zoë", "O'Brien", "Jean-Luc", "李", "J. R. R.", "Ñandú"] {
            assert!(PersonName::parse("first_name", ok).is_ok(), "{ok}");
        }
        for bad in [
            "R2D2",
            "a@b",
            "#hash",
            "tab\there",
            "",
            "'",
            &"x".repeat(101),
        ] {
            assert!(PersonName::parse("first_name", bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn phone_normalises_to_e164() {
        assert_eq!(
            Phone::parse("p", "+1 555 555 5555").unwrap().as_str(),
            "+15555555555"
        );
        assert_eq!(
            Phone::parse("p", "+15555555555").unwrap().as_str(),
            "+15555555555"
        );
        assert_eq!(
            Phone::parse("p", "+44 (20) 7946-0958").unwrap().as_str(),
            "+442079460958"
        );
        for bad in [
            "5555555555",
            "+1 555",
            "+0 555 555 5555",
            "+1 555 CALL NOW",
            "+",
        ] {
            assert!(Phone::parse("p", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn slugs() {
        assert!(Slug::parse("slug", "acme-2").is_ok());
        for bad in ["a", "Acme", "-acme", "acme-", "ac me", &"a".repeat(64)] {
            assert!(Slug::parse("slug", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn group_keys_and_external_ids() {
        assert!(GroupKey::parse("k", "vip_2024.q1").is_ok());
        assert!(GroupKey::parse("k", "has space").is_err());
        assert!(ExternalId::parse("external_id", &"x".repeat(64)).is_ok());
        assert!(ExternalId::parse("external_id", &"x".repeat(65)).is_err());
    }

    #[test]
    fn passwords_are_bounded_and_hidden() {
        assert!(Password::parse("password", "short").is_err());
        let p = Password::parse("password", "long enough").unwrap();
        assert_eq!(format!("{p:?}"), "Password(***)");
        assert!(Password::parse("password", &"x".repeat(256)).is_err());
    }
}
