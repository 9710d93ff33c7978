//! The `latchkey` server: one listener, the front doors, and the admin commands.

pub mod admin;
pub mod config;
mod descope;
mod http;
mod oidc;
mod pages;
mod web;

use std::net::SocketAddr;
use std::path::Path;

use latchkey_core::{Bootstrap, Core, CreatedClient, NewClient};
use latchkey_delivery::Delivery;
use latchkey_store::Store;
use tokio::net::TcpListener;

use crate::config::{Config, Fallible, write_private};

/// Opens the store and builds the core service; `issuer_base` is the URL tokens are issued from.
pub async fn open_core(config: &Config, issuer_base: &str) -> Fallible<Core> {
    if config.database_url.starts_with("sqlite:") {
        config::create_private_dir(&config.data_dir)?;
    }
    let store = Store::open(&config.database_url).await.map_err(|e| format!("cannot open the database: {e}"))?;
    let delivery =
        Delivery::new(store.clone(), config.file.smtp.as_ref(), config.file.sms.as_ref()).map_err(|e| e.to_string())?;
    let master_key = config.master_key()?;
    Core::new(store, delivery, config.policy(issuer_base), &master_key, latchkey_core::system_clock())
        .map_err(|e| e.to_string())
}

/// Runs the server until Ctrl-C or SIGTERM, then drains in-flight requests.
pub async fn serve(config: Config) -> Fallible<()> {
    let listener =
        TcpListener::bind(&config.listen).await.map_err(|e| format!("cannot listen on {}: {e}", config.listen))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let base_url = config.file.public_url.clone().unwrap_or_else(|| format!("http://{addr}"));
    let core = open_core(&config, &base_url).await?;
    let bootstrap = core.bootstrap().await.map_err(|e| e.to_string())?;
    let project = core.default_project().await.map_err(|e| e.to_string())?.ok_or("no default project")?;
    let default_client = default_client(&core, &project).await?;
    write_credentials(&config.data_dir, &project.id, bootstrap.as_ref(), default_client.as_ref(), &base_url)?;

    let app = http::router(core.clone());
    println!("listening on {base_url}");
    tracing::info!(%addr, project = %project.id, "latchkey ready");
    axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(shutdown_signal())
        .await
        .map_err(|e| e.to_string())?;
    core.store().close().await;
    tracing::info!("latchkey stopped");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
}

/// A project without OAuth clients gets one, `default`, so the Scalekit quickstart runs at once.
async fn default_client(core: &Core, project: &latchkey_core::Project) -> Fallible<Option<CreatedClient>> {
    if !core.clients(project).await.map_err(|e| e.to_string())?.is_empty() {
        return Ok(None);
    }
    let new = NewClient { name: "default".into(), ..NewClient::default() };
    Ok(Some(core.create_client(project, new).await.map_err(|e| e.to_string())?))
}

/// `credentials.env`: the keys and the default client's secret are written when they are made
/// (the only time they exist in clear); on later starts only the URLs are brought up to date.
fn write_credentials(
    data_dir: &Path,
    project_id: &str,
    bootstrap: Option<&Bootstrap>,
    client: Option<&CreatedClient>,
    base_url: &str,
) -> Fallible<()> {
    let path = data_dir.join("credentials.env");
    let scalekit = client
        .map(|c| {
            format!(
                "SCALEKIT_ENVIRONMENT_URL={base_url}\nSCALEKIT_CLIENT_ID={}\nSCALEKIT_CLIENT_SECRET={}\n",
                c.client.client_id,
                c.secret.as_deref().unwrap_or_default()
            )
        })
        .unwrap_or_default();
    let contents = match bootstrap {
        Some(b) => format!(
            "# Latchkey credentials for project {project_id}. Keep this file secret.\n\
             DESCOPE_PROJECT_ID={project_id}\n\
             DESCOPE_MANAGEMENT_KEY={}\n\
             DESCOPE_AUTH_MANAGEMENT_KEY={}\n\
             DESCOPE_BASE_URI={base_url}\n{scalekit}",
            b.management_key, b.auth_management_key
        ),
        None => {
            let Ok(old) = std::fs::read_to_string(&path) else {
                tracing::warn!(path = %path.display(), "credentials.env is missing; the management keys cannot be shown again");
                return Ok(());
            };
            old.lines()
                .map(|line| match line.split_once('=') {
                    Some((key @ ("DESCOPE_BASE_URI" | "SCALEKIT_ENVIRONMENT_URL"), _)) => format!("{key}={base_url}"),
                    _ => line.to_string(),
                })
                .collect::<Vec<_>>()
                .join("\n")
                + "\n"
                + &scalekit
        }
    };
    write_private(&path, &contents)
}
