//! `/v1/auth/*` and `/v2/keys/{projectId}`.

use axum::extract::{Path, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use latchkey_core::{AddressUpdate, Channel, Code, Core, Error, LoginOptions, Masked, SignUpUser, StartMode};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::{AuthCtx, wire};
use crate::http::{ApiError, Body};

type Reply = Result<Json<Value>, ApiError>;

pub fn routes() -> Router<Core> {
    Router::new()
        .route("/v2/keys/{project_id}", get(keys))
        .route("/v1/auth/otp/signup/{method}", post(otp_sign_up))
        .route("/v1/auth/otp/signin/{method}", post(otp_sign_in))
        .route("/v1/auth/otp/signup-in/{method}", post(otp_sign_up_or_in))
        .route("/v1/auth/otp/verify/{method}", post(otp_verify))
        .route("/v1/auth/otp/update/email", post(otp_update_email))
        .route("/v1/auth/otp/update/phone/{method}", post(otp_update_phone))
        .route("/v1/auth/magiclink/signup/{method}", post(link_sign_up))
        .route("/v1/auth/magiclink/signin/{method}", post(link_sign_in))
        .route("/v1/auth/magiclink/signup-in/{method}", post(link_sign_up_or_in))
        .route("/v1/auth/magiclink/verify", post(link_verify))
        .route("/v1/auth/magiclink/update/email", post(link_update_email))
        .route("/v1/auth/magiclink/update/phone", post(link_update_phone))
        .route("/v1/auth/enchantedlink/signup/{method}", post(enchanted_sign_up))
        .route("/v1/auth/enchantedlink/signin/{method}", post(enchanted_sign_in))
        .route("/v1/auth/enchantedlink/signup-in/{method}", post(enchanted_sign_up_or_in))
        .route("/v1/auth/enchantedlink/verify", post(enchanted_verify))
        .route("/v1/auth/enchantedlink/pending-session", post(enchanted_session))
        .route("/v1/auth/password/signup", post(password_sign_up))
        .route("/v1/auth/password/signin", post(password_sign_in))
        .route("/v1/auth/password/replace", post(password_replace))
        .route("/v1/auth/password/update", post(password_update))
        .route("/v1/auth/password/reset", post(password_reset))
        .route("/v1/auth/password/policy", get(password_policy))
        .route("/v1/auth/refresh", post(refresh))
        .route("/v1/auth/logout", post(logout))
        .route("/v1/auth/logoutall", post(logout_all))
        .route("/v1/auth/me", get(me))
        .route("/v1/auth/me/tenants", post(my_tenants))
        .route("/v1/auth/me/history", get(my_history))
        .route("/v1/auth/tenant/select", post(select_tenant))
        .route("/v1/auth/accesskey/exchange", post(exchange_access_key))
}

async fn keys(State(core): State<Core>, Path(project_id): Path<String>) -> Reply {
    let project = core.project(&project_id).await?;
    Ok(Json(json!({"keys": core.jwks(&project.id).await?})))
}

fn channel(method: &str) -> Result<Channel, ApiError> {
    Channel::parse(method)
        .ok_or_else(|| Error::invalid("deliveryMethod", "must be email, sms, voice or whatsapp").into())
}

fn masked(m: Masked) -> Json<Value> {
    let key = if m.channel == Channel::Email { "maskedEmail" } else { "maskedPhone" };
    Json(json!({ key: m.address }))
}

fn signed_in(signed: latchkey_core::SignedIn) -> Reply {
    Ok(Json(wire::jwt_response(&signed, wire::now())))
}

/// The sign-in start body shared by OTP, magic link and enchanted link.
#[derive(Deserialize, Default)]
#[serde(default)]
struct Start {
    #[serde(rename = "loginId")]
    login_id: String,
    #[serde(rename = "URI")]
    uri: Option<String>,
    user: Option<SignUpUser>,
    email: Option<String>,
    phone: Option<String>,
    #[serde(rename = "loginOptions")]
    login_options: Option<LoginOptions>,
}

impl Start {
    /// Sign-up details, with the top-level `email`/`phone` the SDK also sends.
    fn sign_up(&mut self) -> StartMode {
        let mut user = self.user.take().unwrap_or_default();
        user.email = user.email.filter(|e| !e.is_empty()).or(self.email.take());
        user.phone = user.phone.filter(|p| !p.is_empty()).or(self.phone.take());
        StartMode::SignUp(user)
    }
}

impl Start {
    /// The core request for a start route; `mode` None means sign-up with the body's details.
    fn request<'a>(
        &'a mut self,
        ctx: &'a AuthCtx,
        method: &str,
        mode: Option<StartMode>,
    ) -> Result<latchkey_core::Start<'a>, ApiError> {
        let mode = mode.unwrap_or_else(|| self.sign_up());
        Ok(latchkey_core::Start {
            channel: channel(method)?,
            login_id: &self.login_id,
            mode,
            options: self.login_options.take().unwrap_or_default(),
            uri: self.uri.as_deref(),
            refresh: ctx.token_opt(),
        })
    }
}

