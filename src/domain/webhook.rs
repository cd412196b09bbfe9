//! Webhooks: the endpoints a tenant registers, what roster sends them (Standard Webhooks:
//! <https://www.standardwebhooks.com/>), and the rules for where and how often it sends.

use super::event::Event;
use super::FieldError;
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Duration;
use uuid::Uuid;

/// Every audit action roster records, which an endpoint may ask for by name.
pub const EVENT_TYPES: &[&str] = &[
    "activated",
    "banned",
    "created",
    "deactivated",
    "email_added",
    "group_joined",
    "group_left",
    "invite_revoked",
    "invite_sent",
    "logged_out",
    "member_status_created",
    "member_status_set",
    "plan_granted",
    "product_added",
    "product_created",
    "profile_updated",
    "reactivated",
    "reinvited",
    "room_joined",
    "room_left",
    "room_ownership_transferred",
    "room_removed",
    "room_role_changed",
    "status_change_skipped",
    "unbanned",
];

/// The prefix of a signing secret, as the specification writes it.
pub const SECRET_PREFIX: &str = "whsec_";

/// Which events an endpoint wants: all of them, or the named actions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventTypes {
    All,
    Only(Vec<String>),
}

impl EventTypes {
    /// `["*"]` is every event; otherwise each name must be an action roster records.
    pub fn parse(field: &str, names: &[String]) -> Result<Self, FieldError> {
        if names.is_empty() {
            return Err(FieldError::new(
                field,
                "name at least one event type, or \"*\"",
            ));
        }
        if names.iter().any(|n| n == "*") {
            return match names.len() {
                1 => Ok(EventTypes::All),
                _ => Err(FieldError::new(field, "\"*\" stands alone")),
            };
        }
        let mut wanted: Vec<String> = Vec::with_capacity(names.len());
        for name in names {
            if !EVENT_TYPES.contains(&name.as_str()) {
                return Err(FieldError::new(
                    field,
                    format!("{name:?} is not an event type roster records"),
                ));
            }
            if !wanted.contains(name) {
                wanted.push(name.clone());
            }
        }
        Ok(EventTypes::Only(wanted))
    }

    /// The stored form: `' * '` or the names between spaces, which the enqueue trigger matches.
    pub fn stored(&self) -> String {
        match self {
            EventTypes::All => " * ".to_owned(),
            EventTypes::Only(names) => format!(" {} ", names.join(" ")),
        }
    }

    pub fn from_stored(text: &str) -> Self {
        match text.trim() {
            "*" => EventTypes::All,
            names => EventTypes::Only(names.split_whitespace().map(str::to_owned).collect()),
        }
    }

    pub fn names(&self) -> Vec<String> {
        match self {
            EventTypes::All => vec!["*".to_owned()],
            EventTypes::Only(names) => names.clone(),
        }
    }

    pub fn wants(&self, action: &str) -> bool {
        match self {
            EventTypes::All => true,
            EventTypes::Only(names) => names.iter().any(|n| n == action),
        }
    }
}

/// An endpoint as stored (without its secret, which is shown once).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub id: Uuid,
    pub url: String,
    pub event_types: EventTypes,
    pub description: Option<String>,
    pub paused_at: Option<DateTime<Utc>>,
    pub paused_reason: Option<String>,
    pub consecutive_failures: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// One try at sending a delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    pub attempt: i64,
    pub started_at: DateTime<Utc>,
    pub duration_ms: i64,
    pub status_code: Option<i64>,
    pub error: Option<String>,
}

/// One event for one endpoint, and how sending it went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// Also the `webhook-id`: the same on every attempt, so receivers can drop duplicates.
    pub id: Uuid,
    pub endpoint_id: Uuid,
    pub event_id: Uuid,
    pub event_seq: i64,
    pub user_id: Option<Uuid>,
    pub action: String,
    /// `pending`, `sending` or `delivered`.
    pub status: String,
    pub attempts: i64,
    pub next_attempt_at: DateTime<Utc>,
    pub last_status_code: Option<i64>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub tries: Vec<Attempt>,
}

