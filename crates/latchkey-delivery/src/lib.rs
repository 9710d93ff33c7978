//! Delivery of one-time codes and links: e-mail over SMTP, SMS through an HTTP webhook, and,
//! for whatever has no provider configured, the dev outbox in the store (`latchkey outbox`).

use std::time::Duration;

use latchkey_store::{MessageRow, Store};
use lettre::message::Mailbox;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use serde::Deserialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum SmtpTls {
    /// Plain SMTP (a local relay or a test sink).
    None,
    /// STARTTLS upgrade, required.
    #[default]
    Starttls,
    /// Implicit TLS (port 465).
    Tls,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmtpConfig {
    pub host: String,
    pub port: Option<u16>,
    pub from: String,
    #[serde(default)]
    pub tls: SmtpTls,
    pub username: Option<String>,
    pub password: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmsConfig {
    /// Receives a POST with JSON `{"to","body","code","link"}` per message.
    pub webhook_url: String,
    /// Sent as `Authorization: Bearer <token>` when set.
    pub webhook_token: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    #[error("invalid delivery configuration: {0}")]
    Config(String),
    #[error("message could not be delivered: {0}")]
    Failed(String),
    #[error(transparent)]
    Store(#[from] latchkey_store::StoreError),
}

#[derive(Clone)]
pub struct Delivery {
    store: Store,
    smtp: Option<(AsyncSmtpTransport<Tokio1Executor>, Mailbox)>,
    sms: Option<(reqwest::Client, SmsConfig)>,
}

impl Delivery {
    pub fn new(store: Store, smtp: Option<&SmtpConfig>, sms: Option<&SmsConfig>) -> Result<Self, DeliveryError> {
        let smtp = smtp.map(smtp_transport).transpose()?;
        let sms = sms.map(|cfg| {
            let client = reqwest::Client::builder().timeout(Duration::from_secs(10)).build().expect("http client");
            (client, cfg.clone())
        });
        Ok(Delivery { store, smtp, sms })
    }

    /// Sends `message` through its channel's provider, or into the outbox when there is none.
    pub async fn send(&self, message: MessageRow) -> Result<(), DeliveryError> {
        match (message.channel.as_str(), &self.smtp, &self.sms) {
            ("email", Some((transport, from)), _) => {
                let to: Mailbox =
                    message.recipient.parse().map_err(|_| DeliveryError::Failed("bad recipient".into()))?;
                let mail = lettre::Message::builder()
                    .from(from.clone())
                    .to(to)
                    .subject(&message.subject)
                    .body(message.body.clone())
                    .map_err(|e| DeliveryError::Failed(e.to_string()))?;
                transport.send(mail).await.map_err(|e| DeliveryError::Failed(e.to_string()))?;
            }
            ("sms", _, Some((client, cfg))) => {
                let mut request = client.post(&cfg.webhook_url).json(&serde_json::json!({
                    "to": message.recipient, "body": message.body, "code": message.code, "link": message.link,
                }));
                if let Some(token) = &cfg.webhook_token {
                    request = request.bearer_auth(token);
                }
                let response = request.send().await.map_err(|e| DeliveryError::Failed(e.without_url().to_string()))?;
                if !response.status().is_success() {
                    return Err(DeliveryError::Failed(format!("sms webhook answered {}", response.status())));
                }
            }
            _ => self.store.insert_message(&message).await?,
        }
        Ok(())
    }
}

fn smtp_transport(cfg: &SmtpConfig) -> Result<(AsyncSmtpTransport<Tokio1Executor>, Mailbox), DeliveryError> {
    let from: Mailbox =
        cfg.from.parse().map_err(|_| DeliveryError::Config(format!("smtp.from {:?} is not a mailbox", cfg.from)))?;
    let tls = || TlsParameters::new(cfg.host.clone()).map_err(|e| DeliveryError::Config(e.to_string()));
    let (tls, default_port) = match cfg.tls {
        SmtpTls::None => (Tls::None, 25),
        SmtpTls::Starttls => (Tls::Required(tls()?), 587),
        SmtpTls::Tls => (Tls::Wrapper(tls()?), 465),
    };
    let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&cfg.host)
        .port(cfg.port.unwrap_or(default_port))
        .tls(tls)
        .timeout(Some(Duration::from_secs(15)));
    if let (Some(user), Some(pass)) = (&cfg.username, &cfg.password) {
        builder = builder.credentials((user.clone(), pass.clone()).into());
    }
    Ok((builder.build(), from))
}
