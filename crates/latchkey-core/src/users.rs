//! Users: creation with validation, lookup, deletion.

use latchkey_store::{UserRow, UserTenantRow};
use serde_json::json;

use crate::audit::Event;
use crate::import::ImportedHash;
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
    /// A hash made by another system, verified as is and upgraded at the first sign-in.
    pub password_hash: Option<ImportedHash>,
    /// A cleartext password to set: checked against the policy and hashed.
    pub password: Option<String>,
}

/// Fields a patch sets; `None` leaves a field as it is. An update is a patch of every field.
#[derive(Debug, Clone, Default)]
pub struct UserPatch {
    pub email: Option<String>,
    pub verified_email: Option<bool>,
    pub phone: Option<String>,
    pub verified_phone: Option<bool>,
    pub name: Option<String>,
    pub given_name: Option<String>,
    pub middle_name: Option<String>,
    pub family_name: Option<String>,
    pub picture: Option<String>,
    pub roles: Option<Vec<String>>,
    pub tenants: Option<Vec<UserTenantRow>>,
    pub attributes: Option<serde_json::Value>,
    pub additional_login_ids: Option<Vec<String>>,
    pub status: Option<String>,
}

impl UserPatch {
    /// An update: every field given, and what is not given is cleared.
    pub fn replace_all(new: NewUser) -> UserPatch {
        UserPatch {
            email: Some(new.email.unwrap_or_default()),
            verified_email: new.verified_email,
            phone: Some(new.phone.unwrap_or_default()),
            verified_phone: new.verified_phone,
            name: Some(new.name.unwrap_or_default()),
            given_name: Some(new.given_name.unwrap_or_default()),
            middle_name: Some(new.middle_name.unwrap_or_default()),
            family_name: Some(new.family_name.unwrap_or_default()),
            picture: Some(new.picture.unwrap_or_default()),
            roles: Some(new.roles),
            tenants: Some(new.tenants),
            attributes: Some(new.attributes.unwrap_or_else(|| json!({}))),
            additional_login_ids: Some(new.additional_login_ids),
            status: new.status,
        }
    }
}

fn empty_to_none(value: String) -> Option<String> {
    (!value.is_empty()).then_some(value)
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
        let password_hash = match &new.password {
            Some(password) => {
                self.inner.policy.password.check("password", password)?;
                Some(crate::password::hash_password(password).await?)
            }
            None => None,
        };
        let user = self.user_row(project, new, password_hash).await?;
        self.inner.store.insert_user(&user).await?;
        self.audit(project, Event::new("UserCreated", caller).user(&user.id)).await;
        Ok(user)
    }

    /// A new user's row after checking every field; `password_hash` wins over an imported hash.
    pub(crate) async fn user_row(
        &self,
        project: &Project,
        new: NewUser,
        password_hash: Option<String>,
    ) -> Result<UserRow> {
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
        let password_hash = match (password_hash, &new.password_hash) {
            (Some(hash), _) => Some(hash),
            (None, Some(imported)) => Some(imported.stored().map_err(|why| Error::invalid("hashedPassword", &why))?),
            (None, None) => None,
        };
        let status = new.status.clone().unwrap_or_else(|| "invited".into());
        if !["enabled", "disabled", "invited"].contains(&status.as_str()) {
            return Err(Error::invalid("status", "must be enabled, disabled or invited"));
        }
        let now = self.now();
        let mut login_ids = vec![login_id];
        login_ids.extend(new.additional_login_ids.into_iter().filter(|l| !l.trim().is_empty()));
        Ok(UserRow {
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
            password_hash,
            password_expired: false,
            tenants: new.tenants,
            created_at: now,
            updated_at: now,
        })
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

/// What a user search keeps; every given criterion must match, and within one, any value.
#[derive(Debug, Clone, Default)]
pub struct UserFilter {
    pub tenant_ids: Vec<String>,
    pub roles: Vec<String>,
    pub statuses: Vec<String>,
    pub emails: Vec<String>,
    pub phones: Vec<String>,
    pub login_ids: Vec<String>,
    pub user_ids: Vec<String>,
    /// Every key must match (a list value matches any of its items).
    pub attributes: serde_json::Map<String, serde_json::Value>,
    /// Case-insensitive substring of a login id, email, phone or name.
    pub text: Option<String>,
    pub test_users_only: bool,
    pub with_test_users: bool,
    /// Page size (0: the default) and zero-based page number.
    pub limit: usize,
    pub page: usize,
}

const DEFAULT_PAGE: usize = 100;

impl UserFilter {
    fn keeps(&self, u: &UserRow) -> bool {
        fn any<'a>(wanted: &[String], mut have: impl Iterator<Item = &'a str>) -> bool {
            wanted.is_empty() || have.any(|h| wanted.iter().any(|w| w.eq_ignore_ascii_case(h)))
        }
        let in_tenant = any(&self.tenant_ids, u.tenants.iter().map(|t| t.tenant_id.as_str()));
        let all_roles = u.roles.iter().chain(u.tenants.iter().flat_map(|t| t.roles.iter()));
        let has_role = any(&self.roles, all_roles.map(String::as_str));
        let status = any(&self.statuses, std::iter::once(u.status.as_str()));
        let email = any(&self.emails, u.email.as_deref().into_iter());
        let phone = any(&self.phones, u.phone.as_deref().into_iter());
        let login = any(&self.login_ids, u.login_ids.iter().map(String::as_str));
        let id = self.user_ids.is_empty() || self.user_ids.contains(&u.id);
        let attributes = self.attributes.iter().all(|(key, wanted)| match (wanted, u.attributes.get(key)) {
            (serde_json::Value::Array(options), Some(have)) => options.contains(have),
            (wanted, Some(have)) => wanted == have,
            (_, None) => false,
        });
        let text = self.text.as_ref().is_none_or(|text| {
            let text = text.to_lowercase();
            let fields = u.login_ids.iter().chain(&u.email).chain(&u.phone).chain(&u.name);
            fields.map(|f| f.to_lowercase()).any(|f| f.contains(&text))
        });
        let test = if self.test_users_only { u.test } else { self.with_test_users || !u.test };
        in_tenant && has_role && status && email && phone && login && id && attributes && text && test
    }
}

