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
    "createdAt",
    "_updatedAt",
    "sessionExpiresAt",
    "token_expires_at",
];
/// Members whose value is generated: an id, a number, a random code, a session token.
const GENERATED: &[&str] = &[
    "id",
    "referral_code",
    "referrer",
    "assign_new_plan",
    "authToken",
    "token",
    "impersonate",
];

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
const SECRET_HEADERS: &[&str] = &["authorization", "x-user-token", "x-auth-token", "api-token"];

/// Calls, their requests and answers, as a snapshot shows them.
pub struct Transcript {
    host: String,
    /// Generated values, with what to write instead.
    aliases: Vec<(String, String)>,
    exchanges: Vec<Exchange>,
}

/// One call as sent and answered, kept raw until the transcript is taken, so that an alias
/// named after the call (for a number the call generated) covers it too.
struct Exchange {
    method: String,
    path: String,
    query: Option<String>,
    headers: Vec<(String, String)>,
    body: Option<Vec<u8>>,
    status: u16,
    /// The answer's headers worth keeping, what varies already masked.
    answer_headers: Vec<(String, String)>,
    answer_body: Vec<u8>,
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

    /// Writes `alias` for `value` (a generated id or number) wherever it stands whole in the
    /// transcript: a path segment, a JSON string or number, a word of a text.
    pub fn alias(&mut self, value: impl ToString, alias: &str) {
        self.aliases.push((value.to_string(), alias.to_owned()));
    }

    /// Sends `req` and records it with its answer.
    pub async fn send(&mut self, http: &reqwest::Client, req: reqwest::RequestBuilder) {
        let req = req.build().expect("a request");
        let url = req.url();
        let (path, query) = (url.path().to_owned(), url.query().map(str::to_owned));
        let headers = req
            .headers()
            .iter()
            .map(|(name, value)| {
                let value = if SECRET_HEADERS.contains(&name.as_str()) {
                    "[credential]"
                } else {
                    value.to_str().unwrap_or("[not text]")
                };
                (name.as_str().to_owned(), value.to_owned())
            })
            .collect();
        let body = req.body().and_then(|b| b.as_bytes()).map(<[u8]>::to_vec);
        let method = req.method().to_string();
        let res = http.execute(req).await.expect("request sent");
        let status = res.status();
        let answer_headers = HEADERS
            .iter()
            .filter_map(|name| {
                let value = res.headers().get(*name)?.to_str().ok()?;
                let value = if VARYING_HEADERS.contains(name)
                    || (*name == "retry-after" && status == 429)
                {
                    "[varies]"
                } else {
                    value
                };
                Some(((*name).to_owned(), value.to_owned()))
            })
            .collect();
        let answer_body = res.bytes().await.expect("a body").to_vec();
        self.exchanges.push(Exchange {
            method,
            path,
            query,
            headers,
            body,
            status: status.as_u16(),
            answer_headers,
            answer_body,
        });
    }

    /// The body of the last answer, as sent (to name what it generated).
    pub fn last_answer(&self) -> serde_json::Value {
        let e = self.exchanges.last().expect("a call was sent");
        serde_json::from_slice(&e.answer_body).expect("a JSON answer")
    }

    /// An exchange as the snapshot shows it.
    fn render(&self, e: &Exchange) -> Json {
        let path: Vec<&str> = e
            .path
            .split('/')
            .map(|segment| {
                self.aliases
                    .iter()
                    .find(|(value, _)| value == segment)
                    .map_or(segment, |(_, alias)| alias.as_str())
            })
            .collect();
        let query = e
            .query
            .as_ref()
            .map(|q| format!("?{}", self.redact_text(q)))
            .unwrap_or_default();
        let mut request = vec![(
            "call".to_owned(),
            Json::String(format!("{} {}{query}", e.method, path.join("/"))),
        )];
        let headers: Vec<(String, Json)> = e
            .headers
            .iter()
            .map(|(name, value)| (name.clone(), Json::String(self.redact_text(value))))
            .collect();
        if !headers.is_empty() {
            request.push(("headers".to_owned(), Json::Object(headers)));
        }
        if let Some(body) = &e.body {
            request.push(("body".to_owned(), self.body(body)));
        }
        let headers = e
            .answer_headers
            .iter()
            .map(|(name, value)| (name.clone(), Json::String(value.clone())))
            .collect();
        let mut answer = vec![
            ("status".to_owned(), Json::Number(e.status.into())),
            ("headers".to_owned(), Json::Object(headers)),
        ];
        if !e.answer_body.is_empty() {
            answer.push(("body".to_owned(), self.body(&e.answer_body)));
        }
        Json::Object(vec![
            ("request".to_owned(), Json::Object(request)),
            ("answer".to_owned(), Json::Object(answer)),
        ])
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
            Json::Number(n) => match self.aliases.iter().find(|(v, _)| *v == n.to_string()) {
                Some((_, alias)) => Json::String(format!("number {alias}")),
                None => Json::Number(n),
            },
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

    /// Text with this run's host, any uuid, any Unix time of this day and every aliased word
    /// in it replaced.
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
            let word = rest
                .find(|c: char| !c.is_alphanumeric() && c != '_')
                .unwrap_or(rest.len());
            if word > 0 {
                out.push_str(&self.redact_word(&rest[..word]));
                rest = &rest[word..];
                continue;
            }
            let c = rest.chars().next().unwrap();
            out.push(c);
            rest = &rest[c.len_utf8()..];
        }
        out
    }

    /// A word as a snapshot shows it: aliased, or a Unix time near now (a `Timestamp`, the
    /// server's clock), which changes from run to run.
    fn redact_word(&self, word: &str) -> String {
        if let Some((_, alias)) = self.aliases.iter().find(|(v, _)| v == word) {
            return alias.clone();
        }
        let now = chrono::Utc::now().timestamp();
        match word.parse::<i64>() {
            Ok(t) if word.len() == 10 && (t - now).abs() < 86_400 => "[unix time]".to_owned(),
            _ => word.to_owned(),
        }
    }

    /// The transcript, to snapshot.
    pub fn take(&mut self) -> Json {
        let exchanges = std::mem::take(&mut self.exchanges);
        Json::Array(exchanges.iter().map(|e| self.render(e)).collect())
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
