//! Validated values. Each is built once by `parse` and cannot hold an invalid value afterwards.
//! `parse` takes the name of the field the value came from, so its error names it.

use super::error::FieldError;
use std::fmt;
use unicode_normalization::UnicodeNormalization;

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

/// An email address, kept as the client wrote it (trimmed); compared through [`Email::key`].
///
/// Internationalized addresses are addresses (RFC 6531): the local part may hold any
/// character beyond ASCII, and the domain may be an IDN. What cannot be told apart on screen
/// from another address is refused: a full-width or small `@`, whitespace, and invisible,
/// format or control characters (zero-width space, joiners, soft hyphen, bidi controls).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);
string_value!(Email);

/// The longest local part SMTP carries (RFC 5321 4.5.3.1.1), in bytes.
const LOCAL_PART_MAX: usize = 64;

impl Email {
    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        let s = raw.trim();
        if s.is_empty() {
            return Err(FieldError::new(field, "must not be empty"));
        }
        if s.len() > 254 {
            return Err(FieldError::new(field, "must be at most 254 characters"));
        }
        if let Some(c) = s.chars().find(|c| matches!(c, '\u{FF20}' | '\u{FE6B}')) {
            return Err(FieldError::new(
                field,
                format!("must use the ASCII @ sign, not {}", code_point(c)),
            ));
        }
        if let Some(c) = s.chars().find(|c| c.is_whitespace()) {
            return Err(FieldError::new(
                field,
                format!("must not contain whitespace ({})", code_point(c)),
            ));
        }
        if let Some(c) = s.chars().find(|&c| is_invisible(c)) {
            return Err(FieldError::new(
                field,
                format!(
                    "must not contain invisible, format or control characters ({})",
                    code_point(c)
                ),
            ));
        }
        let Some((local, domain)) = s.rsplit_once('@') else {
            return Err(FieldError::new(field, "must be a valid email address"));
        };
        if local.len() > LOCAL_PART_MAX {
            return Err(FieldError::new(
                field,
                format!("must have at most {LOCAL_PART_MAX} bytes before the @"),
            ));
        }
        if !is_local_part(local) || ascii_domain(domain, true).is_none() {
            return Err(FieldError::new(field, "must be a valid email address"));
        }
        Ok(Self(s.to_owned()))
    }

    /// The uniqueness key; see [`email_key`].
    pub fn key(&self) -> String {
        email_key(&self.0)
    }

    /// The address as SMTP carries it: the domain in its ASCII form (IDNA A-labels), so that
    /// only a local part beyond ASCII needs a server that offers SMTPUTF8.
    pub fn to_smtp(&self) -> String {
        match self.0.rsplit_once('@') {
            Some((local, domain)) => {
                format!("{local}@{}", ascii_domain(domain, true).unwrap_or_default())
            }
            None => self.0.clone(),
        }
    }
}

/// The lookup key of an email as a client may type it in a URL or a filter, and the
/// uniqueness key of a stored one. The local part is NFC-normalized and case-folded (Unicode
/// full case folding, so `KÅRE`, `kåre` and `ka\u{30A}re` are one); the domain is its IDNA
/// A-label form (`bücher.de` and `xn--bcher-kva.de` are one), which lowercases ASCII. An ASCII
/// address keys as its lowercase.
pub fn email_key(raw: &str) -> String {
    let s = raw.trim();
    let fold = |t: &str| -> String {
        let folded = caseless::default_case_fold_str(&t.nfd().collect::<String>());
        folded.nfc().collect()
    };
    match s.rsplit_once('@') {
        Some((local, domain)) => {
            let domain = ascii_domain(domain, false).unwrap_or_else(|| domain.to_lowercase());
            format!("{}@{domain}", fold(local))
        }
        None => fold(s),
    }
}

/// `U+200B` for a character, as an error message names it.
fn code_point(c: char) -> String {
    format!("U+{:04X}", u32::from(c))
}

/// Characters that show nothing or steer how text shows: control and format characters, and
/// the rest of Unicode's default-ignorable code points (which include fillers and variation
/// selectors that are letters or marks by category).
fn is_invisible(c: char) -> bool {
    use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};
    matches!(
        c.general_category(),
        GeneralCategory::Control | GeneralCategory::Format
    ) || matches!(c,
        '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{115F}'..='\u{1160}' | '\u{17B4}'..='\u{17B5}'
        | '\u{180B}'..='\u{180F}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{206F}' | '\u{3164}' | '\u{FE00}'..='\u{FE0F}' | '\u{FEFF}'
        | '\u{FFA0}' | '\u{FFF0}'..='\u{FFF8}' | '\u{1BCA0}'..='\u{1BCA3}'
        | '\u{1D173}'..='\u{1D17A}' | '\u{E0000}'..='\u{E0FFF}')
}

