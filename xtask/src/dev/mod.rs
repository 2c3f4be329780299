//! `cargo xtask dev`: one command to write with (what `zola serve` and
//! `astro dev` are to their sites). It builds the site, serves it on
//! 127.0.0.1 with the contact intake, watches the sources, rebuilds what
//! changed, and reloads the open browser after each good build. A build that
//! fails shows its problems, each with file and line, in the terminal and
//! over the page, which reloads by itself once they are fixed.
//!
//! The pieces:
//! - the builder thread waits for changes (notify, debounced), runs the
//!   incremental release build (`release/`) into `target/keel-dev/`, and after
//!   a good build starts a `keel-server` on the new site and retires the old
//!   one (the server holds the site in memory, so a new build needs a new
//!   server; the old one answers until the new one is up);
//! - the dev server (axum) answers `/_dev/reload.js` and `/_dev/events` (the
//!   build's state as Server-Sent Events) itself and passes every other
//!   request to the current keel-server, adding the reload script to pages;
//! - the SPA's code is compiled into this program (the prerenderer renders
//!   the SPA's own components), so a change to `src/` or `crates/model/`
//!   rebuilds this program (its compile errors go to the browser as well),
//!   then trunk, and then restarts the command in place (exec) on the same
//!   port; the browser's event stream reconnects and the page reloads.

mod builder;
mod proxy;
mod supervisor;
mod watcher;
use builder::*;
use proxy::*;
use supervisor::*;
use watcher::*;

use std::convert::Infallible;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use http_body_util::BodyExt;
use hyper_util::client::legacy::{Client, connect::HttpConnector};
use notify_debouncer_full::notify::{EventKind, RecursiveMode};
use tokio::sync::watch;
use tokio_stream::StreamExt;

use crate::release::{self, ContentErrors, Layout};

/// The port `trunk serve` used in the two-terminal loop this replaces.
const DEFAULT_PORT: u16 = 8081;
/// How long the watcher waits for a burst of writes (an editor's save, a
/// `git checkout`) to end before building once for all of it.
const DEBOUNCE: Duration = Duration::from_millis(150);
/// The script added to every page; same-origin, so the pages' CSP
/// (`script-src 'self'` and the hashes of their own inline scripts) allows it.
const RELOAD_JS: &str = include_str!("reload.js");

pub struct Options {
    pub port: u16,
    pub content: PathBuf,
    pub unpublished: crate::release::Unpublished,
}

impl Options {
    /// `--port N` (0: any free port), `--content DIR` (relative to `cwd`),
    /// `--drafts`, `--future` (articles dated after today).
    pub fn parse(root: &Path, cwd: &Path, args: &[String]) -> anyhow::Result<Options> {
        let mut opts = Options {
            port: DEFAULT_PORT,
            content: root.join("content"),
            unpublished: Default::default(),
        };
        let mut it = args.iter();
        while let Some(arg) = it.next() {
            match arg.as_str() {
                "--port" => {
                    let v = it.next().context("--port needs a number")?;
                    opts.port = v
                        .parse()
                        .with_context(|| format!("--port {v}: not a port number"))?;
                }
                "--content" => {
                    opts.content = cwd.join(it.next().context("--content needs a folder")?)
                }
                "--drafts" => opts.unpublished.drafts = true,
                "--future" => opts.unpublished.future = true,
                other => bail!(
                    "cargo xtask dev: unknown option {other} (known: --port N, --content DIR, --drafts, --future)"
                ),
            }
        }
        opts.content = opts
            .content
            .canonicalize()
            .with_context(|| format!("no content folder at {}", opts.content.display()))?;
        Ok(opts)
    }
}

/// One problem of a failed build, as the terminal and the browser show it.
#[derive(Clone, Debug, PartialEq)]
struct Problem {
    /// Empty when the problem is not in one file (e.g. trunk failed).
    file: String,
    /// 1-based; 0 when the problem is the file as a whole.
    line: usize,
    message: String,
}

impl Problem {
    fn whole(message: String) -> Problem {
        Problem {
            file: String::new(),
            line: 0,
            message,
        }
    }

