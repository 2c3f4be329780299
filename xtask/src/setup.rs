//! Install what a fresh machine lacks, and only that: every tool is checked
//! by version first, so a warm machine pays nothing.

use std::path::Path;
use std::process::Command;

use anyhow::{Context, bail};

use crate::{sh, tool_path};

pub const TRUNK_VERSION: &str = "0.22.1";
pub const WASM_OPT_VERSION: &str = "version 132";
/// The toolchain that compiles the wasm (and only the wasm; everything else
/// builds with rust-toolchain.toml's stable): a pinned nightly, for the one
/// thing stable cannot do, rebuilding the standard library so that a panic
/// aborts at once. In wasm32-unknown-unknown a panic's message goes nowhere
/// anyway, so its formatting, locations and messages are bytes no one reads:
/// about 20 KB of brotli. See `crate::trunk`.
pub const WASM_TOOLCHAIN: &str = "nightly-2026-05-20";
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

pub fn ensure(root: &Path, need: Need) -> anyhow::Result<()> {
    node_packages(root)?;
    if need == Need::All { postgresql()?; }
    if need == Need::All { nginx()?; }
    wasm_toolchain()?;
    trunk(root)?;
    wasm_bindgen(root)?;
    wasm_opt(root)?;
    if need == Need::All {
        browsers()?;
        geckodriver(root)?;
    }
    Ok(())
}

