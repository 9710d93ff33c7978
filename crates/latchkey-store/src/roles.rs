use crate::{Result, Store, conflict};

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct PermissionRow {
    pub project_id: String,
    pub name: String,
    pub description: String,
    pub created_at: i64,
}

/// A role; `tenant_id` is empty for a project-wide role.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RoleRow {
    pub project_id: String,
    pub tenant_id: String,
    pub name: String,
    pub description: String,
    pub permissions: Vec<String>,
    pub created_at: i64,
}

type RoleTuple = (String, String, String, String, String, i64);

fn role_from(t: RoleTuple) -> RoleRow {
    RoleRow {
        project_id: t.0,
        tenant_id: t.1,
        name: t.2,
        description: t.3,
        permissions: serde_json::from_str(&t.4).unwrap_or_default(),
        created_at: t.5,
    }
}

impl Store {
    pub async fn insert_permission(&self, p: &PermissionRow) -> Result<()> {
        sqlx::query("INSERT INTO permissions (project_id, name, description, created_at) VALUES ($1, $2, $3, $4)")
            .bind(&p.project_id)
            .bind(&p.name)
            .bind(&p.description)
            .bind(p.created_at)
            .execute(&self.pool)
            .await
            .map_err(conflict("permission"))?;
        Ok(())
    }

    /// Renames and redescribes a permission, and renames it inside every role. False if unknown.
    pub async fn update_permission(
        &self,
        project_id: &str,
        name: &str,
        new_name: &str,
        description: &str,
    ) -> Result<bool> {
        let updated =
            sqlx::query("UPDATE permissions SET name = $1, description = $2 WHERE project_id = $3 AND name = $4")
                .bind(new_name)
                .bind(description)
                .bind(project_id)
                .bind(name)
                .execute(&self.pool)
                .await
                .map_err(conflict("permission"))?
                .rows_affected();
        if updated == 1 && name != new_name {
            self.rename_in_roles(project_id, name, Some(new_name)).await?;
        }
        Ok(updated == 1)
    }

    /// Deletes a permission and takes it out of every role.
    pub async fn delete_permission(&self, project_id: &str, name: &str) -> Result<bool> {
        let deleted = sqlx::query("DELETE FROM permissions WHERE project_id = $1 AND name = $2")
            .bind(project_id)
            .bind(name)
            .execute(&self.pool)
            .await?
            .rows_affected();
        self.rename_in_roles(project_id, name, None).await?;
        Ok(deleted == 1)
    }

    async fn rename_in_roles(&self, project_id: &str, name: &str, new_name: Option<&str>) -> Result<()> {
        for mut role in self.roles(project_id).await? {
            if role.permissions.iter().any(|p| p == name) {
                role.permissions = role
                    .permissions
                    .iter()
                    .filter_map(|p| if p == name { new_name.map(str::to_string) } else { Some(p.clone()) })
                    .collect();
                self.update_role(&role.tenant_id, &role.name, &role).await?;
            }
        }
        Ok(())
    }

    pub async fn permissions(&self, project_id: &str) -> Result<Vec<PermissionRow>> {
        Ok(sqlx::query_as(
            "SELECT project_id, name, description, created_at FROM permissions WHERE project_id = $1 ORDER BY name",
        )
        .bind(project_id)
        .fetch_all(&self.pool)
        .await?)
    }

    pub async fn insert_role(&self, r: &RoleRow) -> Result<()> {
        sqlx::query(
            "INSERT INTO roles (project_id, tenant_id, name, description, permissions, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&r.project_id)
        .bind(&r.tenant_id)
        .bind(&r.name)
        .bind(&r.description)
        .bind(serde_json::to_string(&r.permissions).expect("json"))
        .bind(r.created_at)
        .execute(&self.pool)
        .await
        .map_err(conflict("role"))?;
        Ok(())
    }

    /// Replaces the role `(tenant_id, name)` with `r` (which may carry a new name). False if unknown.
    pub async fn update_role(&self, tenant_id: &str, name: &str, r: &RoleRow) -> Result<bool> {
        let updated = sqlx::query(
            "UPDATE roles SET name = $1, description = $2, permissions = $3 WHERE project_id = $4 AND tenant_id = $5 AND name = $6",
        )
        .bind(&r.name)
        .bind(&r.description)
        .bind(serde_json::to_string(&r.permissions).expect("json"))
        .bind(&r.project_id)
        .bind(tenant_id)
        .bind(name)
        .execute(&self.pool)
        .await
        .map_err(conflict("role"))?
        .rows_affected();
        Ok(updated == 1)
    }

    pub async fn delete_role(&self, project_id: &str, tenant_id: &str, name: &str) -> Result<bool> {
        let deleted = sqlx::query("DELETE FROM roles WHERE project_id = $1 AND tenant_id = $2 AND name = $3")
            .bind(project_id)
            .bind(tenant_id)
            .bind(name)
            .execute(&self.pool)
            .await?
            .rows_affected();
        Ok(deleted == 1)
    }

    /// Every role of the project, project-wide and tenant-scoped.
    pub async fn roles(&self, project_id: &str) -> Result<Vec<RoleRow>> {
        let rows: Vec<RoleTuple> = sqlx::query_as(
            "SELECT project_id, tenant_id, name, description, permissions, created_at FROM roles WHERE project_id = $1 \
             ORDER BY tenant_id, name",
        )
        .bind(project_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(role_from).collect())
    }
}

impl Store {
    /// Renames (or, with `None`, removes) a role in every user that holds it: in project roles
    /// when `tenant_id` is empty, else in that tenant's memberships.
    pub async fn rename_role_in_users(
        &self,
        project_id: &str,
        tenant_id: &str,
        name: &str,
        new_name: Option<&str>,
    ) -> Result<()> {
        let pattern = format!("%{}%", serde_json::to_string(name).expect("json"));
        let rewrite = |roles: &str| -> String {
            let roles: Vec<String> = serde_json::from_str(roles).unwrap_or_default();
            let renamed: Vec<String> = roles
                .into_iter()
                .filter_map(|r| if r == name { new_name.map(str::to_string) } else { Some(r) })
                .collect();
            serde_json::to_string(&renamed).expect("json")
        };
        let mut tx = self.pool.begin().await?;
        if tenant_id.is_empty() {
            let rows: Vec<(String, String)> =
                sqlx::query_as("SELECT id, roles FROM users WHERE project_id = $1 AND roles LIKE $2")
                    .bind(project_id)
                    .bind(&pattern)
                    .fetch_all(&mut *tx)
                    .await?;
            for (id, roles) in rows {
                sqlx::query("UPDATE users SET roles = $1 WHERE id = $2")
                    .bind(rewrite(&roles))
                    .bind(&id)
                    .execute(&mut *tx)
                    .await?;
            }
        } else {
            let rows: Vec<(String, String)> = sqlx::query_as(
                "SELECT user_id, roles FROM user_tenants WHERE project_id = $1 AND tenant_id = $2 AND roles LIKE $3",
            )
            .bind(project_id)
            .bind(tenant_id)
            .bind(&pattern)
            .fetch_all(&mut *tx)
            .await?;
            for (user_id, roles) in rows {
                sqlx::query("UPDATE user_tenants SET roles = $1 WHERE user_id = $2 AND tenant_id = $3")
                    .bind(rewrite(&roles))
                    .bind(&user_id)
                    .bind(tenant_id)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }
}
