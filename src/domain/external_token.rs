//! External sign-in tokens (Publica.la's `external-auth-token`): a JWT a tenant's platform
//! signs to sign one of its users in. The signature and the algorithm are checked against the
//! key the tenant registered (service::external_auth); the claims are judged here.

use super::error::FieldError;
use serde::Deserialize;
use uuid::Uuid;

/// Clock skew tolerated on `exp` and `nbf`, in seconds.
pub const LEEWAY_SECONDS: i64 = 30;

/// The longest a token may live from now (Publica.la allows up to an hour): it bounds how
/// long a token id must be remembered to refuse its replay.
pub const MAX_LIFETIME_SECONDS: i64 = 3600;

/// The algorithm a tenant's key signs with. The key decides it, never the token's header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SigningAlgorithm {
    /// HMAC-SHA256 with a shared secret.
    Hs256,
    /// RSA PKCS#1 v1.5 with SHA-256; roster holds the public key.
    Rs256,
    /// ECDSA P-256 with SHA-256; roster holds the public key.
    Es256,
}

impl SigningAlgorithm {
    pub const ALL: [SigningAlgorithm; 3] = [
        SigningAlgorithm::Hs256,
        SigningAlgorithm::Rs256,
        SigningAlgorithm::Es256,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SigningAlgorithm::Hs256 => "HS256",
            SigningAlgorithm::Rs256 => "RS256",
            SigningAlgorithm::Es256 => "ES256",
        }
    }

    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        Self::ALL
            .into_iter()
            .find(|a| a.as_str() == raw)
            .ok_or_else(|| FieldError::new(field, "must be one of HS256, RS256, ES256"))
    }
}

/// The shortest HS256 secret accepted, in bytes (Publica.la asks for 32 characters).
pub const MIN_SECRET_BYTES: usize = 32;

/// A tenant's registered signing key, as roster checks tokens against it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExternalAuthKey {
    pub algorithm: SigningAlgorithm,
    /// The HS256 shared secret, or the RS256/ES256 public key in PEM.
    pub key: String,
    /// The `aud` every token must carry.
    pub audience: String,
    /// The `iss` every token must carry, when set.
    pub issuer: Option<String>,
    /// Whether a token naming an unknown external id creates that user.
    pub create_users: bool,
}

/// The user a token names.
#[derive(Debug, Clone, Deserialize)]
pub struct ClaimedUser {
    pub uuid: Option<String>,
    pub email: Option<String>,
    pub name: Option<String>,
}

/// `aud` is a string or a list of strings (RFC 7519 4.1.3).
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Audience {
    One(String),
    Many(Vec<String>),
}

impl Audience {
    fn contains(&self, wanted: &str) -> bool {
        match self {
            Audience::One(a) => a == wanted,
            Audience::Many(all) => all.iter().any(|a| a == wanted),
        }
    }
}

/// A token's claims, as sent.
#[derive(Debug, Clone, Deserialize)]
pub struct Claims {
    pub iss: Option<String>,
    pub aud: Option<Audience>,
    pub exp: Option<i64>,
    pub nbf: Option<i64>,
    pub jti: Option<String>,
    pub user: Option<ClaimedUser>,
}

/// Who a valid token signs in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// The user's id in the platform: the user's `external_id` in roster.
    pub external_id: Uuid,
    pub email: Option<String>,
    pub name: Option<String>,
    /// The token's id, refused if seen again before `expires_at`.
    pub jti: String,
    /// Unix seconds.
    pub expires_at: i64,
}

/// Why a token's claims are refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    Missing(&'static str),
    Expired,
    NotYetValid,
    TooLong,
    WrongAudience,
    WrongIssuer,
    BadExternalId,
}

impl Refusal {
    pub fn reason(self) -> String {
        match self {
            Refusal::Missing(claim) => format!("the token has no `{claim}` claim"),
            Refusal::Expired => "the token has expired".into(),
            Refusal::NotYetValid => "the token is not valid yet (nbf)".into(),
            Refusal::TooLong => {
                format!("the token expires more than {MAX_LIFETIME_SECONDS} seconds from now")
            }
            Refusal::WrongAudience => "the token is for another audience (aud)".into(),
            Refusal::WrongIssuer => "the token is from another issuer (iss)".into(),
            Refusal::BadExternalId => "the token's `user.uuid` is not a UUID".into(),
        }
    }
}

