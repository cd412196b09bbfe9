//! Password hashing with argon2id, off the async threads and bounded to the core count so a
//! burst of logins queues instead of starving every other request.
//!
//! Each permit owns one argon2 memory (19 MiB of blocks), reused from hash to hash: a fresh
//! allocation per hash was kept by glibc's per-thread arenas and grew RSS to ~450 MiB under a
//! login load, where the reused memories hold it at cores × 19 MiB.

use super::{Context, Result};
use crate::domain::event::{NewEvent, Note};
use crate::domain::fields::Password;
use crate::domain::password_hash::HashScheme;
use crate::domain::user::{Profile, User};
use crate::store::Tx;
use argon2::password_hash::{rand_core::OsRng, Output, ParamsString, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use chrono::{DateTime, Utc};
use serde_json::{json, Value};
use std::sync::{Arc, Mutex, OnceLock};
use tokio::sync::Semaphore;

#[derive(Clone)]
pub struct Passwords {
    permits: Arc<Semaphore>,
    /// One memory per permit, made on first use; a permit holder takes one and gives it back.
    memories: Arc<Mutex<Vec<Memory>>>,
}

impl Default for Passwords {
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Self {
            permits: Arc::new(Semaphore::new(cores)),
            memories: Arc::new(Mutex::new(Vec::with_capacity(cores))),
        }
    }
}

/// The parameters of every new hash: argon2id with the crate's defaults (OWASP's: 19 MiB,
/// 2 passes, 1 lane).
fn params() -> Params {
    Params::default()
}

/// An argon2 working memory sized for [`params`].
struct Memory(Box<[Block]>);

impl Memory {
    fn new() -> Self {
        Self(vec![Block::new(); params().block_count()].into_boxed_slice())
    }

    /// Runs argon2 with `ctx` into `out`. A stored hash that needs more memory than ours (made
    /// with larger parameters) gets a memory of its own for this one call.
    fn hash_into(
        &mut self,
        ctx: &Argon2<'_>,
        plain: &[u8],
        salt: &[u8],
        out: &mut [u8],
    ) -> argon2::Result<()> {
        let needed = ctx.params().block_count();
        if needed <= self.0.len() {
            ctx.hash_password_into_with_memory(plain, salt, out, &mut self.0[..needed])
        } else {
            ctx.hash_password_into_with_memory(plain, salt, out, vec![Block::new(); needed])
        }
    }

    /// A PHC string of `plain` under a fresh salt and [`params`].
    fn hash(&mut self, plain: &[u8]) -> argon2::password_hash::Result<String> {
        let salt = SaltString::generate(&mut OsRng);
        let mut raw_salt = [0u8; 64];
        let raw_salt = salt.as_salt().decode_b64(&mut raw_salt)?;
        let params = params();
        let ctx = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
        let output = Output::init_with(Params::DEFAULT_OUTPUT_LEN, |out| {
            Ok(self.hash_into(&ctx, plain, raw_salt, out)?)
        })?;
        let phc = PasswordHash {
            algorithm: Algorithm::Argon2id.ident(),
            version: Some(Version::V0x13.into()),
            params: ParamsString::try_from(&params)?,
            salt: Some(salt.as_salt()),
            hash: Some(output),
        };
        Ok(phc.to_string())
    }

    /// Whether `plain` matches the PHC string `stored`, under the algorithm, version and
    /// parameters `stored` names (so hashes made with other parameters still verify). A
    /// string that is not an argon2 hash matches nothing.
    fn verify(&mut self, plain: &[u8], stored: &str) -> bool {
        self.matches(plain, stored).unwrap_or(false)
    }

