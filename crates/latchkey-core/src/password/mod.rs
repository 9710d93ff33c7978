//! Passwords: Argon2id hashes (OWASP parameters), a policy, and the password sign-in flows.
//! Hashing runs on the blocking pool: it is deliberately slow.

pub(crate) mod hashes;

use std::sync::OnceLock;

use latchkey_store::login_key;
use serde::Serialize;

use crate::audit::Event;
use crate::codes::Channel;
use crate::users::{NewUser, user_not_found};
use crate::{Caller, Code, Core, Error, LoginOptions, Masked, Project, Result, SignUpUser, SignedIn, Start, StartMode};

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PasswordPolicy {
    pub min_length: usize,
    pub lowercase: bool,
    pub uppercase: bool,
    pub number: bool,
    pub non_alphanumeric: bool,
}

impl Default for PasswordPolicy {
    /// Length over composition rules, as NIST SP 800-63B advises.
    fn default() -> Self {
        PasswordPolicy { min_length: 8, lowercase: false, uppercase: false, number: false, non_alphanumeric: false }
    }
}

/// Longer inputs only cost hashing time; nobody types more.
const MAX_PASSWORD: usize = 256;

impl PasswordPolicy {
    pub fn check(&self, field: &str, password: &str) -> Result<()> {
        let weak = |why: String| Err(Error::new(Code::WeakPassword, format!("'{field}' {why}")));
        if password.chars().count() < self.min_length {
            return weak(format!("must have at least {} characters", self.min_length));
        }
        if password.len() > MAX_PASSWORD {
            return weak(format!("must have at most {MAX_PASSWORD} bytes"));
        }
        type Rule = (bool, fn(char) -> bool, &'static str);
        let rules: [Rule; 4] = [
            (self.lowercase, |c| c.is_lowercase(), "a lowercase letter"),
            (self.uppercase, |c| c.is_uppercase(), "an uppercase letter"),
            (self.number, |c| c.is_ascii_digit(), "a digit"),
            (self.non_alphanumeric, |c| !c.is_alphanumeric(), "a symbol"),
        ];
        for (required, test, what) in rules {
            if required && !password.chars().any(test) {
                return weak(format!("must contain {what}"));
            }
        }
        Ok(())
    }
}

type HashJob = Box<dyn FnOnce() + Send>;

/// Runs password hashing on a few dedicated threads, one per core. Each hash holds its memory cost
/// (19 MiB) while it runs; on tokio's blocking pool a burst of sign-ins would run hundreds at once
/// on ever new threads, each keeping its own allocator arena (seen: 2.9 GiB RSS under load). Here
/// at most one hash per core runs, each thread reuses its memory, and the rest wait their turn.
async fn hashing<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Result<T> {
    static QUEUE: OnceLock<std::sync::Mutex<std::sync::mpsc::Sender<HashJob>>> = OnceLock::new();
    let queue = QUEUE.get_or_init(|| {
        let (sender, receiver) = std::sync::mpsc::channel::<HashJob>();
        let receiver = std::sync::Arc::new(std::sync::Mutex::new(receiver));
        for n in 0..std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2) {
            let receiver = receiver.clone();
            std::thread::Builder::new()
                .name(format!("latchkey-hash-{n}"))
                .spawn(move || {
                    loop {
                        // The lock is held only while waiting for the next job, not while it runs.
                        let next = match receiver.lock() {
                            Ok(queue) => queue.recv(),
                            Err(_) => return,
                        };
                        match next {
                            Ok(job) => job(),
                            Err(_) => return,
                        }
                    }
                })
                .expect("hashing thread");
        }
        std::sync::Mutex::new(sender)
    });
    let (done, result) = tokio::sync::oneshot::channel();
    let job: HashJob = Box::new(move || {
        let _ = done.send(work());
    });
    queue.lock().map_err(Error::internal)?.send(job).map_err(Error::internal)?;
    result.await.map_err(Error::internal)
}

pub(crate) async fn hash_password(password: &str) -> Result<String> {
    let password = password.to_string();
    hashing(move || hashes::hash_argon2id(password.as_bytes())).await?.map_err(Error::internal)
}

/// A hash of a random password, checked for unknown users so they cost the same time as known ones.
fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        let password = latchkey_jose::b64url(&latchkey_jose::random_bytes::<16>());
        hashes::hash_argon2id(password.as_bytes()).expect("argon2")
    })
}

/// How a password check came out.
enum Check {
    Wrong,
    /// Right; `outdated` when the stored hash is not the current scheme and cost (an import).
    Right {
        outdated: bool,
    },
}

