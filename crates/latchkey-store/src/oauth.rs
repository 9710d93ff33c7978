//! OAuth clients, authorization codes and the record of rotated refresh tokens.

use crate::{Result, Store, conflict, trusted};

#[derive(Debug, Clone, Default, sqlx::FromRow)]
pub struct OAuthClientRow {
    pub id: String,
    pub project_id: String,
    pub name: String,
    /// Keyed hash of the secret; `None` for a public client.
    pub secret_hash: Option<String>,
    /// JSON lists.
    pub redirect_uris: String,
    pub post_logout_redirect_uris: String,
    pub organization_id: Option<String>,
    pub created_at: i64,
}

const CLIENT_COLUMNS: &str =
    "id, project_id, name, secret_hash, redirect_uris, post_logout_redirect_uris, organization_id, created_at";

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OAuthCodeRow {
    pub code_hash: String,
    pub project_id: String,
    pub client_id: String,
    pub grant_data: String,
    pub expires_at: i64,
    pub used_at: Option<i64>,
    pub session_id: Option<String>,
}

impl Store {
    pub async fn insert_client(&self, c: &OAuthClientRow) -> Result<()> {
        self.write_client(c, "INSERT INTO oauth_clients ({CLIENT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
            .await
            .map(|_| ())
    }

    /// Writes every field but the id, project and creation time; false if there is no such client.
    pub async fn update_client(&self, c: &OAuthClientRow) -> Result<bool> {
        self.write_client(
            c,
            "UPDATE oauth_clients SET name = $3, secret_hash = $4, redirect_uris = $5, post_logout_redirect_uris = $6, \
             organization_id = $7 WHERE id = $1 AND project_id = $2 AND created_at = $8",
        )
        .await
        .map(|n| n == 1)
    }

    async fn write_client(&self, c: &OAuthClientRow, sql: &str) -> Result<u64> {
        Ok(sqlx::query(trusted(sql.replace("{CLIENT_COLUMNS}", CLIENT_COLUMNS)))
            .bind(&c.id)
            .bind(&c.project_id)
            .bind(&c.name)
            .bind(&c.secret_hash)
            .bind(&c.redirect_uris)
            .bind(&c.post_logout_redirect_uris)
            .bind(&c.organization_id)
            .bind(c.created_at)
            .execute(&self.pool)
            .await
            .map_err(conflict("client"))?
            .rows_affected())
    }

    pub async fn client(&self, project_id: &str, id: &str) -> Result<Option<OAuthClientRow>> {
        Ok(sqlx::query_as(trusted(format!(
            "SELECT {CLIENT_COLUMNS} FROM oauth_clients WHERE id = $1 AND project_id = $2"
        )))
        .bind(id)
        .bind(project_id)
        .fetch_optional(&self.pool)
        .await?)
    }

    pub async fn clients(&self, project_id: &str) -> Result<Vec<OAuthClientRow>> {
        Ok(sqlx::query_as(trusted(format!(
            "SELECT {CLIENT_COLUMNS} FROM oauth_clients WHERE project_id = $1 ORDER BY created_at, id"
        )))
        .bind(project_id)
        .fetch_all(&self.pool)
        .await?)
    }

    pub async fn delete_client(&self, project_id: &str, id: &str) -> Result<bool> {
        let deleted = sqlx::query("DELETE FROM oauth_clients WHERE id = $1 AND project_id = $2")
            .bind(id)
            .bind(project_id)
            .execute(&self.pool)
            .await?;
        Ok(deleted.rows_affected() == 1)
    }

    pub async fn insert_oauth_code(&self, c: &OAuthCodeRow) -> Result<()> {
        sqlx::query(
            "INSERT INTO oauth_codes (code_hash, project_id, client_id, grant_data, expires_at, used_at, session_id) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&c.code_hash)
        .bind(&c.project_id)
        .bind(&c.client_id)
        .bind(&c.grant_data)
        .bind(c.expires_at)
        .bind(c.used_at)
        .bind(&c.session_id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn oauth_code(&self, project_id: &str, code_hash: &str) -> Result<Option<OAuthCodeRow>> {
        Ok(sqlx::query_as(
            "SELECT code_hash, project_id, client_id, grant_data, expires_at, used_at, session_id \
             FROM oauth_codes WHERE code_hash = $1 AND project_id = $2",
        )
        .bind(code_hash)
        .bind(project_id)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// Marks a code used by the grant `session_id`; false if it was used already (one winner).
    pub async fn use_oauth_code(&self, code_hash: &str, session_id: &str, now: i64) -> Result<bool> {
        let updated = sqlx::query(
            "UPDATE oauth_codes SET used_at = $1, session_id = $2 WHERE code_hash = $3 AND used_at IS NULL",
        )
        .bind(now)
        .bind(session_id)
        .bind(code_hash)
        .execute(&self.pool)
        .await?;
        Ok(updated.rows_affected() == 1)
    }

    /// Rotates a grant's refresh token from `current` to `next` (hashes) and remembers `current`
    /// as used; false when another rotation won or the grant was revoked.
    pub async fn rotate_grant(&self, session_id: &str, current: &str, next: &str, now: i64) -> Result<bool> {
        let mut tx = self.pool.begin().await?;
        let updated = sqlx::query(
            "UPDATE sessions SET refresh_jti = $1, refreshed_at = $2 WHERE id = $3 AND refresh_jti = $4 AND revoked_at IS NULL",
        )
        .bind(next)
        .bind(now)
        .bind(session_id)
        .bind(current)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if updated != 1 {
            return Ok(false);
        }
        sqlx::query("INSERT INTO oauth_used_refresh (token_hash, session_id, rotated_at) VALUES ($1, $2, $3)")
            .bind(current)
            .bind(session_id)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// When a rotated-away refresh token was rotated, if it was one of this grant's.
    pub async fn used_refresh(&self, session_id: &str, token_hash: &str) -> Result<Option<i64>> {
        Ok(sqlx::query_scalar("SELECT rotated_at FROM oauth_used_refresh WHERE token_hash = $1 AND session_id = $2")
            .bind(token_hash)
            .bind(session_id)
            .fetch_optional(&self.pool)
            .await?)
    }

    /// Revokes the live grants a browser session (an SDK session id) started.
    pub async fn revoke_grants_of_browser(&self, project_id: &str, browser_session: &str, now: i64) -> Result<u64> {
        Ok(sqlx::query(
            "UPDATE sessions SET revoked_at = $1 WHERE project_id = $2 AND parent_id = $3 AND revoked_at IS NULL",
        )
        .bind(now)
        .bind(project_id)
        .bind(browser_session)
        .execute(&self.pool)
        .await?
        .rows_affected())
    }
}
