//! `cargo xtask fresh`: a fresh machine, rehearsed on this one, and timed.
//!
//! A clean clone of this checkout's HEAD runs the README's two commands,
//! `cargo xtask run` (until the site answers) and `cargo xtask test`, with
//! everything a new contributor would not have:
//!
//! - an empty `CARGO_HOME` (no registry, no git cache, no installed tools)
//!   and an empty `RUSTUP_HOME`, in which only the stable toolchain this
//!   machine runs is installed first (the one thing the README asks for),
//!   with `RUSTUP_AUTO_INSTALL=0`, so nothing installs itself behind xtask;
//! - `PATH` without any `.cargo/bin` or `node_modules/.bin`, and an empty npm
//!   cache;
//! - no `target/` and no `tests/node_modules` (a clone has neither).
//!
//! What stays warm, since one machine cannot unlearn it: Debian's packages
//! (the browsers, PostgreSQL, nginx) once installed, and the operating
//! system's file cache.
//!
//! It prints each phase's time from the commands' own reports (`setup: …
//! done in N s`, the build's phases) and the gaps between them, then the
//! issue's targets beside the figures. The scratch folder is removed at the
//! end (`--keep` keeps it), and kept with its log when a command fails.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

/// The targets on a 2-core machine: the site served within this long of the
/// first command…
const SERVED_WITHIN: Duration = Duration::from_secs(25 * 60);
/// …and all of that but trunk's own compile within this long.
const REST_WITHIN: Duration = Duration::from_secs(6 * 60);

pub fn run(root: &Path, args: &[String]) -> anyhow::Result<()> {
    let run_only = args.iter().any(|a| a == "--run-only");
    let keep = args.iter().any(|a| a == "--keep");
    let scratch = std::env::temp_dir().join(format!("keel-fresh-{}", std::process::id()));
    std::fs::create_dir_all(&scratch)?;
    let mut log = std::fs::File::create(scratch.join("fresh.log"))?;
    let outcome = rehearse(root, &scratch, run_only, &mut log);
    match &outcome {
        Ok(()) if !keep => {
            std::fs::remove_dir_all(&scratch)
                .with_context(|| format!("removing {}", scratch.display()))?;
        }
        _ => eprintln!(
            "The scratch folder, with every command's output in fresh.log, is kept: {}",
            scratch.display()
        ),
    }
    outcome
}

fn rehearse(
    root: &Path,
    scratch: &Path,
    run_only: bool,
    log: &mut std::fs::File,
) -> anyhow::Result<()> {
    let dirty = Command::new("git")
        .args(["status", "--porcelain", "--untracked-files=no"])
        .current_dir(root)
        .output()?;
    if !dirty.stdout.is_empty() {
        eprintln!("warning: the checkout has uncommitted changes; the clone has HEAD only");
    }
    let head = String::from_utf8(
        Command::new("git")
            .args(["rev-parse", "--short", "HEAD"])
            .current_dir(root)
            .output()?
            .stdout,
    )?;
    let clone = scratch.join("keel");
    crate::sh(
        Command::new("git")
            .args(["clone", "--quiet", "--no-hardlinks"])
            .arg(root)
            .arg(&clone),
    )?;

    let env = FreshEnv::new(scratch)?;
    let stable = machine_stable()?;
    let mut table = Table::default();

    // What the README assumes the machine has: rustup and one stable toolchain.
    let started = Instant::now();
    crate::sh(env.command("rustup").args([
        "toolchain",
        "install",
        &stable,
        "--profile",
        "minimal",
        "--no-self-update",
    ]))?;
    crate::sh(env.command("rustup").args(["default", &stable]))?;
    table.row(
        &format!("(before) Rust {stable}, the machine's own stable"),
        started.elapsed(),
        Kind::NotCounted,
    );

    // The README's first command, until the site answers.
    let port = free_port()?;
    let mut run = env.command("cargo");
    run.args(["xtask", "run"])
        .current_dir(&clone)
        .env("KEEL_LISTEN", format!("127.0.0.1:{port}"));
    let run_lines = stream(run, log, "Keel is running at")?;
    let served = run_lines.finished;
    table.from_lines("cargo xtask run", &run_lines);
    table.row("site served, from the first command", served, Kind::Total);
    let trunk = table.trunk_compile();
    table.row(
        "  of which all but trunk's own compile",
        served.saturating_sub(trunk),
        Kind::Total,
    );
    if !run_lines.matched {
        table.print(&head);
        bail!("`cargo xtask run` ended before the site was served (see above)");
    }

    let mut test_summary = None;
    if !run_only {
        let mut test = env.command("cargo");
        test.args(["xtask", "test"]).current_dir(&clone);
        let lines = stream(test, log, "")?;
        table.from_lines("cargo xtask test", &lines);
        table.row("cargo xtask test, in all", lines.finished, Kind::Total);
        test_summary = lines
            .lines
            .iter()
            .rev()
            .find(|(_, l)| l.starts_with("xtask test:"))
            .map(|(_, l)| l.clone());
        if !lines.succeeded {
            table.print(&head);
            bail!("`cargo xtask test` failed on the fresh machine (see above)");
        }
    }

    table.print(&head);
    if let Some(summary) = test_summary {
        println!("{summary}");
    }
    let verdict = |ok: bool| if ok { "met" } else { "MISSED" };
    println!(
        "\ntargets: site served within {} min: {} ({:.1} min); all but trunk's compile within {} min: {} ({:.1} min)",
        SERVED_WITHIN.as_secs() / 60,
        verdict(served <= SERVED_WITHIN),
        served.as_secs_f64() / 60.0,
        REST_WITHIN.as_secs() / 60,
        verdict(served.saturating_sub(trunk) <= REST_WITHIN),
        served.saturating_sub(trunk).as_secs_f64() / 60.0,
    );
    Ok(())
}

