//! The dialect kit: what every vendor dialect does the same way, written once. A dialect
//! brings only its envelope and its words for roster's errors; the kit reads bodies, query
//! strings and API keys in its name, renders its errors (with `Retry-After` on a 503 and the
//! cause of a 500 handed to the logging middleware), and serves its routes at the root and
//! under the tenant base URL, answering in its envelope everything under its paths that no
//! handler takes (an unknown path, a wrong method, a segment that is not UTF-8).
//!
//! # Plugging a dialect in
//! 1. A marker type, `pub struct Vendor;`, implementing [`Dialect`]: its [`Dialect::Code`]s
//!    (each decides a status), what else an error may carry ([`Dialect::Detail`]), its
//!    envelope, its paths, and the mappings from [`service::Error`], [`BodyError`] and the
//!    tenancy refusals. Its handlers return `Result<_, Failure<Vendor>>`, so `?` converts every
//!    service error; vendor-specific errors are inherent constructors on `Failure<Vendor>`.
//! 2. If its callers present an API key, [`KeyAuth`] says where; [`KeyCaller<Vendor>`] then
//!    authenticates them. Bodies are [`Body<Vendor, T>`] (or [`OptionalBody`]) and query strings
//!    [`Query<Vendor, T>`].
//!    A vendor that judges every member of a body before it answers (naming each bad one, in
//!    its own words) reads them as [`Member`]s, and keeps the members it does not know in a
//!    flattened map, to refuse them by name; [`refuses_unknown_members`] then says so in the
//!    contract.
//! 3. Its `router()` passes its routes (written at the vendor's own paths, documented with
//!    `utoipa_axum`'s `routes!`) through [`serve`], and `dialects::router` merges the result.

use super::TENANT_BASE;
use crate::domain::event::Channel;
use crate::domain::{DomainError, FieldError};
use crate::http::auth::Caller;
use crate::http::json::{parse_json, parse_query, read_body, BodyError};
use crate::http::path::require_decodable;
use crate::http::problem::InternalError;
use crate::http::tenancy::{caller_for_key, Refusal};
use crate::http::AppState;
use crate::service;
use axum::extract::{FromRequest, FromRequestParts, OriginalUri, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;
use std::borrow::Cow;
use std::fmt::Debug;
use std::marker::PhantomData;
use std::sync::Arc;
use utoipa::openapi::schema::{AdditionalProperties, Schema};
use utoipa::openapi::{OpenApi, RefOr};

/// A vendor dialect: its envelope, and its words for what roster can answer.
pub trait Dialect: Sized + Send + Sync + 'static {
    /// The kinds of error the vendor tells apart. Each decides the answer's status.
    type Code: Copy + Debug + Send + Sync;
    /// What else an error can carry to its envelope (a user's status, a rate window); `()` if
    /// nothing.
    type Detail: Debug + Send + Sync;
    /// An error body, as sent.
    type Envelope: Serialize;

    /// The vendor's path prefixes: everything under them, at the root and under the tenant
    /// base URL, answers in this dialect's envelope.
    const PATHS: &'static [&'static str];
    /// The API, as the audit log names it.
    const CHANNEL: Channel;

    fn status(code: Self::Code) -> StatusCode;
    fn envelope(error: Failure<Self>) -> Self::Envelope;
    /// Headers an error adds to its answer, beyond the `Retry-After` of every 503.
    fn headers(_error: &Failure<Self>, _headers: &mut HeaderMap) {}

    /// roster's errors in the vendor's words. `Error::Internal` keeps its cause with
    /// [`Failure::caused_by`], so that it is logged.
    fn service_error(e: service::Error) -> Failure<Self>;
    /// A body or query string that cannot be read (400, 413 or 415 by [`BodyError::status`]).
    fn body_error(e: BodyError) -> Failure<Self>;
    /// No credential, or one that is unknown or revoked.
    fn unauthenticated() -> Failure<Self>;
    /// The tenant base URL, or a tenant in the path, is not the credential's.
    fn unknown_tenant() -> Failure<Self>;
    /// A path under [`Self::PATHS`] that no route serves.
    fn no_route(path: &str) -> Failure<Self>;
    /// A route that does not answer this method.
    fn wrong_method(method: &Method, path: &str) -> Failure<Self>;
    /// A path with a segment that is not UTF-8: it names nothing.
    fn undecodable_path() -> Failure<Self>;
}

