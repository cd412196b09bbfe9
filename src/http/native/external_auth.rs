//! External sign-in (Publica.la's `external-auth-token`): the tenant's signing key, and the
//! sign-in with a token the tenant's platform signed.

use super::wire::UserBody;
use crate::domain::event::Channel;
use crate::domain::external_token::{ExternalAuthKey, SigningAlgorithm};
use crate::http::auth::{header, request_id, Caller};
use crate::http::json::{ApiJson, ApiQuery};
use crate::http::openapi::tag;
use crate::http::problem::{ApiResult, Problem, ProblemBody};
use crate::http::tenancy::path_tenant;
use crate::http::AppState;
use crate::service::external_auth::ExternalSignIn;
use crate::service::Context;
use axum::extract::State;
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa_axum::routes;

pub fn router() -> super::Routes {
    super::Routes::new()
        .routes(routes!(put_key, get_key, delete_key))
        .routes(routes!(sign_in))
        .routes(routes!(auth_token_get, auth_token_post))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = ExternalAuthKeyRequest, example = json!({
    "algorithm": "HS256",
    "key": "a-shared-secret-of-at-least-32-bytes!!",
    "audience": "roster",
    "issuer": "platform-name",
    "create_users": true
}))]
struct PutKey {
    /// `HS256` (a shared secret), `RS256` or `ES256` (a public key in PEM). Tokens are checked
    /// with this algorithm only, whatever their header says.
    algorithm: String,
    /// The HS256 secret (at least 32 bytes), or the RS256/ES256 public key in PEM.
    key: String,
    /// The `aud` every token must carry.
    audience: String,
    /// The `iss` every token must carry; absent: any.
    #[serde(default)]
    issuer: Option<String>,
    /// Whether a token naming an unknown `user.uuid` creates that user (default false).
    #[serde(default)]
    create_users: bool,
}

/// The tenant's external sign-in key. An HS256 secret is never shown back.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = ExternalAuthKey, example = json!({
    "algorithm": "RS256",
    "public_key": "-----BEGIN PUBLIC KEY-----\n...\n-----END PUBLIC KEY-----\n",
    "audience": "roster",
    "issuer": null,
    "create_users": true
}))]
struct KeyBody {
    algorithm: &'static str,
    /// The public key (RS256, ES256); null for an HS256 secret.
    public_key: Option<String>,
    audience: String,
    issuer: Option<String>,
    create_users: bool,
}

impl From<ExternalAuthKey> for KeyBody {
    fn from(k: ExternalAuthKey) -> Self {
        Self {
            algorithm: k.algorithm.as_str(),
            public_key: (k.algorithm != SigningAlgorithm::Hs256).then_some(k.key),
            audience: k.audience,
            issuer: k.issuer,
            create_users: k.create_users,
        }
    }
}

#[utoipa::path(
    put,
    path = "/v1/external-auth/key",
    tag = tag::NATIVE,
    operation_id = "putExternalAuthKey",
    summary = "Register the external sign-in key",
    description = "Registers (or replaces) the key the tenant's platform signs external sign-in \
tokens with. Needs `manage-api-keys`. Audited as `external_auth_key_set` (without the key).",
    request_body = PutKey,
    responses(
        (status = 200, description = "Registered", body = KeyBody),
        (status = 422, description = "An unknown algorithm, a secret shorter than 32 bytes, a key \
that is not a PEM public key of that algorithm, or an empty audience",
            body = ProblemBody, content_type = "application/problem+json"),
    ),
    security(("api_key" = [])),
)]
async fn put_key(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<PutKey>,
) -> ApiResult<Json<KeyBody>> {
    let key = ExternalAuthKey {
        algorithm: SigningAlgorithm::parse("algorithm", &body.algorithm)
            .map_err(|e| Problem::invalid(vec![e]))?,
        key: body.key,
        audience: body.audience.trim().to_owned(),
        issuer: body.issuer.filter(|i| !i.trim().is_empty()),
        create_users: body.create_users,
    };
    state
        .services
        .set_external_auth_key(&caller.ctx, key.clone())
        .await?;
    Ok(Json(key.into()))
}

