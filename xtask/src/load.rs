//! `cargo xtask loadtest`: latency of an acknowledged contact submission under
//! load, with wrk, against the release server on each of its two stores, in
//! one run: a real SQLite file, and a throwaway PostgreSQL cluster that this
//! command starts (and stops at the end, also when a step fails). Beside them,
//! in the same run, the latency of a static API read as the machine's
//! reference. All traffic goes to 127.0.0.1, each wrk run lasts 10 s.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use anyhow::{Context, bail};

use keel_pg_cluster::{Cluster, Durability};

use crate::release;

const THREADS: &str = "2";
const CONNECTIONS: &str = "16";
const DURATION: &str = "10s";

pub fn run(root: &Path) -> anyhow::Result<()> {
    crate::setup::wrk()?;
    crate::setup::postgresql()?;
    if !root.join("dist/index.html").exists() {
        release::site(root, &release::Options::default())?;
    }
    release::server_binary(root)?;
    let dir = tempfile::Builder::new().prefix("keel-load-").tempdir()?;

    println!(
        "wrk -t{THREADS} -c{CONNECTIONS} -d{DURATION} --latency, server and wrk on the same machine ({} cores)",
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(0)
    );

    // SQLite: a file, each submission fsynced before its 201.
    let sqlite = dir.path().join("keel.db").display().to_string();
    {
        let server = Server::start(root, &sqlite)?;
        let reference = wrk(&[&format!("{}/api/v1/site.json", server.url)])?;
        println!(
            "reference  GET  /api/v1/site.json            {}",
            reference.summary
        );
        let contact = wrk(&[
            "-s",
            "tests/load/contact.lua",
            &format!("{}/api/v1/contact", server.url),
        ])?;
        println!(
            "contact    POST /api/v1/contact  SQLite      {}",
            contact.summary
        );
        drop(server);
        check_stored("SQLite", contact.acknowledged, stored_rows(root, &sqlite)?)?;
    }

    // PostgreSQL: a throwaway cluster with the server's defaults for
    // durability (fsync and synchronous_commit on), so that a 201 means the
    // same on both stores.
    let pg = Cluster::start(Durability::Real)?;
    let url = pg.create_db("keel")?;
    {
        let server = Server::start(root, &url)?;
        let contact = wrk(&[
            "-s",
            "tests/load/contact.lua",
            &format!("{}/api/v1/contact", server.url),
        ])?;
        println!(
            "contact    POST /api/v1/contact  PostgreSQL  {}",
            contact.summary
        );
        drop(server);
        check_stored(
            &format!("PostgreSQL {}", pg.version),
            contact.acknowledged,
            stored_rows(root, &url)?,
        )?;
    }
    Ok(())
}

/// The release server on 127.0.0.1 (a free port) with `database`; killed when
/// dropped.
struct Server {
    child: Child,
    url: String,
}

impl Server {
    fn start(root: &Path, database: &str) -> anyhow::Result<Server> {
        let child = Command::new(root.join("target/server/keel-server"))
            .args([
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--dist",
                "dist",
                "--database",
                database,
            ])
            .current_dir(root)
            // The limiter is per client and every wrk connection is one client.
            .env("KEEL_RATE_LIMIT_BURST", "100000000")
            .env("KEEL_RATE_LIMIT_ATTEMPTS_PER_MINUTE", "100000000")
            .env("KEEL_RATE_LIMIT_INSTANCE_PER_MINUTE", "100000000")
            .env("KEEL_ADMIN_TOKEN", "loadtest-admin-token-0123456789")
            .env("RUST_LOG", "keel_server=warn")
            .stdout(Stdio::piped())
            .spawn()
            .context("starting the server")?;
        let mut server = Server {
            child,
            url: String::new(),
        };
        let mut line = String::new();
        BufReader::new(server.child.stdout.take().expect("piped")).read_line(&mut line)?;
        server.url = line
            .split_whitespace()
            .find(|w| w.starts_with("http://"))
            .with_context(|| format!("no URL from the server on {database}"))?
            .trim_end_matches('/')
            .to_string();
        Ok(server)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Rows the operator CLI exports from `database` (the server is stopped).
fn stored_rows(root: &Path, database: &str) -> anyhow::Result<usize> {
    let out = Command::new(root.join("target/server/keel-server"))
        .args([
            "submissions",
            "--database",
            database,
            "export",
            "--format",
            "csv",
        ])
        .output()
        .context("running `keel-server submissions export`")?;
    if !out.status.success() {
        bail!(
            "export from {database} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout)
        .lines()
        .count()
        .saturating_sub(1))
}

/// One wrk run: its summary line and how many requests were answered 2xx.
struct Run {
    summary: String,
    acknowledged: u64,
}

/// Run wrk with the common settings and `args`; summarise: requests/s, p50,
/// p90, p99, non-2xx, socket errors.
fn wrk(args: &[&str]) -> anyhow::Result<Run> {
    let out = Command::new("wrk")
        .args([
            "-t",
            THREADS,
            "-c",
            CONNECTIONS,
            "-d",
            DURATION,
            "--latency",
        ])
        .args(args)
        .output()
        .context("running wrk")?;
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    if !out.status.success() {
        bail!(
            "wrk failed:\n{text}{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let pick = |prefix: &str| {
        text.lines()
            .find_map(|l| l.trim().strip_prefix(prefix).map(|v| v.trim().to_string()))
    };
    let shown = |prefix: &str| pick(prefix).unwrap_or_else(|| "?".into());
    // "12345 requests in 10.00s, 2.34MB read"
    let requests: u64 = text
        .lines()
        .find_map(|l| {
            l.trim()
                .split_once(" requests in ")
                .and_then(|(n, _)| n.parse().ok())
        })
        .with_context(|| format!("no request count in wrk's output:\n{text}"))?;
    let non2xx: u64 = pick("Non-2xx or 3xx responses:")
        .map_or(Ok(0), |n| n.parse())
        .context("wrk's non-2xx count")?;
    let socket = pick("Socket errors:")
        .map(|e| format!("  socket errors: {e}"))
        .unwrap_or_default();
    Ok(Run {
        summary: format!(
            "{:>9} req/s  p50 {:>8}  p90 {:>8}  p99 {:>8}  requests {requests}  non-2xx {non2xx}{socket}",
            shown("Requests/sec:"),
            shown("50%"),
            shown("90%"),
            shown("99%"),
        ),
        acknowledged: requests - non2xx,
    })
}

/// Every 201 wrk counted must be a row in the store (a few more may be
/// there: requests still in flight when wrk stopped counting).
fn check_stored(store: &str, acknowledged: u64, rows: usize) -> anyhow::Result<()> {
    println!(
        "           {store}: {acknowledged} acknowledged by the server, {rows} rows stored after the run"
    );
    if (rows as u64) < acknowledged {
        bail!(
            "{store} holds {rows} rows for {acknowledged} acknowledged submissions: some 201s have no row of their own \
             (lost, or bodies repeated and answered as double submits: every body in tests/load/contact.lua must differ)"
        );
    }
    Ok(())
}
