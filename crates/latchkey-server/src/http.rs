//! HTTP plumbing shared by the doors: the router, request logging, the JSON body extractor and
//! the error response.

use std::net::SocketAddr;
use std::time::Instant;

use axum::extract::{ConnectInfo, DefaultBodyLimit, FromRequest, MatchedPath, Request};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use latchkey_core::{Caller, Code, Core, Error};
use serde::de::DeserializeOwned;
use serde_json::json;

/// Request bodies larger than this are refused before they are read whole.
const BODY_LIMIT: usize = 1 << 20;

pub fn router(core: Core) -> Router {
    Router::new()
        .route("/health", get(|| async { "ok" }))
        .route("/.well-known/jwks.json", get(default_jwks))
        .merge(crate::descope::routes())
        .merge(crate::oidc::routes())
        .merge(crate::pages::routes())
        .fallback(|req: Request| async move {
            ApiError(Error::new(
                Code::NotFoundRoute,
                format!("Route {} {} is not supported by Latchkey", req.method(), req.uri().path()),
            ))
        })
        .method_not_allowed_fallback(|req: Request| async move {
            ApiError(Error::new(
                Code::MethodNotAllowed,
                format!("Method {} is not allowed on {}", req.method(), req.uri().path()),
            ))
        })
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(middleware::from_fn(log_request))
        .with_state(core)
}

/// One line per request: method, route (never the query or a body), status, time.
async fn log_request(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().clone();
    let route = request.extensions().get::<MatchedPath>().map(|p| p.as_str().to_string()).unwrap_or_else(|| "-".into());
    let response = next.run(request).await;
    let status = response.status().as_u16();
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    if route == "/health" {
        tracing::debug!(%method, route, status, ms, "request");
    } else {
        tracing::info!(%method, route, status, ms, "request");
    }
    response
}

async fn default_jwks(
    axum::extract::State(core): axum::extract::State<Core>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let project = core.default_project().await?.ok_or_else(|| Error::new(Code::UnknownProject, "No project yet"))?;
    Ok(Json(json!({"keys": core.jwks(&project.id).await?})))
}

/// A core error answered in the Descope shape, with `Retry-After` on rate limits.
#[derive(Debug)]
pub struct ApiError(pub Error);

impl From<Error> for ApiError {
    fn from(err: Error) -> Self {
        ApiError(err)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let code = self.0.code;
        let status = StatusCode::from_u16(code.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = json!({
            "errorCode": code.as_str(),
            "errorDescription": code.description(),
            "errorMessage": self.0.message,
        });
        let mut response = (status, Json(body)).into_response();
        if let Some(seconds) = self.0.retry_after {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

/// A JSON object body; a broken one is refused with where it broke. An empty body reads as `{}`.
pub struct Body<T>(pub T);

/// A JSON array body (a few management routes take a bare list).
pub struct ArrayBody<T>(pub T);

/// Parses a body whose first significant byte must be `open` (`{` or `[`).
async fn parse_json<S: Send + Sync, T: DeserializeOwned>(req: Request, state: &S, open: u8) -> Result<T, ApiError> {
    let bytes = axum::body::Bytes::from_request(req, state).await.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError(Error::new(Code::BodyTooLarge, format!("Request body is larger than {BODY_LIMIT} bytes")))
        } else {
            ApiError(Error::new(Code::MalformedRequest, "Request body could not be read"))
        }
    })?;
    let empty: &[u8] = if open == b'{' { b"{}" } else { b"[]" };
    let text: &[u8] = match bytes.iter().position(|b| !b.is_ascii_whitespace()) {
        None => empty,
        Some(at) if bytes[at] == open => &bytes,
        // serde would read an array into a struct field by field: the shape is checked first.
        Some(at) => {
            let line = bytes[..at].iter().filter(|b| **b == b'\n').count() + 1;
            let column = at - bytes[..at].iter().rposition(|b| *b == b'\n').map_or(0, |nl| nl + 1) + 1;
            let shape = if open == b'{' { "object" } else { "array" };
            let message = format!("Invalid JSON body: expected a JSON {shape} at line {line} column {column}");
            return Err(ApiError(Error::new(Code::MalformedRequest, message)));
        }
    };
    let mut value: serde_json::Value = serde_json::from_slice(text)
        .map_err(|err| ApiError(Error::new(Code::MalformedRequest, format!("Invalid JSON body: {err}"))))?;
    // Without nulls the body is read again as text, so errors keep their line and column.
    let stripped;
    let text = if drop_nulls(&mut value) {
        stripped = value.to_string();
        stripped.as_bytes()
    } else {
        text
    };
    serde_path_to_error::deserialize(&mut serde_json::Deserializer::from_slice(text)).map_err(|err| {
        let message = format!("Invalid JSON body: '{}' {}", err.path(), err.inner());
        ApiError(Error::new(Code::MalformedRequest, message))
    })
}

/// The SDKs send absent fields as explicit nulls: a null member reads as if it were not there.
/// Returns whether anything was dropped.
fn drop_nulls(value: &mut serde_json::Value) -> bool {
    match value {
        serde_json::Value::Object(map) => {
            let before = map.len();
            map.retain(|_, v| !v.is_null());
            let nested = map.values_mut().fold(false, |dropped, v| drop_nulls(v) | dropped);
            nested || map.len() != before
        }
        serde_json::Value::Array(items) => items.iter_mut().fold(false, |dropped, v| drop_nulls(v) | dropped),
        _ => false,
    }
}

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Body<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        parse_json(req, state, b'{').await.map(Body)
    }
}

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ArrayBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        parse_json(req, state, b'[').await.map(ArrayBody)
    }
}

/// Extracts the caller (address and agent) of a request.
pub struct CallerInfo(pub Caller);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for CallerInfo {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(CallerInfo(caller(&parts.headers, parts.extensions.get::<ConnectInfo<SocketAddr>>())))
    }
}

/// The caller's address and agent, for audit records and per-IP limits.
pub fn caller(headers: &HeaderMap, peer: Option<&ConnectInfo<SocketAddr>>) -> Caller {
    Caller {
        ip: peer.map(|ConnectInfo(addr)| addr.ip().to_string()),
        user_agent: headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(|s| s.chars().take(256).collect()),
    }
}
