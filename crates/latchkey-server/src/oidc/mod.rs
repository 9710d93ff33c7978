//! The OpenID Connect door (docs/oidc.md): discovery, keys, authorize, token, userinfo,
//! revocation, introspection and logout. Rules live in core; this maps them to RFC 6749 wire.

mod token;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use latchkey_core::{AuthRequest, AuthorizeParams, AuthorizeRefusal, BrowserSession, Core, Project};
use serde::Deserialize;
use serde_json::json;

use crate::pages;
use crate::web::{self, SSO_COOKIE};

pub fn routes() -> Router<Core> {
    Router::new()
        .route("/.well-known/openid-configuration", get(discovery))
        .route("/keys", get(keys))
        .route("/oauth/authorize", get(authorize))
        .route("/oidc/logout", get(logout))
        .merge(token::routes())
}

async fn discovery(State(core): State<Core>) -> Response {
    let issuer = core.oidc_issuer();
    Json(json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{issuer}/oauth/authorize"),
        "token_endpoint": format!("{issuer}/oauth/token"),
        "userinfo_endpoint": format!("{issuer}/userinfo"),
        "jwks_uri": format!("{issuer}/keys"),
        "revocation_endpoint": format!("{issuer}/oauth/revoke"),
        "introspection_endpoint": format!("{issuer}/oauth/introspect"),
        "end_session_endpoint": format!("{issuer}/oidc/logout"),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256", "ES256", "EdDSA"],
        "scopes_supported": latchkey_core::OAUTH_SCOPES,
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "code_challenge_methods_supported": ["S256"],
        "prompt_values_supported": ["none", "login", "create"],
        "claims_supported": ["sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "sid", "amr", "oid",
            "email", "email_verified", "name", "given_name", "family_name", "picture", "phone_number"],
        "authorization_response_iss_parameter_supported": true,
    }))
    .into_response()
}

async fn keys(State(core): State<Core>) -> Response {
    match web::default_project(&core).await {
        Ok(project) => match core.jwks(&project.id).await {
            Ok(keys) => Json(json!({ "keys": keys })).into_response(),
            Err(err) => crate::http::ApiError(err).into_response(),
        },
        Err(err) => crate::http::ApiError(err).into_response(),
    }
}

async fn authorize(State(core): State<Core>, headers: HeaderMap, Query(params): Query<AuthorizeParams>) -> Response {
    let project = match web::default_project(&core).await {
        Ok(project) => project,
        Err(err) => return pages::error_page(None, StatusCode::SERVICE_UNAVAILABLE, &err.message),
    };
    let request = match core.check_authorize(&project, &params).await {
        Ok((_, request)) => request,
        Err(refusal) => return refused(&project, refusal),
    };
    let prompt = request.prompt.as_deref();
    let browser = match web::cookie(&headers, SSO_COOKIE) {
        Some(token) if !matches!(prompt, Some("login" | "create")) => core.browser_session(&project, token).await,
        _ => None,
    };
    match (browser, prompt) {
        (Some(browser), _) => complete(&core, &project, &request, &browser, StatusCode::FOUND, Vec::new()).await,
        (None, Some("none")) => refused(
            &project,
            AuthorizeRefusal::Redirect {
                redirect_uri: request.redirect_uri.clone(),
                error: "login_required",
                description: "the user is not signed in".into(),
                state: request.state.clone(),
            },
        ),
        (None, prompt) => {
            let page = if prompt == Some("create") { "/signup" } else { "/login" };
            let location = web::with_params(page, &[("req", &core.seal_request(&request))]);
            web::redirect(StatusCode::SEE_OTHER, &location, Vec::new())
        }
    }
}

/// Sends the browser back to the client with a fresh code (and any cookies the sign-in set):
/// `302` from the authorize endpoint, `303` after a form post.
pub async fn complete(
    core: &Core,
    project: &Project,
    request: &AuthRequest,
    browser: &BrowserSession,
    status: StatusCode,
    cookies: Vec<axum::http::HeaderValue>,
) -> Response {
    match core.issue_code(project, request, browser).await {
        Ok(code) => {
            let issuer = core.oidc_issuer();
            let mut params = vec![("code", code.as_str())];
            if let Some(state) = &request.state {
                params.push(("state", state));
            }
            params.push(("iss", &issuer));
            web::redirect(status, &web::with_params(&request.redirect_uri, &params), cookies)
        }
        Err(refusal) => refused(project, refusal),
    }
}

fn refused(project: &Project, refusal: AuthorizeRefusal) -> Response {
    match refusal {
        AuthorizeRefusal::Page(message) => pages::error_page(Some(project), StatusCode::BAD_REQUEST, &message),
        AuthorizeRefusal::Redirect { redirect_uri, error, description, state } => {
            let mut params = vec![("error", error), ("error_description", description.as_str())];
            if let Some(state) = &state {
                params.push(("state", state));
            }
            web::redirect(StatusCode::FOUND, &web::with_params(&redirect_uri, &params), Vec::new())
        }
    }
}

#[derive(Deserialize)]
struct LogoutParams {
    id_token_hint: Option<String>,
    client_id: Option<String>,
    post_logout_redirect_uri: Option<String>,
    state: Option<String>,
}

/// RP-initiated logout: the target is checked before anything ends, so a bad one changes nothing.
async fn logout(State(core): State<Core>, headers: HeaderMap, Query(params): Query<LogoutParams>) -> Response {
    let project = match web::default_project(&core).await {
        Ok(project) => project,
        Err(err) => return pages::error_page(None, StatusCode::SERVICE_UNAVAILABLE, &err.message),
    };
    let target = match params.post_logout_redirect_uri.as_deref().filter(|u| !u.is_empty()) {
        Some(uri) => {
            let hint = params.id_token_hint.as_deref().filter(|h| !h.is_empty());
            let client = params.client_id.as_deref().filter(|c| !c.is_empty());
            match core.logout_redirect(&project, hint, client, uri).await {
                Ok(uri) => Some(uri),
                Err(err) => return pages::error_page(Some(&project), StatusCode::BAD_REQUEST, &err.message),
            }
        }
        None => None,
    };
    if let Some(token) = web::cookie(&headers, SSO_COOKIE)
        && let Err(err) = core.end_browser_session(&project, token).await
    {
        return crate::http::ApiError(err).into_response();
    }
    let clear = web::set_cookie(&core, SSO_COOKIE, "", 0);
    match target {
        Some(uri) => {
            let location = match params.state.as_deref() {
                Some(state) => web::with_params(&uri, &[("state", state)]),
                None => uri,
            };
            web::redirect(StatusCode::FOUND, &location, vec![clear])
        }
        None => {
            let mut page = pages::signed_out_page(&project);
            page.headers_mut().append(header::SET_COOKIE, clear);
            page
        }
    }
}
