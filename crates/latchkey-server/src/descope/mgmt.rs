//! `/v1/mgmt/*`: the management routes of this slice (users, tenants, test users, access keys).

use axum::extract::{Query, State};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use latchkey_core::{Channel, Core, Error, LoginOptions, NewAccessKey, NewTenant, NewUser};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::MgmtCtx;
use super::wire::{self, TenantRoles, memberships};
use crate::http::{ApiError, Body};

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
        .route("/v1/mgmt/tests/generate/otp", post(generate_otp))
        .route("/v1/mgmt/tests/generate/magiclink", post(generate_magic_link))
        .route("/v1/mgmt/tests/generate/enchantedlink", post(generate_enchanted_link))
        .route("/v1/mgmt/user/signin/embeddedlink", post(embedded_link))
        .route("/v1/mgmt/accesskey/create", post(create_access_key))
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
}

async fn create(core: Core, ctx: MgmtCtx, b: UserBody, test: bool) -> Reply {
    let new = NewUser {
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
        password_hash: None,
    };
    let user = core.create_user(&ctx.project, new, &ctx.caller).await?;
    Ok(Json(json!({"user": wire::user(&user)})))
}

async fn create_user(State(core): State<Core>, ctx: MgmtCtx, Body(b): Body<UserBody>) -> Reply {
    create(core, ctx, b, false).await
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

async fn create_tenant(State(core): State<Core>, ctx: MgmtCtx, Body(b): Body<TenantBody>) -> Reply {
    let new = NewTenant {
        id: b.id,
        name: b.name,
        domains: b.self_provisioning_domains.unwrap_or_default(),
        attributes: b.custom_attributes,
        enforce_sso: b.enforce_sso.unwrap_or(false),
        disabled: b.disabled.unwrap_or(false),
    };
    let tenant = core.create_tenant(&ctx.project, new, &ctx.caller).await?;
    Ok(Json(json!({"id": tenant.id})))
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

fn access_key_json(key: &latchkey_core::CreatedAccessKey) -> Value {
    let k = &key.key;
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
    Ok(Json(json!({"key": access_key_json(&created), "cleartext": created.cleartext})))
}
