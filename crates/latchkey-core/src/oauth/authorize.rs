//! The authorization endpoint's rules: which requests are refused where, the sealed pending
//! request the login pages carry, and the authorization code issued at the end.

use latchkey_jose::b64url;
use latchkey_store::{OAuthCodeRow, SessionRow, UserRow};
use serde::{Deserialize, Serialize};

use super::{CODE_TTL, OAuthClient, REQUEST_TTL, SCOPES};
use crate::secrets::{constant_time_eq, random_id};
use crate::{Code, Core, Error, Project, Result};

/// The query of `/oauth/authorize`, as sent.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct AuthorizeParams {
    pub response_type: Option<String>,
    pub client_id: Option<String>,
    pub redirect_uri: Option<String>,
    pub scope: Option<String>,
    pub state: Option<String>,
    pub nonce: Option<String>,
    pub code_challenge: Option<String>,
    pub code_challenge_method: Option<String>,
    pub prompt: Option<String>,
    pub login_hint: Option<String>,
    pub domain_hint: Option<String>,
    pub organization_id: Option<String>,
    pub connection_id: Option<String>,
    pub provider: Option<String>,
}

/// A checked authorization request, carried sealed through the login pages.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AuthRequest {
    pub client_id: String,
    pub redirect_uri: String,
    pub scopes: Vec<String>,
    pub state: Option<String>,
    pub nonce: Option<String>,
    pub code_challenge: Option<String>,
    pub prompt: Option<String>,
    pub login_hint: Option<String>,
    pub organization_id: Option<String>,
    pub connection_id: Option<String>,
    pub expires_at: i64,
}

/// Why an authorization request is refused, and where the answer goes.
#[derive(Debug, Clone)]
pub enum AuthorizeRefusal {
    /// The client or redirect URI cannot be trusted: an error page, never a redirect.
    Page(String),
    /// Sent back to the client's redirect URI as `error`, `error_description`, `state`.
    Redirect { redirect_uri: String, error: &'static str, description: String, state: Option<String> },
}

/// A browser signed in at the hosted pages.
#[derive(Debug, Clone)]
pub struct BrowserSession {
    pub user: UserRow,
    pub session: SessionRow,
}

/// What an authorization code stands for; kept as JSON with the code, then with the grant.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct GrantData {
    pub redirect_uri: String,
    pub scopes: Vec<String>,
    pub nonce: Option<String>,
    pub code_challenge: Option<String>,
    pub user_id: String,
    pub browser_session: String,
    pub amr: Vec<String>,
    pub auth_time: i64,
    pub organization_id: Option<String>,
}

/// PKCE S256: BASE64URL(SHA256(verifier)).
pub(crate) fn s256(verifier: &str) -> String {
    b64url(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, verifier.as_bytes()).as_ref())
}

fn given(value: &Option<String>) -> Option<String> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty()).map(str::to_string)
}

