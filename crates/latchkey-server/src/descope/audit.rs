//! `/v1/mgmt/audit/*`: search the audit trail and record application events.

use axum::extract::State;
use axum::routing::post;
use axum::{Json, Router};
use latchkey_core::{AppEvent, AuditFilter, Core};
use serde::Deserialize;
use serde_json::{Value, json};

use super::MgmtCtx;
use crate::http::{ApiError, Body};

type Reply = Result<Json<Value>, ApiError>;

pub fn routes() -> Router<Core> {
    Router::new().route("/v1/mgmt/audit/search", post(search)).route("/v1/mgmt/audit/event", post(create_event))
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct Search {
    user_ids: Option<Vec<String>>,
    actions: Option<Vec<String>>,
    excluded_actions: Option<Vec<String>>,
    external_ids: Option<Vec<String>>,
    tenants: Option<Vec<String>>,
    remote_addresses: Option<Vec<String>>,
    text: Option<String>,
    from: Option<i64>,
    to: Option<i64>,
}

async fn search(State(core): State<Core>, ctx: MgmtCtx, Body(b): Body<Search>) -> Reply {
    let filter = AuditFilter {
        user_ids: b.user_ids.unwrap_or_default(),
        actions: b.actions.unwrap_or_default(),
        excluded_actions: b.excluded_actions.unwrap_or_default(),
        login_ids: b.external_ids.unwrap_or_default(),
        tenants: b.tenants.unwrap_or_default(),
        remote_addresses: b.remote_addresses.unwrap_or_default(),
        text: b.text.filter(|t| !t.is_empty()),
        from_ms: b.from,
        to_ms: b.to,
    };
    let records = core.search_audit(&ctx.project, &filter).await?;
    let audits: Vec<Value> = records
        .iter()
        .map(|r| {
            let e = &r.row;
            json!({
                "projectId": e.project_id,
                "userId": e.user_id.clone().unwrap_or_default(),
                "action": e.action,
                "occurred": e.occurred_at * 1000,
                "device": e.user_agent.clone().unwrap_or_default(),
                "method": "",
                "geo": "",
                "remoteAddress": e.ip.clone().unwrap_or_default(),
                "externalIds": r.login_ids,
                "tenants": e.tenant_id.iter().collect::<Vec<_>>(),
                "data": serde_json::from_str::<Value>(&e.data).unwrap_or_else(|_| json!({})),
            })
        })
        .collect();
    Ok(Json(json!({"audits": audits})))
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct Event {
    action: String,
    #[serde(rename = "type")]
    kind: String,
    actor_id: String,
    tenant_id: String,
    user_id: Option<String>,
    data: Option<serde_json::Map<String, Value>>,
}

async fn create_event(State(core): State<Core>, ctx: MgmtCtx, Body(b): Body<Event>) -> Reply {
    let event = AppEvent {
        action: &b.action,
        kind: &b.kind,
        actor_id: &b.actor_id,
        tenant_id: &b.tenant_id,
        user_id: b.user_id.as_deref(),
        data: b.data.map(Value::Object),
    };
    core.record_event(&ctx.project, event, &ctx.caller).await?;
    Ok(Json(json!({})))
}
