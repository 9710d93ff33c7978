//! `/v1/mgmt/*`: the management routes of this slice (users, tenants, test users, access keys).

use axum::extract::{Query, State};
use axum::routing::{delete, get, patch, post};
use axum::{Json, Router};
use base64::Engine;
use latchkey_core::{
    AccessKeyRow, AccessKeyUpdate, Channel, Core, Error, ImportedHash, LoginOptions, NewAccessKey, NewTenant, NewUser,
    TenantFilter, UserChange, UserFilter, UserPatch,
};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::MgmtCtx;
use super::wire::{self, TenantRoles, memberships};
use crate::http::{ApiError, ArrayBody, Body};

type Reply = Result<Json<Value>, ApiError>;

pub fn routes() -> Router<Core> {
    Router::new()
        .route("/v1/mgmt/license", get(license))
        .route("/v1/mgmt/user/create", post(create_user))
        .route("/v1/mgmt/user/create/test", post(create_test_user))
        .route("/v1/mgmt/user", get(load_user))
        .route("/v1/mgmt/user/delete", post(delete_user))
        .route("/v1/mgmt/user/test/delete/all", delete(delete_test_users))
        .route("/v1/mgmt/tenant/create", post(create_tenant))
        .route("/v1/mgmt/tenant", get(load_tenant))
        .route("/v1/mgmt/tenant/all", get(load_tenants))
        .route("/v1/mgmt/tenant/delete", post(delete_tenant))
        .route("/v1/mgmt/tenant/update", post(update_tenant))
        .route("/v1/mgmt/tenant/search", post(search_tenants))
        .route("/v1/mgmt/tenant/settings", get(tenant_settings).post(update_tenant_settings))
        .route("/v1/mgmt/tests/generate/otp", post(generate_otp))
        .route("/v1/mgmt/tests/generate/magiclink", post(generate_magic_link))
        .route("/v1/mgmt/tests/generate/enchantedlink", post(generate_enchanted_link))
        .route("/v1/mgmt/user/signin/embeddedlink", post(embedded_link))
        .route("/v1/mgmt/accesskey/create", post(create_access_key))
        .route("/v1/mgmt/accesskey", get(load_access_key))
        .route("/v1/mgmt/accesskey/search", post(search_access_keys))
        .route("/v1/mgmt/accesskey/update", post(update_access_key))
        .route("/v1/mgmt/accesskey/activate", post(activate_access_key))
        .route("/v1/mgmt/accesskey/deactivate", post(deactivate_access_key))
        .route("/v1/mgmt/accesskey/delete", post(delete_access_key))
        .route("/v1/mgmt/user/update/status", post(update_status))
        .route("/v1/mgmt/user/update/loginid", post(update_login_id))
        .route("/v1/mgmt/user/update/email", post(update_email))
        .route("/v1/mgmt/user/update/phone", post(update_phone))
        .route("/v1/mgmt/user/update/name", post(update_name))
        .route("/v1/mgmt/user/update/picture", post(update_picture))
        .route("/v1/mgmt/user/update/customAttribute", post(update_custom_attribute))
        .route("/v1/mgmt/user/update/role/set", post(set_roles))
        .route("/v2/mgmt/user/update/role/add", post(add_roles))
        .route("/v1/mgmt/user/update/role/remove", post(remove_roles))
        .route("/v1/mgmt/user/update/tenant/add", post(add_tenant))
        .route("/v1/mgmt/user/update/tenant/remove", post(remove_tenant))
        .route("/v1/mgmt/user/logout", post(logout_user))
        .route("/v1/mgmt/user/password/set/active", post(set_active_password))
        .route("/v1/mgmt/user/password/set/temporary", post(set_temporary_password))
        .route("/v1/mgmt/user/password/set", post(set_password))
        .route("/v1/mgmt/user/password/expire", post(expire_password))
        .route("/v1/mgmt/user/create/batch", post(create_batch))
        .route("/v1/mgmt/user/import", post(import_users))
        .route("/v1/mgmt/user/update", post(update_user))
        .route("/v1/mgmt/user/patch", patch(patch_user))
        .route("/v1/mgmt/users/load", post(load_users))
        .route("/v2/mgmt/user/search", post(search_users))
        .route("/v2/mgmt/user/search/test", post(search_test_users))
        .route("/v1/mgmt/user/history", post(user_history))
}