/// Judges the claims of a token whose signature was checked, at Unix time `now`.
pub fn check(claims: Claims, key: &ExternalAuthKey, now: i64) -> Result<Identity, Refusal> {
    let exp = claims.exp.ok_or(Refusal::Missing("exp"))?;
    if exp + LEEWAY_SECONDS <= now {
        return Err(Refusal::Expired);
    }
    if exp > now + MAX_LIFETIME_SECONDS + LEEWAY_SECONDS {
        return Err(Refusal::TooLong);
    }
    if claims.nbf.is_some_and(|nbf| nbf > now + LEEWAY_SECONDS) {
        return Err(Refusal::NotYetValid);
    }
    let aud = claims.aud.ok_or(Refusal::Missing("aud"))?;
    if !aud.contains(&key.audience) {
        return Err(Refusal::WrongAudience);
    }
    if let Some(issuer) = &key.issuer {
        if claims.iss.as_deref() != Some(issuer.as_str()) {
            return Err(Refusal::WrongIssuer);
        }
    }
    let jti = claims
        .jti
        .filter(|j| !j.trim().is_empty() && j.len() <= 200)
        .ok_or(Refusal::Missing("jti"))?;
    let user = claims.user.ok_or(Refusal::Missing("user"))?;
    let uuid = user.uuid.ok_or(Refusal::Missing("user.uuid"))?;
    let external_id = Uuid::parse_str(uuid.trim()).map_err(|_| Refusal::BadExternalId)?;
    Ok(Identity {
        external_id,
        email: user.email.filter(|e| !e.trim().is_empty()),
        name: user.name.filter(|n| !n.trim().is_empty()),
        jti,
        expires_at: exp,
    })
}

/// Whether a token's header names no algorithm (`alg: none`, an unsigned token), so that its
/// refusal can say so. Read without trusting anything else in the header.
pub fn is_unsigned(token: &str) -> bool {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;
    let Some(header) = token.split('.').next() else {
        return false;
    };
    URL_SAFE_NO_PAD
        .decode(header.trim_end_matches('='))
        .ok()
        .and_then(|raw| serde_json::from_slice::<serde_json::Value>(&raw).ok())
        .and_then(|h| h.get("alg").and_then(|a| a.as_str()).map(str::to_owned))
        .is_some_and(|alg| alg.eq_ignore_ascii_case("none"))
}

/// A full name split into a first and a last name: the last word is the last name.
pub fn split_name(name: &str) -> (String, Option<String>) {
    let name = name.trim();
    match name.rsplit_once(char::is_whitespace) {
        Some((first, last)) if !first.trim().is_empty() => {
            (first.trim().to_owned(), Some(last.to_owned()))
        }
        _ => (name.to_owned(), None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> ExternalAuthKey {
        ExternalAuthKey {
            algorithm: SigningAlgorithm::Hs256,
            key: "k".repeat(32),
            audience: "roster".into(),
            issuer: None,
            create_users: true,
        }
    }

    fn claims(now: i64) -> Claims {
        Claims {
            iss: None,
            aud: Some(Audience::One("roster".into())),
            exp: Some(now + 60),
            nbf: None,
            jti: Some("j1".into()),
            user: Some(ClaimedUser {
                uuid: Some("0190f5a0-1b2c-7d3e-8f40-5a6b7c8d9e0f".into()),
                email: Some("ada@example.com".into()),
                name: Some("Ada King Lovelace".into()),
            }),
        }
    }

    #[test]
    fn the_claims_rules() {
        let now = 1_800_000_000;
        let ok = check(claims(now), &key(), now).unwrap();
        assert_eq!(ok.jti, "j1");
        let expired = Claims {
            exp: Some(now - LEEWAY_SECONDS),
            ..claims(now)
        };
        assert_eq!(check(expired, &key(), now), Err(Refusal::Expired));
        let within_leeway = Claims {
            exp: Some(now - 5),
            ..claims(now)
        };
        assert!(check(within_leeway, &key(), now).is_ok());
        let early = Claims {
            nbf: Some(now + 120),
            ..claims(now)
        };
        assert_eq!(check(early, &key(), now), Err(Refusal::NotYetValid));
        let other = Claims {
            aud: Some(Audience::Many(vec!["a".into(), "b".into()])),
            ..claims(now)
        };
        assert_eq!(check(other, &key(), now), Err(Refusal::WrongAudience));
        let forever = Claims {
            exp: Some(now + 10 * MAX_LIFETIME_SECONDS),
            ..claims(now)
        };
        assert_eq!(check(forever, &key(), now), Err(Refusal::TooLong));
        let no_jti = Claims {
            jti: None,
            ..claims(now)
        };
        assert_eq!(check(no_jti, &key(), now), Err(Refusal::Missing("jti")));
        let issuer = ExternalAuthKey {
            issuer: Some("platform".into()),
            ..key()
        };
        assert_eq!(check(claims(now), &issuer, now), Err(Refusal::WrongIssuer));
    }

    #[test]
    fn unsigned_tokens_are_told_apart() {
        // {"alg":"none"} and {"alg":"HS256"}
        assert!(is_unsigned("eyJhbGciOiJub25lIn0.e30."));
        assert!(!is_unsigned("eyJhbGciOiJIUzI1NiJ9.e30.sig"));
        assert!(!is_unsigned("garbage"));
    }

    #[test]
    fn names_split_at_the_last_word() {
        assert_eq!(
            split_name(" Ada King Lovelace "),
            ("Ada King".into(), Some("Lovelace".into()))
        );
        assert_eq!(split_name("Ada"), ("Ada".into(), None));
    }
}
