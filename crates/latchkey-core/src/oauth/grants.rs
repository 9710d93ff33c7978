//! The token endpoint's grants, and the endpoints that read tokens back (introspection, userinfo,
//! revocation, logout).

use latchkey_jose::{Algorithm, Claims, b64url};
use latchkey_store::{SessionRow, UserRow};
use serde::Serialize;
use serde_json::{Map, Value, json};

use super::authorize::{GrantData, s256};
use super::{OAuthClient, REUSE_GRACE};
use crate::audit::Event;
use crate::secrets::{constant_time_eq, key_hash, random_id, row_id};
use crate::{Caller, Code, Core, Error, Project, Result};

/// A token response (RFC 6749 5.1).
#[derive(Debug, Clone, Serialize)]
pub struct TokenSet {
    pub access_token: String,
    pub token_type: &'static str,
    pub expires_in: i64,
    pub scope: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
}

const REFRESH_PREFIX: &str = "lkr_";

fn invalid_grant(why: &str) -> Error {
    Error::new(Code::InvalidGrant, why)
}

/// `lkr_<grant id>_<secret>`: the grant is found by id, the secret is compared by hash.
fn parse_refresh(token: &str) -> Option<(&str, &str)> {
    token.strip_prefix(REFRESH_PREFIX)?.rsplit_once('_').filter(|(id, secret)| !id.is_empty() && secret.len() >= 32)
}

fn grant_of(session: &SessionRow) -> Option<GrantData> {
    serde_json::from_str(session.grant_data.as_deref()?).ok()
}

impl Core {
    /// The OpenID issuer: the public URL, exactly (the Scalekit SDK compares it as a string).
    pub fn oidc_issuer(&self) -> String {
        self.inner.policy.issuer_base.trim_end_matches('/').to_string()
    }

    /// `authorization_code`: single use; a second use revokes what the first one issued.
    pub async fn exchange_code(
        &self,
        project: &Project,
        client: &OAuthClient,
        code: &str,
        redirect_uri: &str,
        verifier: Option<&str>,
        caller: &Caller,
    ) -> Result<TokenSet> {
        if code.is_empty() {
            return Err(Error::missing("code"));
        }
        let hash = self.inner.secrets.code_hash("oauth-code", code);
        let row = self.inner.store.oauth_code(&project.id, &hash).await?;
        let row = row.filter(|r| r.client_id == client.client_id).ok_or_else(|| invalid_grant("Unknown code"))?;
        let now = self.now();
        let replayed = |session_id: Option<String>| async move {
            if let Some(id) = session_id {
                self.inner.store.revoke_session(&id, now).await?;
                tracing::warn!(grant = %id, "authorization code replayed; its grant is revoked");
            }
            Err(invalid_grant("The code was already used; the tokens issued from it are revoked"))
        };
        if row.used_at.is_some() {
            return replayed(row.session_id).await;
        }
        if row.expires_at <= now {
            return Err(invalid_grant("The code expired"));
        }
        let grant: GrantData = serde_json::from_str(&row.grant_data).map_err(Error::internal)?;
        if grant.redirect_uri != redirect_uri {
            return Err(invalid_grant("redirect_uri differs from the authorization request's"));
        }
        match (&grant.code_challenge, verifier.filter(|v| !v.is_empty())) {
            (Some(challenge), Some(verifier))
                if (43..=128).contains(&verifier.len()) && constant_time_eq(challenge, &s256(verifier)) => {}
            (None, None) => {}
            (Some(_), _) => return Err(invalid_grant("code_verifier is missing or does not match the challenge")),
            (None, Some(_)) => return Err(invalid_grant("code_verifier sent, but no code_challenge was")),
        }
        let user = self.grant_user(project, &grant.user_id).await?;
        let session_id = row_id();
        if !self.inner.store.use_oauth_code(&hash, &session_id, now).await? {
            let winner = self.inner.store.oauth_code(&project.id, &hash).await?.and_then(|r| r.session_id);
            return replayed(winner).await;
        }
        let refresh_secret = random_id("", 43);
        let session = SessionRow {
            id: session_id,
            project_id: project.id.clone(),
            user_id: user.id.clone(),
            refresh_jti: key_hash(&refresh_secret),
            tenant_id: grant.organization_id.clone(),
            amr: json!(grant.amr).to_string(),
            created_at: now,
            refreshed_at: now,
            expires_at: now + self.inner.policy.refresh_ttl,
            revoked_at: None,
            client_id: Some(client.client_id.clone()),
            grant_data: Some(serde_json::to_string(&grant).map_err(Error::internal)?),
            parent_id: Some(grant.browser_session.clone()),
        };
        self.inner.store.insert_session(&session).await?;
        self.audit(
            project,
            Event::new("OAuthCodeExchanged", caller).user(&user.id).data(json!({"client": client.client_id})),
        )
        .await;
        let refresh = grant.scopes.iter().any(|s| s == "offline_access").then_some(refresh_secret);
        self.token_set(project, client, &user, &session, &grant, &grant.scopes, refresh, true).await
    }

