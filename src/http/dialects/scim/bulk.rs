//! `POST /Bulk` (RFC 7644 3.7): operations run one after another through the same handlers as
//! single requests, each its own transaction; `bulkId:` references are replaced by the ids of
//! the resources created earlier in the request; `failOnErrors` stops after that many errors.

use super::error::{Scim, ScimError, ScimType};
use super::filter::member;
use super::schema::{BULK_RESPONSE, MAX_OPERATIONS};
use super::{groups, Answer, Base, IdPath, ScimCaller};
use crate::http::dialects::kit::{Body, Dialect};
use crate::http::openapi::tag;
use crate::http::AppState;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::marker::PhantomData;

/// What one operation answered.
struct Outcome {
    status: StatusCode,
    location: Option<String>,
    version: Option<String>,
    /// The error, for a failed operation.
    error: Option<Value>,
    /// The id of the resource it created.
    created: Option<String>,
}

impl Outcome {
    fn of(answer: Answer) -> Self {
        Self {
            status: answer.status,
            location: answer
                .body
                .pointer("/meta/location")
                .and_then(Value::as_str)
                .map(str::to_owned),
            version: answer.version.map(super::user::etag),
            error: None,
            created: (answer.status == StatusCode::CREATED)
                .then(|| answer.body["id"].as_str().map(str::to_owned))
                .flatten(),
        }
    }

    fn failed(e: ScimError) -> Self {
        let status = e.status();
        Self {
            status,
            location: None,
            version: None,
            error: serde_json::to_value(Scim::envelope(e)).ok(),
            created: None,
        }
    }
}

/// Replaces every `bulkId:<id>` (a whole string, or the end of a path) by what it names.
fn resolve(v: &mut Value, ids: &HashMap<String, String>) -> Result<(), String> {
    match v {
        Value::String(s) => {
            if let Some(i) = s.find("bulkId:") {
                let name = &s[i + "bulkId:".len()..];
                let id = ids
                    .get(name)
                    .ok_or_else(|| format!("bulkId:{name} names no resource created before it"))?;
                *s = format!("{}{id}", &s[..i]);
            }
        }
        Value::Array(items) => {
            for i in items {
                resolve(i, ids)?;
            }
        }
        Value::Object(o) => {
            for (_, i) in o.iter_mut() {
                resolve(i, ids)?;
            }
        }
        _ => {}
    }
    Ok(())
}

/// Runs one operation through the handler its method and path name.
async fn run(
    state: &AppState,
    ctx: &crate::service::Context,
    base: &str,
    method: &str,
    path: &str,
    data: Value,
    version: Option<&str>,
) -> Result<Answer, ScimError> {
    let mut headers = HeaderMap::new();
    if let Some(v) = version.and_then(|v| HeaderValue::from_str(v).ok()) {
        headers.insert(header::IF_MATCH, v);
    }
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    let (st, caller, b) = (
        State(state.clone()),
        ScimCaller(ctx.clone()),
        Base(base.to_owned()),
    );
    let body = Body(data, PhantomData);
    let id = |id: &str| Path(IdPath { id: id.to_owned() });
    let no_content = |s: StatusCode| Answer {
        status: s,
        body: Value::Null,
        version: None,
        location: None,
    };
    match (method.to_ascii_uppercase().as_str(), segments.as_slice()) {
        ("POST", ["Users"]) => super::create_user(st, caller, b, body).await,
        ("PUT", ["Users", i]) => super::replace_user(st, caller, b, id(i), headers, body).await,
        ("PATCH", ["Users", i]) => super::patch_user(st, caller, b, id(i), headers, body).await,
        ("DELETE", ["Users", i]) => super::delete_user(st, caller, id(i), headers)
            .await
            .map(no_content),
        ("POST", ["Groups"]) => groups::create_group(st, caller, b, body).await,
        ("PUT", ["Groups", i]) => groups::replace_group(st, caller, b, id(i), body).await,
        ("PATCH", ["Groups", i]) => groups::patch_group(st, caller, b, id(i), body).await,
        ("DELETE", ["Groups", i]) => groups::delete_group(st, caller, id(i))
            .await
            .map(no_content),
        _ => Err(ScimError::bad(
            ScimType::InvalidPath,
            format!("{method} {path} is not an operation of Bulk"),
        )),
    }
}

