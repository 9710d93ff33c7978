//! What a signed-in user does with its refresh token: log out, read itself, pick a tenant.

use latchkey_store::{TenantRow, UserRow};

use crate::audit::Event;
use crate::{Caller, Code, Core, Error, Project, Result, SignedIn};

impl Core {
    /// Ends the session the refresh token belongs to.
    pub async fn logout(&self, project: &Project, refresh: &str, caller: &Caller) -> Result<()> {
        let live = self.live_session(project, refresh).await?;
        self.inner.store.revoke_session(&live.session.id, self.now()).await?;
        self.audit(project, Event::new("Logout", caller).user(&live.session.user_id)).await;
        Ok(())
    }

    /// Ends every session of the user the refresh token belongs to.
    pub async fn logout_all(&self, project: &Project, refresh: &str, caller: &Caller) -> Result<()> {
        let live = self.live_session(project, refresh).await?;
        self.logout_user(project, &live.session.user_id, caller).await
    }

    pub async fn logout_user(&self, project: &Project, user_id: &str, caller: &Caller) -> Result<()> {
        self.inner.store.revoke_user_sessions(&project.id, user_id, self.now()).await?;
        self.audit(project, Event::new("LogoutAll", caller).user(user_id)).await;
        Ok(())
    }

    pub async fn me(&self, project: &Project, refresh: &str) -> Result<UserRow> {
        let live = self.live_session(project, refresh).await?;
        self.user_by_id(project, &live.session.user_id).await
    }

    /// The tenants of the signed-in user (only `ids` when given), and the selected one.
    pub async fn my_tenants(
        &self,
        project: &Project,
        refresh: &str,
        ids: Option<&[String]>,
    ) -> Result<(Vec<TenantRow>, Option<String>)> {
        let live = self.live_session(project, refresh).await?;
        let user = self.user_by_id(project, &live.session.user_id).await?;
        let mut tenants = Vec::new();
        for membership in &user.tenants {
            if ids.is_some_and(|ids| !ids.contains(&membership.tenant_id)) {
                continue;
            }
            if let Some(tenant) = self.inner.store.tenant(&project.id, &membership.tenant_id).await? {
                tenants.push(tenant);
            }
        }
        Ok((tenants, live.session.tenant_id))
    }

    /// Makes `tenant_id` the session's current tenant (`dct`); the user must belong to it.
    pub async fn select_tenant(
        &self,
        project: &Project,
        refresh: &str,
        tenant_id: &str,
        caller: &Caller,
    ) -> Result<SignedIn> {
        let mut live = self.live_session(project, refresh).await?;
        let user = self.user_by_id(project, &live.session.user_id).await?;
        let tenant = (!tenant_id.is_empty()).then_some(tenant_id);
        if tenant.is_some_and(|tenant| !user.tenants.iter().any(|t| t.tenant_id == tenant)) {
            return Err(Error::new(Code::TenantNotFound, "The user is not a member of this tenant"));
        }
        self.inner.store.set_session_tenant(&live.session.id, tenant).await?;
        live.session.tenant_id = tenant.map(str::to_string);
        self.reissue(project, live, caller).await
    }

    /// A user's sign-ins, newest first, for the refresh token's owner.
    pub async fn my_history(&self, project: &Project, refresh: &str) -> Result<(String, Vec<(i64, Option<String>)>)> {
        let live = self.live_session(project, refresh).await?;
        let history = self.login_history(project, &live.session.user_id).await?;
        Ok((live.session.user_id, history))
    }
}
