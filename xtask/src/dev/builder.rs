//! The builder thread: waits for changes, runs the incremental build into
//! `target/keel-dev/`, rebuilds this program when its code changed, and turns
//! failures into the problems the terminal and the page show.

use super::*;

pub(super) struct Builder {
    pub(super) root: PathBuf,
    pub(super) layout: Layout,
    pub(super) unpublished: crate::release::Unpublished,
    pub(super) port: u16,
    pub(super) status: watch::Sender<Status>,
    pub(super) server: Arc<ServerSlot>,
}

impl Builder {
    pub(super) fn run(self, changes: mpsc::Receiver<Change>) {
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
    pub(super) fn build_site(&self) {
        let started = Instant::now();
        eprintln!("\nbuilding…");
        let report = match release::build(
            &self.layout,
            &release::Options {
                unpublished: self.unpublished,
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
    pub(super) fn failed(&self, problems: Vec<Problem>) {
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
    pub(super) fn rebuild_self(&self) -> Vec<Problem> {
        eprintln!(
            "\nthe SPA's code changed: rebuilding the prerenderer, then the wasm (trunk, release profile)…"
        );
        let exe = match cargo_build_xtask(&self.root) {
            Ok(exe) => exe,
            Err(problems) => return problems,
        };
        if let Err(e) = release::spa(&self.layout) {
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
        if self.unpublished.drafts {
            args.push("--drafts".into());
        }
        if self.unpublished.future {
            args.push("--future".into());
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
pub(super) fn problems_of(e: &anyhow::Error) -> Vec<Problem> {
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
pub(super) fn cargo_build_xtask(root: &Path) -> Result<PathBuf, Vec<Problem>> {
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
