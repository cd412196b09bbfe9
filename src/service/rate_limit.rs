//! Rate limits per credential, counted in the database so that every roster process shares
//! one count.

use super::{secrets, Result, Services};
use crate::domain::rate_limit::{window_start, RateWindow, WINDOW_SECONDS};

impl Services {
    /// Counts one call made with `credential` under `scope` (each API its own budget) and
    /// answers where that leaves it. Runs in its own short transaction.
    #[tracing::instrument(skip_all)]
    pub async fn count_call(
        &self,
        scope: &str,
        credential: &str,
        limit: u32,
    ) -> Result<RateWindow> {
        let now = self.now().timestamp();
        let start = window_start(now);
        let key = secrets::hash(&format!("{scope}\n{credential}"));
        let mut tx = self.store.write().await?;
        let hits = tx.count_call(&key, start).await?;
        tx.commit().await?;
        Ok(RateWindow::after(hits, limit, now))
    }

    /// Forgets rate-limit windows that ended more than a window ago.
    #[tracing::instrument(skip_all)]
    pub async fn forget_old_rate_windows(&self) -> Result<u64> {
        let before = window_start(self.now().timestamp()) - WINDOW_SECONDS;
        let mut tx = self.store.write().await?;
        let n = tx.forget_rate_windows(before).await?;
        tx.commit().await?;
        Ok(n)
    }
}
