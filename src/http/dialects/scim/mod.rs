//! SCIM 2.0 (RFC 7643, RFC 7644): identity providers (Okta, Entra ID, ...) provision the
//! tenant's users and groups at `/t/{tenant}/scim/v2`, authenticated with a tenant API key as
//! `Authorization: Bearer`. Users map to roster's users (`userName` = username, the primary
//! email = email, `active` = the lifecycle through the same use cases as every API); filters
//! become one SQL query in the store. Only translation lives here.

mod bulk;
mod error;
mod filter;
mod groups;
mod patch;
mod query;
mod schema;
mod user;

use crate::domain::event::Note;
use crate::domain::query::{UserOrder, UserQuery};
use crate::domain::tenant::ScimDelete;
use crate::http::auth::{bearer, header};
use crate::http::dialects::kit::{self, Body, KeyAuth, KeyCaller, Query};
use crate::http::openapi::{add_common_errors, tag, Common, When};
use crate::http::AppState;
use crate::service::lifecycle::Edit;
use crate::service::user_query::Extensions;
use crate::service::users::{Creation, OnExisting};
use crate::service::{Context, Error, UserView};
use axum::extract::{FromRequestParts, OriginalUri, Path, State};
use axum::http::request::Parts;
use axum::http::{header as h, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::Router;
use error::{Scim, ScimError, ScimType};
use filter::{filter_param, member};
use patch::{apply_patch, operations};
use schema::{ENTERPRISE_USER, LIST, MAX_RESULTS};
use serde::Deserialize;
use serde_json::{json, Value};
use user::{etag, patch_target, resource, Wanted};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

pub const CONTENT_TYPE: &str = "application/scim+json";

fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(service_provider_config))
        .routes(routes!(resource_types))
        .routes(routes!(resource_type))
        .routes(routes!(schemas))
        .routes(routes!(one_schema))
        .routes(routes!(list_users, create_user))
        .routes(routes!(search_users))
        .routes(routes!(search_all))
        .routes(routes!(get_user, replace_user, patch_user, delete_user))
        .merge(groups::routes())
        .routes(routes!(bulk::bulk))
}

pub fn router() -> Router<AppState> {
    kit::serve::<Scim>(routes().split_for_parts().0).layer(middleware::from_fn(scim_content_type))
}

