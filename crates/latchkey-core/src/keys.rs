//! The signing keys of each project, loaded from the store and cached briefly, so a key
//! rotated by another server (or the CLI) is picked up within a second.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use latchkey_jose::{Algorithm, Jwk, SigningKey, VerifyingKey, b64url, b64url_decode};
use latchkey_store::SigningKeyRow;

use crate::{Core, Error, Result};

/// How long a server trusts its cached copy of a project's keys.
const CACHE_SECS: i64 = 1;
/// A rotated-in key is published this long before it signs, so every server (and every JWKS
/// answer) knows it before any token carries its kid. (+1: times are whole seconds.)
const ACTIVATION_DELAY_SECS: i64 = 2 * CACHE_SECS + 1;

pub(crate) struct ProjectKeys {
    /// Newest first, with the time each starts signing.
    signing: Vec<(i64, SigningKey)>,
    pub verifying: Vec<VerifyingKey>,
    pub jwks: Vec<Jwk>,
    loaded_at: i64,
}

impl ProjectKeys {
    /// The newest key already active at `now`.
    pub fn active(&self, now: i64) -> &SigningKey {
        let (_, key) = self
            .signing
            .iter()
            .find(|(from, _)| *from <= now)
            .unwrap_or_else(|| self.signing.last().expect("a project has keys"));
        key
    }

    pub fn verifying_key(&self, kid: &str) -> Option<&VerifyingKey> {
        self.verifying.iter().find(|k| k.kid() == kid)
    }
}

#[derive(Default)]
pub(crate) struct KeyRing {
    projects: RwLock<HashMap<String, Arc<ProjectKeys>>>,
}

impl Core {
    /// Generates a new signing key for the project. It is published at once and signs from a
    /// moment later; the previous keys stay published until the tokens they signed have expired.
    pub async fn rotate_signing_key(&self, project_id: &str, alg: Algorithm) -> Result<String> {
        self.add_signing_key(project_id, alg, ACTIVATION_DELAY_SECS).await
    }

    pub(crate) async fn add_signing_key(&self, project_id: &str, alg: Algorithm, activate_in: i64) -> Result<String> {
        let key = SigningKey::generate(alg).map_err(Error::internal)?;
        let sealed = self.inner.secrets.master.seal(key.kid(), &key.to_pkcs8());
        let row = SigningKeyRow {
            kid: key.kid().to_string(),
            project_id: project_id.to_string(),
            alg: alg.as_str().to_string(),
            sealed_key: b64url(&sealed),
            created_at: self.now() + activate_in,
            retired_at: None,
        };
        self.inner.store.add_signing_key(&row).await?;
        self.inner.keys.projects.write().expect("key cache").remove(project_id);
        Ok(row.kid)
    }

    pub(crate) async fn project_keys(&self, project_id: &str, force_reload: bool) -> Result<Arc<ProjectKeys>> {
        let now = self.now();
        let cached = self.inner.keys.projects.read().expect("key cache").get(project_id).cloned();
        if let Some(keys) = cached.filter(|keys| !force_reload && now - keys.loaded_at < CACHE_SECS) {
            return Ok(keys);
        }
        // Tokens live at most refresh_ttl, so keys retired longer ago than that verify nothing.
        let rows = self.inner.store.signing_keys(project_id, now - self.inner.policy.refresh_ttl).await?;
        let mut signing = Vec::new();
        for row in &rows {
            let alg = Algorithm::parse(&row.alg).ok_or_else(|| Error::internal(format!("unknown alg {}", row.alg)))?;
            let sealed = b64url_decode(&row.sealed_key).ok_or_else(|| Error::internal("sealed key is not base64"))?;
            let der = self.inner.secrets.master.open(&row.kid, &sealed).map_err(Error::internal)?;
            signing
                .push((row.created_at, SigningKey::from_pkcs8(row.kid.clone(), alg, &der).map_err(Error::internal)?));
        }
        if signing.is_empty() {
            return Err(Error::internal("project has no signing key"));
        }
        let jwks = signing.iter().map(|(_, k)| k.public_jwk()).collect();
        let verifying = signing.iter().map(|(_, k)| k.verifying_key()).collect();
        let keys = Arc::new(ProjectKeys { signing, verifying, jwks, loaded_at: now });
        self.inner.keys.projects.write().expect("key cache").insert(project_id.to_string(), keys.clone());
        Ok(keys)
    }

    /// The project's public keys, newest first.
    pub async fn jwks(&self, project_id: &str) -> Result<Vec<Jwk>> {
        Ok(self.project_keys(project_id, false).await?.jwks.clone())
    }
}