    fn place(&self) -> String {
        match self.line {
            0 => self.file.clone(),
            n => format!("{}:{n}", self.file),
        }
    }
}

/// What the browser is told: the build being served and the problems of
/// the latest build, if it failed.
#[derive(Clone, Debug, Default, PartialEq)]
struct Status {
    served: Option<Served>,
    problems: Vec<Problem>,
}

#[derive(Clone, Debug, PartialEq)]
struct Served {
    addr: SocketAddr,
    /// A new one for every good build (and every run of the command), so a
    /// page knows whether it shows the latest.
    build: String,
}

impl Status {
    fn json(&self) -> String {
        let problems: Vec<_> = self
            .problems
            .iter()
            .map(|p| serde_json::json!({ "file": p.file, "line": p.line, "place": p.place(), "message": p.message }))
            .collect();
        serde_json::json!({ "build": self.served.as_ref().map(|s| &s.build), "problems": problems })
            .to_string()
    }
}

pub fn run(root: &Path, opts: Options) -> anyhow::Result<()> {
    crate::release::server_binary(root)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(serve(root, opts))
}

async fn serve(root: &Path, opts: Options) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", opts.port))
        .await
        .with_context(|| {
            format!(
                "cannot listen on 127.0.0.1:{} (choose another with --port)",
                opts.port
            )
        })?;
    let port = listener.local_addr()?.port();
    let (status_tx, status_rx) = watch::channel(Status::default());
    let work = Workspace::claim(root)?;
    // The keel-server answering for the current build: stopped on every way
    // out of this function (before `work` goes, which it serves from).
    let server = Arc::new(ServerSlot::default());
    let _stop_server = StopOnDrop(server.clone());
    let ctx = Builder {
        root: root.to_path_buf(),
        layout: Layout {
            root: root.to_path_buf(),
            content: opts.content.clone(),
            dist: work.dir.join("site"),
            work: work.dir.clone(),
            spa: Layout::of(root).spa,
        },
        unpublished: opts.unpublished,
        port,
        status: status_tx,
        server: server.clone(),
    };

    let app = axum::Router::new()
        .route("/_dev/reload.js", get(reload_js))
        .route("/_dev/events", get(events))
        .fallback(proxy)
        .with_state(Proxy {
            status: status_rx,
            client: Client::builder(hyper_util::rt::TokioExecutor::new()).build_http(),
        });
    println!(
        "Keel (dev) is running at http://127.0.0.1:{port}/  (watching {}, src/ and assets/; Ctrl-C to stop)",
        shown(root, &opts.content)
    );
    let (changes_tx, changes) = mpsc::channel();
    let _watcher = watch_sources(&ctx, changes_tx)?;
    let builder = std::thread::spawn(move || ctx.run(changes));
    let stop = stop_signal();
    tokio::select! {
        served = axum::serve(listener, app) => served.context("the dev server stopped")?,
        signal = stop => eprintln!("\n{signal}: stopping"),
        _ = wait_thread(builder) => bail!("the builder stopped (see above)"),
    }
    Ok(())
}

async fn wait_thread(t: std::thread::JoinHandle<()>) {
    while !t.is_finished() {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// SIGINT (Ctrl-C), SIGTERM or SIGHUP (the terminal closed).
async fn stop_signal() -> &'static str {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut term), Ok(mut hup)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::hangup()),
    ) else {
        let _ = tokio::signal::ctrl_c().await;
        return "interrupted";
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => "interrupted",
        _ = term.recv() => "terminated",
        _ = hup.recv() => "hung up",
    }
}

fn shown(root: &Path, path: &Path) -> String {
    let rel = path
        .strip_prefix(root)
        .unwrap_or(path)
        .display()
        .to_string();
    format!("{rel}/")
}

/// `target/keel-dev/`: the dev build's site, staging folder and cache, kept
/// apart from `cargo xtask build`'s (which `dist/` and the tests use) and
/// held with a lock. A second `cargo xtask dev` in the same checkout works in
/// a folder of its own, deleted when it stops.
struct Workspace {
    dir: PathBuf,
    _lock: std::fs::File,
    temporary: bool,
}

