//! `cargo xtask test`: every test, ending with one line that counts them.
//!
//! 1. `cargo test --workspace --features keel/ssr`: unit and snapshot tests,
//!    the server's API tests against the real router and a real SQLite file,
//!    and the SPA's server-rendering test.
//! 2. The release site is built, then the browser tests (tests/browser/*.test.mjs,
//!    node --test + playwright-core on Debian's Chromium) and the system tests
//!    (tests/system/*.test.mjs: crash recovery, notification retries, nginx,
//!    and `dev.test.mjs`, the writers' `cargo xtask dev` loop on a copy of
//!    content/) run against the real server, which each test file starts
//!    itself on a free loopback port with its own database.
//! 3. The cross-engine suite (tests/engines/): Chromium, Firefox and WebKit
//!    over WebDriver, side by side, each with its own server.

use std::path::Path;
use std::process::{Command, Stdio};

use anyhow::{Context, bail};

use crate::release;

pub fn all(root: &Path, args: &[String]) -> anyhow::Result<()> {
    let browser_only = args.iter().any(|a| a == "--browser-only");
    let cargo_only = args.iter().any(|a| a == "--cargo-only");
    let mut cargo = Counts::default();
    if !browser_only {
        cargo = cargo_tests(root)?;
    }
    let mut browser = Counts::default();
    if !cargo_only {
        release::site(root, &release::Options::default())?;
        crate::sizes::check_budget(&root.join("dist"))?;
        release::server_binary(root)?;
        browser = node_tests(root, &["browser/", "system/"])?;
        browser.add(cross_engine_tests(root)?);
    }
    let failed = cargo.failed + browser.failed;
    println!(
        "\nxtask test: {} tests ran ({} cargo, {} browser and system), {} failed",
        cargo.ran + browser.ran,
        cargo.ran,
        browser.ran,
        failed
    );
    if failed > 0 {
        bail!("{failed} tests failed");
    }
    Ok(())
}

#[derive(Default)]
struct Counts {
    ran: u64,
    failed: u64,
}

impl Counts {
    fn add(&mut self, other: Counts) {
        self.ran += other.ran;
        self.failed += other.failed;
    }
}

/// The cross-engine suite (tests/engines/): the same cases on Chromium,
/// Firefox and WebKit, the three side by side over WebDriver. Timed, since
/// its cost is the test command's.
fn cross_engine_tests(root: &Path) -> anyhow::Result<Counts> {
    let started = std::time::Instant::now();
    let c = node_tests(root, &["engines/"])?;
    eprintln!(
        "cross-engine suite (Chromium, Firefox, WebKit): {} tests, {} failed, in {:.0} s",
        c.ran,
        c.failed,
        started.elapsed().as_secs_f64()
    );
    Ok(c)
}

fn cargo_tests(root: &Path) -> anyhow::Result<Counts> {
    // `keel/ssr` for tests/ssr.rs (the SPA rendered on the server). The
    // prerender crate turns it on anyway; naming it keeps that test from
    // depending on the feature unification.
    cargo_test(root, &["--workspace", "--features", "keel/ssr"])
}

fn cargo_test(root: &Path, args: &[&str]) -> anyhow::Result<Counts> {
    eprintln!("$ cargo test {}", args.join(" "));
    let out = Command::new("cargo")
        .arg("test")
        .args(args)
        .args(["--color", "never"])
        .current_dir(root)
        .stderr(Stdio::inherit())
        .output()
        .context("running cargo test")?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    print!("{stdout}");
    let mut c = Counts::default();
    for line in stdout.lines() {
        // "test result: ok. 12 passed; 0 failed; 0 ignored; ..."
        if let Some(rest) = line.strip_prefix("test result: ") {
            let num = |label: &str| {
                rest.split(';')
                    .find_map(|p| {
                        p.trim()
                            .trim_start_matches("ok. ")
                            .trim_start_matches("FAILED. ")
                            .strip_suffix(label)
                    })
                    .and_then(|n| n.trim().parse::<u64>().ok())
                    .unwrap_or(0)
            };
            c.ran += num(" passed") + num(" failed");
            c.failed += num(" failed");
        }
    }
    if !out.status.success() && c.failed == 0 {
        bail!("cargo test failed before running its tests (see above)");
    }
    Ok(c)
}

fn node_tests(root: &Path, targets: &[&str]) -> anyhow::Result<Counts> {
    let dir = root.join("tests");
    eprintln!("$ node --test {}", targets.join(" "));
    let out = Command::new("node")
        .args(["--test", "--test-concurrency=1", "--test-reporter=spec"])
        .args(targets)
        .current_dir(&dir)
        .env("KEEL_ROOT", root)
        .stderr(Stdio::inherit())
        .output()
        .context("running node --test (is Node.js 20 installed?)")?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    print!("{stdout}");
    let count = |label: &str| {
        stdout
            .lines()
            .filter_map(|l| l.trim().trim_start_matches('ℹ').trim().strip_prefix(label))
            .filter_map(|n| n.trim().parse::<u64>().ok())
            .next_back()
            .unwrap_or(0)
    };
    let c = Counts {
        ran: count("tests "),
        failed: count("fail "),
    };
    if !out.status.success() && c.failed == 0 {
        bail!("the browser tests failed to run (see above)");
    }
    Ok(c)
}

/// Screenshots of every route, or of those whose names start with one of `only`.
pub fn screenshots(root: &Path, only: &[String]) -> anyhow::Result<()> {
    if !root.join("dist/index.html").exists() {
        release::site(root, &release::Options::default())?;
    }
    release::server_binary(root)?;
    crate::sh(
        Command::new("node")
            .arg("screenshots.mjs")
            .args(only)
            .current_dir(root.join("tests"))
            .env("KEEL_ROOT", root),
    )
}

/// Lighthouse (installed on first use by `setup::lighthouse`) on the main
/// routes, or on the routes given (`/embed/`).
pub fn lighthouse(root: &Path, routes: &[String]) -> anyhow::Result<()> {
    crate::setup::lighthouse(root)?;
    if !root.join("dist/index.html").exists() {
        release::site(root, &release::Options::default())?;
    }
    release::server_binary(root)?;
    crate::sh(
        Command::new("node")
            .arg("lighthouse.mjs")
            .args(routes)
            .current_dir(root.join("tests"))
            .env("KEEL_ROOT", root),
    )
}

/// Client-side navigation timings in Chromium (tests/navtiming.mjs).
pub fn navtiming(root: &Path) -> anyhow::Result<()> {
    if !root.join("dist/index.html").exists() {
        release::site(root, &release::Options::default())?;
    }
    release::server_binary(root)?;
    crate::sh(
        Command::new("node")
            .arg("navtiming.mjs")
            .current_dir(root.join("tests"))
            .env("KEEL_ROOT", root),
    )
}
