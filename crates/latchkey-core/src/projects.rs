use latchkey_jose::Algorithm;
use latchkey_store::{ManagementKeyRow, ProjectRow};
use serde::{Deserialize, Serialize};

use crate::secrets::{constant_time_eq, key_hash, random_id, row_id};
use crate::{Code, Core, Error, Result};

/// Per-project switches, stored with the project.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ProjectSettings {
    /// Every refresh answers a new refresh token and retires the one it was given.
    pub refresh_rotation: bool,
    /// Auth routes are not public: each call must carry the auth management key.
    pub auth_requires_management_key: bool,
    /// How the hosted login pages look.
    pub brand: Brand,
}

/// The hosted pages' branding; each part falls back to a neutral default.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Brand {
    pub name: Option<String>,
    pub logo_url: Option<String>,
    /// A CSS hex colour such as `#4f46e5`.
    pub color: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Project {
    pub id: String,
    pub name: String,
    pub settings: ProjectSettings,
}

impl TryFrom<ProjectRow> for Project {
    type Error = Error;

    fn try_from(row: ProjectRow) -> Result<Self> {
        let settings = serde_json::from_str(&row.settings).map_err(Error::internal)?;
        Ok(Project { id: row.id, name: row.name, settings })
    }
}

/// What the first start created; the key secrets exist in clear only here, once.
#[derive(Debug)]
pub struct Bootstrap {
    pub project: Project,
    pub management_key: String,
    pub auth_management_key: String,
}

const MANAGEMENT: &str = "management";
const AUTH_MANAGEMENT: &str = "auth_management";

impl Core {
    /// Creates the default project with its signing key and management keys, if there is none yet.
    pub async fn bootstrap(&self) -> Result<Option<Bootstrap>> {
        if self.default_project().await?.is_some() {
            return Ok(None);
        }
        let project = Project { id: random_id("P", 27), name: "Latchkey".into(), settings: ProjectSettings::default() };
        self.inner
            .store
            .insert_project(&ProjectRow {
                id: project.id.clone(),
                name: project.name.clone(),
                settings: serde_json::to_string(&project.settings).expect("json"),
                created_at: self.now(),
            })
            .await?;
        self.add_signing_key(&project.id, Algorithm::RS256, 0).await?;
        let management_key = self.create_management_key(&project.id, MANAGEMENT).await?;
        let auth_management_key = self.create_management_key(&project.id, AUTH_MANAGEMENT).await?;
        Ok(Some(Bootstrap { project, management_key, auth_management_key }))
    }

    async fn create_management_key(&self, project_id: &str, kind: &str) -> Result<String> {
        // Alphanumeric only: the SDKs join bearer parts with ':'.
        let secret = random_id("K", 43);
        self.inner
            .store
            .insert_management_key(&ManagementKeyRow {
                id: row_id(),
                project_id: project_id.to_string(),
                kind: kind.to_string(),
                key_hash: key_hash(&secret),
                created_at: self.now(),
            })
            .await?;
        Ok(secret)
    }

    pub async fn default_project(&self) -> Result<Option<Project>> {
        self.inner.store.default_project().await?.map(Project::try_from).transpose()
    }

    /// The project a request names; an unknown id is refused before any other work.
    pub async fn project(&self, id: &str) -> Result<Project> {
        match self.inner.store.project(id).await? {
            Some(row) => row.try_into(),
            None => Err(Error::new(Code::UnknownProject, "Unknown project id")),
        }
    }

    pub async fn update_project_settings(&self, project_id: &str, settings: &ProjectSettings) -> Result<()> {
        let json = serde_json::to_string(settings).expect("json");
        self.inner.store.update_project_settings(project_id, &json).await?;
        Ok(())
    }

    pub async fn check_management_key(&self, project: &Project, key: &str) -> Result<()> {
        self.check_key(project, key, MANAGEMENT, Code::BadManagementKey).await
    }

    pub async fn check_auth_management_key(&self, project: &Project, key: &str) -> Result<()> {
        self.check_key(project, key, AUTH_MANAGEMENT, Code::AuthManagementKeyRequired).await
    }

    async fn check_key(&self, project: &Project, key: &str, kind: &str, code: Code) -> Result<()> {
        let refused = || Error::new(code, code.description());
        if key.is_empty() {
            return Err(refused());
        }
        let hash = key_hash(key);
        match self.inner.store.management_key_by_hash(&project.id, &hash).await? {
            // The lookup is by hash; the comparison of the hash guards against collation surprises.
            Some(row) if row.kind == kind && constant_time_eq(&row.key_hash, &hash) => Ok(()),
            _ => Err(refused()),
        }
    }
}
