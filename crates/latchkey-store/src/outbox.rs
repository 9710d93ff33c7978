use crate::{Result, Store};

/// A message the dev outbox holds in place of a real mail or SMS delivery.
#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MessageRow {
    pub id: String,
    pub project_id: String,
    pub created_at: i64,
    pub recipient: String,
    pub channel: String,
    pub subject: String,
    pub body: String,
    pub code: Option<String>,
    pub link: Option<String>,
}

impl Store {
    pub async fn insert_message(&self, m: &MessageRow) -> Result<()> {
        sqlx::query(
            "INSERT INTO outbox (id, project_id, created_at, recipient, channel, subject, body, code, link) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(&m.id)
        .bind(&m.project_id)
        .bind(m.created_at)
        .bind(&m.recipient)
        .bind(&m.channel)
        .bind(&m.subject)
        .bind(&m.body)
        .bind(&m.code)
        .bind(&m.link)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Newest first (ids are time-ordered UUIDv7).
    pub async fn messages(&self, limit: i64) -> Result<Vec<MessageRow>> {
        Ok(sqlx::query_as(
            "SELECT id, project_id, created_at, recipient, channel, subject, body, code, link FROM outbox \
             ORDER BY id DESC LIMIT $1",
        )
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }
}
