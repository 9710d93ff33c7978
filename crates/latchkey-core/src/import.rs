//! Importing users from other systems with their password hashes. The import file is a JSON array
//! of user objects, or JSON lines (docs/import.md); the Descope door brings its SDK's hash shapes
//! as `ImportedHash` too. Users are stored 1,000 per transaction, and an existing user is never
//! changed: a taken login id is reported as a failure.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use latchkey_store::UserRow;
use serde::Deserialize;

use crate::audit::Event;
use crate::password::hashes::{StoredHash, phc_b64};
use crate::users::NewUser;
use crate::{Caller, Core, Error, Project, Result};

/// Users written per transaction.
const CHUNK: usize = 1000;

/// A password hash made by another system.
#[derive(Debug, Clone)]
pub enum ImportedHash {
    /// A self-describing string: PHC (argon2, pbkdf2, scrypt) or bcrypt's modular crypt.
    Encoded(String),
    /// PBKDF2 with its parts apart; hash and salt in standard base64.
    Pbkdf2 { digest: String, hash: String, salt: String, iterations: u32 },
    /// Firebase's modified scrypt, as Firebase exports it (standard base64).
    Firebase { hash: String, salt: String, salt_separator: String, signer_key: String, rounds: u32, mem_cost: u32 },
    /// Django's `pbkdf2_sha256$<iterations>$<salt>$<base64 hash>` (also `pbkdf2_sha1`, `argon2$...`).
    Django(String),
}

impl ImportedHash {
    /// The stored form, checked to be one Latchkey can verify; the error says why not.
    pub(crate) fn stored(&self) -> std::result::Result<String, String> {
        let decode = |field: &str, text: &str| STANDARD.decode(text).map_err(|_| format!("'{field}' is not base64"));
        let stored = match self {
            ImportedHash::Encoded(text) => text.trim().to_string(),
            ImportedHash::Pbkdf2 { digest, hash, salt, iterations } => {
                let hash = decode("hash", hash)?;
                let digest = digest.to_ascii_lowercase().replace('-', "");
                format!(
                    "$pbkdf2-{digest}$i={iterations},l={}${}${}",
                    hash.len(),
                    phc_b64(&decode("salt", salt)?),
                    phc_b64(&hash)
                )
            }
            ImportedHash::Firebase { hash, salt, salt_separator, signer_key, rounds, mem_cost } => format!(
                "$firebase-scrypt$ln={mem_cost},r={rounds}${}${}${}${}",
                phc_b64(&decode("salt", salt)?),
                phc_b64(&decode("saltSeparator", salt_separator)?),
                phc_b64(&decode("signerKey", signer_key)?),
                phc_b64(&decode("hash", hash)?),
            ),
            ImportedHash::Django(text) => django_to_phc(text)?,
        };
        StoredHash::parse(&stored)?;
        Ok(stored)
    }
}

fn django_to_phc(text: &str) -> std::result::Result<String, String> {
    if let Some(argon2) = text.strip_prefix("argon2$") {
        return Ok(format!("${argon2}"));
    }
    let [algorithm, iterations, salt, hash] = text.split('$').collect::<Vec<_>>()[..] else {
        return Err("a django hash has the form <algorithm>$<iterations>$<salt>$<hash>".into());
    };
    let digest = match algorithm {
        "pbkdf2_sha256" => "sha256",
        "pbkdf2_sha1" => "sha1",
        _ => return Err(format!("unsupported django hash algorithm '{algorithm}'")),
    };
    let hash = STANDARD.decode(hash).map_err(|_| "the django hash is not base64".to_string())?;
    // Django feeds the salt text itself to PBKDF2.
    Ok(format!("$pbkdf2-{digest}$i={iterations},l={}${}${}", hash.len(), phc_b64(salt.as_bytes()), phc_b64(&hash)))
}

/// One user of an import file.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImportRecord {
    #[serde(default)]
    pub login_id: String,
    pub email: Option<String>,
    pub name: Option<String>,
    pub phone: Option<String>,
    pub password: Option<FilePassword>,
}

/// The `password` member of an import record.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FilePassword {
    pub algorithm: Option<String>,
    pub hash: String,
    pub salt: Option<String>,
    pub salt_separator: Option<String>,
    pub signer_key: Option<String>,
    pub rounds: Option<u32>,
    pub mem_cost: Option<u32>,
}

