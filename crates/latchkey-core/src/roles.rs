//! Roles and permissions, and the effective permissions a user's roles grant.

use latchkey_store::{PermissionRow, RoleRow, UserRow, UserTenantRow};
use serde_json::{Map, Value, json};

use crate::audit::Event;
use crate::{Caller, Code, Core, Error, Project, Result};

/// A role as created or updated; `tenant_id` None or empty means project-wide.
#[derive(Debug, Clone, Default)]
pub struct NewRole {
    pub name: String,
    pub description: String,
    pub permissions: Vec<String>,
    pub tenant_id: Option<String>,
}

/// What a role search keeps; every given criterion must match.
#[derive(Debug, Clone, Default)]
pub struct RoleFilter {
    pub tenant_ids: Option<Vec<String>>,
    pub names: Option<Vec<String>>,
    pub name_like: Option<String>,
    pub permissions: Option<Vec<String>>,
    /// With `tenant_ids`: also keep project-wide roles.
    pub include_project_roles: bool,
}

impl RoleFilter {
    fn keeps(&self, role: &RoleRow) -> bool {
        let in_tenants = match &self.tenant_ids {
            Some(ids) => ids.contains(&role.tenant_id) || (self.include_project_roles && role.tenant_id.is_empty()),
            None => true,
        };
        let named = self.names.as_ref().is_none_or(|names| names.contains(&role.name));
        let like = self.name_like.as_ref().is_none_or(|like| role.name.to_lowercase().contains(&like.to_lowercase()));
        let grants = self.permissions.as_ref().is_none_or(|ps| ps.iter().all(|p| role.permissions.contains(p)));
        in_tenants && named && like && grants
    }
}

fn check_name(field: &str, name: &str) -> Result<()> {
    if name.trim().is_empty() {
        return Err(Error::missing(field));
    }
    if name.len() > 256 {
        return Err(Error::invalid(field, "is too long (at most 256 characters)"));
    }
    Ok(())
}

fn role_not_found() -> Error {
    Error::new(Code::RoleNotFound, "Role not found")
}

/// The permissions `role_names` grant in `tenant` ('' for project roles): a tenant's own role
/// of that name wins over the project role.
fn granted(roles: &[RoleRow], tenant: &str, role_names: &[String]) -> Vec<String> {
    let mut permissions: Vec<String> = role_names
        .iter()
        .filter_map(|name| {
            roles
                .iter()
                .find(|r| r.tenant_id == tenant && &r.name == name)
                .or_else(|| roles.iter().find(|r| r.tenant_id.is_empty() && &r.name == name))
        })
        .flat_map(|r| r.permissions.iter().cloned())
        .collect();
    permissions.sort();
    permissions.dedup();
    permissions
}

impl Core {
    pub async fn create_permission(
        &self,
        project: &Project,
        name: &str,
        description: &str,
        caller: &Caller,
    ) -> Result<()> {
        check_name("name", name)?;
        let row = PermissionRow {
            project_id: project.id.clone(),
            name: name.to_string(),
            description: description.to_string(),
            created_at: self.now(),
        };
        self.inner.store.insert_permission(&row).await?;
        self.audit(project, Event::new("PermissionCreated", caller).data(json!({"name": name}))).await;
        Ok(())
    }

    pub async fn update_permission(
        &self,
        project: &Project,
        name: &str,
        new_name: &str,
        description: &str,
        caller: &Caller,
    ) -> Result<()> {
        check_name("name", name)?;
        check_name("newName", new_name)?;
        if !self.inner.store.update_permission(&project.id, name, new_name, description).await? {
            return Err(Error::new(Code::PermissionNotFound, "Permission not found"));
        }
        self.audit(project, Event::new("PermissionUpdated", caller).data(json!({"name": name, "newName": new_name})))
            .await;
        Ok(())
    }

    pub async fn delete_permission(&self, project: &Project, name: &str, caller: &Caller) -> Result<()> {
        check_name("name", name)?;
        if !self.inner.store.delete_permission(&project.id, name).await? {
            return Err(Error::new(Code::PermissionNotFound, "Permission not found"));
        }
        self.audit(project, Event::new("PermissionDeleted", caller).data(json!({"name": name}))).await;
        Ok(())
    }

    pub async fn permissions(&self, project: &Project) -> Result<Vec<PermissionRow>> {
        Ok(self.inner.store.permissions(&project.id).await?)
    }