/// The SDK's handshake: answering it lets the SDK skip its 5-second timeout.
async fn license(_ctx: MgmtCtx) -> Reply {
    Ok(Json(json!({"rateLimitTier": "unlimited"})))
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct UserBody {
    login_id: String,
    email: Option<String>,
    phone: Option<String>,
    display_name: Option<String>,
    name: Option<String>,
    given_name: Option<String>,
    middle_name: Option<String>,
    family_name: Option<String>,
    picture: Option<String>,
    role_names: Option<Vec<String>>,
    user_tenants: Option<Vec<TenantRoles>>,
    custom_attributes: Option<Value>,
    additional_login_ids: Option<Vec<String>>,
    verified_email: Option<bool>,
    verified_phone: Option<bool>,
    status: Option<String>,
    test: Option<bool>,
    password: Option<String>,
    hashed_password: Option<HashedPassword>,
    invite: Option<bool>,
    invite_url: Option<String>,
    send_mail: Option<bool>,
}

/// The SDK's pre-hashed password shapes (`UserPasswordBcrypt`, `...Pbkdf2`, `...Firebase`, `...Django`).
#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct HashedPassword {
    bcrypt: Option<EncodedHash>,
    pbkdf2: Option<Pbkdf2Hash>,
    firebase: Option<FirebaseHash>,
    django: Option<EncodedHash>,
}

#[derive(Deserialize)]
struct EncodedHash {
    hash: String,
}

