use crate::{Result, Store, conflict, trusted};

/// An access key for machine sign-in; only the SHA-256 of its secret is stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AccessKeyRow {
    pub id: String,
    pub project_id: String,
    pub name: String,
    pub description: String,
    pub key_hash: String,
    pub status: String,
    /// JSON list of role names.
    pub roles: String,
    /// JSON list of `{"tenantId","roleNames"}`.
    pub tenants: String,
    /// JSON object of claims added to the key's session JWT.
    pub custom_claims: String,
    /// JSON list of IPs or CIDRs the key may be used from (empty: anywhere).
    pub permitted_ips: String,
    pub user_id: Option<String>,
    /// 0 means never.
    pub expires_at: i64,
    pub created_at: i64,
}

const ACCESS_KEY_COLUMNS: &str = "id, project_id, name, description, key_hash, status, roles, tenants, custom_claims, \
    permitted_ips, user_id, expires_at, created_at";

impl Store {
    pub async fn insert_access_key(&self, k: &AccessKeyRow) -> Result<()> {
        sqlx::query(trusted(format!(
            "INSERT INTO access_keys ({ACCESS_KEY_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"
        )))
        .bind(&k.id)
        .bind(&k.project_id)
        .bind(&k.name)
        .bind(&k.description)
        .bind(&k.key_hash)
        .bind(&k.status)
        .bind(&k.roles)
        .bind(&k.tenants)
        .bind(&k.custom_claims)
        .bind(&k.permitted_ips)
        .bind(&k.user_id)
        .bind(k.expires_at)
        .bind(k.created_at)
        .execute(&self.pool)
        .await
        .map_err(conflict("access key"))?;
        Ok(())
    }

    pub async fn access_key_by_hash(&self, project_id: &str, key_hash: &str) -> Result<Option<AccessKeyRow>> {
        Ok(sqlx::query_as(trusted(format!(
            "SELECT {ACCESS_KEY_COLUMNS} FROM access_keys WHERE key_hash = $1 AND project_id = $2"
        )))
        .bind(key_hash)
        .bind(project_id)
        .fetch_optional(&self.pool)
        .await?)
    }

    pub async fn access_key(&self, project_id: &str, id: &str) -> Result<Option<AccessKeyRow>> {
        Ok(sqlx::query_as(trusted(format!(
            "SELECT {ACCESS_KEY_COLUMNS} FROM access_keys WHERE id = $1 AND project_id = $2"
        )))
        .bind(id)
        .bind(project_id)
        .fetch_optional(&self.pool)
        .await?)
    }
}

impl Store {
    pub async fn access_keys(&self, project_id: &str) -> Result<Vec<AccessKeyRow>> {
        Ok(sqlx::query_as(trusted(format!(
            "SELECT {ACCESS_KEY_COLUMNS} FROM access_keys WHERE project_id = $1 ORDER BY created_at, id"
        )))
        .bind(project_id)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Writes the editable fields (name, description, status, claims, IPs) of a key.
    pub async fn update_access_key(&self, k: &AccessKeyRow) -> Result<bool> {
        let updated = sqlx::query(
            "UPDATE access_keys SET name = $1, description = $2, status = $3, custom_claims = $4, permitted_ips = $5 \
             WHERE id = $6 AND project_id = $7",
        )
        .bind(&k.name)
        .bind(&k.description)
        .bind(&k.status)
        .bind(&k.custom_claims)
        .bind(&k.permitted_ips)
        .bind(&k.id)
        .bind(&k.project_id)
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(updated == 1)
    }

    pub async fn delete_access_key(&self, project_id: &str, id: &str) -> Result<bool> {
        let deleted = sqlx::query("DELETE FROM access_keys WHERE id = $1 AND project_id = $2")
            .bind(id)
            .bind(project_id)
            .execute(&self.pool)
            .await?
            .rows_affected();
        Ok(deleted == 1)
    }
}
