//! Stored password hashes roster accepts from elsewhere (a bulk import): which scheme a hash
//! string is, and whether it is one roster can verify. roster itself only ever writes argon2id;
//! a user who logs in with another scheme's hash gets an argon2id one at that login.

use super::error::FieldError;

/// The scheme of a stored hash, read from its prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HashScheme {
    /// A PHC string `$argon2id$...` (also `$argon2i$`, `$argon2d$`).
    Argon2,
    /// Modular crypt `$2a$`, `$2b$`, `$2x$` or `$2y$`, cost, then 53 characters of salt and hash.
    Bcrypt,
    /// A PHC string `$scrypt$ln=..,r=..,p=..$salt$hash`.
    Scrypt,
}

impl HashScheme {
    /// The scheme of `stored`, or None for a string that is none of them.
    pub fn of(stored: &str) -> Option<Self> {
        if stored.starts_with("$argon2id$")
            || stored.starts_with("$argon2i$")
            || stored.starts_with("$argon2d$")
        {
            Some(HashScheme::Argon2)
        } else if stored.starts_with("$scrypt$") {
            Some(HashScheme::Scrypt)
        } else if ["$2a$", "$2b$", "$2x$", "$2y$"]
            .iter()
            .any(|p| stored.starts_with(p))
        {
            Some(HashScheme::Bcrypt)
        } else {
            None
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            HashScheme::Argon2 => "argon2",
            HashScheme::Bcrypt => "bcrypt",
            HashScheme::Scrypt => "scrypt",
        }
    }

    /// Whether a login that proves the password should replace this hash with argon2id.
    pub fn is_legacy(stored: &str) -> bool {
        !stored.starts_with("$argon2id$")
    }
}

/// A password hash made elsewhere, kept as it is: argon2 or scrypt as a PHC string, bcrypt
/// as modular crypt. Its shape is checked here; whether it matches a password is only known
/// at login.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportedHash(String);

impl ImportedHash {
    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        let refuse = |why: &str| Err(FieldError::new(field, why.to_owned()));
        if raw.len() > 512 || raw.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return refuse("must be one hash string, at most 512 characters, without spaces");
        }
        match HashScheme::of(raw) {
            Some(HashScheme::Bcrypt) => {
                let cost = raw.get(4..6).and_then(|c| c.parse::<u32>().ok());
                let ok = raw.len() == 60
                    && raw.as_bytes()[6] == b'$'
                    && cost.is_some_and(|c| (4..=31).contains(&c))
                    && raw[7..]
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'/');
                if ok {
                    Ok(Self(raw.to_owned()))
                } else {
                    refuse("is not a bcrypt hash ($2b$ + 2-digit cost + $ + 53 characters)")
                }
            }
            Some(HashScheme::Argon2 | HashScheme::Scrypt) => {
                // `$scheme$params$salt$hash`, the version an optional extra part for argon2.
                let parts = raw.split('$').count();
                if (5..=6).contains(&parts) && !raw.ends_with('$') {
                    Ok(Self(raw.to_owned()))
                } else {
                    refuse("is not a PHC string ($scheme$params$salt$hash)")
                }
            }
            None => refuse("must be an argon2 or scrypt PHC string, or a bcrypt hash"),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BCRYPT: &str = "$2b$04$EGdrhbKUv8Oc9vGiXX0HQOxSg445d458Muh7DAHskb6QbtCvdxcie";

    #[test]
    fn schemes_are_read_from_the_prefix() {
        assert_eq!(HashScheme::of(BCRYPT), Some(HashScheme::Bcrypt));
        assert_eq!(
            HashScheme::of("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA"),
            Some(HashScheme::Argon2)
        );
        assert_eq!(
            HashScheme::of("$scrypt$ln=15,r=8,p=1$c2FsdA$aGFzaA"),
            Some(HashScheme::Scrypt)
        );
        assert_eq!(HashScheme::of("$1$md5crypt"), None);
        assert!(HashScheme::is_legacy(BCRYPT));
        assert!(!HashScheme::is_legacy("$argon2id$v=19$m=1,t=1,p=1$a$b"));
    }

    #[test]
    fn imported_hashes_are_checked_for_shape() {
        assert!(ImportedHash::parse("h", BCRYPT).is_ok());
        assert!(ImportedHash::parse("h", "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA").is_ok());
        assert!(ImportedHash::parse("h", "$scrypt$ln=15,r=8,p=1$c2FsdA$aGFzaA").is_ok());
        for bad in [
            "plaintext",
            "$2b$04$short",
            "$2b$99$EGdrhbKUv8Oc9vGiXX0HQOxSg445d458Muh7DAHskb6QbtCvdxcie",
            "$argon2id$",
            "$md5$abc$def",
            "$2b$04$EGdrhbKUv8Oc9vGiXX0HQOxSg445d458Muh7DAHskb6Qb vdxcie",
        ] {
            assert!(ImportedHash::parse("h", bad).is_err(), "{bad}");
        }
    }
}
