//! `latchkey`: the server and its admin commands.

use clap::{Parser, Subcommand};
use latchkey_core::{Algorithm, ProjectSettings};
use latchkey_server::config::{Config, Fallible, StoreArgs};

#[derive(Parser)]
#[command(
    name = "latchkey",
    version,
    about = "Self-hosted identity: Descope- and Scalekit-compatible auth in one binary"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server.
    Serve {
        #[command(flatten)]
        store: StoreArgs,
        /// Address to listen on; port 0 picks a free one (the bound address is printed).
        #[arg(long, env = "LATCHKEY_LISTEN")]
        listen: Option<String>,
    },
    /// Print the dev outbox (codes and links not sent by a real provider), newest first.
    Outbox {
        #[command(flatten)]
        store: StoreArgs,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
        /// How many messages to print.
        #[arg(long, default_value_t = 50)]
        limit: i64,
    },
    /// Signing keys.
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
    },
    /// OAuth clients of the default project (docs/oidc.md).
    Clients {
        #[command(subcommand)]
        command: ClientsCommand,
    },
    /// Users of the default project.
    Users {
        #[command(subcommand)]
        command: UsersCommand,
    },
    /// The default project's settings.
    Project {
        #[command(subcommand)]
        command: ProjectCommand,
    },
}

#[derive(Subcommand)]
enum KeysCommand {
    /// Add a new signing key; the old one stays published until its tokens expire.
    Rotate {
        #[command(flatten)]
        store: StoreArgs,
        /// RS256 (default), ES256 or EdDSA.
        #[arg(long, default_value = "RS256")]
        alg: String,
    },
}

#[derive(Subcommand)]
enum ClientsCommand {
    /// Create a client; a confidential client's secret is printed once.
    Create {
        #[command(flatten)]
        store: StoreArgs,
        #[arg(long)]
        name: String,
        /// A public client (no secret; PKCE required).
        #[arg(long)]
        public: bool,
        /// A redirect URI (repeat for several); compared exactly.
        #[arg(long = "redirect-uri")]
        redirect_uris: Vec<String>,
        /// Where logout may return (repeat for several).
        #[arg(long = "post-logout-redirect-uri")]
        post_logout_redirect_uris: Vec<String>,
        /// The organization (tenant) its client_credentials tokens carry as `oid`.
        #[arg(long)]
        organization: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// List the clients (never their secrets).
    List {
        #[command(flatten)]
        store: StoreArgs,
        #[arg(long)]
        json: bool,
    },
    /// Replace a client's name or URI lists.
    Update {
        #[command(flatten)]
        store: StoreArgs,
        client_id: String,
        #[arg(long)]
        name: Option<String>,
        #[arg(long = "redirect-uri")]
        redirect_uris: Option<Vec<String>>,
        #[arg(long = "post-logout-redirect-uri")]
        post_logout_redirect_uris: Option<Vec<String>>,
        #[arg(long)]
        json: bool,
    },
    /// Give a confidential client a new secret; the old one stops working at once.
    RotateSecret {
        #[command(flatten)]
        store: StoreArgs,
        client_id: String,
        #[arg(long)]
        json: bool,
    },
    /// Delete a client.
    Delete {
        #[command(flatten)]
        store: StoreArgs,
        client_id: String,
    },
}

#[derive(Subcommand)]
enum UsersCommand {
    /// Import users with their password hashes from a JSON or JSON-lines file (docs/import.md).
    Import {
        #[command(flatten)]
        store: StoreArgs,
        /// The file to import.
        file: std::path::PathBuf,
    },
}

#[derive(Subcommand)]
enum ProjectCommand {
    /// Show the project id and its settings.
    Show {
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Change settings.
    Set {
        #[command(flatten)]
        store: StoreArgs,
        /// Rotate the refresh token on every refresh (the old one then fails).
        #[arg(long)]
        refresh_rotation: Option<bool>,
        /// Require the auth management key on every auth route.
        #[arg(long)]
        auth_requires_management_key: Option<bool>,
        /// The name the hosted pages show.
        #[arg(long)]
        brand_name: Option<String>,
        /// A logo URL for the hosted pages.
        #[arg(long)]
        brand_logo_url: Option<String>,
        /// The hosted pages' accent colour, e.g. '#4f46e5'.
        #[arg(long)]
        brand_color: Option<String>,
    },
}

fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_env("LATCHKEY_LOG").unwrap_or_else(|_| "info".into()))
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("tokio runtime");
    if let Err(message) = runtime.block_on(run(Cli::parse().command)) {
        eprintln!("error: {message}");
        std::process::exit(1);
    }
}

/// The store and its default project, for the admin commands.
async fn open_project(store: &StoreArgs) -> Fallible<(latchkey_core::Core, latchkey_core::Project)> {
    let core = latchkey_server::open_core(&Config::load(store, None)?, "").await?;
    let project = core.default_project().await.map_err(|e| e.to_string())?;
    Ok((core, project.ok_or("no project yet: run `latchkey serve` once")?))
}

