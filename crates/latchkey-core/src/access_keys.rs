//! Access keys: machine credentials exchanged for a session JWT. The secret is shown once at
//! creation and stored as a SHA-256 hash.

use latchkey_store::{AccessKeyRow, UserTenantRow};
use serde_json::{Map, Value, json};

use crate::audit::Event;
use crate::secrets::{key_hash, random_id};
use crate::{Caller, Code, Core, Error, Project, Result};

#[derive(Debug, Clone, Default)]
pub struct NewAccessKey {
    pub name: String,
    pub description: String,
    pub expires_at: i64,
    pub roles: Vec<String>,
    pub tenants: Vec<UserTenantRow>,
    pub custom_claims: Map<String, Value>,
    pub permitted_ips: Vec<String>,
    pub user_id: Option<String>,
}

#[derive(Debug, Clone)]
pub struct CreatedAccessKey {
    pub key: AccessKeyRow,
    /// `<keyId><secret>`-free cleartext: shown once, never stored.
    pub cleartext: String,
}

fn tenants_json(tenants: &[UserTenantRow]) -> String {
    json!(tenants.iter().map(|t| json!({"tenantId": t.tenant_id, "roleNames": t.roles})).collect::<Vec<_>>())
        .to_string()
}

impl Core {
    pub async fn create_access_key(
        &self,
        project: &Project,
        new: NewAccessKey,
        caller: &Caller,
    ) -> Result<CreatedAccessKey> {
        if new.name.trim().is_empty() {
            return Err(Error::missing("name"));
        }
        for tenant in &new.tenants {
            self.tenant(project, &tenant.tenant_id).await?;
        }
        let id = random_id("K", 27);
        let cleartext = random_id("", 48);
        let key = AccessKeyRow {
            id: id.clone(),
            project_id: project.id.clone(),
            name: new.name,
            description: new.description,
            key_hash: key_hash(&cleartext),
            status: "active".into(),
            roles: json!(new.roles).to_string(),
            tenants: tenants_json(&new.tenants),
            custom_claims: Value::Object(new.custom_claims).to_string(),
            permitted_ips: json!(new.permitted_ips).to_string(),
            user_id: new.user_id,
            expires_at: new.expires_at,
            created_at: self.now(),
        };
        self.inner.store.insert_access_key(&key).await?;
        self.audit(project, Event::new("AccessKeyCreated", caller).data(json!({"keyId": id}))).await;
        Ok(CreatedAccessKey { key, cleartext })
    }

    /// Exchanges an access key for a session JWT carrying its roles and claims.
    pub async fn exchange_access_key(
        &self,
        project: &Project,
        cleartext: &str,
        nsec: Map<String, Value>,
        caller: &Caller,
    ) -> Result<(String, AccessKeyRow)> {
        let refused = || Error::new(Code::BadAccessKey, "Access key invalid, expired or inactive");
        if cleartext.is_empty() {
            return Err(refused());
        }
        let key = self.inner.store.access_key_by_hash(&project.id, &key_hash(cleartext)).await?.ok_or_else(refused)?;
        let now = self.now();
        if key.status != "active" || (key.expires_at > 0 && key.expires_at <= now) {
            return Err(refused());
        }
        let permitted: Vec<String> = serde_json::from_str(&key.permitted_ips).unwrap_or_default();
        if !permitted.is_empty() && !caller.ip.as_ref().is_some_and(|ip| permitted.contains(ip)) {
            self.audit(project, Event::new("AccessKeyExchangeFailed", caller).actor(&key.id).failed()).await;
            return Err(refused());
        }
        let roles: Value = serde_json::from_str(&key.roles).unwrap_or(json!([]));
        let tenants: Vec<Value> = serde_json::from_str(&key.tenants).unwrap_or_default();
        let mut authorization = Map::new();
        authorization.insert("roles".into(), roles);
        authorization.insert("permissions".into(), json!([]));
        authorization.insert(
            "tenants".into(),
            Value::Object(
                tenants
                    .iter()
                    .map(|t| {
                        (
                            t["tenantId"].as_str().unwrap_or_default().to_string(),
                            json!({"roles": t["roleNames"], "permissions": []}),
                        )
                    })
                    .collect(),
            ),
        );
        let key_claims: Map<String, Value> = serde_json::from_str(&key.custom_claims).unwrap_or_default();
        let jwt = self.access_key_jwt(project, &key.id, authorization, key_claims, nsec).await?;
        self.audit(project, Event::new("AccessKeyExchanged", caller).actor(&key.id)).await;
        Ok((jwt, key))
    }
}