fn version_of(root: &Path, program: &str, arg: &str) -> Option<String> {
    let out = Command::new(program).arg(arg).env("PATH", tool_path(root)).output().ok()?;
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

fn trunk(root: &Path) -> anyhow::Result<()> {
    let want = format!("trunk {TRUNK_VERSION}");
    if version_of(root, "trunk", "--version").as_deref() == Some(want.as_str()) {
        return Ok(());
    }
    eprintln!("Installing trunk {TRUNK_VERSION} (about 10 minutes, once)…");
    sh(Command::new("cargo")
        .args(["install", "trunk", "--version", TRUNK_VERSION, "--locked", "--force"])
        // Trunk's own release profile uses fat LTO: 3x slower to build, no use to us.
        .env("CARGO_PROFILE_RELEASE_LTO", "false")
        .env("CARGO_PROFILE_RELEASE_CODEGEN_UNITS", "16")
        .current_dir(root))
}

/// `WASM_TOOLCHAIN` with the standard library's source (for `build-std`).
fn wasm_toolchain() -> anyhow::Result<()> {
    let has_source = Command::new("rustup")
        .args(["component", "list", "--installed", "--toolchain", WASM_TOOLCHAIN])
        .output()
        .is_ok_and(|o| o.status.success() && String::from_utf8_lossy(&o.stdout).lines().any(|l| l == "rust-src"));
    if has_source {
        return Ok(());
    }
    eprintln!("Installing Rust {WASM_TOOLCHAIN} with rust-src, for the wasm (a minute, once)…");
    sh(Command::new("rustup").args(["toolchain", "install", WASM_TOOLCHAIN, "--profile", "minimal", "--component", "rust-src"]))
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

fn wasm_bindgen(root: &Path) -> anyhow::Result<()> {
    let want = locked_wasm_bindgen(root)?;
    let trunk_toml = std::fs::read_to_string(root.join("Trunk.toml"))?;
    if !trunk_toml.contains(&format!("wasm_bindgen = \"{want}\"")) {
        bail!("Trunk.toml [tools] wasm_bindgen must equal the Cargo.lock version {want}");
    }
    if version_of(root, "wasm-bindgen", "--version").as_deref() == Some(format!("wasm-bindgen {want}").as_str()) {
        return Ok(());
    }
    eprintln!("Installing wasm-bindgen-cli {want} (about 3 minutes, once)…");
    // Not --locked: its lockfile names a crate version the registry mirror lacks.
    sh(Command::new("cargo").args(["install", "wasm-bindgen-cli", "--version", &want, "--force"]).current_dir(root))
}

fn node_packages(root: &Path) -> anyhow::Result<()> {
    let dir = root.join("tests");
    let lock = dir.join("package-lock.json");
    let installed = dir.join("node_modules/.package-lock.json");
    let fresh = match (std::fs::metadata(&lock), std::fs::metadata(&installed)) {
        (Ok(l), Ok(i)) => i.modified()? >= l.modified()?,
        _ => false,
    };
    if fresh {
        return Ok(());
    }
    if Command::new("npm").arg("--version").output().is_err() {
        bail!("npm is missing: install Node.js 20 or newer (Debian: apt-get install nodejs npm)");
    }
    eprintln!("Installing the Node packages in tests/ (wasm-opt, playwright-core, axe-core, selenium-webdriver)…");
    sh(Command::new("npm").args(["ci", "--no-audit", "--no-fund"]).current_dir(&dir))
}

fn wasm_opt(root: &Path) -> anyhow::Result<()> {
    match version_of(root, "wasm-opt", "--version") {
        Some(v) if v.contains(WASM_OPT_VERSION) => Ok(()),
        other => bail!(
            "wasm-opt on PATH is {other:?}, expected {WASM_OPT_VERSION} from tests/node_modules (npm package binaryen); \
             remove tests/node_modules and run `cargo xtask setup`"
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

fn browsers() -> anyhow::Result<()> {
    let missing: Vec<&str> = BROWSER_PACKAGES.iter().filter(|(file, _)| !Path::new(file).exists()).map(|(_, package)| *package).collect();
    if missing.is_empty() {
        return Ok(());
    }
    apt_install(&missing, "the browser tests")
}

/// `apt-get install` of Debian packages, as root or through passwordless sudo;
/// refreshes the package lists once if the first attempt fails (a fresh image
/// often has none).
fn apt_install(packages: &[&str], purpose: &str) -> anyhow::Result<()> {
    eprintln!("Installing Debian's {} for {purpose}…", packages.join(", "));
    let is_root = Command::new("id").arg("-u").output().map(|o| o.stdout.starts_with(b"0")).unwrap_or(false);
    let apt = |args: &[&str]| {
        let mut c = if is_root { Command::new("apt-get") } else { Command::new("sudo") };
        if !is_root {
            c.args(["-n", "apt-get"]);
        }
        c.args(args).env("DEBIAN_FRONTEND", "noninteractive");
        sh(&mut c)
    };
    let install = [&["install", "-y", "--no-install-recommends"][..], packages].concat();
    if apt(&install).is_err() {
        apt(&["update"])?;
        apt(&install).with_context(|| format!("installing {} (needs root or passwordless sudo)", packages.join(", ")))?;
    }
    Ok(())
}

/// Debian's PostgreSQL server binaries, for the store tests: they start a
/// throwaway cluster (crates/server/tests/support/pg.rs) and need `initdb`
/// and `pg_ctl`, and the `postgres` user the package creates.
pub fn postgresql() -> anyhow::Result<()> {
    let installed = std::fs::read_dir("/usr/lib/postgresql")
        .map(|dirs| dirs.flatten().any(|d| d.path().join("bin/initdb").exists()))
        .unwrap_or(false);
    if installed {
        return Ok(());
    }
    apt_install(&["postgresql"], "the store tests")
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
fn nginx() -> anyhow::Result<()> {
    if Path::new("/usr/sbin/nginx").exists() {
        return Ok(());
    }
    apt_install(&["nginx-light"], "the static-host test")
}

/// geckodriver in cargo's bin folder (the tests look for it there), built
/// from crates.io when `geckodriver --version` is not the pinned one.
fn geckodriver(root: &Path) -> anyhow::Result<()> {
    let have = version_of(root, "geckodriver", "--version");
    if have.as_deref().and_then(|v| v.lines().next()).is_some_and(|l| l.starts_with(&format!("geckodriver {GECKODRIVER_VERSION}"))) {
        return Ok(());
    }
    eprintln!("Installing geckodriver {GECKODRIVER_VERSION} (3 to 6 minutes, once)…");
    sh(Command::new("cargo").args(["install", "geckodriver", "--version", GECKODRIVER_VERSION, "--locked", "--force"]).current_dir(root))
}