async fn verify_password(password: &str, stored: Option<String>) -> Check {
    let password = password.to_string();
    hashing(move || match stored.as_deref().map(hashes::StoredHash::parse) {
        Some(Ok(hash)) if hash.verify(password.as_bytes()) => Check::Right { outdated: !hash.is_current() },
        Some(Ok(_)) => Check::Wrong,
        // Unknown users cost one hash too, so the answer's timing does not tell who exists.
        _ => {
            if let Ok(dummy) = hashes::StoredHash::parse(dummy_hash()) {
                dummy.verify(password.as_bytes());
            }
            Check::Wrong
        }
    })
    .await
    .unwrap_or(Check::Wrong)
}

impl Core {
    pub async fn sign_up_password(
        &self,
        project: &Project,
        caller: &Caller,
        login_id: &str,
        password: &str,
        user: SignUpUser,
    ) -> Result<SignedIn> {
        if login_id.trim().is_empty() {
            return Err(Error::missing("loginId"));
        }
        self.check_rate(project, caller, Some(&login_key(login_id))).await?;
        self.inner.policy.password.check("password", password)?;
        if self.inner.store.user_by_login_id(&project.id, login_id).await?.is_some() {
            return Err(Error::new(Code::UserExists, "A user with this login id already exists"));
        }
        let email = user
            .email
            .clone()
            .or_else(|| crate::validate_email("loginId", login_id).ok().map(|_| login_id.to_string()));
        let new = NewUser {
            login_id: login_id.to_string(),
            tenants: self.self_provisioned_tenants(project, email.as_deref()).await?,
            email: user.email,
            verified_email: Some(false),
            phone: user.phone,
            name: user.name,
            given_name: user.given_name,
            middle_name: user.middle_name,
            family_name: user.family_name,
            status: Some("enabled".into()),
            password: Some(password.to_string()),
            ..NewUser::default()
        };
        let created = self.create_user(project, new, caller).await?;
        self.start_session(project, created, "pwd", &LoginOptions::default(), true, caller).await
    }

    /// Checks a login id and password; the same error for an unknown user and a wrong password.
    /// An expired password is refused unless `allow_expired` (replacing it is how it is renewed).
    async fn check_password(
        &self,
        project: &Project,
        caller: &Caller,
        login_id: &str,
        password: &str,
        allow_expired: bool,
    ) -> Result<latchkey_store::UserRow> {
        if login_id.trim().is_empty() {
            return Err(Error::missing("loginId"));
        }
        self.check_rate(project, caller, Some(&login_key(login_id))).await?;
        let user = self.inner.store.user_by_login_id(&project.id, login_id).await?;
        let hash = user.as_ref().and_then(|u| u.password_hash.clone());
        let Check::Right { outdated } = verify_password(password, hash).await else {
            let mut event = Event::new("LoginFailed", caller).failed().data(serde_json::json!({"method": "pwd"}));
            if let Some(user) = &user {
                event = event.user(&user.id);
            }
            self.audit(project, event).await;
            return Err(Error::new(Code::BadCredentials, "Wrong login id or password"));
        };
        let mut user = user.ok_or_else(user_not_found)?;
        if user.password_expired && !allow_expired {
            return Err(Error::new(Code::PasswordExpired, "The password has expired: replace it to sign in"));
        }
        if outdated {
            // The one moment the cleartext is at hand: move an imported hash to the current scheme.
            user.password_hash = Some(hash_password(password).await?);
            self.inner.store.update_user(&user).await?;
            self.audit(project, Event::new("PasswordUpgraded", caller).user(&user.id)).await;
        }
        Ok(user)
    }

    /// Sets a user's password from the management API; a temporary one (`active` false) must be
    /// replaced before it signs in.
    pub async fn set_password(
        &self,
        project: &Project,
        login_id: &str,
        password: &str,
        active: bool,
        caller: &Caller,
    ) -> Result<()> {
        if login_id.trim().is_empty() {
            return Err(Error::missing("loginId"));
        }
        if password.is_empty() {
            return Err(Error::missing("password"));
        }
        let mut user = self.user_by_login_id(project, login_id).await?;
        self.inner.policy.password.check("password", password)?;
        user.password_hash = Some(hash_password(password).await?);
        user.password_expired = !active;
        user.updated_at = self.now();
        self.inner.store.update_user(&user).await?;
        self.audit(
            project,
            Event::new("UserModified", caller).user(&user.id).data(serde_json::json!({"password": "set"})),
        )
        .await;
        Ok(())
    }

