//! Descope wire shapes: the user object, the JWT response, tenants.

use latchkey_core::{SignedIn, TenantRow, UserRow, UserTenantRow};
use serde::Deserialize;
use serde_json::{Value, json};

fn text(value: &Option<String>) -> &str {
    value.as_deref().unwrap_or_default()
}

pub fn user(u: &UserRow) -> Value {
    json!({
        "userId": u.id,
        "loginIds": u.login_ids,
        "email": text(&u.email),
        "verifiedEmail": u.verified_email,
        "phone": text(&u.phone),
        "verifiedPhone": u.verified_phone,
        "name": text(&u.name),
        "givenName": text(&u.given_name),
        "middleName": text(&u.middle_name),
        "familyName": text(&u.family_name),
        "picture": text(&u.picture),
        "roleNames": u.roles,
        "userTenants": u.tenants.iter().map(|t| json!({"tenantId": t.tenant_id, "roleNames": t.roles})).collect::<Vec<_>>(),
        "status": u.status,
        "customAttributes": u.attributes,
        "createdTime": u.created_at,
        "test": u.test,
        "password": u.password_hash.is_some(),
        "externalIds": u.login_ids,
        "ssoAppIds": [],
        "TOTP": false,
        "SAML": false,
        "webauthn": false,
        "OAuth": {},
    })
}

pub fn jwt_response(signed: &SignedIn, now: i64) -> Value {
    json!({
        "sessionJwt": signed.session_jwt,
        "refreshJwt": signed.refresh_jwt,
        "cookieDomain": "",
        "cookiePath": "/",
        "cookieMaxAge": (signed.refresh_expires_at - now).max(0),
        "cookieExpiration": signed.refresh_expires_at,
        "user": user(&signed.user),
        "firstSeen": signed.first_seen,
    })
}

pub fn tenant(t: &TenantRow) -> Value {
    json!({
        "id": t.id,
        "name": t.name,
        "selfProvisioningDomains": t.domains,
        "customAttributes": t.attributes,
        "enforceSSO": t.enforce_sso,
        "disabled": t.disabled,
        "createdTime": t.created_at,
    })
}

/// A tenant's settings as `mgmt.tenant.load_settings` reads them.
pub fn tenant_settings(t: &TenantRow) -> Value {
    let mut settings = json!({
        "selfProvisioningDomains": t.domains,
        "enforceSSO": t.enforce_sso,
        "enabled": false,
        "enableInactivity": false,
    });
    if let Some(stored) = t.settings.as_object() {
        for (key, value) in stored {
            settings[key] = value.clone();
        }
    }
    settings
}

/// `{"tenantId","roleNames"}` as the management API sends tenant memberships.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TenantRoles {
    pub tenant_id: String,
    #[serde(default)]
    pub role_names: Option<Vec<String>>,
}

pub fn memberships(list: Option<Vec<TenantRoles>>) -> Vec<UserTenantRow> {
    list.unwrap_or_default()
        .into_iter()
        .map(|t| UserTenantRow { tenant_id: t.tenant_id, roles: t.role_names.unwrap_or_default() })
        .collect()
}

pub fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}