    /// `refresh_token`: every use rotates. A rotated token coming back within the grace window
    /// is refused quietly (two tabs raced); later, it revokes its grant — and nothing else.
    pub async fn refresh_grant(
        &self,
        project: &Project,
        client: &OAuthClient,
        token: &str,
        scope: Option<&str>,
        caller: &Caller,
    ) -> Result<TokenSet> {
        let refused = || invalid_grant("Refresh token invalid, expired or revoked");
        let (grant_id, secret) = parse_refresh(token).ok_or_else(refused)?;
        let session = self.inner.store.session(&project.id, grant_id).await?.ok_or_else(refused)?;
        if session.client_id.as_deref() != Some(client.client_id.as_str()) {
            return Err(refused());
        }
        let now = self.now();
        let hash = key_hash(secret);
        if session.revoked_at.is_some() || session.expires_at <= now {
            return Err(refused());
        }
        if !constant_time_eq(&hash, &session.refresh_jti) {
            if let Some(rotated_at) = self.inner.store.used_refresh(&session.id, &hash).await?
                && now - rotated_at > REUSE_GRACE
            {
                self.inner.store.revoke_session(&session.id, now).await?;
                tracing::warn!(grant = %session.id, "rotated refresh token replayed; grant revoked");
                self.audit(project, Event::new("RefreshReuseDetected", caller).user(&session.user_id).failed()).await;
            }
            return Err(refused());
        }
        let grant = grant_of(&session).ok_or_else(refused)?;
        let scopes = match scope.map(str::split_whitespace) {
            Some(asked) => {
                let asked: Vec<String> = asked.map(str::to_string).collect();
                if let Some(extra) = asked.iter().find(|s| !grant.scopes.contains(s)) {
                    return Err(Error::new(Code::InvalidScope, format!("scope '{extra}' was not granted")));
                }
                asked
            }
            None => grant.scopes.clone(),
        };
        let user = self.grant_user(project, &session.user_id).await?;
        let next = random_id("", 43);
        if !self.inner.store.rotate_grant(&session.id, &hash, &key_hash(&next), now).await? {
            return Err(refused());
        }
        self.audit(
            project,
            Event::new("TokenRefreshed", caller).user(&user.id).data(json!({"client": client.client_id})),
        )
        .await;
        self.token_set(project, client, &user, &session, &grant, &scopes, Some(next), false).await
    }

    /// `client_credentials`: a token for the client itself (confidential clients only).
    pub async fn client_credentials(
        &self,
        project: &Project,
        client: &OAuthClient,
        scope: Option<&str>,
    ) -> Result<TokenSet> {
        if client.public {
            return Err(Error::new(Code::UnauthorizedClient, "public clients cannot use client_credentials"));
        }
        let scopes: Vec<String> = scope.unwrap_or_default().split_whitespace().map(str::to_string).collect();
        let now = self.now();
        let ttl = self.inner.policy.session_ttl;
        let mut claims = self.base_claims(client, &client.client_id, now, ttl);
        claims.insert("scopes".into(), json!(scopes));
        claims.insert("scope".into(), json!(scopes.join(" ")));
        if let Some(org) = &client.organization_id {
            claims.insert("oid".into(), json!(org));
        }
        Ok(TokenSet {
            access_token: self.sign(project, &claims).await?,
            token_type: "Bearer",
            expires_in: ttl,
            scope: scopes.join(" "),
            refresh_token: None,
            id_token: None,
        })
    }

    /// RFC 7009: revoking a refresh or access token ends its grant. Unknown tokens are not an error.
    pub async fn revoke_oauth_token(&self, project: &Project, client: &OAuthClient, token: &str) -> Result<()> {
        let grant_id = match parse_refresh(token) {
            Some((id, _)) => Some(id.to_string()),
            None => self.verify_access_token(project, token).await.ok().and_then(|c| text_claim(&c, "sid")),
        };
        if let Some(id) = grant_id
            && let Some(session) = self.inner.store.session(&project.id, &id).await?
            && session.client_id.as_deref() == Some(client.client_id.as_str())
        {
            self.inner.store.revoke_session(&session.id, self.now()).await?;
        }
        Ok(())
    }