#[derive(Deserialize)]
struct Pbkdf2Hash {
    hash: String,
    salt: String,
    iterations: u32,
    #[serde(rename = "type")]
    digest: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct FirebaseHash {
    hash: String,
    salt: String,
    salt_separator: String,
    signer_key: String,
    memory: u32,
    rounds: u32,
}

impl HashedPassword {
    fn imported(self) -> Option<ImportedHash> {
        let HashedPassword { bcrypt, pbkdf2, firebase, django } = self;
        bcrypt
            .map(|b| ImportedHash::Encoded(b.hash))
            .or(pbkdf2.map(|p| ImportedHash::Pbkdf2 {
                digest: p.digest,
                hash: p.hash,
                salt: p.salt,
                iterations: p.iterations,
            }))
            .or(firebase.map(|f| ImportedHash::Firebase {
                hash: f.hash,
                salt: f.salt,
                salt_separator: f.salt_separator,
                signer_key: f.signer_key,
                rounds: f.rounds,
                mem_cost: f.memory,
            }))
            .or(django.map(|d| ImportedHash::Django(d.hash)))
    }
}

/// Invitation switches of a create call (single or batch).
#[derive(Clone, Default)]
struct Invite {
    invite: bool,
    url: Option<String>,
    send_mail: bool,
}

impl UserBody {
    fn invite(&self) -> Invite {
        Invite {
            invite: self.invite.unwrap_or(false),
            url: self.invite_url.clone(),
            send_mail: self.send_mail.unwrap_or(true),
        }
    }
}

fn new_user(b: UserBody, test: bool) -> NewUser {
    NewUser {
        login_id: b.login_id,
        additional_login_ids: b.additional_login_ids.unwrap_or_default(),
        email: b.email,
        verified_email: b.verified_email,
        phone: b.phone,
        verified_phone: b.verified_phone,
        name: b.display_name.or(b.name),
        given_name: b.given_name,
        middle_name: b.middle_name,
        family_name: b.family_name,
        picture: b.picture,
        roles: b.role_names.unwrap_or_default(),
        tenants: memberships(b.user_tenants),
        attributes: b.custom_attributes,
        test,
        status: b.status,
        password_hash: b.hashed_password.and_then(HashedPassword::imported),
        password: b.password.filter(|p| !p.is_empty()),
    }
}

async fn create_and_invite(
    core: &Core,
    ctx: &MgmtCtx,
    new: NewUser,
    invite: &Invite,
) -> Result<latchkey_core::UserRow, ApiError> {
    Ok(if invite.invite && invite.send_mail {
        core.create_invited_user(&ctx.project, new, invite.url.as_deref(), &ctx.caller).await?
    } else {
        core.create_user(&ctx.project, new, &ctx.caller).await?
    })
}

async fn create(core: Core, ctx: MgmtCtx, b: UserBody, test: bool) -> Reply {
    let invite = b.invite();
    let user = create_and_invite(&core, &ctx, new_user(b, test), &invite).await?;
    Ok(Json(json!({"user": wire::user(&user)})))
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct BatchBody {
    users: Vec<UserBody>,
    invite: Option<bool>,
    invite_url: Option<String>,
    send_mail: Option<bool>,
}

/// Creates each user on its own: one failure does not stop the others.
async fn create_batch(State(core): State<Core>, ctx: MgmtCtx, Body(b): Body<BatchBody>) -> Reply {
    if b.users.is_empty() {
        return Err(Error::missing("users").into());
    }
    let invite =
        Invite { invite: b.invite.unwrap_or(false), url: b.invite_url, send_mail: b.send_mail.unwrap_or(true) };
    let (mut created, mut failed) = (Vec::new(), Vec::new());
    for body in b.users {
        let login_ids = json!([body.login_id]);
        let test = body.test.unwrap_or(false);
        match create_and_invite(&core, &ctx, new_user(body, test), &invite).await {
            Ok(user) => created.push(wire::user(&user)),
            Err(ApiError(err)) => failed.push(json!({"failure": err.message, "user": {"loginIds": login_ids}})),
        }
    }
    Ok(Json(json!({"createdUsers": created, "failedUsers": failed})))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ImportBody {
    source: String,
    dryrun: bool,
    /// The import file, base64 (docs/import.md).
    users: Option<String>,
}

/// Imports users in Latchkey's own file format; each user that cannot be stored is reported.
async fn import_users(State(core): State<Core>, ctx: MgmtCtx, Body(b): Body<ImportBody>) -> Reply {
    if b.source != "latchkey" {
        return Err(Error::invalid("source", "must be 'latchkey', the import format this server reads").into());
    }
    let file = b.users.ok_or_else(|| Error::missing("users"))?;
    let file = base64::engine::general_purpose::STANDARD
        .decode(file.trim())
        .map_err(|_| Error::invalid("users", "is not base64"))?;
    let records = latchkey_core::parse_import_file(&file)?;
    let report = core.import_users(&ctx.project, records, b.dryrun, &ctx.caller, &mut |_| {}).await?;
    let failures: Vec<Value> =
        report.failures.iter().map(|f| json!({"user": f.login_id, "reason": f.reason})).collect();
    Ok(Json(json!({"users": report.imported.iter().map(wire::user).collect::<Vec<_>>(), "failures": failures})))
}

async fn update_user(State(core): State<Core>, ctx: MgmtCtx, Body(b): Body<UserBody>) -> Reply {
    let login_id = b.login_id.clone();
    let patch = UserPatch::replace_all(new_user(b, false));
    change(&core, &ctx, &login_id, UserChange::Patch(Box::new(patch))).await
}

/// A patch sends only the fields it changes (the SDK drops the others).
async fn patch_user(State(core): State<Core>, ctx: MgmtCtx, Body(b): Body<UserBody>) -> Reply {
    let patch = UserPatch {
        email: b.email,
        verified_email: b.verified_email,
        phone: b.phone,
        verified_phone: b.verified_phone,
        name: b.display_name.or(b.name),
        given_name: b.given_name,
        middle_name: b.middle_name,
        family_name: b.family_name,
        picture: b.picture,
        roles: b.role_names,
        tenants: b.user_tenants.map(|t| memberships(Some(t))),
        attributes: b.custom_attributes,
        additional_login_ids: None,
        status: b.status,
    };
    change(&core, &ctx, &b.login_id, UserChange::Patch(Box::new(patch))).await
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct LoadUsers {
    user_ids: Vec<String>,
}

async fn load_users(State(core): State<Core>, ctx: MgmtCtx, Body(b): Body<LoadUsers>) -> Reply {
    if b.user_ids.is_empty() {
        return Err(Error::missing("userIds").into());
    }
    let users = core.users_by_ids(&ctx.project, &b.user_ids).await?;
    Ok(Json(json!({"users": users.iter().map(wire::user).collect::<Vec<_>>()})))
}

/// The body is a bare JSON array of user ids.
async fn user_history(State(core): State<Core>, ctx: MgmtCtx, ArrayBody(ids): ArrayBody<Vec<String>>) -> Reply {
    let mut entries = Vec::new();
    for user in core.users_by_ids(&ctx.project, &ids).await? {
        for (time, ip) in core.login_history(&ctx.project, &user.id).await? {
            entries.push(
                json!({"userId": user.id, "loginTime": time, "city": "", "country": "", "ip": ip.unwrap_or_default()}),
            );
        }
    }
    Ok(Json(Value::Array(entries)))
}

async fn create_user(State(core): State<Core>, ctx: MgmtCtx, Body(b): Body<UserBody>) -> Reply {
    let test = b.test.unwrap_or(false);
    create(core, ctx, b, test).await
}

async fn create_test_user(State(core): State<Core>, ctx: MgmtCtx, Body(b): Body<UserBody>) -> Reply {
    create(core, ctx, b, true).await
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct UserQuery {
    login_id: Option<String>,
    user_id: Option<String>,
}

async fn load_user(State(core): State<Core>, ctx: MgmtCtx, Query(q): Query<UserQuery>) -> Reply {
    let user = match (q.login_id.filter(|l| !l.is_empty()), q.user_id.filter(|u| !u.is_empty())) {
        (Some(login_id), _) => core.user_by_login_id(&ctx.project, &login_id).await?,
        (None, Some(user_id)) => core.user_by_id(&ctx.project, &user_id).await?,
        (None, None) => return Err(Error::missing("loginId").into()),
    };
    Ok(Json(json!({"user": wire::user(&user)})))
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct DeleteUser {
    login_id: Option<String>,
    user_id: Option<String>,
}

async fn delete_user(State(core): State<Core>, ctx: MgmtCtx, Body(b): Body<DeleteUser>) -> Reply {
    let login_id = match (b.login_id.filter(|l| !l.is_empty()), b.user_id.filter(|u| !u.is_empty())) {
        (Some(login_id), _) => login_id,
        (None, Some(user_id)) => {
            core.user_by_id(&ctx.project, &user_id).await?.login_ids.first().cloned().unwrap_or_default()
        }
        (None, None) => return Err(Error::missing("loginId").into()),
    };
    core.delete_user(&ctx.project, &login_id, &ctx.caller).await?;
    Ok(Json(json!({})))
}

async fn delete_test_users(State(core): State<Core>, ctx: MgmtCtx) -> Reply {
    core.delete_test_users(&ctx.project, &ctx.caller).await?;
    Ok(Json(json!({})))
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct TenantBody {
    id: Option<String>,
    name: String,
    self_provisioning_domains: Option<Vec<String>>,
    custom_attributes: Option<Value>,
    #[serde(rename = "enforceSSO")]
    enforce_sso: Option<bool>,
    disabled: Option<bool>,
}

impl TenantBody {
    fn tenant(self) -> NewTenant {
        NewTenant {
            id: self.id,
            name: self.name,
            domains: self.self_provisioning_domains.unwrap_or_default(),
            attributes: self.custom_attributes,
            enforce_sso: self.enforce_sso.unwrap_or(false),
            disabled: self.disabled.unwrap_or(false),
        }
    }
}

async fn create_tenant(State(core): State<Core>, ctx: MgmtCtx, Body(b): Body<TenantBody>) -> Reply {
    let tenant = core.create_tenant(&ctx.project, b.tenant(), &ctx.caller).await?;
    Ok(Json(json!({"id": tenant.id})))
}

async fn update_tenant(State(core): State<Core>, ctx: MgmtCtx, Body(b): Body<TenantBody>) -> Reply {
    let id = b.id.clone().filter(|id| !id.is_empty()).ok_or_else(|| Error::missing("id"))?;
    let tenant = core.update_tenant(&ctx.project, &id, b.tenant(), &ctx.caller).await?;
    Ok(Json(wire::tenant(&tenant)))
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct TenantSearch {
    tenant_ids: Option<Vec<String>>,
    tenant_names: Option<Vec<String>>,
    tenant_self_provisioning_domains: Option<Vec<String>>,
    custom_attributes: Option<Map<String, Value>>,
}

async fn search_tenants(State(core): State<Core>, ctx: MgmtCtx, Body(b): Body<TenantSearch>) -> Reply {
    let filter = TenantFilter {
        ids: b.tenant_ids.unwrap_or_default(),
        names: b.tenant_names.unwrap_or_default(),
        domains: b.tenant_self_provisioning_domains.unwrap_or_default(),
        attributes: b.custom_attributes.unwrap_or_default(),
    };
    let tenants = core.search_tenants(&ctx.project, &filter).await?;
    Ok(Json(json!({"tenants": tenants.iter().map(wire::tenant).collect::<Vec<_>>()})))
}

async fn tenant_settings(State(core): State<Core>, ctx: MgmtCtx, Query(q): Query<IdQuery>) -> Reply {
    let id = q.id.filter(|id| !id.is_empty()).ok_or_else(|| Error::missing("id"))?;
    Ok(Json(wire::tenant_settings(&core.tenant(&ctx.project, &id).await?)))
}

/// `{"tenantId", "selfProvisioningDomains"?, "enforceSSO"?, ...session settings}`; absent keys stay as they are.
async fn update_tenant_settings(
    State(core): State<Core>,
    ctx: MgmtCtx,
    Body(mut b): Body<Map<String, Value>>,
) -> Reply {
    let id = match b.remove("tenantId") {
        Some(Value::String(id)) if !id.is_empty() => id,
        _ => return Err(Error::missing("tenantId").into()),
    };
    b.retain(|_, v| !v.is_null());
    let domains = b.remove("selfProvisioningDomains").map(serde_json::from_value).transpose();
    let domains = domains.map_err(|_| Error::invalid("selfProvisioningDomains", "must be a list of domains"))?;
    let enforce_sso = match b.remove("enforceSSO") {
        Some(Value::Bool(v)) => Some(v),
        Some(_) => return Err(Error::invalid("enforceSSO", "must be true or false").into()),
        None => None,
    };
    core.update_tenant_settings(&ctx.project, &id, b, domains, enforce_sso, &ctx.caller).await?;
    Ok(Json(json!({})))
}

#[derive(Deserialize)]
struct IdQuery {
    id: Option<String>,
}

async fn load_tenant(State(core): State<Core>, ctx: MgmtCtx, Query(q): Query<IdQuery>) -> Reply {
    let id = q.id.filter(|id| !id.is_empty()).ok_or_else(|| Error::missing("id"))?;
    Ok(Json(wire::tenant(&core.tenant(&ctx.project, &id).await?)))
}

async fn load_tenants(State(core): State<Core>, ctx: MgmtCtx) -> Reply {
    let tenants = core.tenants(&ctx.project).await?;
    Ok(Json(json!({"tenants": tenants.iter().map(wire::tenant).collect::<Vec<_>>()})))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct DeleteTenant {
    id: String,
    cascade: Option<bool>,
}

async fn delete_tenant(State(core): State<Core>, ctx: MgmtCtx, Body(b): Body<DeleteTenant>) -> Reply {
    if b.id.is_empty() {
        return Err(Error::missing("id").into());
    }
    core.delete_tenant(&ctx.project, &b.id, b.cascade.unwrap_or(false), &ctx.caller).await?;
    Ok(Json(json!({})))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct GenerateBody {
    #[serde(rename = "loginId")]
    login_id: String,
    #[serde(rename = "deliveryMethod")]
    delivery_method: Option<String>,
    #[serde(rename = "URI")]
    uri: Option<String>,
    #[serde(rename = "loginOptions")]
    login_options: Option<LoginOptions>,
}

async fn generate(
    core: Core,
    ctx: MgmtCtx,
    b: GenerateBody,
    kind: &str,
) -> Result<(latchkey_core::TestCode, String), ApiError> {
    // "Embedded" codes are delivered by the caller itself: treat them as email.
    let method = b.delivery_method.unwrap_or_else(|| "email".into()).to_lowercase();
    let channel = if method == "embedded" {
        Channel::Email
    } else {
        Channel::parse(&method).ok_or_else(|| Error::invalid("deliveryMethod", "is not a known delivery method"))?
    };
    if b.login_id.trim().is_empty() {
        return Err(Error::missing("loginId").into());
    }
    let code = core
        .generate_test_code(
            &ctx.project,
            kind,
            channel,
            &b.login_id,
            b.uri.as_deref(),
            b.login_options.unwrap_or_default(),
        )
        .await?;
    Ok((code, b.login_id))
}

async fn generate_otp(State(core): State<Core>, ctx: MgmtCtx, Body(b): Body<GenerateBody>) -> Reply {
    let (code, login_id) = generate(core, ctx, b, "otp").await?;
    Ok(Json(json!({"code": code.code, "loginId": login_id})))
}

async fn generate_magic_link(State(core): State<Core>, ctx: MgmtCtx, Body(b): Body<GenerateBody>) -> Reply {
    let (code, login_id) = generate(core, ctx, b, "magiclink").await?;
    Ok(Json(json!({"link": code.link, "loginId": login_id})))
}

async fn generate_enchanted_link(State(core): State<Core>, ctx: MgmtCtx, Body(b): Body<GenerateBody>) -> Reply {
    let (code, login_id) = generate(core, ctx, b, "enchantedlink").await?;
    Ok(Json(json!({"link": code.link, "pendingRef": code.pending_ref, "loginId": login_id})))
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct EmbeddedBody {
    login_id: String,
    custom_claims: Option<Map<String, Value>>,
    timeout: Option<i64>,
}

async fn embedded_link(State(core): State<Core>, ctx: MgmtCtx, Body(b): Body<EmbeddedBody>) -> Reply {
    if b.login_id.trim().is_empty() {
        return Err(Error::missing("loginId").into());
    }
    let token = core.embedded_link(&ctx.project, &b.login_id, b.custom_claims, b.timeout.unwrap_or(0)).await?;
    Ok(Json(json!({"token": token})))
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct AccessKeyBody {
    name: String,
    description: Option<String>,
    expire_time: Option<i64>,
    role_names: Option<Vec<String>>,
    key_tenants: Option<Vec<TenantRoles>>,
    user_id: Option<String>,
    custom_claims: Option<Map<String, Value>>,
    permitted_ips: Option<Vec<String>>,
}

fn access_key_json(k: &AccessKeyRow) -> Value {
    let parse = |text: &str| serde_json::from_str::<Value>(text).unwrap_or(Value::Null);
    json!({
        "id": k.id, "name": k.name, "description": k.description, "status": k.status,
        "roleNames": parse(&k.roles), "keyTenants": parse(&k.tenants), "customClaims": parse(&k.custom_claims),
        "permittedIps": parse(&k.permitted_ips), "expireTime": k.expires_at, "createdTime": k.created_at,
        "boundUserId": k.user_id.clone().unwrap_or_default(),
    })
}

async fn create_access_key(State(core): State<Core>, ctx: MgmtCtx, Body(b): Body<AccessKeyBody>) -> Reply {
    let new = NewAccessKey {
        name: b.name,
        description: b.description.unwrap_or_default(),
        expires_at: b.expire_time.unwrap_or(0),
        roles: b.role_names.unwrap_or_default(),
        tenants: memberships(b.key_tenants),
        custom_claims: b.custom_claims.unwrap_or_default(),
        permitted_ips: b.permitted_ips.unwrap_or_default(),
        user_id: b.user_id.filter(|u| !u.is_empty()),
    };
    let created = core.create_access_key(&ctx.project, new, &ctx.caller).await?;
    Ok(Json(json!({"key": access_key_json(&created.key), "cleartext": created.cleartext})))
}

/// The body of every single-field user change; each route reads the fields it needs.
#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct ChangeBody {
    login_id: String,
    user_id: Option<String>,
    status: Option<String>,
    new_login_id: Option<String>,
    email: Option<String>,
    phone: Option<String>,
    verified: Option<bool>,
    display_name: Option<String>,
    given_name: Option<String>,
    middle_name: Option<String>,
    family_name: Option<String>,
    picture: Option<String>,
    attribute_key: String,
    attribute_value: Value,
    role_names: Option<Vec<String>>,
    tenant_id: Option<String>,
}

async fn change(core: &Core, ctx: &MgmtCtx, login_id: &str, change: UserChange) -> Reply {
    let user = core.change_user(&ctx.project, login_id, change, &ctx.caller).await?;
    Ok(Json(json!({"user": wire::user(&user)})))
}

async fn update_status(State(core): State<Core>, ctx: MgmtCtx, Body(b): Body<ChangeBody>) -> Reply {
    change(&core, &ctx, &b.login_id, UserChange::Status(b.status.unwrap_or_default())).await
}

async fn update_login_id(State(core): State<Core>, ctx: MgmtCtx, Body(b): Body<ChangeBody>) -> Reply {
    change(&core, &ctx, &b.login_id, UserChange::LoginId(b.new_login_id)).await
}

async fn update_email(State(core): State<Core>, ctx: MgmtCtx, Body(b): Body<ChangeBody>) -> Reply {
    change(&core, &ctx, &b.login_id, UserChange::Email { email: b.email, verified: b.verified }).await
}

async fn update_phone(State(core): State<Core>, ctx: MgmtCtx, Body(b): Body<ChangeBody>) -> Reply {
    change(&core, &ctx, &b.login_id, UserChange::Phone { phone: b.phone, verified: b.verified }).await
}

async fn update_name(State(core): State<Core>, ctx: MgmtCtx, Body(b): Body<ChangeBody>) -> Reply {
    let name = UserChange::Name {
        name: b.display_name,
        given_name: b.given_name,
        middle_name: b.middle_name,
        family_name: b.family_name,
    };
    change(&core, &ctx, &b.login_id, name).await
}

async fn update_picture(State(core): State<Core>, ctx: MgmtCtx, Body(b): Body<ChangeBody>) -> Reply {
    change(&core, &ctx, &b.login_id, UserChange::Picture(b.picture)).await
}

async fn update_custom_attribute(State(core): State<Core>, ctx: MgmtCtx, Body(b): Body<ChangeBody>) -> Reply {
    change(&core, &ctx, &b.login_id, UserChange::CustomAttribute { key: b.attribute_key, value: b.attribute_value })
        .await
}

async fn set_roles(State(core): State<Core>, ctx: MgmtCtx, Body(b): Body<ChangeBody>) -> Reply {
    let roles = b.role_names.unwrap_or_default();
    change(&core, &ctx, &b.login_id, UserChange::SetRoles { tenant_id: b.tenant_id, roles }).await
}

async fn add_roles(State(core): State<Core>, ctx: MgmtCtx, Body(b): Body<ChangeBody>) -> Reply {
    let roles = b.role_names.unwrap_or_default();
    change(&core, &ctx, &b.login_id, UserChange::AddRoles { tenant_id: b.tenant_id, roles }).await
}

async fn remove_roles(State(core): State<Core>, ctx: MgmtCtx, Body(b): Body<ChangeBody>) -> Reply {
    let roles = b.role_names.unwrap_or_default();
    change(&core, &ctx, &b.login_id, UserChange::RemoveRoles { tenant_id: b.tenant_id, roles }).await
}

async fn add_tenant(State(core): State<Core>, ctx: MgmtCtx, Body(b): Body<ChangeBody>) -> Reply {
    let tenant = b.tenant_id.filter(|t| !t.is_empty()).ok_or_else(|| Error::missing("tenantId"))?;
    change(&core, &ctx, &b.login_id, UserChange::AddTenant(tenant)).await
}

async fn remove_tenant(State(core): State<Core>, ctx: MgmtCtx, Body(b): Body<ChangeBody>) -> Reply {
    let tenant = b.tenant_id.filter(|t| !t.is_empty()).ok_or_else(|| Error::missing("tenantId"))?;
    change(&core, &ctx, &b.login_id, UserChange::RemoveTenant(tenant)).await
}

async fn logout_user(State(core): State<Core>, ctx: MgmtCtx, Body(b): Body<ChangeBody>) -> Reply {
    let user = match b.user_id.filter(|u| !u.is_empty()) {
        Some(user_id) => core.user_by_id(&ctx.project, &user_id).await?,
        None if b.login_id.is_empty() => return Err(Error::missing("loginId").into()),
        None => core.user_by_login_id(&ctx.project, &b.login_id).await?,
    };
    core.logout_user(&ctx.project, &user.id, &ctx.caller).await?;
    Ok(Json(json!({})))
}

async fn load_access_key(State(core): State<Core>, ctx: MgmtCtx, Query(q): Query<IdQuery>) -> Reply {
    let id = q.id.filter(|id| !id.is_empty()).ok_or_else(|| Error::missing("id"))?;
    Ok(Json(json!({"key": access_key_json(&core.access_key(&ctx.project, &id).await?)})))
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct KeySearch {
    tenant_ids: Option<Vec<String>>,
    bound_user_id: Option<String>,
}

async fn search_access_keys(State(core): State<Core>, ctx: MgmtCtx, Body(b): Body<KeySearch>) -> Reply {
    let tenants = b.tenant_ids.unwrap_or_default();
    let user = b.bound_user_id.filter(|u| !u.is_empty());
    let keys = core.search_access_keys(&ctx.project, &tenants, user.as_deref()).await?;
    Ok(Json(json!({"keys": keys.iter().map(access_key_json).collect::<Vec<_>>()})))
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct KeyUpdate {
    id: String,
    name: String,
    description: Option<String>,
    custom_claims: Option<Map<String, Value>>,
    permitted_ips: Option<Vec<String>>,
}

fn key_id(id: &str) -> Result<&str, ApiError> {
    if id.is_empty() { Err(Error::missing("id").into()) } else { Ok(id) }
}

async fn update_access_key(State(core): State<Core>, ctx: MgmtCtx, Body(b): Body<KeyUpdate>) -> Reply {
    let update = AccessKeyUpdate {
        name: b.name,
        description: b.description,
        custom_claims: b.custom_claims,
        permitted_ips: b.permitted_ips,
    };
    let key = core.update_access_key(&ctx.project, key_id(&b.id)?, update, &ctx.caller).await?;
    Ok(Json(json!({"key": access_key_json(&key)})))
}

async fn activate_access_key(State(core): State<Core>, ctx: MgmtCtx, Body(b): Body<KeyUpdate>) -> Reply {
    core.set_access_key_active(&ctx.project, key_id(&b.id)?, true, &ctx.caller).await?;
    Ok(Json(json!({})))
}

async fn deactivate_access_key(State(core): State<Core>, ctx: MgmtCtx, Body(b): Body<KeyUpdate>) -> Reply {
    core.set_access_key_active(&ctx.project, key_id(&b.id)?, false, &ctx.caller).await?;
    Ok(Json(json!({})))
}

async fn delete_access_key(State(core): State<Core>, ctx: MgmtCtx, Body(b): Body<KeyUpdate>) -> Reply {
    core.delete_access_key(&ctx.project, key_id(&b.id)?, &ctx.caller).await?;
    Ok(Json(json!({})))
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct UserSearch {
    tenant_ids: Option<Vec<String>>,
    role_names: Option<Vec<String>>,
    statuses: Option<Vec<String>>,
    emails: Option<Vec<String>>,
    phones: Option<Vec<String>>,
    login_ids: Option<Vec<String>>,
    user_ids: Option<Vec<String>>,
    custom_attributes: Option<Map<String, Value>>,
    text: Option<String>,
    test_users_only: Option<bool>,
    with_test_user: Option<bool>,
    limit: Option<i64>,
    page: Option<i64>,
}

impl UserSearch {
    fn filter(self) -> Result<UserFilter, ApiError> {
        let count = |field: &str, n: Option<i64>| match n.unwrap_or(0) {
            n if n < 0 => Err(ApiError(Error::invalid(field, "must not be negative"))),
            n => Ok(n as usize),
        };
        Ok(UserFilter {
            limit: count("limit", self.limit)?,
            page: count("page", self.page)?,
            tenant_ids: self.tenant_ids.unwrap_or_default(),
            roles: self.role_names.unwrap_or_default(),
            statuses: self.statuses.unwrap_or_default(),
            emails: self.emails.unwrap_or_default(),
            phones: self.phones.unwrap_or_default(),
            login_ids: self.login_ids.unwrap_or_default(),
            user_ids: self.user_ids.unwrap_or_default(),
            attributes: self.custom_attributes.unwrap_or_default(),
            text: self.text.filter(|t| !t.is_empty()),
            test_users_only: self.test_users_only.unwrap_or(false),
            with_test_users: self.with_test_user.unwrap_or(false),
        })
    }
}

async fn search(core: &Core, ctx: &MgmtCtx, filter: UserFilter) -> Reply {
    let users = core.search_users(&ctx.project, &filter).await?;
    Ok(Json(json!({"users": users.iter().map(wire::user).collect::<Vec<_>>(), "total": users.len()})))
}

async fn search_users(State(core): State<Core>, ctx: MgmtCtx, Body(b): Body<UserSearch>) -> Reply {
    search(&core, &ctx, b.filter()?).await
}

async fn search_test_users(State(core): State<Core>, ctx: MgmtCtx, Body(b): Body<UserSearch>) -> Reply {
    let filter = UserFilter { test_users_only: true, with_test_users: true, ..b.filter()? };
    search(&core, &ctx, filter).await
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct PasswordBody {
    login_id: String,
    password: String,
    set_active: Option<bool>,
}

async fn set_active_password(State(core): State<Core>, ctx: MgmtCtx, Body(b): Body<PasswordBody>) -> Reply {
    core.set_password(&ctx.project, &b.login_id, &b.password, true, &ctx.caller).await?;
    Ok(Json(json!({})))
}

async fn set_temporary_password(State(core): State<Core>, ctx: MgmtCtx, Body(b): Body<PasswordBody>) -> Reply {
    core.set_password(&ctx.project, &b.login_id, &b.password, false, &ctx.caller).await?;
    Ok(Json(json!({})))
}

/// The older route: `setActive` says which of the two it is.
async fn set_password(State(core): State<Core>, ctx: MgmtCtx, Body(b): Body<PasswordBody>) -> Reply {
    core.set_password(&ctx.project, &b.login_id, &b.password, b.set_active.unwrap_or(false), &ctx.caller).await?;
    Ok(Json(json!({})))
}

async fn expire_password(State(core): State<Core>, ctx: MgmtCtx, Body(b): Body<PasswordBody>) -> Reply {
    core.expire_password(&ctx.project, &b.login_id, &ctx.caller).await?;
    Ok(Json(json!({})))
}
