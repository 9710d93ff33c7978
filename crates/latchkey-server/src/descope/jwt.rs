//! `/v1/mgmt/jwt/update`, `/v1/mgmt/impersonate` and `/v1/mgmt/auth/*`: tokens a backend
//! issues on a user's behalf.

use axum::extract::State;
use axum::routing::post;
use axum::{Json, Router};
use latchkey_core::{Core, MgmtLogin, NewUser};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::{MgmtCtx, wire};
use crate::http::{ApiError, Body};

type Reply = Result<Json<Value>, ApiError>;

pub fn routes() -> Router<Core> {
    Router::new()
        .route("/v1/mgmt/jwt/update", post(update_jwt))
        .route("/v1/mgmt/impersonate", post(impersonate))
        .route("/v1/mgmt/auth/signin", post(sign_in))
        .route("/v1/mgmt/auth/signup", post(sign_up))
        .route("/v1/mgmt/auth/signup-in", post(sign_up_or_in))
        .route("/v1/mgmt/auth/anonymous", post(anonymous))
}

/// Every field these routes read; each reads the ones it needs.
#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct TokenBody {
    jwt: String,
    login_id: String,
    impersonator_id: String,
    custom_claims: Option<Map<String, Value>>,
    selected_tenant: Option<String>,
    refresh_duration: Option<i64>,
    revoke_other_sessions: Option<bool>,
    user: Option<SignUpUser>,
    email_verified: Option<bool>,
    phone_verified: Option<bool>,
    /// Read for their type only: consent and step-up are not modelled yet.
    #[allow(dead_code)]
    validate_consent: Option<bool>,
    #[allow(dead_code)]
    stepup: Option<bool>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct SignUpUser {
    name: Option<String>,
    given_name: Option<String>,
    middle_name: Option<String>,
    family_name: Option<String>,
    email: Option<String>,
    phone: Option<String>,
    email_verified: Option<bool>,
    phone_verified: Option<bool>,
}

impl TokenBody {
    fn login(&mut self) -> MgmtLogin {
        MgmtLogin {
            custom_claims: self.custom_claims.take(),
            revoke_other_sessions: self.revoke_other_sessions.unwrap_or(false),
            refresh_duration: self.refresh_duration.unwrap_or(0),
            selected_tenant: self.selected_tenant.take().filter(|t| !t.is_empty()),
        }
    }

    fn new_user(&mut self) -> NewUser {
        let user = self.user.take().unwrap_or_default();
        NewUser {
            login_id: self.login_id.clone(),
            email: user.email.filter(|e| !e.is_empty()),
            verified_email: user.email_verified.or(self.email_verified),
            phone: user.phone.filter(|p| !p.is_empty()),
            verified_phone: user.phone_verified.or(self.phone_verified),
            name: user.name,
            given_name: user.given_name,
            middle_name: user.middle_name,
            family_name: user.family_name,
            ..NewUser::default()
        }
    }
}

fn signed_in(signed: latchkey_core::SignedIn) -> Reply {
    Ok(Json(wire::jwt_response(&signed, wire::now())))
}

async fn update_jwt(State(core): State<Core>, ctx: MgmtCtx, Body(mut b): Body<TokenBody>) -> Reply {
    let claims = b.custom_claims.take().unwrap_or_default();
    Ok(Json(json!({"jwt": core.update_jwt(&ctx.project, &b.jwt, claims).await?})))
}

async fn impersonate(State(core): State<Core>, ctx: MgmtCtx, Body(mut b): Body<TokenBody>) -> Reply {
    let login = b.login();
    let jwt = core.impersonate(&ctx.project, &b.impersonator_id, &b.login_id, login, &ctx.caller).await?;
    Ok(Json(json!({"jwt": jwt})))
}

async fn sign_in(State(core): State<Core>, ctx: MgmtCtx, Body(mut b): Body<TokenBody>) -> Reply {
    let login = b.login();
    signed_in(core.mgmt_sign_in(&ctx.project, &b.login_id, login, &ctx.caller).await?)
}

async fn sign_up(State(core): State<Core>, ctx: MgmtCtx, Body(mut b): Body<TokenBody>) -> Reply {
    let (login, user) = (b.login(), b.new_user());
    signed_in(core.mgmt_sign_up(&ctx.project, user, false, login, &ctx.caller).await?)
}

async fn sign_up_or_in(State(core): State<Core>, ctx: MgmtCtx, Body(mut b): Body<TokenBody>) -> Reply {
    let (login, user) = (b.login(), b.new_user());
    signed_in(core.mgmt_sign_up(&ctx.project, user, true, login, &ctx.caller).await?)
}

async fn anonymous(State(core): State<Core>, ctx: MgmtCtx, Body(mut b): Body<TokenBody>) -> Reply {
    signed_in(core.anonymous_session(&ctx.project, b.login(), &ctx.caller).await?)
}
