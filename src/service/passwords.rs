//! Password hashing with argon2id, off the async threads and bounded to the core count so a
//! burst of logins queues instead of starving every other request.

use crate::domain::fields::Password;
use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::Argon2;
use std::sync::{Arc, OnceLock};
use tokio::sync::Semaphore;

#[derive(Clone)]
pub struct Passwords {
    permits: Arc<Semaphore>,
}

impl Default for Passwords {
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Self {
            permits: Arc::new(Semaphore::new(cores)),
        }
    }
}

/// Argon2id with the crate's defaults (OWASP's: 19 MiB, 2 passes, 1 lane).
fn argon2() -> Argon2<'static> {
    Argon2::default()
}

/// Verifying against this when there is no user or no password keeps the time of a failed
/// login the same whatever the reason.
fn decoy_hash() -> &'static str {
    static DECOY: OnceLock<String> = OnceLock::new();
    DECOY.get_or_init(|| {
        argon2()
            .hash_password(b"roster-decoy-password", &SaltString::generate(&mut OsRng))
            .expect("argon2 with default parameters hashes")
            .to_string()
    })
}

impl Passwords {
    async fn blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> anyhow::Result<T> {
        let _permit = self.permits.acquire().await?;
        Ok(tokio::task::spawn_blocking(f).await?)
    }

    pub async fn hash(&self, password: &Password) -> anyhow::Result<String> {
        let plain = password.expose().to_owned();
        self.blocking(move || {
            argon2()
                .hash_password(plain.as_bytes(), &SaltString::generate(&mut OsRng))
                .map(|h| h.to_string())
                .map_err(|e| anyhow::anyhow!("hashing a password: {e}"))
        })
        .await?
    }

    /// Whether `plain` matches `stored`; with no stored hash it spends the same time and
    /// answers false.
    pub async fn verify(&self, plain: &str, stored: Option<String>) -> anyhow::Result<bool> {
        let plain = plain.to_owned();
        self.blocking(move || {
            let real = stored.is_some();
            let hash_text = stored.unwrap_or_else(|| decoy_hash().to_owned());
            let Ok(parsed) = PasswordHash::new(&hash_text) else {
                return false;
            };
            argon2().verify_password(plain.as_bytes(), &parsed).is_ok() && real
        })
        .await
    }
}
