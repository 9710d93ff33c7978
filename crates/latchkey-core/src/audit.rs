//! Audit records: every sign-in, failure, refresh, logout and management change.

use latchkey_store::AuditRow;

use serde_json::{Value, json};

use crate::secrets::row_id;
use crate::{Caller, Core, Project};

pub(crate) struct Event {
    action: String,
    caller: Caller,
    user_id: Option<String>,
    actor_id: Option<String>,
    tenant_id: Option<String>,
    success: bool,
    data: Value,
}

impl Event {
    pub fn new(action: impl Into<String>, caller: &Caller) -> Self {
        let action = action.into();
        Event {
            action: action.to_string(),
            caller: caller.clone(),
            user_id: None,
            actor_id: None,
            tenant_id: None,
            success: true,
            data: json!({}),
        }
    }

    pub fn user(mut self, user_id: &str) -> Self {
        self.user_id = Some(user_id.to_string());
        self
    }

    pub fn actor(mut self, actor_id: &str) -> Self {
        self.actor_id = Some(actor_id.to_string());
        self
    }

    pub fn tenant(mut self, tenant_id: &str) -> Self {
        self.tenant_id = Some(tenant_id.to_string());
        self
    }

    pub fn failed(mut self) -> Self {
        self.success = false;
        self
    }

    pub fn data(mut self, data: Value) -> Self {
        self.data = data;
        self
    }
}

impl Core {
    /// Appends an audit record. A failure to record is logged, not turned into a failed request.
    pub(crate) async fn audit(&self, project: &Project, event: Event) {
        self.audit_all(project, vec![event]).await;
    }

    /// Appends many records in one write (bulk operations).
    pub(crate) async fn audit_all(&self, project: &Project, events: Vec<Event>) {
        let now = self.now();
        let rows: Vec<AuditRow> = events
            .into_iter()
            .map(|event| AuditRow {
                id: row_id(),
                project_id: project.id.clone(),
                occurred_at: now,
                action: event.action,
                actor_id: event.actor_id,
                user_id: event.user_id,
                ip: event.caller.ip,
                user_agent: event.caller.user_agent,
                success: i64::from(event.success),
                tenant_id: event.tenant_id,
                data: event.data.to_string(),
            })
            .collect();
        if let Err(err) = self.inner.store.append_audits(&rows).await {
            let actions: Vec<&str> = rows.iter().map(|r| r.action.as_str()).take(3).collect();
            tracing::error!(error = %err, ?actions, count = rows.len(), "audit records lost");
        }
    }

    /// A user's sign-ins, newest first: `(time, ip)`.
    pub async fn login_history(&self, project: &Project, user_id: &str) -> crate::Result<Vec<(i64, Option<String>)>> {
        let rows = self.inner.store.user_audit(&project.id, user_id, "LoginSucceed", 100).await?;
        Ok(rows.into_iter().map(|r| (r.occurred_at, r.ip)).collect())
    }
}

/// What an audit search keeps; every given criterion must match, and within one, any value.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub user_ids: Vec<String>,
    pub actions: Vec<String>,
    pub excluded_actions: Vec<String>,
    pub login_ids: Vec<String>,
    pub tenants: Vec<String>,
    pub remote_addresses: Vec<String>,
    pub text: Option<String>,
    /// Milliseconds since the epoch, inclusive.
    pub from_ms: Option<i64>,
    pub to_ms: Option<i64>,
}

/// An event an application records through the management API.
#[derive(Debug, Clone)]
pub struct AppEvent<'a> {
    pub action: &'a str,
    /// info, warn or error.
    pub kind: &'a str,
    pub actor_id: &'a str,
    pub tenant_id: &'a str,
    pub user_id: Option<&'a str>,
    pub data: Option<Value>,
}

/// An audit record with the login ids of its user.
#[derive(Debug, Clone)]
pub struct AuditRecord {
    pub row: AuditRow,
    pub login_ids: Vec<String>,
}

const AUDIT_SEARCH_LIMIT: i64 = 1000;

impl Core {
    /// Events matching `filter`, newest first (at most a thousand are examined).
    pub async fn search_audit(&self, project: &Project, filter: &AuditFilter) -> crate::Result<Vec<AuditRecord>> {
        let from = filter.from_ms.map_or(0, |ms| ms.div_euclid(1000));
        let to = filter.to_ms.map_or(i64::MAX, |ms| ms.div_euclid(1000));
        let rows = self.inner.store.audit_events(&project.id, from, to, AUDIT_SEARCH_LIMIT).await?;
        let users = self.inner.store.users_of_project(&project.id).await?;
        let login_ids = |user_id: &Option<String>| -> Vec<String> {
            user_id
                .as_ref()
                .and_then(|id| users.iter().find(|u| &u.id == id))
                .map(|u| u.login_ids.clone())
                .unwrap_or_default()
        };
        let listed = |wanted: &[String], value: Option<&str>| {
            wanted.is_empty() || value.is_some_and(|v| wanted.iter().any(|w| w == v))
        };
        Ok(rows
            .into_iter()
            .map(|row| AuditRecord { login_ids: login_ids(&row.user_id), row })
            .filter(|r| {
                listed(&filter.user_ids, r.row.user_id.as_deref())
                    && listed(&filter.actions, Some(&r.row.action))
                    && !filter.excluded_actions.contains(&r.row.action)
                    && listed(&filter.tenants, r.row.tenant_id.as_deref())
                    && listed(&filter.remote_addresses, r.row.ip.as_deref())
                    && (filter.login_ids.is_empty()
                        || r.login_ids.iter().any(|l| filter.login_ids.iter().any(|w| w.eq_ignore_ascii_case(l))))
                    && filter
                        .text
                        .as_ref()
                        .is_none_or(|t| r.row.action.contains(t.as_str()) || r.row.data.contains(t.as_str()))
            })
            .collect())
    }

    /// Records an application's own event.
    pub async fn record_event(&self, project: &Project, event: AppEvent<'_>, caller: &Caller) -> crate::Result<()> {
        let AppEvent { action, kind, actor_id, tenant_id, user_id, data } = event;
        if action.trim().is_empty() {
            return Err(crate::Error::missing("action"));
        }
        if action.len() > 256 {
            return Err(crate::Error::invalid("action", "is too long (at most 256 characters)"));
        }
        if kind.is_empty() {
            return Err(crate::Error::missing("type"));
        }
        if !["info", "warn", "error"].contains(&kind) {
            return Err(crate::Error::invalid("type", "must be info, warn or error"));
        }
        if actor_id.trim().is_empty() {
            return Err(crate::Error::missing("actorId"));
        }
        if actor_id.len() > 256 {
            return Err(crate::Error::invalid("actorId", "is too long (at most 256 characters)"));
        }
        if tenant_id.trim().is_empty() {
            return Err(crate::Error::missing("tenantId"));
        }
        self.tenant(project, tenant_id).await?;
        let mut event = Event::new(action, caller)
            .actor(actor_id)
            .tenant(tenant_id)
            .data(data.filter(Value::is_object).unwrap_or_else(|| json!({})));
        if let Some(user_id) = user_id.filter(|u| !u.is_empty()) {
            event = event.user(user_id);
        }
        if kind == "error" {
            event = event.failed();
        }
        self.audit(project, event).await;
        Ok(())
    }
}