/// Every JSON answer (errors included) is `application/scim+json` (RFC 7644 3.1).
async fn scim_content_type(req: axum::extract::Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    let is_json = res
        .headers()
        .get(h::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if is_json {
        res.headers_mut()
            .insert(h::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
    }
    res
}

impl KeyAuth for Scim {
    fn api_key(parts: &Parts) -> Option<&str> {
        bearer(parts)
    }
}

/// A caller with the tenant's API key, as the kit builds it: its events record the SCIM
/// channel, and its key's scopes decide what it may do.
struct ScimCaller(Context);

impl FromRequestParts<AppState> for ScimCaller {
    type Rejection = ScimError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ScimError> {
        let KeyCaller(caller, _) = KeyCaller::<Scim>::from_request_parts(parts, state).await?;
        Ok(ScimCaller(caller.ctx))
    }
}

/// The URL of this service provider (`.../scim/v2`), as the client reached it.
struct Base(String);

impl<S: Send + Sync> FromRequestParts<S> for Base {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let path = parts
            .extensions
            .get::<OriginalUri>()
            .map_or_else(|| parts.uri.path().to_owned(), |u| u.0.path().to_owned());
        let prefix = path
            .find("/scim/v2")
            .map_or("/scim/v2", |i| &path[..i + "/scim/v2".len()]);
        let host = header(parts, "host").unwrap_or("localhost");
        let scheme = header(parts, "x-forwarded-proto").unwrap_or("http");
        Ok(Base(format!("{scheme}://{host}{prefix}")))
    }
}

/// Users as resources, with their Enterprise User attributes.
fn resources(views: &[UserView], mut ext: Extensions, base: &str) -> Vec<Value> {
    views
        .iter()
        .map(|v| resource(v, base, ext.remove(&v.user.id).as_ref()))
        .collect()
}

/// A user's answer with its resource.
async fn user_answer(
    state: &AppState,
    ctx: &Context,
    status: StatusCode,
    view: &UserView,
    base: &str,
) -> Result<Answer, ScimError> {
    let ext = state
        .services
        .extensions(ctx, &[view.user.id], ENTERPRISE_USER)
        .await?;
    let body = resources(std::slice::from_ref(view), ext, base)
        .pop()
        .expect("one user in, one resource out");
    Ok(Answer::user(status, view, body, base))
}

/// A SCIM answer: a resource (or list) with its status, entity tag and location.
struct Answer {
    status: StatusCode,
    body: Value,
    version: Option<i64>,
    location: Option<String>,
}

impl Answer {
    fn ok(body: Value) -> Self {
        Self {
            status: StatusCode::OK,
            body,
            version: None,
            location: None,
        }
    }

    fn user(status: StatusCode, view: &UserView, body: Value, base: &str) -> Self {
        Self {
            status,
            body,
            version: Some(view.user.version),
            location: (status == StatusCode::CREATED)
                .then(|| format!("{base}/Users/{}", view.user.id)),
        }
    }
}

impl IntoResponse for Answer {
    fn into_response(self) -> Response {
        let mut res = (self.status, axum::Json(self.body)).into_response();
        let headers = res.headers_mut();
        headers.insert(h::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
        if let Some(v) = self
            .version
            .and_then(|v| HeaderValue::from_str(&etag(v)).ok())
        {
            headers.insert(h::ETAG, v);
        }
        if let Some(l) = self.location.and_then(|l| HeaderValue::from_str(&l).ok()) {
            headers.insert(h::LOCATION, l);
        }
        res
    }
}

// Path parameters by name: under `/t/{tenant}` the request carries one more.
#[derive(Deserialize)]
struct IdPath {
    id: String,
}

/// A resource id: a user id that is not a uuid names no user.
fn user_id(raw: &str) -> Result<Uuid, ScimError> {
    Uuid::parse_str(raw)
        .map_err(|_| ScimError::plain(StatusCode::NOT_FOUND, format!("User {raw} not found")))
}

/// The version an `If-Match` requires: None for none (or `*`); a tag that is no version of
/// ours requires one no user has.
fn if_match(parts: &axum::http::HeaderMap) -> Option<i64> {
    let raw = parts.get(h::IF_MATCH)?.to_str().ok()?.trim();
    if raw == "*" {
        return None;
    }
    Some(tag_version(raw).unwrap_or(-1))
}

fn tag_version(tag: &str) -> Option<i64> {
    let tag = tag.trim();
    let tag = tag.strip_prefix("W/").unwrap_or(tag);
    tag.trim_matches('"').parse().ok()
}

// ---------------------------------------------------------------- discovery

#[utoipa::path(get, path = "/scim/v2/ServiceProviderConfig", tag = tag::SCIM,
    operation_id = "scimServiceProviderConfig",
    summary = "What this service provider supports",
    responses((status = 200, description = "The configuration", body = Object, content_type = "application/scim+json")))]
async fn service_provider_config(Base(base): Base) -> Answer {
    Answer::ok(schema::service_provider_config(&base))
}

fn list(resources: Vec<Value>, total: i64, start: u64) -> Value {
    json!({
        "schemas": [LIST],
        "totalResults": total,
        "startIndex": start,
        "itemsPerPage": resources.len(),
        "Resources": resources,
    })
}

#[utoipa::path(get, path = "/scim/v2/ResourceTypes", tag = tag::SCIM,
    operation_id = "scimResourceTypes", summary = "The resource types: User and Group",
    responses((status = 200, description = "A list of resource types", body = Object, content_type = "application/scim+json")))]