/// One management change to a user.
#[derive(Debug, Clone)]
pub enum UserChange {
    Status(String),
    /// Replaces the login id; None removes it (a user keeps at least one).
    LoginId(Option<String>),
    Email {
        email: Option<String>,
        verified: Option<bool>,
    },
    Phone {
        phone: Option<String>,
        verified: Option<bool>,
    },
    Name {
        name: Option<String>,
        given_name: Option<String>,
        middle_name: Option<String>,
        family_name: Option<String>,
    },
    Picture(Option<String>),
    CustomAttribute {
        key: String,
        value: serde_json::Value,
    },
    /// Role changes in a tenant (Some) or project-wide (None).
    SetRoles {
        tenant_id: Option<String>,
        roles: Vec<String>,
    },
    AddRoles {
        tenant_id: Option<String>,
        roles: Vec<String>,
    },
    RemoveRoles {
        tenant_id: Option<String>,
        roles: Vec<String>,
    },
    AddTenant(String),
    RemoveTenant(String),
    Patch(Box<UserPatch>),
}

fn merge_roles(current: &mut Vec<String>, change: &UserChange) {
    match change {
        UserChange::SetRoles { roles, .. } => *current = roles.clone(),
        UserChange::AddRoles { roles, .. } => {
            for role in roles {
                if !current.contains(role) {
                    current.push(role.clone());
                }
            }
        }
        UserChange::RemoveRoles { roles, .. } => current.retain(|r| !roles.contains(r)),
        _ => {}
    }
}

impl Core {
    async fn apply_patch(&self, project: &Project, user: &mut UserRow, patch: &UserPatch) -> Result<()> {
        if let Some(email) = patch.email.clone() {
            let email = empty_to_none(email);
            if let Some(email) = &email {
                validate_email("email", email)?;
            }
            user.verified_email =
                email.is_some() && patch.verified_email.unwrap_or(user.verified_email || user.email.is_none());
            user.email = email;
        }
        if let Some(phone) = patch.phone.clone() {
            let phone = empty_to_none(phone);
            if let Some(phone) = &phone {
                validate_phone("phone", phone)?;
            }
            user.verified_phone = phone.is_some() && patch.verified_phone.unwrap_or(user.verified_phone);
            user.phone = phone;
        }
        let texts = [
            ("name", &patch.name, &mut user.name),
            ("givenName", &patch.given_name, &mut user.given_name),
            ("middleName", &patch.middle_name, &mut user.middle_name),
            ("familyName", &patch.family_name, &mut user.family_name),
            ("picture", &patch.picture, &mut user.picture),
        ];
        for (field, given, current) in texts {
            if let Some(value) = given {
                validate_text(field, given)?;
                *current = empty_to_none(value.clone());
            }
        }
        if let Some(status) = &patch.status {
            if !["enabled", "disabled", "invited"].contains(&status.as_str()) {
                return Err(Error::invalid("status", "must be enabled, disabled or invited"));
            }
            user.status = status.clone();
        }
        if let Some(roles) = &patch.roles {
            user.roles = roles.clone();
        }
        if let Some(tenants) = &patch.tenants {
            for tenant in tenants {
                self.tenant(project, &tenant.tenant_id).await?;
            }
            user.tenants = tenants.clone();
        }
        if let Some(attributes) = &patch.attributes {
            user.attributes = if attributes.is_object() { attributes.clone() } else { json!({}) };
        }
        if let Some(additional) = &patch.additional_login_ids {
            user.login_ids.truncate(1);
            user.login_ids.extend(additional.iter().filter(|l| !l.trim().is_empty()).cloned());
        }
        Ok(())
    }

    /// Users matching `filter`, oldest first, one page of them.
    pub async fn search_users(&self, project: &Project, filter: &UserFilter) -> Result<Vec<UserRow>> {
        let size = if filter.limit == 0 { DEFAULT_PAGE } else { filter.limit };
        let users = self.inner.store.users_of_project(&project.id).await?;
        Ok(users.into_iter().filter(|u| filter.keeps(u)).skip(filter.page.saturating_mul(size)).take(size).collect())
    }

