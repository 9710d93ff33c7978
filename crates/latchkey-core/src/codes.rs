//! One-time codes and link tokens: OTP, magic link, enchanted link, embedded link, and the
//! test-user variants. A secret is random, stored only as a keyed hash, single use, expires,
//! and an OTP dies after `code_max_attempts` wrong tries.

use latchkey_store::{CodeRow, MessageRow, UserRow, login_key};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::secrets::{constant_time_eq, random_digits, random_id, row_id};
use crate::users::{NewUser, user_not_found};
use crate::{Caller, Code, Core, Error, LoginOptions, Project, Result, SignedIn, validate_email, validate_phone};

/// How a code or link reaches the user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Channel {
    Email,
    Sms,
    Voice,
    Whatsapp,
}

impl Channel {
    pub fn parse(name: &str) -> Option<Channel> {
        match name {
            "email" => Some(Channel::Email),
            "sms" => Some(Channel::Sms),
            "voice" => Some(Channel::Voice),
            "whatsapp" => Some(Channel::Whatsapp),
            _ => None,
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::Sms => "sms",
            Channel::Voice => "voice",
            Channel::Whatsapp => "whatsapp",
        }
    }

    fn is_email(self) -> bool {
        self == Channel::Email
    }
}

/// User details a sign-up may carry.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SignUpUser {
    pub name: Option<String>,
    pub given_name: Option<String>,
    pub middle_name: Option<String>,
    pub family_name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
}

/// A request to send a sign-in code or link.
#[derive(Debug, Clone)]
pub struct Start<'a> {
    pub channel: Channel,
    pub login_id: &'a str,
    pub mode: StartMode,
    pub options: LoginOptions,
    /// Where a link points (magic and enchanted links).
    pub uri: Option<&'a str>,
    /// The refresh token of a step-up or MFA sign-in.
    pub refresh: Option<&'a str>,
}

/// A signed-in user's request to change its email or phone.
#[derive(Debug, Clone)]
pub struct AddressUpdate<'a> {
    pub channel: Channel,
    pub login_id: &'a str,
    pub address: &'a str,
    pub add_to_login_ids: bool,
    /// A link to this URI instead of a code.
    pub uri: Option<&'a str>,
}

/// The one-time secret a message carries.
enum Sent {
    Code(String),
    Link(String),
}

#[derive(Debug, Clone)]
pub enum StartMode {
    SignIn,
    SignUp(SignUpUser),
    SignUpOrIn,
}

/// The masked address a code went to, as the sign-in start routes answer it.
#[derive(Debug, Clone)]
pub struct Masked {
    pub channel: Channel,
    pub address: String,
}

/// An enchanted link was sent: the ids the waiting client polls with.
#[derive(Debug, Clone)]
pub struct LinkStart {
    pub link_id: String,
    pub pending_ref: String,
    pub masked: Masked,
}

/// A code or link generated for a test user, returned instead of delivered.
#[derive(Debug, Clone)]
pub struct TestCode {
    pub code: Option<String>,
    pub link: Option<String>,
    pub pending_ref: Option<String>,
}

