//! Browser plumbing for the OIDC door and the hosted pages: cookies, redirects, the default project.

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use latchkey_core::{Code, Core, Error, Project};

/// The provider's browser session (an SDK refresh token, never readable by scripts).
pub const SSO_COOKIE: &str = "lk_sso";
/// The double-submit secret behind each form's `csrf` field.
pub const CSRF_COOKIE: &str = "lk_csrf";

/// The OIDC door serves the default project.
pub async fn default_project(core: &Core) -> Result<Project, Error> {
    core.default_project().await?.ok_or_else(|| Error::new(Code::UnknownProject, "No project yet"))
}

pub fn cookie<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
        .filter(|value| !value.is_empty())
}

/// A `Set-Cookie` value: HttpOnly, SameSite=Lax, Secure behind https; `max_age` 0 deletes it.
pub fn set_cookie(core: &Core, name: &str, value: &str, max_age: i64) -> HeaderValue {
    let secure = if core.oidc_issuer().starts_with("https://") { "; Secure" } else { "" };
    HeaderValue::from_str(&format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}"))
        .expect("cookie values are URL-safe")
}

/// `uri` with `params` added to its query.
pub fn with_params(uri: &str, params: &[(&str, &str)]) -> String {
    let query = serde_urlencoded::to_string(params).expect("string pairs encode");
    format!("{uri}{}{query}", if uri.contains('?') { '&' } else { '?' })
}

/// A redirect with optional cookies; 302 for protocol answers, 303 after a form post.
pub fn redirect(status: StatusCode, location: &str, cookies: Vec<HeaderValue>) -> Response {
    let mut response = (status, [(header::CACHE_CONTROL, "no-store")]).into_response();
    let headers = response.headers_mut();
    headers.insert(header::LOCATION, HeaderValue::from_str(location).unwrap_or(HeaderValue::from_static("/")));
    for cookie in cookies {
        headers.append(header::SET_COOKIE, cookie);
    }
    response
}