impl FilePassword {
    fn imported(&self) -> std::result::Result<ImportedHash, String> {
        match self.algorithm.as_deref() {
            None => Ok(ImportedHash::Encoded(self.hash.clone())),
            Some("firebase-scrypt") => {
                let need = |field: &str, value: &Option<String>| value.clone().ok_or(format!("'{field}' is missing"));
                Ok(ImportedHash::Firebase {
                    hash: self.hash.clone(),
                    salt: need("salt", &self.salt)?,
                    salt_separator: need("saltSeparator", &self.salt_separator)?,
                    signer_key: need("signerKey", &self.signer_key)?,
                    rounds: self.rounds.ok_or("'rounds' is missing")?,
                    mem_cost: self.mem_cost.ok_or("'memCost' is missing")?,
                })
            }
            Some(other) => Err(format!("unsupported password algorithm '{other}'")),
        }
    }
}

/// Reads an import file: a JSON array of users, or one user object per line.
pub fn parse_import_file(bytes: &[u8]) -> Result<Vec<ImportRecord>> {
    let text = std::str::from_utf8(bytes).map_err(|_| Error::invalid("users", "is not UTF-8 text"))?;
    let bad = |line: usize, err: serde_json::Error| {
        Error::invalid("users", &format!("is not a JSON array or JSON lines of users (line {line}: {err})"))
    };
    if text.trim_start().starts_with('[') {
        return serde_json::from_str(text).map_err(|e| bad(e.line(), e));
    }
    let lines = text.lines().enumerate().filter(|(_, line)| !line.trim().is_empty());
    lines.map(|(n, line)| serde_json::from_str(line).map_err(|e| bad(n + 1, e))).collect()
}

/// A user an import did not store, and why.
#[derive(Debug, Clone)]
pub struct ImportFailure {
    pub login_id: String,
    pub reason: String,
}

#[derive(Debug, Default)]
pub struct ImportReport {
    /// The users stored (with `dry_run`, the users that would be).
    pub imported: Vec<UserRow>,
    pub failures: Vec<ImportFailure>,
}

impl Core {
    /// Imports users; each one is checked on its own, so one bad record fails alone. `progress` is
    /// told how many records are done after each chunk.
    pub async fn import_users(
        &self,
        project: &Project,
        records: Vec<ImportRecord>,
        dry_run: bool,
        caller: &Caller,
        progress: &mut (dyn FnMut(usize) + Send),
    ) -> Result<ImportReport> {
        let mut report = ImportReport::default();
        let mut done = 0;
        for chunk in records.chunks(CHUNK) {
            let mut rows = Vec::with_capacity(chunk.len());
            for record in chunk {
                match self.import_row(project, record).await {
                    Ok(row) => rows.push(row),
                    Err(reason) => report.failures.push(ImportFailure { login_id: record.login_id.clone(), reason }),
                }
            }
            let taken = "a user with this login id already exists".to_string();
            if dry_run {
                let mut seen = std::collections::HashSet::new();
                for row in rows {
                    let key = latchkey_store::login_key(&row.login_ids[0]);
                    let exists = self.inner.store.user_by_login_id(&project.id, &row.login_ids[0]).await?.is_some();
                    if exists || !seen.insert(key) {
                        report
                            .failures
                            .push(ImportFailure { login_id: row.login_ids[0].clone(), reason: taken.clone() });
                    } else {
                        report.imported.push(row);
                    }
                }
            } else {
                let stored = self.inner.store.insert_users_unless_taken(&rows).await?;
                let mut events = Vec::new();
                for (row, stored) in rows.into_iter().zip(stored) {
                    if stored {
                        events.push(
                            Event::new("UserCreated", caller).user(&row.id).data(serde_json::json!({"import": true})),
                        );
                        report.imported.push(row);
                    } else {
                        report
                            .failures
                            .push(ImportFailure { login_id: row.login_ids[0].clone(), reason: taken.clone() });
                    }
                }
                self.audit_all(project, events).await;
            }
            done += chunk.len();
            progress(done);
        }
        Ok(report)
    }

    async fn import_row(&self, project: &Project, record: &ImportRecord) -> std::result::Result<UserRow, String> {
        let password_hash = record.password.as_ref().map(FilePassword::imported).transpose()?;
        let new = NewUser {
            login_id: record.login_id.clone(),
            email: record.email.clone(),
            phone: record.phone.clone(),
            name: record.name.clone(),
            status: Some("enabled".into()),
            password_hash,
            ..NewUser::default()
        };
        self.user_row(project, new, None).await.map_err(|e| e.message)
    }
}
