//! `cargo xtask <command>`: the glue that sets up, builds, runs and tests Keel.
//!
//!     cargo xtask run          set up, build the release site, serve it at http://127.0.0.1:8080
//!                              (--drafts: include articles marked draft; --future: articles dated after
//!                              today, which a build leaves out until their day; both for writers)
//!     cargo xtask dev          for writers: build, serve at http://127.0.0.1:8081 with the contact intake,
//!                              rebuild what changed on every save and reload the browser; problems show
//!                              in the browser too (--port N, --content DIR, --drafts, --future)
//!     cargo xtask scheduled    list the articles dated after today (UTC), soonest first: what a daily
//!                              rebuild publishes, and when (--content DIR)
//!     cargo xtask test         set up, then run every test (unit, API, browser)
//!     cargo xtask build        build the release site into dist/ (atomically)
//!                              (--config keel.toml or KEEL_CONFIG: the server's configuration, whose
//!                              allowed_origins may frame the embed pages in _headers and nginx.conf;
//!                              --content DIR --dist DIR: another content folder, into another dist;
//!                              --base-path /keel: served under that path; --api-origin URL: the API
//!                              and contact intake on another origin; see docs/static-hosting.md)
//!     cargo xtask bench-build  build generated sites (--articles 5,200,1000) and print each phase's time:
//!                              full, unchanged, and after one article changed
//!     cargo xtask content      compile content/ and list the API it makes, writing nothing
//!                              (--content DIR: another content folder; --out DIR: write there)
//!     cargo xtask setup        install whatever is missing (trunk, wasm-bindgen, wasm-opt, the test browsers);
//!                              `cargo xtask setup NAME` retries one step (a failed step names itself)
//!     cargo xtask fresh        rehearse a fresh machine: a clean clone with empty cargo, rustup and npm
//!                              homes runs `cargo xtask run`, then `cargo xtask test`, and prints each
//!                              phase's time (--run-only: stop once the site is served)
//!     cargo xtask screenshots  write screenshots of every route into screenshots/ (or of the
//!                              routes whose names start with the words given: `screenshots playground`)
//!     cargo xtask sizes        each bundle's release wasm beside a bare Yew reference app (crates/bare), and every page's size
//!     cargo xtask loadtest     p50/p99 of contact submissions under load (wrk), beside a static read
//!     cargo xtask lighthouse   Lighthouse (mobile, slow 4G) scores and paint figures per route
//!                              (or of the routes given: `lighthouse /embed/`)
//!     cargo xtask navtiming    click-to-heading-painted times of client-side navigation, cached and not

mod bench;
mod cache;
mod dev;
mod fresh;
mod fs;
mod load;
mod release;
mod setup;
mod sizes;
mod test;

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};

fn main() {
    if let Err(e) = run() {
        eprintln!("\nerror: {e:#}");
        std::process::exit(1);
    }
}

/// The partner origins, read as the server reads them: `allowed_origins` from
/// the configuration file (`--config FILE`, else `KEEL_CONFIG`), replaced by
/// `KEEL_ALLOWED_ORIGINS` when set. One list for the server and the static hosts.
/// Where this deploy serves the site and its API: `--base-path /keel` (or
/// `KEEL_BASE_PATH`) and `--api-origin https://api.keel.example` (or
/// `KEEL_API_ORIGIN`).
/// The path after flag `name` (`--content DIR`), relative to `cwd`.
fn path_flag(args: &[String], cwd: &Path, name: &str) -> Option<PathBuf> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .map(|p| cwd.join(p))
}

/// `--drafts` and `--future`: what a writer's build includes beyond what is published.
fn unpublished(args: &[String]) -> release::Unpublished {
    release::Unpublished {
        drafts: args.iter().any(|a| a == "--drafts"),
        future: args.iter().any(|a| a == "--future"),
    }
}

