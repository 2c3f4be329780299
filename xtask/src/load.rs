//! `cargo xtask loadtest`: latency of an acknowledged contact submission under
//! load, with wrk, against the release server and a real SQLite file; beside it,
//! in the same run, the latency of a static API read as the machine's reference.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};

use anyhow::{Context, bail};

use crate::build;

pub fn run(root: &Path) -> anyhow::Result<()> {
    if Command::new("wrk").arg("--version").output().is_err() {
        crate::sh(Command::new("apt-get").args(["install", "-y", "wrk"]))
            .context("installing wrk (Debian package; needs root)")?;
    }
    if !root.join("dist/index.html").exists() {
        build::site(root, &build::Options::default())?;
    }
    build::server_binary(root)?;
    let dir = std::env::temp_dir().join(format!("keel-load-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let db = dir.join("keel.db");
    let mut server = Command::new(root.join("target/server/keel-server"))
        .args(["serve", "--listen", "127.0.0.1:0", "--dist", "dist", "--database"])
        .arg(&db)
        // The limiter is per client and every wrk connection is one client.
        .env("KEEL_RATE_LIMIT_BURST", "100000000")
        .env("KEEL_ADMIN_TOKEN", "loadtest-admin-token-0123456789")
        .env("RUST_LOG", "keel_server=warn")
        .stdout(Stdio::piped())
        .spawn()
        .context("starting the server")?;
    let mut line = String::new();
    BufReader::new(server.stdout.take().expect("piped")).read_line(&mut line)?;
    let url = line.split_whitespace().find(|w| w.starts_with("http://")).context("no URL from the server")?.trim_end_matches('/').to_string();

    let result = (|| -> anyhow::Result<()> {
        let (threads, conns, secs) = ("2", "16", "10s");
        println!("wrk -t{threads} -c{conns} -d{secs} --latency, server and wrk on the same 2 cores");
        let reference = wrk(&["-t", threads, "-c", conns, "-d", secs, "--latency", &format!("{url}/api/v1/site.json")])?;
        println!("reference  GET  /api/v1/site.json  {reference}");
        let contact = wrk(&["-t", threads, "-c", conns, "-d", secs, "--latency", "-s", "tests/load/contact.lua", &format!("{url}/api/v1/contact")])?;
        println!("contact    POST /api/v1/contact    {contact}");
        let stored = Command::new(root.join("target/server/keel-server"))
            .args(["submissions", "--database"])
            .arg(&db)
            .args(["export", "--format", "csv"])
            .output()?;
        let rows = String::from_utf8_lossy(&stored.stdout).lines().count().saturating_sub(1);
        println!("stored rows after the run: {rows} (each one fsynced before its 201)");
        Ok(())
    })();
    let _ = server.kill();
    let _ = server.wait();
    let _ = std::fs::remove_dir_all(&dir);
    result
}

/// Run wrk and summarise: requests/s, p50, p90, p99, non-2xx.
fn wrk(args: &[&str]) -> anyhow::Result<String> {
    let out = Command::new("wrk").args(args).output().context("running wrk")?;
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    if !out.status.success() {
        bail!("wrk failed:\n{text}{}", String::from_utf8_lossy(&out.stderr));
    }
    let pick = |prefix: &str| {
        text.lines().find_map(|l| l.trim().strip_prefix(prefix).map(|v| v.trim().to_string())).unwrap_or_else(|| "?".into())
    };
    let non2xx = pick("Non-2xx or 3xx responses:");
    Ok(format!(
        "{} req/s  p50 {}  p90 {}  p99 {}  errors {}",
        pick("Requests/sec:"),
        pick("50%"),
        pick("90%"),
        pick("99%"),
        if non2xx == "?" { "0".to_string() } else { non2xx }
    ))
}
