//! Latchkey's storage: one SQL code path over sqlx's `Any` driver, for the embedded SQLite
//! default and for PostgreSQL shared by several servers. Everything servers must agree on
//! (users, sessions, one-time codes, rate-limit counters, keys) lives here, never in memory.
//!
//! Rows are plain structs; lists and maps travel as JSON text (the `Any` driver has no arrays,
//! booleans or JSON types). Business rules live in `latchkey-core`, not here.

mod access_keys;
mod audit;
mod codes;
mod keys;
mod limits;
mod oauth;
mod outbox;
mod projects;
mod roles;
mod sessions;
mod tenants;
mod users;

pub use access_keys::AccessKeyRow;
pub use audit::AuditRow;
pub use codes::CodeRow;
pub use keys::{ManagementKeyRow, SigningKeyRow};
pub use oauth::{OAuthClientRow, OAuthCodeRow};
pub use outbox::MessageRow;
pub use projects::ProjectRow;
pub use roles::{PermissionRow, RoleRow};
pub use sessions::SessionRow;
pub use tenants::TenantRow;
pub use users::{UserRow, UserTenantRow, login_key};

use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::{AnyPool, Executor};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("already exists: {0}")]
    Conflict(&'static str),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

pub type Result<T> = std::result::Result<T, StoreError>;

/// Turns a unique-constraint violation into `Conflict(what)`, anything else into `Database`.
fn conflict(what: &'static str) -> impl FnOnce(sqlx::Error) -> StoreError {
    move |err| match &err {
        sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Conflict(what),
        _ => StoreError::Database(err),
    }
}

fn flag(value: bool) -> i64 {
    i64::from(value)
}

#[derive(Debug, Clone)]
pub struct Store {
    pool: AnyPool,
}

impl Store {
    /// Opens (creating if needed) the database at `url` and applies pending migrations.
    /// `sqlite://path/to/file.db` or `postgres://user@host/db`.
    pub async fn open(url: &str) -> Result<Store> {
        install_default_drivers();
        let is_sqlite = url.starts_with("sqlite:");
        let url = if is_sqlite && !url.contains("mode=") {
            format!("{url}{}mode=rwc", if url.contains('?') { '&' } else { '?' })
        } else {
            url.to_string()
        };
        let pool = AnyPoolOptions::new()
            .max_connections(if is_sqlite { 4 } else { 16 })
            // No ping before each statement: it doubled the round trips of every request (bench/).
            // A connection that died is dropped by the failed statement and replaced at the next.
            .test_before_acquire(false)
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if is_sqlite {
                        // WAL lets readers run beside the single writer; NORMAL sync is durable in WAL.
                        conn.execute("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = ON;").await?;
                    }
                    Ok(())
                })
            })
            .connect(&url)
            .await?;
        sqlx::migrate!("./migrations").run(&pool).await?;
        Ok(Store { pool })
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// Marks SQL assembled only from this crate's constants (column lists, table names) as safe;
/// every value still travels as a bound parameter.
fn trusted(sql: String) -> sqlx::AssertSqlSafe<String> {
    sqlx::AssertSqlSafe(sql)
}

impl Store {
    /// Connects to a database server for administrative statements (creating test databases).
    pub async fn open_admin(url: &str) -> Result<Store> {
        install_default_drivers();
        Ok(Store { pool: AnyPoolOptions::new().max_connections(1).connect(url).await? })
    }

    /// Runs one statement built by the caller; for tests and tooling, never with user input.
    pub async fn execute_admin(&self, sql: &str) -> Result<()> {
        self.pool.execute(trusted(sql.to_string())).await?;
        Ok(())
    }
}
