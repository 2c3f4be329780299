//! `cargo xtask dev`: one command to write with (what `zola serve` and
//! `astro dev` are to their sites). It builds the site, serves it on
//! 127.0.0.1 with the contact intake, watches the sources, rebuilds what
//! changed, and reloads the open browser after each good build. A build that
//! fails shows its problems, each with file and line, in the terminal and
//! over the page, which reloads by itself once they are fixed.
//!
//! The pieces:
//! - the builder thread waits for changes (notify, debounced), runs the
//!   incremental release build (`build.rs`) into `target/keel-dev/`, and after
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

use crate::build::{self, ContentErrors, Layout};

/// The port `trunk serve` used in the two-terminal loop this replaces.
const DEFAULT_PORT: u16 = 8081;
/// How long the watcher waits for a burst of writes (an editor's save, a
/// `git checkout`) to end before building once for all of it.
const DEBOUNCE: Duration = Duration::from_millis(150);
/// The script added to every page; same-origin, so the pages' CSP
/// (`script-src 'self'` and the hashes of their own inline scripts) allows it.
const RELOAD_JS: &str = include_str!("dev/reload.js");

pub struct Options {
    pub port: u16,
    pub content: PathBuf,
    pub drafts: bool,
}

impl Options {
    /// `--port N` (0: any free port), `--content DIR` (relative to `cwd`), `--drafts`.
    pub fn parse(root: &Path, cwd: &Path, args: &[String]) -> anyhow::Result<Options> {
        let mut opts = Options {
            port: DEFAULT_PORT,
            content: root.join("content"),
            drafts: false,
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
                "--drafts" => opts.drafts = true,
                other => bail!(
                    "cargo xtask dev: unknown option {other} (known: --port N, --content DIR, --drafts)"
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
    crate::build::server_binary(root)?;
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
        drafts: opts.drafts,
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

/// What a changed file asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Change {
    /// An article or site.toml: compile it, render the pages it touches.
    Content,
    /// assets/, index.html, embed.html, Trunk.toml: trunk, then the pages (the shells may differ).
    Spa,
    /// The SPA's code: this program, trunk, then a restart in place.
    Code,
}

/// Which kind of change `path` is, or None for files no build reads
/// (editors' swap and backup files, hidden files).
fn classify(root: &Path, content: &Path, path: &Path) -> Option<Change> {
    let name = path.file_name()?.to_str()?;
    if name.starts_with('.')
        || name.ends_with('~')
        || name.ends_with(".swp")
        || name.ends_with(".swx")
        || name == "4913"
    {
        return None;
    }
    if path.starts_with(content) {
        return Some(Change::Content);
    }
    if path.starts_with(root.join("src")) || path.starts_with(root.join("crates/model")) {
        return Some(Change::Code);
    }
    if path.starts_with(root.join("assets"))
        || ["index.html", "embed.html", "Trunk.toml"]
            .iter()
            .any(|f| path == root.join(f))
    {
        return Some(Change::Spa);
    }
    None
}

type Debouncer = notify_debouncer_full::Debouncer<
    notify_debouncer_full::notify::RecommendedWatcher,
    notify_debouncer_full::RecommendedCache,
>;

/// Watch the sources; each debounced burst of changes becomes the strongest
/// `Change` in it.
fn watch_sources(ctx: &Builder, tx: mpsc::Sender<Change>) -> anyhow::Result<Debouncer> {
    let (root, content) = (ctx.root.clone(), ctx.layout.content.clone());
    let mut debouncer = notify_debouncer_full::new_debouncer(
        DEBOUNCE,
        None,
        move |result: notify_debouncer_full::DebounceEventResult| {
            let Ok(events) = result else { return };
            let mut changed: Vec<(&Path, Change)> = events
                .iter()
                // Reading a file is no change (the build itself reads them all).
                .filter(|e| !matches!(e.kind, EventKind::Access(_)))
                .flat_map(|e| e.paths.iter())
                .filter_map(|p| Some((p.as_path(), classify(&root, &content, p)?)))
                .collect();
            changed.sort();
            changed.dedup();
            let Some(change) = changed.iter().map(|(_, c)| *c).max() else {
                return;
            };
            let names: Vec<String> = changed
                .iter()
                .take(3)
                .map(|(p, _)| p.strip_prefix(&root).unwrap_or(p).display().to_string())
                .collect();
            let more = if changed.len() > 3 {
                format!(" and {} more", changed.len() - 3)
            } else {
                String::new()
            };
            eprintln!("\nchanged: {}{more}", names.join(", "));
            let _ = tx.send(change);
        },
    )?;
    debouncer.watch(&ctx.layout.content, RecursiveMode::Recursive)?;
    for dir in ["src", "assets", "crates/model"] {
        debouncer.watch(ctx.root.join(dir), RecursiveMode::Recursive)?;
    }
    for file in ["index.html", "embed.html", "Trunk.toml"] {
        debouncer.watch(ctx.root.join(file), RecursiveMode::NonRecursive)?;
    }
    Ok(debouncer)
}

struct Builder {
    root: PathBuf,
    layout: Layout,
    drafts: bool,
    port: u16,
    status: watch::Sender<Status>,
    server: Arc<ServerSlot>,
}

impl Builder {
    fn run(self, changes: mpsc::Receiver<Change>) {
        let mut change = Change::Content;
        // Until the code builds, this program is older than the SPA's
        // sources: every change retries the code first.
        let mut code_pending = false;
        loop {
            // The strongest of all changes waiting (several saves during one build).
            while let Ok(more) = changes.try_recv() {
                change = change.max(more);
            }
            if change == Change::Code || code_pending {
                // Returns only if the code did not build (or exec failed).
                let problems = self.rebuild_self();
                self.failed(problems);
                code_pending = true;
            } else {
                self.build_site();
            }
            match changes.recv() {
                Ok(next) => change = next,
                Err(_) => return, // the watcher is gone: we are stopping
            }
        }
    }

    /// Build the site; serve it if it built, show why not if it did not.
    fn build_site(&self) {
        let started = Instant::now();
        eprintln!("\nbuilding…");
        let report = match build::build(
            &self.layout,
            &build::Options {
                drafts: self.drafts,
                ..Default::default()
            },
        ) {
            Ok(report) => report,
            Err(e) => return self.failed(problems_of(&e)),
        };
        // The whole table once; a line per rebuild after that.
        static FIRST: std::sync::Once = std::sync::Once::new();
        let mut first = false;
        FIRST.call_once(|| first = true);
        if first {
            eprintln!("{report}");
        } else {
            let phases: Vec<String> = report
                .phases
                .iter()
                .map(|(name, d, _)| format!("{name} {:.2} s", d.as_secs_f64()))
                .collect();
            eprintln!("{}", phases.join(", "));
        }
        let publish = |addr| {
            // The clock, not the process id: a restart in place keeps the id.
            static STARTED: std::sync::OnceLock<u128> = std::sync::OnceLock::new();
            static BUILDS: AtomicU64 = AtomicU64::new(0);
            let run = STARTED.get_or_init(|| {
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap_or_default()
                    .as_nanos()
            });
            let build = format!("{run:x}-{}", BUILDS.fetch_add(1, Ordering::Relaxed));
            self.status.send_replace(Status {
                served: Some(Served { addr, build }),
                problems: Vec::new(),
            });
        };
        match self.server.replace(&self.root, &self.layout.dist, publish) {
            Ok(()) => eprintln!(
                "ready in {:.1} s: http://127.0.0.1:{}/ (open pages reload)",
                started.elapsed().as_secs_f64(),
                self.port
            ),
            Err(e) => self.failed(vec![Problem::whole(format!(
                "the server did not start: {e:#}"
            ))]),
        }
    }

    /// Keep serving the last good build, and tell the browser what is wrong.
    fn failed(&self, problems: Vec<Problem>) {
        eprintln!(
            "\nthe build failed ({} problem{}); the browser shows {}. Waiting for changes…",
            problems.len(),
            if problems.len() == 1 { "" } else { "s" },
            if problems.len() == 1 { "it" } else { "them" }
        );
        self.status.send_modify(|s| s.problems = problems);
    }

    /// The SPA's code changed: rebuild this program (which renders the
    /// pages) and the wasm, while the last build is still served, then
    /// restart in place on the same port.
    fn rebuild_self(&self) -> Vec<Problem> {
        eprintln!(
            "\nthe SPA's code changed: rebuilding the prerenderer, then the wasm (trunk, release profile)…"
        );
        let exe = match cargo_build_xtask(&self.root) {
            Ok(exe) => exe,
            Err(problems) => return problems,
        };
        if let Err(e) = build::spa(&self.layout) {
            return vec![Problem::whole(format!(
                "{e:#} (trunk's messages are in the terminal)"
            ))];
        }
        let mut args = vec![
            "dev".to_string(),
            "--port".into(),
            self.port.to_string(),
            "--content".into(),
        ];
        args.push(self.layout.content.display().to_string());
        if self.drafts {
            args.push("--drafts".into());
        }
        eprintln!("restarting with the new code…");
        self.server.stop_for_good();
        use std::os::unix::process::CommandExt;
        let e = Command::new(&exe)
            .args(&args)
            .current_dir(&self.root)
            .exec();
        vec![Problem::whole(format!(
            "could not restart {}: {e}",
            exe.display()
        ))]
    }
}

/// The problems of a failed build: the compiler's diagnostics, or the error.
fn problems_of(e: &anyhow::Error) -> Vec<Problem> {
    match e.downcast_ref::<ContentErrors>() {
        // Already printed, with the summary, by the build.
        Some(ContentErrors(diagnostics)) => diagnostics
            .iter()
            .map(|d| Problem {
                file: d.file.clone(),
                line: d.line,
                message: d.message.clone(),
            })
            .collect(),
        None => {
            eprintln!("error: {e:#}");
            vec![Problem::whole(format!("{e:#}"))]
        }
    }
}

/// `cargo build -p xtask`, its messages printed as cargo prints them and its
/// errors collected by file and line. The new executable, or the errors.
fn cargo_build_xtask(root: &Path) -> Result<PathBuf, Vec<Problem>> {
    // Colours for a terminal, plain text for a log.
    let format = if std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        "json-diagnostic-rendered-ansi"
    } else {
        "json"
    };
    let mut child = match Command::new("cargo")
        .args(["build", "--package", "xtask", "--message-format", format])
        .current_dir(root)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
    {
        Ok(c) => c,
        Err(e) => return Err(vec![Problem::whole(format!("could not start cargo: {e}"))]),
    };
    let (mut problems, mut exe) = (Vec::new(), None);
    for line in BufReader::new(child.stdout.take().expect("piped"))
        .lines()
        .map_while(Result::ok)
    {
        let Ok(msg) = serde_json::from_str::<serde_json::Value>(&line) else {
            continue;
        };
        match msg["reason"].as_str() {
            Some("compiler-message") => {
                let m = &msg["message"];
                if let Some(rendered) = m["rendered"].as_str() {
                    eprint!("{rendered}");
                }
                if m["level"].as_str() != Some("error") {
                    continue;
                }
                let span = m["spans"]
                    .as_array()
                    .and_then(|s| s.iter().find(|s| s["is_primary"].as_bool() == Some(true)));
                problems.push(Problem {
                    file: span
                        .and_then(|s| s["file_name"].as_str())
                        .unwrap_or_default()
                        .to_string(),
                    line: span.and_then(|s| s["line_start"].as_u64()).unwrap_or(0) as usize,
                    // "mismatched types: expected `u32`, found `&str`"
                    message: match span.and_then(|s| s["label"].as_str()) {
                        Some(label) => {
                            format!("{}: {label}", m["message"].as_str().unwrap_or("error"))
                        }
                        None => m["message"].as_str().unwrap_or("error").to_string(),
                    },
                });
            }
            Some("compiler-artifact") if msg["target"]["name"] == "xtask" => {
                exe = msg["executable"].as_str().map(PathBuf::from);
            }
            _ => {}
        }
    }
    let status = child.wait();
    match (status, exe) {
        (Ok(s), Some(exe)) if s.success() => Ok(exe),
        (status, _) if problems.is_empty() => Err(vec![Problem::whole(format!(
            "cargo build --package xtask failed ({status:?})"
        ))]),
        _ => Err(problems),
    }
}

// ---------------------------------------------------------------- the keel-server

/// The keel-server serving the current build, if any.
#[derive(Default)]
struct ServerSlot {
    current: Mutex<Slot>,
}

#[derive(Default)]
enum Slot {
    #[default]
    Empty,
    /// Held for its `Drop`, which stops the process.
    #[expect(dead_code, reason = "held, not read")]
    Running(Server),
    /// The command is stopping: no server starts any more.
    Stopped,
}

struct Server {
    child: Child,
    addr: SocketAddr,
}

impl ServerSlot {
    /// Start a server on `dist` and make it the current one; `publish`
    /// sends requests to it, and then the previous one stops.
    fn replace(
        &self,
        root: &Path,
        dist: &Path,
        publish: impl FnOnce(SocketAddr),
    ) -> anyhow::Result<()> {
        let new = Server::start(root, dist)?;
        let addr = new.addr;
        let mut current = self.current.lock().unwrap_or_else(|p| p.into_inner());
        if matches!(*current, Slot::Stopped) {
            drop(current);
            drop(new);
            bail!("stopping");
        }
        let old = std::mem::replace(&mut *current, Slot::Running(new));
        drop(current);
        publish(addr);
        drop(old);
        Ok(())
    }

    /// Stop the current server, and any started from now on.
    fn stop_for_good(&self) {
        let old = std::mem::replace(
            &mut *self.current.lock().unwrap_or_else(|p| p.into_inner()),
            Slot::Stopped,
        );
        drop(old);
    }
}

struct StopOnDrop(Arc<ServerSlot>);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        self.0.stop_for_good();
    }
}