/// What completing a code does.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "camelCase")]
enum Action {
    SignIn,
    SignUp { user: SignUpUser },
    SignUpOrIn,
    UpdateAddress { user_id: String, address: String, add_to_login_ids: bool },
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Payload {
    #[serde(flatten)]
    action: Action,
    channel: Channel,
    login_id: String,
    options: LoginOptions,
}

const OTP: &str = "otp";
const LINK: &str = "link";
const ENCHANTED: &str = "enchanted";

fn mask(channel: Channel, address: &str) -> Masked {
    let masked = if channel.is_email() {
        match address.split_once('@') {
            Some((local, domain)) => format!("{}***@{domain}", local.chars().next().unwrap_or('*')),
            None => "***".into(),
        }
    } else {
        let chars: Vec<char> = address.chars().collect();
        let keep = if chars.len() > 6 { 2 } else { 0 };
        chars.iter().enumerate().map(|(i, c)| if i < keep || i + keep >= chars.len() { *c } else { '*' }).collect()
    };
    Masked { channel, address: masked }
}

fn address_of(user: &UserRow, channel: Channel) -> Result<String> {
    let address = if channel.is_email() { &user.email } else { &user.phone };
    address.clone().ok_or_else(|| {
        Error::invalid("loginId", &format!("has no {} to send to", if channel.is_email() { "email" } else { "phone" }))
    })
}

fn validate_address(channel: Channel, field: &str, address: &str) -> Result<()> {
    if channel.is_email() { validate_email(field, address) } else { validate_phone(field, address) }
}

fn with_query(uri: &str, token: &str) -> String {
    format!("{uri}{}t={token}", if uri.contains('?') { '&' } else { '?' })
}

fn require_uri(uri: Option<&str>) -> Result<&str> {
    match uri.map(str::trim) {
        Some(uri) if uri.starts_with("http://") || uri.starts_with("https://") => Ok(uri),
        Some("") | None => Err(Error::missing("URI")),
        Some(_) => Err(Error::invalid("URI", "must be an http(s) URL")),
    }
}

impl Core {
    /// Where links point when the caller names no URI (the SDK's address-update calls send none).
    pub fn default_link_uri(&self) -> String {
        format!("{}/magiclink/verify", self.inner.policy.issuer_base.trim_end_matches('/'))
    }

    /// Decides who the code is for and where it goes, refusing impossible starts up front.
    async fn plan(
        &self,
        project: &Project,
        channel: Channel,
        login_id: &str,
        mode: StartMode,
    ) -> Result<(Action, String)> {
        let login_id = login_id.trim();
        if login_id.is_empty() {
            return Err(Error::missing("loginId"));
        }
        let existing = self.inner.store.user_by_login_id(&project.id, login_id).await?;
        if existing.as_ref().is_some_and(|user| user.status == "disabled") {
            return Err(Error::new(Code::UserDisabled, "User is disabled"));
        }
        match (mode, existing) {
            (StartMode::SignUp(_), Some(_)) => {
                Err(Error::new(Code::UserExists, "A user with this login id already exists"))
            }
            (StartMode::SignIn, None) => Err(user_not_found()),
            (StartMode::SignIn | StartMode::SignUpOrIn, Some(user)) => {
                Ok((Action::SignIn, address_of(&user, channel)?))
            }
            (StartMode::SignUp(user), None) => self.plan_sign_up(channel, login_id, user),
            (StartMode::SignUpOrIn, None) => self.plan_sign_up(channel, login_id, SignUpUser::default()),
        }
    }

    fn plan_sign_up(&self, channel: Channel, login_id: &str, mut user: SignUpUser) -> Result<(Action, String)> {
        let given = if channel.is_email() { &mut user.email } else { &mut user.phone };
        let address = given.clone().filter(|a| !a.is_empty()).unwrap_or_else(|| login_id.to_string());
        validate_address(
            channel,
            if given.is_some() { if channel.is_email() { "email" } else { "phone" } } else { "loginId" },
            &address,
        )?;
        *given = Some(address.clone());
        Ok((Action::SignUp { user }, address))
    }

    /// Stores a new one-time secret (hash only) and returns the row id.
    async fn store_code(
        &self,
        project: &Project,
        kind: &str,
        payload: &Payload,
        secret: &str,
        pending_ref: Option<&str>,
        ttl: i64,
    ) -> Result<()> {
        let now = self.now();
        let secrets = &self.inner.secrets;
        self.inner
            .store
            .insert_code(&CodeRow {
                id: row_id(),
                project_id: project.id.clone(),
                kind: kind.to_string(),
                login_key: login_key(&payload.login_id),
                secret_hash: secrets.code_hash(kind, secret),
                pending_hash: pending_ref.map(|p| secrets.code_hash("pending", p)),
                payload: serde_json::to_string(payload).expect("json"),
                attempts: 0,
                max_attempts: self.inner.policy.code_max_attempts,
                created_at: now,
                expires_at: now + ttl,
                verified_at: None,
                used_at: None,
            })
            .await?;
        Ok(())
    }

