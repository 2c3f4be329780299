//! The Keel server. `keel-server serve` serves the built site, the JSON API and
//! the contact intake; `keel-server submissions …` is the operator's CLI.
//!
//!     cargo run -p keel-server -- serve --dist dist
//!     cargo run -p keel-server -- submissions list
//!
//! Configuration: `--config keel.toml` and `KEEL_*` variables (docs/configuration.md).
//! This file parses the command line and dispatches; the operator's commands
//! are in `cli.rs`.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};
use keel_server::{AppState, Config, app, files::SiteFiles, notify};
use keel_store::Store;

mod cli;

#[derive(Parser)]
#[command(version, about = "The Keel site server and contact intake")]
struct Cli {
    /// A TOML configuration file; KEEL_* variables override it.
    #[arg(long, global = true, env = "KEEL_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the site, the API and the contact intake.
    Serve {
        /// Overrides `listen`, e.g. 127.0.0.1:8080 (port 0 picks a free one).
        #[arg(long)]
        listen: Option<String>,
        /// Overrides `dist`.
        #[arg(long)]
        dist: Option<PathBuf>,
        /// Overrides `database`.
        #[arg(long)]
        database: Option<PathBuf>,
    },
    /// Read and manage contact submissions.
    Submissions {
        /// Overrides `database`.
        #[arg(long)]
        database: Option<PathBuf>,
        #[command(subcommand)]
        action: cli::Action,
    },
}

fn main() {
    if let Err(e) = run() {
        // A sentence for the operator, not a backtrace.
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}

fn run() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "keel_server=info,tower_http=warn".into()),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let cli = Cli::parse();
    let mut config = Config::load(cli.config.as_deref(), |k| std::env::var(k).ok())?;
    match cli.command {
        Command::Serve {
            listen,
            dist,
            database,
        } => {
            if let Some(l) = listen {
                config.listen = l.parse().with_context(|| format!("--listen {l}"))?;
            }
            if let Some(d) = dist {
                config.dist = d;
            }
            if let Some(d) = database {
                config.database = d;
            }
            tokio::runtime::Runtime::new()?.block_on(serve(config))
        }
        Command::Submissions { database, action } => {
            if let Some(d) = database {
                config.database = d;
            }
            tokio::runtime::Runtime::new()?.block_on(async {
                let out = &mut std::io::stdout().lock();
                if let cli::Action::Migrate { from, to } = &action {
                    return cli::migrate(from, to, config.database_pool_size, out).await;
                }
                let store = Store::open(&config.database, config.database_pool_size).await?;
                cli::run(&store, action, &config.channels(), out).await
            })
        }
    }
}

async fn serve(mut config: Config) -> anyhow::Result<()> {
    let files = SiteFiles::load(&config.dist).with_context(|| {
        format!(
            "no built site at {} (run `cargo xtask build`)",
            config.dist.display()
        )
    })?;
    let store = Store::open(&config.database, config.database_pool_size).await?;
    if config.challenge_secret.is_none() {
        // Made once, by whichever instance starts first, and kept in the
        // store: every instance checks every other's challenges.
        let first = keel_server::hex(&rand::random::<[u8; 32]>());
        config.challenge_secret = Some(store.setting("challenge_secret", &first).await?);
    }
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.listen))?;
    let addr = listener.local_addr()?;
    tracing::info!(files = files.len(), database = %store.describe(), "loaded");
    let state = AppState::new(config, files, store);
    let (stop_worker, worker) = notify::spawn(state.clone());
    let retention = state
        .config
        .retention_days
        .map(|days| tokio::spawn(keel_server::retention::run(state.store.clone(), days)));
    // The one line scripts wait for; keep its shape.
    println!("Keel is running at http://{addr}/  (Ctrl-C to stop)");
    std::io::stdout().flush()?;
    let limits = keel_server::listen::Limits {
        header_timeout: std::time::Duration::from_secs(state.config.limits.header_timeout_seconds),
        max_connections: state.config.limits.max_connections,
        per_address: state.config.limits.max_connections_per_address,
        proxies: (*state.proxies).clone(),
    };
    let sweeper = keel_server::spawn_limiter_sweeper(state.clone());
    keel_server::listen::serve(
        listener,
        app(state),
        limits,
        shutdown_signal(),
        std::time::Duration::from_secs(10),
    )
    .await?;
    sweeper.abort();
    let _ = stop_worker.send(true);
    let _ = worker.await;
    // A sweep is one statement: stopping between two loses nothing.
    if let Some(r) = retention {
        r.abort();
    }
    eprintln!("Keel stopped.");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
}
