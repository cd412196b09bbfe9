//! SCIM Groups: roster's groups (`id` = the group's number, `displayName` = its name; its key
//! is made from the first displayName). Members change through PATCH without the whole list.

use super::error::{Scim, ScimError, ScimType};
use super::filter::{filter_param, matches, member};
use super::patch::{apply_patch, operations};
use super::schema::GROUP;
use super::{list, Answer, Base, IdPath, ListParams, ScimCaller};
use crate::domain::fields::{DisplayName, ExternalId, GroupKey};
use crate::domain::group::{Group, GroupMember};
use crate::domain::user::Change;
use crate::domain::{FieldError, FieldErrors};
use crate::http::dialects::kit::{Body, Query};
use crate::http::openapi::tag;
use crate::http::AppState;
use crate::service::groups::GroupChange;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde_json::{json, Value};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_groups, create_group))
        .routes(routes!(search_groups))
        .routes(routes!(get_group, replace_group, patch_group, delete_group))
}

fn resource(group: &Group, members: &[GroupMember], base: &str) -> Value {
    let created = group
        .created_at
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let mut r = json!({
        "schemas": [GROUP],
        "id": group.id.to_string(),
        "displayName": group.name,
        "members": members.iter().map(|m| json!({
            "value": m.user_id.to_string(),
            "$ref": format!("{base}/Users/{}", m.user_id),
        })).collect::<Vec<_>>(),
        "meta": {
            "resourceType": "Group",
            "created": created,
            "lastModified": created,
            "location": format!("{base}/Groups/{}", group.id),
        }
    });
    if let Some(x) = &group.external_id {
        r["externalId"] = json!(x);
    }
    r
}

fn group_id(raw: &str) -> Result<i64, ScimError> {
    raw.parse()
        .map_err(|_| ScimError::plain(StatusCode::NOT_FOUND, format!("Group {raw} not found")))
}

/// A group as a client wants it: its name and its members.
struct WantedGroup {
    name: DisplayName,
    external_id: Option<ExternalId>,
    members: Vec<Uuid>,
}

fn read_group(r: &Value) -> Result<WantedGroup, ScimError> {
    let mut errors = FieldErrors::default();
    let name = match member(r, "displayName") {
        Some(Value::String(s)) => errors.take(DisplayName::parse("displayName", s)),
        _ => {
            errors.push(FieldError::new("displayName", "is required"));
            None
        }
    };
    let external_id = match member(r, "externalId") {
        None | Some(Value::Null) => None,
        Some(Value::String(x)) => errors.take(ExternalId::parse("externalId", x)),
        Some(_) => {
            errors.push(FieldError::new("externalId", "must be a string"));
            None
        }
    };
    let mut members = Vec::new();
    match member(r, "members") {
        None | Some(Value::Null) => {}
        Some(Value::Array(items)) => {
            for item in items {
                match member(item, "value")
                    .and_then(Value::as_str)
                    .map(Uuid::parse_str)
                {
                    Some(Ok(id)) => members.push(id),
                    _ => errors.push(FieldError::new(
                        "members",
                        format!("{item} is not a user of this tenant"),
                    )),
                }
            }
        }
        Some(_) => errors.push(FieldError::new("members", "must be an array")),
    }
    match (errors.finish(), name) {
        (Ok(()), Some(name)) => Ok(WantedGroup {
            name,
            external_id,
            members,
        }),
        (Err(crate::domain::DomainError::Invalid(fields)), _) => Err(ScimError::invalid(&fields)),
        (Err(other), _) => Err(other.into()),
        (Ok(()), None) => Err(ScimError::bad(
            ScimType::InvalidValue,
            "displayName: is required",
        )),
    }
}

/// A group key made from a display name: its letters and digits, lowercased, `-` between words.
fn key_for(name: &str) -> GroupKey {
    let mut key = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            key.push(c.to_ascii_lowercase());
        } else if !key.ends_with('-') && !key.is_empty() {
            key.push('-');
        }
    }
    let key = key.trim_end_matches('-');
    let key: String = key.chars().take(64).collect();
    let key = if key.is_empty() {
        format!("group-{}", &Uuid::now_v7().simple().to_string()[..12])
    } else {
        key
    };
    GroupKey::parse("displayName", &key).expect("letters, digits and '-' make a key")
}

/// What a `members` error names in SCIM words.
fn members_error(e: crate::service::Error) -> ScimError {
    match e {
        crate::service::Error::Taken(_) => ScimError::typed(
            StatusCode::CONFLICT,
            ScimType::Uniqueness,
            "a group with this displayName already exists",
        ),
        other => other.into(),
    }
}