    /// Checks a role's permissions exist and its tenant exists; returns the row to store.
    async fn role_row(&self, project: &Project, role: NewRole) -> Result<RoleRow> {
        check_name("name", &role.name)?;
        let tenant_id = role.tenant_id.unwrap_or_default();
        if !tenant_id.is_empty() {
            self.tenant(project, &tenant_id).await?;
        }
        let known = self.inner.store.permissions(&project.id).await?;
        if let Some(missing) = role.permissions.iter().find(|p| !known.iter().any(|k| &k.name == *p)) {
            return Err(Error::new(Code::PermissionNotFound, format!("Permission '{missing}' does not exist")));
        }
        Ok(RoleRow {
            project_id: project.id.clone(),
            tenant_id,
            name: role.name,
            description: role.description,
            permissions: role.permissions,
            created_at: self.now(),
        })
    }

    pub async fn create_role(&self, project: &Project, role: NewRole, caller: &Caller) -> Result<()> {
        let row = self.role_row(project, role).await?;
        self.inner.store.insert_role(&row).await?;
        self.audit(
            project,
            Event::new("RoleCreated", caller).data(json!({"name": row.name, "tenantId": row.tenant_id})),
        )
        .await;
        Ok(())
    }

    /// Replaces role `name` (in `role.tenant_id`) with `role`, which may carry a new name.
    pub async fn update_role(&self, project: &Project, name: &str, role: NewRole, caller: &Caller) -> Result<()> {
        check_name("name", name)?;
        check_name("newName", &role.name)?;
        let row = self.role_row(project, role).await?;
        if !self.inner.store.update_role(&row.tenant_id, name, &row).await? {
            return Err(role_not_found());
        }
        if row.name != name {
            self.inner.store.rename_role_in_users(&project.id, &row.tenant_id, name, Some(&row.name)).await?;
        }
        self.audit(project, Event::new("RoleUpdated", caller).data(json!({"name": name, "newName": row.name}))).await;
        Ok(())
    }

    pub async fn delete_role(
        &self,
        project: &Project,
        name: &str,
        tenant_id: Option<&str>,
        caller: &Caller,
    ) -> Result<()> {
        check_name("name", name)?;
        let tenant_id = tenant_id.unwrap_or_default();
        if !self.inner.store.delete_role(&project.id, tenant_id, name).await? {
            return Err(role_not_found());
        }
        self.inner.store.rename_role_in_users(&project.id, tenant_id, name, None).await?;
        self.audit(project, Event::new("RoleDeleted", caller).data(json!({"name": name}))).await;
        Ok(())
    }

    pub async fn roles(&self, project: &Project) -> Result<Vec<RoleRow>> {
        Ok(self.inner.store.roles(&project.id).await?)
    }

    pub async fn search_roles(&self, project: &Project, filter: &RoleFilter) -> Result<Vec<RoleRow>> {
        Ok(self.inner.store.roles(&project.id).await?.into_iter().filter(|r| filter.keeps(r)).collect())
    }

    /// The RBAC claims of a user: project roles and permissions, and per tenant.
    pub(crate) async fn authorization_claims(&self, project: &Project, user: &UserRow) -> Result<Map<String, Value>> {
        self.grant_claims(project, &user.roles, &user.tenants).await
    }

    /// `roles`, `permissions` and `tenants` claims for project roles and tenant memberships.
    pub(crate) async fn grant_claims(
        &self,
        project: &Project,
        role_names: &[String],
        memberships: &[UserTenantRow],
    ) -> Result<Map<String, Value>> {
        let roles = self.inner.store.roles(&project.id).await?;
        let tenants: Map<String, Value> = memberships
            .iter()
            .map(|t| {
                (t.tenant_id.clone(), json!({"roles": t.roles, "permissions": granted(&roles, &t.tenant_id, &t.roles)}))
            })
            .collect();
        let mut claims = Map::new();
        claims.insert("roles".into(), json!(role_names));
        claims.insert("permissions".into(), json!(granted(&roles, "", role_names)));
        claims.insert("tenants".into(), Value::Object(tenants));
        Ok(claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn role(tenant: &str, name: &str, permissions: &[&str]) -> RoleRow {
        RoleRow {
            tenant_id: tenant.into(),
            name: name.into(),
            permissions: permissions.iter().map(|p| p.to_string()).collect(),
            ..RoleRow::default()
        }
    }

    #[test]
    fn tenant_roles_override_project_roles_of_the_same_name() {
        let roles =
            [role("", "admin", &["read", "write"]), role("T1", "admin", &["read"]), role("", "viewer", &["read"])];
        let names = vec!["admin".to_string(), "viewer".to_string(), "unknown".to_string()];
        assert_eq!(granted(&roles, "", &names), ["read", "write"]);
        assert_eq!(granted(&roles, "T1", &names), ["read"]);
        assert_eq!(granted(&roles, "T2", &names[..1]), ["read", "write"]);
    }
}
