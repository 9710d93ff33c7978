//! `/v1/mgmt/role/*` and `/v1/mgmt/permission/*`.

use axum::extract::State;
use axum::routing::{get, post};
use axum::{Json, Router};
use latchkey_core::{Core, NewRole, RoleFilter, RoleRow};
use serde::Deserialize;
use serde_json::{Value, json};

use super::MgmtCtx;
use crate::http::{ApiError, Body};

type Reply = Result<Json<Value>, ApiError>;

pub fn routes() -> Router<Core> {
    Router::new()
        .route("/v1/mgmt/permission/create", post(create_permission))
        .route("/v1/mgmt/permission/update", post(update_permission))
        .route("/v1/mgmt/permission/delete", post(delete_permission))
        .route("/v1/mgmt/permission/all", get(permissions))
        .route("/v1/mgmt/role/create", post(create_role))
        .route("/v1/mgmt/role/update", post(update_role))
        .route("/v1/mgmt/role/delete", post(delete_role))
        .route("/v1/mgmt/role/all", get(roles))
        .route("/v1/mgmt/role/search", post(search_roles))
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct PermissionBody {
    name: String,
    new_name: Option<String>,
    description: Option<String>,
}

async fn create_permission(State(core): State<Core>, ctx: MgmtCtx, Body(b): Body<PermissionBody>) -> Reply {
    core.create_permission(&ctx.project, &b.name, b.description.as_deref().unwrap_or_default(), &ctx.caller).await?;
    Ok(Json(json!({})))
}

async fn update_permission(State(core): State<Core>, ctx: MgmtCtx, Body(b): Body<PermissionBody>) -> Reply {
    let new_name = b.new_name.unwrap_or_else(|| b.name.clone());
    core.update_permission(&ctx.project, &b.name, &new_name, b.description.as_deref().unwrap_or_default(), &ctx.caller)
        .await?;
    Ok(Json(json!({})))
}

async fn delete_permission(State(core): State<Core>, ctx: MgmtCtx, Body(b): Body<PermissionBody>) -> Reply {
    core.delete_permission(&ctx.project, &b.name, &ctx.caller).await?;
    Ok(Json(json!({})))
}

async fn permissions(State(core): State<Core>, ctx: MgmtCtx) -> Reply {
    let permissions = core.permissions(&ctx.project).await?;
    let list: Vec<Value> = permissions
        .iter()
        .map(|p| json!({"name": p.name, "description": p.description, "systemDefault": false}))
        .collect();
    Ok(Json(json!({"permissions": list})))
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct RoleBody {
    name: String,
    new_name: Option<String>,
    description: Option<String>,
    permission_names: Option<Vec<String>>,
    tenant_id: Option<String>,
}

impl RoleBody {
    fn role(self, name: String) -> NewRole {
        NewRole {
            name,
            description: self.description.unwrap_or_default(),
            permissions: self.permission_names.unwrap_or_default(),
            tenant_id: self.tenant_id,
        }
    }
}

fn role_json(r: &RoleRow) -> Value {
    json!({
        "id": r.name, "name": r.name, "description": r.description, "permissionNames": r.permissions,
        "tenantId": r.tenant_id, "createdTime": r.created_at, "default": false, "private": false,
    })
}

async fn create_role(State(core): State<Core>, ctx: MgmtCtx, Body(b): Body<RoleBody>) -> Reply {
    let name = b.name.clone();
    core.create_role(&ctx.project, b.role(name), &ctx.caller).await?;
    Ok(Json(json!({})))
}

async fn update_role(State(core): State<Core>, ctx: MgmtCtx, Body(b): Body<RoleBody>) -> Reply {
    let name = b.name.clone();
    let new_name = b.new_name.clone().unwrap_or_default();
    core.update_role(&ctx.project, &name, b.role(new_name), &ctx.caller).await?;
    Ok(Json(json!({})))
}

async fn delete_role(State(core): State<Core>, ctx: MgmtCtx, Body(b): Body<RoleBody>) -> Reply {
    core.delete_role(&ctx.project, &b.name, b.tenant_id.as_deref(), &ctx.caller).await?;
    Ok(Json(json!({})))
}

async fn roles(State(core): State<Core>, ctx: MgmtCtx) -> Reply {
    let roles = core.roles(&ctx.project).await?;
    Ok(Json(json!({"roles": roles.iter().map(role_json).collect::<Vec<_>>()})))
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct RoleSearch {
    tenant_ids: Option<Vec<String>>,
    role_names: Option<Vec<String>>,
    role_name_like: Option<String>,
    permission_names: Option<Vec<String>>,
    include_project_roles: Option<bool>,
}

async fn search_roles(State(core): State<Core>, ctx: MgmtCtx, Body(b): Body<RoleSearch>) -> Reply {
    let filter = RoleFilter {
        tenant_ids: b.tenant_ids.filter(|t| !t.is_empty()),
        names: b.role_names.filter(|n| !n.is_empty()),
        name_like: b.role_name_like.filter(|n| !n.is_empty()),
        permissions: b.permission_names.filter(|p| !p.is_empty()),
        include_project_roles: b.include_project_roles.unwrap_or(false),
    };
    let roles = core.search_roles(&ctx.project, &filter).await?;
    Ok(Json(json!({"roles": roles.iter().map(role_json).collect::<Vec<_>>()})))
}