/// The environment of a machine that has rustup and nothing else of Rust.
struct FreshEnv {
    cargo_home: PathBuf,
    rustup_home: PathBuf,
    npm_cache: PathBuf,
    path: std::ffi::OsString,
}

impl FreshEnv {
    fn new(scratch: &Path) -> anyhow::Result<FreshEnv> {
        let cargo_home = scratch.join("cargo");
        let bin = cargo_home.join("bin");
        std::fs::create_dir_all(&bin)?;
        // rustup-init's layout: the rustup binary, and the proxies as links to it
        // (each proxy knows what it is by its name).
        let rustup = which("rustup").context("rustup is not on PATH")?;
        std::fs::copy(&rustup, bin.join("rustup"))
            .with_context(|| format!("copying {}", rustup.display()))?;
        for proxy in ["cargo", "rustc", "rustdoc"] {
            std::os::unix::fs::symlink("rustup", bin.join(proxy))?;
        }
        let old = std::env::var_os("PATH").unwrap_or_default();
        let kept = std::env::split_paths(&old)
            .filter(|p| !p.ends_with(".cargo/bin") && !p.ends_with("node_modules/.bin"));
        let path = std::env::join_paths(std::iter::once(bin).chain(kept))?;
        Ok(FreshEnv {
            rustup_home: scratch.join("rustup"),
            npm_cache: scratch.join("npm"),
            cargo_home,
            path,
        })
    }

    /// `program` in the fresh environment: this process's variables, less
    /// everything cargo, rustup or npm set or read.
    fn command(&self, program: &str) -> Command {
        // The fresh home's own proxies (cargo, rustup) first, as its PATH has them.
        let own = self.cargo_home.join("bin").join(program);
        let mut c = Command::new(if own.exists() {
            own
        } else {
            PathBuf::from(program)
        });
        for (key, _) in std::env::vars_os() {
            let k = key.to_string_lossy().to_ascii_uppercase();
            if [
                "CARGO",
                "RUSTUP",
                "RUSTC",
                "RUSTDOC",
                "RUSTFLAGS",
                "RUST_",
                "NPM_CONFIG",
                "KEEL_",
            ]
            .iter()
            .any(|p| k.starts_with(p))
            {
                c.env_remove(&key);
            }
        }
        c.env("PATH", &self.path)
            .env("CARGO_HOME", &self.cargo_home)
            .env("RUSTUP_HOME", &self.rustup_home)
            .env("RUSTUP_AUTO_INSTALL", "0")
            .env("npm_config_cache", &self.npm_cache);
        c
    }
}

fn which(program: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|d| d.join(program))
        .find(|p| p.is_file())
}

/// The version of the stable toolchain this machine runs (`rustc +stable`),
/// so the rehearsal starts where a contributor here would.
fn machine_stable() -> anyhow::Result<String> {
    let out = Command::new("rustc")
        .args(["+stable", "--version"])
        .env_remove("RUSTUP_TOOLCHAIN")
        .output()
        .context("rustc +stable --version")?;
    let text = String::from_utf8_lossy(&out.stdout);
    text.split_whitespace()
        .nth(1)
        .map(str::to_string)
        .with_context(|| format!("no version in {text:?}"))
}

fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

/// A command's output lines, each with the time it appeared.
struct Lines {
    lines: Vec<(Duration, String)>,
    /// When the command ended, or printed the line it was run until.
    finished: Duration,
    matched: bool,
    succeeded: bool,
}

