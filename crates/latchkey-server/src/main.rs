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
        Command::Project { command } => {
            let (store, change) = match command {
                ProjectCommand::Show { store } => (store, None),
                ProjectCommand::Set { store, refresh_rotation, auth_requires_management_key } => {
                    (store, Some((refresh_rotation, auth_requires_management_key)))
                }
            };
            let (core, project) = open_project(&store).await?;
            let mut settings: ProjectSettings = project.settings.clone();
            if let Some((rotation, auth_key)) = change {
                settings.refresh_rotation = rotation.unwrap_or(settings.refresh_rotation);
                settings.auth_requires_management_key = auth_key.unwrap_or(settings.auth_requires_management_key);
                core.update_project_settings(&project.id, &settings).await.map_err(|e| e.to_string())?;
            }
            println!("project {} ({})", project.id, project.name);
            println!("{}", serde_json::to_string_pretty(&settings).map_err(|e| e.to_string())?);
            Ok(())
        }
    }
}
