//! Tenants (Scalekit: organizations).

use latchkey_store::{TenantRow, UserTenantRow};
use serde_json::{Map, Value, json};

use crate::audit::Event;
use crate::secrets::random_id;
use crate::{Caller, Code, Core, Error, Project, Result};

#[derive(Debug, Clone, Default)]
pub struct NewTenant {
    pub id: Option<String>,
    pub name: String,
    pub domains: Vec<String>,
    pub attributes: Option<serde_json::Value>,
    pub enforce_sso: bool,
    pub disabled: bool,
}

/// What a tenant search keeps; every given criterion must match, and within one, any value.
#[derive(Debug, Clone, Default)]
pub struct TenantFilter {
    pub ids: Vec<String>,
    pub names: Vec<String>,
    pub domains: Vec<String>,
    pub attributes: Map<String, Value>,
}

impl TenantFilter {
    fn keeps(&self, t: &TenantRow) -> bool {
        (self.ids.is_empty() || self.ids.contains(&t.id))
            && (self.names.is_empty() || self.names.iter().any(|n| n.eq_ignore_ascii_case(&t.name)))
            && (self.domains.is_empty()
                || t.domains.iter().any(|d| self.domains.iter().any(|w| w.eq_ignore_ascii_case(d))))
            && self.attributes.iter().all(|(key, wanted)| t.attributes.get(key) == Some(wanted))
    }
}

const UNITS: [(&str, i64); 4] = [("minutes", 60), ("hours", 3600), ("days", 86400), ("weeks", 604800)];

/// Checks a settings patch: known keys, whole positive amounts, known units. A value of the
/// wrong JSON type is malformed; a well-typed value out of range is invalid.
fn check_settings(patch: &Map<String, Value>) -> Result<()> {
    let malformed = |key: &str, kind: &str| Error::new(Code::MalformedRequest, format!("'{key}' must be {kind}"));
    for (key, value) in patch {
        match key.as_str() {
            "enabled" | "enableInactivity" | "JITDisabled" => {
                value.as_bool().ok_or_else(|| malformed(key, "true or false"))?;
            }
            "refreshTokenExpiration" | "sessionTokenExpiration" | "stepupTokenExpiration" | "inactivityTime" => {
                let amount = value.as_i64().ok_or_else(|| malformed(key, "a whole number"))?;
                if amount < 0 {
                    return Err(Error::invalid(key, "must not be negative"));
                }
            }
            k if k.ends_with("Unit") => {
                let unit = value.as_str().ok_or_else(|| malformed(key, "a string"))?;
                if !UNITS.iter().any(|(name, _)| *name == unit) {
                    return Err(Error::invalid(key, "must be minutes, hours, days or weeks"));
                }
            }
            "authType" | "domains" | "defaultRoles" => {}
            _ => return Err(Error::invalid(key, "is not a tenant setting")),
        }
    }
    Ok(())
}

/// Seconds of `amount` `unit` in a settings object, if both are set.
fn duration(settings: &Value, amount: &str, unit: &str) -> Option<i64> {
    let amount = settings.get(amount)?.as_i64().filter(|n| *n > 0)?;
    let unit = settings.get(unit)?.as_str()?;
    UNITS.iter().find(|(name, _)| *name == unit).map(|(_, secs)| amount * secs)
}

fn tenant_not_found() -> Error {
    Error::new(Code::TenantNotFound, "Tenant not found")
}

