//! Access keys: machine credentials exchanged for a session JWT. The secret is shown once at
//! creation and stored as a SHA-256 hash.

use latchkey_store::{AccessKeyRow, UserTenantRow};
use std::net::IpAddr;

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

/// Whether `ip` matches a permitted entry: an address or a CIDR block (`10.0.0.0/8`).
fn ip_permitted(ip: IpAddr, entry: &str) -> bool {
    let (address, prefix) = match entry.split_once('/') {
        Some((address, prefix)) => (address, prefix.parse::<u32>().ok()),
        None => (entry, None),
    };
    let Ok(network) = address.trim().parse::<IpAddr>() else { return false };
    let bits = |ip: IpAddr| -> (u128, u32) {
        match ip {
            IpAddr::V4(v4) => (u128::from(u32::from(v4)) << 96, 32),
            IpAddr::V6(v6) => (u128::from(v6), 128),
        }
    };
    let ((a, width), (b, other_width)) = (bits(ip), bits(network));
    let prefix = prefix.unwrap_or(width).min(width);
    width == other_width && (prefix == 0 || (a ^ b) >> (128 - prefix) == 0)
}

/// The tenants of a key, as stored (`[{"tenantId","roleNames"}]`).
fn memberships_of(tenants_json: &str) -> Vec<UserTenantRow> {
    let tenants: Vec<Value> = serde_json::from_str(tenants_json).unwrap_or_default();
    tenants
        .iter()
        .map(|t| UserTenantRow {
            tenant_id: t["tenantId"].as_str().unwrap_or_default().to_string(),
            roles: serde_json::from_value(t["roleNames"].clone()).unwrap_or_default(),
        })
        .collect()
}

/// Refuses entries that are neither an IP address nor a CIDR block.
fn check_permitted_ips(ips: &[String]) -> Result<()> {
    for entry in ips {
        let (address, prefix) = entry.split_once('/').unwrap_or((entry, "0"));
        if address.trim().parse::<IpAddr>().is_err() || prefix.parse::<u8>().is_err() {
            return Err(Error::invalid(
                "permittedIps",
                &format!("has {entry:?}, which is not an IP address or CIDR block"),
            ));
        }
    }
    Ok(())
}

fn check_key_name(name: &str) -> Result<()> {
    if name.trim().is_empty() {
        return Err(Error::missing("name"));
    }
    if name.len() > 256 {
        return Err(Error::invalid("name", "is too long (at most 256 characters)"));
    }
    Ok(())
}

fn key_not_found() -> Error {
    Error::new(Code::AccessKeyNotFound, "Access key not found")
}

/// Changes to an access key; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct AccessKeyUpdate {
    pub name: String,
    pub description: Option<String>,
    pub custom_claims: Option<Map<String, Value>>,
    pub permitted_ips: Option<Vec<String>>,
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
        check_key_name(&new.name)?;
        for tenant in &new.tenants {
            self.tenant(project, &tenant.tenant_id).await?;
        }
        check_permitted_ips(&new.permitted_ips)?;
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
        let from = caller.ip.as_deref().and_then(|ip| ip.parse::<IpAddr>().ok());
        if !permitted.is_empty() && !from.is_some_and(|ip| permitted.iter().any(|entry| ip_permitted(ip, entry))) {
            self.audit(project, Event::new("AccessKeyExchangeFailed", caller).actor(&key.id).failed()).await;
            return Err(refused());
        }
        // A key bound to a user acts with that user's roles; otherwise with its own.
        let (roles, memberships) = match key.user_id.as_deref() {
            Some(user_id) => {
                let user = self.user_by_id(project, user_id).await?;
                (user.roles, user.tenants)
            }
            None => (serde_json::from_str(&key.roles).unwrap_or_default(), memberships_of(&key.tenants)),
        };
        let authorization = self.grant_claims(project, &roles, &memberships).await?;
        let key_claims: Map<String, Value> = serde_json::from_str(&key.custom_claims).unwrap_or_default();
        let jwt = self.access_key_jwt(project, &key.id, authorization, key_claims, nsec).await?;
        self.audit(project, Event::new("AccessKeyExchanged", caller).actor(&key.id)).await;
        Ok((jwt, key))
    }
}

impl Core {
    pub async fn access_key(&self, project: &Project, id: &str) -> Result<AccessKeyRow> {
        self.inner.store.access_key(&project.id, id).await?.ok_or_else(key_not_found)
    }

    /// Keys of the given tenants (all keys when `tenant_ids` is empty), optionally of one bound user.
    pub async fn search_access_keys(
        &self,
        project: &Project,
        tenant_ids: &[String],
        bound_user_id: Option<&str>,
    ) -> Result<Vec<AccessKeyRow>> {
        let keys = self.inner.store.access_keys(&project.id).await?;
        Ok(keys
            .into_iter()
            .filter(|k| {
                let tenants: Vec<Value> = serde_json::from_str(&k.tenants).unwrap_or_default();
                let in_tenant = tenant_ids.is_empty()
                    || tenants.iter().any(|t| tenant_ids.iter().any(|id| t["tenantId"] == json!(id)));
                in_tenant && bound_user_id.is_none_or(|user| k.user_id.as_deref() == Some(user))
            })
            .collect())
    }

    pub async fn update_access_key(
        &self,
        project: &Project,
        id: &str,
        update: AccessKeyUpdate,
        caller: &Caller,
    ) -> Result<AccessKeyRow> {
        check_key_name(&update.name)?;
        let mut key = self.access_key(project, id).await?;
        key.name = update.name;
        if let Some(description) = update.description {
            key.description = description;
        }
        if let Some(claims) = update.custom_claims {
            key.custom_claims = Value::Object(claims).to_string();
        }
        if let Some(ips) = update.permitted_ips {
            check_permitted_ips(&ips)?;
            key.permitted_ips = json!(ips).to_string();
        }
        self.inner.store.update_access_key(&key).await?;
        self.audit(project, Event::new("AccessKeyUpdated", caller).data(json!({"keyId": id}))).await;
        Ok(key)
    }

    /// Activates (`true`) or deactivates an access key; a deactivated key is refused at exchange.
    pub async fn set_access_key_active(
        &self,
        project: &Project,
        id: &str,
        active: bool,
        caller: &Caller,
    ) -> Result<()> {
        let mut key = self.access_key(project, id).await?;
        key.status = if active { "active" } else { "inactive" }.into();
        self.inner.store.update_access_key(&key).await?;
        let action = if active { "AccessKeyActivated" } else { "AccessKeyDeactivated" };
        self.audit(project, Event::new(action, caller).data(json!({"keyId": id}))).await;
        Ok(())
    }

    pub async fn delete_access_key(&self, project: &Project, id: &str, caller: &Caller) -> Result<()> {
        if !self.inner.store.delete_access_key(&project.id, id).await? {
            return Err(key_not_found());
        }
        self.audit(project, Event::new("AccessKeyDeleted", caller).data(json!({"keyId": id}))).await;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permitted_ips_match_addresses_and_cidr_blocks() {
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        assert!(ip_permitted(ip("127.0.0.1"), "127.0.0.1"));
        assert!(!ip_permitted(ip("127.0.0.1"), "10.0.0.1"));
        assert!(ip_permitted(ip("10.1.2.3"), "10.0.0.0/8"));
        assert!(!ip_permitted(ip("11.1.2.3"), "10.0.0.0/8"));
        assert!(ip_permitted(ip("::1"), "::1/128"));
        assert!(!ip_permitted(ip("::1"), "127.0.0.1"));
        assert!(!ip_permitted(ip("127.0.0.1"), "not-an-ip"));
    }
}
