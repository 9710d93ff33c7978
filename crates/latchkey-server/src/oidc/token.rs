//! The back-channel endpoints: token, revoke, introspect (client-authenticated) and userinfo
//! (Bearer). Errors in RFC 6749 form.

use axum::extract::{FromRequest, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use base64::Engine;
use latchkey_core::{Code, Core, Error, OAuthClient, Project};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::http::CallerInfo;
use crate::web;

pub fn routes() -> Router<Core> {
    Router::new()
        .route("/oauth/token", post(token))
        .route("/oauth/revoke", post(revoke))
        .route("/oauth/introspect", post(introspect))
        .route("/userinfo", get(userinfo).post(userinfo))
}

/// An RFC 6749 error answer; `basic` adds the `WWW-Authenticate` challenge a Basic client expects.
struct OAuthError {
    error: Error,
    basic: bool,
}

impl From<Error> for OAuthError {
    fn from(error: Error) -> Self {
        OAuthError { error, basic: false }
    }
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let (status, error) = match self.error.code {
            Code::InvalidClient => (StatusCode::UNAUTHORIZED, "invalid_client"),
            Code::InvalidGrant => (StatusCode::BAD_REQUEST, "invalid_grant"),
            Code::UnauthorizedClient => (StatusCode::BAD_REQUEST, "unauthorized_client"),
            Code::InvalidScope => (StatusCode::BAD_REQUEST, "invalid_scope"),
            Code::UnsupportedGrantType => (StatusCode::BAD_REQUEST, "unsupported_grant_type"),
            Code::RateLimited => (StatusCode::TOO_MANY_REQUESTS, "slow_down"),
            Code::Internal => (StatusCode::INTERNAL_SERVER_ERROR, "server_error"),
            _ => (StatusCode::BAD_REQUEST, "invalid_request"),
        };
        let body = json!({"error": error, "error_description": self.error.message});
        let mut response = (status, [(header::CACHE_CONTROL, "no-store")], Json(body)).into_response();
        if self.basic && status == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Basic realm=\"latchkey\""));
        }
        response
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct TokenForm {
    grant_type: String,
    code: String,
    redirect_uri: String,
    code_verifier: Option<String>,
    refresh_token: String,
    scope: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
    token: String,
}

/// A request of an authenticated client: its form, the project and the client.
struct ClientRequest {
    form: TokenForm,
    project: Project,
    client: OAuthClient,
}

impl FromRequest<Core> for ClientRequest {
    type Rejection = OAuthError;

    async fn from_request(request: Request, core: &Core) -> Result<Self, OAuthError> {
        let headers = request.headers().clone();
        let Form(form) = Form::<TokenForm>::from_request(request, core).await.map_err(|e| {
            Error::new(Code::MalformedRequest, format!("the body must be application/x-www-form-urlencoded: {e}"))
        })?;
        let project = web::default_project(core).await?;
        let client = client(core, &project, &headers, &form).await?;
        Ok(ClientRequest { form, project, client })
    }
}

/// Client authentication: HTTP Basic (RFC 6749 2.3.1: form-encoded id and secret) or the body.
/// A Bearer header is not client authentication and is ignored.
async fn client(core: &Core, project: &Project, headers: &HeaderMap, f: &TokenForm) -> Result<OAuthClient, OAuthError> {
    let basic = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic ").or_else(|| v.strip_prefix("basic ")));
    let (id, secret, basic) = match basic {
        Some(encoded) => {
            let refused =
                || OAuthError { error: Error::new(Code::InvalidClient, "malformed Basic credentials"), basic: true };
            let decoded = base64::engine::general_purpose::STANDARD.decode(encoded.trim()).map_err(|_| refused())?;
            let text = String::from_utf8(decoded).map_err(|_| refused())?;
            let (id, secret) = text.split_once(':').ok_or_else(refused)?;
            let unescape = |s: &str| {
                serde_urlencoded::from_str::<Vec<(String, String)>>(&format!("v={s}"))
                    .ok()
                    .and_then(|mut v| v.pop())
                    .map(|(_, v)| v)
                    .unwrap_or_default()
            };
            (unescape(id), Some(unescape(secret)), true)
        }
        None => (f.client_id.clone().unwrap_or_default(), f.client_secret.clone().filter(|s| !s.is_empty()), false),
    };
    core.authenticate_client(project, &id, secret.as_deref()).await.map_err(|error| OAuthError { error, basic })
}

async fn token(
    State(core): State<Core>,
    CallerInfo(caller): CallerInfo,
    ClientRequest { form: f, project, client }: ClientRequest,
) -> Result<Response, OAuthError> {
    let scope = f.scope.as_deref().filter(|s| !s.is_empty());
    let tokens = match f.grant_type.as_str() {
        "authorization_code" => {
            core.exchange_code(&project, &client, &f.code, &f.redirect_uri, f.code_verifier.as_deref(), &caller).await?
        }
        "refresh_token" => {
            if f.refresh_token.is_empty() {
                return Err(Error::missing("refresh_token").into());
            }
            core.refresh_grant(&project, &client, &f.refresh_token, scope, &caller).await?
        }
        "client_credentials" => core.client_credentials(&project, &client, scope).await?,
        "" => return Err(Error::missing("grant_type").into()),
        other => {
            return Err(Error::new(Code::UnsupportedGrantType, format!("grant_type '{other}' is not supported")).into());
        }
    };
    Ok(([(header::CACHE_CONTROL, "no-store"), (header::PRAGMA, "no-cache")], Json(tokens)).into_response())
}

async fn revoke(State(core): State<Core>, r: ClientRequest) -> Result<Response, OAuthError> {
    let ClientRequest { form: f, project, client } = r;
    core.revoke_oauth_token(&project, &client, &f.token).await?;
    Ok(Json(json!({})).into_response())
}

/// Any client of the project may introspect (RFC 7662 asks for an authenticated caller).
async fn introspect(State(core): State<Core>, r: ClientRequest) -> Result<Response, OAuthError> {
    let answer = match core.introspect(&r.project, &r.form.token).await? {
        Some(mut claims) => {
            claims.insert("active".into(), Value::Bool(true));
            Value::Object(claims)
        }
        None => json!({"active": false}),
    };
    Ok(([(header::CACHE_CONTROL, "no-store")], Json(answer)).into_response())
}

async fn userinfo(State(core): State<Core>, headers: HeaderMap) -> Response {
    let refused = |description: &str| {
        let challenge = format!("Bearer error=\"invalid_token\", error_description=\"{description}\"");
        let mut response =
            (StatusCode::UNAUTHORIZED, Json(json!({"error": "invalid_token", "error_description": description})))
                .into_response();
        if let Ok(value) = HeaderValue::from_str(&challenge) {
            response.headers_mut().insert(header::WWW_AUTHENTICATE, value);
        }
        response
    };
    let Some(token) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
    else {
        return refused("a Bearer access token is required");
    };
    let project = match web::default_project(&core).await {
        Ok(project) => project,
        Err(err) => return crate::http::ApiError(err).into_response(),
    };
    match core.userinfo(&project, token.trim()).await {
        Ok(claims) => Json(Value::Object(claims)).into_response(),
        Err(err) if err.code == Code::Internal => crate::http::ApiError(err).into_response(),
        Err(_) => refused("the access token is invalid, expired or revoked"),
    }
}