async fn resource_types(Base(base): Base) -> Answer {
    let all = schema::resource_types(&base);
    let n = all.len() as i64;
    Answer::ok(list(all, n, 1))
}

#[utoipa::path(get, path = "/scim/v2/ResourceTypes/{id}", tag = tag::SCIM,
    operation_id = "scimResourceType", summary = "One resource type",
    params(("id" = String, Path, description = "User or Group")),
    responses((status = 200, description = "The resource type", body = Object, content_type = "application/scim+json"),
        (status = 404, description = "No such resource type", body = error::ErrorBody, content_type = "application/scim+json")))]
async fn resource_type(Base(base): Base, Path(p): Path<IdPath>) -> Result<Answer, ScimError> {
    one_of(schema::resource_types(&base), &p.id, "ResourceType")
}

#[utoipa::path(get, path = "/scim/v2/Schemas", tag = tag::SCIM,
    operation_id = "scimSchemas", summary = "The schemas, with every supported attribute",
    responses((status = 200, description = "A list of schemas", body = Object, content_type = "application/scim+json")))]
async fn schemas(Base(base): Base) -> Answer {
    let all = schema::schemas(&base);
    let n = all.len() as i64;
    Answer::ok(list(all, n, 1))
}

#[utoipa::path(get, path = "/scim/v2/Schemas/{id}", tag = tag::SCIM,
    operation_id = "scimSchema", summary = "One schema, by its URN",
    params(("id" = String, Path, description = "The schema's URN")),
    responses((status = 200, description = "The schema", body = Object, content_type = "application/scim+json"),
        (status = 404, description = "No such schema", body = error::ErrorBody, content_type = "application/scim+json")))]
async fn one_schema(Base(base): Base, Path(p): Path<IdPath>) -> Result<Answer, ScimError> {
    one_of(schema::schemas(&base), &p.id, "Schema")
}

fn one_of(all: Vec<Value>, id: &str, what: &str) -> Result<Answer, ScimError> {
    all.into_iter()
        .find(|r| r["id"].as_str().is_some_and(|i| i.eq_ignore_ascii_case(id)))
        .map(Answer::ok)
        .ok_or_else(|| ScimError::plain(StatusCode::NOT_FOUND, format!("{what} {id} not found")))
}

// ---------------------------------------------------------------- users

/// The parameters of a list (query string of GET, body of POST /.search).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ListParams {
    filter: Option<String>,
    start_index: Option<Value>,
    count: Option<Value>,
    sort_by: Option<String>,
    sort_order: Option<String>,
    attributes: Option<Value>,
    excluded_attributes: Option<Value>,
}

/// What a list asks for, read.
struct Listing {
    offset: u64,
    start: u64,
    count: u32,
    projection: Projection,
}

fn number(v: &Option<Value>, name: &str) -> Result<Option<i64>, ScimError> {
    match v {
        None | Some(Value::Null) => Some(None),
        Some(Value::Number(n)) => n.as_i64().map(Some),
        Some(Value::String(s)) => s.trim().parse().ok().map(Some),
        Some(_) => None,
    }
    .ok_or_else(|| ScimError::bad(ScimType::InvalidValue, format!("{name} must be an integer")))
}

impl ListParams {
    fn listing(&self) -> Result<Listing, ScimError> {
        // startIndex below 1 is 1, a negative count 0 (RFC 7644 3.4.2.4).
        let start = number(&self.start_index, "startIndex")?.unwrap_or(1).max(1) as u64;
        let count = number(&self.count, "count")?
            .unwrap_or(i64::from(MAX_RESULTS))
            .clamp(0, i64::from(MAX_RESULTS)) as u32;
        Ok(Listing {
            offset: start - 1,
            start,
            count,
            projection: Projection::read(&self.attributes, &self.excluded_attributes)?,
        })
    }
}