impl Server {
    fn start(root: &Path, dist: &Path) -> anyhow::Result<Server> {
        let bin = root.join("target/server/keel-server");
        let mut child = Command::new(&bin)
            .args(["serve", "--listen", "127.0.0.1:0", "--dist"])
            .arg(dist)
            // Its warnings and errors, not a line per start.
            .env(
                "RUST_LOG",
                std::env::var("RUST_LOG").unwrap_or_else(|_| "keel_server=warn".into()),
            )
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .with_context(|| format!("starting {}", bin.display()))?;
        let mut lines = BufReader::new(child.stdout.take().expect("piped")).lines();
        let addr = loop {
            let Some(Ok(line)) = lines.next() else {
                let status = child.wait()?;
                bail!("keel-server exited ({status}) before it listened");
            };
            // "Keel is running at http://127.0.0.1:PORT/  (Ctrl-C to stop)"
            if let Some(rest) = line.split("running at http://").nth(1)
                && let Some(addr) = rest.split('/').next().and_then(|a| a.parse().ok())
            {
                break addr;
            }
        };
        // The rest of its standard output is "Keel stopped." when a newer
        // build replaces it: not news for the writer. Its log is on stderr.
        std::thread::spawn(move || lines.map_while(Result::ok).for_each(drop));
        Ok(Server { child, addr })
    }
}