/// A dot-atom local part (RFC 5322 `atext` and dots, as HTML's email rule allows them), with
/// any character beyond ASCII (RFC 6532 `UTF8-non-ascii`). Quoted local parts are refused.
fn is_local_part(local: &str) -> bool {
    !local.is_empty()
        && local.chars().all(|c| {
            !c.is_ascii() || c.is_ascii_alphanumeric() || ".!#$%&'*+/=?^_`{|}~-".contains(c)
        })
}

/// A domain in its ASCII form: an ASCII domain as it is (lowercased), an IDN through UTS #46
/// (mapped, NFC, Punycode), or an address literal such as `[192.0.2.1]`. With `strict`, None
/// for anything that is not a host name of letters, digits and hyphens.
fn ascii_domain(domain: &str, strict: bool) -> Option<String> {
    if let Some(ip) = domain.strip_prefix('[').and_then(|d| d.strip_suffix(']')) {
        return (!strict || ip.parse::<std::net::IpAddr>().is_ok()).then(|| domain.to_owned());
    }
    let ascii = if domain.is_ascii() {
        domain.to_ascii_lowercase()
    } else {
        use idna::uts46::{AsciiDenyList, DnsLength, Hyphens, Uts46};
        let deny = if strict {
            AsciiDenyList::STD3
        } else {
            AsciiDenyList::EMPTY
        };
        Uts46::new()
            .to_ascii(domain.as_bytes(), deny, Hyphens::Allow, DnsLength::Ignore)
            .ok()?
            .into_owned()
    };
    let label = |l: &str| {
        (1..=63).contains(&l.len())
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    };
    (!strict || ascii.split('.').all(label)).then_some(ascii)
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

    /// A name as an identity provider's directory holds it (SCIM). The directory is the
    /// authority on its people's names: refusing one would fail the whole provisioning of
    /// that person, so any text is kept as sent (trimmed), up to 100 characters, without
    /// control characters. Names people type into roster's own APIs follow [`Self::parse`].
    pub fn from_directory(field: &str, raw: &str) -> Result<Self, FieldError> {
        let s = raw.trim();
        let len = s.chars().count();
        if len == 0 {
            return Err(FieldError::new(field, "must not be empty"));
        }
        if len > 100 {
            return Err(FieldError::new(field, "must be at most 100 characters"));
        }
        if s.chars().any(char::is_control) {
            return Err(FieldError::new(
                field,
                "must not contain control characters",
            ));
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

    /// A phone number as a directory holds it (SCIM): E.164 is read as [`Self::parse`] does;
    /// anything else that reads as a phone number (digits with the separators people type,
    /// 4 to 20 digits, no country code needed) is kept as sent, since directories hold
    /// national numbers and roster cannot guess their country.
    pub fn from_directory(field: &str, raw: &str) -> Result<Self, FieldError> {
        let s = raw.trim();
        let s = s.strip_prefix("tel:").unwrap_or(s);
        if s.starts_with('+') {
            return Self::parse(field, s);
        }
        let phone_like = s
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '-' | '.' | '(' | ')'));
        let digits = s.chars().filter(char::is_ascii_digit).count();
        if !phone_like || !(4..=20).contains(&digits) || s.len() > 32 {
            return Err(FieldError::new(
                field,
                "must be a phone number: digits (4 to 20) with spaces, hyphens, dots or \
                 parentheses, or E.164 starting with +",
            ));
        }
        Ok(Self(s.to_owned()))
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
    fn internationalized_addresses_are_addresses() {
        for ok in [
            "kåre@example.com",
            "用户@例子.广告",
            "θσερ@παράδειγμα.δοκιμή",
            "Дмитрий@пример.рф",
            "ada@bücher.de",
            "ü@xn--bcher-kva.de",
            "a.b+c@[192.0.2.1]",
            "o'brien@example.com",
        ] {
            assert!(Email::parse("email", ok).is_ok(), "{ok}");
        }
        for bad in [
            "kåre@",
            "@example.com",
            "a\"b\"@example.com",
            "a@-example.com",
            "a@exa_mple.com",
            "a@[999.1.1.1]",
            "a@example..com",
            &format!("{}@example.com", "å".repeat(33)),
        ] {
            assert!(Email::parse("email", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn spellings_of_one_address_share_a_key() {
        for (a, b) in [
            ("kåre@example.com", "KÅRE@EXAMPLE.COM"),
            ("k\u{E5}re@example.com", "ka\u{30A}re@example.com"),
            ("ada@bücher.de", "ADA@xn--bcher-kva.de"),
            ("ada@BÜCHER.de", "ada@bu\u{308}cher.de"),
            ("straße@example.de", "STRASSE@example.de"),
            ("ΣΑΣ@example.gr", "σας@example.gr"),
        ] {
            assert_eq!(email_key(a), email_key(b), "{a} and {b}");
        }
        assert_ne!(email_key("kåre@example.com"), email_key("kare@example.com"));
        assert_eq!(email_key("Ada@Example.COM"), "ada@example.com");
        assert_eq!(email_key(" KÅRE@Bücher.DE "), "kåre@xn--bcher-kva.de");
    }

    #[test]
    fn the_smtp_form_has_an_ascii_domain() {
        let e = Email::parse("email", "Kåre@Bücher.de").unwrap();
        assert_eq!(e.to_smtp(), "Kåre@xn--bcher-kva.de");
        let e = Email::parse("email", "ada@[192.0.2.1]").unwrap();
        assert_eq!(e.to_smtp(), "ada@[192.0.2.1]");
    }

    #[test]
    fn look_alikes_and_invisibles_are_refused_by_name() {
        for (bad, named) in [
            ("kåre\u{FF20}example.com", "U+FF20"),
            ("kåre\u{FE6B}example.com", "U+FE6B"),
            ("ka\u{200B}re@example.com", "U+200B"),
            ("ka\u{200D}re@example.com", "U+200D"),
            ("kare@exam\u{AD}ple.com", "U+00AD"),
            ("ka\u{202E}re@example.com", "U+202E"),
            ("ka\u{2066}re@example.com", "U+2066"),
            ("\u{FEFF}kare@example.com", "U+FEFF"),
            ("ka\u{7}re@example.com", "U+0007"),
            ("ka\u{3164}re@example.com", "U+3164"),
            ("ka re@example.com", "whitespace"),
            ("ka\u{A0}re@example.com", "whitespace (U+00A0)"),
            ("kare@example.\u{3000}com", "whitespace (U+3000)"),
        ] {
            let e = Email::parse("email", bad).unwrap_err();
            assert_eq!(e.field, "email");
            assert!(e.message.contains(named), "{bad:?}: {}", e.message);
        }
    }

    mod generated {
        use super::super::*;
        use proptest::prelude::*;

        /// Local parts of letters whose upper case folds back to them, with and without marks.
        fn local() -> impl Strategy<Value = String> {
            "[a-zA-Z0-9åÅéÉøØßäÄöÖçÇñÑσΣжЖ用户._+-]{1,16}"
        }

        fn domain() -> impl Strategy<Value = String> {
            "([a-z][a-z0-9]{0,8}|bücher|пример|例子)\\.(com|de|рф)"
        }

        proptest! {
            #[test]
            fn parse_never_panics_and_keeps_only_what_it_checked(raw in any::<String>()) {
                if let Ok(e) = Email::parse("email", &raw) {
                    prop_assert!(e.as_str().contains('@'));
                    prop_assert!(!e.as_str().chars().any(|c| c.is_whitespace() || is_invisible(c)));
                    prop_assert_eq!(e.key(), email_key(e.as_str()));
                }
            }

            #[test]
            fn one_address_in_any_case_or_normal_form_has_one_key(l in local(), d in domain()) {
                let address = format!("{l}@{d}");
                let e = Email::parse("email", &address).unwrap();
                let decomposed: String = address.nfd().collect();
                prop_assert!(Email::parse("email", &decomposed).is_ok());
                prop_assert_eq!(email_key(&decomposed), e.key());
                prop_assert_eq!(email_key(&address.to_uppercase()), e.key());
                prop_assert_eq!(email_key(&address.to_lowercase()), e.key());
            }

            #[test]
            fn ascii_addresses_key_as_their_lowercase(l in "[a-zA-Z0-9._+-]{1,20}", d in "[a-zA-Z][a-zA-Z0-9]{0,10}\\.[a-zA-Z]{2,5}") {
                let address = format!("{l}@{d}");
                prop_assert!(Email::parse("email", &address).is_ok());
                prop_assert_eq!(email_key(&address), address.to_lowercase());
            }

            #[test]
            fn an_invisible_character_anywhere_is_refused(
                l in local(),
                d in domain(),
                at in any::<prop::sample::Index>(),
                c in prop::sample::select(vec!['\u{200B}', '\u{200C}', '\u{200D}', '\u{AD}', '\u{202E}', '\u{FEFF}', '\u{2060}', '\u{0}']),
            ) {
                let mut chars: Vec<char> = format!("{l}@{d}").chars().collect();
                chars.insert(at.index(chars.len() + 1), c);
                let address: String = chars.into_iter().collect();
                let e = Email::parse("email", &address).unwrap_err();
                prop_assert_eq!(e.field, "email");
                let named = e.message.contains(&code_point(c));
                prop_assert!(named, "{}", e.message);
            }
        }
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