/// `attributes` / `excludedAttributes` (RFC 7644 3.9).
#[derive(Debug, Default)]
struct Projection {
    only: Vec<String>,
    except: Vec<String>,
}

fn names(v: &Option<Value>) -> Result<Vec<String>, ScimError> {
    let core = format!("{}:", schema::USER).to_ascii_lowercase();
    let strip = |s: &str| {
        let s = s.trim();
        let lower = s.to_ascii_lowercase();
        lower
            .strip_prefix(&core)
            .map(str::to_owned)
            .unwrap_or(lower)
    };
    Ok(match v {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::String(s)) => s.split(',').map(strip).filter(|s| !s.is_empty()).collect(),
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).map(strip).collect(),
        Some(_) => {
            return Err(ScimError::bad(
                ScimType::InvalidValue,
                "attributes must be a comma-separated list",
            ))
        }
    })
}

impl Projection {
    fn read(only: &Option<Value>, except: &Option<Value>) -> Result<Self, ScimError> {
        Ok(Self {
            only: names(only)?,
            except: names(except)?,
        })
    }

    /// The resource with only the attributes asked for (`id` and `schemas` always).
    fn apply(&self, mut r: Value) -> Value {
        let Some(obj) = r.as_object_mut() else {
            return r;
        };
        let always = |k: &str| matches!(k, "id" | "schemas");
        if !self.only.is_empty() {
            obj.retain(|k, v| {
                let k = k.to_ascii_lowercase();
                if always(&k) || self.only.contains(&k) {
                    return true;
                }
                let subs: Vec<&str> = self
                    .only
                    .iter()
                    .filter_map(|a| a.strip_prefix(&format!("{k}.")))
                    .collect();
                if subs.is_empty() {
                    return false;
                }
                if let Some(o) = v.as_object_mut() {
                    o.retain(|s, _| subs.contains(&s.to_ascii_lowercase().as_str()));
                }
                true
            });
        }
        for a in &self.except {
            match a.split_once('.') {
                None if !always(a) => obj.retain(|k, _| !k.eq_ignore_ascii_case(a)),
                Some((parent, sub)) => {
                    if let Some(Value::Object(o)) = obj
                        .iter_mut()
                        .find(|(k, _)| k.eq_ignore_ascii_case(parent))
                        .map(|(_, v)| v)
                    {
                        o.retain(|k, _| !k.eq_ignore_ascii_case(sub));
                    }
                }
                None => {}
            }
        }
        r
    }
}

/// The users a query finds, but for those their identity provider deleted.
fn visible(q: UserQuery) -> UserQuery {
    q.and(UserQuery::Deprovisioned.not())
}

async fn users_listed(
    state: &AppState,
    ctx: &Context,
    base: &str,
    params: &ListParams,
) -> Result<Answer, ScimError> {
    let listing = params.listing()?;
    let filter = match filter_param(params.filter.as_deref())? {
        None => UserQuery::All,
        Some(f) => query::user_query(&f)?,
    };
    let filter = visible(filter);
    let order: UserOrder = query::order(params.sort_by.as_deref(), params.sort_order.as_deref())?;
    let (page, ext) = state
        .services
        .users_matching(
            ctx,
            &filter,
            order,
            listing.offset,
            listing.count,
            ENTERPRISE_USER,
        )
        .await?;
    let resources = resources(&page.items, ext, base)
        .into_iter()
        .map(|r| listing.projection.apply(r))
        .collect();
    Ok(Answer::ok(list(resources, page.total, listing.start)))
}

