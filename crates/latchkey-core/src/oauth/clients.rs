//! OAuth clients: confidential (a secret, shown once and stored hashed) or public (PKCE instead).

use latchkey_store::OAuthClientRow;
use serde::Serialize;

use crate::secrets::{constant_time_eq, key_hash, random_id};
use crate::{Code, Core, Error, Project, Result};

#[derive(Debug, Clone, Serialize)]
pub struct OAuthClient {
    pub client_id: String,
    pub name: String,
    pub public: bool,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    /// Tokens of `client_credentials` carry it as `oid`.
    pub organization_id: Option<String>,
    pub created_at: i64,
}

impl OAuthClient {
    fn from_row(row: &OAuthClientRow) -> OAuthClient {
        let list = |text: &str| serde_json::from_str(text).unwrap_or_default();
        OAuthClient {
            client_id: row.id.clone(),
            name: row.name.clone(),
            public: row.secret_hash.is_none(),
            redirect_uris: list(&row.redirect_uris),
            post_logout_redirect_uris: list(&row.post_logout_redirect_uris),
            organization_id: row.organization_id.clone(),
            created_at: row.created_at,
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct NewClient {
    pub name: String,
    pub public: bool,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    pub organization_id: Option<String>,
}

/// What an update replaces; `None` keeps the current value.
#[derive(Debug, Clone, Default)]
pub struct ClientUpdate {
    pub name: Option<String>,
    pub redirect_uris: Option<Vec<String>>,
    pub post_logout_redirect_uris: Option<Vec<String>>,
}

/// A client and, for a confidential one, its secret: the only time it is shown.
#[derive(Debug, Clone)]
pub struct CreatedClient {
    pub client: OAuthClient,
    pub secret: Option<String>,
}

/// Redirect URIs are absolute http(s) URLs without a fragment (RFC 6749 3.1.2), compared exactly.
fn check_uris(field: &str, uris: &[String]) -> Result<()> {
    for uri in uris {
        let scheme_ok = uri.starts_with("https://") || uri.starts_with("http://");
        let host = uri.split_once("://").map(|(_, rest)| rest.split(['/', '?']).next().unwrap_or_default());
        if !scheme_ok || host.is_none_or(str::is_empty) || uri.contains('#') || uri.chars().any(char::is_whitespace) {
            return Err(Error::invalid(field, &format!("'{uri}' is not an absolute http(s) URL without a fragment")));
        }
    }
    Ok(())
}

fn new_secret() -> String {
    random_id("lks_", 43)
}

impl Core {
    pub async fn create_client(&self, project: &Project, new: NewClient) -> Result<CreatedClient> {
        if new.name.trim().is_empty() {
            return Err(Error::missing("name"));
        }
        check_uris("redirectUris", &new.redirect_uris)?;
        check_uris("postLogoutRedirectUris", &new.post_logout_redirect_uris)?;
        if let Some(org) = &new.organization_id {
            self.tenant(project, org).await?;
        }
        let secret = (!new.public).then(new_secret);
        let row = OAuthClientRow {
            id: random_id("lkc_", 24),
            project_id: project.id.clone(),
            name: new.name.trim().to_string(),
            secret_hash: secret.as_deref().map(key_hash),
            redirect_uris: serde_json::to_string(&new.redirect_uris).map_err(Error::internal)?,
            post_logout_redirect_uris: serde_json::to_string(&new.post_logout_redirect_uris)
                .map_err(Error::internal)?,
            organization_id: new.organization_id,
            created_at: self.now(),
        };
        self.inner.store.insert_client(&row).await?;
        Ok(CreatedClient { client: OAuthClient::from_row(&row), secret })
    }

    pub async fn client(&self, project: &Project, client_id: &str) -> Result<OAuthClient> {
        Ok(OAuthClient::from_row(&self.client_row(project, client_id).await?))
    }

    async fn client_row(&self, project: &Project, client_id: &str) -> Result<OAuthClientRow> {
        self.inner
            .store
            .client(&project.id, client_id)
            .await?
            .ok_or_else(|| Error::new(Code::ClientNotFound, format!("OAuth client '{client_id}' does not exist")))
    }

    pub async fn clients(&self, project: &Project) -> Result<Vec<OAuthClient>> {
        Ok(self.inner.store.clients(&project.id).await?.iter().map(OAuthClient::from_row).collect())
    }

    pub async fn update_client(&self, project: &Project, client_id: &str, update: ClientUpdate) -> Result<OAuthClient> {
        let mut row = self.client_row(project, client_id).await?;
        if let Some(name) = update.name.filter(|n| !n.trim().is_empty()) {
            row.name = name.trim().to_string();
        }
        if let Some(uris) = update.redirect_uris {
            check_uris("redirectUris", &uris)?;
            row.redirect_uris = serde_json::to_string(&uris).map_err(Error::internal)?;
        }
        if let Some(uris) = update.post_logout_redirect_uris {
            check_uris("postLogoutRedirectUris", &uris)?;
            row.post_logout_redirect_uris = serde_json::to_string(&uris).map_err(Error::internal)?;
        }
        self.inner.store.update_client(&row).await?;
        Ok(OAuthClient::from_row(&row))
    }

    /// A new secret for a confidential client; the old one stops working at once.
    pub async fn rotate_client_secret(&self, project: &Project, client_id: &str) -> Result<String> {
        let mut row = self.client_row(project, client_id).await?;
        if row.secret_hash.is_none() {
            return Err(Error::invalid("clientId", "is a public client: it has no secret"));
        }
        let secret = new_secret();
        row.secret_hash = Some(key_hash(&secret));
        self.inner.store.update_client(&row).await?;
        Ok(secret)
    }

    pub async fn delete_client(&self, project: &Project, client_id: &str) -> Result<()> {
        if !self.inner.store.delete_client(&project.id, client_id).await? {
            return Err(Error::new(Code::ClientNotFound, format!("OAuth client '{client_id}' does not exist")));
        }
        Ok(())
    }

    /// Authenticates a client at the token endpoints: a confidential client by its secret, a
    /// public one by its id alone (it must then not send a secret).
    pub async fn authenticate_client(
        &self,
        project: &Project,
        client_id: &str,
        secret: Option<&str>,
    ) -> Result<OAuthClient> {
        let refused = || Error::new(Code::InvalidClient, "Client authentication failed");
        if client_id.is_empty() {
            return Err(refused());
        }
        let row = self.inner.store.client(&project.id, client_id).await?.ok_or_else(refused)?;
        let authenticated = match (&row.secret_hash, secret) {
            (Some(hash), Some(secret)) => constant_time_eq(hash, &key_hash(secret)),
            (None, None) => true,
            _ => false,
        };
        if authenticated { Ok(OAuthClient::from_row(&row)) } else { Err(refused()) }
    }
}

#[cfg(test)]
mod tests {
    use super::check_uris;

    #[test]
    fn redirect_uris_must_be_absolute_without_fragment() {
        let ok = |uri: &str| check_uris("f", &[uri.to_string()]).is_ok();
        assert!(ok("https://app.example.com/cb") && ok("http://127.0.0.1:5000/auth/callback?x=1"));
        for bad in
            ["/cb", "app.example.com/cb", "javascript:alert(1)", "https:///cb", "https://a/cb#frag", "https://a/ b"]
        {
            assert!(!ok(bad), "{bad}");
        }
    }
}
