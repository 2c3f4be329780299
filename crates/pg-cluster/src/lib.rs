//! A throwaway PostgreSQL cluster: `initdb` in a temporary directory, started
//! on a free loopback port, stopped (immediate shutdown) and deleted when the
//! guard drops, also after a failed step or a failed test. The store's suite,
//! the server's PostgreSQL and crash tests, and `cargo xtask load` use it.
//!
//! PostgreSQL refuses to run as root, and CI runs as root: then the cluster
//! belongs to the `postgres` user and every PostgreSQL command runs as it
//! (`runuser`). The binaries are Debian's (`cargo xtask setup` installs
//! them); `KEEL_PG_BIN` names another directory.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};

/// How the cluster keeps its data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Durability {
    /// `fsync` off: fast, for tests, where a crash of the machine loses
    /// nothing anyone needs (a killed server still tests the server).
    Tests,
    /// PostgreSQL's defaults: for benchmarks, which must measure real commits.
    Real,
}

pub struct Cluster {
    dir: tempfile::TempDir,
    bin: PathBuf,
    as_postgres: bool,
    durability: Durability,
    /// Serve TLS with the certificate and key in the cluster's folder.
    tls: bool,
    pub port: u16,
    /// The server's version, as `postgres --version` prints it (`15.14`).
    pub version: String,
}

impl Cluster {
    pub fn start(durability: Durability) -> anyhow::Result<Cluster> {
        Cluster::start_with(durability, None)
    }

    /// A cluster that offers TLS (`ssl = on`) with this certificate chain
    /// and key, both PEM.
    pub fn start_tls(durability: Durability, cert: &str, key: &str) -> anyhow::Result<Cluster> {
        Cluster::start_with(durability, Some((cert, key)))
    }

    fn start_with(durability: Durability, tls: Option<(&str, &str)>) -> anyhow::Result<Cluster> {
        let bin = std::env::var_os("KEEL_PG_BIN")
            .map(PathBuf::from)
            .or_else(|| {
                ["17", "16", "15"]
                    .iter()
                    .map(|v| PathBuf::from(format!("/usr/lib/postgresql/{v}/bin")))
                    .find(|p| p.join("initdb").exists())
            })
            .context("PostgreSQL is not installed: run `cargo xtask setup` (it installs Debian's postgresql), or set KEEL_PG_BIN")?;
        let as_postgres = output("id", &["-u"])? == "0";
        let dir = tempfile::Builder::new().prefix("keel-pg-").tempdir()?;
        let owner = if as_postgres {
            let uid = output("id", &["-u", "postgres"])?
                .parse()
                .context("the postgres user's uid")?;
            let gid = output("id", &["-g", "postgres"])?
                .parse()
                .context("the postgres user's gid")?;
            std::os::unix::fs::chown(dir.path(), Some(uid), Some(gid))?;
            Some((uid, gid))
        } else {
            None
        };
        if let Some((cert, key)) = tls {
            // PostgreSQL wants the key readable by its owner only.
            for (name, text) in [("server.crt", cert), ("server.key", key)] {
                let path = dir.path().join(name);
                std::fs::write(&path, text)?;
                std::fs::set_permissions(
                    &path,
                    std::os::unix::fs::PermissionsExt::from_mode(0o600),
                )?;
                if let Some((uid, gid)) = owner {
                    std::os::unix::fs::chown(&path, Some(uid), Some(gid))?;
                }
            }
        }
        let mut pg = Cluster {
            dir,
            bin,
            as_postgres,
            durability,
            tls: tls.is_some(),
            port: free_port()?,
            version: String::new(),
        };
        let data = pg.data();
        let mut initdb = vec![
            "-D",
            &data,
            "-U",
            "keel",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--no-instructions",
        ];
        if durability == Durability::Tests {
            initdb.push("--no-sync");
        }
        pg.run("initdb", &initdb)?;
        // The guard exists already: a failed start still stops what started.
        pg.start_again()?;
        pg.version = pg
            .run("postgres", &["--version"])?
            .split_whitespace()
            .nth(2)
            .unwrap_or("?")
            .to_string();
        Ok(pg)
    }

    /// Start the cluster (again, after `stop`), on the same port.
    pub fn start_again(&self) -> anyhow::Result<()> {
        let mut options = format!(
            "-p {} -c listen_addresses=127.0.0.1 -k {} -c max_connections=200",
            self.port,
            self.dir.path().display()
        );
        if self.durability == Durability::Tests {
            options.push_str(" -c fsync=off");
        }
        if self.tls {
            let dir = self.dir.path().display();
            options.push_str(&format!(
                " -c ssl=on -c ssl_cert_file={dir}/server.crt -c ssl_key_file={dir}/server.key"
            ));
        }
        let log = self.dir.path().join("log").display().to_string();
        let data = self.data();
        self.run(
            "pg_ctl",
            &[
                "-D", &data, "-l", &log, "-o", &options, "-w", "-t", "60", "start",
            ],
        )?;
        Ok(())
    }

    /// Stop the cluster at once (dropping the guard stops it anyway).
    pub fn stop(&self) -> anyhow::Result<()> {
        self.run(
            "pg_ctl",
            &["-D", &self.data(), "-m", "immediate", "-w", "stop"],
        )?;
        Ok(())
    }

    /// The URL of database `name` on this cluster.
    pub fn url(&self, name: &str) -> String {
        self.url_at("127.0.0.1", name)
    }

    /// The same, naming the server `host` (which must resolve to loopback).
    pub fn url_at(&self, host: &str, name: &str) -> String {
        format!("postgres://keel@{host}:{}/{name}", self.port)
    }

    /// The path of one of the cluster's client tools (`pg_dump`,
    /// `pg_restore`), of the server's own version.
    pub fn tool(&self, name: &str) -> PathBuf {
        self.bin.join(name)
    }

    /// A new, empty database; its URL.
    pub fn create_db(&self, name: &str) -> anyhow::Result<String> {
        let port = self.port.to_string();
        self.run(
            "createdb",
            &["-h", "127.0.0.1", "-p", &port, "-U", "keel", name],
        )?;
        Ok(self.url(name))
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    fn data(&self) -> String {
        self.dir.path().join("data").display().to_string()
    }

    fn command(&self, tool: &str) -> Command {
        let exe = self.bin.join(tool);
        let mut cmd = if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(exe);
            c
        } else {
            Command::new(exe)
        };
        // Not the caller's directory: the postgres user may not enter it.
        cmd.current_dir(self.dir.path());
        cmd
    }

    /// A PostgreSQL command; its stdout, or an error with its output and
    /// the server log.
    fn run(&self, tool: &str, args: &[&str]) -> anyhow::Result<String> {
        let out = self
            .command(tool)
            .args(args)
            .output()
            .with_context(|| format!("could not start {tool}"))?;
        if !out.status.success() {
            let log = std::fs::read_to_string(self.dir.path().join("log")).unwrap_or_default();
            bail!(
                "{tool} failed: {}\n{}{}\n--- server log ---\n{log}",
                out.status,
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        // Immediate: nothing here needs a clean shutdown, and no one should wait.
        let data = self.data();
        let _ = self
            .command("pg_ctl")
            .args(["-D", &data, "-m", "immediate", "-w", "stop"])
            .output();
    }
}

/// A loopback port free at the time of asking.
pub fn free_port() -> std::io::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

fn output(cmd: &str, args: &[&str]) -> anyhow::Result<String> {
    let out = Command::new(cmd)
        .args(args)
        .output()
        .with_context(|| format!("running {cmd}"))?;
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}
