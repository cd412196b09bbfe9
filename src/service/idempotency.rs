//! Replaying the first answer to a request retried with the same `Idempotency-Key`.

use super::{Result, Services};
use crate::domain::idempotency::{IdempotencyClaim, StoredResponse};

/// How long a stored answer is kept.
const RETENTION: chrono::Duration = chrono::Duration::hours(24);
/// After this long a claim whose request never finished (its process died) may be retried.
const ABANDONED_AFTER: chrono::Duration = chrono::Duration::seconds(60);

impl Services {
    #[tracing::instrument(skip_all)]
    pub async fn claim_idempotency_key(
        &self,
        scope: &[u8],
        key: &str,
        request_hash: &[u8],
    ) -> Result<IdempotencyClaim> {
        let at = self.now();
        let mut tx = self.store.write().await?;
        let claim = tx
            .claim_idempotency_key(scope, key, request_hash, at, at - ABANDONED_AFTER)
            .await?;
        tx.commit().await?;
        Ok(claim)
    }

    #[tracing::instrument(skip_all)]
    pub async fn complete_idempotency_key(
        &self,
        scope: &[u8],
        key: &str,
        response: &StoredResponse,
    ) -> Result<()> {
        let mut tx = self.store.write().await?;
        tx.complete_idempotency_key(scope, key, response).await?;
        Ok(tx.commit().await?)
    }

    #[tracing::instrument(skip_all)]
    pub async fn release_idempotency_key(&self, scope: &[u8], key: &str) -> Result<()> {
        let mut tx = self.store.write().await?;
        tx.release_idempotency_key(scope, key).await?;
        Ok(tx.commit().await?)
    }

    #[tracing::instrument(skip_all)]
    pub async fn expire_idempotency_keys(&self) -> Result<u64> {
        let mut tx = self.store.write().await?;
        let n = tx.expire_idempotency_keys(self.now() - RETENTION).await?;
        tx.commit().await?;
        Ok(n)
    }
}