impl Core {
    pub async fn create_tenant(&self, project: &Project, new: NewTenant, caller: &Caller) -> Result<TenantRow> {
        let name = new.name.trim().to_string();
        if name.is_empty() {
            return Err(Error::missing("name"));
        }
        if name.len() > 256 {
            return Err(Error::invalid("name", "is too long (at most 256 characters)"));
        }
        let id = match new.id.filter(|id| !id.is_empty()) {
            Some(id) if id.len() <= 64 && id.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)) => id,
            Some(_) => {
                return Err(Error::invalid("id", "must be at most 64 letters, digits, '-', '_' or '.'"));
            }
            None => random_id("T", 27),
        };
        self.check_unique_name(project, &name, None).await?;
        let tenant = TenantRow {
            project_id: project.id.clone(),
            id,
            name,
            domains: new.domains,
            attributes: new.attributes.filter(|a| a.is_object()).unwrap_or_else(|| json!({})),
            enforce_sso: new.enforce_sso,
            disabled: new.disabled,
            created_at: self.now(),
            settings: json!({}),
        };
        self.inner.store.insert_tenant(&tenant).await?;
        self.audit(project, Event::new("TenantCreated", caller).tenant(&tenant.id)).await;
        Ok(tenant)
    }

    async fn check_unique_name(&self, project: &Project, name: &str, except: Option<&str>) -> Result<()> {
        let tenants = self.inner.store.tenants(&project.id).await?;
        if tenants.iter().any(|t| t.name.eq_ignore_ascii_case(name) && Some(t.id.as_str()) != except) {
            return Err(Error::new(Code::TenantExists, "A tenant with this name already exists"));
        }
        Ok(())
    }

    /// Replaces a tenant's name, domains, attributes and flags.
    pub async fn update_tenant(
        &self,
        project: &Project,
        id: &str,
        new: NewTenant,
        caller: &Caller,
    ) -> Result<TenantRow> {
        let name = new.name.trim().to_string();
        if name.is_empty() {
            return Err(Error::missing("name"));
        }
        if name.len() > 256 {
            return Err(Error::invalid("name", "is too long (at most 256 characters)"));
        }
        let mut tenant = self.tenant(project, id).await?;
        self.check_unique_name(project, &name, Some(id)).await?;
        tenant.name = name;
        tenant.domains = new.domains;
        tenant.attributes = new.attributes.filter(|a| a.is_object()).unwrap_or_else(|| json!({}));
        tenant.enforce_sso = new.enforce_sso;
        tenant.disabled = new.disabled;
        self.inner.store.update_tenant(&tenant).await?;
        self.audit(project, Event::new("TenantModified", caller).tenant(id)).await;
        Ok(tenant)
    }

    pub async fn search_tenants(&self, project: &Project, filter: &TenantFilter) -> Result<Vec<TenantRow>> {
        Ok(self.inner.store.tenants(&project.id).await?.into_iter().filter(|t| filter.keeps(t)).collect())
    }

    /// Merges `patch` into the tenant's session settings; `domains` and `enforce_sso` when given.
    pub async fn update_tenant_settings(
        &self,
        project: &Project,
        id: &str,
        patch: Map<String, Value>,
        domains: Option<Vec<String>>,
        enforce_sso: Option<bool>,
        caller: &Caller,
    ) -> Result<TenantRow> {
        check_settings(&patch)?;
        let mut tenant = self.tenant(project, id).await?;
        if !tenant.settings.is_object() {
            tenant.settings = json!({});
        }
        for (key, value) in patch {
            tenant.settings[key] = value;
        }
        tenant.domains = domains.unwrap_or(tenant.domains);
        tenant.enforce_sso = enforce_sso.unwrap_or(tenant.enforce_sso);
        self.inner.store.update_tenant(&tenant).await?;
        self.audit(project, Event::new("TenantModified", caller).tenant(id)).await;
        Ok(tenant)
    }

    /// The session lifetime a tenant sets for sessions that selected it, if it sets one.
    pub(crate) async fn tenant_session_ttl(&self, project: &Project, tenant_id: &str) -> Result<Option<i64>> {
        let Some(tenant) = self.inner.store.tenant(&project.id, tenant_id).await? else { return Ok(None) };
        if tenant.settings.get("enabled") != Some(&Value::Bool(true)) {
            return Ok(None);
        }
        Ok(duration(&tenant.settings, "sessionTokenExpiration", "sessionTokenExpirationUnit"))
    }

    /// The tenants whose self-provisioning domains include `email`'s domain.
    pub(crate) async fn self_provisioned_tenants(
        &self,
        project: &Project,
        email: Option<&str>,
    ) -> Result<Vec<UserTenantRow>> {
        let Some(domain) = email.and_then(|e| e.rsplit_once('@')).map(|(_, d)| d.to_lowercase()) else {
            return Ok(Vec::new());
        };
        let tenants = self.inner.store.tenants(&project.id).await?;
        Ok(tenants
            .into_iter()
            .filter(|t| t.domains.iter().any(|d| d.eq_ignore_ascii_case(&domain)))
            .map(|t| UserTenantRow { tenant_id: t.id, roles: Vec::new() })
            .collect())
    }

    pub async fn tenant(&self, project: &Project, id: &str) -> Result<TenantRow> {
        self.inner.store.tenant(&project.id, id).await?.ok_or_else(tenant_not_found)
    }

    pub async fn tenants(&self, project: &Project) -> Result<Vec<TenantRow>> {
        Ok(self.inner.store.tenants(&project.id).await?)
    }

    pub async fn delete_tenant(&self, project: &Project, id: &str, cascade: bool, caller: &Caller) -> Result<()> {
        if !self.inner.store.delete_tenant(&project.id, id, cascade).await? {
            return Err(tenant_not_found());
        }
        self.audit(project, Event::new("TenantDeleted", caller).tenant(id).data(json!({"cascade": cascade}))).await;
        Ok(())
    }
}
