//! Tenants (Scalekit: organizations).

use latchkey_store::TenantRow;
use serde_json::json;

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
        if self.inner.store.tenants(&project.id).await?.iter().any(|t| t.name.eq_ignore_ascii_case(&name)) {
            return Err(Error::new(Code::TenantExists, "A tenant with this name already exists"));
        }
        let tenant = TenantRow {
            project_id: project.id.clone(),
            id,
            name,
            domains: new.domains,
            attributes: new.attributes.filter(|a| a.is_object()).unwrap_or_else(|| json!({})),
            enforce_sso: new.enforce_sso,
            disabled: new.disabled,
            created_at: self.now(),
        };
        self.inner.store.insert_tenant(&tenant).await?;
        self.audit(project, Event::new("TenantCreated", caller).data(json!({"tenantId": tenant.id}))).await;
        Ok(tenant)
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
        self.audit(project, Event::new("TenantDeleted", caller).data(json!({"tenantId": id, "cascade": cascade})))
            .await;
        Ok(())
    }
}