#[utoipa::path(get, path = "/scim/v2/Groups", tag = tag::SCIM,
    operation_id = "scimListGroups", summary = "List groups, with a filter and paging",
    params(
        ("filter" = Option<String>, Query, description = "A SCIM filter (displayName, members)"),
        ("startIndex" = Option<i64>, Query, description = "1-based index of the first result"),
        ("count" = Option<i64>, Query, description = "At most this many results"),
        ("attributes" = Option<String>, Query, description = "Only these attributes"),
        ("excludedAttributes" = Option<String>, Query, description = "Not these attributes"),
    ),
    responses((status = 200, description = "A ListResponse", body = Object, content_type = "application/scim+json"),
        (status = 400, description = "invalidFilter", body = super::error::ErrorBody, content_type = "application/scim+json")),
    security(("api_key" = [])))]
async fn list_groups(
    State(state): State<AppState>,
    ScimCaller(ctx): ScimCaller,
    Base(base): Base,
    Query(params, _): Query<Scim, ListParams>,
) -> Result<Answer, ScimError> {
    groups_listed(&state, &ctx, &base, &params).await
}

/// The tenant's groups as resources, those a filter names. Groups are few: they are filtered
/// here, after one read.
pub(super) async fn matching_groups(
    state: &AppState,
    ctx: &crate::service::Context,
    base: &str,
    filter: Option<&str>,
) -> Result<Vec<Value>, ScimError> {
    let filter = filter_param(filter)?;
    let mut all = Vec::new();
    for (group, members) in state.services.groups_with_members(ctx).await? {
        let r = resource(&group, &members, base);
        if filter.as_ref().is_none_or(|f| matches(f, &r)) {
            all.push(r);
        }
    }
    Ok(all)
}

async fn groups_listed(
    state: &AppState,
    ctx: &crate::service::Context,
    base: &str,
    params: &ListParams,
) -> Result<Answer, ScimError> {
    let listing = params.listing()?;
    let all = matching_groups(state, ctx, base, params.filter.as_deref()).await?;
    let total = all.len() as i64;
    let page = all
        .into_iter()
        .skip(listing.offset as usize)
        .take(listing.count as usize)
        .map(|r| listing.projection.apply(r))
        .collect();
    Ok(Answer::ok(list(page, total, listing.start)))
}

#[utoipa::path(post, path = "/scim/v2/Groups/.search", tag = tag::SCIM,
    operation_id = "scimSearchGroups",
    summary = "List groups, the parameters in a SearchRequest body",
    request_body(content = Object, content_type = "application/scim+json"),
    responses((status = 200, description = "A ListResponse", body = Object, content_type = "application/scim+json"),
        (status = 400, description = "invalidFilter", body = super::error::ErrorBody, content_type = "application/scim+json")),
    security(("api_key" = [])))]
async fn search_groups(
    State(state): State<AppState>,
    ScimCaller(ctx): ScimCaller,
    Base(base): Base,
    Body(params, _): Body<Scim, ListParams>,
) -> Result<Answer, ScimError> {
    groups_listed(&state, &ctx, &base, &params).await
}

#[utoipa::path(post, path = "/scim/v2/Groups", tag = tag::SCIM,
    operation_id = "scimCreateGroup", summary = "Create a group, with its members",
    request_body(content = Object, content_type = "application/scim+json"),
    responses((status = 201, description = "The group", body = Object, content_type = "application/scim+json"),
        (status = 400, description = "invalidValue: a member is not a user of the tenant", body = super::error::ErrorBody, content_type = "application/scim+json"),
        (status = 409, description = "uniqueness: a group of this displayName exists", body = super::error::ErrorBody, content_type = "application/scim+json")),
    security(("api_key" = [])))]
pub(super) async fn create_group(
    State(state): State<AppState>,
    ScimCaller(ctx): ScimCaller,
    Base(base): Base,
    Body(body, _): Body<Scim, Value>,
) -> Result<Answer, ScimError> {
    let wanted = read_group(&body)?;
    let key = key_for(wanted.name.as_str());
    let (group, members) = state
        .services
        .create_group_with_members(&ctx, key, wanted.name, wanted.external_id, &wanted.members)
        .await
        .map_err(members_error)?;
    let mut answer = Answer::ok(resource(&group, &members, &base));
    answer.status = StatusCode::CREATED;
    answer.location = Some(format!("{base}/Groups/{}", group.id));
    Ok(answer)
}

#[utoipa::path(get, path = "/scim/v2/Groups/{id}", tag = tag::SCIM,
    operation_id = "scimGetGroup", summary = "Get a group with its members",
    params(("id" = String, Path, description = "The group's id")),
    responses((status = 200, description = "The group", body = Object, content_type = "application/scim+json"),
        (status = 404, description = "No such group in this tenant", body = super::error::ErrorBody, content_type = "application/scim+json")),
    security(("api_key" = [])))]