    async fn deliver(
        &self,
        project: &Project,
        channel: Channel,
        to: &str,
        subject: &str,
        body: String,
        sent: Sent,
    ) -> Result<()> {
        let (code, link) = match sent {
            Sent::Code(code) => (Some(code), None),
            Sent::Link(link) => (None, Some(link)),
        };
        let message = MessageRow {
            id: row_id(),
            project_id: project.id.clone(),
            created_at: self.now(),
            recipient: to.to_string(),
            channel: channel.as_str().to_string(),
            subject: subject.to_string(),
            body,
            code,
            link,
        };
        Ok(self.inner.delivery.send(message).await?)
    }

    /// Checks a step-up or MFA start: it needs the refresh token of the same user.
    async fn check_stepup(
        &self,
        project: &Project,
        options: &LoginOptions,
        login_id: &str,
        refresh: Option<&str>,
    ) -> Result<()> {
        if !(options.stepup || options.mfa) {
            return Ok(());
        }
        let live = self.live_session(project, refresh.unwrap_or_default()).await?;
        let user = self.user_by_login_id(project, login_id).await?;
        if user.id != live.session.user_id {
            return Err(Error::new(Code::BadRefreshToken, "Refresh token belongs to another user"));
        }
        Ok(())
    }

    /// Counts the attempt, checks step-up, and decides who the code is for and where it goes.
    async fn prepare(&self, project: &Project, caller: &Caller, start: Start<'_>) -> Result<(Payload, String)> {
        self.check_rate(project, caller, Some(&login_key(start.login_id))).await?;
        self.check_stepup(project, &start.options, start.login_id, start.refresh).await?;
        let (action, address) = self.plan(project, start.channel, start.login_id, start.mode).await?;
        let payload = Payload {
            action,
            channel: start.channel,
            login_id: start.login_id.trim().to_string(),
            options: start.options,
        };
        Ok((payload, address))
    }

    /// Sends an OTP code for sign-in, sign-up or either.
    pub async fn start_otp(&self, project: &Project, caller: &Caller, start: Start<'_>) -> Result<Masked> {
        let (payload, address) = self.prepare(project, caller, start).await?;
        self.send_code(project, &payload, &address, "Your sign-in code").await?;
        Ok(mask(payload.channel, &address))
    }

    /// Sends a magic link (`<uri>?t=<token>`) for sign-in, sign-up or either.
    pub async fn start_magic_link(&self, project: &Project, caller: &Caller, start: Start<'_>) -> Result<Masked> {
        let uri = require_uri(start.uri)?;
        let (payload, address) = self.prepare(project, caller, start).await?;
        self.send_link(project, LINK, &payload, uri, &address, None).await?;
        Ok(mask(payload.channel, &address))
    }

    /// Sends an enchanted link; the waiting client collects the session with the pending ref.
    pub async fn start_enchanted_link(
        &self,
        project: &Project,
        caller: &Caller,
        start: Start<'_>,
    ) -> Result<LinkStart> {
        let uri = require_uri(start.uri)?;
        let (payload, address) = self.prepare(project, caller, start).await?;
        let pending_ref = random_id("", 32);
        self.send_link(project, ENCHANTED, &payload, uri, &address, Some(&pending_ref)).await?;
        Ok(LinkStart { link_id: random_digits(2), pending_ref, masked: mask(payload.channel, &address) })
    }

    async fn send_code(&self, project: &Project, payload: &Payload, address: &str, subject: &str) -> Result<()> {
        let code = random_digits(6);
        self.store_code(project, OTP, payload, &code, None, self.inner.policy.code_ttl).await?;
        let minutes = (self.inner.policy.code_ttl + 59) / 60;
        let body = format!(
            "Your {} code is {code}. It expires in {minutes} minutes. If you did not ask for it, ignore this message.",
            project.name
        );
        self.deliver(project, payload.channel, address, subject, body, Sent::Code(code)).await
    }

    async fn send_link(
        &self,
        project: &Project,
        kind: &str,
        payload: &Payload,
        uri: &str,
        address: &str,
        pending_ref: Option<&str>,
    ) -> Result<()> {
        let token = random_id("", 43);
        self.store_code(project, kind, payload, &token, pending_ref, self.inner.policy.code_ttl).await?;
        let link = with_query(uri, &token);
        let body = format!(
            "Sign in to {}: {link}\nThe link works once and expires soon. If you did not ask for it, ignore this message.",
            project.name
        );
        self.deliver(project, payload.channel, address, "Your sign-in link", body, Sent::Link(link)).await
    }

