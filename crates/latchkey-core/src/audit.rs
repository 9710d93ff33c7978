//! Audit records: every sign-in, failure, refresh, logout and management change.

use latchkey_store::AuditRow;
use serde_json::{Value, json};

use crate::secrets::row_id;
use crate::{Caller, Core, Project};

pub(crate) struct Event {
    action: &'static str,
    caller: Caller,
    user_id: Option<String>,
    actor_id: Option<String>,
    success: bool,
    data: Value,
}

impl Event {
    pub fn new(action: &'static str, caller: &Caller) -> Self {
        Event { action, caller: caller.clone(), user_id: None, actor_id: None, success: true, data: json!({}) }
    }

    pub fn user(mut self, user_id: &str) -> Self {
        self.user_id = Some(user_id.to_string());
        self
    }

    pub fn actor(mut self, actor_id: &str) -> Self {
        self.actor_id = Some(actor_id.to_string());
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
        let row = AuditRow {
            id: row_id(),
            project_id: project.id.clone(),
            occurred_at: self.now(),
            action: event.action.to_string(),
            actor_id: event.actor_id,
            user_id: event.user_id,
            ip: event.caller.ip,
            user_agent: event.caller.user_agent,
            success: i64::from(event.success),
            data: event.data.to_string(),
        };
        if let Err(err) = self.inner.store.append_audit(&row).await {
            tracing::error!(error = %err, action = event.action, "audit record lost");
        }
    }

    /// A user's sign-ins, newest first: `(time, ip)`.
    pub async fn login_history(&self, project: &Project, user_id: &str) -> crate::Result<Vec<(i64, Option<String>)>> {
        let rows = self.inner.store.user_audit(&project.id, user_id, "LoginSucceed", 100).await?;
        Ok(rows.into_iter().map(|r| (r.occurred_at, r.ip)).collect())
    }
}