async fn start_otp(core: Core, ctx: AuthCtx, method: String, mut body: Start, mode: Option<StartMode>) -> Reply {
    let start = body.request(&ctx, &method, mode)?;
    Ok(masked(core.start_otp(&ctx.project, &ctx.caller, start).await?))
}

async fn otp_sign_up(State(core): State<Core>, ctx: AuthCtx, Path(m): Path<String>, Body(b): Body<Start>) -> Reply {
    start_otp(core, ctx, m, b, None).await
}

async fn otp_sign_in(State(core): State<Core>, ctx: AuthCtx, Path(m): Path<String>, Body(b): Body<Start>) -> Reply {
    start_otp(core, ctx, m, b, Some(StartMode::SignIn)).await
}

async fn otp_sign_up_or_in(
    State(core): State<Core>,
    ctx: AuthCtx,
    Path(m): Path<String>,
    Body(b): Body<Start>,
) -> Reply {
    start_otp(core, ctx, m, b, Some(StartMode::SignUpOrIn)).await
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct Verify {
    login_id: String,
    code: String,
}

async fn otp_verify(State(core): State<Core>, ctx: AuthCtx, Path(m): Path<String>, Body(b): Body<Verify>) -> Reply {
    signed_in(core.verify_otp(&ctx.project, &ctx.caller, channel(&m)?, &b.login_id, &b.code).await?)
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct UpdateAddress {
    #[serde(rename = "loginId")]
    login_id: String,
    email: Option<String>,
    phone: Option<String>,
    #[serde(rename = "addToLoginIDs")]
    add_to_login_ids: Option<bool>,
    #[serde(rename = "URI")]
    uri: Option<String>,
}

async fn update_address(core: Core, ctx: AuthCtx, channel: Channel, b: UpdateAddress, link: bool) -> Reply {
    let address = if channel == Channel::Email { b.email } else { b.phone }.unwrap_or_default();
    let uri = link.then(|| b.uri.filter(|u| !u.is_empty()).unwrap_or_else(|| core.default_link_uri()));
    let update = AddressUpdate {
        channel,
        login_id: &b.login_id,
        address: &address,
        add_to_login_ids: b.add_to_login_ids.unwrap_or(false),
        uri: uri.as_deref(),
    };
    Ok(masked(core.start_update_address(&ctx.project, &ctx.caller, ctx.token()?, update).await?))
}

async fn otp_update_email(State(core): State<Core>, ctx: AuthCtx, Body(b): Body<UpdateAddress>) -> Reply {
    update_address(core, ctx, Channel::Email, b, false).await
}

async fn otp_update_phone(
    State(core): State<Core>,
    ctx: AuthCtx,
    Path(m): Path<String>,
    Body(b): Body<UpdateAddress>,
) -> Reply {
    update_address(core, ctx, channel(&m)?, b, false).await
}

async fn link_update_email(State(core): State<Core>, ctx: AuthCtx, Body(b): Body<UpdateAddress>) -> Reply {
    update_address(core, ctx, Channel::Email, b, true).await
}

async fn link_update_phone(State(core): State<Core>, ctx: AuthCtx, Body(b): Body<UpdateAddress>) -> Reply {
    update_address(core, ctx, Channel::Sms, b, true).await
}

async fn start_link(core: Core, ctx: AuthCtx, method: String, mut body: Start, mode: Option<StartMode>) -> Reply {
    let start = body.request(&ctx, &method, mode)?;
    Ok(masked(core.start_magic_link(&ctx.project, &ctx.caller, start).await?))
}

async fn link_sign_up(State(core): State<Core>, ctx: AuthCtx, Path(m): Path<String>, Body(b): Body<Start>) -> Reply {
    start_link(core, ctx, m, b, None).await
}

async fn link_sign_in(State(core): State<Core>, ctx: AuthCtx, Path(m): Path<String>, Body(b): Body<Start>) -> Reply {
    start_link(core, ctx, m, b, Some(StartMode::SignIn)).await
}

async fn link_sign_up_or_in(
    State(core): State<Core>,
    ctx: AuthCtx,
    Path(m): Path<String>,
    Body(b): Body<Start>,
) -> Reply {
    start_link(core, ctx, m, b, Some(StartMode::SignUpOrIn)).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct TokenBody {
    token: String,
}

async fn link_verify(State(core): State<Core>, ctx: AuthCtx, Body(b): Body<TokenBody>) -> Reply {
    signed_in(core.verify_magic_link(&ctx.project, &ctx.caller, &b.token).await?)
}

async fn start_enchanted(core: Core, ctx: AuthCtx, method: String, mut body: Start, mode: Option<StartMode>) -> Reply {
    let start = body.request(&ctx, &method, mode)?;
    let started = core.start_enchanted_link(&ctx.project, &ctx.caller, start).await?;
    let key = if started.masked.channel == Channel::Email { "maskedEmail" } else { "maskedPhone" };
    Ok(Json(json!({"linkId": started.link_id, "pendingRef": started.pending_ref, key: started.masked.address})))
}

async fn enchanted_sign_up(
    State(core): State<Core>,
    ctx: AuthCtx,
    Path(m): Path<String>,
    Body(b): Body<Start>,
) -> Reply {
    start_enchanted(core, ctx, m, b, None).await
}

async fn enchanted_sign_in(
    State(core): State<Core>,
    ctx: AuthCtx,
    Path(m): Path<String>,
    Body(b): Body<Start>,
) -> Reply {
    start_enchanted(core, ctx, m, b, Some(StartMode::SignIn)).await
}

async fn enchanted_sign_up_or_in(
    State(core): State<Core>,
    ctx: AuthCtx,
    Path(m): Path<String>,
    Body(b): Body<Start>,
) -> Reply {
    start_enchanted(core, ctx, m, b, Some(StartMode::SignUpOrIn)).await
}

async fn enchanted_verify(State(core): State<Core>, ctx: AuthCtx, Body(b): Body<TokenBody>) -> Reply {
    core.verify_enchanted_link(&ctx.project, &b.token).await?;
    Ok(Json(json!({})))
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct PendingRef {
    pending_ref: String,
}

async fn enchanted_session(State(core): State<Core>, ctx: AuthCtx, Body(b): Body<PendingRef>) -> Reply {
    signed_in(core.enchanted_link_session(&ctx.project, &ctx.caller, &b.pending_ref).await?)
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct PasswordBody {
    login_id: String,
    password: String,
    old_password: String,
    new_password: String,
    user: Option<SignUpUser>,
    redirect_url: Option<String>,
}

async fn password_sign_up(State(core): State<Core>, ctx: AuthCtx, Body(b): Body<PasswordBody>) -> Reply {
    let user = b.user.unwrap_or_default();
    signed_in(core.sign_up_password(&ctx.project, &ctx.caller, &b.login_id, &b.password, user).await?)
}

async fn password_sign_in(State(core): State<Core>, ctx: AuthCtx, Body(b): Body<PasswordBody>) -> Reply {
    signed_in(core.sign_in_password(&ctx.project, &ctx.caller, &b.login_id, &b.password).await?)
}

async fn password_replace(State(core): State<Core>, ctx: AuthCtx, Body(b): Body<PasswordBody>) -> Reply {
    signed_in(core.replace_password(&ctx.project, &ctx.caller, &b.login_id, &b.old_password, &b.new_password).await?)
}

async fn password_update(State(core): State<Core>, ctx: AuthCtx, Body(b): Body<PasswordBody>) -> Reply {
    core.update_password(&ctx.project, &ctx.caller, ctx.token()?, &b.login_id, &b.new_password).await?;
    Ok(Json(json!({})))
}

async fn password_reset(State(core): State<Core>, ctx: AuthCtx, Body(b): Body<PasswordBody>) -> Reply {
    let m = core.send_password_reset(&ctx.project, &ctx.caller, &b.login_id, b.redirect_url.as_deref()).await?;
    Ok(Json(json!({"resetMethod": "magiclink", "maskedEmail": m.address})))
}

async fn password_policy(State(core): State<Core>, _ctx: AuthCtx) -> Reply {
    let mut policy = serde_json::to_value(&core.policy().password).map_err(Error::internal)?;
    policy["active"] = json!(true);
    Ok(Json(policy))
}

async fn refresh(State(core): State<Core>, ctx: AuthCtx) -> Reply {
    signed_in(core.refresh(&ctx.project, ctx.token()?, &ctx.caller).await?)
}

async fn logout(State(core): State<Core>, ctx: AuthCtx) -> Reply {
    core.logout(&ctx.project, ctx.token()?, &ctx.caller).await?;
    Ok(Json(json!({})))
}

async fn logout_all(State(core): State<Core>, ctx: AuthCtx) -> Reply {
    core.logout_all(&ctx.project, ctx.token()?, &ctx.caller).await?;
    Ok(Json(json!({})))
}

async fn me(State(core): State<Core>, ctx: AuthCtx) -> Reply {
    Ok(Json(wire::user(&core.me(&ctx.project, ctx.token()?).await?)))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct MyTenants {
    dct: bool,
    ids: Option<Vec<String>>,
}

async fn my_tenants(State(core): State<Core>, ctx: AuthCtx, Body(b): Body<MyTenants>) -> Reply {
    let (tenants, selected) = core.my_tenants(&ctx.project, ctx.token()?, b.ids.as_deref()).await?;
    let tenants = tenants
        .iter()
        .filter(|t| !b.dct || selected.as_deref() == Some(t.id.as_str()))
        .map(|t| json!({"id": t.id, "name": t.name, "customAttributes": t.attributes}))
        .collect::<Vec<_>>();
    Ok(Json(json!({"tenants": tenants})))
}

async fn my_history(State(core): State<Core>, ctx: AuthCtx) -> Reply {
    let (user_id, history) = core.my_history(&ctx.project, ctx.token()?).await?;
    let entries = history
        .into_iter()
        .map(|(time, ip)| json!({"userId": user_id, "loginTime": time, "city": "", "country": "", "ip": ip.unwrap_or_default()}))
        .collect::<Vec<_>>();
    Ok(Json(Value::Array(entries)))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct SelectTenant {
    tenant: String,
}

async fn select_tenant(State(core): State<Core>, ctx: AuthCtx, Body(b): Body<SelectTenant>) -> Reply {
    signed_in(core.select_tenant(&ctx.project, ctx.token()?, &b.tenant, &ctx.caller).await?)
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct Exchange {
    login_options: Option<ExchangeOptions>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct ExchangeOptions {
    custom_claims: Option<Map<String, Value>>,
}

async fn exchange_access_key(State(core): State<Core>, ctx: AuthCtx, Body(b): Body<Exchange>) -> Reply {
    let key = ctx.token().map_err(|_| {
        ApiError(Error::new(Code::BadAccessKey, "Access key missing: 'Bearer <projectId>:<accessKey>'"))
    })?;
    let nsec = b.login_options.and_then(|o| o.custom_claims).unwrap_or_default();
    let (jwt, key) = core.exchange_access_key(&ctx.project, key, nsec, &ctx.caller).await?;
    Ok(Json(json!({"sessionJwt": jwt, "keyId": key.id, "expiration": 0})))
}
