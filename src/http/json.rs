//! Reading JSON request bodies and query strings so that every failure names what is wrong.
//! The parsing lives here once; each API wraps the error in its own envelope.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, StatusCode};
use serde::de::DeserializeOwned;

use super::problem::Problem;

/// Which part of the request could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    Body,
    Query,
}

/// Why a body or query could not be read.
#[derive(Debug, Clone)]
pub struct BodyError {
    pub status: StatusCode,
    pub part: Part,
    /// The JSON path of the offending field, when there is one.
    pub field: Option<String>,
    pub message: String,
}

impl BodyError {
    fn new(status: StatusCode, field: Option<String>, message: impl Into<String>) -> Self {
        Self {
            status,
            part: Part::Body,
            field,
            message: message.into(),
        }
    }
}

/// The largest body any endpoint accepts.
pub const BODY_LIMIT: usize = 64 * 1024;

fn is_json(headers: &HeaderMap) -> bool {
    let Some(ct) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let mime = ct
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    mime == "application/json" || (mime.starts_with("application/") && mime.ends_with("+json"))
}

/// Parses a JSON body into `T`. `empty` is what an empty body means, if it is allowed.
pub fn parse_json<T: DeserializeOwned>(
    headers: &HeaderMap,
    body: &[u8],
    empty: Option<fn() -> T>,
) -> Result<T, BodyError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return match empty {
            Some(default) => Ok(default()),
            None => Err(BodyError::new(
                StatusCode::BAD_REQUEST,
                None,
                "the request body is empty; a JSON object is expected",
            )),
        };
    }
    if !is_json(headers) {
        return Err(BodyError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            None,
            "the body must be JSON, sent with Content-Type: application/json",
        ));
    }
    // serde reads a JSON array as a struct's fields in order; roster's bodies are objects.
    if body.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err(BodyError::new(
            StatusCode::BAD_REQUEST,
            None,
            "the body must be a JSON object",
        ));
    }
    let mut de = serde_json::Deserializer::from_slice(body);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let broken = inner.is_syntax() || inner.is_eof();
        let field = (path != "." && !broken).then_some(path);
        let message = if broken {
            format!("the body is not valid JSON: {inner}")
        } else {
            // serde's message without its "at line 1 column 7" suffix, which means little to
            // a client that has the field name.
            let text = inner.to_string();
            match text.rfind(" at line ") {
                Some(i) => text[..i].to_owned(),
                None => text,
            }
        };
        BodyError::new(StatusCode::BAD_REQUEST, field, message)
    })?;
    // One value and nothing else: a body with more after it is not the request it looks like.
    de.end().map_err(|e| {
        BodyError::new(
            StatusCode::BAD_REQUEST,
            None,
            format!("the body is not valid JSON: {e}; only whitespace may follow the JSON value"),
        )
    })?;
    Ok(value)
}

/// Reads a request's body within [`BODY_LIMIT`].
pub async fn read_body(req: Request) -> Result<(Parts, Bytes), BodyError> {
    let (parts, body) = req.into_parts();
    match axum::body::to_bytes(body, BODY_LIMIT).await {
        Ok(bytes) => Ok((parts, bytes)),
        Err(_) => Err(BodyError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            None,
            format!("the body is larger than {BODY_LIMIT} bytes"),
        )),
    }
}

/// Parses a query string into `T`.
pub fn parse_query<T: DeserializeOwned>(query: Option<&str>) -> Result<T, BodyError> {
    let pairs = form_urlencoded::parse(query.unwrap_or("").as_bytes());
    serde_path_to_error::deserialize(serde_urlencoded::Deserializer::new(pairs)).map_err(|e| {
        let path = e.path().to_string();
        let field = (path != ".").then_some(path);
        BodyError {
            part: Part::Query,
            ..BodyError::new(
                StatusCode::BAD_REQUEST,
                field,
                format!("invalid query parameter: {}", e.inner()),
            )
        }
    })
}

impl From<BodyError> for Problem {
    fn from(e: BodyError) -> Self {
        let title = match e.status {
            StatusCode::PAYLOAD_TOO_LARGE => "Body too large",
            StatusCode::UNSUPPORTED_MEDIA_TYPE => "Unsupported media type",
            _ => "Malformed request",
        };
        let code = match e.status {
            StatusCode::PAYLOAD_TOO_LARGE => "too-large",
            StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported-media-type",
            _ => "malformed",
        };
        let detail = match &e.field {
            Some(f) => format!("{f}: {}", e.message),
            None => e.message.clone(),
        };
        let p = Problem::new(e.status, code, title, detail);
        match e.field {
            Some(f) => p.with_field(f, e.message),
            None => p,
        }
    }
}

/// A JSON body for the native API; failures answer as problems.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = Problem;

    async fn from_request(req: Request, _: &S) -> Result<Self, Problem> {
        let (parts, body) = read_body(req).await?;
        Ok(ApiJson(parse_json(&parts.headers, &body, None)?))
    }
}

/// A JSON body that may be absent (an empty body reads as `T::default()`).
pub struct OptionalJson<T>(pub T);

impl<T: DeserializeOwned + Default, S: Send + Sync> FromRequest<S> for OptionalJson<T> {
    type Rejection = Problem;

    async fn from_request(req: Request, _: &S) -> Result<Self, Problem> {
        let (parts, body) = read_body(req).await?;
        Ok(OptionalJson(parse_json(
            &parts.headers,
            &body,
            Some(T::default),
        )?))
    }
}

/// A query string for the native API; unknown or mistyped parameters answer as problems.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Problem> {
        Ok(ApiQuery(parse_query(parts.uri.query())?))
    }
}

/// Deserializes a field that distinguishes absent (None) from null (Some(None)), as a JSON
/// merge patch needs. Use with `#[serde(default, deserialize_with = "nullable")]`.
pub fn nullable<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    serde::Deserialize::deserialize(d).map(Some)
}
