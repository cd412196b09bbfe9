//! The delivery worker. Any number of roster processes may run it against one database: each
//! email is claimed under a lease, so it goes to one worker at a time, and an email whose
//! worker died is taken again when the lease runs out.

use super::{invite, message, password_reset, Failure, MailSettings, Transport};
use crate::service::Services;
use crate::store::ClaimedEmail;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use tokio::sync::watch;

/// Emails claimed per round: one. Emails are sent one after the other, so a claim of several
/// would have to outlast all their sends; behind a slow server its lease ran out while this
/// worker was still sending, another worker took the rest, and both sent them.
const BATCH: u32 = 1;

/// Running totals, logged with every outcome (the delivery metrics).
#[derive(Debug, Default)]
pub struct Totals {
    pub delivered: AtomicU64,
    pub retried: AtomicU64,
    pub failed: AtomicU64,
}

/// Drains the outbox until `shutdown` turns true.
pub async fn run(
    services: Services,
    transport: Transport,
    settings: MailSettings,
    totals: Arc<Totals>,
    mut shutdown: watch::Receiver<bool>,
) {
    let lease =
        chrono::Duration::from_std(settings.lease()).unwrap_or(chrono::Duration::seconds(60));
    while !*shutdown.borrow() {
        let claimed = match services.claim_emails(lease, BATCH).await {
            Ok(claimed) => claimed,
            Err(e) => {
                tracing::warn!(error = %e, "claiming emails failed");
                Vec::new()
            }
        };
        let idle = claimed.is_empty();
        for email in claimed {
            deliver(&services, &transport, &settings, &totals, email).await;
        }
        if idle {
            tokio::select! {
                _ = tokio::time::sleep(settings.poll) => {}
                _ = shutdown.changed() => {}
            }
        }
    }
}

async fn deliver(
    services: &Services,
    transport: &Transport,
    settings: &MailSettings,
    totals: &Totals,
    email: ClaimedEmail,
) {
    let outcome = match build(settings, &email) {
        // Bounded in all, not only per read and write, so the send ends within its lease.
        Ok(message) => {
            match tokio::time::timeout(settings.timeout, transport.send(message)).await {
                Ok(sent) => sent,
                Err(_) => Err(Failure {
                    permanent: false,
                    message: format!("no answer within {:?}", settings.timeout),
                }),
            }
        }
        Err(f) => Err(f),
    };
    let settled = match outcome {
        Ok(()) => {
            let n = totals.delivered.fetch_add(1, Ordering::Relaxed) + 1;
            tracing::info!(email_id = %email.id, kind = %email.kind, attempt = email.attempts, delivered_total = n, "email delivered");
            services.email_sent(email.id).await
        }
        Err(f) if f.permanent || email.attempts >= i64::from(settings.max_attempts) => {
            let n = totals.failed.fetch_add(1, Ordering::Relaxed) + 1;
            tracing::warn!(email_id = %email.id, attempt = email.attempts, error = %f.message, failed_total = n, "email given up");
            services.email_failed(email.id, &f.message).await
        }
        Err(f) => {
            let wait = backoff(settings, email.attempts);
            let n = totals.retried.fetch_add(1, Ordering::Relaxed) + 1;
            tracing::info!(email_id = %email.id, attempt = email.attempts, retry_in_ms = wait.as_millis() as u64, error = %f.message, retried_total = n, "email to retry");
            let at = services.now() + chrono::Duration::from_std(wait).unwrap_or_default();
            services.email_retry(email.id, &f.message, at).await
        }
    };
    if let Err(e) = settled {
        // The lease runs out and the email is tried again: at least once, never lost.
        tracing::warn!(email_id = %email.id, error = %e, "recording an email's outcome failed");
    }
}

/// The wait before attempt `attempts + 1`: base, doubling, capped.
fn backoff(settings: &MailSettings, attempts: i64) -> std::time::Duration {
    let doublings = u32::try_from(attempts.saturating_sub(1))
        .unwrap_or(0)
        .min(20);
    settings
        .retry_base
        .saturating_mul(1 << doublings)
        .min(settings.retry_cap)
}

fn build(settings: &MailSettings, email: &ClaimedEmail) -> Result<lettre::Message, Failure> {
    let body = match (email.kind.as_str(), &email.secret) {
        ("invite", Some(token)) => invite::render(
            &email.tenant_name,
            &invite::accept_link(&settings.public_url, &email.tenant_slug, token),
        ),
        ("password_reset", Some(token)) => password_reset::render(
            &email.tenant_name,
            &password_reset::reset_link(&settings.public_url, &email.tenant_slug, token),
        ),
        (kind, _) => {
            return Err(Failure {
                permanent: true,
                message: format!("nothing to send for a {kind:?} email"),
            })
        }
    };
    message(&settings.from, &email.recipient, &email.message_id, body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let s = MailSettings {
            retry_base: Duration::from_secs(2),
            retry_cap: Duration::from_secs(60),
            ..MailSettings::default()
        };
        let waits: Vec<u64> = (1..=7).map(|a| backoff(&s, a).as_secs()).collect();
        assert_eq!(waits, [2, 4, 8, 16, 32, 60, 60]);
    }
}
