//! Session and refresh tokens. A refresh token is a JWT (the SDKs verify it locally) bound to a
//! session row by `sid` and `jti`: revoking the row kills the token at once.

use latchkey_jose::{Claims, JwtError};
use latchkey_store::{SessionRow, UserRow};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::audit::Event;
use crate::secrets::{random_id, row_id};
use crate::{Caller, Code, Core, Error, Project, Result};

/// Allowed clock skew when checking `iat`, `nbf` and `exp` of presented tokens.
const LEEWAY: i64 = 5;

/// Claims a caller's custom claims can never set or override.
const RESERVED_CLAIMS: &[&str] = &[
    "sub",
    "iss",
    "aud",
    "iat",
    "exp",
    "nbf",
    "jti",
    "sid",
    "drn",
    "amr",
    "roles",
    "permissions",
    "tenants",
    "dct",
    "nsec",
    "rexp",
];

/// Options the SDKs send as `loginOptions`.
#[derive(Debug, Clone, Default, Deserialize, serde::Serialize)]
#[serde(rename_all = "camelCase", default)]
pub struct LoginOptions {
    pub stepup: bool,
    pub mfa: bool,
    pub custom_claims: Option<Map<String, Value>>,
    pub revoke_other_sessions: bool,
    /// Set by trusted management calls only, never read from a request.
    #[serde(skip)]
    pub(crate) trusted: TrustedOptions,
}

/// Session options only the management API may set.
#[derive(Debug, Clone, Default)]
pub(crate) struct TrustedOptions {
    pub selected_tenant: Option<String>,
    /// The impersonator's user id, published as `act.sub`.
    pub actor: Option<String>,
    pub refresh_ttl: Option<i64>,
}

/// A successful sign-in or refresh: what the doors turn into their JWT response.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub session_jwt: String,
    /// A new token after a rotating refresh; otherwise the one presented.
    pub refresh_jwt: String,
    pub refresh_expires_at: i64,
    pub user: UserRow,
    pub first_seen: bool,
}

/// Anonymous users have sessions but no user row.
pub(crate) fn anonymous_user(project: &Project, id: &str) -> UserRow {
    UserRow {
        id: id.to_string(),
        project_id: project.id.clone(),
        status: "enabled".into(),
        attributes: json!({}),
        ..UserRow::default()
    }
}

/// A verified refresh token and the live session it belongs to.
pub(crate) struct LiveSession {
    pub token: String,
    pub claims: Claims,
    pub session: SessionRow,
}

/// A caller's custom claims without the reserved ones (and without `act`, which only
/// impersonation sets).
fn custom_claims(source: Option<&Map<String, Value>>) -> Map<String, Value> {
    let mut claims = carried_claims(source);
    claims.remove("act");
    claims
}

