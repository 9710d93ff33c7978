use crate::{Result, Store, conflict};

/// A management key (or auth management key); only its SHA-256 is stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ManagementKeyRow {
    pub id: String,
    pub project_id: String,
    pub kind: String,
    pub key_hash: String,
    pub created_at: i64,
}

/// A signing key, its private half sealed under the master key.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SigningKeyRow {
    pub kid: String,
    pub project_id: String,
    pub alg: String,
    pub sealed_key: String,
    pub created_at: i64,
    /// Set when a newer key took over signing; the key stays published until its tokens expire.
    pub retired_at: Option<i64>,
}

impl Store {
    pub async fn insert_management_key(&self, row: &ManagementKeyRow) -> Result<()> {
        sqlx::query(
            "INSERT INTO management_keys (id, project_id, kind, key_hash, created_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&row.id)
        .bind(&row.project_id)
        .bind(&row.kind)
        .bind(&row.key_hash)
        .bind(row.created_at)
        .execute(&self.pool)
        .await
        .map_err(conflict("management key"))?;
        Ok(())
    }

    pub async fn management_key_by_hash(&self, project_id: &str, key_hash: &str) -> Result<Option<ManagementKeyRow>> {
        Ok(sqlx::query_as(
            "SELECT id, project_id, kind, key_hash, created_at FROM management_keys WHERE key_hash = $1 AND project_id = $2",
        )
        .bind(key_hash)
        .bind(project_id)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// Adds `row` as the project's signing key and retires the previous ones, atomically.
    pub async fn add_signing_key(&self, row: &SigningKeyRow) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("UPDATE signing_keys SET retired_at = $1 WHERE project_id = $2 AND retired_at IS NULL")
            .bind(row.created_at)
            .bind(&row.project_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("INSERT INTO signing_keys (kid, project_id, alg, sealed_key, created_at, retired_at) VALUES ($1, $2, $3, $4, $5, NULL)")
            .bind(&row.kid)
            .bind(&row.project_id)
            .bind(&row.alg)
            .bind(&row.sealed_key)
            .bind(row.created_at)
            .execute(&mut *tx)
            .await
            .map_err(conflict("signing key"))?;
        tx.commit().await?;
        Ok(())
    }

    /// The project's keys still worth publishing: the active one and those retired after `retired_since`.
    pub async fn signing_keys(&self, project_id: &str, retired_since: i64) -> Result<Vec<SigningKeyRow>> {
        Ok(sqlx::query_as(
            "SELECT kid, project_id, alg, sealed_key, created_at, retired_at FROM signing_keys \
             WHERE project_id = $1 AND (retired_at IS NULL OR retired_at > $2) ORDER BY created_at DESC, kid",
        )
        .bind(project_id)
        .bind(retired_since)
        .fetch_all(&self.pool)
        .await?)
    }
}
