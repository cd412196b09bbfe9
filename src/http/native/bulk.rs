//! Users in bulk: `POST /v1/users/import` (NDJSON in, NDJSON results out, both streamed),
//! `GET /v1/users/export` (NDJSON or CSV, streamed) and `POST /v1/users/{id}/erasure`.

use super::users::user_filter;
use super::wire::{path_uuid, StatusName};
use crate::domain::fields;
use crate::domain::import::{ExportFormat, UserLine};
use crate::domain::permission::Permission;
use crate::domain::{FieldError, FieldErrors};
use crate::http::auth::Caller;
use crate::http::json::{ApiJson, ApiQuery};
use crate::http::openapi::tag;
use crate::http::problem::{ApiResult, FieldBody, Problem, ProblemBody};
use crate::http::AppState;
use crate::service::bulk::{
    ExportOptions, ImportLine, ImportOptions, ImportReport, ImportTally, LineResult,
};
use axum::body::{Body, BodyDataStream};
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use bytes::{Bytes, BytesMut};
use chrono::{DateTime, Utc};
use futures::{Stream, StreamExt};
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;
use utoipa_axum::routes;
use uuid::Uuid;

pub fn router() -> super::Routes {
    super::Routes::new()
        .routes(routes!(import))
        .routes(routes!(export))
        .routes(routes!(erase))
}

const NDJSON: &str = "application/x-ndjson";
/// The longest line an import reads; a longer one is refused (and skipped to its newline).
const MAX_LINE: usize = 64 * 1024;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct ImportQuery {
    /// Report what would happen and change nothing (each chunk is rolled back).
    dry_run: Option<bool>,
    /// Queue an invite email for each user created `invited` (none unless asked).
    send_invites: Option<bool>,
    /// Lines per transaction: 1 to 5000, default 1000.
    chunk_size: Option<usize>,
}

/// One line of an import's answer: a line's result (`line`, `result`, and `id` or `errors`),
/// the running tally after each chunk (`progress`), or, last, the `summary` (or the `error`
/// that stopped the import).
#[derive(Debug, Default, Serialize, utoipa::ToSchema)]
#[schema(example = json!({"line": 2, "result": "refused",
    "errors": [{"field": "email", "message": "must be an email address"}]}))]