impl Workspace {
    fn claim(root: &Path) -> anyhow::Result<Workspace> {
        // Folders of commands that were killed: nobody holds their lock.
        for entry in std::fs::read_dir(root.join("target"))?.flatten() {
            let dir = entry.path();
            let own = dir
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("keel-dev-"));
            if own && std::fs::File::open(dir.join("lock")).is_ok_and(|f| f.try_lock().is_ok()) {
                let _ = std::fs::remove_dir_all(&dir);
            }
        }
        let shared = root.join("target/keel-dev");
        for (dir, temporary) in [
            (shared, false),
            (
                root.join(format!("target/keel-dev-{}", std::process::id())),
                true,
            ),
        ] {
            std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
            let lock = std::fs::File::create(dir.join("lock"))?;
            if lock.try_lock().is_ok() {
                return Ok(Workspace {
                    dir,
                    _lock: lock,
                    temporary,
                });
            }
        }
        bail!("could not lock a folder for the dev build under target/")
    }
}

impl Drop for Workspace {
    fn drop(&mut self) {
        if self.temporary {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

// ---------------------------------------------------------------- building

type Debouncer = notify_debouncer_full::Debouncer<
    notify_debouncer_full::notify::RecommendedWatcher,
    notify_debouncer_full::RecommendedCache,
>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_are_classified_by_what_they_rebuild() {
        let (root, content) = (Path::new("/k"), Path::new("/tmp/c"));
        let kind = |p: &str| classify(root, content, Path::new(p));
        assert_eq!(kind("/tmp/c/articles/a.md"), Some(Change::Content));
        assert_eq!(kind("/tmp/c/site.toml"), Some(Change::Content));
        assert_eq!(kind("/k/src/app.rs"), Some(Change::Code));
        assert_eq!(kind("/k/crates/model/src/doc.rs"), Some(Change::Code));
        assert_eq!(kind("/k/assets/logo.svg"), Some(Change::Spa));
        assert_eq!(kind("/k/index.html"), Some(Change::Spa));
        assert_eq!(kind("/k/embed.html"), Some(Change::Spa));
        assert_eq!(kind("/k/playground.html"), Some(Change::Spa));
        assert_eq!(kind("/k/tests/x.mjs"), None);
        assert_eq!(kind("/tmp/c/articles/.a.md.swp"), None);
        assert_eq!(kind("/tmp/c/articles/a.md~"), None);
        assert!(
            Change::Code > Change::Spa && Change::Spa > Change::Content,
            "the strongest change of a burst wins"
        );
    }

    #[test]
    fn the_reload_script_goes_at_the_end_of_the_head() {
        assert_eq!(
            with_reload_script(
                "<html><head><title>t</title></head><body></body></html>",
                "7-1"
            ),
            "<html><head><title>t</title><script defer src=\"/_dev/reload.js\" data-keel-dev-build=\"7-1\"></script></head><body></body></html>"
        );
        assert_eq!(
            with_reload_script("<!doctype html><meta charset=utf-8><p>minified", "1"),
            "<!doctype html><meta charset=utf-8><p>minified<script defer src=\"/_dev/reload.js\" data-keel-dev-build=\"1\"></script>"
        );
    }

    #[test]
    fn problems_are_escaped_on_the_error_page() {
        let status = Status {
            served: None,
            problems: vec![Problem {
                file: "a<b>.md".into(),
                line: 3,
                message: "<script>x</script> & 'y'".into(),
            }],
        };
        let page = own_page(&status);
        assert_eq!(page.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let body = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(page.into_body().collect())
            .unwrap()
            .to_bytes();
        let body = String::from_utf8_lossy(&body);
        assert!(
            body.contains(
                "<code>a&lt;b&gt;.md:3</code> &lt;script&gt;x&lt;/script&gt; &amp; &#x27;y&#x27;"
            ),
            "{body}"
        );
        assert!(!body.contains("<script>x"));
    }
}
