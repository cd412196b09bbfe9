//! Transcripts of calls, for `insta` snapshots of a wire format. A transcript keeps each
//! answer's members in the order they were sent (serde_json's `Value` would sort them) and
//! redacts what differs from run to run (ids, times, random codes, the server's port), so that
//! a snapshot changes only when the wire does.

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};
use std::fmt;
use std::net::SocketAddr;

/// JSON as sent: objects keep their members' order.
#[derive(Debug, Clone)]
pub enum Json {
    Null,
    Bool(bool),
    Number(serde_json::Number),
    String(String),
    Array(Vec<Json>),
    Object(Vec<(String, Json)>),
}

impl<'de> Deserialize<'de> for Json {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Json;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("JSON")
            }
            fn visit_unit<E>(self) -> Result<Json, E> {
                Ok(Json::Null)
            }
            fn visit_bool<E>(self, b: bool) -> Result<Json, E> {
                Ok(Json::Bool(b))
            }
            fn visit_i64<E>(self, n: i64) -> Result<Json, E> {
                Ok(Json::Number(n.into()))
            }
            fn visit_u64<E>(self, n: u64) -> Result<Json, E> {
                Ok(Json::Number(n.into()))
            }
            fn visit_f64<E: de::Error>(self, n: f64) -> Result<Json, E> {
                serde_json::Number::from_f64(n)
                    .map(Json::Number)
                    .ok_or_else(|| E::custom("not a JSON number"))
            }
            fn visit_str<E>(self, s: &str) -> Result<Json, E> {
                Ok(Json::String(s.to_owned()))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = seq.next_element()? {
                    items.push(item);
                }
                Ok(Json::Array(items))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json, A::Error> {
                let mut members = Vec::new();
                while let Some(member) = map.next_entry()? {
                    members.push(member);
                }
                Ok(Json::Object(members))
            }
        }
        d.deserialize_any(V)
    }
}

impl Serialize for Json {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Json::Null => s.serialize_unit(),
            Json::Bool(b) => s.serialize_bool(*b),
            Json::Number(n) => n.serialize(s),
            Json::String(t) => s.serialize_str(t),
            Json::Array(items) => {
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            Json::Object(members) => {
                let mut map = s.serialize_map(Some(members.len()))?;
                for (k, v) in members {
                    map.serialize_entry(k, v)?;
                }
                map.end()
            }
        }
    }
}

/// Members whose value is a moment: their digits change from run to run, their shape must not.
const MOMENTS: &[&str] = &[
    "created_at",
    "updated_at",
    "deleted_at",
    "date",
    "created_at_date_string",
    "timestamp",
];
/// Members whose value is generated: an id, a number, a random code.
const GENERATED: &[&str] = &["id", "referral_code", "referrer", "assign_new_plan"];

/// Headers worth keeping in a transcript; the others (date, content-length) say nothing of
/// the wire format.
const HEADERS: &[&str] = &[
    "content-type",
    "retry-after",
    "allow",
    "www-authenticate",
    "x-ratelimit-limit",
    "x-ratelimit-remaining",
    "x-ratelimit-reset",
];
/// Headers whose values change from run to run (time, and the rate window a test falls in).
const VARYING_HEADERS: &[&str] = &["x-ratelimit-remaining", "x-ratelimit-reset"];

/// Credentials a request carries, never written into a transcript.
const SECRET_HEADERS: &[&str] = &["authorization", "x-user-token"];

/// Calls, their requests and answers, as a snapshot shows them.
pub struct Transcript {
    host: String,
    /// Generated values that stand in request paths, with what to write instead.
    aliases: Vec<(String, String)>,
    exchanges: Vec<Json>,
}

impl Transcript {
    /// A transcript of calls to the server at `addr`.
    pub fn new(addr: SocketAddr) -> Self {
        Self {
            host: addr.to_string(),
            aliases: Vec::new(),
            exchanges: Vec::new(),
        }
    }

    /// Writes `alias` for a path segment that is `value` (a generated id).
    pub fn alias(&mut self, value: impl ToString, alias: &str) {
        self.aliases.push((value.to_string(), alias.to_owned()));
    }