    /// Sends a code (or a link, when `uri` is given) to a new email or phone of a signed-in user.
    /// Completing it sets the address (and adds it as a login id when asked).
    pub async fn start_update_address(
        &self,
        project: &Project,
        caller: &Caller,
        refresh: &str,
        update: AddressUpdate<'_>,
    ) -> Result<Masked> {
        let live = self.live_session(project, refresh).await?;
        let user = self.user_by_id(project, &live.session.user_id).await?;
        if !user.login_ids.iter().any(|l| login_key(l) == login_key(update.login_id)) {
            return Err(Error::invalid("loginId", "does not belong to the signed-in user"));
        }
        let field = if update.channel.is_email() { "email" } else { "phone" };
        if update.address.trim().is_empty() {
            return Err(Error::missing(field));
        }
        validate_address(update.channel, field, update.address)?;
        self.check_rate(project, caller, Some(&login_key(update.login_id))).await?;
        let action = Action::UpdateAddress {
            user_id: user.id.clone(),
            address: update.address.to_string(),
            add_to_login_ids: update.add_to_login_ids,
        };
        let payload = Payload {
            action,
            channel: update.channel,
            login_id: update.login_id.to_string(),
            options: LoginOptions::default(),
        };
        match update.uri {
            Some(uri) => self.send_link(project, LINK, &payload, require_uri(Some(uri))?, update.address, None).await?,
            None => self.send_code(project, &payload, update.address, "Verify your new address").await?,
        }
        Ok(mask(update.channel, update.address))
    }

    /// Checks an OTP code for a login id and completes what it was sent for.
    pub async fn verify_otp(
        &self,
        project: &Project,
        caller: &Caller,
        channel: Channel,
        login_id: &str,
        code: &str,
    ) -> Result<SignedIn> {
        if login_id.trim().is_empty() {
            return Err(Error::missing("loginId"));
        }
        if code.is_empty() {
            return Err(Error::missing("code"));
        }
        self.check_rate(project, caller, None).await?;
        let dead = || Error::new(Code::CodeExpired, "No valid code: it expired, was used, or had too many wrong tries");
        let row = self.inner.store.latest_code(&project.id, OTP, &login_key(login_id)).await?.ok_or_else(dead)?;
        if row.expires_at <= self.now() || row.attempts >= row.max_attempts {
            return Err(dead());
        }
        let payload: Payload = serde_json::from_str(&row.payload).map_err(Error::internal)?;
        let hash = self.inner.secrets.code_hash(OTP, code);
        if payload.channel != channel || !constant_time_eq(&hash, &row.secret_hash) {
            self.inner.store.record_code_failure(&row.id).await?;
            self.audit(
                project,
                crate::audit::Event::new("LoginFailed", caller).failed().data(serde_json::json!({"method": "otp"})),
            )
            .await;
            return Err(Error::new(Code::WrongCode, "Wrong OTP code"));
        }
        if !self.inner.store.consume_code(&row.id, self.now()).await? {
            return Err(dead());
        }
        self.complete(project, caller, payload).await
    }

    /// Redeems a magic-link (or embedded-link) token.
    pub async fn verify_magic_link(&self, project: &Project, caller: &Caller, token: &str) -> Result<SignedIn> {
        let row = self.live_link(project, LINK, token).await?;
        if !self.inner.store.consume_code(&row.id, self.now()).await? {
            return Err(bad_link());
        }
        self.complete(project, caller, serde_json::from_str(&row.payload).map_err(Error::internal)?).await
    }

    /// Marks an enchanted link clicked; the session is collected by [`Core::enchanted_link_session`].
    pub async fn verify_enchanted_link(&self, project: &Project, token: &str) -> Result<()> {
        let row = self.live_link(project, ENCHANTED, token).await?;
        if row.verified_at.is_some() || !self.inner.store.mark_code_verified(&row.id, self.now()).await? {
            return Err(bad_link());
        }
        Ok(())
    }

