//! One attempt: a signed POST, no redirects, a timeout, and a bounded read of the answer.

use super::WorkerSettings;
use crate::domain::webhook::{is_public, parse_url, payload, signature};
use crate::store::ClaimedDelivery;
use chrono::{DateTime, Utc};
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use std::sync::Arc;

/// The client every attempt uses. Without `allow_private`, names are resolved by
/// [`PublicOnly`], so a public name that points inside (DNS rebinding) is refused too.
pub fn client(settings: &WorkerSettings) -> reqwest::Result<reqwest::Client> {
    let builder = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(settings.timeout)
        .connect_timeout(settings.timeout.min(std::time::Duration::from_secs(5)))
        .no_proxy()
        .user_agent(concat!("roster-webhooks/", env!("CARGO_PKG_VERSION")));
    if settings.allow_private {
        builder.build()
    } else {
        builder.dns_resolver(Arc::new(PublicOnly)).build()
    }
}

/// Resolves a name and refuses it if any of its addresses is not public.
struct PublicOnly;

impl Resolve for PublicOnly {
    fn resolve(&self, name: Name) -> Resolving {
        Box::pin(async move {
            let addrs: Vec<std::net::SocketAddr> =
                tokio::net::lookup_host((name.as_str(), 0)).await?.collect();
            if addrs.iter().any(|a| !is_public(a.ip())) {
                return Err(format!("{} resolves to a private address", name.as_str()).into());
            }
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

/// What an attempt came to: the answer's status, and an error unless it was a 2xx.
pub struct Sent {
    pub status: Option<u16>,
    pub error: Option<String>,
}

fn failed(error: impl Into<String>) -> Sent {
    Sent {
        status: None,
        error: Some(error.into()),
    }
}

pub async fn post(
    client: &reqwest::Client,
    settings: &WorkerSettings,
    now: DateTime<Utc>,
    d: &ClaimedDelivery,
) -> Sent {
    // Checked again at send time: the setting may have changed since the endpoint was made.
    let url = match parse_url("url", &d.url, settings.allow_private) {
        Ok(url) => url,
        Err(e) => return failed(format!("url {}", e.message)),
    };
    let body = match serde_json::to_vec(&payload(d.tenant_id, &d.event)) {
        Ok(body) => body,
        Err(e) => return failed(format!("the payload could not be written: {e}")),
    };
    let id = d.id.to_string();
    let timestamp = now.timestamp();
    let Some(sig) = signature(&d.secret, &id, timestamp, &body) else {
        return failed("the endpoint's secret is not valid base64");
    };
    let response = client
        .post(url)
        .header("content-type", "application/json")
        .header("webhook-id", &id)
        .header("webhook-timestamp", timestamp.to_string())
        .header("webhook-signature", sig)
        .body(body)
        .send()
        .await;
    let mut response = match response {
        Ok(r) => r,
        Err(e) => return failed(describe(&e)),
    };
    let status = response.status();
    // Read (a bounded part of) the answer so the connection can be reused; never keep it.
    let mut read = 0usize;
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                read += chunk.len();
                if read >= settings.max_response_bytes {
                    break;
                }
            }
            Ok(None) => break,
            Err(e) if status.is_success() => {
                tracing::debug!(error = %e, "reading a webhook answer failed");
                break;
            }
            Err(e) => return failed(describe(&e)),
        }
    }
    Sent {
        status: Some(status.as_u16()),
        error: (!status.is_success()).then(|| {
            if status.is_redirection() {
                format!("HTTP {} (redirects are not followed)", status.as_u16())
            } else {
                format!("HTTP {}", status.as_u16())
            }
        }),
    }
}

/// A transport error in a few words, with its cause (never the body of anything).
fn describe(e: &reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else {
        "failed"
    };
    let mut cause = String::new();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        cause = s.to_string();
        source = s.source();
    }
    if cause.is_empty() {
        kind.to_owned()
    } else {
        format!("{kind}: {cause}")
    }
}
