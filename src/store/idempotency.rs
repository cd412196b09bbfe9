//! Stored answers for `Idempotency-Key`.

use super::{with_conn, Result, StoreError, Tx};
use crate::domain::idempotency::{IdempotencyClaim, StoredResponse};
use chrono::{DateTime, Utc};

#[derive(sqlx::FromRow)]
struct KeyRow {
    request_hash: Vec<u8>,
    status_code: Option<i64>,
    headers: Option<String>,
    body: Option<Vec<u8>>,
    created_at: DateTime<Utc>,
}

impl Tx {
    /// Claims the key for this request. A claim whose request never finished (its process
    /// died) is taken over once it is older than `stale_before`.
    pub async fn claim_idempotency_key(
        &mut self,
        scope: &[u8],
        key: &str,
        request_hash: &[u8],
        now: DateTime<Utc>,
        stale_before: DateTime<Utc>,
    ) -> Result<IdempotencyClaim> {
        let inserted = with_conn!(self, |c| sqlx::query(
            "INSERT INTO idempotency_keys (scope, key, request_hash, created_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (scope, key) DO NOTHING"
        )
        .bind(scope)
        .bind(key)
        .bind(request_hash)
        .bind(now)
        .execute(c)
        .await?
        .rows_affected());
        if inserted == 1 {
            return Ok(IdempotencyClaim::Claimed);
        }
        let row: KeyRow = with_conn!(self, |c| sqlx::query_as(
            "SELECT request_hash, status_code, headers, body, created_at \
             FROM idempotency_keys WHERE scope = $1 AND key = $2"
        )
        .bind(scope)
        .bind(key)
        .fetch_one(c)
        .await?);
        if row.request_hash != request_hash {
            return Ok(IdempotencyClaim::Mismatch);
        }
        match (row.status_code, row.body) {
            (Some(status), body) => Ok(IdempotencyClaim::Done(StoredResponse {
                status: status as u16,
                headers: row
                    .headers
                    .as_deref()
                    .map(serde_json::from_str)
                    .transpose()
                    .map_err(|e| StoreError::Corrupt(format!("idempotency_keys.headers: {e}")))?
                    .unwrap_or_default(),
                body: body.unwrap_or_default(),
            })),
            (None, _) if row.created_at < stale_before => {
                // Conditional, so that of two retries taking over one stale claim, one wins.
                let taken = with_conn!(self, |c| sqlx::query(
                    "UPDATE idempotency_keys SET created_at = $3 \
                     WHERE scope = $1 AND key = $2 AND status_code IS NULL AND created_at < $4"
                )
                .bind(scope)
                .bind(key)
                .bind(now)
                .bind(stale_before)
                .execute(c)
                .await?
                .rows_affected());
                Ok(if taken == 1 {
                    IdempotencyClaim::Claimed
                } else {
                    IdempotencyClaim::InProgress
                })
            }
            (None, _) => Ok(IdempotencyClaim::InProgress),
        }
    }

    pub async fn complete_idempotency_key(
        &mut self,
        scope: &[u8],
        key: &str,
        response: &StoredResponse,
    ) -> Result<()> {
        with_conn!(self, |c| sqlx::query(
            "UPDATE idempotency_keys SET status_code = $3, headers = $4, body = $5 \
             WHERE scope = $1 AND key = $2"
        )
        .bind(scope)
        .bind(key)
        .bind(i64::from(response.status))
        .bind(serde_json::to_string(&response.headers).unwrap_or_default())
        .bind(&response.body)
        .execute(c)
        .await?
        .rows_affected());
        Ok(())
    }

    /// Forgets a claim whose request failed in a way worth retrying.
    pub async fn release_idempotency_key(&mut self, scope: &[u8], key: &str) -> Result<()> {
        with_conn!(self, |c| sqlx::query(
            "DELETE FROM idempotency_keys WHERE scope = $1 AND key = $2 AND status_code IS NULL"
        )
        .bind(scope)
        .bind(key)
        .execute(c)
        .await?
        .rows_affected());
        Ok(())
    }

    /// Drops stored answers older than `before`; answers how many.
    pub async fn expire_idempotency_keys(&mut self, before: DateTime<Utc>) -> Result<u64> {
        Ok(with_conn!(self, |c| sqlx::query(
            "DELETE FROM idempotency_keys WHERE created_at < $1"
        )
        .bind(before)
        .execute(c)
        .await?
        .rows_affected()))
    }
}
