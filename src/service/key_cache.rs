//! API keys recently authenticated, so that a busy key costs no query per call.
//!
//! A key that is revoked or given an end (a rotation) must stop working on every process at
//! once, not when a cache entry ages out. The transaction that changes a key announces it on
//! Postgres (`NOTIFY`, delivered at commit) and every process listens ([`Services::watch_keys`]):
//! an announcement empties the whole cache. A process caches only while it is listening: one
//! that loses its listening connection empties its cache and asks the database on every call
//! until it listens again. Entries also age out after the configured time, which bounds the
//! life of a revoked key should an announcement ever go unheard. SQLite serves one process,
//! and keys are changed through it or through the CLI, so it does not cache at all.

use crate::domain::tenant::KeyOwner;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Entries kept at most; past it the cache is emptied and refills with the keys in use.
const MAX_ENTRIES: usize = 10_000;

pub struct KeyCache {
    ttl: Duration,
    listening: AtomicBool,
    /// Bumped by every emptying: a lookup that began before one must not store its answer.
    generation: AtomicU64,
    entries: Mutex<HashMap<Vec<u8>, Entry>>,
}

struct Entry {
    owner: KeyOwner,
    stored: Instant,
}

/// A ticket taken before asking the database, to store its answer only if nothing changed.
pub struct Ticket(u64);

impl KeyCache {
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            listening: AtomicBool::new(false),
            generation: AtomicU64::new(0),
            entries: Mutex::new(HashMap::new()),
        }
    }

    fn active(&self) -> bool {
        !self.ttl.is_zero() && self.listening.load(Ordering::Acquire)
    }

    /// The cached owner of this secret hash, if the cache is trusted and holds a fresh one.
    pub fn get(&self, hash: &[u8]) -> Option<KeyOwner> {
        if !self.active() {
            return None;
        }
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        let entry = entries.get(hash)?;
        (entry.stored.elapsed() < self.ttl).then(|| entry.owner.clone())
    }

    pub fn ticket(&self) -> Ticket {
        Ticket(self.generation.load(Ordering::Acquire))
    }

    /// Keeps what the database answered, unless the cache was emptied since `ticket`.
    pub fn put(&self, ticket: Ticket, hash: &[u8], owner: &KeyOwner) {
        if !self.active() {
            return;
        }
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        // Checked under the lock that `forget_all` also takes, so no emptying slips between.
        if self.generation.load(Ordering::Acquire) != ticket.0 {
            return;
        }
        if entries.len() >= MAX_ENTRIES {
            entries.clear();
        }
        entries.insert(
            hash.to_vec(),
            Entry {
                owner: owner.clone(),
                stored: Instant::now(),
            },
        );
    }

    /// Notes that a key's use was recorded at this time, so the cached copy does not ask
    /// for another record within the minute.
    pub fn touched(&self, hash: &[u8], at: chrono::DateTime<chrono::Utc>) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(entry) = entries.get_mut(hash) {
            entry.owner.last_used_at = Some(at);
        }
    }

    /// Empties the cache: a key changed somewhere.
    pub fn forget_all(&self) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        self.generation.fetch_add(1, Ordering::AcqRel);
        entries.clear();
    }

    /// Starts or stops trusting the cache; either way it starts empty, since announcements
    /// made while not listening were not heard.
    pub fn set_listening(&self, listening: bool) {
        self.forget_all();
        self.listening.store(listening, Ordering::Release);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::permission::Scopes;
    use uuid::Uuid;

    fn owner() -> KeyOwner {
        KeyOwner {
            key_id: Uuid::nil(),
            key_name: "k".into(),
            scopes: Scopes::full(),
            last_used_at: None,
            expires_at: None,
            tenant_id: Uuid::nil(),
            tenant_number: 1,
            tenant_slug: "t".into(),
            tenant_name: "T".into(),
        }
    }

    #[test]
    fn caches_only_while_listening() {
        let cache = KeyCache::new(Duration::from_secs(10));
        cache.put(cache.ticket(), b"h", &owner());
        assert!(cache.get(b"h").is_none());
        cache.set_listening(true);
        cache.put(cache.ticket(), b"h", &owner());
        assert!(cache.get(b"h").is_some());
        cache.set_listening(false);
        assert!(cache.get(b"h").is_none());
    }

    #[test]
    fn an_answer_older_than_an_emptying_is_not_kept() {
        let cache = KeyCache::new(Duration::from_secs(10));
        cache.set_listening(true);
        let ticket = cache.ticket();
        cache.forget_all();
        cache.put(ticket, b"h", &owner());
        assert!(cache.get(b"h").is_none());
    }

    #[test]
    fn entries_age_out() {
        let cache = KeyCache::new(Duration::from_millis(1));
        cache.set_listening(true);
        cache.put(cache.ticket(), b"h", &owner());
        std::thread::sleep(Duration::from_millis(5));
        assert!(cache.get(b"h").is_none());
    }
}
