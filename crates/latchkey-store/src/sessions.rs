use crate::{Result, Store, trusted};

/// A signed-in session; refresh tokens are bound to it through their `sid` and `jti`.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SessionRow {
    pub id: String,
    pub project_id: String,
    pub user_id: String,
    /// The jti of the refresh token currently valid for this session.
    pub refresh_jti: String,
    pub tenant_id: Option<String>,
    /// Authentication methods as a JSON list.
    pub amr: String,
    pub created_at: i64,
    pub refreshed_at: i64,
    pub expires_at: i64,
    pub revoked_at: Option<i64>,
    /// The OAuth client of a grant; `None` for SDK sessions.
    pub client_id: Option<String>,
    /// A grant's scopes and id_token facts, as JSON.
    pub grant_data: Option<String>,
    /// The browser session (at the hosted pages) a grant came from; logging it out ends the grant.
    pub parent_id: Option<String>,
}

const SESSION_COLUMNS: &str = "id, project_id, user_id, refresh_jti, tenant_id, amr, created_at, refreshed_at, expires_at, revoked_at, client_id, \
     grant_data, parent_id";

impl Store {
    pub async fn insert_session(&self, s: &SessionRow) -> Result<()> {
        sqlx::query(trusted(format!(
            "INSERT INTO sessions ({SESSION_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"
        )))
        .bind(&s.id)
        .bind(&s.project_id)
        .bind(&s.user_id)
        .bind(&s.refresh_jti)
        .bind(&s.tenant_id)
        .bind(&s.amr)
        .bind(s.created_at)
        .bind(s.refreshed_at)
        .bind(s.expires_at)
        .bind(s.revoked_at)
        .bind(&s.client_id)
        .bind(&s.grant_data)
        .bind(&s.parent_id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn session(&self, project_id: &str, id: &str) -> Result<Option<SessionRow>> {
        Ok(sqlx::query_as(trusted(format!("SELECT {SESSION_COLUMNS} FROM sessions WHERE id = $1 AND project_id = $2")))
            .bind(id)
            .bind(project_id)
            .fetch_optional(&self.pool)
            .await?)
    }

    /// Moves the session to a new refresh jti if `current_jti` is still the valid one.
    /// Returns false when another refresh won the race or the session was revoked meanwhile.
    pub async fn rotate_session(&self, id: &str, current_jti: &str, new_jti: &str, now: i64) -> Result<bool> {
        let updated = sqlx::query(
            "UPDATE sessions SET refresh_jti = $1, refreshed_at = $2 WHERE id = $3 AND refresh_jti = $4 AND revoked_at IS NULL",
        )
        .bind(new_jti)
        .bind(now)
        .bind(id)
        .bind(current_jti)
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(updated == 1)
    }

    pub async fn touch_session(&self, id: &str, now: i64) -> Result<()> {
        sqlx::query("UPDATE sessions SET refreshed_at = $1 WHERE id = $2")
            .bind(now)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn set_session_tenant(&self, id: &str, tenant_id: Option<&str>) -> Result<()> {
        sqlx::query("UPDATE sessions SET tenant_id = $1 WHERE id = $2")
            .bind(tenant_id)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn revoke_session(&self, id: &str, now: i64) -> Result<()> {
        sqlx::query("UPDATE sessions SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
            .bind(now)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Revokes every live session of a user; returns how many were revoked.
    pub async fn revoke_user_sessions(&self, project_id: &str, user_id: &str, now: i64) -> Result<u64> {
        Ok(sqlx::query(
            "UPDATE sessions SET revoked_at = $1 WHERE project_id = $2 AND user_id = $3 AND revoked_at IS NULL",
        )
        .bind(now)
        .bind(project_id)
        .bind(user_id)
        .execute(&self.pool)
        .await?
        .rows_affected())
    }
}