async fn run(command: Command) -> Fallible<()> {
    match command {
        Command::Serve { store, listen } => latchkey_server::serve(Config::load(&store, listen)?).await,
        Command::Outbox { store, json, limit } => {
            let config = Config::load(&store, None)?;
            let core = latchkey_server::open_core(&config, "").await?;
            let messages = core.store().messages(limit).await.map_err(|e| e.to_string())?;
            if json {
                println!("{}", serde_json::to_string_pretty(&messages).map_err(|e| e.to_string())?);
            } else if messages.is_empty() {
                println!("The outbox is empty.");
            }
            if !json {
                for m in &messages {
                    println!("{} {} to {}: {}", m.created_at, m.channel, m.recipient, m.subject);
                    if let Some(code) = &m.code {
                        println!("  code: {code}");
                    }
                    if let Some(link) = &m.link {
                        println!("  link: {link}");
                    }
                }
            }
            Ok(())
        }
        Command::Keys { command: KeysCommand::Rotate { store, alg } } => {
            let alg = Algorithm::parse(&alg)
                .ok_or_else(|| format!("unknown algorithm {alg:?}: use RS256, ES256 or EdDSA"))?;
            let (core, project) = open_project(&store).await?;
            let kid = core.rotate_signing_key(&project.id, alg).await.map_err(|e| e.to_string())?;
            println!("new signing key {kid} ({}) for project {}", alg.as_str(), project.id);
            Ok(())
        }
        Command::Users { command: UsersCommand::Import { store, file } } => {
            let (core, project) = open_project(&store).await?;
            latchkey_server::admin::import_users(&core, &project, &file).await
        }
        Command::Clients { command } => clients(command).await,
        Command::Project { command } => {
            let (store, change) = match command {
                ProjectCommand::Show { store } => (store, None),
                ProjectCommand::Set {
                    store,
                    refresh_rotation,
                    auth_requires_management_key,
                    brand_name,
                    brand_logo_url,
                    brand_color,
                } => (
                    store,
                    Some((refresh_rotation, auth_requires_management_key, brand_name, brand_logo_url, brand_color)),
                ),
            };
            let (core, project) = open_project(&store).await?;
            let mut settings: ProjectSettings = project.settings.clone();
            if let Some((rotation, auth_key, name, logo, color)) = change {
                settings.refresh_rotation = rotation.unwrap_or(settings.refresh_rotation);
                settings.auth_requires_management_key = auth_key.unwrap_or(settings.auth_requires_management_key);
                let brand = &mut settings.brand;
                for (field, value) in [(&mut brand.name, name), (&mut brand.logo_url, logo), (&mut brand.color, color)]
                {
                    if let Some(value) = value {
                        *field = Some(value).filter(|v| !v.is_empty());
                    }
                }
                core.update_project_settings(&project.id, &settings).await.map_err(|e| e.to_string())?;
            }
            println!("project {} ({})", project.id, project.name);
            println!("{}", serde_json::to_string_pretty(&settings).map_err(|e| e.to_string())?);
            Ok(())
        }
    }
}

async fn clients(command: ClientsCommand) -> Fallible<()> {
    use latchkey_core::{ClientUpdate, NewClient};
    let text = |e: latchkey_core::Error| e.message;
    match command {
        ClientsCommand::Create {
            store,
            name,
            public,
            redirect_uris,
            post_logout_redirect_uris,
            organization,
            json,
        } => {
            let (core, project) = open_project(&store).await?;
            let new =
                NewClient { name, public, redirect_uris, post_logout_redirect_uris, organization_id: organization };
            let created = core.create_client(&project, new).await.map_err(text)?;
            let mut shown = serde_json::to_value(&created.client).map_err(|e| e.to_string())?;
            if let Some(secret) = &created.secret {
                shown["client_secret"] = serde_json::json!(secret);
            }
            print_client(&shown, json, created.secret.is_some())
        }
        ClientsCommand::List { store, json } => {
            let (core, project) = open_project(&store).await?;
            let clients = core.clients(&project).await.map_err(text)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&clients).map_err(|e| e.to_string())?);
            }
            for c in clients.iter().filter(|_| !json) {
                let kind = if c.public { "public" } else { "confidential" };
                println!("{} {} ({kind}) redirect URIs: {}", c.client_id, c.name, c.redirect_uris.join(" "));
            }
            Ok(())
        }
        ClientsCommand::Update { store, client_id, name, redirect_uris, post_logout_redirect_uris, json } => {
            let (core, project) = open_project(&store).await?;
            let update = ClientUpdate { name, redirect_uris, post_logout_redirect_uris };
            let client = core.update_client(&project, &client_id, update).await.map_err(text)?;
            print_client(&serde_json::to_value(&client).map_err(|e| e.to_string())?, json, false)
        }
        ClientsCommand::RotateSecret { store, client_id, json } => {
            let (core, project) = open_project(&store).await?;
            let secret = core.rotate_client_secret(&project, &client_id).await.map_err(text)?;
            print_client(&serde_json::json!({"client_id": client_id, "client_secret": secret}), json, true)
        }
        ClientsCommand::Delete { store, client_id } => {
            let (core, project) = open_project(&store).await?;
            core.delete_client(&project, &client_id).await.map_err(text)?;
            println!("deleted {client_id}");
            Ok(())
        }
    }
}

fn print_client(client: &serde_json::Value, json: bool, has_secret: bool) -> Fallible<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(client).map_err(|e| e.to_string())?);
        return Ok(());
    }
    for (key, value) in client.as_object().into_iter().flatten() {
        println!("{key}: {value}");
    }
    if has_secret {
        println!("The secret is shown only now: store it safely.");
    }
    Ok(())
}
