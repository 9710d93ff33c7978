//! `/v1/mgmt/oauth/client/*`: the project's OAuth clients, with the management key (docs/oidc.md).

use axum::extract::{Query, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use latchkey_core::{ClientUpdate, Core, Error, NewClient, OAuthClient};
use serde::Deserialize;
use serde_json::{Value, json};

use super::MgmtCtx;
use crate::http::{ApiError, Body};

type Reply = Result<Json<Value>, ApiError>;

pub fn routes() -> Router<Core> {
    Router::new()
        .route("/v1/mgmt/oauth/client/create", post(create))
        .route("/v1/mgmt/oauth/client/update", post(update))
        .route("/v1/mgmt/oauth/client/delete", post(delete))
        .route("/v1/mgmt/oauth/client/load", get(load))
        .route("/v1/mgmt/oauth/client/all", get(all))
}

fn wire(c: &OAuthClient) -> Value {
    json!({
        "clientId": c.client_id,
        "name": c.name,
        "public": c.public,
        "redirectUris": c.redirect_uris,
        "postLogoutRedirectUris": c.post_logout_redirect_uris,
        "organizationId": c.organization_id,
        "createdTime": c.created_at,
    })
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct ClientBody {
    client_id: String,
    name: Option<String>,
    public: bool,
    redirect_uris: Option<Vec<String>>,
    post_logout_redirect_uris: Option<Vec<String>>,
    organization_id: Option<String>,
}

async fn create(State(core): State<Core>, ctx: MgmtCtx, Body(b): Body<ClientBody>) -> Reply {
    let new = NewClient {
        name: b.name.unwrap_or_default(),
        public: b.public,
        redirect_uris: b.redirect_uris.unwrap_or_default(),
        post_logout_redirect_uris: b.post_logout_redirect_uris.unwrap_or_default(),
        organization_id: b.organization_id,
    };
    let created = core.create_client(&ctx.project, new).await?;
    Ok(Json(json!({"client": wire(&created.client), "clientSecret": created.secret})))
}

async fn update(State(core): State<Core>, ctx: MgmtCtx, Body(b): Body<ClientBody>) -> Reply {
    let update = ClientUpdate {
        name: b.name,
        redirect_uris: b.redirect_uris,
        post_logout_redirect_uris: b.post_logout_redirect_uris,
    };
    let client = core.update_client(&ctx.project, &required(&b.client_id)?, update).await?;
    Ok(Json(json!({"client": wire(&client)})))
}

async fn delete(State(core): State<Core>, ctx: MgmtCtx, Body(b): Body<ClientBody>) -> Reply {
    core.delete_client(&ctx.project, &required(&b.client_id)?).await?;
    Ok(Json(json!({})))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ClientQuery {
    #[serde(default)]
    client_id: String,
}

async fn load(State(core): State<Core>, ctx: MgmtCtx, Query(q): Query<ClientQuery>) -> Reply {
    let client = core.client(&ctx.project, &required(&q.client_id)?).await?;
    Ok(Json(json!({"client": wire(&client)})))
}

async fn all(State(core): State<Core>, ctx: MgmtCtx) -> Reply {
    let clients = core.clients(&ctx.project).await?;
    Ok(Json(json!({"clients": clients.iter().map(wire).collect::<Vec<_>>()})))
}

fn required(client_id: &str) -> Result<String, Error> {
    if client_id.trim().is_empty() { Err(Error::missing("clientId")) } else { Ok(client_id.trim().to_string()) }
}
