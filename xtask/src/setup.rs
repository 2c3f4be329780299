//! Install what a fresh machine lacks, and only that: every tool is checked
//! by version first, so a warm machine pays nothing.
//!
//! Setup is a list of named steps (`STEPS`). Each that does something prints
//! its time (`setup: NAME … in N s`, which `cargo xtask fresh` reads); one that
//! fails ends with what it was installing, what it needs, and the command that
//! retries it alone (`cargo xtask setup NAME`), so a tool's own output is never
//! the last thing on screen.

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, bail};

use crate::{sh, tool_path};

pub const TRUNK_VERSION: &str = "0.22.1";
pub const WASM_OPT_VERSION: &str = "version 132";
/// The one toolchain xtask installs itself: a pinned nightly, which compiles
/// the wasm and the tools xtask installs (trunk, wasm-bindgen-cli,
/// geckodriver). The workspace itself builds with any stable from
/// `rust-version` on (there is no rust-toolchain.toml), so that `cargo xtask`
/// starts where rustup installs nothing by itself (`RUSTUP_AUTO_INSTALL=0`).
///
/// The wasm needs a nightly for the one thing stable cannot do, rebuilding
/// the standard library so that a panic aborts at once. In
/// wasm32-unknown-unknown a panic's message goes nowhere anyway, so its
/// formatting, locations and messages are bytes no one reads: about 20 KB of
/// brotli. See `crate::trunk`. The tools build with it too, since trunk
/// 0.22.1 needs Rust 1.96.1, newer than the stable a machine may have; one
/// toolchain to download instead of two.
pub const PINNED_TOOLCHAIN: &str = "nightly-2026-05-20";
/// Firefox's WebDriver server, from crates.io (Mozilla publishes it there).
pub const GECKODRIVER_VERSION: &str = "0.37.1";

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// Trunk, wasm-bindgen, wasm-opt.
    Build,
    /// Also the browser-test tools: Node packages, and the three engines with
    /// their WebDriver servers (Chromium, Firefox, WebKitGTK; see `browsers`).
    All,
}

/// What a step needs from outside, said when it fails.
#[derive(Clone, Copy)]
enum Source {
    Npm,
    Rustup,
    Crates,
    Apt,
    Local,
}

impl Source {
    fn needs(self) -> &'static str {
        match self {
            Source::Npm => {
                "It downloads from the npm registry: check that `npm ping` answers (npm's proxy settings), and that Node.js 20 or newer is installed."
            }
            Source::Rustup => {
                "It downloads from rustup's server (static.rust-lang.org): check the network, and that `rustup --version` works."
            }
            Source::Crates => {
                "It downloads from crates.io and compiles: check that the crates registry is reachable (cargo's proxy settings), that gcc is installed, and that the disk has a few GB free."
            }
            Source::Apt => {
                "It installs Debian packages: it needs root or passwordless sudo, and Debian's package archive (`apt-get update` must work)."
            }
            Source::Local => "It checks what an earlier step installed.",
        }
    }
}

struct Step {
    name: &'static str,
    /// What it installs, as said to the person waiting.
    installs: fn() -> String,
    source: Source,
    /// Whether `cargo xtask setup` with no name runs it for this need.
    for_build: bool,
    /// Installs when missing; answers whether it did anything.
    run: fn(&Path) -> anyhow::Result<bool>,
}