#[utoipa::path(get, path = "/scim/v2/Users", tag = tag::SCIM,
    operation_id = "scimListUsers",
    summary = "List users, with a filter, sorting, paging and attribute selection",
    description = "`filter` takes SCIM's whole grammar (eq ne co sw ew gt ge lt le pr, and, or, \
not, parentheses, value paths such as `emails[type eq \"work\"]`) over userName, emails, \
externalId, name.givenName, name.familyName, phoneNumbers, active, id, meta.created and \
meta.lastModified; it runs as one SQL query. userName, emails and names compare ignoring case. \
No match is a 200 with `totalResults: 0`.",
    params(
        ("filter" = Option<String>, Query, description = "A SCIM filter"),
        ("startIndex" = Option<i64>, Query, description = "1-based index of the first result"),
        ("count" = Option<i64>, Query, description = "At most this many results (at most 200)"),
        ("sortBy" = Option<String>, Query, description = "An attribute to sort by"),
        ("sortOrder" = Option<String>, Query, description = "ascending or descending"),
        ("attributes" = Option<String>, Query, description = "Only these attributes"),
        ("excludedAttributes" = Option<String>, Query, description = "Not these attributes"),
    ),
    responses((status = 200, description = "A ListResponse", body = Object, content_type = "application/scim+json"),
        (status = 400, description = "invalidFilter, invalidValue", body = error::ErrorBody, content_type = "application/scim+json")),
    security(("api_key" = [])))]
async fn list_users(
    State(state): State<AppState>,
    ScimCaller(ctx): ScimCaller,
    Base(base): Base,
    Query(params, _): Query<Scim, ListParams>,
) -> Result<Answer, ScimError> {
    users_listed(&state, &ctx, &base, &params).await
}

#[utoipa::path(post, path = "/scim/v2/Users/.search", tag = tag::SCIM,
    operation_id = "scimSearchUsers",
    summary = "List users, the parameters in a SearchRequest body",
    request_body(content = Object, content_type = "application/scim+json"),
    responses((status = 200, description = "A ListResponse", body = Object, content_type = "application/scim+json"),
        (status = 400, description = "invalidFilter, invalidValue", body = error::ErrorBody, content_type = "application/scim+json")),
    security(("api_key" = [])))]
async fn search_users(
    State(state): State<AppState>,
    ScimCaller(ctx): ScimCaller,
    Base(base): Base,
    Body(params, _): Body<Scim, ListParams>,
) -> Result<Answer, ScimError> {
    users_listed(&state, &ctx, &base, &params).await
}

#[utoipa::path(post, path = "/scim/v2/.search", tag = tag::SCIM,
    operation_id = "scimSearch",
    summary = "Search users and groups at once (users first)",
    description = "A filter that names user attributes finds users (one SQL query); groups are \
matched by the same filter.",
    request_body(content = Object, content_type = "application/scim+json"),
    responses((status = 200, description = "A ListResponse", body = Object, content_type = "application/scim+json"),
        (status = 400, description = "invalidFilter, invalidValue", body = error::ErrorBody, content_type = "application/scim+json")),
    security(("api_key" = [])))]
async fn search_all(
    State(state): State<AppState>,
    ScimCaller(ctx): ScimCaller,
    Base(base): Base,
    Body(params, _): Body<Scim, ListParams>,
) -> Result<Answer, ScimError> {
    let listing = params.listing()?;
    let users = match filter_param(params.filter.as_deref())? {
        None => Some(UserQuery::All),
        // A filter on attributes users do not have finds no user.
        Some(f) => query::user_query(&f).ok(),
    };
    let order = query::order(params.sort_by.as_deref(), params.sort_order.as_deref())?;
    let (page, ext) = match users.map(visible) {
        Some(q) => {
            state
                .services
                .users_matching(
                    &ctx,
                    &q,
                    order,
                    listing.offset,
                    listing.count,
                    ENTERPRISE_USER,
                )
                .await?
        }
        None => (
            crate::service::users::NumberedPage {
                items: Vec::new(),
                total: 0,
            },
            Extensions::default(),
        ),
    };
    let groups = groups::matching_groups(&state, &ctx, &base, params.filter.as_deref()).await?;
    let mut resources = resources(&page.items, ext, &base);
    let skip = listing.offset.saturating_sub(page.total as u64) as usize;
    let room = (listing.count as usize).saturating_sub(resources.len());
    let total = page.total + groups.len() as i64;
    resources.extend(groups.into_iter().skip(skip).take(room));
    let resources = resources
        .into_iter()
        .map(|r| listing.projection.apply(r))
        .collect();
    Ok(Answer::ok(list(resources, total, listing.start)))
}