    /// The session of a verified enchanted link, once; `LinkPending` until it is clicked.
    pub async fn enchanted_link_session(
        &self,
        project: &Project,
        caller: &Caller,
        pending_ref: &str,
    ) -> Result<SignedIn> {
        if pending_ref.is_empty() {
            return Err(Error::missing("pendingRef"));
        }
        let hash = self.inner.secrets.code_hash("pending", pending_ref);
        let row = self.inner.store.code_by_pending_ref(&project.id, &hash).await?.ok_or_else(bad_link)?;
        if row.used_at.is_some() || row.expires_at <= self.now() {
            return Err(bad_link());
        }
        if row.verified_at.is_none() {
            return Err(Error::new(Code::LinkPending, "The link was not clicked yet"));
        }
        if !self.inner.store.consume_code(&row.id, self.now()).await? {
            return Err(bad_link());
        }
        self.complete(project, caller, serde_json::from_str(&row.payload).map_err(Error::internal)?).await
    }

    async fn live_link(&self, project: &Project, kind: &str, token: &str) -> Result<CodeRow> {
        if token.is_empty() {
            return Err(Error::missing("token"));
        }
        let hash = self.inner.secrets.code_hash(kind, token);
        let row = self.inner.store.code_by_secret(&project.id, kind, &hash).await?.ok_or_else(bad_link)?;
        if row.used_at.is_some() || row.expires_at <= self.now() {
            return Err(bad_link());
        }
        Ok(row)
    }

    /// Does what a verified code was for, then signs the user in.
    async fn complete(&self, project: &Project, caller: &Caller, payload: Payload) -> Result<SignedIn> {
        let amr = if payload.channel.is_email() { "email" } else { "sms" };
        let verified = |user: &mut UserRow| {
            if payload.channel.is_email() { user.verified_email = true } else { user.verified_phone = true }
        };
        match payload.action {
            Action::SignIn | Action::SignUpOrIn => {
                let existing = self.inner.store.user_by_login_id(&project.id, &payload.login_id).await?;
                match existing {
                    Some(mut user) => {
                        verified(&mut user);
                        self.start_session(project, user, amr, &payload.options, false, caller).await
                    }
                    None if matches!(payload.action, Action::SignUpOrIn) => {
                        let mut user = SignUpUser::default();
                        let address = Some(payload.login_id.clone());
                        if payload.channel.is_email() {
                            user.email = address
                        } else {
                            user.phone = address
                        }
                        self.sign_up_verified(
                            project,
                            caller,
                            &payload.login_id,
                            payload.channel,
                            user,
                            &payload.options,
                        )
                        .await
                    }
                    None => Err(user_not_found()),
                }
            }
            Action::SignUp { user } => {
                self.sign_up_verified(project, caller, &payload.login_id, payload.channel, user, &payload.options).await
            }
            Action::UpdateAddress { user_id, address, add_to_login_ids } => {
                let mut user = self.user_by_id(project, &user_id).await?;
                if payload.channel.is_email() {
                    user.email = Some(address.clone())
                } else {
                    user.phone = Some(address.clone())
                }
                verified(&mut user);
                if add_to_login_ids && !user.login_ids.iter().any(|l| login_key(l) == login_key(&address)) {
                    user.login_ids.push(address);
                }
                user.updated_at = self.now();
                self.inner.store.update_user(&user).await?;
                self.start_session(project, user, amr, &payload.options, false, caller).await
            }
        }
    }

    async fn sign_up_verified(
        &self,
        project: &Project,
        caller: &Caller,
        login_id: &str,
        channel: Channel,
        user: SignUpUser,
        options: &LoginOptions,
    ) -> Result<SignedIn> {
        let tenants = self.self_provisioned_tenants(project, user.email.as_deref()).await?;
        let created = self
            .create_user(
                project,
                NewUser {
                    login_id: login_id.to_string(),
                    tenants,
                    email: user.email,
                    verified_email: Some(channel.is_email()),
                    phone: user.phone,
                    verified_phone: Some(!channel.is_email()),
                    name: user.name,
                    given_name: user.given_name,
                    middle_name: user.middle_name,
                    family_name: user.family_name,
                    status: Some("enabled".into()),
                    ..NewUser::default()
                },
                caller,
            )
            .await?;
        self.start_session(project, created, if channel.is_email() { "email" } else { "sms" }, options, true, caller)
            .await
    }

