use crate::{Result, Store, flag};

/// One audit record. The table is append-only: nothing updates or deletes rows.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AuditRow {
    pub id: String,
    pub project_id: String,
    pub occurred_at: i64,
    pub action: String,
    pub actor_id: Option<String>,
    pub user_id: Option<String>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub success: i64,
    /// Extra details as a JSON object (never a secret).
    pub data: String,
}

impl Store {
    pub async fn append_audit(&self, e: &AuditRow) -> Result<()> {
        sqlx::query(
            "INSERT INTO audit_events (id, project_id, occurred_at, action, actor_id, user_id, ip, user_agent, success, data) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(&e.id)
        .bind(&e.project_id)
        .bind(e.occurred_at)
        .bind(&e.action)
        .bind(&e.actor_id)
        .bind(&e.user_id)
        .bind(&e.ip)
        .bind(&e.user_agent)
        .bind(flag(e.success != 0))
        .bind(&e.data)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// A user's events of one action, newest first.
    pub async fn user_audit(&self, project_id: &str, user_id: &str, action: &str, limit: i64) -> Result<Vec<AuditRow>> {
        Ok(sqlx::query_as(
            "SELECT id, project_id, occurred_at, action, actor_id, user_id, ip, user_agent, success, data FROM audit_events \
             WHERE project_id = $1 AND user_id = $2 AND action = $3 ORDER BY id DESC LIMIT $4",
        )
        .bind(project_id)
        .bind(user_id)
        .bind(action)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }
}