/// An error of dialect `D`, as its handlers return it.
#[derive(Debug)]
pub struct Failure<D: Dialect> {
    pub code: D::Code,
    pub message: String,
    /// The request fields at fault, each with what is wrong with it.
    pub fields: Vec<FieldError>,
    pub detail: Option<D::Detail>,
    cause: Option<Arc<anyhow::Error>>,
}

impl<D: Dialect> Failure<D> {
    pub fn new(code: D::Code, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            fields: Vec::new(),
            detail: None,
            cause: None,
        }
    }

    pub fn with_fields(mut self, fields: Vec<FieldError>) -> Self {
        self.fields = fields;
        self
    }

    pub fn with_detail(mut self, detail: D::Detail) -> Self {
        self.detail = Some(detail);
        self
    }

    /// The cause of a 500: logged once, never shown to the client.
    pub fn caused_by(mut self, cause: anyhow::Error) -> Self {
        self.cause = Some(Arc::new(cause));
        self
    }

    pub fn status(&self) -> StatusCode {
        D::status(self.code)
    }

    /// The database cannot be reached, in roster's words (the kit adds `Retry-After`).
    pub fn unavailable(code: D::Code) -> Self {
        Self::new(code, "the database is unreachable; retry shortly")
    }

    /// roster failed, in roster's words: the client reads that it was logged, the log gets
    /// the cause.
    pub fn internal(code: D::Code, cause: anyhow::Error) -> Self {
        Self::new(
            code,
            "roster failed to answer this request; it has been logged",
        )
        .caused_by(cause)
    }

    /// Another write won the race, in roster's words.
    pub fn changed_meanwhile(code: D::Code) -> Self {
        Self::new(code, "the user changed meanwhile; retry")
    }
}

impl<D: Dialect> From<service::Error> for Failure<D> {
    fn from(e: service::Error) -> Self {
        D::service_error(e)
    }
}

impl<D: Dialect> From<DomainError> for Failure<D> {
    fn from(e: DomainError) -> Self {
        D::service_error(e.into())
    }
}

impl<D: Dialect> From<BodyError> for Failure<D> {
    fn from(e: BodyError) -> Self {
        D::body_error(e)
    }
}

impl<D: Dialect> From<Refusal> for Failure<D> {
    fn from(r: Refusal) -> Self {
        match r {
            Refusal::Unauthenticated => D::unauthenticated(),
            Refusal::UnknownTenant => D::unknown_tenant(),
            Refusal::Service(e) => D::service_error(e),
        }
    }
}

impl<D: Dialect> IntoResponse for Failure<D> {
    fn into_response(mut self) -> Response {
        let status = self.status();
        let mut headers = HeaderMap::new();
        D::headers(&self, &mut headers);
        let cause = self.cause.take();
        let mut res = (status, headers, Json(D::envelope(self))).into_response();
        if status == StatusCode::SERVICE_UNAVAILABLE {
            res.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        }
        if let Some(cause) = cause {
            res.extensions_mut().insert(InternalError(cause));
        }
        res
    }
}

/// Where a dialect's callers present the tenant's API key.
pub trait KeyAuth: Dialect {
    fn api_key(parts: &Parts) -> Option<&str>;
}

/// A caller holding a live API key, presented where dialect `D` carries it; the tenant is the
/// key's, and a tenant base URL must name it.
pub struct KeyCaller<D>(pub Caller, pub PhantomData<D>);

impl<D: KeyAuth> FromRequestParts<AppState> for KeyCaller<D> {
    type Rejection = Failure<D>;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Failure<D>> {
        let key = D::api_key(parts).map(str::to_owned);
        let caller = caller_for_key(parts, state, key.as_deref(), D::CHANNEL).await?;
        Ok(KeyCaller(caller, PhantomData))
    }
}