/// In order: each step may use what an earlier one installed (the tools
/// compile with the pinned toolchain; wasm-opt comes from the Node packages).
const STEPS: &[Step] = &[
    Step {
        name: "node",
        installs: || {
            "the Node packages in tests/ (wasm-opt, playwright-core, axe-core, selenium-webdriver)"
                .into()
        },
        source: Source::Npm,
        for_build: true,
        run: node_packages,
    },
    Step {
        name: "toolchain",
        installs: || {
            format!("Rust {PINNED_TOOLCHAIN} with rust-src (the wasm's and the tools' compiler)")
        },
        source: Source::Rustup,
        for_build: true,
        run: pinned_toolchain,
    },
    Step {
        name: "trunk",
        installs: || {
            format!("trunk {TRUNK_VERSION} (compiled from crates.io, about 10 minutes, once)")
        },
        source: Source::Crates,
        for_build: true,
        run: trunk,
    },
    Step {
        name: "wasm-bindgen",
        installs: || {
            "wasm-bindgen-cli at Cargo.lock's version (compiled from crates.io, about 3 minutes, once)".into()
        },
        source: Source::Crates,
        for_build: true,
        run: wasm_bindgen,
    },
    Step {
        name: "wasm-opt",
        installs: || format!("wasm-opt {WASM_OPT_VERSION} from the Node packages (npm's binaryen)"),
        source: Source::Local,
        for_build: true,
        run: wasm_opt,
    },
    Step {
        name: "postgresql",
        installs: || "Debian's postgresql, for the store tests".into(),
        source: Source::Apt,
        for_build: false,
        run: |_| postgresql_installed(),
    },
    Step {
        name: "nginx",
        installs: || "Debian's nginx-light, for the static-host test".into(),
        source: Source::Apt,
        for_build: false,
        run: |_| nginx(),
    },
    Step {
        name: "browsers",
        installs: || {
            format!(
                "Debian's {}, for the browser tests",
                BROWSER_PACKAGES
                    .iter()
                    .map(|(_, p)| *p)
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        },
        source: Source::Apt,
        for_build: false,
        run: |_| browsers(),
    },
    Step {
        name: "geckodriver",
        installs: || {
            format!(
                "geckodriver {GECKODRIVER_VERSION}, Firefox's WebDriver server (compiled from crates.io, 3 to 6 minutes, once)"
            )
        },
        source: Source::Crates,
        for_build: false,
        run: geckodriver,
    },
];

pub fn ensure(root: &Path, need: Need) -> anyhow::Result<()> {
    for step in STEPS.iter().filter(|s| need == Need::All || s.for_build) {
        run_step(root, step)?;
    }
    Ok(())
}

/// `cargo xtask setup [NAME…]`: every step, or only the named ones.
pub fn command(root: &Path, names: &[String]) -> anyhow::Result<()> {
    if names.is_empty() {
        return ensure(root, Need::All);
    }
    for name in names {
        let Some(step) = STEPS.iter().find(|s| s.name == name) else {
            bail!(
                "no setup step named {name:?}; the steps are: {}",
                STEPS.iter().map(|s| s.name).collect::<Vec<_>>().join(", ")
            );
        };
        run_step(root, step)?;
    }
    Ok(())
}

fn run_step(root: &Path, step: &Step) -> anyhow::Result<()> {
    let started = Instant::now();
    match (step.run)(root) {
        Ok(false) => Ok(()),
        Ok(true) => {
            eprintln!(
                "setup: {} ({}) done in {:.0} s",
                step.name,
                (step.installs)(),
                started.elapsed().as_secs_f64()
            );
            Ok(())
        }
        Err(e) => bail!(
            "{e:#}\n\nSetup step `{name}` failed after {secs:.0} s, installing {what}.\n{needs}\nRetry this step alone with:\n\n    cargo xtask setup {name}\n",
            name = step.name,
            what = (step.installs)(),
            needs = step.source.needs(),
            secs = started.elapsed().as_secs_f64(),
        ),
    }
}

fn version_of(root: &Path, program: &str, arg: &str) -> Option<String> {
    let out = Command::new(program)
        .arg(arg)
        .env("PATH", tool_path(root))
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// `cargo install`, compiled by the pinned toolchain: the tools' own
/// `rust-version` may be newer than the machine's stable.
fn cargo_install(root: &Path, args: &[&str]) -> anyhow::Result<()> {
    // A step retried alone (`cargo xtask setup trunk`) needs it too.
    pinned_toolchain(root)?;
    sh(Command::new("cargo")
        .arg("install")
        .args(args)
        .env("RUSTUP_TOOLCHAIN", PINNED_TOOLCHAIN)
        // The tools' own release profiles may use fat LTO: several times slower
        // to build, and no use to a build tool.
        .env("CARGO_PROFILE_RELEASE_LTO", "false")
        .env("CARGO_PROFILE_RELEASE_CODEGEN_UNITS", "16")
        .current_dir(root))
}

fn trunk(root: &Path) -> anyhow::Result<bool> {
    if version_of(root, "trunk", "--version").as_deref()
        == Some(format!("trunk {TRUNK_VERSION}").as_str())
    {
        return Ok(false);
    }
    eprintln!("Installing trunk {TRUNK_VERSION} (about 10 minutes, once)…");
    cargo_install(
        root,
        &["trunk", "--version", TRUNK_VERSION, "--locked", "--force"],
    )?;
    Ok(true)
}

/// `PINNED_TOOLCHAIN` with the standard library's source (for `build-std`).
fn pinned_toolchain(_: &Path) -> anyhow::Result<bool> {
    if Command::new("rustup").arg("--version").output().is_err() {
        bail!(
            "rustup is not on PATH: install it from https://rustup.rs (xtask installs the toolchain it needs with it)"
        );
    }
    let has_source = Command::new("rustup")
        .args([
            "component",
            "list",
            "--installed",
            "--toolchain",
            PINNED_TOOLCHAIN,
        ])
        .output()
        .is_ok_and(|o| {
            o.status.success()
                && String::from_utf8_lossy(&o.stdout)
                    .lines()
                    .any(|l| l == "rust-src")
        });
    if has_source {
        return Ok(false);
    }
    eprintln!(
        "Installing Rust {PINNED_TOOLCHAIN} with rust-src, for the wasm and the tools (a minute, once)…"
    );
    sh(Command::new("rustup").args([
        "toolchain",
        "install",
        PINNED_TOOLCHAIN,
        "--profile",
        "minimal",
        "--component",
        "rust-src",
    ]))?;
    Ok(true)
}

/// Everything trunk's cargo will resolve, fetched while the network may be
/// used: trunk runs cargo offline (Trunk.toml's `offline`), and with
/// `build-std` cargo resolves the standard library's own dependencies
/// (rust-src's lock file), which no workspace fetch brings. Called before
/// every trunk run (`crate::trunk`), since a change to Cargo.lock (a new
/// dependency, in `cargo xtask dev`) must be fetched too; quick when all is
/// there (no download, no index request).
pub fn fetch_wasm_crates(root: &Path) -> anyhow::Result<()> {
    let fetch = |with_std: bool| {
        let mut c = Command::new("cargo");
        c.args(["fetch", "--quiet"])
            .env("RUSTUP_TOOLCHAIN", PINNED_TOOLCHAIN)
            .current_dir(root);
        if with_std {
            c.args(["--target", "wasm32-unknown-unknown"])
                .env("CARGO_UNSTABLE_BUILD_STD", crate::WASM_BUILD_STD);
        }
        sh(&mut c)
    };
    // The standard library's crates, then the workspace's for every platform
    // (build scripts and proc macros run on the host).
    fetch(true).context("fetching the crates of the wasm's standard library (build-std)")?;
    fetch(false).context("fetching the workspace's crates")?;
    Ok(())
}

/// The wasm-bindgen version in Cargo.lock: the CLI must match it exactly.
pub fn locked_wasm_bindgen(root: &Path) -> anyhow::Result<String> {
    let lock = std::fs::read_to_string(root.join("Cargo.lock")).context("reading Cargo.lock")?;
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line == "name = \"wasm-bindgen\""
            && let Some(v) = lines.next().and_then(|l| l.strip_prefix("version = \""))
        {
            return Ok(v.trim_end_matches('"').to_string());
        }
    }
    bail!("Cargo.lock has no wasm-bindgen entry")
}

fn wasm_bindgen(root: &Path) -> anyhow::Result<bool> {
    let want = locked_wasm_bindgen(root)?;
    let trunk_toml = std::fs::read_to_string(root.join("Trunk.toml"))?;
    if !trunk_toml.contains(&format!("wasm_bindgen = \"{want}\"")) {
        bail!("Trunk.toml [tools] wasm_bindgen must equal the Cargo.lock version {want}");
    }
    if version_of(root, "wasm-bindgen", "--version").as_deref()
        == Some(format!("wasm-bindgen {want}").as_str())
    {
        return Ok(false);
    }
    eprintln!("Installing wasm-bindgen-cli {want} (about 3 minutes, once)…");
    // Not --locked: its lockfile names a crate version the registry mirror lacks.
    cargo_install(root, &["wasm-bindgen-cli", "--version", &want, "--force"])?;
    Ok(true)
}

fn node_packages(root: &Path) -> anyhow::Result<bool> {
    let dir = root.join("tests");
    let lock = dir.join("package-lock.json");
    let installed = dir.join("node_modules/.package-lock.json");
    let fresh = match (std::fs::metadata(&lock), std::fs::metadata(&installed)) {
        (Ok(l), Ok(i)) => i.modified()? >= l.modified()?,
        _ => false,
    };
    if fresh {
        return Ok(false);
    }
    if Command::new("npm").arg("--version").output().is_err() {
        bail!("npm is missing: install Node.js 20 or newer (Debian: apt-get install nodejs npm)");
    }
    eprintln!(
        "Installing the Node packages in tests/ (wasm-opt, playwright-core, axe-core, selenium-webdriver)…"
    );
    sh(Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund"])
        .current_dir(&dir))?;
    Ok(true)
}

fn wasm_opt(root: &Path) -> anyhow::Result<bool> {
    match version_of(root, "wasm-opt", "--version") {
        Some(v) if v.contains(WASM_OPT_VERSION) => Ok(false),
        other => bail!(
            "wasm-opt on PATH is {other:?}, expected {WASM_OPT_VERSION} from tests/node_modules (npm package binaryen); \
             remove tests/node_modules and run `cargo xtask setup node`"
        ),
    }
}
/// Debian's packages for the browser tests, each checked by the file it
/// provides: the engines and their WebDriver servers. WebKitGTK's MiniBrowser
/// comes with libwebkit2gtk (a dependency of webkit2gtk-driver) and needs a
/// display, hence Xvfb; the tests run it under `xvfb-run`, which needs xauth.
const BROWSER_PACKAGES: &[(&str, &str)] = &[
    ("/usr/bin/chromium", "chromium"),
    ("/usr/bin/chromedriver", "chromium-driver"),
    ("/usr/bin/firefox-esr", "firefox-esr"),
    ("/usr/bin/WebKitWebDriver", "webkit2gtk-driver"),
    ("/usr/bin/xvfb-run", "xvfb"),
    ("/usr/bin/xauth", "xauth"),
];

fn browsers() -> anyhow::Result<bool> {
    let missing: Vec<&str> = BROWSER_PACKAGES
        .iter()
        .filter(|(file, _)| !Path::new(file).exists())
        .map(|(_, package)| *package)
        .collect();
    if missing.is_empty() {
        return Ok(false);
    }
    apt_install(&missing, "the browser tests")?;
    Ok(true)
}

/// `apt-get install` of Debian packages, as root or through passwordless sudo;
/// refreshes the package lists once if the first attempt fails (a fresh image
/// often has none).
fn apt_install(packages: &[&str], purpose: &str) -> anyhow::Result<()> {
    eprintln!("Installing Debian's {} for {purpose}…", packages.join(", "));
    let is_root = Command::new("id")
        .arg("-u")
        .output()
        .map(|o| o.stdout.starts_with(b"0"))
        .unwrap_or(false);
    let apt = |args: &[&str]| {
        let mut c = if is_root {
            Command::new("apt-get")
        } else {
            Command::new("sudo")
        };
        if !is_root {
            c.args(["-n", "apt-get"]);
        }
        c.args(args).env("DEBIAN_FRONTEND", "noninteractive");
        sh(&mut c)
    };
    let install = [&["install", "-y", "--no-install-recommends"][..], packages].concat();
    if apt(&install).is_err() {
        apt(&["update"])?;
        apt(&install).with_context(|| {
            format!(
                "installing {} (needs root or passwordless sudo)",
                packages.join(", ")
            )
        })?;
    }
    Ok(())
}

/// Debian's PostgreSQL server binaries, for the store tests: they start a
/// throwaway cluster (crates/store/src/test_pg.rs) and need `initdb`
/// and `pg_ctl`, and the `postgres` user the package creates.
pub fn postgresql() -> anyhow::Result<()> {
    postgresql_installed().map(drop)
}

fn postgresql_installed() -> anyhow::Result<bool> {
    let installed = std::fs::read_dir("/usr/lib/postgresql")
        .map(|dirs| dirs.flatten().any(|d| d.path().join("bin/initdb").exists()))
        .unwrap_or(false);
    if installed {
        return Ok(false);
    }
    apt_install(&["postgresql"], "the store tests")?;
    Ok(true)
}

/// Lighthouse, for `cargo xtask lighthouse` only (not a test dependency):
/// from the npm registry into target/lighthouse, on first use.
pub const LIGHTHOUSE_VERSION: &str = "12.2.3";

pub fn lighthouse(root: &Path) -> anyhow::Result<()> {
    if root
        .join("target/lighthouse/node_modules/.bin/lighthouse")
        .exists()
    {
        return Ok(());
    }
    std::fs::create_dir_all(root.join("target/lighthouse"))?;
    sh(Command::new("npm")
        .args([
            "install",
            "--no-audit",
            "--no-fund",
            "--prefix",
            "target/lighthouse",
            &format!("lighthouse@{LIGHTHOUSE_VERSION}"),
        ])
        .current_dir(root))
    .context("installing Lighthouse from the npm registry (retry: cargo xtask lighthouse)")
}

/// wrk, for `cargo xtask loadtest` (Debian's package).
pub fn wrk() -> anyhow::Result<()> {
    if Command::new("wrk").arg("--version").output().is_ok() {
        return Ok(());
    }
    apt_install(&["wrk"], "the load test")
}

/// Debian's nginx (nginx-light: gzip_static, no brotli), for the test that
/// serves dist/ with the nginx.conf the build writes (tests/system/nginx.test.mjs).
fn nginx() -> anyhow::Result<bool> {
    if Path::new("/usr/sbin/nginx").exists() {
        return Ok(false);
    }
    apt_install(&["nginx-light"], "the static-host test")?;
    Ok(true)
}

/// geckodriver in cargo's bin folder (the tests look for it there), built
/// from crates.io when `geckodriver --version` is not the pinned one.
fn geckodriver(root: &Path) -> anyhow::Result<bool> {
    let have = version_of(root, "geckodriver", "--version");
    if have
        .as_deref()
        .and_then(|v| v.lines().next())
        .is_some_and(|l| l.starts_with(&format!("geckodriver {GECKODRIVER_VERSION}")))
    {
        return Ok(false);
    }
    eprintln!("Installing geckodriver {GECKODRIVER_VERSION} (3 to 6 minutes, once)…");
    cargo_install(
        root,
        &[
            "geckodriver",
            "--version",
            GECKODRIVER_VERSION,
            "--locked",
            "--force",
        ],
    )?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_step_ends_with_what_it_installs_what_it_needs_and_how_to_retry_it() {
        let step = Step {
            name: "trunk",
            installs: || format!("trunk {TRUNK_VERSION}"),
            source: Source::Crates,
            for_build: true,
            run: |_| bail!("`cargo install trunk` failed (exit status: 101)"),
        };
        let e = format!("{:#}", run_step(Path::new("."), &step).unwrap_err());
        let last: Vec<&str> = e.trim_end().lines().collect();
        assert!(
            e.starts_with("`cargo install trunk` failed"),
            "the cause first: {e}"
        );
        assert!(
            e.contains(&format!("installing trunk {TRUNK_VERSION}")),
            "{e}"
        );
        assert!(e.contains("crates.io"), "what it needs: {e}");
        assert_eq!(
            last.last().map(|l| l.trim()),
            Some("cargo xtask setup trunk"),
            "the retry last: {e}"
        );
    }

    #[test]
    fn every_step_can_be_retried_by_its_name() {
        let mut names: Vec<&str> = STEPS.iter().map(|s| s.name).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), STEPS.len(), "names are unique");
        let e = command(Path::new("."), &["nope".into()])
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("trunk") && e.contains("geckodriver"),
            "the steps are listed: {e}"
        );
    }
}
