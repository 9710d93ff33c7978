use crate::{Result, Store, conflict};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ProjectRow {
    pub id: String,
    pub name: String,
    /// Project settings as JSON; their meaning belongs to core.
    pub settings: String,
    pub created_at: i64,
}

impl Store {
    pub async fn insert_project(&self, row: &ProjectRow) -> Result<()> {
        sqlx::query("INSERT INTO projects (id, name, settings, created_at) VALUES ($1, $2, $3, $4)")
            .bind(&row.id)
            .bind(&row.name)
            .bind(&row.settings)
            .bind(row.created_at)
            .execute(&self.pool)
            .await
            .map_err(conflict("project"))?;
        Ok(())
    }

    pub async fn project(&self, id: &str) -> Result<Option<ProjectRow>> {
        Ok(sqlx::query_as("SELECT id, name, settings, created_at FROM projects WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?)
    }

    /// The first project ever created: the one `latchkey serve` made on first start.
    pub async fn default_project(&self) -> Result<Option<ProjectRow>> {
        Ok(sqlx::query_as("SELECT id, name, settings, created_at FROM projects ORDER BY created_at, id LIMIT 1")
            .fetch_optional(&self.pool)
            .await?)
    }

    pub async fn update_project_settings(&self, id: &str, settings: &str) -> Result<()> {
        sqlx::query("UPDATE projects SET settings = $1 WHERE id = $2")
            .bind(settings)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
