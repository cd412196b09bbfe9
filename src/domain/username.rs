//! A user's login name, unique in the tenant.
//!
//! The rule: 1 to 254 characters of ASCII letters, digits and `.` `_` `-` `@` `+`, starting
//! with a letter or a digit. That is Rocket.Chat's default `UTF8_User_Names_Validation`
//! (`[0-9a-zA-Z-_.]+`) widened by `@` and `+`, so that the email-shaped user names identity
//! providers send (`ada+ops@example.com`) fit, and 254 long, so that any such address fits.
//! The first character keeps names from reading as a mention (`@ada`), an option (`-x`) or a
//! phone number (`+1555`). Names are kept as written and compared case-insensitively through
//! [`Username::key`], as emails are.

use super::error::FieldError;
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Username(String);

/// The most characters a username may have: an email address's.
const MAX_LEN: usize = 254;

impl Username {
    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        let s = raw.trim();
        let Some(first) = s.chars().next() else {
            return Err(FieldError::new(field, "must not be empty"));
        };
        if s.len() > MAX_LEN {
            return Err(FieldError::new(
                field,
                format!("must be at most {MAX_LEN} characters"),
            ));
        }
        if let Some(bad) = s.chars().find(|c| !allowed(*c)) {
            return Err(FieldError::new(
                field,
                format!(
                    "may contain only ASCII letters, digits, '.', '_', '-', '@' and '+' (found {bad:?})"
                ),
            ));
        }
        if !first.is_ascii_alphanumeric() {
            return Err(FieldError::new(
                field,
                "must start with a letter or a digit",
            ));
        }
        Ok(Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The uniqueness key: the name in lowercase.
    pub fn key(&self) -> String {
        username_key(&self.0)
    }
}

fn allowed(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@' | '+')
}

/// The uniqueness key of a stored username.
pub fn username_key(name: &str) -> String {
    name.to_ascii_lowercase()
}

/// The key of a name a client typed to look a user up, or None when no username could be
/// that name (so the lookup can skip usernames instead of failing).
pub fn lookup_key(raw: &str) -> Option<String> {
    Username::parse("username", raw).ok().map(|u| u.key())
}

impl fmt::Display for Username {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for Username {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_case_and_keys_lowercase() {
        let u = Username::parse("username", "  Ada.Lovelace ").unwrap();
        assert_eq!(u.as_str(), "Ada.Lovelace");
        assert_eq!(u.key(), "ada.lovelace");
        assert_eq!(lookup_key(" ADA "), Some("ada".into()));
    }

    #[test]
    fn accepts_rocket_chat_names_and_email_shaped_ones() {
        for ok in [
            "ada",
            "a",
            "7of9",
            "jane_doe-2.0",
            "ada+ops@example.com",
            "UPPER",
            &"x".repeat(MAX_LEN),
        ] {
            assert!(Username::parse("username", ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn refuses_other_characters_and_leading_symbols() {
        for bad in [
            "",
            "   ",
            "has space",
            "tab\tname",
            "zoë",
            "ada/lovelace",
            "@ada",
            "-x",
            "+15555550100",
            ".hidden",
            "_bot",
            "a\u{0}b",
            &"x".repeat(MAX_LEN + 1),
        ] {
            assert!(Username::parse("username", bad).is_err(), "{bad:?}");
        }
        assert_eq!(lookup_key("has space"), None);
        assert_eq!(Username::parse("user", "").unwrap_err().field, "user");
    }

    /// Every name made of the allowed characters parses (starting right) and keys to its
    /// lowercase; no other character does.
    #[test]
    fn every_character_is_judged_by_the_rule() {
        for c in (0u32..0x250).filter_map(char::from_u32) {
            let name = format!("a{c}");
            assert_eq!(
                Username::parse("username", &name).is_ok(),
                allowed(c) || (c.is_whitespace() && name.trim() == "a"),
                "{c:?}"
            );
            let first = c.to_string();
            assert_eq!(
                Username::parse("username", &first).is_ok(),
                c.is_ascii_alphanumeric(),
                "{c:?} first"
            );
        }
    }
}