impl Drop for Server {
    /// SIGTERM (the server finishes its requests and closes the store), and
    /// SIGKILL if it has not exited within five seconds.
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(Some(_))) {
            return;
        }
        let pid = rustix::process::Pid::from_child(&self.child);
        let _ = rustix::process::kill_process(pid, rustix::process::Signal::TERM);
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// ---------------------------------------------------------------- the dev server

#[derive(Clone)]
struct Proxy {
    status: watch::Receiver<Status>,
    client: Client<HttpConnector, Body>,
}

async fn reload_js() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        RELOAD_JS,
    )
        .into_response()
}

/// The build's state, now and after every change.
async fn events(
    State(app): State<Proxy>,
) -> Sse<impl tokio_stream::Stream<Item = Result<Event, Infallible>>> {
    let stream = tokio_stream::wrappers::WatchStream::new(app.status.clone())
        // After a restart in place the browser reconnects within half a second.
        .map(|s| {
            Ok(Event::default()
                .retry(Duration::from_millis(500))
                .data(s.json()))
        });
    Sse::new(stream).keep_alive(KeepAlive::default())
}

/// Everything else: the current keel-server's answer, with the reload
/// script added to pages; before the first good build, a page of our own.
async fn proxy(State(app): State<Proxy>, req: Request) -> Response {
    let status = app.status.borrow().clone();
    let Some(served) = status.served else {
        return own_page(&status);
    };
    let (mut parts, body) = req.into_parts();
    let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    parts.uri = match format!("http://{}{path}", served.addr).parse() {
        Ok(uri) => uri,
        Err(_) => return StatusCode::BAD_REQUEST.into_response(),
    };
    // Plain bodies, so the script can go into pages (this is a local server).
    parts.headers.remove(header::ACCEPT_ENCODING);
    // The browser's Host stays, so the contact form's same-origin check sees
    // the address the page came from.
    let head_only = parts.method == Method::HEAD;
    let answer = match app.client.request(Request::from_parts(parts, body)).await {
        Ok(a) => a,
        Err(e) => {
            return (
                StatusCode::BAD_GATEWAY,
                format!("keel-server did not answer: {e}"),
            )
                .into_response();
        }
    };
    let (mut parts, body) = answer.into_parts();
    let is_page = parts
        .headers
        .get(header::CONTENT_TYPE)
        .is_some_and(|t| t.as_bytes().starts_with(b"text/html"));
    let immutable = parts
        .headers
        .get(header::CACHE_CONTROL)
        .is_some_and(|c| c.to_str().unwrap_or("").contains("immutable"));
    if !immutable {
        // A host keeps API documents a minute; here a rebuild shows at once.
        parts
            .headers
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if !is_page || head_only {
        return Response::from_parts(parts, Body::new(body));
    }
    let Ok(bytes) = body.collect().await.map(|b| b.to_bytes()) else {
        return StatusCode::BAD_GATEWAY.into_response();
    };
    let page = with_reload_script(&String::from_utf8_lossy(&bytes), &served.build);
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.remove(header::ETAG);
    Response::from_parts(parts, Body::from(page))
}

fn reload_tag(build: &str) -> String {
    format!(
        r#"<script defer src="/_dev/reload.js" data-keel-dev-build="{}"></script>"#,
        escape(build)
    )
}

/// The page with the reload script at the end of its head, or at its end
/// (a minified page leaves out the tags HTML lets it omit).
fn with_reload_script(page: &str, build: &str) -> String {
    match page.find("</head>") {
        Some(at) => format!("{}{}{}", &page[..at], reload_tag(build), &page[at..]),
        None => format!("{page}{}", reload_tag(build)),
    }
}

/// Before the first good build: the problems, or "building".
fn own_page(status: &Status) -> Response {
    let body = if status.problems.is_empty() {
        "<h1>Building the site…</h1><p>This page reloads when it is ready.</p>".to_string()
    } else {
        let items: String = status
            .problems
            .iter()
            .map(|p| {
                format!(
                    "<li><code>{}</code> {}</li>",
                    escape(&p.place()),
                    escape(&p.message)
                )
            })
            .collect();
        format!(
            "<h1>The build failed</h1><ul id=\"keel-dev-problems\">{items}</ul><p>Fix it and save: this page reloads by itself.</p>"
        )
    };
    let page = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Keel (dev)</title>{}\
         <style>body{{font:16px/1.5 system-ui,sans-serif;margin:2rem;max-width:60rem}}li{{margin:.5rem 0;white-space:pre-wrap}}</style>\
         </head><body>{body}</body></html>",
        reload_tag("")
    );
    let code = if status.problems.is_empty() {
        StatusCode::SERVICE_UNAVAILABLE
    } else {
        StatusCode::INTERNAL_SERVER_ERROR
    };
    (
        code,
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'self'; style-src 'unsafe-inline'",
            ),
        ],
        page,
    )
        .into_response()
}

/// HTML text and attribute escaping (the dev pages only; the site's pages
/// come from the prerenderer).
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

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
                "<code>a&lt;b&gt;.md:3</code> &lt;script&gt;x&lt;/script&gt; &amp; &#39;y&#39;"
            ),
            "{body}"
        );
        assert!(!body.contains("<script>x"));
    }
}