fn deploy(args: &[String]) -> anyhow::Result<keel_prerender::Deploy> {
    let value = |flag: &str, env: &str| -> anyhow::Result<Option<String>> {
        match args.iter().position(|a| a == flag) {
            Some(i) => args
                .get(i + 1)
                .cloned()
                .map(Some)
                .with_context(|| format!("{flag} needs a value")),
            None => Ok(std::env::var(env).ok().filter(|v| !v.trim().is_empty())),
        }
    };
    let base = match value("--base-path", "KEEL_BASE_PATH")? {
        None => String::new(),
        Some(b) => {
            let b = b.trim().trim_end_matches('/');
            let segment_ok = |s: &str| {
                !s.is_empty()
                    && s != "."
                    && s != ".."
                    && s.bytes()
                        .all(|c| c.is_ascii_alphanumeric() || b"-._~".contains(&c))
            };
            if !b.is_empty() && (!b.starts_with('/') || !b[1..].split('/').all(segment_ok)) {
                bail!(
                    "--base-path {b:?} is not a path like /keel (letters, digits, - . _ ~ between slashes)"
                );
            }
            b.to_string()
        }
    };
    let api = value("--api-origin", "KEEL_API_ORIGIN")?
        .map(|o| {
            keel_site_rules::partners::normalize_origin(&o)
                .map_err(|e| anyhow::anyhow!("--api-origin: {e}"))
        })
        .transpose()?;
    Ok(keel_prerender::Deploy { base, api })
}

fn partners(args: &[String], cwd: &Path) -> anyhow::Result<Vec<String>> {
    let file = args
        .iter()
        .position(|a| a == "--config")
        .map(|i| {
            args.get(i + 1)
                .map(|p| cwd.join(p))
                .context("--config needs a file")
        })
        .transpose()?
        .or_else(|| {
            std::env::var_os("KEEL_CONFIG")
                .filter(|v| !v.is_empty())
                .map(|p| cwd.join(p))
        });
    let text = file
        .as_ref()
        .map(|f| std::fs::read_to_string(f).with_context(|| format!("reading {}", f.display())))
        .transpose()?;
    let env = std::env::var("KEEL_ALLOWED_ORIGINS").ok();
    keel_site_rules::partners::from_config(text.as_deref(), env.as_deref())
        .map_err(|e| anyhow::anyhow!(e))
        .with_context(|| {
            format!(
                "the partner origins{}",
                file.map(|f| format!(" in {}", f.display()))
                    .unwrap_or_default()
            )
        })
}

fn run() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let root = root();
    // Paths given on the command line are relative to where it was typed.
    let cwd = std::env::current_dir()?;
    std::env::set_current_dir(&root)?;
    match args.first().map(String::as_str) {
        Some("setup") => setup::command(&root, &args[1..]),
        Some("build") => {
            setup::ensure(&root, setup::Need::Build)?;
            let flag = |name| path_flag(&args, &cwd, name);
            let layout = release::Layout::of(&root).with(flag("--content"), flag("--dist"));
            release::site_in(
                &layout,
                &release::Options {
                    unpublished: unpublished(&args),
                    partners: partners(&args, &cwd)?,
                    deploy: deploy(&args)?,
                },
            )
        }
        Some("bench-build") => {
            setup::ensure(&root, setup::Need::Build)?;
            bench::run(&root, &args[1..])
        }
        Some("content") => {
            let flag = |name| path_flag(&args, &cwd, name);
            let content = flag("--content").unwrap_or_else(|| root.join("content"));
            release::check_content(
                &root,
                &content,
                flag("--out").as_deref(),
                unpublished(&args),
            )
        }
        Some("scheduled") => {
            let content =
                path_flag(&args, &cwd, "--content").unwrap_or_else(|| root.join("content"));
            release::scheduled(&root, &content)
        }
        Some("run") => {
            setup::ensure(&root, setup::Need::Build)?;
            release::site(
                &root,
                &release::Options {
                    unpublished: unpublished(&args),
                    partners: partners(&args, &cwd)?,
                    ..Default::default()
                },
            )?;
            serve(&root)
        }
        Some("dev") => {
            setup::ensure(&root, setup::Need::Build)?;
            dev::run(&root, dev::Options::parse(&root, &cwd, &args[1..])?)
        }
        Some("test") => {
            setup::ensure(&root, setup::Need::All)?;
            test::all(&root, &args[1..])
        }
        Some("screenshots") => {
            setup::ensure(&root, setup::Need::All)?;
            test::screenshots(&root, &args[1..])
        }
        Some("fresh") => fresh::run(&root, &args[1..]),
        Some("loadtest") => load::run(&root),
        Some("lighthouse") => {
            setup::ensure(&root, setup::Need::All)?;
            test::lighthouse(&root, &args[1..])
        }
        Some("navtiming") => {
            setup::ensure(&root, setup::Need::All)?;
            test::navtiming(&root)
        }
        Some("sizes") => {
            setup::ensure(&root, setup::Need::Build)?;
            sizes::report(&root)
        }
        _ => {
            eprintln!(
                "{}",
                include_str!("main.rs")
                    .lines()
                    .take_while(|l| l.starts_with("//!"))
                    .map(|l| l.trim_start_matches("//!"))
                    .collect::<Vec<_>>()
                    .join("\n")
            );
            bail!("unknown command; see the list above")
        }
    }
}

