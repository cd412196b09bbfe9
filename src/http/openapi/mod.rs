//! The contract: one OpenAPI 3.1 document for every API roster serves, generated from the
//! handlers' `#[utoipa::path]` annotations. Each API (native, and each vendor dialect) builds
//! its own part in its own folder; this module joins them, names the security schemes, adds
//! the errors every operation of an API can answer, and serves the result at `/openapi.json`
//! with Swagger UI at `/docs` (its assets are compiled into the binary: no CDN).

pub mod postman;

use super::AppState;
use axum::Router;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, OpenApi, Ref, RefOr, ResponseBuilder};
use utoipa::OpenApi as _;

/// The tags, one per API; every operation carries exactly one.
pub mod tag {
    pub const NATIVE: &str = "native";
    pub const VILLAGE: &str = "Village";
    pub const PUBLICA: &str = "Publica.la";
    pub const ROCKETCHAT: &str = "Rocket.Chat";
    pub const REGPACK: &str = "Regpack";
    pub const SCIM: &str = "SCIM";
}

/// The security schemes' names, as operations cite them in `security(...)`.
pub mod scheme {
    /// `Authorization: Bearer <tenant API key>`: the native API and Village.
    pub const API_KEY: &str = "api_key";
    /// `Authorization: Bearer <ROSTER_OPERATOR_TOKEN>`: tenants and their keys.
    pub const OPERATOR: &str = "operator";
    /// `Authorization: Bearer <session token>`: session introspection.
    pub const SESSION: &str = "session";
    /// `X-User-Token: <tenant API key>`: Publica.la.
    pub const PUBLICA: &str = "publica_token";
    /// `X-User-Id` and `X-Auth-Token` from a Rocket.Chat login.
    pub const RC_USER: &str = "rocketchat_user_id";
    pub const RC_TOKEN: &str = "rocketchat_auth_token";
    /// Regpack's four headers.
    pub const REGPACK_TOKEN: &str = "regpack_api_token";
    pub const REGPACK_ID: &str = "regpack_api_id";
    pub const REGPACK_USER: &str = "regpack_api_user";
    pub const REGPACK_TIMESTAMP: &str = "regpack_timestamp";
}

#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "roster",
        description = "The lifecycle of a platform's users: create or invite, update, suspend, ban, \
deactivate, reactivate, log out. One canonical API (`native`, under `/v1`) and wire-compatible \
dialects of the vendor APIs platforms already call. Every dialect is served at the vendor's own \
paths at the root and, identically, under the tenant base URL `/t/{tenant}` (slug, id or account \
number), so a vendor client only changes its base URL.",
        license(name = "Proprietary"),
    ),
    tags(
        (name = "native", description = "roster's own API: bare JSON resources, `{data, next_cursor}` lists, RFC 9457 problems (`application/problem+json`). Authenticated with a tenant API key as `Authorization: Bearer`; tenants and keys with the operator token."),
        (name = "Village", description = "Village's `user_status` and Patch User. Authenticated with a tenant API key as `Authorization: Bearer`. Errors: `{\"error\": {code, message, fields}}`."),
        (name = "Publica.la", description = "Publica.la's users API: CRUD, deactivate, reactivate, force logout, plans. Authenticated with a tenant API key as `X-User-Token`; Laravel-style errors."),
        (name = "Rocket.Chat", description = "Rocket.Chat's login, logout, me, users.info and users.setActiveStatus. Authenticated with `X-User-Id` and `X-Auth-Token` from a login; `{success: false, error}` errors."),
        (name = "Regpack", description = "Regpack's action-dispatch users endpoint. Authenticated with the `Api-Token`, `Api-Id`, `Api-User` and `Timestamp` headers."),
        (name = "SCIM", description = "SCIM 2.0 (RFC 7643, RFC 7644) for identity providers (Okta, Entra ID): discovery, Users, Groups, filters, ETags, Bulk. Authenticated with a tenant API key as `Authorization: Bearer`; SCIM errors (`application/scim+json`)."),
    ),
)]
struct Root;

/// The whole document.
pub fn spec() -> OpenApi {
    let mut doc = Root::openapi();
    doc.merge(super::native::openapi());
    doc.merge(super::dialects::openapi());
    add_security_schemes(&mut doc);
    doc
}

/// The document (or, with `postman`, the collection) as the text `roster openapi` prints and
/// `docs/` holds.
pub fn text(postman: bool) -> String {
    let spec = spec();
    let text = if postman {
        serde_json::to_string_pretty(&postman::collection(&spec))
    } else {
        serde_json::to_string_pretty(&spec)
    };
    // Both serialize plain maps and strings: they cannot fail.
    text.unwrap_or_default() + "\n"
}

/// `GET /openapi.json` and the interactive docs at `GET /docs`.
pub fn router() -> Router<AppState> {
    utoipa_swagger_ui::SwaggerUi::new("/docs")
        .url("/openapi.json", spec())
        .into()
}

