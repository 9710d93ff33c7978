//! Configuration: defaults, then the TOML file, then `LATCHKEY_*` environment variables and
//! command-line flags (clap merges those two), each overriding the one before.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use clap::Args;
use latchkey_delivery::{SmsConfig, SmtpConfig};
use serde::Deserialize;

/// Where the store is: shared by `serve` and the admin subcommands.
#[derive(Debug, Clone, Args)]
pub struct StoreArgs {
    /// Data directory: the embedded SQLite database, the master key file, credentials.env.
    #[arg(long, env = "LATCHKEY_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// PostgreSQL (postgres://user:pass@host/db) or SQLite (sqlite://file.db) URL; default: SQLite in the data dir.
    #[arg(long, env = "LATCHKEY_DATABASE_URL")]
    pub database_url: Option<String>,
    /// TOML configuration file.
    #[arg(long, env = "LATCHKEY_CONFIG")]
    pub config: Option<PathBuf>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub data_dir: Option<PathBuf>,
    pub listen: Option<String>,
    pub database_url: Option<String>,
    /// The URL clients reach this server at (issuer of tokens); default: the bound address.
    pub public_url: Option<String>,
    /// 32 bytes, base64; default: generated into `<data_dir>/master.key`.
    pub master_key: Option<String>,
    pub smtp: Option<SmtpConfig>,
    pub sms: Option<SmsConfig>,
    #[serde(default)]
    pub tokens: TokensConfig,
    #[serde(default)]
    pub rate_limit: RateLimitConfig,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TokensConfig {
    pub session_ttl_secs: i64,
    pub refresh_ttl_secs: i64,
    pub code_ttl_secs: i64,
    pub code_max_attempts: i64,
}

impl Default for TokensConfig {
    fn default() -> Self {
        let policy = latchkey_core::Policy::default();
        TokensConfig {
            session_ttl_secs: policy.session_ttl,
            refresh_ttl_secs: policy.refresh_ttl,
            code_ttl_secs: policy.code_ttl,
            code_max_attempts: policy.code_max_attempts,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RateLimitConfig {
    pub window_secs: i64,
    pub per_ip: i64,
    pub per_login_id: i64,
}

impl Default for RateLimitConfig {
    fn default() -> Self {
        let policy = latchkey_core::Policy::default();
        RateLimitConfig {
            window_secs: policy.rate_window,
            per_ip: policy.rate_per_ip,
            per_login_id: policy.rate_per_login_id,
        }
    }
}

/// The resolved configuration.
#[derive(Debug, Clone)]
pub struct Config {
    pub data_dir: PathBuf,
    pub database_url: String,
    pub listen: String,
    pub file: FileConfig,
}

pub const DEFAULT_LISTEN: &str = "127.0.0.1:7080";

impl Config {
    pub fn load(store: &StoreArgs, listen: Option<String>) -> Fallible<Config> {
        let file: FileConfig = match &store.config {
            Some(path) => {
                let text =
                    std::fs::read_to_string(path).map_err(|e| format!("cannot read config {}: {e}", path.display()))?;
                toml::from_str(&text).map_err(|e| format!("config {}: {e}", path.display()))?
            }
            None => FileConfig::default(),
        };
        let data_dir =
            store.data_dir.clone().or_else(|| file.data_dir.clone()).unwrap_or_else(|| PathBuf::from("latchkey-data"));
        let database_url = store
            .database_url
            .clone()
            .or_else(|| file.database_url.clone())
            .unwrap_or_else(|| format!("sqlite://{}", data_dir.join("latchkey.db").display()));
        let listen = listen.or_else(|| file.listen.clone()).unwrap_or_else(|| DEFAULT_LISTEN.to_string());
        listen.parse::<SocketAddr>().map_err(|_| format!("listen address {listen:?} is not host:port"))?;
        Ok(Config { data_dir, database_url, listen, file })
    }

    pub fn policy(&self, issuer_base: &str) -> latchkey_core::Policy {
        let t = &self.file.tokens;
        let r = &self.file.rate_limit;
        latchkey_core::Policy {
            issuer_base: issuer_base.to_string(),
            session_ttl: t.session_ttl_secs,
            refresh_ttl: t.refresh_ttl_secs,
            code_ttl: t.code_ttl_secs,
            invite_ttl: latchkey_core::Policy::default().invite_ttl,
            code_max_attempts: t.code_max_attempts,
            rate_window: r.window_secs,
            rate_per_ip: r.per_ip,
            rate_per_login_id: r.per_login_id,
            password: latchkey_core::PasswordPolicy::default(),
        }
    }

    /// The master key: from the config/env, else the data dir's key file (created on first use).
    pub fn master_key(&self) -> Fallible<Vec<u8>> {
        use base64::Engine;
        let decode = |text: &str| {
            base64::engine::general_purpose::STANDARD
                .decode(text.trim())
                .map_err(|_| "master key is not base64".to_string())
        };
        if let Some(key) = std::env::var("LATCHKEY_MASTER_KEY").ok().or_else(|| self.file.master_key.clone()) {
            return decode(&key);
        }
        let path = self.data_dir.join("master.key");
        if !path.exists() {
            let key = latchkey_jose::random_bytes::<32>();
            write_private(&path, &base64::engine::general_purpose::STANDARD.encode(key))?;
        }
        decode(&std::fs::read_to_string(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?)
    }
}

/// Writes a file only its owner can read (mode 0600).
pub fn write_private(path: &Path, contents: &str) -> Fallible<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    if let Some(dir) = path.parent() {
        create_private_dir(dir)?;
    }
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    file.write_all(contents.as_bytes()).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(())
}

/// Creates a directory (and its parents) that only its owner can enter, if it does not exist.
pub fn create_private_dir(dir: &Path) -> Fallible<()> {
    use std::os::unix::fs::DirBuilderExt;
    if dir.as_os_str().is_empty() || dir.exists() {
        return Ok(());
    }
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|e| format!("cannot create {}: {e}", dir.display()))
}

/// Startup and CLI errors are sentences for the operator.
pub type Fallible<T> = std::result::Result<T, String>;