struct ImportAnswerLine {
    /// The line's number in the body, from 1.
    #[serde(skip_serializing_if = "Option::is_none")]
    line: Option<u64>,
    /// `created`, `updated`, `unchanged` or `refused`.
    #[serde(skip_serializing_if = "Option::is_none")]
    result: Option<&'static str>,
    /// The user the line created, updated or left unchanged.
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<Uuid>,
    /// Why the line was refused, per field.
    #[serde(skip_serializing_if = "Option::is_none")]
    errors: Option<Vec<FieldBody>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    progress: Option<Tally>,
    #[serde(skip_serializing_if = "Option::is_none")]
    summary: Option<Tally>,
    /// Set on the summary: whether nothing was changed.
    #[serde(skip_serializing_if = "Option::is_none")]
    dry_run: Option<bool>,
    /// Why the import stopped early; the chunks reported before it are committed.
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

/// Counts of lines so far.
#[derive(Debug, Serialize, utoipa::ToSchema)]
struct Tally {
    lines: u64,
    created: u64,
    updated: u64,
    unchanged: u64,
    refused: u64,
    /// Transactions committed (rolled back in a dry run), one per chunk of lines.
    chunks: u64,
}

impl From<ImportTally> for Tally {
    fn from(t: ImportTally) -> Self {
        Self {
            lines: t.lines,
            created: t.created,
            updated: t.updated,
            unchanged: t.unchanged,
            refused: t.refused,
            chunks: t.chunks,
        }
    }
}

impl From<ImportReport> for ImportAnswerLine {
    fn from(r: ImportReport) -> Self {
        match r {
            ImportReport::Chunk(t) => Self {
                progress: Some(t.into()),
                ..Self::default()
            },
            ImportReport::Line(o) => {
                let (result, id, errors) = match o.result {
                    LineResult::Created(id) => ("created", Some(id), None),
                    LineResult::Updated(id) => ("updated", Some(id), None),
                    LineResult::Unchanged(id) => ("unchanged", Some(id), None),
                    LineResult::Refused(e) => (
                        "refused",
                        None,
                        Some(e.into_iter().map(FieldBody::from).collect()),
                    ),
                };
                Self {
                    line: Some(o.line),
                    result: Some(result),
                    id,
                    errors,
                    ..Self::default()
                }
            }
        }
    }
}

fn ndjson_line<T: Serialize>(v: &T) -> Bytes {
    let mut out = serde_json::to_vec(v).unwrap_or_default();
    out.push(b'\n');
    Bytes::from(out)
}

/// The lines of a streamed body, numbered from 1; blank lines are skipped (and counted). At
/// most one line and one read of the body are in memory at a time.
fn ndjson_lines(body: BodyDataStream) -> impl Stream<Item = std::io::Result<ImportLine>> + Send {
    struct Reader {
        body: BodyDataStream,
        buf: BytesMut,
        number: u64,
        /// The current line passed [`MAX_LINE`]: dropped up to its newline.
        too_long: bool,
        ended: bool,
    }
    let reader = Reader {
        body,
        buf: BytesMut::new(),
        number: 0,
        too_long: false,
        ended: false,
    };
    futures::stream::unfold(reader, |mut r| async move {
        loop {
            let newline = r.buf.iter().position(|b| *b == b'\n');
            if newline.is_some() || (r.ended && (!r.buf.is_empty() || r.too_long)) {
                let end = newline.map_or(r.buf.len(), |p| p + 1);
                let raw = r.buf.split_to(end);
                r.number += 1;
                if std::mem::take(&mut r.too_long) {
                    let refused = ImportLine {
                        number: r.number,
                        user: Err(vec![FieldError::new(
                            "line",
                            format!("is longer than {MAX_LINE} bytes"),
                        )]),
                    };
                    return Some((Ok(refused), r));
                }
                let text = raw.strip_suffix(b"\n").unwrap_or(&raw);
                let text = text.strip_suffix(b"\r").unwrap_or(text);
                if text.iter().all(u8::is_ascii_whitespace) {
                    continue;
                }
                return Some((Ok(ImportLine::from_ndjson(r.number, text)), r));
            }
            if r.ended {
                return None;
            }
            if r.buf.len() > MAX_LINE {
                r.buf.clear();
                r.too_long = true;
            }
            match r.body.next().await {
                Some(Ok(bytes)) => r.buf.extend_from_slice(&bytes),
                Some(Err(e)) => {
                    r.ended = true;
                    r.buf.clear();
                    return Some((Err(std::io::Error::other(e.to_string())), r));
                }
                None => r.ended = true,
            }
        }
    })
}

#[utoipa::path(
    post,
    path = "/v1/users/import",
    tag = tag::NATIVE,
    operation_id = "importUsers",
    summary = "Import users in bulk",
    description = "Creates or updates users from an NDJSON body, one user per line, each \
matched by `email`, else by `external_id`. A line sets the members it has (names, phone, \
username, external id, `roles` and `groups` as whole sets, `password_hash` imported as is when \
it is an argon2 or scrypt PHC string or a bcrypt hash) and keeps the others; `status` applies \
to users it creates (an existing user's status only changes through the lifecycle actions). \
Each line's value goes through the same rules as every API. Lines are applied in chunks of \
`chunk_size`, one transaction each; the answer streams, as NDJSON, each line's result \
(`created`, `updated`, `unchanged`, or `refused` with the field and the reason), the tally \
after each chunk, and a final summary. Importing the same file twice reports every line \
`unchanged` the second time. Each created or changed user gets one audit event (`created` or \
`profile_updated`, with `import.line`). No invite email is sent unless `send_invites=true`.",
    params(ImportQuery),
    request_body(content = String, content_type = "application/x-ndjson",
        description = "One JSON object per line: `email`, `external_id`, `username`, `first_name`, \
`last_name`, `phone_number`, `status`, `roles`, `groups`, `password_hash` (the shape the export writes)"),
    responses(
        (status = 200, description = "The results, streamed one JSON object per line",
            body = ImportAnswerLine, content_type = "application/x-ndjson"),
        (status = 400, description = "An unknown query parameter", body = ProblemBody,
            content_type = "application/problem+json"),
    ),
    security(("api_key" = [])),
)]
async fn import(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<ImportQuery>,
    body: Body,
) -> ApiResult<Response> {
    caller.ctx.require_one(&[Permission::CreateUsers])?;
    caller.ctx.require_one(&[Permission::EditProfiles])?;
    let options = ImportOptions {
        dry_run: q.dry_run.unwrap_or(false),
        send_invites: q.send_invites.unwrap_or(false),
        chunk_size: q.chunk_size.unwrap_or(1000),
    };
    let (tx, rx) = mpsc::channel::<ImportReport>(256);
    let lines = ndjson_lines(body.into_data_stream());
    let services = state.services.clone();
    let ctx = caller.ctx;
    let task = tokio::spawn(async move { services.import_users(&ctx, lines, options, tx).await });
    let reports =
        futures::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|r| (r, rx)) })
            .map(|r| Ok::<_, std::io::Error>(ndjson_line(&ImportAnswerLine::from(r))));
    let last = futures::stream::once(async move {
        let end = match task.await {
            Ok(Ok(tally)) => ImportAnswerLine {
                summary: Some(tally.into()),
                dry_run: Some(options.dry_run),
                ..Default::default()
            },
            Ok(Err(e)) => {
                if matches!(e, crate::service::Error::Internal(_)) {
                    tracing::error!(error = ?e, "an import stopped");
                }
                let problem = Problem::from(e);
                ImportAnswerLine {
                    error: Some(problem.detail().to_owned()),
                    ..Default::default()
                }
            }
            Err(e) => {
                tracing::error!(error = %e, "the import task failed");
                ImportAnswerLine {
                    error: Some("the import stopped on an internal error".to_owned()),
                    ..Default::default()
                }
            }
        };
        Ok(ndjson_line(&end))
    });
    Ok((
        [(header::CONTENT_TYPE, NDJSON)],
        Body::from_stream(reports.chain(last)),
    )
        .into_response())
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct ExportQuery {
    /// `ndjson` (default) or `csv`.
    #[param(value_type = Option<String>)]
    format: Option<ExportFormat>,
    /// Only users with this status.
    #[param(value_type = Option<StatusName>)]
    status: Option<String>,
    /// Only the user with this email.
    email: Option<String>,
    /// Only the user with this username.
    username: Option<String>,
    /// Only the user with this external id.
    external_id: Option<String>,
    /// Only members of the group with this key.
    group: Option<String>,
    /// Only users whose name or email contains this text.
    q: Option<String>,
}