/// Run the release server in the foreground until Ctrl-C.
fn serve(root: &Path) -> anyhow::Result<()> {
    release::server_binary(root)?;
    let bin = root.join("target/server/keel-server");
    let status = Command::new(&bin)
        .args(["serve", "--dist", "dist"])
        .status()
        .with_context(|| format!("starting {}", bin.display()))?;
    // Ctrl-C reaches the server too; it shuts down cleanly and exits 0.
    if !status.success() && status.code().is_some() {
        bail!("the server exited with {status}");
    }
    Ok(())
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask sits in the workspace")
        .to_path_buf()
}

/// Run a command, failing with its name if it fails.
pub fn sh(cmd: &mut Command) -> anyhow::Result<()> {
    let shown = format!("{cmd:?}");
    eprintln!("$ {}", shown.replace('"', ""));
    let status = cmd
        .status()
        .with_context(|| format!("could not start {shown}"))?;
    if !status.success() {
        bail!("{shown} failed ({status})");
    }
    Ok(())
}

/// What `trunk` compiles the wasm with, beside `setup::PINNED_TOOLCHAIN` (and
/// so part of the build cache's key). Besides panics that abort at once:
/// `Debug` formatting prints nothing, and no source locations are kept (the
/// app shows visitors only `Display` text; no one reads a wasm's `Debug`).
pub const WASM_BUILD_STD: &str = "std,panic_abort";
pub const WASM_RUSTFLAGS: &str =
    "-Zunstable-options -Cpanic=immediate-abort -Zfmt-debug=none -Zlocation-detail=none";

/// `trunk`, set up to build the wasm: the project's tools on PATH, and
/// cargo as `setup::PINNED_TOOLCHAIN` with the standard library rebuilt so that
/// panics abort at once (`-Cpanic=immediate-abort`). The settings are for
/// the wasm target only; build scripts and proc macros build as usual.
///
/// Trunk runs cargo offline, so first everything it will resolve is fetched
/// (`setup::fetch_wasm_crates`).
pub fn trunk(root: &Path) -> anyhow::Result<Command> {
    setup::fetch_wasm_crates(root)?;
    let mut trunk = Command::new("trunk");
    trunk
        .env("PATH", tool_path(root))
        .env("RUSTUP_TOOLCHAIN", setup::PINNED_TOOLCHAIN)
        .env("CARGO_UNSTABLE_BUILD_STD", WASM_BUILD_STD)
        .env(
            "CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS",
            WASM_RUSTFLAGS,
        )
        .current_dir(root);
    Ok(trunk)
}

/// PATH with the project's tools first: wasm-opt from tests/node_modules, then cargo's bin.
pub fn tool_path(root: &Path) -> std::ffi::OsString {
    let mut paths = vec![root.join("tests/node_modules/.bin"), cargo_bin()];
    paths.extend(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    ));
    std::env::join_paths(paths).expect("paths without separators")
}

pub fn cargo_bin() -> PathBuf {
    std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .unwrap_or_else(|| PathBuf::from(".cargo"))
        .join("bin")
}