#[utoipa::path(
    get,
    path = "/v1/external-auth/key",
    tag = tag::NATIVE,
    operation_id = "getExternalAuthKey",
    summary = "The external sign-in key",
    description = "The registered key (an HS256 secret is not shown). Needs `manage-api-keys`.",
    responses(
        (status = 200, description = "The key", body = KeyBody),
        (status = 404, description = "No key is registered", body = ProblemBody,
            content_type = "application/problem+json"),
    ),
    security(("api_key" = [])),
)]
async fn get_key(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<KeyBody>> {
    Ok(Json(
        state.services.external_auth_key(&caller.ctx).await?.into(),
    ))
}

#[utoipa::path(
    delete,
    path = "/v1/external-auth/key",
    tag = tag::NATIVE,
    operation_id = "deleteExternalAuthKey",
    summary = "Remove the external sign-in key",
    description = "No token signs anyone in afterwards. Needs `manage-api-keys`.",
    responses(
        (status = 204, description = "Removed"),
        (status = 404, description = "No key is registered", body = ProblemBody,
            content_type = "application/problem+json"),
    ),
    security(("api_key" = [])),
)]
async fn delete_key(State(state): State<AppState>, caller: Caller) -> ApiResult<StatusCode> {
    state.services.delete_external_auth_key(&caller.ctx).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = ExternalSignInRequest, example = json!({"token": "eyJhbGciOiJIUzI1NiJ9..."}))]
struct SignInBody {
    /// The JWT the platform signed.
    token: String,
}

/// A session opened by an external token: its token is shown only here.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = ExternalSignIn, example = json!({
    "token": "rss_8Jq2vX0cLk4mWn7pR1tY5uZ3aB6dE9fGh2Kq5Ws8Zx1",
    "expires_at": "2026-12-31T00:00:00Z",
    "created": false,
    "user": super::wire::user_example()
}))]
struct SignedIn {
    token: String,
    expires_at: DateTime<Utc>,
    /// Whether the token's user was created by this sign-in.
    created: bool,
    user: UserBody,
}

const SIGN_IN: &str = "Signs in the user a JWT signed by the tenant's platform names \
(Publica.la's `external-auth-token`), and opens a session. The token must be signed with the \
algorithm of the tenant's registered key (`PUT /v1/external-auth/key`; never `none`, never the \
one the token's header names), carry `exp` (at most an hour ahead; 30 s of leeway, as for \
`nbf`), the registered `aud` (and `iss`, if registered), a `jti` never seen before (each token \
signs in once), and `user`: `{uuid, email, name}`, `uuid` being the user's id in the platform, \
roster's `external_id` (so a force logout by external id means this UUID). An unknown `uuid` \
creates the user (`active`, with `email`, and `name` split into first and last) if the key \
allows it. No API key: the token is the credential.";

async fn sign_in_with(
    state: &AppState,
    parts: &mut Parts,
    token: Option<String>,
) -> ApiResult<(StatusCode, Json<SignedIn>)> {
    let tenant = path_tenant(parts, state).await?;
    let token = token
        .filter(|t| !t.trim().is_empty())
        .ok_or_else(|| Problem::unauthorized("send the external sign-in token"))?;
    let ExternalSignIn { login, created } = state
        .services
        .sign_in_external(tenant, token.trim(), Channel::Native, request_id(parts))
        .await?
        .map_err(|refused| Problem::unauthorized(refused.0))?;
    let user = state
        .services
        .user(
            &Context::operator(tenant).signed_in(login.user.id),
            login.user.id,
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(SignedIn {
            token: login.token,
            expires_at: login.session.expires_at,
            created,
            user: user.into(),
        }),
    ))
}

