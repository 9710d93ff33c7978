//! Users: creation with validation, lookup, deletion.

use latchkey_store::{UserRow, UserTenantRow};
use serde_json::json;

use crate::audit::Event;
use crate::secrets::random_id;
use crate::{Caller, Code, Core, Error, Project, Result};

/// A user as the management API or a sign-up describes it.
#[derive(Debug, Clone, Default)]
pub struct NewUser {
    pub login_id: String,
    pub additional_login_ids: Vec<String>,
    pub email: Option<String>,
    pub verified_email: Option<bool>,
    pub phone: Option<String>,
    pub verified_phone: Option<bool>,
    pub name: Option<String>,
    pub given_name: Option<String>,
    pub middle_name: Option<String>,
    pub family_name: Option<String>,
    pub picture: Option<String>,
    pub roles: Vec<String>,
    pub tenants: Vec<UserTenantRow>,
    pub attributes: Option<serde_json::Value>,
    pub test: bool,
    pub status: Option<String>,
    pub password_hash: Option<String>,
}

const MAX_FIELD: usize = 256;

/// An email address: one `@`, a dotted domain, no spaces, at most 256 characters.
pub fn validate_email(field: &str, email: &str) -> Result<()> {
    let valid = email.len() <= MAX_FIELD
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
        && matches!(email.split_once('@'), Some((local, domain))
            if !local.is_empty() && !domain.contains('@') && domain.contains('.')
            && !domain.starts_with('.') && !domain.ends_with('.'));
    if valid { Ok(()) } else { Err(Error::invalid(field, "is not a valid email address")) }
}

/// A phone number: digits with an optional leading `+`, separators allowed, 6 to 24 characters.
pub fn validate_phone(field: &str, phone: &str) -> Result<()> {
    let digits = phone.chars().filter(char::is_ascii_digit).count();
    let valid = (6..=24).contains(&phone.len())
        && digits >= 6
        && phone.trim_start_matches('+').chars().all(|c| c.is_ascii_digit() || " -().".contains(c));
    if valid { Ok(()) } else { Err(Error::invalid(field, "is not a valid phone number")) }
}

fn validate_text(field: &str, value: &Option<String>) -> Result<()> {
    match value {
        Some(v) if v.len() > MAX_FIELD => Err(Error::invalid(field, "is too long (at most 256 characters)")),
        _ => Ok(()),
    }
}

impl Core {
    /// Creates a user after checking every field; `Conflict` if a login id is taken.
    pub async fn create_user(&self, project: &Project, new: NewUser, caller: &Caller) -> Result<UserRow> {
        let login_id = new.login_id.trim().to_string();
        if login_id.is_empty() {
            return Err(Error::missing("loginId"));
        }
        if login_id.len() > MAX_FIELD {
            return Err(Error::invalid("loginId", "is too long (at most 256 characters)"));
        }
        // An email-shaped login id is the user's email unless another one is given.
        let email = new
            .email
            .clone()
            .filter(|e| !e.is_empty())
            .or_else(|| validate_email("loginId", &login_id).ok().map(|_| login_id.clone()));
        if let Some(email) = &email {
            validate_email("email", email)?;
        }
        let phone = new.phone.clone().filter(|p| !p.is_empty());
        if let Some(phone) = &phone {
            validate_phone("phone", phone)?;
        }
        for (field, value) in [
            ("name", &new.name),
            ("givenName", &new.given_name),
            ("middleName", &new.middle_name),
            ("familyName", &new.family_name),
            ("picture", &new.picture),
        ] {
            validate_text(field, value)?;
        }
        for tenant in &new.tenants {
            if self.inner.store.tenant(&project.id, &tenant.tenant_id).await?.is_none() {
                return Err(Error::new(Code::TenantNotFound, format!("Tenant '{}' does not exist", tenant.tenant_id)));
            }
        }
        let status = new.status.clone().unwrap_or_else(|| "invited".into());
        if !["enabled", "disabled", "invited"].contains(&status.as_str()) {
            return Err(Error::invalid("status", "must be enabled, disabled or invited"));
        }
        let now = self.now();
        let mut login_ids = vec![login_id];
        login_ids.extend(new.additional_login_ids.into_iter().filter(|l| !l.trim().is_empty()));
        let user = UserRow {
            id: random_id("U", 27),
            project_id: project.id.clone(),
            login_ids,
            verified_email: email.is_some() && new.verified_email.unwrap_or(true),
            email,
            verified_phone: phone.is_some() && new.verified_phone.unwrap_or(false),
            phone,
            name: new.name,
            given_name: new.given_name,
            middle_name: new.middle_name,
            family_name: new.family_name,
            picture: new.picture,
            status,
            test: new.test,
            roles: new.roles,
            attributes: new.attributes.filter(|a| a.is_object()).unwrap_or_else(|| json!({})),
            password_hash: new.password_hash,
            tenants: new.tenants,
            created_at: now,
            updated_at: now,
        };
        self.inner.store.insert_user(&user).await?;
        self.audit(project, Event::new("UserCreated", caller).user(&user.id)).await;
        Ok(user)
    }

    pub async fn user_by_login_id(&self, project: &Project, login_id: &str) -> Result<UserRow> {
        self.inner.store.user_by_login_id(&project.id, login_id).await?.ok_or_else(user_not_found)
    }

    pub async fn user_by_id(&self, project: &Project, user_id: &str) -> Result<UserRow> {
        self.inner.store.user(&project.id, user_id).await?.ok_or_else(user_not_found)
    }

    pub async fn delete_user(&self, project: &Project, login_id: &str, caller: &Caller) -> Result<()> {
        let user = self.user_by_login_id(project, login_id).await?;
        self.inner.store.delete_user(&project.id, &user.id).await?;
        self.audit(project, Event::new("UserDeleted", caller).user(&user.id)).await;
        Ok(())
    }

    pub async fn delete_test_users(&self, project: &Project, caller: &Caller) -> Result<usize> {
        let ids = self.inner.store.test_user_ids(&project.id).await?;
        for id in &ids {
            self.inner.store.delete_user(&project.id, id).await?;
        }
        self.audit(project, Event::new("TestUsersDeleted", caller).data(json!({"count": ids.len()}))).await;
        Ok(ids.len())
    }
}

pub(crate) fn user_not_found() -> Error {
    Error::new(Code::UserNotFound, "User not found")
}