    fn matches(&mut self, plain: &[u8], stored: &str) -> argon2::password_hash::Result<bool> {
        let phc = PasswordHash::new(stored)?;
        let (Some(salt), Some(expected)) = (phc.salt, phc.hash) else {
            return Ok(false);
        };
        let version = phc.version.map(Version::try_from).transpose()?;
        let ctx = Argon2::new(
            Algorithm::try_from(phc.algorithm)?,
            version.unwrap_or_default(),
            Params::try_from(&phc)?,
        );
        let mut raw_salt = [0u8; 64];
        let raw_salt = salt.decode_b64(&mut raw_salt)?;
        let computed = Output::init_with(expected.len(), |out| {
            Ok(self.hash_into(&ctx, plain, raw_salt, out)?)
        })?;
        // Output's equality is constant-time.
        Ok(computed == expected)
    }
}

/// Whether `plain` matches `stored`, whichever scheme of [`HashScheme`] made it (imported
/// users keep their bcrypt or scrypt hash until their next login). Any other string matches
/// nothing.
fn verify_any(memory: &mut Memory, plain: &[u8], stored: &str) -> bool {
    match HashScheme::of(stored) {
        Some(HashScheme::Argon2) => memory.verify(plain, stored),
        Some(HashScheme::Bcrypt) => bcrypt::verify(plain, stored).unwrap_or(false),
        Some(HashScheme::Scrypt) => {
            use scrypt::password_hash::PasswordVerifier;
            scrypt::password_hash::PasswordHash::new(stored)
                .is_ok_and(|phc| scrypt::Scrypt.verify_password(plain, &phc).is_ok())
        }
        None => false,
    }
}

/// Verifying against this when there is no user or no password keeps the time of a failed
/// login the same whatever the reason.
fn decoy_hash(memory: &mut Memory) -> &'static str {
    static DECOY: OnceLock<String> = OnceLock::new();
    DECOY.get_or_init(|| {
        memory
            .hash(b"roster-decoy-password")
            .expect("argon2 with default parameters hashes")
    })
}

impl Passwords {
    /// Runs `f` on the blocking pool with a permit and a memory. The permit moves into the
    /// task, so a request that goes away mid-hash still holds it until the hash ends: never
    /// more hashes at once than permits, nor more memories.
    async fn with_memory<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Memory) -> T + Send + 'static,
    ) -> anyhow::Result<T> {
        let permit = self.permits.clone().acquire_owned().await?;
        let memories = self.memories.clone();
        Ok(tokio::task::spawn_blocking(move || {
            let taken = memories.lock().map(|mut m| m.pop()).unwrap_or(None);
            let mut memory = taken.unwrap_or_else(Memory::new);
            let answer = f(&mut memory);
            if let Ok(mut m) = memories.lock() {
                m.push(memory);
            }
            drop(permit);
            answer
        })
        .await?)
    }

    #[tracing::instrument(skip_all)]
    pub async fn hash(&self, password: &Password) -> anyhow::Result<String> {
        self.hash_proven(password.expose()).await
    }

    /// An argon2id hash of a password a login has just proven against an imported hash: it
    /// may predate roster's password rules, so it is not parsed as a new [`Password`].
    #[tracing::instrument(skip_all)]
    pub async fn hash_proven(&self, plain: &str) -> anyhow::Result<String> {
        let plain = plain.to_owned();
        self.with_memory(move |memory| {
            memory
                .hash(plain.as_bytes())
                .map_err(|e| anyhow::anyhow!("hashing a password: {e}"))
        })
        .await?
    }

    /// Whether `plain` matches `stored`; with no stored hash it spends the same time and
    /// answers false.
    #[tracing::instrument(skip_all)]
    pub async fn verify(&self, plain: &str, stored: Option<String>) -> anyhow::Result<bool> {
        let plain = plain.to_owned();
        self.with_memory(move |memory| match stored {
            Some(stored) => verify_any(memory, plain.as_bytes(), &stored),
            None => {
                let decoy = decoy_hash(memory);
                let _spent_the_same_time = memory.verify(plain.as_bytes(), decoy);
                false
            }
        })
        .await
    }
}