    /// RFC 7662: the token's claims if it is active (signature, expiry, and its grant still live).
    pub async fn introspect(&self, project: &Project, token: &str) -> Result<Option<Map<String, Value>>> {
        if let Some((id, secret)) = parse_refresh(token) {
            let Some(session) = self.inner.store.session(&project.id, id).await? else { return Ok(None) };
            let live = session.revoked_at.is_none()
                && session.expires_at > self.now()
                && constant_time_eq(&key_hash(secret), &session.refresh_jti);
            let grant = grant_of(&session).filter(|_| live);
            return Ok(grant.map(|grant| {
                let mut claims = Map::new();
                claims.insert("token_type".into(), json!("refresh_token"));
                claims.insert("client_id".into(), json!(session.client_id));
                claims.insert("sub".into(), json!(session.user_id));
                claims.insert("scope".into(), json!(grant.scopes.join(" ")));
                claims.insert("exp".into(), json!(session.expires_at));
                claims.insert("iss".into(), json!(self.oidc_issuer()));
                claims
            }));
        }
        let Ok(mut claims) = self.verify_access_token(project, token).await else { return Ok(None) };
        if !self.grant_is_live(project, &claims).await? {
            return Ok(None);
        }
        claims.insert("token_type".into(), json!("access_token"));
        Ok(Some(claims))
    }

    /// OpenID userinfo for a live access token of a user.
    pub async fn userinfo(&self, project: &Project, token: &str) -> Result<Map<String, Value>> {
        let refused = || Error::new(Code::Unauthenticated, "The access token is invalid, expired or revoked");
        let claims = self.verify_access_token(project, token).await.map_err(|_| refused())?;
        if !self.grant_is_live(project, &claims).await? {
            return Err(refused());
        }
        let sub = text_claim(&claims, "sub").unwrap_or_default();
        let user = self.inner.store.user(&project.id, &sub).await?.ok_or_else(refused)?;
        let scopes: Vec<String> =
            claims.get("scopes").and_then(|s| serde_json::from_value(s.clone()).ok()).unwrap_or_default();
        Ok(user_claims(&user, &scopes))
    }

    /// Where RP-initiated logout may send the browser: the client comes from `client_id` or the
    /// hint's audience (an expired but genuine hint is fine), and the URI must be registered.
    pub async fn logout_redirect(
        &self,
        project: &Project,
        id_token_hint: Option<&str>,
        client_id: Option<&str>,
        post_logout_redirect_uri: &str,
    ) -> Result<String> {
        let hinted = match id_token_hint {
            Some(hint) => Some(
                self.verify_signature_only(project, hint)
                    .await
                    .map_err(|_| Error::invalid("id_token_hint", "is not an ID token issued here"))?,
            ),
            None => None,
        };
        let client_id = client_id
            .map(str::to_string)
            .or_else(|| hinted.as_ref().and_then(|c| text_claim(c, "aud")))
            .ok_or_else(|| Error::missing("client_id"))?;
        let client = self.client(project, &client_id).await?;
        if !client.post_logout_redirect_uris.iter().any(|u| u == post_logout_redirect_uri) {
            return Err(Error::invalid("post_logout_redirect_uri", "is not registered for this application"));
        }
        Ok(post_logout_redirect_uri.to_string())
    }

    async fn grant_user(&self, project: &Project, user_id: &str) -> Result<UserRow> {
        match self.inner.store.user(&project.id, user_id).await? {
            Some(user) if user.status != "disabled" => Ok(user),
            _ => Err(invalid_grant("The user is disabled or gone")),
        }
    }

    /// An access token of a user grant is live while its grant is; client tokens have no grant.
    async fn grant_is_live(&self, project: &Project, claims: &Map<String, Value>) -> Result<bool> {
        let Some(grant_id) = text_claim(claims, "sid") else { return Ok(true) };
        let session = self.inner.store.session(&project.id, &grant_id).await?;
        Ok(session.is_some_and(|s| s.revoked_at.is_none() && s.expires_at > self.now()))
    }

    async fn verify_access_token(&self, project: &Project, token: &str) -> Result<Claims> {
        let refused = || Error::new(Code::Unauthenticated, "The access token is invalid, expired or revoked");
        let claims = self.verify_token(project, token).await.map_err(|_| refused())?;
        let from_here = text_claim(&claims, "iss").as_deref() == Some(self.oidc_issuer().as_str());
        if !from_here || claims.get("client_id").is_none() || claims.get("nonce").is_some() {
            return Err(refused());
        }
        Ok(claims)
    }

    /// A token signed here, whatever its expiry (logout hints are often stale).
    async fn verify_signature_only(&self, project: &Project, token: &str) -> Result<Claims> {
        let keys = self.project_keys(&project.id, false).await?;
        latchkey_jose::verify(token, |kid| keys.verifying_key(kid), 0, i64::MAX / 4)
            .map_err(|_| Error::new(Code::Unauthenticated, "not a token issued here"))
            .and_then(|claims| {
                let from_here = text_claim(&claims, "iss").as_deref() == Some(self.oidc_issuer().as_str());
                if from_here { Ok(claims) } else { Err(Error::new(Code::Unauthenticated, "not a token issued here")) }
            })
    }