    /// Marks a user's password expired: it signs in again only after a replace.
    pub async fn expire_password(&self, project: &Project, login_id: &str, caller: &Caller) -> Result<()> {
        if login_id.trim().is_empty() {
            return Err(Error::missing("loginId"));
        }
        let mut user = self.user_by_login_id(project, login_id).await?;
        user.password_expired = true;
        user.updated_at = self.now();
        self.inner.store.update_user(&user).await?;
        self.audit(
            project,
            Event::new("UserModified", caller).user(&user.id).data(serde_json::json!({"password": "expired"})),
        )
        .await;
        Ok(())
    }

    pub async fn sign_in_password(
        &self,
        project: &Project,
        caller: &Caller,
        login_id: &str,
        password: &str,
    ) -> Result<SignedIn> {
        let user = self.check_password(project, caller, login_id, password, false).await?;
        self.start_session(project, user, "pwd", &LoginOptions::default(), false, caller).await
    }

    pub async fn replace_password(
        &self,
        project: &Project,
        caller: &Caller,
        login_id: &str,
        old: &str,
        new: &str,
    ) -> Result<SignedIn> {
        self.inner.policy.password.check("newPassword", new)?;
        let mut user = self.check_password(project, caller, login_id, old, true).await?;
        user.password_hash = Some(hash_password(new).await?);
        user.password_expired = false;
        user.updated_at = self.now();
        self.inner.store.update_user(&user).await?;
        self.audit(project, Event::new("PasswordReplaced", caller).user(&user.id)).await;
        self.start_session(project, user, "pwd", &LoginOptions::default(), false, caller).await
    }

    /// Sets a new password for the signed-in user the refresh token belongs to.
    pub async fn update_password(
        &self,
        project: &Project,
        caller: &Caller,
        refresh: &str,
        login_id: &str,
        new: &str,
    ) -> Result<()> {
        let live = self.live_session(project, refresh).await?;
        self.inner.policy.password.check("newPassword", new)?;
        let mut user = self.user_by_id(project, &live.session.user_id).await?;
        if !user.login_ids.iter().any(|l| login_key(l) == login_key(login_id)) {
            return Err(Error::invalid("loginId", "does not belong to the signed-in user"));
        }
        user.password_hash = Some(hash_password(new).await?);
        user.password_expired = false;
        user.updated_at = self.now();
        self.inner.store.update_user(&user).await?;
        self.audit(project, Event::new("PasswordUpdated", caller).user(&user.id)).await;
        Ok(())
    }

    /// Completes a mailed password reset: checks the new password first (a weak one leaves the link
    /// unspent), spends the link, sets the password, and ends the link's own session, so the user
    /// then signs in with the new password.
    pub async fn reset_password_with_link(
        &self,
        project: &Project,
        caller: &Caller,
        token: &str,
        new: &str,
    ) -> Result<()> {
        self.inner.policy.password.check("password", new)?;
        let signed = self.verify_magic_link(project, caller, token).await?;
        let login_id = signed.user.login_ids.first().cloned().unwrap_or_default();
        let changed = self.update_password(project, caller, &signed.refresh_jwt, &login_id, new).await;
        self.logout(project, &signed.refresh_jwt, caller).await?;
        changed
    }

    /// Mails a sign-in link to `redirect_url`; once signed in, the app lets the user set a new password.
    pub async fn send_password_reset(
        &self,
        project: &Project,
        caller: &Caller,
        login_id: &str,
        redirect_url: Option<&str>,
    ) -> Result<Masked> {
        let start = Start {
            channel: Channel::Email,
            login_id,
            mode: StartMode::SignIn,
            options: LoginOptions::default(),
            uri: redirect_url,
            refresh: None,
        };
        self.start_magic_link(project, caller, start).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_verify_only_the_right_password_and_the_dummy_never_matches() {
        let hash = hash_password("correct horse").await.unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(matches!(verify_password("correct horse", Some(hash.clone())).await, Check::Right { outdated: false }));
        assert!(matches!(verify_password("wrong horse", Some(hash)).await, Check::Wrong));
        assert!(matches!(verify_password("anything", None).await, Check::Wrong));
        assert!(matches!(verify_password("anything", Some("$md5$unreadable".into())).await, Check::Wrong));
    }

    #[test]
    fn policy_names_what_is_missing() {
        let policy = PasswordPolicy { number: true, ..PasswordPolicy::default() };
        assert!(policy.check("password", "short").unwrap_err().message.contains("at least 8"));
        assert!(policy.check("password", "longenough").unwrap_err().message.contains("digit"));
        assert!(policy.check("password", "longenough1").is_ok());
    }
}