#[utoipa::path(post, path = "/scim/v2/Users", tag = tag::SCIM,
    operation_id = "scimCreateUser",
    summary = "Create a user",
    description = "userName is the username (unique in the tenant, ignoring case); the primary \
email the email (an email-shaped userName without emails is the email too). `active: false` \
creates the user and deactivates them.",
    request_body(content = Object, content_type = "application/scim+json"),
    responses((status = 201, description = "The user, with Location and ETag", body = Object, content_type = "application/scim+json"),
        (status = 400, description = "invalidValue, invalidSyntax", body = error::ErrorBody, content_type = "application/scim+json"),
        (status = 409, description = "uniqueness: the userName, email or externalId is taken", body = error::ErrorBody, content_type = "application/scim+json")),
    security(("api_key" = [])))]
async fn create_user(
    State(state): State<AppState>,
    ScimCaller(ctx): ScimCaller,
    Base(base): Base,
    Body(body, _): Body<Scim, Value>,
) -> Result<Answer, ScimError> {
    let wanted = Wanted::read(&body)?;
    let creation = Creation {
        extension: Some(wanted.extension()).filter(|e| !e.attributes.is_empty()),
        deactivated: wanted.active == Some(false),
        ..Creation::default()
    };
    let view = state
        .services
        .create_user(&ctx, wanted.new_user(), creation, OnExisting::Refuse)
        .await?
        .user;
    user_answer(&state, &ctx, StatusCode::CREATED, &view, &base).await
}

#[utoipa::path(get, path = "/scim/v2/Users/{id}", tag = tag::SCIM,
    operation_id = "scimGetUser",
    summary = "Get a user (deactivated users too; not those deleted through SCIM)",
    params(("id" = String, Path, description = "The user's id"),
        ("attributes" = Option<String>, Query, description = "Only these attributes"),
        ("excludedAttributes" = Option<String>, Query, description = "Not these attributes")),
    responses((status = 200, description = "The user, with ETag", body = Object, content_type = "application/scim+json"),
        (status = 304, description = "If-None-Match names the current version"),
        (status = 404, description = "No such user in this tenant", body = error::ErrorBody, content_type = "application/scim+json")),
    security(("api_key" = [])))]
async fn get_user(
    State(state): State<AppState>,
    ScimCaller(ctx): ScimCaller,
    Base(base): Base,
    Path(p): Path<IdPath>,
    headers: axum::http::HeaderMap,
    Query(params, _): Query<Scim, ListParams>,
) -> Result<Response, ScimError> {
    let view = state
        .services
        .provisioned_user(&ctx, user_id(&p.id)?)
        .await?;
    let current = view.user.version;
    let unchanged = headers
        .get(h::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim() == "*" || v.split(',').any(|t| tag_version(t) == Some(current)));
    let mut answer = user_answer(&state, &ctx, StatusCode::OK, &view, &base).await?;
    if unchanged {
        answer.status = StatusCode::NOT_MODIFIED;
        answer.body = Value::Null;
        let mut res = answer.into_response();
        *res.body_mut() = axum::body::Body::empty();
        res.headers_mut().remove(h::CONTENT_TYPE);
        return Ok(res);
    }
    let projection = Projection::read(&params.attributes, &params.excluded_attributes)?;
    answer.body = projection.apply(answer.body);
    Ok(answer.into_response())
}