fn add_security_schemes(doc: &mut OpenApi) {
    let bearer = |what: &str| {
        SecurityScheme::Http(
            HttpBuilder::new()
                .scheme(HttpAuthScheme::Bearer)
                .description(Some(what))
                .build(),
        )
    };
    let header = |name: &str, what: &str| {
        SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(name, what)))
    };
    let components = doc.components.get_or_insert_with(Default::default);
    for (name, scheme) in [
        (
            scheme::API_KEY,
            bearer("A tenant API key (`rst_...`), shown once when created."),
        ),
        (
            scheme::OPERATOR,
            bearer("The operator token, `ROSTER_OPERATOR_TOKEN`."),
        ),
        (
            scheme::SESSION,
            bearer("A session token (`rss_...`) from a login."),
        ),
        (scheme::PUBLICA, header("X-User-Token", "A tenant API key.")),
        (
            scheme::RC_USER,
            header("X-User-Id", "The `userId` a Rocket.Chat login answered."),
        ),
        (
            scheme::RC_TOKEN,
            header(
                "X-Auth-Token",
                "The `authToken` a Rocket.Chat login answered.",
            ),
        ),
        (
            scheme::REGPACK_TOKEN,
            header("Api-Token", "A tenant API key."),
        ),
        (
            scheme::REGPACK_ID,
            header("Api-Id", "The organization's (tenant's) account number."),
        ),
        (
            scheme::REGPACK_USER,
            header(
                "Api-User",
                "The email of the admin acting; recorded on every audit event.",
            ),
        ),
        (
            scheme::REGPACK_TIMESTAMP,
            header(
                "Timestamp",
                "The current Unix time in seconds, within 5 minutes of the server clock.",
            ),
        ),
    ] {
        components.add_security_scheme(name, scheme);
    }
}

/// Which operations an error applies to.
#[derive(Clone, Copy)]
pub enum When {
    Always,
    /// Operations that need a credential.
    Authenticated,
    /// Operations that need a credential other than the operator's token.
    KeyHolder,
    /// Operations that take a request body.
    Body,
}

/// An error any operation of an API can answer (a malformed body, a missing credential, the
/// database down...).
pub struct Common {
    pub status: &'static str,
    pub description: &'static str,
    pub when: When,
}

impl Common {
    /// The database is down: every API answers 503 with `Retry-After`.
    pub const UNAVAILABLE: Common = Common {
        status: "503",
        description: "The database is unreachable; retry after `Retry-After` seconds",
        when: When::Always,
    };
    /// An API key whose scopes do not allow the call (domain::permission): every API answers
    /// 403 in its envelope and names what is missing.
    pub const FORBIDDEN: Common = Common {
        status: "403",
        description: "The API key's scopes do not allow this call; the answer names the missing scope and permission",
        when: When::KeyHolder,
    };
    /// Every API reads bodies through `http::json`, with one size limit.
    pub const TOO_LARGE: Common = Common {
        status: "413",
        description: "The body is larger than 64 KiB",
        when: When::Body,
    };
}

/// Adds the `common` errors to every operation of `doc` that does not already document that
/// status, each with the API's own envelope: `schema` is the envelope's component name.
pub fn add_common_errors(doc: &mut OpenApi, schema: &str, content_type: &str, common: &[Common]) {
    for item in doc.paths.paths.values_mut() {
        for op in operations(item) {
            let authenticated = op.security.as_ref().is_some_and(|s| !s.is_empty());
            let operator_only = serde_json::to_value(&op.security)
                .is_ok_and(|s| s.to_string().contains("\"operator\""));
            let has_body = op.request_body.is_some();
            for error in common {
                let applies = match error.when {
                    When::Always => true,
                    When::Authenticated => authenticated,
                    When::KeyHolder => authenticated && !operator_only,
                    When::Body => has_body,
                };
                if !applies {
                    continue;
                }
                op.responses
                    .responses
                    .entry(error.status.to_owned())
                    .or_insert_with(|| {
                        RefOr::T(
                            ResponseBuilder::new()
                                .description(error.description)
                                .content(
                                    content_type,
                                    ContentBuilder::new()
                                        .schema(Some(Ref::from_schema_name(schema)))
                                        .build(),
                                )
                                .build(),
                        )
                    });
            }
        }
    }
}

fn operations(
    item: &mut utoipa::openapi::PathItem,
) -> impl Iterator<Item = &mut utoipa::openapi::path::Operation> {
    [
        item.get.as_mut(),
        item.put.as_mut(),
        item.post.as_mut(),
        item.delete.as_mut(),
        item.options.as_mut(),
        item.head.as_mut(),
        item.patch.as_mut(),
        item.trace.as_mut(),
    ]
    .into_iter()
    .flatten()
}