/// A JSON body, read within roster's size limit; every failure answers in `D`'s envelope.
/// The second field only names the dialect.
pub struct Body<D, T>(pub T, pub PhantomData<D>);

/// Like [`Body`], but an empty body reads as `T::default()`.
pub struct OptionalBody<D, T>(pub T, pub PhantomData<D>);

async fn read_json<D: Dialect, T: DeserializeOwned>(
    req: Request,
    empty: Option<fn() -> T>,
) -> Result<T, Failure<D>> {
    let (parts, body) = read_body(req).await?;
    Ok(parse_json(&parts.headers, &body, empty)?)
}

impl<D: Dialect, T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Body<D, T> {
    type Rejection = Failure<D>;

    async fn from_request(req: Request, _: &S) -> Result<Self, Failure<D>> {
        Ok(Body(read_json(req, None).await?, PhantomData))
    }
}

impl<D: Dialect, T: DeserializeOwned + Default, S: Send + Sync> FromRequest<S>
    for OptionalBody<D, T>
{
    type Rejection = Failure<D>;

    async fn from_request(req: Request, _: &S) -> Result<Self, Failure<D>> {
        Ok(OptionalBody(
            read_json(req, Some(T::default)).await?,
            PhantomData,
        ))
    }
}

/// A query string; a parameter that cannot be read answers in `D`'s envelope.
pub struct Query<D, T>(pub T, pub PhantomData<D>);

impl<D: Dialect, T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Query<D, T> {
    type Rejection = Failure<D>;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Failure<D>> {
        Ok(Query(parse_query(parts.uri.query())?, PhantomData))
    }
}

/// A member of a request as sent: absent, or any JSON value (`null` included). The handler
/// judges every member after the whole body is read, so that each bad one is named at once.
#[derive(Debug, Default)]
pub struct Member(pub Option<Value>);

impl<'de> Deserialize<'de> for Member {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Value::deserialize(d).map(|v| Member(Some(v)))
    }
}

/// Marks the `schemas` (by name) as refusing members they do not list. Bodies whose handler
/// keeps their unknown members in a flattened map, to refuse each by name, cannot say it with
/// serde's `deny_unknown_fields` (which stops at the first); their part of the contract does
/// it with this.
pub fn refuses_unknown_members(doc: &mut OpenApi, schemas: &[Cow<'static, str>]) {
    let components = doc.components.get_or_insert_with(Default::default);
    for name in schemas {
        match components.schemas.get_mut(name.as_ref()) {
            Some(RefOr::T(Schema::Object(object))) => {
                object.additional_properties =
                    Some(Box::new(AdditionalProperties::FreeForm(false)));
            }
            _ => panic!("{name} is not an object schema of this contract"),
        }
    }
}

/// Serves a dialect's routes (written at the vendor's paths) at the root and under the tenant
/// base URL. Under the dialect's paths, at both, every request no handler takes answers in its
/// envelope, and so does a path with a segment that is not UTF-8 (the tenant's included),
/// which handlers therefore never meet.
pub fn serve<D: Dialect>(routes: Router<AppState>) -> Router<AppState> {
    let routes = routes
        .route_layer(middleware::from_fn(|req, next| {
            require_decodable(req, next, || D::undecodable_path().into_response())
        }))
        .method_not_allowed_fallback(|method: Method, OriginalUri(uri): OriginalUri| async move {
            D::wrong_method(&method, uri.path())
        });
    let no_route = Router::new()
        .fallback(|OriginalUri(uri): OriginalUri| async move { D::no_route(uri.path()) });
    let mut served = Router::new()
        .merge(routes.clone())
        .nest(TENANT_BASE, routes);
    for base in ["", TENANT_BASE] {
        for path in D::PATHS {
            served = served.nest(&format!("{base}{path}"), no_route.clone());
        }
    }
    served
}
