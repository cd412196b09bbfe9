//! The background worker `serve` starts beside the mail worker: it sends webhook deliveries
//! and carries out status changes whose time has come. Any number of roster processes may run
//! it against one database: deliveries and changes are claimed under leases, so each goes to
//! one worker at a time, and one whose worker died is taken again when its lease runs out.

mod send;

use crate::domain::webhook::RetryPolicy;
use crate::service::webhooks::AttemptOutcome;
use crate::service::Services;
use crate::store::ClaimedDelivery;
use std::time::Duration;
use tokio::sync::watch;

/// How the worker runs.
#[derive(Debug, Clone)]
pub struct WorkerSettings {
    /// How often an idle worker looks for due deliveries and changes.
    pub tick: Duration,
    /// How long a claimed delivery or change is its worker's before another may take it.
    pub lease: Duration,
    /// The whole of one attempt: connecting, sending, and reading the answer.
    pub timeout: Duration,
    /// At most this much of an answer's body is read (and then dropped).
    pub max_response_bytes: usize,
    /// Deliveries claimed, and sent side by side, per round.
    pub batch: u32,
    pub retry: RetryPolicy,
    /// Allow `http` and private or loopback addresses (see `Settings::webhooks_allow_private`).
    pub allow_private: bool,
}

impl Default for WorkerSettings {
    fn default() -> Self {
        Self {
            tick: Duration::from_secs(1),
            lease: Duration::from_secs(60),
            timeout: Duration::from_secs(10),
            max_response_bytes: 64 * 1024,
            batch: 32,
            retry: RetryPolicy::default(),
            allow_private: false,
        }
    }
}

/// Runs until `shutdown` turns true.
pub async fn run(
    services: Services,
    settings: WorkerSettings,
    mut shutdown: watch::Receiver<bool>,
) {
    let client = match send::client(&settings) {
        Ok(client) => client,
        Err(e) => {
            tracing::error!(error = %e, "the webhook client could not be built; no webhooks are sent");
            return;
        }
    };
    let lease = chrono::Duration::from_std(settings.lease).unwrap_or(chrono::Duration::seconds(60));
    while !*shutdown.borrow() {
        match services.run_due_changes(lease).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(changes = n, "scheduled status changes carried out"),
            Err(e) => tracing::warn!(error = %e, "carrying out scheduled changes failed"),
        }
        let claimed = match services
            .claim_webhook_deliveries(lease, settings.batch)
            .await
        {
            Ok(claimed) => claimed,
            Err(e) => {
                tracing::warn!(error = %e, "claiming webhook deliveries failed");
                Vec::new()
            }
        };
        let idle = claimed.is_empty();
        futures::future::join_all(
            claimed
                .into_iter()
                .map(|d| deliver(&services, &client, &settings, d)),
        )
        .await;
        if idle {
            tokio::select! {
                _ = tokio::time::sleep(settings.tick) => {}
                _ = shutdown.changed() => {}
            }
        }
    }
}

async fn deliver(
    services: &Services,
    client: &reqwest::Client,
    settings: &WorkerSettings,
    d: ClaimedDelivery,
) {
    let started_at = services.now();
    let clock = std::time::Instant::now();
    let result = send::post(client, settings, services.now(), &d).await;
    let duration_ms = i64::try_from(clock.elapsed().as_millis()).unwrap_or(i64::MAX);
    let outcome = AttemptOutcome {
        started_at,
        duration_ms,
        status_code: result.status.map(i64::from),
        error: result.error,
    };
    match &outcome.error {
        None => {
            tracing::info!(delivery = %d.id, endpoint = %d.endpoint_id, attempt = d.attempts, "webhook delivered")
        }
        Some(e) => {
            tracing::info!(delivery = %d.id, endpoint = %d.endpoint_id, attempt = d.attempts, error = %e, "webhook attempt failed")
        }
    }
    match services
        .settle_webhook_delivery(&d, &outcome, &settings.retry, rand::random::<f64>())
        .await
    {
        Ok(true) => {
            tracing::warn!(endpoint = %d.endpoint_id, "webhook endpoint paused after repeated failures")
        }
        Ok(false) => {}
        // The lease runs out and the delivery is tried again: at least once, never lost.
        Err(e) => {
            tracing::warn!(delivery = %d.id, error = %e, "recording a webhook attempt failed")
        }
    }
}
