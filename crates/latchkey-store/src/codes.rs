use crate::{Result, Store, trusted};

/// A one-time secret: an OTP code, a magic/enchanted link token, a password-reset token.
/// Only keyed hashes of the secret (and of the enchanted-link pending ref) are stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CodeRow {
    pub id: String,
    pub project_id: String,
    pub kind: String,
    pub login_key: String,
    pub secret_hash: String,
    pub pending_hash: Option<String>,
    /// What completing the code does (sign-up data, login options, an update target), as JSON.
    pub payload: String,
    pub attempts: i64,
    pub max_attempts: i64,
    pub created_at: i64,
    pub expires_at: i64,
    pub verified_at: Option<i64>,
    pub used_at: Option<i64>,
}

const CODE_COLUMNS: &str = "id, project_id, kind, login_key, secret_hash, pending_hash, payload, attempts, \
    max_attempts, created_at, expires_at, verified_at, used_at";

impl Store {
    pub async fn insert_code(&self, c: &CodeRow) -> Result<()> {
        sqlx::query(trusted(format!(
            "INSERT INTO one_time_codes ({CODE_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"
        )))
        .bind(&c.id)
        .bind(&c.project_id)
        .bind(&c.kind)
        .bind(&c.login_key)
        .bind(&c.secret_hash)
        .bind(&c.pending_hash)
        .bind(&c.payload)
        .bind(c.attempts)
        .bind(c.max_attempts)
        .bind(c.created_at)
        .bind(c.expires_at)
        .bind(c.verified_at)
        .bind(c.used_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The newest unused code of `kind` for a login id (OTP verification looks codes up this way).
    pub async fn latest_code(&self, project_id: &str, kind: &str, login_key: &str) -> Result<Option<CodeRow>> {
        Ok(sqlx::query_as(trusted(format!(
            "SELECT {CODE_COLUMNS} FROM one_time_codes WHERE project_id = $1 AND kind = $2 AND login_key = $3 \
             AND used_at IS NULL ORDER BY created_at DESC, id DESC LIMIT 1"
        )))
        .bind(project_id)
        .bind(kind)
        .bind(login_key)
        .fetch_optional(&self.pool)
        .await?)
    }

    pub async fn code_by_secret(&self, project_id: &str, kind: &str, secret_hash: &str) -> Result<Option<CodeRow>> {
        Ok(sqlx::query_as(trusted(format!(
            "SELECT {CODE_COLUMNS} FROM one_time_codes WHERE secret_hash = $1 AND project_id = $2 AND kind = $3"
        )))
        .bind(secret_hash)
        .bind(project_id)
        .bind(kind)
        .fetch_optional(&self.pool)
        .await?)
    }

    pub async fn code_by_pending_ref(&self, project_id: &str, pending_hash: &str) -> Result<Option<CodeRow>> {
        Ok(sqlx::query_as(trusted(format!(
            "SELECT {CODE_COLUMNS} FROM one_time_codes WHERE pending_hash = $1 AND project_id = $2"
        )))
        .bind(pending_hash)
        .bind(project_id)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// Counts one wrong try; returns the tries counted so far, or None if the code is already used.
    pub async fn record_code_failure(&self, id: &str) -> Result<Option<i64>> {
        Ok(sqlx::query_scalar(
            "UPDATE one_time_codes SET attempts = attempts + 1 WHERE id = $1 AND used_at IS NULL RETURNING attempts",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// Marks the code used. Exactly one caller ever gets `true` for a code.
    pub async fn consume_code(&self, id: &str, now: i64) -> Result<bool> {
        let updated = sqlx::query("UPDATE one_time_codes SET used_at = $1 WHERE id = $2 AND used_at IS NULL")
            .bind(now)
            .bind(id)
            .execute(&self.pool)
            .await?
            .rows_affected();
        Ok(updated == 1)
    }

    /// Marks an enchanted link verified (its pending session may then be collected once).
    pub async fn mark_code_verified(&self, id: &str, now: i64) -> Result<bool> {
        let updated = sqlx::query("UPDATE one_time_codes SET verified_at = $1 WHERE id = $2 AND verified_at IS NULL")
            .bind(now)
            .bind(id)
            .execute(&self.pool)
            .await?
            .rows_affected();
        Ok(updated == 1)
    }
}
