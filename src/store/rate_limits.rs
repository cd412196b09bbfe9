//! Per-credential call counters in fixed windows, shared by every roster process.

use super::{with_conn, Result, Tx};

impl Tx {
    /// Counts one more call of `key_hash` in the window starting at `window_start`; answers
    /// the window's count including this call. One statement, so concurrent calls of any
    /// process each see their own count.
    pub async fn count_call(&mut self, key_hash: &[u8], window_start: i64) -> Result<i64> {
        Ok(with_conn!(self, |c| sqlx::query_scalar(
            "INSERT INTO rate_limit_windows (key_hash, window_start, hits) VALUES ($1, $2, 1) \
             ON CONFLICT (key_hash, window_start) \
             DO UPDATE SET hits = rate_limit_windows.hits + 1 \
             RETURNING hits"
        )
        .bind(key_hash)
        .bind(window_start)
        .fetch_one(c)
        .await?))
    }

    /// Forgets the windows that started before `before`; answers how many.
    pub async fn forget_rate_windows(&mut self, before: i64) -> Result<u64> {
        Ok(with_conn!(self, |c| sqlx::query(
            "DELETE FROM rate_limit_windows WHERE window_start < $1"
        )
        .bind(before)
        .execute(c)
        .await?
        .rows_affected()))
    }
}
