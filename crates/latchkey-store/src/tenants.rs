use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{Result, Store, conflict, flag, trusted};

#[derive(Debug, Clone, Default)]
pub struct TenantRow {
    pub project_id: String,
    pub id: String,
    pub name: String,
    pub domains: Vec<String>,
    pub attributes: serde_json::Value,
    pub enforce_sso: bool,
    pub disabled: bool,
    pub created_at: i64,
    /// Session settings as a JSON object; their meaning belongs to core.
    pub settings: serde_json::Value,
}

fn tenant_from_row(row: &AnyRow) -> sqlx::Result<TenantRow> {
    Ok(TenantRow {
        project_id: row.try_get("project_id")?,
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        domains: serde_json::from_str(&row.try_get::<String, _>("domains")?).unwrap_or_default(),
        attributes: serde_json::from_str(&row.try_get::<String, _>("attributes")?).unwrap_or_default(),
        enforce_sso: row.try_get::<i64, _>("enforce_sso")? != 0,
        disabled: row.try_get::<i64, _>("disabled")? != 0,
        created_at: row.try_get("created_at")?,
        settings: serde_json::from_str(&row.try_get::<String, _>("settings")?).unwrap_or_default(),
    })
}

const TENANT_COLUMNS: &str = "project_id, id, name, domains, attributes, enforce_sso, disabled, created_at, settings";

impl Store {
    pub async fn insert_tenant(&self, tenant: &TenantRow) -> Result<()> {
        sqlx::query(trusted(format!(
            "INSERT INTO tenants ({TENANT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
        )))
        .bind(&tenant.project_id)
        .bind(&tenant.id)
        .bind(&tenant.name)
        .bind(serde_json::to_string(&tenant.domains).expect("json"))
        .bind(tenant.attributes.to_string())
        .bind(flag(tenant.enforce_sso))
        .bind(flag(tenant.disabled))
        .bind(tenant.created_at)
        .bind(tenant.settings.to_string())
        .execute(&self.pool)
        .await
        .map_err(conflict("tenant"))?;
        Ok(())
    }

    /// Writes every field of a tenant but its id and creation time.
    pub async fn update_tenant(&self, tenant: &TenantRow) -> Result<bool> {
        let updated = sqlx::query(
            "UPDATE tenants SET name = $1, domains = $2, attributes = $3, enforce_sso = $4, disabled = $5, settings = $6 \
             WHERE project_id = $7 AND id = $8",
        )
        .bind(&tenant.name)
        .bind(serde_json::to_string(&tenant.domains).expect("json"))
        .bind(tenant.attributes.to_string())
        .bind(flag(tenant.enforce_sso))
        .bind(flag(tenant.disabled))
        .bind(tenant.settings.to_string())
        .bind(&tenant.project_id)
        .bind(&tenant.id)
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(updated == 1)
    }

    pub async fn tenant(&self, project_id: &str, id: &str) -> Result<Option<TenantRow>> {
        let row =
            sqlx::query(trusted(format!("SELECT {TENANT_COLUMNS} FROM tenants WHERE project_id = $1 AND id = $2")))
                .bind(project_id)
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
        Ok(row.as_ref().map(tenant_from_row).transpose()?)
    }

    pub async fn tenants(&self, project_id: &str) -> Result<Vec<TenantRow>> {
        let rows = sqlx::query(trusted(format!(
            "SELECT {TENANT_COLUMNS} FROM tenants WHERE project_id = $1 ORDER BY created_at, id"
        )))
        .bind(project_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.iter().map(tenant_from_row).collect::<sqlx::Result<_>>()?)
    }

    /// Deletes a tenant and its memberships; with `cascade`, also the users that belonged only to it.
    pub async fn delete_tenant(&self, project_id: &str, id: &str, cascade: bool) -> Result<bool> {
        let mut tx = self.pool.begin().await?;
        if cascade {
            let only_here: Vec<String> = sqlx::query_scalar(
                "SELECT user_id FROM user_tenants WHERE project_id = $1 AND tenant_id = $2 AND user_id NOT IN \
                 (SELECT user_id FROM user_tenants WHERE project_id = $1 AND tenant_id <> $2)",
            )
            .bind(project_id)
            .bind(id)
            .fetch_all(&mut *tx)
            .await?;
            for user_id in only_here {
                for table in ["user_login_ids", "user_tenants", "sessions"] {
                    sqlx::query(trusted(format!("DELETE FROM {table} WHERE user_id = $1")))
                        .bind(&user_id)
                        .execute(&mut *tx)
                        .await?;
                }
                sqlx::query("DELETE FROM users WHERE id = $1").bind(&user_id).execute(&mut *tx).await?;
            }
        }
        sqlx::query("DELETE FROM user_tenants WHERE project_id = $1 AND tenant_id = $2")
            .bind(project_id)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let deleted = sqlx::query("DELETE FROM tenants WHERE project_id = $1 AND id = $2")
            .bind(project_id)
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        tx.commit().await?;
        Ok(deleted > 0)
    }
}
