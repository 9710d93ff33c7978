//! Tokens the management API issues on a backend's behalf: sign-in and sign-up for a user,
//! anonymous sessions, impersonation, and custom claims added to an existing JWT.

use latchkey_store::UserRow;
use serde_json::{Map, Value, json};

use crate::secrets::random_id;
use crate::tokens::{TrustedOptions, anonymous_user};
use crate::users::NewUser;
use crate::{Caller, Code, Core, Error, LoginOptions, Project, Result, SignedIn};

/// The permission a user needs to impersonate others.
pub const IMPERSONATION: &str = "impersonation";

/// Claims `update_jwt` never takes from the caller.
const SYSTEM_CLAIMS: &[&str] =
    &["sub", "iss", "aud", "iat", "exp", "nbf", "jti", "sid", "drn", "amr", "act", "nsec", "rexp", "dct"];

/// How a management sign-in opens its session.
#[derive(Debug, Clone, Default)]
pub struct MgmtLogin {
    pub custom_claims: Option<Map<String, Value>>,
    pub revoke_other_sessions: bool,
    /// Refresh token lifetime in seconds; 0 keeps the default.
    pub refresh_duration: i64,
    pub selected_tenant: Option<String>,
}

impl MgmtLogin {
    fn options(self, actor: Option<String>) -> LoginOptions {
        LoginOptions {
            custom_claims: self.custom_claims,
            revoke_other_sessions: self.revoke_other_sessions,
            trusted: TrustedOptions {
                selected_tenant: self.selected_tenant,
                actor,
                refresh_ttl: Some(self.refresh_duration),
            },
            ..LoginOptions::default()
        }
    }
}

impl Core {
    /// Signs an existing user in, as the backend vouches for them.
    pub async fn mgmt_sign_in(
        &self,
        project: &Project,
        login_id: &str,
        login: MgmtLogin,
        caller: &Caller,
    ) -> Result<SignedIn> {
        if login_id.trim().is_empty() {
            return Err(Error::missing("loginId"));
        }
        let user = self.user_by_login_id(project, login_id).await?;
        self.start_session(project, user, "mgmt", &login.options(None), false, caller).await
    }

    /// Creates a user and signs them in; with `or_in`, an existing user is signed in instead.
    pub async fn mgmt_sign_up(
        &self,
        project: &Project,
        new: NewUser,
        or_in: bool,
        login: MgmtLogin,
        caller: &Caller,
    ) -> Result<SignedIn> {
        if new.login_id.trim().is_empty() {
            return Err(Error::missing("loginId"));
        }
        if let Some(user) = self.inner.store.user_by_login_id(&project.id, &new.login_id).await? {
            if or_in {
                return self.start_session(project, user, "mgmt", &login.options(None), false, caller).await;
            }
            return Err(Error::new(Code::UserExists, "A user with this login id already exists"));
        }
        let user = self.create_user(project, NewUser { status: Some("enabled".into()), ..new }, caller).await?;
        self.start_session(project, user, "mgmt", &login.options(None), true, caller).await
    }

    /// A session for a visitor who is not a user: refreshable, never stored as a user.
    pub async fn anonymous_session(&self, project: &Project, login: MgmtLogin, caller: &Caller) -> Result<SignedIn> {
        if let Some(tenant) = login.selected_tenant.as_deref().filter(|t| !t.is_empty()) {
            self.tenant(project, tenant).await?;
        }
        let user = anonymous_user(project, &random_id("A", 27));
        self.start_session(project, user, "anonymous", &login.options(None), false, caller).await
    }

    /// A refresh token of `login_id`'s user that names the impersonator in `act`. The impersonator
    /// (a user id or login id) needs the `impersonation` permission.
    pub async fn impersonate(
        &self,
        project: &Project,
        impersonator: &str,
        login_id: &str,
        login: MgmtLogin,
        caller: &Caller,
    ) -> Result<String> {
        if impersonator.trim().is_empty() {
            return Err(Error::missing("impersonatorId"));
        }
        if login_id.trim().is_empty() {
            return Err(Error::missing("loginId"));
        }
        let actor = match self.inner.store.user(&project.id, impersonator).await? {
            Some(user) => user,
            None => self.user_by_login_id(project, impersonator).await?,
        };
        let target = self.user_by_login_id(project, login_id).await?;
        let granted = self.authorization_claims(project, &actor).await?;
        if !granted["permissions"].as_array().is_some_and(|p| p.contains(&json!(IMPERSONATION))) {
            return Err(Error::new(
                Code::Forbidden,
                format!("The impersonator lacks the '{IMPERSONATION}' permission"),
            ));
        }
        if login.selected_tenant.as_deref().is_some_and(|tenant| !target.tenants.iter().any(|t| t.tenant_id == tenant))
        {
            return Err(Error::new(Code::TenantNotFound, "The user is not a member of this tenant"));
        }

        let options = login.options(Some(actor.id));
        let signed = self.start_session(project, target, "impersonation", &options, false, caller).await?;
        Ok(signed.refresh_jwt)
    }

    /// Re-signs a JWT this project issued with `custom` claims added (system claims are ignored)
    /// and the user's current roles and permissions.
    pub async fn update_jwt(&self, project: &Project, token: &str, custom: Map<String, Value>) -> Result<String> {
        if token.trim().is_empty() {
            return Err(Error::missing("jwt"));
        }
        let refused = || Error::new(Code::BadRefreshToken, "The JWT is invalid or was not issued by this project");
        let mut claims = self.verify_token(project, token.trim()).await.map_err(|_| refused())?;
        let subject = claims.get("sub").and_then(Value::as_str).ok_or_else(refused)?.to_string();
        let user: UserRow = match self.inner.store.user(&project.id, &subject).await? {
            Some(user) => user,
            None => anonymous_user(project, &subject),
        };
        for (name, value) in custom {
            if !SYSTEM_CLAIMS.contains(&name.as_str()) && !["roles", "permissions", "tenants"].contains(&name.as_str())
            {
                claims.insert(name, value);
            }
        }
        claims.extend(self.authorization_claims(project, &user).await?);
        let now = self.now();
        claims.insert("iat".into(), json!(now));
        if claims.get("drn").and_then(Value::as_str) == Some("DS") {
            claims.insert("exp".into(), json!(now + self.inner.policy.session_ttl));
        }
        self.sign(project, &claims).await
    }
}