#[utoipa::path(post, path = "/scim/v2/Bulk", tag = tag::SCIM,
    operation_id = "scimBulk",
    summary = "Run many operations: POST, PUT, PATCH, DELETE on Users and Groups",
    description = "Operations run in order, each in its own transaction; `bulkId:<id>` in a path \
or a value names a resource an earlier operation of the request created. `failOnErrors` stops \
after that many errors. At most 100 operations and 64 KiB.",
    request_body(content = Object, content_type = "application/scim+json"),
    responses((status = 200, description = "A BulkResponse: each operation's status", body = Object, content_type = "application/scim+json"),
        (status = 400, description = "invalidSyntax: not a BulkRequest", body = super::error::ErrorBody, content_type = "application/scim+json"),
        (status = 413, description = "More than 100 operations", body = super::error::ErrorBody, content_type = "application/scim+json")),
    security(("api_key" = [])))]
pub(super) async fn bulk(
    State(state): State<AppState>,
    ScimCaller(ctx): ScimCaller,
    Base(base): Base,
    Body(body, _): Body<Scim, Value>,
) -> Result<Answer, ScimError> {
    let Some(Value::Array(operations)) = member(&body, "Operations") else {
        return Err(ScimError::bad(
            ScimType::InvalidSyntax,
            "a BulkRequest has an Operations array",
        ));
    };
    if operations.len() > MAX_OPERATIONS {
        return Err(ScimError::typed(
            StatusCode::PAYLOAD_TOO_LARGE,
            ScimType::TooMany,
            format!("at most {MAX_OPERATIONS} operations per request"),
        ));
    }
    let fail_on_errors = match member(&body, "failOnErrors") {
        None | Some(Value::Null) => None,
        Some(v) => Some(v.as_u64().filter(|n| *n > 0).ok_or_else(|| {
            ScimError::bad(
                ScimType::InvalidValue,
                "failOnErrors must be a positive integer",
            )
        })?),
    };
    let mut ids: HashMap<String, String> = HashMap::new();
    let mut answers = Vec::new();
    let mut errors = 0;
    for op in operations {
        let method = member(op, "method").and_then(Value::as_str).unwrap_or("");
        let bulk_id = member(op, "bulkId").and_then(Value::as_str);
        let version = member(op, "version").and_then(Value::as_str);
        let mut path = member(op, "path").cloned().unwrap_or(Value::Null);
        let mut data = member(op, "data").cloned().unwrap_or_else(|| json!({}));
        let outcome = match (resolve(&mut path, &ids), resolve(&mut data, &ids)) {
            (Err(e), _) | (_, Err(e)) => Outcome::failed(ScimError::typed(
                StatusCode::CONFLICT,
                ScimType::InvalidValue,
                e,
            )),
            _ => match path.as_str() {
                Some(p) => match run(&state, &ctx, &base, method, p, data, version).await {
                    Ok(answer) => Outcome::of(answer),
                    Err(e) => Outcome::failed(e),
                },
                None => Outcome::failed(ScimError::bad(
                    ScimType::InvalidPath,
                    "each operation has a path",
                )),
            },
        };
        if let (Some(b), Some(id)) = (bulk_id, &outcome.created) {
            ids.insert(b.to_owned(), id.clone());
        }
        let mut answer = json!({"method": method, "status": outcome.status.as_u16().to_string()});
        if let Some(b) = bulk_id {
            answer["bulkId"] = json!(b);
        }
        if let Some(l) = outcome.location {
            answer["location"] = json!(l);
        }
        if let Some(v) = outcome.version {
            answer["version"] = json!(v);
        }
        if let Some(e) = outcome.error {
            answer["response"] = e;
            errors += 1;
        }
        answers.push(answer);
        if fail_on_errors.is_some_and(|n| errors >= n) {
            break;
        }
    }
    Ok(Answer::ok(
        json!({"schemas": [BULK_RESPONSE], "Operations": answers}),
    ))
}