/// The custom claims a refresh token carries into the next session token.
fn carried_claims(source: Option<&Map<String, Value>>) -> Map<String, Value> {
    source
        .into_iter()
        .flatten()
        .filter(|(name, _)| !RESERVED_CLAIMS.contains(&name.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

impl Core {
    fn issuer(&self, project: &Project) -> String {
        format!("{}/{}", self.inner.policy.issuer_base.trim_end_matches('/'), project.id)
    }

    pub(crate) async fn sign(&self, project: &Project, claims: &Claims) -> Result<String> {
        let keys = self.project_keys(&project.id, false).await?;
        Ok(latchkey_jose::sign(keys.active(self.now()), claims))
    }

    async fn session_jwt(
        &self,
        project: &Project,
        user: &UserRow,
        session: &SessionRow,
        extra: Map<String, Value>,
    ) -> Result<String> {
        let now = self.now();
        let mut claims = extra;
        claims.extend(self.authorization_claims(project, user).await?);
        claims.insert("sub".into(), json!(user.id));
        claims.insert("iss".into(), json!(self.issuer(project)));
        let ttl = match &session.tenant_id {
            Some(tenant) => self.tenant_session_ttl(project, tenant).await?.unwrap_or(self.inner.policy.session_ttl),
            None => self.inner.policy.session_ttl,
        };
        claims.insert("iat".into(), json!(now));
        claims.insert("exp".into(), json!(now + ttl));
        claims.insert("drn".into(), json!("DS"));
        claims.insert("sid".into(), json!(session.id));
        claims.insert("amr".into(), serde_json::from_str(&session.amr).unwrap_or(json!([])));
        claims.insert("rexp".into(), json!(session.expires_at));
        if let Some(tenant) = &session.tenant_id {
            claims.insert("dct".into(), json!(tenant));
        }
        self.sign(project, &claims).await
    }

    async fn refresh_jwt(
        &self,
        project: &Project,
        session: &SessionRow,
        custom: &Map<String, Value>,
    ) -> Result<String> {
        let mut claims = custom.clone();
        claims.insert("sub".into(), json!(session.user_id));
        claims.insert("iss".into(), json!(self.issuer(project)));
        claims.insert("iat".into(), json!(self.now()));
        claims.insert("exp".into(), json!(session.expires_at));
        claims.insert("drn".into(), json!("DSR"));
        claims.insert("sid".into(), json!(session.id));
        claims.insert("jti".into(), json!(session.refresh_jti));
        if let Some(tenant) = &session.tenant_id {
            claims.insert("dct".into(), json!(tenant));
        }
        self.sign(project, &claims).await
    }

    /// Opens a new session for a user who just proved who they are.
    pub(crate) async fn start_session(
        &self,
        project: &Project,
        mut user: UserRow,
        amr: &str,
        options: &LoginOptions,
        first_seen: bool,
        caller: &Caller,
    ) -> Result<SignedIn> {
        let now = self.now();
        if user.status == "disabled" {
            return Err(Error::new(Code::UserDisabled, "User is disabled"));
        }
        if user.status == "invited" {
            user.status = "enabled".into();
            user.updated_at = now;
            self.inner.store.update_user(&user).await?;
        }
        if options.revoke_other_sessions {
            self.inner.store.revoke_user_sessions(&project.id, &user.id, now).await?;
        }
        let trusted = &options.trusted;
        let session = SessionRow {
            id: row_id(),
            project_id: project.id.clone(),
            user_id: user.id.clone(),
            refresh_jti: random_id("", 22),
            tenant_id: trusted.selected_tenant.clone(),
            amr: json!([amr]).to_string(),
            created_at: now,
            refreshed_at: now,
            expires_at: now + trusted.refresh_ttl.filter(|t| *t > 0).unwrap_or(self.inner.policy.refresh_ttl),
            revoked_at: None,
            client_id: None,
            grant_data: None,
            parent_id: None,
        };
        self.inner.store.insert_session(&session).await?;
        let mut custom = custom_claims(options.custom_claims.as_ref());
        if let Some(actor) = &trusted.actor {
            custom.insert("act".into(), json!({"sub": actor}));
        }
        let session_jwt = self.session_jwt(project, &user, &session, custom.clone()).await?;
        let refresh_jwt = self.refresh_jwt(project, &session, &custom).await?;
        self.audit(project, Event::new("LoginSucceed", caller).user(&user.id).data(json!({"method": amr}))).await;
        Ok(SignedIn { session_jwt, refresh_jwt, refresh_expires_at: session.expires_at, user, first_seen })
    }

    /// Verifies a refresh token and finds its live session; any failure is the same 401.
    pub(crate) async fn live_session(&self, project: &Project, token: &str) -> Result<LiveSession> {
        let refused = || Error::new(Code::BadRefreshToken, "Refresh token invalid, expired or revoked");
        let claims = self.verify_token(project, token).await.map_err(|_| refused())?;
        // The issuer URL may change (a new port, a new public URL); the project suffix may not.
        let iss_project = claims.get("iss").and_then(Value::as_str).and_then(|iss| iss.rsplit('/').next());
        if claims.get("drn").and_then(Value::as_str) != Some("DSR") || iss_project != Some(project.id.as_str()) {
            return Err(refused());
        }
        let text = |name: &str| claims.get(name).and_then(Value::as_str).unwrap_or_default().to_string();
        let session = self.inner.store.session(&project.id, &text("sid")).await?.ok_or_else(refused)?;
        if session.revoked_at.is_some() || session.expires_at <= self.now() || session.user_id != text("sub") {
            return Err(refused());
        }
        if session.refresh_jti != text("jti") {
            // A retired refresh token came back: someone replays it. Kill the whole session.
            self.inner.store.revoke_session(&session.id, self.now()).await?;
            tracing::warn!(session = %session.id, "refresh token reuse detected; session revoked");
            return Err(refused());
        }
        Ok(LiveSession { token: token.to_string(), claims, session })
    }

    /// Verifies a JWT signed by one of the project's keys (reloading them once for an unknown kid).
    pub(crate) async fn verify_token(&self, project: &Project, token: &str) -> std::result::Result<Claims, JwtError> {
        let now = self.now();
        let keys = self.project_keys(&project.id, false).await.map_err(|_| JwtError::UnknownKey)?;
        match latchkey_jose::verify(token, |kid| keys.verifying_key(kid), now, LEEWAY) {
            Err(JwtError::UnknownKey) => {
                let keys = self.project_keys(&project.id, true).await.map_err(|_| JwtError::UnknownKey)?;
                latchkey_jose::verify(token, |kid| keys.verifying_key(kid), now, LEEWAY)
            }
            result => result,
        }
    }

    /// Exchanges a refresh token for a new session JWT (and, with rotation, a new refresh token).
    pub async fn refresh(&self, project: &Project, refresh_token: &str, caller: &Caller) -> Result<SignedIn> {
        let live = self.live_session(project, refresh_token).await?;
        self.reissue(project, live, caller).await
    }

    /// Issues fresh tokens for a live session, rotating the refresh token if the project says so.
    pub(crate) async fn reissue(&self, project: &Project, live: LiveSession, caller: &Caller) -> Result<SignedIn> {
        let LiveSession { token, claims, mut session } = live;
        let refused = || Error::new(Code::BadRefreshToken, "Refresh token invalid, expired or revoked");
        let user = match self.inner.store.user(&project.id, &session.user_id).await? {
            Some(user) => user,
            None if session.amr.contains("\"anonymous\"") => anonymous_user(project, &session.user_id),
            None => return Err(refused()),
        };
        if user.status == "disabled" {
            return Err(Error::new(Code::UserDisabled, "User is disabled"));
        }
        let now = self.now();
        let custom = carried_claims(Some(&claims));
        let refresh_jwt = if project.settings.refresh_rotation {
            let next = random_id("", 22);
            if !self.inner.store.rotate_session(&session.id, &session.refresh_jti, &next, now).await? {
                return Err(refused()); // a concurrent refresh won; this one loses without harm
            }
            session.refresh_jti = next;
            self.refresh_jwt(project, &session, &custom).await?
        } else {
            self.inner.store.touch_session(&session.id, now).await?;
            if claims.get("dct").and_then(Value::as_str) == session.tenant_id.as_deref() {
                token
            } else {
                // Same session and jti, re-signed to carry the newly selected tenant.
                self.refresh_jwt(project, &session, &custom).await?
            }
        };
        let session_jwt = self.session_jwt(project, &user, &session, custom).await?;
        self.audit(project, Event::new("RefreshToken", caller).user(&user.id)).await;
        Ok(SignedIn { session_jwt, refresh_jwt, refresh_expires_at: session.expires_at, user, first_seen: false })
    }

    /// Signs a session JWT for an access key: its roles and custom claims, plus `nsec` claims.
    pub(crate) async fn access_key_jwt(
        &self,
        project: &Project,
        subject: &str,
        authorization: Map<String, Value>,
        key_claims: Map<String, Value>,
        nsec: Map<String, Value>,
    ) -> Result<String> {
        let now = self.now();
        let mut claims = custom_claims(Some(&key_claims));
        claims.extend(authorization);
        claims.insert("sub".into(), json!(subject));
        claims.insert("iss".into(), json!(self.issuer(project)));
        claims.insert("iat".into(), json!(now));
        claims.insert("exp".into(), json!(now + self.inner.policy.session_ttl));
        claims.insert("drn".into(), json!("DS"));
        claims.insert("amr".into(), json!(["accesskey"]));
        if !nsec.is_empty() {
            claims.insert("nsec".into(), Value::Object(custom_claims(Some(&nsec))));
        }
        self.sign(project, &claims).await
    }
}