    /// Users by id; unknown ids are skipped.
    pub async fn users_by_ids(&self, project: &Project, ids: &[String]) -> Result<Vec<UserRow>> {
        let mut users = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some(user) = self.inner.store.user(&project.id, id).await? {
                users.push(user);
            }
        }
        Ok(users)
    }

    /// Applies one management change to the user with `login_id`, checking it like a creation.
    pub async fn change_user(
        &self,
        project: &Project,
        login_id: &str,
        change: UserChange,
        caller: &Caller,
    ) -> Result<UserRow> {
        if login_id.trim().is_empty() {
            return Err(Error::missing("loginId"));
        }
        let mut user = self.user_by_login_id(project, login_id).await?;
        match &change {
            UserChange::Status(status) => {
                if status.is_empty() {
                    return Err(Error::missing("status"));
                }
                if !["enabled", "disabled"].contains(&status.as_str()) {
                    return Err(Error::invalid("status", "must be enabled or disabled"));
                }
                user.status = status.clone();
            }
            UserChange::LoginId(new) => {
                let position = user
                    .login_ids
                    .iter()
                    .position(|l| latchkey_store::login_key(l) == latchkey_store::login_key(login_id));
                let position = position.ok_or_else(user_not_found)?;
                match new.as_deref().map(str::trim).filter(|n| !n.is_empty()) {
                    Some(new) if new.len() > MAX_FIELD => {
                        return Err(Error::invalid("newLoginId", "is too long (at most 256 characters)"));
                    }
                    Some(new) => user.login_ids[position] = new.to_string(),
                    None if user.login_ids.len() == 1 => {
                        return Err(Error::invalid("newLoginId", "cannot remove the user's last login id"));
                    }
                    None => {
                        user.login_ids.remove(position);
                    }
                }
            }
            UserChange::Email { email, verified } => {
                let email = email.clone().filter(|e| !e.is_empty());
                if let Some(email) = &email {
                    validate_email("email", email)?;
                }
                user.verified_email = email.is_some() && verified.unwrap_or(user.verified_email);
                user.email = email;
            }
            UserChange::Phone { phone, verified } => {
                let phone = phone.clone().filter(|p| !p.is_empty());
                if let Some(phone) = &phone {
                    validate_phone("phone", phone)?;
                }
                user.verified_phone = phone.is_some() && verified.unwrap_or(user.verified_phone);
                user.phone = phone;
            }
            UserChange::Name { name, given_name, middle_name, family_name } => {
                for (field, value) in [
                    ("name", name),
                    ("givenName", given_name),
                    ("middleName", middle_name),
                    ("familyName", family_name),
                ] {
                    validate_text(field, value)?;
                }
                user.name = name.clone();
                user.given_name = given_name.clone().or(user.given_name.take());
                user.middle_name = middle_name.clone().or(user.middle_name.take());
                user.family_name = family_name.clone().or(user.family_name.take());
            }
            UserChange::Picture(picture) => {
                validate_text("picture", picture)?;
                user.picture = picture.clone();
            }
            UserChange::CustomAttribute { key, value } => {
                if key.trim().is_empty() {
                    return Err(Error::missing("attributeKey"));
                }
                if key.len() > MAX_FIELD {
                    return Err(Error::invalid("attributeKey", "is too long (at most 256 characters)"));
                }
                if !user.attributes.is_object() {
                    user.attributes = json!({});
                }
                user.attributes[key.as_str()] = value.clone();
            }
            UserChange::SetRoles { tenant_id, .. }
            | UserChange::AddRoles { tenant_id, .. }
            | UserChange::RemoveRoles { tenant_id, .. } => match tenant_id.as_deref().filter(|t| !t.is_empty()) {
                None => merge_roles(&mut user.roles, &change),
                Some(tenant) => {
                    let membership = match user.tenants.iter().position(|t| t.tenant_id == tenant) {
                        Some(i) => &mut user.tenants[i],
                        None => {
                            self.tenant(project, tenant).await?;
                            user.tenants.push(UserTenantRow { tenant_id: tenant.to_string(), roles: Vec::new() });
                            user.tenants.last_mut().expect("just pushed")
                        }
                    };
                    merge_roles(&mut membership.roles, &change);
                }
            },
            UserChange::AddTenant(tenant) => {
                self.tenant(project, tenant).await?;
                if !user.tenants.iter().any(|t| &t.tenant_id == tenant) {
                    user.tenants.push(UserTenantRow { tenant_id: tenant.clone(), roles: Vec::new() });
                }
            }
            UserChange::RemoveTenant(tenant) => user.tenants.retain(|t| &t.tenant_id != tenant),
            UserChange::Patch(patch) => self.apply_patch(project, &mut user, patch).await?,
        }
        user.updated_at = self.now();
        self.inner.store.update_user(&user).await?;
        self.audit(project, Event::new("UserModified", caller).user(&user.id)).await;
        Ok(user)
    }
}