/// Makes the user what the client wants: the profile and the lifecycle (`active`) in one use
/// case, through the same deactivation and reactivation rules every API uses.
async fn make_user(
    state: &AppState,
    ctx: &Context,
    id: Uuid,
    wanted: &Wanted,
    expected: Option<i64>,
) -> Result<UserView, Error> {
    let edit = Edit {
        patch: wanted.replacement(),
        expected_version: expected,
        extension: Some(wanted.extension()),
    };
    state
        .services
        .edit_and_set_active(ctx, id, edit, wanted.active, &Note::default())
        .await
}

#[utoipa::path(put, path = "/scim/v2/Users/{id}", tag = tag::SCIM,
    operation_id = "scimReplaceUser",
    summary = "Replace a user (Okta's PUT of the whole user)",
    description = "Attributes absent from the body are cleared (`active` is kept). \
`active` false deactivates (sessions end), true reactivates. `If-Match` makes it conditional.",
    params(("id" = String, Path, description = "The user's id")),
    request_body(content = Object, content_type = "application/scim+json"),
    responses((status = 200, description = "The user", body = Object, content_type = "application/scim+json"),
        (status = 404, description = "No such user", body = error::ErrorBody, content_type = "application/scim+json"),
        (status = 409, description = "uniqueness; or a lifecycle rule refused", body = error::ErrorBody, content_type = "application/scim+json"),
        (status = 412, description = "If-Match is not the current version", body = error::ErrorBody, content_type = "application/scim+json")),
    security(("api_key" = [])))]
async fn replace_user(
    State(state): State<AppState>,
    ScimCaller(ctx): ScimCaller,
    Base(base): Base,
    Path(p): Path<IdPath>,
    headers: axum::http::HeaderMap,
    Body(body, _): Body<Scim, Value>,
) -> Result<Answer, ScimError> {
    let id = user_id(&p.id)?;
    let wanted = Wanted::read(&body)?;
    state.services.provisioned_user(&ctx, id).await?;
    let view = make_user(&state, &ctx, id, &wanted, if_match(&headers)).await?;
    user_answer(&state, &ctx, StatusCode::OK, &view, &base).await
}

#[utoipa::path(patch, path = "/scim/v2/Users/{id}", tag = tag::SCIM,
    operation_id = "scimPatchUser",
    summary = "Change a user with add, replace and remove operations",
    description = "Paths such as `name.familyName` and `emails[type eq \"work\"].value`, or no \
path with an object of attributes; Entra's `Replace` and `\"False\"` are accepted. Answers 200 \
with the user.",
    params(("id" = String, Path, description = "The user's id")),
    request_body(content = Object, content_type = "application/scim+json"),
    responses((status = 200, description = "The user", body = Object, content_type = "application/scim+json"),
        (status = 400, description = "invalidPath, noTarget, mutability, invalidValue", body = error::ErrorBody, content_type = "application/scim+json"),
        (status = 404, description = "No such user", body = error::ErrorBody, content_type = "application/scim+json"),
        (status = 409, description = "uniqueness; or a lifecycle rule refused", body = error::ErrorBody, content_type = "application/scim+json"),
        (status = 412, description = "If-Match is not the current version", body = error::ErrorBody, content_type = "application/scim+json")),
    security(("api_key" = [])))]
