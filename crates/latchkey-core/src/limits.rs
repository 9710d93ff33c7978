//! Rate limits on sign-in and code delivery, per IP and per login id. The counters live in the
//! store, so every server behind a load balancer counts the same hits.

use crate::{Caller, Core, Error, Project, Result};

impl Core {
    /// Counts one attempt from `caller` (and for `login_key`, when given); refuses with the seconds
    /// to wait once a limit is passed.
    pub(crate) async fn check_rate(&self, project: &Project, caller: &Caller, login_key: Option<&str>) -> Result<()> {
        let policy = &self.inner.policy;
        let mut buckets = Vec::with_capacity(2);
        if let Some(ip) = &caller.ip {
            buckets.push((format!("ip|{}|{ip}", project.id), policy.rate_per_ip));
        }
        if let Some(login) = login_key {
            buckets.push((format!("login|{}|{login}", project.id), policy.rate_per_login_id));
        }
        let now = self.now();
        for (bucket, limit) in buckets {
            let (hits, window_start) = self.inner.store.hit_rate_limit(&bucket, now, policy.rate_window).await?;
            if hits > limit {
                return Err(Error::rate_limited((window_start + policy.rate_window - now).max(1) as u64));
            }
        }
        Ok(())
    }
}