    /// A code or link for a test user, handed back instead of delivered (`kind`: otp, magiclink, enchantedlink).
    pub async fn generate_test_code(
        &self,
        project: &Project,
        kind: &str,
        channel: Channel,
        login_id: &str,
        uri: Option<&str>,
        options: LoginOptions,
    ) -> Result<TestCode> {
        let user = self.user_by_login_id(project, login_id).await?;
        if !user.test {
            return Err(Error::invalid("loginId", "is not a test user"));
        }
        let payload = Payload { action: Action::SignIn, channel, login_id: login_id.trim().to_string(), options };
        let ttl = self.inner.policy.code_ttl;
        match kind {
            "otp" => {
                let code = random_digits(6);
                self.store_code(project, OTP, &payload, &code, None, ttl).await?;
                Ok(TestCode { code: Some(code), link: None, pending_ref: None })
            }
            _ => {
                let uri = require_uri(uri)?;
                let token = random_id("", 43);
                let pending_ref = (kind == "enchantedlink").then(|| random_id("", 32));
                let kind = if pending_ref.is_some() { ENCHANTED } else { LINK };
                self.store_code(project, kind, &payload, &token, pending_ref.as_deref(), ttl).await?;
                Ok(TestCode { code: None, link: Some(with_query(uri, &token)), pending_ref })
            }
        }
    }

    /// Creates a user and mails the invitation: a single-use sign-in link to `invite_uri` (the app's
    /// invite page; the default link page when empty).
    pub async fn create_invited_user(
        &self,
        project: &Project,
        new: NewUser,
        invite_uri: Option<&str>,
        caller: &Caller,
    ) -> Result<UserRow> {
        if new.email.as_deref().unwrap_or_default().is_empty() && validate_email("loginId", &new.login_id).is_err() {
            return Err(Error::invalid("email", "is needed to send an invitation"));
        }
        let user = self.create_user(project, new, caller).await?;
        self.invite(project, &user, invite_uri).await?;
        Ok(user)
    }

    async fn invite(&self, project: &Project, user: &UserRow, uri: Option<&str>) -> Result<()> {
        let uri = match uri.filter(|u| !u.is_empty()) {
            Some(uri) => require_uri(Some(uri))?.to_string(),
            None => self.default_link_uri(),
        };
        let email = user.email.clone().ok_or_else(|| Error::invalid("email", "is needed to send an invitation"))?;
        let login_id = user.login_ids.first().cloned().unwrap_or_default();
        let payload =
            Payload { action: Action::SignIn, channel: Channel::Email, login_id, options: LoginOptions::default() };
        let token = random_id("", 43);
        self.store_code(project, LINK, &payload, &token, None, self.inner.policy.invite_ttl).await?;
        let link = with_query(&uri, &token);
        let body = format!("You are invited to {}. Sign in here: {link}", project.name);
        self.deliver(project, Channel::Email, &email, "You are invited", body, Sent::Link(link)).await
    }

    /// A single-use sign-in token for an existing user, redeemed with the magic-link verify route.
    pub async fn embedded_link(
        &self,
        project: &Project,
        login_id: &str,
        custom_claims: Option<Map<String, Value>>,
        timeout_secs: i64,
    ) -> Result<String> {
        let user = self.user_by_login_id(project, login_id).await?;
        let channel = if user.email.is_some() || user.phone.is_none() { Channel::Email } else { Channel::Sms };
        let options = LoginOptions { custom_claims, ..LoginOptions::default() };
        let payload = Payload { action: Action::SignIn, channel, login_id: login_id.trim().to_string(), options };
        let ttl = if timeout_secs > 0 { timeout_secs } else { self.inner.policy.code_ttl };
        let token = random_id("", 43);
        self.store_code(project, LINK, &payload, &token, None, ttl).await?;
        Ok(token)
    }
}

fn bad_link() -> Error {
    Error::new(Code::BadLinkToken, "Link token invalid, expired or already used")
}
