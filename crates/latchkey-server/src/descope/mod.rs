//! The Descope front door: `/v1/auth/*`, `/v1/mgmt/*` and `/v2/keys/{projectId}`, in the shapes
//! the official Descope SDKs send and expect. It only translates; the rules live in core.

mod audit;
mod auth;
mod clients;
mod jwt;
mod mgmt;
mod rbac;
mod wire;

use std::net::SocketAddr;

use axum::Router;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::header;
use axum::http::request::Parts;
use latchkey_core::{Caller, Code, Core, Error, Project};

use crate::http::ApiError;

pub fn routes() -> Router<Core> {
    auth::routes()
        .merge(mgmt::routes())
        .merge(rbac::routes())
        .merge(audit::routes())
        .merge(jwt::routes())
        .merge(clients::routes())
}

/// The bearer: `projectId[:token][:authManagementKey]` on auth routes, `projectId:managementKey` on management routes.
fn bearer_parts(parts: &Parts) -> Result<Vec<String>, ApiError> {
    let value = parts.headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let Some(bearer) = value.strip_prefix("Bearer ").or_else(|| value.strip_prefix("bearer ")) else {
        return Err(
            Error::new(Code::Unauthenticated, "Authorization header must be 'Bearer <projectId>[:<token>]'").into()
        );
    };
    let segments: Vec<String> = bearer.trim().split(':').map(str::to_string).collect();
    if segments[0].is_empty() {
        return Err(Error::new(Code::Unauthenticated, "Authorization bearer has no project id").into());
    }
    Ok(segments)
}

fn caller_of(parts: &Parts) -> Caller {
    crate::http::caller(&parts.headers, parts.extensions.get::<ConnectInfo<SocketAddr>>())
}

/// An auth-route request: its project, the token in the bearer (if any), and the caller.
pub struct AuthCtx {
    pub project: Project,
    token: Option<String>,
    pub caller: Caller,
}

impl AuthCtx {
    /// The refresh token (or access key) the route needs.
    pub fn token(&self) -> Result<&str, ApiError> {
        self.token.as_deref().filter(|t| !t.is_empty()).ok_or_else(|| {
            Error::new(Code::Unauthenticated, "This route needs a token: 'Bearer <projectId>:<refreshJwt>'").into()
        })
    }

    pub fn token_opt(&self) -> Option<&str> {
        self.token.as_deref()
    }
}

impl FromRequestParts<Core> for AuthCtx {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, core: &Core) -> Result<Self, Self::Rejection> {
        let mut segments = bearer_parts(parts)?;
        let project = core.project(&segments[0]).await?;
        if project.settings.auth_requires_management_key {
            let key = if segments.len() >= 2 { segments.pop().unwrap_or_default() } else { String::new() };
            core.check_auth_management_key(&project, &key).await?;
        }
        let token = segments.into_iter().nth(1);
        Ok(AuthCtx { project, token, caller: caller_of(parts) })
    }
}

/// A management-route request, authenticated by the project's management key.
pub struct MgmtCtx {
    pub project: Project,
    pub caller: Caller,
}

impl FromRequestParts<Core> for MgmtCtx {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, core: &Core) -> Result<Self, Self::Rejection> {
        let segments = bearer_parts(parts)?;
        let project = core.project(&segments[0]).await?;
        let key = if segments.len() == 2 { segments[1].as_str() } else { "" };
        core.check_management_key(&project, key).await?;
        Ok(MgmtCtx { project, caller: caller_of(parts) })
    }
}