#[utoipa::path(
    get,
    path = "/v1/users/export",
    tag = tag::NATIVE,
    operation_id = "exportUsers",
    summary = "Export users",
    description = "Every user of the tenant, or those the list's filters select, oldest first, \
streamed in the shape `POST /v1/users/import` takes (so an export imports into an empty tenant \
unchanged): NDJSON, one user per line, or CSV with a header (`roles` and `groups` separated by \
spaces). Password hashes are never exported through the API. Read a page of 1,000 at a time: \
the export never holds the whole tenant.",
    params(ExportQuery),
    responses(
        (status = 200, description = "The users, streamed: NDJSON, or CSV with `format=csv`",
            content((UserLineBody = "application/x-ndjson"), (String = "text/csv; charset=utf-8"))),
        (status = 400, description = "An unknown parameter or format", body = ProblemBody,
            content_type = "application/problem+json"),
        (status = 422, description = "`status` is not a status name, or `username` breaks the username rule",
            body = ProblemBody, content_type = "application/problem+json"),
    ),
    security(("api_key" = [])),
)]
async fn export(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<ExportQuery>,
) -> ApiResult<Response> {
    caller.ctx.require_one(&[Permission::ViewUsers])?;
    let filter = user_filter(
        q.status.as_deref(),
        q.email.as_deref(),
        q.username.as_deref(),
        q.external_id,
        q.group,
        q.q,
    )?;
    let format = q.format.unwrap_or_default();
    let (tx, rx) = mpsc::channel::<Vec<UserLine>>(2);
    let services = state.services.clone();
    let ctx = caller.ctx;
    let options = ExportOptions {
        filter,
        password_hashes: false,
    };
    let task = tokio::spawn(async move { services.export_users(&ctx, options, tx).await });
    let pages =
        futures::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|p| (p, rx)) })
            .map(move |page| Ok::<_, std::io::Error>(Bytes::from(format.encode(&page))));
    // A failure after the first page can only cut the body short: the client sees a
    // transfer that did not end, never a partial export that looks whole.
    let end = futures::stream::once(async move {
        match task.await {
            Ok(Ok(_)) => Ok(Bytes::new()),
            Ok(Err(e)) => Err(std::io::Error::other(e.to_string())),
            Err(e) => Err(std::io::Error::other(e.to_string())),
        }
    });
    let (content_type, head) = match format {
        ExportFormat::Ndjson => (NDJSON, Bytes::new()),
        ExportFormat::Csv => ("text/csv; charset=utf-8", Bytes::from(format.header())),
    };
    let body = futures::stream::once(async move { Ok(head) })
        .chain(pages)
        .chain(end);
    Ok((
        [(header::CONTENT_TYPE, content_type)],
        Body::from_stream(body),
    )
        .into_response())
}

