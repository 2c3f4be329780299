//! A throwaway PostgreSQL cluster for tests: `initdb` in a temporary
//! directory, started on a free loopback port, stopped (immediate shutdown)
//! and deleted when the guard drops, also when the test fails.
//!
//! PostgreSQL refuses to run as root, and CI runs as root: then the cluster
//! belongs to the `postgres` user and every PostgreSQL command runs as it
//! (`runuser`). The binaries are Debian's (`cargo xtask setup` installs
//! them); `KEEL_PG_BIN` names another directory.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

pub struct TestPg {
    dir: tempfile::TempDir,
    bin: PathBuf,
    as_postgres: bool,
    pub port: u16,
}

impl TestPg {
    pub fn start() -> TestPg {
        let bin = std::env::var_os("KEEL_PG_BIN")
            .map(PathBuf::from)
            .or_else(|| {
                ["17", "16", "15"]
                    .iter()
                    .map(|v| PathBuf::from(format!("/usr/lib/postgresql/{v}/bin")))
                    .find(|p| p.join("initdb").exists())
            })
            .expect("PostgreSQL is not installed: run `cargo xtask setup` (it installs Debian's postgresql), or set KEEL_PG_BIN");
        let as_postgres = output("id", &["-u"]) == "0";
        let dir = tempfile::Builder::new()
            .prefix("keel-pg-")
            .tempdir()
            .unwrap();
        if as_postgres {
            let uid = output("id", &["-u", "postgres"]).parse().unwrap();
            let gid = output("id", &["-g", "postgres"]).parse().unwrap();
            std::os::unix::fs::chown(dir.path(), Some(uid), Some(gid)).unwrap();
        }
        let port = free_port();
        let pg = TestPg {
            dir,
            bin,
            as_postgres,
            port,
        };
        let data = pg.data();
        pg.run(
            "initdb",
            &[
                "-D",
                &data,
                "-U",
                "keel",
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--no-sync",
                "--no-instructions",
            ],
        );
        // The guard exists already: a failed start still stops what started.
        pg.pg_ctl_start();
        pg
    }

    /// Start the cluster (again, after `stop`), on the same port.
    pub fn pg_ctl_start(&self) {
        let port = self.port;
        let data = self.data();
        let options = format!(
            "-p {port} -c listen_addresses=127.0.0.1 -k {} -c fsync=off -c max_connections=200",
            self.dir.path().display()
        );
        let log = self.dir.path().join("log").display().to_string();
        self.run(
            "pg_ctl",
            &[
                "-D", &data, "-l", &log, "-o", &options, "-w", "-t", "60", "start",
            ],
        );
    }

    /// Stop the cluster at once (the guard stops it anyway at the end).
    pub fn stop(&self) {
        self.run(
            "pg_ctl",
            &["-D", &self.data(), "-m", "immediate", "-w", "stop"],
        );
    }

    fn data(&self) -> String {
        self.dir.path().join("data").display().to_string()
    }

    /// A PostgreSQL command, as the `postgres` user when we are root. Panics
    /// with its output (and the server log) when it fails.
    fn run(&self, tool: &str, args: &[&str]) {
        let exe = self.bin.join(tool);
        let mut cmd = if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&exe);
            c
        } else {
            Command::new(&exe)
        };
        // Not the test's own directory: the postgres user may not enter it.
        let out = cmd
            .args(args)
            .current_dir(self.dir.path())
            .output()
            .unwrap();
        if !out.status.success() {
            let log = std::fs::read_to_string(self.dir.path().join("log")).unwrap_or_default();
            panic!(
                "{tool} failed: {}\n{}{}\n--- server log ---\n{log}",
                out.status,
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }

    /// The URL of database `name` on this cluster.
    pub fn url(&self, name: &str) -> String {
        format!("postgres://keel@127.0.0.1:{}/{name}", self.port)
    }

    /// A new, empty database; its URL.
    pub async fn create_db(&self, name: &str) -> String {
        let (client, conn) = tokio_postgres::connect(&self.url("postgres"), tokio_postgres::NoTls)
            .await
            .unwrap();
        let task = tokio::spawn(conn);
        client
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .await
            .unwrap();
        drop(client);
        let _ = task.await;
        self.url(name)
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for TestPg {
    fn drop(&mut self) {
        let data = self.data();
        let exe = self.bin.join("pg_ctl");
        let mut cmd = if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&exe);
            c
        } else {
            Command::new(&exe)
        };
        // Immediate: nothing here needs a clean shutdown, and a test must not wait.
        let _ = cmd
            .args(["-D", &data, "-m", "immediate", "-w", "stop"])
            .current_dir(self.dir.path())
            .output();
    }
}

fn output(cmd: &str, args: &[&str]) -> String {
    let out = Command::new(cmd).args(args).output().unwrap();
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}