async fn patch_user(
    State(state): State<AppState>,
    ScimCaller(ctx): ScimCaller,
    Base(base): Base,
    Path(p): Path<IdPath>,
    headers: axum::http::HeaderMap,
    Body(body, _): Body<Scim, Value>,
) -> Result<Answer, ScimError> {
    let id = user_id(&p.id)?;
    let operations = operations(&body)?;
    let required = if_match(&headers);
    // The operations apply to the user as read; the write requires that version, so a change
    // in between is never lost: it is read again and the operations applied anew.
    for _ in 0..3 {
        let current = state.services.provisioned_user(&ctx, id).await?;
        if let Some(v) = required.filter(|v| *v != current.user.version) {
            return Err(Error::VersionMismatch {
                expected: v,
                current: current.user.version,
            }
            .into());
        }
        let read = user_answer(&state, &ctx, StatusCode::OK, &current, &base).await?;
        let mut r = patch_target(&read.body);
        apply_patch(&mut r, &operations)?;
        if member(&r, "active").is_none_or(Value::is_null) {
            return Err(ScimError::bad(
                ScimType::Mutability,
                "active cannot be removed: a roster user is always active or not \
                 (replace it with false to deactivate)",
            ));
        }
        let wanted = Wanted::read(&r)?;
        match make_user(&state, &ctx, id, &wanted, Some(current.user.version)).await {
            Err(Error::VersionMismatch { .. }) if required.is_none() => continue,
            done => return user_answer(&state, &ctx, StatusCode::OK, &done?, &base).await,
        }
    }
    Err(Error::Conflict.into())
}

#[utoipa::path(delete, path = "/scim/v2/Users/{id}", tag = tag::SCIM,
    operation_id = "scimDeleteUser",
    summary = "Deprovision a user: deactivates (or erases) them, and they leave SCIM",
    description = "What happens is the tenant's `scim_delete` setting (`/v1/settings`). \
`deactivate` (the default): roster deactivates the user through the same deactivation every API \
uses (sessions end, audit event, the last-admin and room rules) and records that the identity \
provider deleted them, in one transaction: SCIM then answers 404 for them, while roster's other \
APIs still show the deactivated user. `erase`: the user is erased (every personal datum goes, \
the audit trail stays scrubbed) and leaves SCIM, in one transaction. (A user deactivated with \
`active: false` stays readable.)",
    params(("id" = String, Path, description = "The user's id")),
    responses((status = 204, description = "Deactivated, or erased"),
        (status = 404, description = "No such user", body = error::ErrorBody, content_type = "application/scim+json"),
        (status = 409, description = "A lifecycle rule refused (the last admin, a room's last owner)", body = error::ErrorBody, content_type = "application/scim+json"),
        (status = 412, description = "If-Match is not the current version", body = error::ErrorBody, content_type = "application/scim+json")),
    security(("api_key" = [])))]
async fn delete_user(
    State(state): State<AppState>,
    ScimCaller(ctx): ScimCaller,
    Path(p): Path<IdPath>,
    headers: axum::http::HeaderMap,
) -> Result<StatusCode, ScimError> {
    let id = user_id(&p.id)?;
    let current = state
        .services
        .provisioned_user(&ctx, id)
        .await?
        .user
        .version;
    if let Some(expected) = if_match(&headers).filter(|v| *v != current) {
        return Err(Error::VersionMismatch { expected, current }.into());
    }
    match state.services.tenant_settings(&ctx).await?.scim_delete {
        ScimDelete::Deactivate => {
            state
                .services
                .deprovision(&ctx, id, &Note::default())
                .await?;
        }
        ScimDelete::Erase => {
            let reason = "deleted by the identity provider (SCIM DELETE)";
            state.services.erase_deprovisioned(&ctx, id, reason).await?;
        }
    }
    Ok(StatusCode::NO_CONTENT)
}

pub fn openapi() -> utoipa::openapi::OpenApi {
    let mut doc = routes().into_openapi();
    add_common_errors(
        &mut doc,
        "ScimError",
        CONTENT_TYPE,
        &[
            Common {
                status: "400",
                description: "invalidSyntax: the body is not a JSON object",
                when: When::Body,
            },
            Common {
                status: "401",
                description:
                    "No API key as `Authorization: Bearer`, or one that is unknown or revoked",
                when: When::Authenticated,
            },
            Common::FORBIDDEN,
            Common::TOO_LARGE,
            Common {
                status: "415",
                description: "The body is not `application/scim+json` or `application/json`",
                when: When::Body,
            },
            Common::UNAVAILABLE,
        ],
    );
    doc
}