    /// Sends `req` and records it with its answer.
    pub async fn send(&mut self, http: &reqwest::Client, req: reqwest::RequestBuilder) {
        let req = req.build().expect("a request");
        let url = req.url();
        let path: Vec<&str> = url
            .path()
            .split('/')
            .map(|segment| {
                self.aliases
                    .iter()
                    .find(|(value, _)| value == segment)
                    .map_or(segment, |(_, alias)| alias.as_str())
            })
            .collect();
        let query = url.query().map(|q| format!("?{q}")).unwrap_or_default();
        let mut request = vec![(
            "call".to_owned(),
            Json::String(format!("{} {}{query}", req.method(), path.join("/"))),
        )];
        let headers: Vec<(String, Json)> = req
            .headers()
            .iter()
            .map(|(name, value)| {
                let value = if SECRET_HEADERS.contains(&name.as_str()) {
                    "[credential]".to_owned()
                } else {
                    value.to_str().unwrap_or("[not text]").to_owned()
                };
                (name.as_str().to_owned(), Json::String(value))
            })
            .collect();
        if !headers.is_empty() {
            request.push(("headers".to_owned(), Json::Object(headers)));
        }
        if let Some(body) = req.body().and_then(|b| b.as_bytes()) {
            request.push(("body".to_owned(), self.body(body)));
        }
        let res = http.execute(req).await.expect("request sent");
        let mut answer = vec![(
            "status".to_owned(),
            Json::Number(res.status().as_u16().into()),
        )];
        let headers: Vec<(String, Json)> = HEADERS
            .iter()
            .filter_map(|name| {
                let value = res.headers().get(*name)?.to_str().ok()?;
                let value = if VARYING_HEADERS.contains(name)
                    || (*name == "retry-after" && res.status() == 429)
                {
                    "[varies]".to_owned()
                } else {
                    value.to_owned()
                };
                Some(((*name).to_owned(), Json::String(value)))
            })
            .collect();
        answer.push(("headers".to_owned(), Json::Object(headers)));
        let bytes = res.bytes().await.expect("a body");
        if !bytes.is_empty() {
            answer.push(("body".to_owned(), self.body(&bytes)));
        }
        self.exchanges.push(Json::Object(vec![
            ("request".to_owned(), Json::Object(request)),
            ("answer".to_owned(), Json::Object(answer)),
        ]));
    }

    fn body(&self, bytes: &[u8]) -> Json {
        if bytes.len() > 4096 {
            return Json::String(format!("[{} bytes]", bytes.len()));
        }
        match serde_json::from_slice::<Json>(bytes) {
            Ok(json) => self.redact(None, json),
            Err(_) => Json::String(self.redact_text(&String::from_utf8_lossy(bytes))),
        }
    }

    fn redact(&self, key: Option<&str>, value: Json) -> Json {
        let is = |keys: &[&str]| key.is_some_and(|k| keys.contains(&k));
        match value {
            Json::String(s) if is(MOMENTS) => Json::String(digits_as_n(&s)),
            Json::String(s) if is(GENERATED) || uuid::Uuid::parse_str(&s).is_ok() => {
                Json::String("[generated]".to_owned())
            }
            Json::String(s) => Json::String(self.redact_text(&s)),
            Json::Number(_) if is(MOMENTS) || is(GENERATED) => {
                Json::String("[generated number]".to_owned())
            }
            Json::Array(items) => Json::Array(
                items
                    .into_iter()
                    .map(|item| self.redact(None, item))
                    .collect(),
            ),
            Json::Object(members) => Json::Object(
                members
                    .into_iter()
                    .map(|(k, v)| {
                        let v = self.redact(Some(&k), v);
                        (k, v)
                    })
                    .collect(),
            ),
            other => other,
        }
    }

    /// Text with this run's host and any uuid in it replaced.
    fn redact_text(&self, text: &str) -> String {
        let text = text.replace(&self.host, "[host]");
        let mut out = String::with_capacity(text.len());
        let mut rest = text.as_str();
        while !rest.is_empty() {
            if rest.len() >= 36
                && rest.is_char_boundary(36)
                && uuid::Uuid::parse_str(&rest[..36]).is_ok()
            {
                out.push_str("[uuid]");
                rest = &rest[36..];
                continue;
            }
            let c = rest.chars().next().unwrap();
            out.push(c);
            rest = &rest[c.len_utf8()..];
        }
        out
    }

    /// The transcript, to snapshot.
    pub fn take(&mut self) -> Json {
        Json::Array(std::mem::take(&mut self.exchanges))
    }
}

/// Every run of digits as `N`: `2021-05-13 18:47:29` reads `N-N-N N:N:N`.
fn digits_as_n(text: &str) -> String {
    let mut out = String::new();
    let mut in_digits = false;
    for c in text.chars() {
        if c.is_ascii_digit() {
            if !in_digits {
                out.push('N');
            }
            in_digits = true;
        } else {
            out.push(c);
            in_digits = false;
        }
    }
    out
}