#[utoipa::path(
    post,
    path = "/t/{tenant}/v1/sessions/external",
    tag = tag::NATIVE,
    operation_id = "signInExternal",
    summary = "Sign in with an external token",
    description = SIGN_IN,
    params(("tenant" = String, Path, description = "The tenant's slug, id or account number")),
    request_body = SignInBody,
    responses(
        (status = 201, description = "Signed in", body = SignedIn),
        (status = 401, description = "The token was refused; `detail` says why", body = ProblemBody,
            content_type = "application/problem+json"),
        (status = 404, description = "No such tenant", body = ProblemBody,
            content_type = "application/problem+json"),
    ),
)]
async fn sign_in(
    State(state): State<AppState>,
    mut parts: Parts,
    ApiJson(body): ApiJson<SignInBody>,
) -> ApiResult<(StatusCode, Json<SignedIn>)> {
    sign_in_with(&state, &mut parts, Some(body.token)).await
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct TokenQuery {
    /// The token, when not sent as the `external-auth-token` header.
    #[serde(rename = "external-auth-token")]
    #[param(rename = "external-auth-token")]
    token: Option<String>,
}

/// The token of Publica.la's `/auth/token`: the header, else the query parameter.
fn publica_token(parts: &Parts, q: TokenQuery) -> Option<String> {
    header(parts, "external-auth-token")
        .map(str::to_owned)
        .or(q.token)
}

#[utoipa::path(
    get,
    path = "/t/{tenant}/auth/token",
    tag = tag::NATIVE,
    operation_id = "externalAuthTokenGet",
    summary = "Sign in with an external token (Publica.la's path)",
    description = "As `POST /t/{tenant}/v1/sessions/external`, at Publica.la's path, with the \
token in the `external-auth-token` header or query parameter. Answers the session as JSON \
(Publica.la sets a cookie and redirects; roster has no reader to redirect to).",
    params(
        ("tenant" = String, Path, description = "The tenant's slug, id or account number"),
        ("external-auth-token" = Option<String>, Header, description = "The token"),
        TokenQuery,
    ),
    responses(
        (status = 201, description = "Signed in", body = SignedIn),
        (status = 400, description = "A query string that cannot be read", body = ProblemBody,
            content_type = "application/problem+json"),
        (status = 401, description = "No token, or the token was refused; `detail` says why",
            body = ProblemBody, content_type = "application/problem+json"),
        (status = 404, description = "No such tenant", body = ProblemBody,
            content_type = "application/problem+json"),
    ),
)]
async fn auth_token_get(
    State(state): State<AppState>,
    mut parts: Parts,
    ApiQuery(q): ApiQuery<TokenQuery>,
) -> ApiResult<(StatusCode, Json<SignedIn>)> {
    let token = publica_token(&parts, q);
    sign_in_with(&state, &mut parts, token).await
}

#[utoipa::path(
    post,
    path = "/t/{tenant}/auth/token",
    tag = tag::NATIVE,
    operation_id = "externalAuthTokenPost",
    summary = "Sign in with an external token (Publica.la's path, POST)",
    description = "As the GET of this path.",
    params(
        ("tenant" = String, Path, description = "The tenant's slug, id or account number"),
        ("external-auth-token" = Option<String>, Header, description = "The token"),
        TokenQuery,
    ),
    responses(
        (status = 201, description = "Signed in", body = SignedIn),
        (status = 400, description = "A query string that cannot be read", body = ProblemBody,
            content_type = "application/problem+json"),
        (status = 401, description = "No token, or the token was refused; `detail` says why",
            body = ProblemBody, content_type = "application/problem+json"),
        (status = 404, description = "No such tenant", body = ProblemBody,
            content_type = "application/problem+json"),
    ),
)]
async fn auth_token_post(
    state: State<AppState>,
    parts: Parts,
    q: ApiQuery<TokenQuery>,
) -> ApiResult<(StatusCode, Json<SignedIn>)> {
    auth_token_get(state, parts, q).await
}
