//! What a user may change of their own profile, and the rules of Rocket.Chat's profile page.

use super::error::FieldError;
use super::fields::{PersonName, Phone};
use super::user::{Change, UserPatch};

/// The fields a signed-in user edits on themselves: names and phone. Email, username, roles
/// and the rest stay with those who administer users.
#[derive(Debug, Clone, Default)]
pub struct OwnProfile {
    pub first_name: Change<PersonName>,
    pub last_name: Change<PersonName>,
    pub phone_number: Change<Phone>,
}

impl OwnProfile {
    pub fn into_patch(self) -> UserPatch {
        UserPatch {
            first_name: self.first_name,
            last_name: self.last_name,
            phone_number: self.phone_number,
            ..UserPatch::default()
        }
    }
}

/// The profile page's first-name rule: at least 2 characters, letters and spaces only.
pub fn profile_page_first_name(field: &str, raw: &str) -> Result<PersonName, FieldError> {
    let s = raw.trim();
    if s.chars().count() < 2 || !s.chars().all(|c| c.is_alphabetic() || c == ' ') {
        return Err(FieldError::new(
            field,
            "First name must have at least 2 characters. Numbers and special characters are not allowed.",
        ));
    }
    PersonName::parse(field, s)
}

/// The profile page's last-name rule: at least 1 character.
pub fn profile_page_last_name(field: &str, raw: &str) -> Result<PersonName, FieldError> {
    if raw.trim().is_empty() {
        return Err(FieldError::new(
            field,
            "Last name must have at least 1 characters.",
        ));
    }
    PersonName::parse(field, raw)
}

/// What the profile page says once a profile is saved.
pub const PROFILE_UPDATED: &str = "Your profile has been successfully updated.";

/// What the profile page says of a password change.
pub const PASSWORD_CHANGE_LOGS_OUT: &str =
    "Changing your password will log you out immediately. Use the new password to log back in.";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_profile_page_rules() {
        assert!(profile_page_first_name("f", "Al").is_ok());
        assert!(profile_page_first_name("f", "Mary Ann").is_ok());
        for bad in ["A", "R2D2", "Jean-Luc", "", "Ann!"] {
            let e = profile_page_first_name("f", bad).unwrap_err();
            assert!(e.message.starts_with("First name must have"), "{bad}");
        }
        assert!(profile_page_last_name("l", "X").is_ok());
        assert_eq!(
            profile_page_last_name("l", " ").unwrap_err().message,
            "Last name must have at least 1 characters."
        );
    }
}
