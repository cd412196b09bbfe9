//! Email delivery: the transports, the templates, and the worker that drains the outbox.

mod invite;
mod password_reset;
mod worker;

pub use worker::{run, Totals};

use crate::domain::fields::Email;
use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::time::Duration;

/// Delivery settings.
#[derive(Debug, Clone)]
pub struct MailSettings {
    /// Sender of every email.
    pub from: String,
    /// Where the people receiving emails reach roster (accept links).
    pub public_url: String,
    /// How often the worker looks for due emails.
    pub poll: Duration,
    /// How long a claimed email is the claimer's before another worker may take it; never
    /// less than `timeout` and 5 s (see [`MailSettings::lease`]).
    pub lease: Duration,
    /// How long one send may take in all, from connecting to the server's last answer.
    pub timeout: Duration,
    /// The first retry waits this long; each next one twice as long, up to `retry_cap`.
    pub retry_base: Duration,
    pub retry_cap: Duration,
    /// Attempts before an email is given up.
    pub max_attempts: u32,
}

impl Default for MailSettings {
    fn default() -> Self {
        Self {
            from: "roster <no-reply@roster.localhost>".into(),
            public_url: "http://127.0.0.1:8080".into(),
            poll: Duration::from_secs(1),
            lease: Duration::from_secs(60),
            timeout: Duration::from_secs(15),
            retry_base: Duration::from_secs(2),
            retry_cap: Duration::from_secs(600),
            max_attempts: 8,
        }
    }
}

impl MailSettings {
    /// The lease a claim takes: long enough for the send it covers to end (or time out) and
    /// its outcome to be recorded, so no live worker's email is ever taken by another.
    pub fn lease(&self) -> Duration {
        self.lease.max(self.timeout + Duration::from_secs(5))
    }
}

/// How emails leave roster.
#[derive(Clone)]
pub enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    /// Development default: each email is written to the log instead of sent.
    Log,
}

/// Why a send failed, and whether trying again could help.
#[derive(Debug)]
pub struct Failure {
    pub permanent: bool,
    pub message: String,
}

impl Transport {
    /// SMTP from a URL such as `smtp://127.0.0.1:1025`, `smtp://user:pass@host:587?tls=required`
    /// or `smtps://host`; without one, the log.
    pub fn from_url(url: Option<&str>) -> anyhow::Result<Self> {
        match url.filter(|u| !u.is_empty()) {
            None => Ok(Transport::Log),
            Some(url) => Ok(Transport::Smtp(
                AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                    .map_err(|e| anyhow::anyhow!("SMTP_URL: {e}"))?
                    .timeout(Some(Duration::from_secs(15)))
                    .build(),
            )),
        }
    }

    async fn send(&self, message: Message) -> Result<(), Failure> {
        match self {
            Transport::Log => {
                let text = String::from_utf8_lossy(&message.formatted()).into_owned();
                tracing::info!(email = %text, "email (no SMTP_URL set: logged, not sent)");
                Ok(())
            }
            Transport::Smtp(smtp) => {
                // A local part beyond ASCII needs SMTPUTF8 (RFC 6531), which lettre then asks
                // for; a server without it gets no such envelope (lettre's own client error),
                // and the email bounces at once, as RFC 6531 3.2 says, since no retry adds it.
                let needs_utf8 = !message
                    .envelope()
                    .to()
                    .iter()
                    .all(|a| AsRef::<str>::as_ref(a).is_ascii());
                smtp.send(message).await.map(|_| ()).map_err(|e| Failure {
                    permanent: e.is_permanent() || (e.is_client() && needs_utf8),
                    message: e.to_string(),
                })
            }
        }
    }
}

/// An email ready to send.
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

fn message(from: &str, to: &str, message_id: &str, body: Rendered) -> Result<Message, Failure> {
    let permanent = |what: &str, e: &dyn std::fmt::Display| Failure {
        permanent: true,
        message: format!("{what}: {e}"),
    };
    let from: Mailbox = from.parse().map_err(|e| permanent("sender address", &e))?;
    let to =
        Email::parse("recipient", to).map_err(|e| permanent("recipient address", &e.message))?;
    let to: Mailbox = to
        .to_smtp()
        .parse()
        .map_err(|e| permanent("recipient address", &e))?;
    Message::builder()
        .from(from)
        .to(to)
        .subject(body.subject)
        .message_id(Some(message_id.to_owned()))
        .multipart(MultiPart::alternative_plain_html(body.text, body.html))
        .map_err(|e| permanent("building the message", &e))
}
