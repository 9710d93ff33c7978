use sqlx::any::{AnyArguments, AnyRow};
use sqlx::query::Query;
use sqlx::{Any, Row, Transaction};

use crate::{Result, Store, conflict, flag, trusted};

/// A user with its login ids and tenant memberships.
#[derive(Debug, Clone, Default)]
pub struct UserRow {
    pub id: String,
    pub project_id: String,
    /// In order; the first is the primary login id.
    pub login_ids: Vec<String>,
    pub email: Option<String>,
    pub verified_email: bool,
    pub phone: Option<String>,
    pub verified_phone: bool,
    pub name: Option<String>,
    pub given_name: Option<String>,
    pub middle_name: Option<String>,
    pub family_name: Option<String>,
    pub picture: Option<String>,
    pub status: String,
    pub test: bool,
    pub roles: Vec<String>,
    /// Custom attributes as a JSON object.
    pub attributes: serde_json::Value,
    pub password_hash: Option<String>,
    /// The password must be replaced before it can sign in.
    pub password_expired: bool,
    pub tenants: Vec<UserTenantRow>,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserTenantRow {
    pub tenant_id: String,
    pub roles: Vec<String>,
}

/// The key a login id is unique under: login ids compare case-insensitively.
pub fn login_key(login_id: &str) -> String {
    login_id.trim().to_lowercase()
}

const USER_COLUMNS: &str = "id, project_id, email, verified_email, phone, verified_phone, name, given_name, \
    middle_name, family_name, picture, status, test, roles, attributes, password_hash, created_at, updated_at, \
    password_expired";

fn json_list(text: &str) -> Vec<String> {
    serde_json::from_str(text).unwrap_or_default()
}

fn user_from_row(row: &AnyRow) -> sqlx::Result<UserRow> {
    Ok(UserRow {
        id: row.try_get("id")?,
        project_id: row.try_get("project_id")?,
        login_ids: Vec::new(),
        email: row.try_get("email")?,
        verified_email: row.try_get::<i64, _>("verified_email")? != 0,
        phone: row.try_get("phone")?,
        verified_phone: row.try_get::<i64, _>("verified_phone")? != 0,
        name: row.try_get("name")?,
        given_name: row.try_get("given_name")?,
        middle_name: row.try_get("middle_name")?,
        family_name: row.try_get("family_name")?,
        picture: row.try_get("picture")?,
        status: row.try_get("status")?,
        test: row.try_get::<i64, _>("test")? != 0,
        roles: json_list(&row.try_get::<String, _>("roles")?),
        attributes: serde_json::from_str(&row.try_get::<String, _>("attributes")?).unwrap_or_default(),
        password_hash: row.try_get("password_hash")?,
        password_expired: row.try_get::<i64, _>("password_expired")? != 0,
        tenants: Vec::new(),
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

impl Store {
    /// Inserts a user with its login ids and tenants; `Conflict("login id")` if one is taken.
    pub async fn insert_user(&self, user: &UserRow) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        bind_user(sqlx::query(trusted(format!("INSERT INTO users ({USER_COLUMNS}) VALUES {USER_VALUES}"))), user)
            .execute(&mut *tx)
            .await
            .map_err(conflict("user"))?;
        write_login_ids(&mut tx, user).await?;
        write_tenants(&mut tx, user).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Inserts many users in one transaction (imports); a user whose login id is taken, by an
    /// existing user or an earlier one of the batch, is skipped. Returns which users were inserted.
    pub async fn insert_users_unless_taken(&self, users: &[UserRow]) -> Result<Vec<bool>> {
        let mut tx = self.pool.begin().await?;
        let mut inserted = Vec::with_capacity(users.len());
        for user in users {
            bind_user(sqlx::query(trusted(format!("INSERT INTO users ({USER_COLUMNS}) VALUES {USER_VALUES}"))), user)
                .execute(&mut *tx)
                .await?;
            let mut free = true;
            for (position, login_id) in user.login_ids.iter().enumerate() {
                let written = sqlx::query(
                    "INSERT INTO user_login_ids (project_id, login_key, login_id, user_id, position) \
                     VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
                )
                .bind(&user.project_id)
                .bind(login_key(login_id))
                .bind(login_id)
                .bind(&user.id)
                .bind(position as i64)
                .execute(&mut *tx)
                .await?;
                free &= written.rows_affected() == 1;
            }
            if free {
                write_tenants(&mut tx, user).await?;
            } else {
                for table in ["user_login_ids WHERE user_id", "users WHERE id"] {
                    sqlx::query(trusted(format!("DELETE FROM {table} = $1"))).bind(&user.id).execute(&mut *tx).await?;
                }
            }
            inserted.push(free);
        }
        tx.commit().await?;
        Ok(inserted)
    }

    /// Writes every field of `user`, including login ids and tenants.
    pub async fn update_user(&self, user: &UserRow) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        // The same parameter numbers as the insert; id, project and creation time stay as they are.
        bind_user(
            sqlx::query(
                "UPDATE users SET email = $3, verified_email = $4, phone = $5, verified_phone = $6, name = $7, \
                 given_name = $8, middle_name = $9, family_name = $10, picture = $11, status = $12, test = $13, \
                 roles = $14, attributes = $15, password_hash = $16, updated_at = $18, password_expired = $19 \
                 WHERE id = $1 AND project_id = $2 AND created_at = $17",
            ),
            user,
        )
        .execute(&mut *tx)
        .await?;
        for table in ["user_login_ids", "user_tenants"] {
            sqlx::query(trusted(format!("DELETE FROM {table} WHERE user_id = $1")))
                .bind(&user.id)
                .execute(&mut *tx)
                .await?;
        }
        write_login_ids(&mut tx, user).await?;
        write_tenants(&mut tx, user).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn user(&self, project_id: &str, user_id: &str) -> Result<Option<UserRow>> {
        let row = sqlx::query(trusted(format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1 AND project_id = $2")))
            .bind(user_id)
            .bind(project_id)
            .fetch_optional(&self.pool)
            .await?;
        match row {
            Some(row) => Ok(Some(self.complete_user(user_from_row(&row)?).await?)),
            None => Ok(None),
        }
    }

    pub async fn user_by_login_id(&self, project_id: &str, login_id: &str) -> Result<Option<UserRow>> {
        let user_id: Option<String> =
            sqlx::query_scalar("SELECT user_id FROM user_login_ids WHERE project_id = $1 AND login_key = $2")
                .bind(project_id)
                .bind(login_key(login_id))
                .fetch_optional(&self.pool)
                .await?;
        match user_id {
            Some(id) => self.user(project_id, &id).await,
            None => Ok(None),
        }
    }

    async fn complete_user(&self, mut user: UserRow) -> Result<UserRow> {
        user.login_ids = sqlx::query_scalar("SELECT login_id FROM user_login_ids WHERE user_id = $1 ORDER BY position")
            .bind(&user.id)
            .fetch_all(&self.pool)
            .await?;
        let tenants: Vec<(String, String)> =
            sqlx::query_as("SELECT tenant_id, roles FROM user_tenants WHERE user_id = $1 ORDER BY tenant_id")
                .bind(&user.id)
                .fetch_all(&self.pool)
                .await?;
        user.tenants = tenants
            .into_iter()
            .map(|(tenant_id, roles)| UserTenantRow { tenant_id, roles: json_list(&roles) })
            .collect();
        Ok(user)
    }

    /// Deletes a user and everything hanging off it (login ids, tenants, sessions).
    pub async fn delete_user(&self, project_id: &str, user_id: &str) -> Result<bool> {
        let mut tx = self.pool.begin().await?;
        for table in ["user_login_ids", "user_tenants", "sessions"] {
            sqlx::query(trusted(format!("DELETE FROM {table} WHERE user_id = $1")))
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
        }
        let deleted = sqlx::query("DELETE FROM users WHERE id = $1 AND project_id = $2")
            .bind(user_id)
            .bind(project_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        tx.commit().await?;
        Ok(deleted > 0)
    }

    /// Every user of a project, oldest first, with login ids and tenants (three queries in all).
    pub async fn users_of_project(&self, project_id: &str) -> Result<Vec<UserRow>> {
        let rows = sqlx::query(trusted(format!(
            "SELECT {USER_COLUMNS} FROM users WHERE project_id = $1 ORDER BY created_at, id"
        )))
        .bind(project_id)
        .fetch_all(&self.pool)
        .await?;
        let mut users: Vec<UserRow> = rows.iter().map(user_from_row).collect::<sqlx::Result<_>>()?;
        let logins: Vec<(String, String)> = sqlx::query_as(
            "SELECT user_id, login_id FROM user_login_ids WHERE project_id = $1 ORDER BY user_id, position",
        )
        .bind(project_id)
        .fetch_all(&self.pool)
        .await?;
        let tenants: Vec<(String, String, String)> = sqlx::query_as(
            "SELECT user_id, tenant_id, roles FROM user_tenants WHERE project_id = $1 ORDER BY user_id, tenant_id",
        )
        .bind(project_id)
        .fetch_all(&self.pool)
        .await?;
        let index: std::collections::HashMap<String, usize> =
            users.iter().enumerate().map(|(i, u)| (u.id.clone(), i)).collect();
        for (user_id, login_id) in logins {
            if let Some(&i) = index.get(&user_id) {
                users[i].login_ids.push(login_id);
            }
        }
        for (user_id, tenant_id, roles) in tenants {
            if let Some(&i) = index.get(&user_id) {
                users[i].tenants.push(UserTenantRow { tenant_id, roles: json_list(&roles) });
            }
        }
        Ok(users)
    }

    pub async fn test_user_ids(&self, project_id: &str) -> Result<Vec<String>> {
        Ok(sqlx::query_scalar("SELECT id FROM users WHERE project_id = $1 AND test = 1")
            .bind(project_id)
            .fetch_all(&self.pool)
            .await?)
    }
}

const USER_VALUES: &str = "($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)";

/// Binds a user's columns in `USER_COLUMNS` order ($1 to $19).
fn bind_user<'q>(query: Query<'q, Any, AnyArguments>, user: &'q UserRow) -> Query<'q, Any, AnyArguments> {
    query
        .bind(&user.id)
        .bind(&user.project_id)
        .bind(&user.email)
        .bind(flag(user.verified_email))
        .bind(&user.phone)
        .bind(flag(user.verified_phone))
        .bind(&user.name)
        .bind(&user.given_name)
        .bind(&user.middle_name)
        .bind(&user.family_name)
        .bind(&user.picture)
        .bind(&user.status)
        .bind(flag(user.test))
        .bind(serde_json::to_string(&user.roles).expect("json"))
        .bind(user.attributes.to_string())
        .bind(&user.password_hash)
        .bind(user.created_at)
        .bind(user.updated_at)
        .bind(flag(user.password_expired))
}

async fn write_login_ids(tx: &mut Transaction<'static, Any>, user: &UserRow) -> Result<()> {
    for (position, login_id) in user.login_ids.iter().enumerate() {
        sqlx::query("INSERT INTO user_login_ids (project_id, login_key, login_id, user_id, position) VALUES ($1, $2, $3, $4, $5)")
            .bind(&user.project_id)
            .bind(login_key(login_id))
            .bind(login_id)
            .bind(&user.id)
            .bind(position as i64)
            .execute(&mut **tx)
            .await
            .map_err(conflict("login id"))?;
    }
    Ok(())
}

async fn write_tenants(tx: &mut Transaction<'static, Any>, user: &UserRow) -> Result<()> {
    for tenant in &user.tenants {
        sqlx::query("INSERT INTO user_tenants (user_id, project_id, tenant_id, roles) VALUES ($1, $2, $3, $4)")
            .bind(&user.id)
            .bind(&user.project_id)
            .bind(&tenant.tenant_id)
            .bind(serde_json::to_string(&tenant.roles).expect("json"))
            .execute(&mut **tx)
            .await
            .map_err(conflict("user tenant"))?;
    }
    Ok(())
}