/// One exported user (the shape an import line takes).
#[derive(utoipa::ToSchema)]
#[schema(as = UserLine, example = json!({"email": "ada@example.com", "external_id": "crm-8812",
    "first_name": "Ada", "last_name": "Lovelace", "status": "active", "roles": ["admin"],
    "groups": ["engineering"]}))]
#[allow(dead_code)]
struct UserLineBody {
    email: Option<String>,
    external_id: Option<String>,
    username: Option<String>,
    first_name: Option<String>,
    last_name: Option<String>,
    phone_number: Option<String>,
    status: Option<StatusName>,
    roles: Option<Vec<String>>,
    groups: Option<Vec<String>>,
    /// Import only: an argon2 or scrypt PHC string, or a bcrypt hash.
    password_hash: Option<String>,
}

/// An erasure's confirmation: the user's id again, and why.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"confirm": "0190f5a0-1b2c-7d3e-8f40-5a6b7c8d9e0f",
    "reason": "erasure request #4411 (GDPR art. 17)"}))]
struct EraseBody {
    /// The id of the user to erase, repeated: the erasure cannot be undone.
    confirm: String,
    /// Why, for the audit log (1 to 1000 characters).
    #[schema(min_length = 1, max_length = 1000)]
    reason: String,
}

/// What an erasure did.
#[derive(Serialize, utoipa::ToSchema)]
struct ErasureBody {
    id: Uuid,
    status: StatusName,
    erased_at: DateTime<Utc>,
    /// Audit events whose personal fields were scrubbed.
    events_scrubbed: usize,
}

#[utoipa::path(
    post,
    path = "/v1/users/{id}/erasure",
    tag = tag::NATIVE,
    operation_id = "eraseUser",
    summary = "Erase a user's personal data",
    description = "Removes every personal datum of the user: email (and secondary emails), \
names, phone, external id, username, password, sessions, invites, outbox emails, group and \
room memberships, plans, extension data and scheduled changes. The user's id stays, `revoked`; \
their audit events stay with every mention of those values replaced by `[erased]`; one \
`erased` event records who asked and why, and is announced to webhooks like any event. The \
email can be used by a new user. Works in any status; refused (409) while the user is the \
tenant's last active admin. One transaction; it cannot be undone.",
    params(("id" = String, Path, description = "The user's id (a UUID)")),
    request_body = EraseBody,
    responses(
        (status = 200, description = "Erased", body = ErasureBody),
        (status = 404, description = "No user of this tenant has this id", body = ProblemBody,
            content_type = "application/problem+json"),
        (status = 409, description = "The user is the tenant's last active admin", body = ProblemBody,
            content_type = "application/problem+json"),
        (status = 422, description = "`confirm` is not the user's id, or `reason` is missing or too long",
            body = ProblemBody, content_type = "application/problem+json"),
    ),
    security(("api_key" = [])),
)]
async fn erase(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<EraseBody>,
) -> ApiResult<(StatusCode, Json<ErasureBody>)> {
    let id = path_uuid(&id, "user")?;
    let mut errors = FieldErrors::new();
    if Uuid::parse_str(body.confirm.trim()).ok() != Some(id) {
        errors.push(FieldError::new(
            "confirm",
            "must be the id of the user to erase: an erasure cannot be undone",
        ));
    }
    let reason = errors.take(fields::note("reason", &body.reason));
    if body.reason.trim().is_empty() {
        errors.push(FieldError::new("reason", "is required"));
    }
    errors.finish()?;
    let reason = reason.unwrap_or_default();
    let erased = state.services.erase_user(&caller.ctx, id, &reason).await?;
    Ok((
        StatusCode::OK,
        Json(ErasureBody {
            id: erased.user_id,
            status: StatusName(crate::domain::Status::Revoked),
            erased_at: erased.erased_at,
            events_scrubbed: erased.events_scrubbed,
        }),
    ))
}
