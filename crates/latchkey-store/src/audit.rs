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
    pub tenant_id: Option<String>,
    /// Extra details as a JSON object (never a secret).
    pub data: String,
}

impl Store {
    pub async fn append_audit(&self, e: &AuditRow) -> Result<()> {
        self.append_audits(std::slice::from_ref(e)).await
    }

    /// Appends many records in one transaction (bulk imports).
    pub async fn append_audits(&self, events: &[AuditRow]) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        for e in events {
            sqlx::query(
                "INSERT INTO audit_events (id, project_id, occurred_at, action, actor_id, user_id, ip, user_agent, success, data, tenant_id) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
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
            .bind(&e.tenant_id)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// A user's events of one action, newest first.
    pub async fn user_audit(&self, project_id: &str, user_id: &str, action: &str, limit: i64) -> Result<Vec<AuditRow>> {
        Ok(sqlx::query_as(
            "SELECT id, project_id, occurred_at, action, actor_id, user_id, ip, user_agent, success, tenant_id, data \
             FROM audit_events WHERE project_id = $1 AND user_id = $2 AND action = $3 ORDER BY id DESC LIMIT $4",
        )
        .bind(project_id)
        .bind(user_id)
        .bind(action)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }
}

impl Store {
    /// A project's events between two times (seconds, inclusive), newest first.
    pub async fn audit_events(&self, project_id: &str, from: i64, to: i64, limit: i64) -> Result<Vec<AuditRow>> {
        Ok(sqlx::query_as(
            "SELECT id, project_id, occurred_at, action, actor_id, user_id, ip, user_agent, success, tenant_id, data \
             FROM audit_events WHERE project_id = $1 AND occurred_at >= $2 AND occurred_at <= $3 ORDER BY id DESC LIMIT $4",
        )
        .bind(project_id)
        .bind(from)
        .bind(to)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }
}