impl Core {
    /// Checks an authorization request. The client and the redirect URI are checked first: until
    /// both are trusted, nothing is ever redirected.
    pub async fn check_authorize(
        &self,
        project: &Project,
        params: &AuthorizeParams,
    ) -> std::result::Result<(OAuthClient, AuthRequest), AuthorizeRefusal> {
        let page = |message: &str| AuthorizeRefusal::Page(message.to_string());
        let client_id = given(&params.client_id).ok_or_else(|| page("The request names no client (client_id)."))?;
        let client = match self.client(project, &client_id).await {
            Ok(client) => client,
            Err(e) if e.code == Code::ClientNotFound => return Err(page("The application (client_id) is not known.")),
            Err(_) => return Err(page("The request could not be checked. Try again.")),
        };
        let redirect_uri = given(&params.redirect_uri).unwrap_or_default();
        if !client.redirect_uris.contains(&redirect_uri) {
            return Err(page("The redirect URI is not registered for this application."));
        }
        let state = params.state.clone();
        let refuse = |error: &'static str, description: &str| AuthorizeRefusal::Redirect {
            redirect_uri: redirect_uri.clone(),
            error,
            description: description.to_string(),
            state: state.clone(),
        };
        if params.response_type.as_deref() != Some("code") {
            return Err(refuse("unsupported_response_type", "only response_type=code is supported"));
        }
        let scopes: Vec<String> =
            params.scope.as_deref().unwrap_or("openid").split_whitespace().map(str::to_string).collect();
        if let Some(unknown) = scopes.iter().find(|s| !SCOPES.contains(&s.as_str())) {
            return Err(refuse("invalid_scope", &format!("unknown scope '{unknown}'")));
        }
        let code_challenge = given(&params.code_challenge);
        match (code_challenge.as_deref(), params.code_challenge_method.as_deref()) {
            (None, _) if client.public => {
                return Err(refuse("invalid_request", "public clients must use PKCE (code_challenge, S256)"));
            }
            (Some(_), Some("S256")) => {}
            (Some(_), _) => return Err(refuse("invalid_request", "code_challenge_method must be S256")),
            (None, _) => {}
        }
        if code_challenge.as_deref().is_some_and(|c| c.len() != 43 || latchkey_jose::b64url_decode(c).is_none()) {
            return Err(refuse("invalid_request", "code_challenge must be a base64url SHA-256 digest"));
        }
        let prompt = given(&params.prompt);
        if prompt.as_deref().is_some_and(|p| !["login", "none", "create", "consent", "select_account"].contains(&p)) {
            return Err(refuse("invalid_request", "prompt must be login, none or create"));
        }
        let request = AuthRequest {
            client_id,
            redirect_uri: redirect_uri.clone(),
            scopes,
            state: state.clone(),
            nonce: given(&params.nonce),
            code_challenge,
            prompt,
            login_hint: given(&params.login_hint),
            organization_id: given(&params.organization_id),
            connection_id: given(&params.connection_id),
            expires_at: self.now() + REQUEST_TTL,
        };
        Ok((client, request))
    }

    /// The pending request, sealed: only this server can read or change it.
    pub fn seal_request(&self, request: &AuthRequest) -> String {
        let json = serde_json::to_vec(request).expect("request serializes");
        b64url(&self.inner.secrets.master.seal("oauth-request", &json))
    }

    pub fn open_request(&self, sealed: &str) -> Result<AuthRequest> {
        let stale = || Error::invalid("req", "is not a valid sign-in request, or it expired: start again");
        let bytes = latchkey_jose::b64url_decode(sealed).ok_or_else(stale)?;
        let json = self.inner.secrets.master.open("oauth-request", &bytes).map_err(|_| stale())?;
        let request: AuthRequest = serde_json::from_slice(&json).map_err(|_| stale())?;
        if request.expires_at <= self.now() {
            return Err(stale());
        }
        Ok(request)
    }

    /// The signed-in browser behind a provider session cookie (an SDK refresh token), if still live.
    pub async fn browser_session(&self, project: &Project, token: &str) -> Option<BrowserSession> {
        let live = self.live_session(project, token).await.ok()?;
        let user = self.inner.store.user(&project.id, &live.session.user_id).await.ok()??;
        (user.status != "disabled").then_some(BrowserSession { user, session: live.session })
    }

    /// Issues an authorization code for a signed-in browser; refuses (to the redirect URI) an
    /// organization the user does not belong to.
    pub async fn issue_code(
        &self,
        project: &Project,
        request: &AuthRequest,
        browser: &BrowserSession,
    ) -> std::result::Result<String, AuthorizeRefusal> {
        let refuse = |error: &'static str, description: &str| AuthorizeRefusal::Redirect {
            redirect_uri: request.redirect_uri.clone(),
            error,
            description: description.to_string(),
            state: request.state.clone(),
        };
        let organization = match &request.organization_id {
            Some(org) if !browser.user.tenants.iter().any(|t| &t.tenant_id == org) => {
                return Err(refuse("access_denied", "the user is not a member of that organization"));
            }
            Some(org) => Some(org.clone()),
            None => None,
        };
        // RFC 8176 names: an emailed or texted code (or link) is a one-time password.
        let amr: Vec<String> = serde_json::from_str(&browser.session.amr).unwrap_or_default();
        let mut amr: Vec<String> =
            amr.into_iter().map(|m| if m == "email" || m == "sms" { "otp".into() } else { m }).collect();
        if let Some(connection) = &request.connection_id {
            amr.insert(0, connection.clone());
        }
        let grant = GrantData {
            redirect_uri: request.redirect_uri.clone(),
            scopes: request.scopes.clone(),
            nonce: request.nonce.clone(),
            code_challenge: request.code_challenge.clone(),
            user_id: browser.user.id.clone(),
            browser_session: browser.session.id.clone(),
            amr,
            auth_time: browser.session.created_at,
            organization_id: organization,
        };
        let code = random_id("", 43);
        let row = OAuthCodeRow {
            code_hash: self.inner.secrets.code_hash("oauth-code", &code),
            project_id: project.id.clone(),
            client_id: request.client_id.clone(),
            grant_data: serde_json::to_string(&grant).expect("grant serializes"),
            expires_at: self.now() + CODE_TTL,
            used_at: None,
            session_id: None,
        };
        match self.inner.store.insert_oauth_code(&row).await {
            Ok(()) => Ok(code),
            Err(err) => {
                tracing::error!(error = %err, "authorization code not stored");
                Err(refuse("server_error", "the authorization could not be stored"))
            }
        }
    }

    /// The `lk_csrf` cookie's form token: a keyed hash, so a page can only post with its own cookie.
    pub fn csrf_token(&self, cookie: &str) -> String {
        self.inner.secrets.code_hash("csrf", cookie)
    }

    pub fn check_csrf(&self, cookie: &str, token: &str) -> bool {
        !cookie.is_empty() && constant_time_eq(&self.csrf_token(cookie), token)
    }

    /// Ends a browser session and every grant it made (RP-initiated logout).
    pub async fn end_browser_session(&self, project: &Project, token: &str) -> Result<()> {
        if let Ok(live) = self.live_session(project, token).await {
            let now = self.now();
            self.inner.store.revoke_session(&live.session.id, now).await?;
            self.inner.store.revoke_grants_of_browser(&project.id, &live.session.id, now).await?;
        }
        Ok(())
    }
}
