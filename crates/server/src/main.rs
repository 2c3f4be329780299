//! The Keel server. `keel-server serve` serves the built site, the JSON API and
//! the contact intake; `keel-server submissions …` is the operator's CLI.
//!
//!     cargo run -p keel-server -- serve --dist dist
//!     cargo run -p keel-server -- submissions list
//!
//! Configuration: `--config keel.toml` and `KEEL_*` variables (docs/configuration.md).

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::{Parser, Subcommand, ValueEnum};
use keel_server::store::{DeliveryState, ListFilter, Store, Submission};
use keel_server::{AppState, Config, app, files::SiteFiles, notify};

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
        action: Action,
    },
}

#[derive(Subcommand)]
enum Action {
    /// List submissions, newest first.
    List {
        #[arg(long)]
        spam: bool,
        /// Include submissions already marked handled.
        #[arg(long)]
        all: bool,
    },
    /// Show one submission with its delivery state.
    Show { id: String },
    /// Export submissions to stdout.
    Export {
        #[arg(long, value_enum, default_value = "json")]
        format: Format,
        #[arg(long)]
        spam: bool,
    },
    /// Mark a submission handled.
    Handle { id: String },
    /// Erase a submission (privacy requests). Cannot be undone.
    Delete { id: String },
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Json,
    Csv,
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
        Command::Serve { listen, dist, database } => {
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
            submissions(&config, action)
        }
    }
}

async fn serve(config: Config) -> anyhow::Result<()> {
    let files = SiteFiles::load(&config.dist)
        .with_context(|| format!("no built site at {} (run `cargo xtask build`)", config.dist.display()))?;
    let store = Store::open(&config.database)?;
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.listen))?;
    let addr = listener.local_addr()?;
    tracing::info!(files = files.len(), database = %config.database.display(), "loaded");
    let state = AppState::new(config, files, store);
    let (stop_worker, worker) = notify::spawn(state.clone());
    // The one line scripts wait for; keep its shape.
    println!("Keel is running at http://{addr}/  (Ctrl-C to stop)");
    std::io::stdout().flush()?;
    axum::serve(listener, app(state).into_make_service_with_connect_info::<std::net::SocketAddr>())
        .with_graceful_shutdown(shutdown_signal())
        .await?;
    let _ = stop_worker.send(true);
    let _ = worker.await;
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

fn submissions(config: &Config, action: Action) -> anyhow::Result<()> {
    let store = Store::open(&config.database)?;
    let mut out = std::io::stdout().lock();
    match action {
        Action::List { spam, all } => {
            let list = store.list(ListFilter { include_spam: spam, include_handled: all })?;
            if list.is_empty() {
                writeln!(out, "No submissions.")?;
            }
            for s in list {
                let state = delivery_summary(&s);
                writeln!(
                    out,
                    "{}  {}  {} <{}>  {}{}",
                    s.id,
                    date(s.created_at),
                    s.name,
                    s.email,
                    state,
                    if s.handled_at.is_some() { "  handled" } else { "" }
                )?;
            }
        }
        Action::Show { id } => {
            let Some(s) = store.get(&id)? else { bail!("no submission {id}") };
            writeln!(out, "{}", serde_json::to_string_pretty(&s)?)?;
        }
        Action::Export { format, spam } => {
            let list = store.list(ListFilter { include_spam: spam, include_handled: true })?;
            match format {
                Format::Json => writeln!(out, "{}", serde_json::to_string_pretty(&list)?)?,
                Format::Csv => write_csv(&mut out, &list)?,
            }
        }
        Action::Handle { id } => {
            if !store.mark_handled(&id, keel_server::now_ms())? {
                bail!("no submission {id}");
            }
            writeln!(out, "Marked {id} handled.")?;
        }
        Action::Delete { id } => {
            if !store.delete(&id)? {
                bail!("no submission {id}");
            }
            writeln!(out, "Deleted {id} and its delivery records.")?;
        }
    }
    Ok(())
}

fn delivery_summary(s: &Submission) -> String {
    if s.spam {
        return "spam".into();
    }
    if s.deliveries.is_empty() {
        return "no notification configured".into();
    }
    s.deliveries
        .iter()
        .map(|d| match d.state {
            DeliveryState::Delivered => format!("{}:delivered", d.channel),
            DeliveryState::Pending => format!("{}:pending({} tries)", d.channel, d.attempts),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn date(ms: i64) -> String {
    let t = std::time::UNIX_EPOCH + std::time::Duration::from_millis(ms.max(0) as u64);
    httpdate::fmt_http_date(t)
}

/// RFC 4180 CSV; cells that a spreadsheet would run as a formula get a leading
/// apostrophe (CSV injection).
fn write_csv(out: &mut impl Write, list: &[Submission]) -> anyhow::Result<()> {
    writeln!(out, "id,created_at,name,email,company,budget,message,consent,spam,handled_at")?;
    for s in list {
        let cells = [
            s.id.clone(),
            s.created_at.to_string(),
            s.name.clone(),
            s.email.clone(),
            s.company.clone().unwrap_or_default(),
            s.budget.clone().unwrap_or_default(),
            s.message.clone(),
            s.consent.to_string(),
            s.spam.to_string(),
            s.handled_at.map(|h| h.to_string()).unwrap_or_default(),
        ];
        let row: Vec<String> = cells.iter().map(|c| csv_cell(c)).collect();
        writeln!(out, "{}", row.join(","))?;
    }
    Ok(())
}

fn csv_cell(c: &str) -> String {
    let c = if c.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{c}") } else { c.to_string() };
    if c.contains([',', '"', '\n', '\r']) { format!("\"{}\"", c.replace('"', "\"\"")) } else { c }
}
