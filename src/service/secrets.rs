//! Credentials roster hands out: random, shown once, stored as their SHA-256.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// A freshly minted credential: the text to show once and the hash to store.
pub struct Minted {
    pub secret: String,
    pub hash: Vec<u8>,
}

/// `prefix` + 32 random bytes in base64url.
pub fn mint(prefix: &str) -> Minted {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let secret = format!("{prefix}{}", URL_SAFE_NO_PAD.encode(bytes));
    let hash = hash(&secret);
    Minted { secret, hash }
}

pub fn hash(secret: &str) -> Vec<u8> {
    Sha256::digest(secret.as_bytes()).to_vec()
}

/// The API key prefix; keys look like `rst_…`.
pub const API_KEY_PREFIX: &str = "rst_";
/// The session token prefix; tokens look like `rss_…`.
pub const SESSION_PREFIX: &str = "rss_";

/// What may be shown of a key after its creation: enough to tell keys apart.
pub fn display_prefix(secret: &str) -> String {
    secret.chars().take(API_KEY_PREFIX.len() + 6).collect()
}

/// A webhook signing secret: `whsec_` + 32 random bytes in base64. It signs every delivery, so
/// it is stored as issued and not hashed (see README, "Webhooks").
pub fn webhook_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    crate::domain::webhook::secret_from(&bytes)
}

/// A referral code: 10 characters from an alphabet without look-alikes.
pub fn referral_code() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut bytes = [0u8; 10];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    bytes
        .iter()
        .map(|b| ALPHABET[(*b as usize) % ALPHABET.len()] as char)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minted_secrets_are_long_random_and_hashed() {
        let a = mint(API_KEY_PREFIX);
        let b = mint(API_KEY_PREFIX);
        assert!(a.secret.starts_with("rst_"));
        assert_eq!(a.secret.len(), 4 + 43);
        assert_ne!(a.secret, b.secret);
        assert_eq!(a.hash, hash(&a.secret));
        assert_eq!(display_prefix(&a.secret).len(), 10);
        assert_eq!(referral_code().len(), 10);
    }
}