async fn get_group(
    State(state): State<AppState>,
    ScimCaller(ctx): ScimCaller,
    Base(base): Base,
    Path(p): Path<IdPath>,
    Query(params, _): Query<Scim, ListParams>,
) -> Result<Answer, ScimError> {
    let (group, members) = state.services.group(&ctx, group_id(&p.id)?).await?;
    let projection = params.listing()?.projection;
    Ok(Answer::ok(
        projection.apply(resource(&group, &members, &base)),
    ))
}

#[utoipa::path(put, path = "/scim/v2/Groups/{id}", tag = tag::SCIM,
    operation_id = "scimReplaceGroup", summary = "Replace a group's name and members",
    params(("id" = String, Path, description = "The group's id")),
    request_body(content = Object, content_type = "application/scim+json"),
    responses((status = 200, description = "The group", body = Object, content_type = "application/scim+json"),
        (status = 404, description = "No such group", body = super::error::ErrorBody, content_type = "application/scim+json")),
    security(("api_key" = [])))]
pub(super) async fn replace_group(
    State(state): State<AppState>,
    ScimCaller(ctx): ScimCaller,
    Base(base): Base,
    Path(p): Path<IdPath>,
    Body(body, _): Body<Scim, Value>,
) -> Result<Answer, ScimError> {
    let id = group_id(&p.id)?;
    let wanted = read_group(&body)?;
    let change = GroupChange {
        name: Some(wanted.name),
        external_id: wanted.external_id.map_or(Change::Clear, Change::Set),
        members: Some(wanted.members),
        ..GroupChange::default()
    };
    let (group, members) = state.services.change_group(&ctx, id, change).await?;
    Ok(Answer::ok(resource(&group, &members, &base)))
}

#[utoipa::path(patch, path = "/scim/v2/Groups/{id}", tag = tag::SCIM,
    operation_id = "scimPatchGroup",
    summary = "Rename a group, add or remove members",
    description = "`{\"op\": \"add\", \"path\": \"members\", \"value\": [{\"value\": \"<user id>\"}]}`; \
remove by `members[value eq \"<user id>\"]` or (Entra) by `members` with the values to remove.",
    params(("id" = String, Path, description = "The group's id")),
    request_body(content = Object, content_type = "application/scim+json"),
    responses((status = 200, description = "The group", body = Object, content_type = "application/scim+json"),
        (status = 404, description = "No such group", body = super::error::ErrorBody, content_type = "application/scim+json")),
    security(("api_key" = [])))]
pub(super) async fn patch_group(
    State(state): State<AppState>,
    ScimCaller(ctx): ScimCaller,
    Base(base): Base,
    Path(p): Path<IdPath>,
    Body(body, _): Body<Scim, Value>,
) -> Result<Answer, ScimError> {
    let id = group_id(&p.id)?;
    let operations = operations(&body)?;
    let (group, members) = state.services.group(&ctx, id).await?;
    let mut r = resource(&group, &members, &base);
    apply_patch(&mut r, &operations)?;
    let wanted = read_group(&r)?;
    // The members as changed, relative to those read: concurrent changes of other members
    // are kept.
    let before: Vec<Uuid> = members.iter().map(|m| m.user_id).collect();
    let change = GroupChange {
        name: (wanted.name.as_str() != group.name).then_some(wanted.name),
        external_id: match wanted.external_id {
            Some(x) if group.external_id.as_deref() != Some(x.as_str()) => Change::Set(x),
            Some(_) => Change::Keep,
            None if group.external_id.is_some() => Change::Clear,
            None => Change::Keep,
        },
        add: wanted
            .members
            .iter()
            .filter(|u| !before.contains(u))
            .copied()
            .collect(),
        remove: before
            .iter()
            .filter(|u| !wanted.members.contains(u))
            .copied()
            .collect(),
        members: None,
    };
    let (group, members) = state.services.change_group(&ctx, id, change).await?;
    Ok(Answer::ok(resource(&group, &members, &base)))
}

#[utoipa::path(delete, path = "/scim/v2/Groups/{id}", tag = tag::SCIM,
    operation_id = "scimDeleteGroup", summary = "Delete a group (its members stay)",
    params(("id" = String, Path, description = "The group's id")),
    responses((status = 204, description = "Deleted"),
        (status = 404, description = "No such group", body = super::error::ErrorBody, content_type = "application/scim+json")),
    security(("api_key" = [])))]
pub(super) async fn delete_group(
    State(state): State<AppState>,
    ScimCaller(ctx): ScimCaller,
    Path(p): Path<IdPath>,
) -> Result<StatusCode, ScimError> {
    state.services.delete_group(&ctx, group_id(&p.id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}