/// Runs `cmd` in its own process group, echoing and logging every line of
/// its output with the time since it started; stops it (SIGINT, as Ctrl-C)
/// once a line contains `until`, when that is not empty.
fn stream(mut cmd: Command, log: &mut std::fs::File, until: &str) -> anyhow::Result<Lines> {
    use std::os::unix::process::CommandExt;
    eprintln!("$ {cmd:?}");
    writeln!(log, "$ {cmd:?}")?;
    let started = Instant::now();
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn()
        .context("starting the command")?;
    let (tx, rx) = mpsc::channel::<String>();
    let readers: Vec<_> = [
        Box::new(child.stdout.take().expect("piped")) as Box<dyn std::io::Read + Send>,
        Box::new(child.stderr.take().expect("piped")),
    ]
    .into_iter()
    .map(|out| {
        let tx = tx.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        })
    })
    .collect();
    drop(tx);
    let mut lines = Vec::new();
    let mut matched = false;
    for line in rx {
        let at = started.elapsed();
        eprintln!("[{:>4.0} s] {line}", at.as_secs_f64());
        writeln!(log, "[{:>7.1} s] {line}", at.as_secs_f64())?;
        let hit = !until.is_empty() && line.contains(until);
        lines.push((at, line));
        if hit {
            matched = true;
            let pid = rustix::process::Pid::from_raw(child.id() as i32).context("child pid")?;
            let _ = rustix::process::kill_process_group(pid, rustix::process::Signal::INT);
            break;
        }
    }
    let finished = if matched {
        lines.last().map(|l| l.0).unwrap_or_default()
    } else {
        started.elapsed()
    };
    let status = child.wait()?;
    for r in readers {
        let _ = r.join();
    }
    Ok(Lines {
        lines,
        finished,
        matched,
        succeeded: status.success(),
    })
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Step,
    TrunkCompile,
    Total,
    NotCounted,
}

#[derive(Default)]
struct Table {
    rows: Vec<(String, Duration, Option<Kind>)>,
}

impl Table {
    fn row(&mut self, name: &str, d: Duration, kind: Kind) {
        self.rows.push((name.to_string(), d, Some(kind)));
    }

    fn heading(&mut self, name: &str) {
        self.rows.push((name.to_string(), Duration::ZERO, None));
    }

    fn trunk_compile(&self) -> Duration {
        self.rows
            .iter()
            .filter(|r| r.2 == Some(Kind::TrunkCompile))
            .map(|r| r.1)
            .sum()
    }

    /// The phases a command reported: its setup steps (`setup: NAME (…)
    /// done in N s`), the build's phases, and what came before the first
    /// step's line (cargo compiling xtask, the steps that had nothing to do).
    fn from_lines(&mut self, command: &str, out: &Lines) {
        self.heading(command);
        let mut first_output = None;
        let mut in_build = false;
        for (at, line) in &out.lines {
            if first_output.is_none() && !line.trim().is_empty() {
                first_output = Some(*at);
                self.row(
                    "  cargo compiles xtask (until its first line)",
                    *at,
                    Kind::Step,
                );
            }
            if let Some(rest) = line.strip_prefix("setup: ")
                && let Some((what, secs)) = rest.rsplit_once(" done in ")
                && let Some(secs) = secs.strip_suffix(" s").and_then(|s| s.parse::<f64>().ok())
            {
                let name = what.split_whitespace().next().unwrap_or(what);
                let kind = if name == "trunk" {
                    Kind::TrunkCompile
                } else {
                    Kind::Step
                };
                self.row(
                    &format!("  setup: {name}"),
                    Duration::from_secs_f64(secs),
                    kind,
                );
            } else if line == "build phases:" {
                in_build = true;
            } else if in_build && line.starts_with("  ") {
                // "  {name:<12} {secs:>7.2} s  {note}": the name may have spaces.
                let (name, rest) = line.split_at(line.len().min(14));
                if let Some(Ok(secs)) = rest.split_whitespace().next().map(str::parse::<f64>) {
                    self.row(
                        &format!("  build: {}", name.trim()),
                        Duration::from_secs_f64(secs),
                        Kind::Step,
                    );
                }
            } else if in_build {
                in_build = false;
                if let Some(rest) = line.strip_prefix("Built in ") {
                    let secs = rest
                        .split_whitespace()
                        .next()
                        .and_then(|s| s.parse::<f64>().ok())
                        .unwrap_or(0.0);
                    self.row("  build, in all", Duration::from_secs_f64(secs), Kind::Step);
                    // From the build's end to the next command's: cargo compiling the server.
                    let after: Vec<_> = out.lines.iter().filter(|(t, _)| t > at).collect();
                    if let Some((end, _)) =
                        after.iter().find(|(_, l)| l.contains("Keel is running at"))
                    {
                        self.row(
                            "  cargo compiles the server (from the build's end to the site served)",
                            end.saturating_sub(*at),
                            Kind::Step,
                        );
                    }
                }
            }
        }
    }

    fn print(&self, head: &str) {
        println!(
            "\nA fresh machine, rehearsed (clean clone of {}, {} cores):",
            head.trim(),
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1)
        );
        for (name, d, kind) in &self.rows {
            match kind {
                None => println!("{name}"),
                Some(k) => {
                    let note = match k {
                        Kind::TrunkCompile => "  (trunk's own compile)",
                        Kind::NotCounted => "  (not counted: the README's prerequisite)",
                        _ => "",
                    };
                    println!("  {name:<72} {:>7.1} min{note}", d.as_secs_f64() / 60.0);
                }
            }
        }
    }
}
