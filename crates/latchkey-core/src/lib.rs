//! Latchkey's domain: projects, users, tenants, sign-in methods, sessions and their tokens.
//! The front doors (Descope REST, Scalekit, OIDC, pages) translate wire shapes to calls here;
//! every rule lives here once.

mod access_keys;
mod audit;
mod codes;
mod error;
mod import;
mod keys;
mod limits;
mod mgmt_tokens;
mod oauth;
mod password;
mod projects;
mod roles;
mod secrets;
mod sessions;
mod tenants;
mod tokens;
mod users;

use std::sync::Arc;

pub use access_keys::{AccessKeyUpdate, CreatedAccessKey, NewAccessKey};
pub use audit::{AppEvent, AuditFilter, AuditRecord};
pub use codes::{AddressUpdate, Channel, LinkStart, Masked, SignUpUser, Start, StartMode, TestCode};
pub use error::{Code, Error, Result};
pub use import::{ImportFailure, ImportRecord, ImportReport, ImportedHash, parse_import_file};
pub use latchkey_jose::{Algorithm, Jwk};
pub use latchkey_store::{AccessKeyRow, MessageRow, PermissionRow, RoleRow, Store, TenantRow, UserRow, UserTenantRow};
pub use mgmt_tokens::{IMPERSONATION, MgmtLogin};
pub use oauth::{
    AuthRequest, AuthorizeParams, AuthorizeRefusal, BrowserSession, ClientUpdate, CreatedClient, NewClient,
    OAuthClient, SCOPES as OAUTH_SCOPES, TokenSet,
};
pub use password::PasswordPolicy;
pub use projects::{Bootstrap, Brand, Project, ProjectSettings};
pub use roles::{NewRole, RoleFilter};
pub use tenants::{NewTenant, TenantFilter};
pub use tokens::{LoginOptions, SignedIn};
pub use users::{NewUser, UserChange, UserFilter, UserPatch, validate_email, validate_phone};

use latchkey_delivery::Delivery;

/// Lifetimes and limits, from the server's configuration.
#[derive(Debug, Clone)]
pub struct Policy {
    /// Issuer prefix: tokens carry `iss = "<issuer_base>/<projectId>"`.
    pub issuer_base: String,
    pub session_ttl: i64,
    pub refresh_ttl: i64,
    pub code_ttl: i64,
    /// Invitation links live longer than sign-in codes.
    pub invite_ttl: i64,
    pub code_max_attempts: i64,
    pub rate_window: i64,
    pub rate_per_ip: i64,
    pub rate_per_login_id: i64,
    pub password: PasswordPolicy,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            issuer_base: "http://127.0.0.1:7080".into(),
            session_ttl: 600,
            refresh_ttl: 28 * 24 * 3600,
            code_ttl: 300,
            invite_ttl: 7 * 24 * 3600,
            code_max_attempts: 5,
            rate_window: 60,
            rate_per_ip: 300,
            rate_per_login_id: 10,
            password: PasswordPolicy::default(),
        }
    }
}

/// Who is calling: recorded in audit events and used for per-IP limits.
#[derive(Debug, Clone, Default)]
pub struct Caller {
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

/// Source of the current time in epoch seconds; tests pass a fixed one.
pub type Clock = Arc<dyn Fn() -> i64 + Send + Sync>;

pub fn system_clock() -> Clock {
    Arc::new(|| {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
    })
}

/// The core service shared by every front door.
#[derive(Clone)]
pub struct Core {
    inner: Arc<Inner>,
}

struct Inner {
    store: Store,
    delivery: Delivery,
    policy: Policy,
    secrets: secrets::Secrets,
    keys: keys::KeyRing,
    clock: Clock,
}

impl Core {
    /// `master_key` (32 bytes) seals signing keys at rest and keys the one-time-code hashes.
    pub fn new(store: Store, delivery: Delivery, policy: Policy, master_key: &[u8], clock: Clock) -> Result<Core> {
        let secrets = secrets::Secrets::new(master_key)?;
        Ok(Core { inner: Arc::new(Inner { store, delivery, policy, secrets, keys: keys::KeyRing::default(), clock }) })
    }

    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    pub fn policy(&self) -> &Policy {
        &self.inner.policy
    }

    fn now(&self) -> i64 {
        (self.inner.clock)()
    }
}