    fn base_claims(&self, client: &OAuthClient, sub: &str, now: i64, ttl: i64) -> Map<String, Value> {
        let mut claims = Map::new();
        claims.insert("iss".into(), json!(self.oidc_issuer()));
        claims.insert("sub".into(), json!(sub));
        claims.insert("aud".into(), json!([client.client_id]));
        claims.insert("client_id".into(), json!(client.client_id));
        claims.insert("jti".into(), json!(random_id("", 22)));
        claims.insert("iat".into(), json!(now));
        claims.insert("nbf".into(), json!(now));
        claims.insert("exp".into(), json!(now + ttl));
        claims
    }

    #[allow(clippy::too_many_arguments)]
    async fn token_set(
        &self,
        project: &Project,
        client: &OAuthClient,
        user: &UserRow,
        session: &SessionRow,
        grant: &GrantData,
        scopes: &[String],
        refresh_secret: Option<String>,
        with_nonce: bool,
    ) -> Result<TokenSet> {
        let now = self.now();
        let ttl = self.inner.policy.session_ttl;
        let mut claims = self.base_claims(client, &user.id, now, ttl);
        claims.extend(self.authorization_claims(project, user).await?);
        claims.insert("sid".into(), json!(session.id));
        claims.insert("scopes".into(), json!(scopes));
        claims.insert("scope".into(), json!(scopes.join(" ")));
        claims.insert("amr".into(), json!(grant.amr));
        if let Some(org) = &grant.organization_id {
            claims.insert("oid".into(), json!(org));
        }
        let access_token = self.sign(project, &claims).await?;
        let id_token = if scopes.iter().any(|s| s == "openid") {
            let keys = self.project_keys(&project.id, false).await?;
            let mut id = user_claims(user, scopes);
            id.insert("iss".into(), json!(self.oidc_issuer()));
            id.insert("aud".into(), json!(client.client_id));
            id.insert("iat".into(), json!(now));
            id.insert("exp".into(), json!(now + ttl));
            id.insert("auth_time".into(), json!(grant.auth_time));
            id.insert("sid".into(), json!(session.id));
            id.insert("amr".into(), json!(grant.amr));
            id.insert("at_hash".into(), json!(at_hash(keys.active(now).alg(), &access_token)));
            if let Some(org) = &grant.organization_id {
                id.insert("oid".into(), json!(org));
            }
            if let Some(nonce) = grant.nonce.as_ref().filter(|_| with_nonce) {
                id.insert("nonce".into(), json!(nonce));
            }
            Some(latchkey_jose::sign(keys.active(now), &id))
        } else {
            None
        };
        Ok(TokenSet {
            access_token,
            token_type: "Bearer",
            expires_in: ttl,
            scope: scopes.join(" "),
            refresh_token: refresh_secret.map(|secret| format!("{REFRESH_PREFIX}{}_{secret}", session.id)),
            id_token,
        })
    }
}

fn text_claim(claims: &Map<String, Value>, name: &str) -> Option<String> {
    match claims.get(name)? {
        Value::String(s) => Some(s.clone()),
        Value::Array(items) => items.first().and_then(Value::as_str).map(str::to_string),
        _ => None,
    }
}

/// The standard claims of a user that the granted scopes allow.
fn user_claims(user: &UserRow, scopes: &[String]) -> Map<String, Value> {
    let has = |scope: &str| scopes.iter().any(|s| s == scope);
    let mut claims = Map::new();
    claims.insert("sub".into(), json!(user.id));
    if has("email") {
        claims.insert("email".into(), json!(user.email));
        claims.insert("email_verified".into(), json!(user.verified_email));
    }
    if has("phone") {
        claims.insert("phone_number".into(), json!(user.phone));
        claims.insert("phone_number_verified".into(), json!(user.verified_phone));
    }
    if has("profile") {
        claims.insert("name".into(), json!(user.name));
        claims.insert("given_name".into(), json!(user.given_name));
        claims.insert("family_name".into(), json!(user.family_name));
        claims.insert("picture".into(), json!(user.picture));
        claims.insert("preferred_username".into(), json!(user.login_ids.first()));
        claims.insert("updated_at".into(), json!(user.updated_at));
    }
    claims.retain(|_, v| !v.is_null());
    claims
}

/// OIDC `at_hash`: the left half of the access token's hash with the signature's hash function.
fn at_hash(alg: Algorithm, access_token: &str) -> String {
    let digest_alg = match alg {
        Algorithm::EdDSA => &aws_lc_rs::digest::SHA512,
        _ => &aws_lc_rs::digest::SHA256,
    };
    let digest = aws_lc_rs::digest::digest(digest_alg, access_token.as_bytes());
    b64url(&digest.as_ref()[..digest.as_ref().len() / 2])
}