/// Sets a user's password inside `tx` (the user's row locked by the caller): writes the new
/// hash, ends every session of the user (impersonation sessions too), kills open reset links,
/// and appends `action` with `details` and the count of sessions ended. Answers that count.
/// Every way a password is set (change, reset) goes through here.
pub(crate) async fn set_user_password(
    tx: &mut Tx,
    ctx: &Context,
    user: &User,
    password_hash: &str,
    action: &'static str,
    mut details: Value,
    at: DateTime<Utc>,
) -> Result<u64> {
    tx.update_profile(
        user.tenant_id,
        user.id,
        &Profile::of(user),
        Some(password_hash),
        at,
    )
    .await?;
    let revoked = tx.revoke_sessions(user.tenant_id, user.id, at).await?;
    tx.revoke_password_resets(user.tenant_id, user.id, at)
        .await?;
    details["sessions_revoked"] = json!(revoked);
    tx.append_event(
        &ctx.origin(&Note::default(), at),
        &NewEvent::about(user.id, action).details(details),
    )
    .await?;
    Ok(revoked)
}

#[cfg(test)]
mod tests {
    use super::*;
    use argon2::password_hash::{PasswordHasher, PasswordVerifier};

    fn password(text: &str) -> Password {
        Password::parse("password", text).expect("a valid password")
    }

    #[tokio::test]
    async fn a_hash_verifies_its_password_and_no_other() {
        let passwords = Passwords::default();
        let stored = passwords.hash(&password("correct horse")).await.unwrap();
        assert!(stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(passwords
            .verify("correct horse", Some(stored.clone()))
            .await
            .unwrap());
        assert!(!passwords
            .verify("correct horsf", Some(stored))
            .await
            .unwrap());
        assert!(!passwords.verify("correct horse", None).await.unwrap());
    }

    #[test]
    fn hashes_agree_with_the_argon2_crate() {
        let mut memory = Memory::new();
        let ours = memory.hash(b"s3cret pass").unwrap();
        let parsed = PasswordHash::new(&ours).unwrap();
        assert!(Argon2::default()
            .verify_password(b"s3cret pass", &parsed)
            .is_ok());

        let salt = SaltString::generate(&mut OsRng);
        let theirs = Argon2::default()
            .hash_password(b"s3cret pass", &salt)
            .unwrap()
            .to_string();
        assert!(memory.verify(b"s3cret pass", &theirs));
        assert!(!memory.verify(b"s3cret pasS", &theirs));
    }

    #[test]
    fn hashes_with_other_parameters_still_verify() {
        let mut memory = Memory::new();
        let salt = SaltString::generate(&mut OsRng);
        for (m, t) in [(8 * 1024, 3), (32 * 1024, 1)] {
            let ctx = Argon2::new(
                Algorithm::Argon2id,
                Version::V0x13,
                Params::new(m, t, 1, None).unwrap(),
            );
            let stored = ctx.hash_password(b"pw-123456", &salt).unwrap().to_string();
            assert!(memory.verify(b"pw-123456", &stored), "m={m} t={t}");
            assert!(!memory.verify(b"pw-1234567", &stored), "m={m} t={t}");
        }
        assert!(!memory.verify(b"pw-123456", "not a phc string"));
    }

    #[tokio::test]
    async fn bcrypt_and_scrypt_hashes_verify() {
        use scrypt::password_hash::PasswordHasher;
        let passwords = Passwords::default();
        let bcrypt = bcrypt::hash("old pw", 4).unwrap();
        assert!(passwords
            .verify("old pw", Some(bcrypt.clone()))
            .await
            .unwrap());
        assert!(!passwords.verify("old px", Some(bcrypt)).await.unwrap());
        let salt = SaltString::generate(&mut OsRng);
        let params = scrypt::Params::new(4, 8, 1, 32).unwrap();
        let scrypt = scrypt::Scrypt
            .hash_password_customized(b"old pw", None, None, params, &salt)
            .unwrap()
            .to_string();
        assert!(scrypt.starts_with("$scrypt$"));
        assert!(passwords
            .verify("old pw", Some(scrypt.clone()))
            .await
            .unwrap());
        assert!(!passwords.verify("old px", Some(scrypt)).await.unwrap());
        let rehashed = passwords.hash_proven("short").await.unwrap();
        assert!(rehashed.starts_with("$argon2id$"));
    }
}