/// Where deliveries may go: a URL a tenant registers.
pub fn parse_url(field: &str, raw: &str, allow_private: bool) -> Result<url::Url, FieldError> {
    let url = url::Url::parse(raw.trim())
        .map_err(|_| FieldError::new(field, "is not an absolute URL"))?;
    match url.scheme() {
        "https" => {}
        "http" if allow_private => {}
        _ => return Err(FieldError::new(field, "must be an https URL")),
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(FieldError::new(field, "must not carry credentials"));
    }
    if url.fragment().is_some() {
        return Err(FieldError::new(field, "must not have a #fragment"));
    }
    let host = url
        .host()
        .ok_or_else(|| FieldError::new(field, "has no host"))?;
    if !allow_private {
        let private = match host {
            url::Host::Ipv4(ip) => !is_public(IpAddr::V4(ip)),
            url::Host::Ipv6(ip) => !is_public(IpAddr::V6(ip)),
            url::Host::Domain(name) => {
                let name = name.trim_end_matches('.').to_ascii_lowercase();
                name == "localhost" || name.ends_with(".localhost") || !name.contains('.')
            }
        };
        if private {
            return Err(FieldError::new(
                field,
                "names a private, loopback or local address",
            ));
        }
    }
    if raw.len() > 2000 {
        return Err(FieldError::new(field, "is longer than 2000 characters"));
    }
    Ok(url)
}

/// Whether an address is on the public internet: not loopback, private, link-local,
/// shared (CGNAT), unspecified, multicast, documentation or reserved.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_public_v4(v4),
            None => is_public_v6(v6),
        },
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    !(ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0
        || (a == 100 && (64..128).contains(&b))
        || (a == 192 && b == 0)
        || (a == 198 && (18..20).contains(&b))
        || a >= 240)
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    !(ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        || (first & 0xfe00) == 0xfc00 // unique local
        || (first & 0xffc0) == 0xfe80 // link local
        || first == 0x2001 && ip.segments()[1] == 0x0db8 // documentation
        || first == 0x0064 && ip.segments()[1] == 0xff9b) // NAT64 of any v4 address
}

/// A new signing secret from `bytes` random bytes: `whsec_` and their base64.
pub fn secret_from(bytes: &[u8]) -> String {
    format!("{SECRET_PREFIX}{}", STANDARD.encode(bytes))
}

/// The `webhook-signature` header: `v1,` and the base64 HMAC-SHA256, keyed with the
/// base64-decoded secret, of `{id}.{timestamp}.{body}`.
pub fn signature(secret: &str, id: &str, timestamp: i64, body: &[u8]) -> Option<String> {
    let key = STANDARD
        .decode(secret.strip_prefix(SECRET_PREFIX).unwrap_or(secret))
        .ok()?;
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).ok()?;
    mac.update(format!("{id}.{timestamp}.").as_bytes());
    mac.update(body);
    Some(format!(
        "v1,{}",
        STANDARD.encode(mac.finalize().into_bytes())
    ))
}

/// What a delivery carries: the Standard Webhooks envelope (`type`, `timestamp`, `data`) around
/// the recorded event, so every field the audit log keeps reaches the receiver.
pub fn payload(tenant: Uuid, event: &Event) -> Value {
    let mut payload = json!({
        "type": event.action,
        "timestamp": event.occurred_at,
        "data": {
            "id": event.id,
            "tenant_id": tenant,
            "action": event.action,
            "user_id": event.user_id,
            "from_status": event.from_status,
            "to_status": event.to_status,
            "actor": event.actor,
            "actor_name": event.actor_name,
            "channel": event.channel,
            "reference_id": event.reference_id,
            "description": event.description,
            "details": event.details,
            "occurred_at": event.occurred_at,
            "recorded_at": event.recorded_at,
            "request_id": event.request_id,
            "seq": event.seq,
        }
    });
    // Only events made through an impersonation session name an impersonator.
    if let Some(impersonator) = &event.impersonator {
        payload["data"]["impersonator"] = json!(impersonator);
    }
    payload
}

/// How deliveries are retried and when an endpoint is paused.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    pub base: Duration,
    pub cap: Duration,
    /// Failed attempts in a row (on any of its deliveries) after which an endpoint is paused.
    pub pause_after: i64,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            base: Duration::from_secs(5),
            cap: Duration::from_secs(3600),
            pause_after: 50,
        }
    }
}

impl RetryPolicy {
    /// The wait after failed attempt number `attempts`: base doubling up to the cap, of which a
    /// random part (`jitter` in 0..1, up to half) is taken off so retries of many deliveries
    /// spread out.
    pub fn backoff(&self, attempts: i64, jitter: f64) -> Duration {
        let doublings = u32::try_from(attempts.saturating_sub(1))
            .unwrap_or(0)
            .min(30);
        let full = self
            .base
            .saturating_mul(1 << doublings.min(20))
            .min(self.cap);
        full.mul_f64(1.0 - jitter.clamp(0.0, 1.0) / 2.0)
    }

    /// Whether the failure that made `consecutive_failures` in a row pauses the endpoint.
    pub fn pauses(&self, consecutive_failures: i64) -> bool {
        consecutive_failures >= self.pause_after
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_specification_example_signs_alike() {
        // From the Standard Webhooks reference tests.
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let id = "msg_p5jXN8AQM9LWM0D4loKWxJek";
        let body = br#"{"test": 2432232314}"#;
        assert_eq!(
            signature(secret, id, 1614265330, body).unwrap(),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
    }

    #[test]
    fn event_types_parse_and_store() {
        let names = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(EventTypes::parse("e", &names(&["*"])), Ok(EventTypes::All));
        assert!(EventTypes::parse("e", &names(&["*", "banned"])).is_err());
        assert!(EventTypes::parse("e", &names(&["bannned"])).is_err());
        assert!(EventTypes::parse("e", &[]).is_err());
        let t = EventTypes::parse("e", &names(&["banned", "unbanned", "banned"])).unwrap();
        assert_eq!(t.stored(), " banned unbanned ");
        assert_eq!(EventTypes::from_stored(&t.stored()), t);
        assert!(t.wants("banned") && !t.wants("created"));
    }

    #[test]
    fn only_public_https_urls_unless_allowed() {
        for bad in [
            "http://example.com/h",
            "https://127.0.0.1/h",
            "https://10.1.2.3/h",
            "https://192.168.0.1/h",
            "https://169.254.169.254/latest",
            "https://[::1]/h",
            "https://[fd00::1]/h",
            "https://[::ffff:127.0.0.1]/h",
            "https://localhost/h",
            "https://intranet/h",
            "https://100.64.0.1/h",
            "ftp://example.com/",
            "https://user:pw@example.com/",
        ] {
            assert!(parse_url("url", bad, false).is_err(), "{bad}");
        }
        assert!(parse_url("url", "https://hooks.example.com/roster", false).is_ok());
        assert!(parse_url("url", "https://93.184.216.34/h", false).is_ok());
        assert!(parse_url("url", "http://127.0.0.1:9000/h", true).is_ok());
    }

    #[test]
    fn backoff_doubles_to_the_cap_with_jitter() {
        let p = RetryPolicy {
            base: Duration::from_secs(2),
            cap: Duration::from_secs(60),
            pause_after: 5,
        };
        let waits: Vec<u64> = (1..=7).map(|a| p.backoff(a, 0.0).as_secs()).collect();
        assert_eq!(waits, [2, 4, 8, 16, 32, 60, 60]);
        assert_eq!(p.backoff(3, 1.0), Duration::from_secs(4));
        assert!(!p.pauses(4) && p.pauses(5));
    }
}
