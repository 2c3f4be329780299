//! The release build: content compiled to the JSON API, the SPA built by
//! trunk, every route prerendered, all written to a staging folder with
//! `.br`/`.gz` siblings, then swapped into `dist/` in one rename. A failure
//! anywhere leaves the previous `dist/` as it was.
//!
//! Incremental by content hash: trunk runs only when the SPA's sources changed,
//! and a page is rendered, or a file compressed, only when its inputs are not
//! in the cache (`cache.rs`). The build prints its phase timings.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use keel_content::{Options as ContentOptions, Output};
use rayon::iter::{ParallelBridge, ParallelIterator};

use crate::cache::{self, Cache};
use crate::sh;

#[derive(Default)]
pub struct Options {
    /// Include draft articles (development builds).
    pub drafts: bool,
    /// The partner origins (`allowed_origins` of the server's configuration),
    /// which may frame the embed pages: written into `_headers` and `nginx.conf`.
    pub partners: Vec<String>,
    /// Where the site is served and where its API is (`--base-path`,
    /// `--api-origin`; see docs/static-hosting.md).
    pub deploy: keel_prerender::Deploy,
}

pub fn compile(root: &Path, content_dir: &Path, drafts: bool) -> anyhow::Result<Output> {
    compile_with(root, content_dir, drafts, &keel_content::NoCache)
}

fn compile_with(
    root: &Path,
    content_dir: &Path,
    drafts: bool,
    cache: &dyn keel_content::ArticleCache,
) -> anyhow::Result<Output> {
    let (site, articles) = keel_content::fs::read_sources(root, content_dir)?;
    match keel_content::compile_with(
        &site,
        &articles,
        &ContentOptions {
            drafts,
            ..Default::default()
        },
        cache,
    ) {
        Ok(out) => Ok(out),
        Err(diagnostics) => {
            eprintln!();
            for d in &diagnostics {
                eprintln!("{d}");
            }
            Err(ContentErrors(diagnostics).into())
        }
    }
}

/// The compiler's diagnostics, as the error of a build that stopped at the
/// content (`cargo xtask dev` shows them in the browser too).
#[derive(Debug)]
pub struct ContentErrors(pub Vec<keel_content::Diagnostic>);

impl std::fmt::Display for ContentErrors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let n = self.0.len();
        write!(
            f,
            "{n} problem{} in content/; nothing was written and the previous build is untouched",
            if n == 1 { "" } else { "s" }
        )
    }
}

impl std::error::Error for ContentErrors {}

/// Compile `content_dir` and list what it would write; with `out`, write it there.
pub fn check_content(
    root: &Path,
    content_dir: &Path,
    out_dir: Option<&Path>,
    drafts: bool,
) -> anyhow::Result<()> {
    let t = Instant::now();
    let out = compile(root, content_dir, drafts)?;
    let elapsed = t.elapsed();
    if let Some(dir) = out_dir {
        for (url, bytes) in &out.files {
            write(dir, url, bytes)?;
        }
    }
    let mut total = 0;
    for (path, bytes) in &out.files {
        println!("{:>8}  {path}", bytes.len());
        total += bytes.len();
    }
    println!(
        "{} files, {total} bytes, {} articles; compiled in {:.0} ms",
        out.files.len(),
        out.articles.len(),
        elapsed.as_secs_f64() * 1000.0
    );
    Ok(())
}

/// Where a build reads and writes. `cargo xtask build` uses the checkout's
/// folders; the benchmark points `content`, `dist` and `work` at a scratch folder.
pub struct Layout {
    /// The checkout: the SPA's sources, trunk's configuration.
    pub root: PathBuf,
    pub content: PathBuf,
    pub dist: PathBuf,
    /// The staging folder and the cache of compressed forms and pages.
    pub work: PathBuf,
    /// Trunk's output, kept by a hash of its inputs (shared with the benchmark,
    /// whose content changes but whose SPA does not).
    pub spa: PathBuf,
}

impl Layout {
    pub fn of(root: &Path) -> Layout {
        Layout {
            root: root.to_path_buf(),
            content: root.join("content"),
            dist: root.join("dist"),
            work: root.join("target/keel-build"),
            spa: root.join("target/keel-build-spa"),
        }
    }

    /// Another content folder and another `dist/` (the tests' sites of other
    /// content); such a build has its own work folder beside its `dist/`.
    pub fn with(self, content: Option<PathBuf>, dist: Option<PathBuf>) -> Layout {
        let work = dist
            .as_ref()
            .map(|d| d.with_file_name("keel-build-work"))
            .unwrap_or(self.work);
        Layout {
            content: content.unwrap_or(self.content),
            dist: dist.unwrap_or(self.dist),
            work,
            ..self
        }
    }
}

pub fn site(root: &Path, opts: &Options) -> anyhow::Result<()> {
    site_in(&Layout::of(root), opts)
}

pub fn site_in(layout: &Layout, opts: &Options) -> anyhow::Result<()> {
    let report = build(layout, opts)?;
    eprintln!("{report}");
    Ok(())
}

/// Build `layout.dist`: compile the content, build (or reuse) the SPA, then
/// prerender and precompress into a staging folder, reusing every page and
/// compressed form whose inputs have not changed, and swap it into place.
pub fn build(layout: &Layout, opts: &Options) -> anyhow::Result<Report> {
    let mut report = Report::default();
    let started = Instant::now();
    // Delete previous builds' dist/ (see swap_into_place) alongside the work.
    let trash = layout.work.join("trash");
    let sweeper = {
        let trash = trash.clone();
        std::thread::spawn(move || std::fs::remove_dir_all(trash))
    };
    // Content first: an authoring error fails in a second, before any build.
    let t = Instant::now();
    let cache = Cache::open(&layout.work.join("cache"))?;
    let stamp = exe_stamp()?;
    let content = compile_with(
        &layout.root,
        &layout.content,
        opts.drafts,
        &ArticleStore {
            cache: &cache,
            stamp: &stamp,
        },
    )?;
    report.phase(
        "content",
        t,
        format!(
            "{} articles, {} files",
            content.articles.len(),
            content.files.len()
        ),
    );

    let t = Instant::now();
    let (spa, fresh) = spa(layout)?;
    report.phase(
        "spa",
        t,
        if fresh {
            "built by trunk".into()
        } else {
            "unchanged, reused".into()
        },
    );

    let stage = layout.work.join("dist");
    let _ = std::fs::remove_dir_all(&stage);
    std::fs::create_dir_all(&stage)?;
    let t = Instant::now();
    let mut extra = embed_files(&layout.root, &spa, &opts.deploy)?;
    let sitemaps = keel_prerender::sitemaps(
        &content.files,
        &content.articles,
        keel_prerender::SITEMAP_MAX_URLS,
    )?;
    extra.extend(
        sitemaps
            .into_iter()
            .map(|(path, xml)| (path.trim_start_matches('/').to_string(), xml.into_bytes())),
    );
    let stats = emit_all(
        &spa,
        &stage,
        &content.files,
        extra,
        &opts.deploy,
        &cache,
        &stamp,
    )?;
    let pages = stats.pages.lock().expect("threads are done").clone();
    report.phase(
        "pages+files",
        t,
        format!(
            "{} files written; {} of {} pages rendered ({:.1} s CPU), {} of {} compressed forms made ({:.1} s CPU, {:.1} s of it at best effort; {} threads)",
            stats.written.load(Relaxed),
            pages.rendered,
            pages.total,
            pages.render_time.as_secs_f64(),
            stats.compressed.load(Relaxed),
            stats.compressible.load(Relaxed),
            Duration::from_nanos(stats.compress_nanos.load(Relaxed)).as_secs_f64(),
            Duration::from_nanos(stats.best_nanos.load(Relaxed)).as_secs_f64(),
            rayon::current_num_threads()
        ),
    );

    let t = Instant::now();
    let rules = host_rules(&stage, &opts.partners)?;
    report.phase(
        "host rules",
        t,
        format!("_headers and nginx.conf for {} pages", rules),
    );

    let t = Instant::now();
    let _ = sweeper.join();
    swap_into_place(&stage, &layout.dist, &trash)?;
    let pruned = cache.prune()?;
    report.phase("swap", t, format!("{pruned} stale cache entries removed"));
    report.total = started.elapsed();
    report.peak_memory_mb = peak_memory_mb();
    Ok(report)
}

/// Phase timings, printed at the end of every build.
#[derive(Default)]
pub struct Report {
    pub phases: Vec<(&'static str, Duration, String)>,
    pub total: Duration,
    pub peak_memory_mb: Option<u64>,
}

impl Report {
    fn phase(&mut self, name: &'static str, since: Instant, note: String) {
        self.phases.push((name, since.elapsed(), note));
    }

    pub fn seconds(&self, name: &str) -> f64 {
        self.phases
            .iter()
            .find(|(n, ..)| *n == name)
            .map(|(_, d, _)| d.as_secs_f64())
            .unwrap_or(0.0)
    }
}

impl std::fmt::Display for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "build phases:")?;
        for (name, d, note) in &self.phases {
            writeln!(f, "  {name:<12} {:>7.2} s  {note}", d.as_secs_f64())?;
        }
        let mem = self
            .peak_memory_mb
            .map(|m| format!(", peak memory {m} MB"))
            .unwrap_or_default();
        write!(f, "Built in {:.1} s{mem}", self.total.as_secs_f64())
    }
}

/// CPU time of the calling thread (Linux's schedstat, in nanoseconds): what a
/// step cost, whatever else the machine is running. Wall time elsewhere.
pub fn thread_cpu() -> Option<Duration> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    Some(Duration::from_nanos(
        s.split_whitespace().next()?.parse().ok()?,
    ))
}

/// Time `f` by thread CPU where the system offers it, by the clock otherwise.
fn timed<T>(f: impl FnOnce() -> T) -> (T, Duration) {
    let (cpu, wall) = (thread_cpu(), Instant::now());
    let out = f();
    let spent = match (cpu, thread_cpu()) {
        (Some(a), Some(b)) => b.saturating_sub(a),
        _ => wall.elapsed(),
    };
    (out, spent)
}

/// The process's peak resident memory (Linux), in MB.
pub fn peak_memory_mb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    Some(line.split_whitespace().nth(1)?.parse::<u64>().ok()? / 1024)
}

/// Reset the peak (Linux), so the next build's figure is its own.
pub fn reset_peak_memory() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// The SPA's two wasm bundles, each built by trunk from its own shell: our
/// site's, and the embed views' (so that neither downloads the other's views).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Bundle {
    Site,
    Embed,
}

impl Bundle {
    pub const ALL: [Bundle; 2] = [Bundle::Site, Bundle::Embed];

    /// The cargo binary (Cargo.toml), which names trunk's hashed files:
    /// `{bin}-{hash}.js` and `{bin}-{hash}_bg.wasm`.
    pub fn bin(self) -> &'static str {
        match self {
            Bundle::Site => "keel",
            Bundle::Embed => "keel-embed",
        }
    }

    /// The shell trunk builds it from (in the repository's root), and where
    /// the built shell is kept in the SPA's folder, for the prerenderer: not
    /// a file of the site (every page is prerendered into it).
    fn shell(self) -> (&'static str, &'static str) {
        match self {
            Bundle::Site => ("index.html", "index.html"),
            Bundle::Embed => ("embed.html", "embed-shell.html"),
        }
    }

    /// The bundle's JS glue and wasm, as trunk named them in `dir` (the
    /// SPA's folder, or a built `dist/`).
    pub fn files(self, dir: &Path) -> anyhow::Result<[String; 2]> {
        let names: Vec<String> = std::fs::read_dir(dir)
            .with_context(|| format!("reading {}", dir.display()))?
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .collect();
        // The hash has no '-', so `keel-…` never matches `keel-embed-…`.
        let prefix = format!("{}-", self.bin());
        let find = |suffix: &str| -> anyhow::Result<String> {
            names
                .iter()
                .find(|n| {
                    n.strip_prefix(&prefix)
                        .and_then(|rest| rest.strip_suffix(suffix))
                        .is_some_and(|hash| !hash.contains('-'))
                })
                .cloned()
                .ok_or_else(|| {
                    anyhow::anyhow!(
                        "{} has no {prefix}*{suffix} (trunk's output)",
                        dir.display()
                    )
                })
        };
        Ok([find(".js")?, find("_bg.wasm")?])
    }
}

/// Trunk's output for the SPA's current sources, both bundles: reused when
/// nothing trunk reads has changed (its wasm compile and wasm-opt take
/// minutes), built otherwise. Returns the folder and whether trunk ran.
pub fn spa(layout: &Layout) -> anyhow::Result<(PathBuf, bool)> {
    let root = &layout.root;
    let mut inputs: Vec<PathBuf> = [
        "index.html",
        "embed.html",
        "Trunk.toml",
        "Cargo.toml",
        "Cargo.lock",
    ]
    .iter()
    .map(|f| root.join(f))
    .collect();
    for dir in ["src", "assets", "crates/model"] {
        inputs.extend(crate::fs::walk(&root.join(dir))?);
    }
    let toolchain = [
        crate::setup::PINNED_TOOLCHAIN,
        crate::WASM_BUILD_STD,
        crate::WASM_RUSTFLAGS,
    ]
    .join(" ");
    let mut parts: Vec<Vec<u8>> = vec![b"spa-v2".to_vec(), toolchain.into_bytes()];
    for path in &inputs {
        parts.push(
            path.strip_prefix(root)
                .unwrap_or(path)
                .to_string_lossy()
                .as_bytes()
                .to_vec(),
        );
        parts.push(std::fs::read(path).with_context(|| format!("reading {}", path.display()))?);
    }
    let key = cache::key(&parts.iter().map(Vec::as_slice).collect::<Vec<_>>());
    let dir = layout.spa.join(&key[..16]);
    if dir.join("index.html").exists() {
        return Ok((dir, false));
    }
    let partial = layout.spa.join("partial");
    let _ = std::fs::remove_dir_all(&partial);
    sh(crate::trunk(root)?
        .args(["build", "--release", "--dist"])
        .arg(&partial))?;
    // Trunk empties its dist folder first, and always writes `index.html`:
    // the embed views' bundle is built beside it, then moved in.
    let (source, kept) = Bundle::Embed.shell();
    let embed = layout.spa.join("partial-embed");
    let _ = std::fs::remove_dir_all(&embed);
    sh(crate::trunk(root)?
        .args(["build", source, "--release", "--dist"])
        .arg(&embed))?;
    std::fs::rename(embed.join("index.html"), partial.join(kept))?;
    for name in Bundle::Embed.files(&embed)? {
        std::fs::rename(embed.join(&name), partial.join(&name))?;
    }
    std::fs::remove_dir_all(&embed)?;
    let _ = std::fs::remove_file(partial.join(".trunk-lock"));
    // Keep only this build's output.
    for old in std::fs::read_dir(&layout.spa)? {
        let old = old?.path();
        if old != partial {
            let _ = std::fs::remove_dir_all(old);
        }
    }
    std::fs::rename(&partial, &dir)?;
    Ok((dir, true))
}

#[derive(Default)]
struct Stats {
    written: AtomicU64,
    compressible: AtomicU64,
    compressed: AtomicU64,
    compress_nanos: AtomicU64,
    /// Of which at `Effort::Best`.
    best_nanos: AtomicU64,
    pages: Mutex<PageStats>,
}

#[derive(Clone, Default)]
struct PageStats {
    total: usize,
    rendered: usize,
    render_time: Duration,
}

/// Write the SPA, the API documents and every prerendered page into `stage`
/// with their `.br`/`.gz` siblings. Pages are rendered on one thread (see
/// `keel_prerender::Renderer`) while the others write and compress, through a
/// short queue so memory stays bounded whatever the size of the site.
/// The identity of this program's build. The content compiler and the SPA's
/// code are compiled into it, so compiled articles and rendered pages are
/// cached under it: a new build of xtask starts from a clean slate.
fn exe_stamp() -> anyhow::Result<String> {
    let exe = std::fs::metadata(std::env::current_exe()?)?;
    Ok(format!("{}-{:?}", exe.len(), exe.modified()?))
}

/// Compiled articles in the build cache.
struct ArticleStore<'a> {
    cache: &'a Cache,
    stamp: &'a str,
}

impl keel_content::ArticleCache for ArticleStore<'_> {
    fn get(&self, key: &str) -> Option<Vec<u8>> {
        self.cache.read(
            &cache::key(&[b"article-v1", self.stamp.as_bytes(), key.as_bytes()]),
            ".json",
        )
    }

    fn put(&self, key: &str, bytes: &[u8]) {
        // A failed write only costs a recompile next time.
        let _ = self.cache.put(
            &cache::key(&[b"article-v1", self.stamp.as_bytes(), key.as_bytes()]),
            ".json",
            bytes,
        );
    }
}

/// The partner embed's scripts (`embed/`, see docs/embedding.md), for
/// `dist/embed/`, and the stylesheet the inline mode adopts: the loader
/// learns the embed bundle's hashed file names here, the scripts the facts
/// they share with the app (`keel_prerender::script_facts`), and both lose
/// their comments (the loader is downloaded by every partner page).
fn embed_files(
    root: &Path,
    spa: &Path,
    deploy: &keel_prerender::Deploy,
) -> anyhow::Result<Vec<(String, Vec<u8>)>> {
    let [glue, wasm] = Bundle::Embed
        .files(spa)?
        .map(|n| format!("{}/{n}", deploy.base));
    let css = keel_prerender::stylesheet()?;
    let css_file = format!("embed/keel-{}.css", &cache::key(&[css.as_bytes()])[..16]);
    let css_url = format!("{}/{css_file}", deploy.base);
    let mut out = vec![(css_file, css.into_bytes())];
    for name in ["v1.js", "frame.js"] {
        let path = root.join("embed").join(name);
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("reading {}", path.display()))?;
        let mut marks = keel_prerender::script_facts();
        marks.extend([
            ("__KEEL_GLUE__", glue.clone()),
            ("__KEEL_WASM__", wasm.clone()),
            ("__KEEL_API__", deploy.api.clone().unwrap_or_default()),
            ("__KEEL_CSS__", css_url.clone()),
        ]);
        let text = fill_marks(&text, &marks).with_context(|| format!("in {}", path.display()))?;
        out.push((format!("embed/{name}"), text.into_bytes()));
    }
    Ok(out)
}

/// A partner script with its comments dropped and each `__KEEL_…__` mark
/// replaced by its value; an error naming a mark that is left (a fact the
/// script wants and the app does not give).
fn fill_marks(script: &str, marks: &[(&str, String)]) -> anyhow::Result<String> {
    let mut text: String = script
        .lines()
        .filter(|l| !l.trim_start().starts_with("// ") && l.trim() != "//")
        .map(|l| format!("{}\n", l.trim_start()))
        .collect();
    for (mark, value) in marks {
        text = text.replace(mark, value);
    }
    if let Some(at) = text.find("__KEEL_") {
        let mark: String = text[at..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        bail!("{mark} is not a fact the build knows (keel::embed::script_facts)");
    }
    Ok(text)
}

/// `bundle`'s shell, as trunk built it, for a site under `base`: its loader
/// fetches the app from there. (Trunk's own `--public-url` would do it too,
/// at the price of a second wasm build per base path; the bytes are the same.)
fn shell_for(spa: &Path, bundle: Bundle, base: &str) -> anyhow::Result<String> {
    let file = spa.join(bundle.shell().1);
    let mut shell = std::fs::read_to_string(&file)
        .with_context(|| format!("reading trunk's {}", file.display()))?;
    if base.is_empty() {
        return Ok(shell);
    }
    for name in bundle.files(spa)? {
        let before = shell.clone();
        // Quoted as the minifier left it: "…", '…' or `…`.
        for q in ['"', '\'', '`'] {
            shell = shell.replace(&format!("{q}/{name}{q}"), &format!("{q}{base}/{name}{q}"));
        }
        if shell == before {
            bail!(
                "trunk's {} does not load /{name} in quotes: cannot move it under {base}",
                file.display()
            );
        }
    }
    Ok(shell)
}

fn emit_all(
    spa: &Path,
    stage: &Path,
    api: &BTreeMap<String, Vec<u8>>,
    extra: Vec<(String, Vec<u8>)>,
    deploy: &keel_prerender::Deploy,
    cache: &Cache,
    exe_stamp: &str,
) -> anyhow::Result<Stats> {
    let stats = Stats::default();
    let shells = keel_prerender::Shells {
        site: shell_for(spa, Bundle::Site, &deploy.base)?,
        embed: shell_for(spa, Bundle::Embed, &deploy.base)?,
    };
    // Pages depend on the SPA's code as well as their data: that code is
    // compiled into this program, so its identity is part of each page's key.
    let (tx, rx) = std::sync::mpsc::sync_channel::<(String, Cow<'_, [u8]>, Option<String>)>(32);
    std::thread::scope(|scope| -> anyhow::Result<()> {
        let renderer = scope.spawn(|| -> anyhow::Result<()> {
            let tx = tx; // moved in: the writers stop when this thread is done
            let renderer = keel_prerender::Renderer::new(&shells, api)?.with_deploy(deploy.clone());
            let deployed = format!(
                "{}\n{}",
                deploy.base,
                deploy.api.as_deref().unwrap_or_default()
            );
            let specs = renderer.pages();
            let mut ps = PageStats {
                total: specs.len(),
                ..Default::default()
            };
            for spec in specs {
                let shell = shells.of(&spec.route);
                let mut parts: Vec<&[u8]> = vec![
                    b"page-v1",
                    exe_stamp.as_bytes(),
                    deployed.as_bytes(),
                    shell.as_bytes(),
                    spec.url.as_bytes(),
                    spec.file.as_bytes(),
                ];
                for d in &spec.docs {
                    parts.push(d.as_bytes());
                    parts.push(api.get(d).map(Vec::as_slice).unwrap_or_default());
                }
                let key = cache::key(&parts);
                // Unchanged: link the page and its compressed forms from the
                // cache without reading, hashing or writing their bytes.
                if link_page(stage, &spec.file, &key, cache, &stats)? {
                    continue;
                }
                let html = match cache.read(&key, ".html") {
                    Some(html) => html,
                    None => {
                        let (html, spent) = timed(|| renderer.render(&spec));
                        let html = html?.into_bytes();
                        ps.render_time += spent;
                        ps.rendered += 1;
                        cache.put(&key, ".html", &html)?;
                        html
                    }
                };
                if tx.send((spec.file, Cow::Owned(html), Some(key))).is_err() {
                    break; // the writers failed; their error is reported
                }
            }
            *stats.pages.lock().expect("one writer") = ps;
            Ok(())
        });
        // trunk's index.html is only the shell the pages are rendered into:
        // the prerendered home page takes its place. Writing it as well would
        // race the home page (linked from the cache on another thread) for
        // the same file, and sometimes win. The embed shell is no page at all.
        let shells = Bundle::ALL.map(|b| Path::new(b.shell().1));
        let spa_files = crate::fs::walk(spa)?
            .into_iter()
            .filter(|p| p.strip_prefix(spa).is_ok_and(|rel| !shells.contains(&rel)))
            .map(
                |p| -> anyhow::Result<(String, Cow<'_, [u8]>, Option<String>)> {
                    let rel = p
                        .strip_prefix(spa)
                        .expect("walk stays inside")
                        .to_string_lossy()
                        .into_owned();
                    Ok((rel, Cow::Owned(std::fs::read(&p)?), None))
                },
            )
            .collect::<anyhow::Result<Vec<_>>>()?;
        let api_files = api.iter().map(|(url, bytes)| {
            (
                url.trim_start_matches('/').to_string(),
                Cow::Borrowed(bytes.as_slice()),
                None,
            )
        });
        let extra = extra
            .into_iter()
            .map(|(rel, bytes)| (rel, Cow::Owned(bytes), None));
        let written = spa_files
            .into_iter()
            .chain(extra)
            .chain(api_files)
            .chain(rx)
            .par_bridge()
            .try_for_each(|(rel, bytes, key)| {
                emit(stage, &rel, &bytes, key.as_deref(), cache, &stats)
            });
        let rendered = renderer
            .join()
            .map_err(|_| anyhow::anyhow!("the prerenderer panicked"))?;
        written.and(rendered)
    })?;
    Ok(stats)
}

/// Write one file and its compressed forms (from the cache when the same
/// bytes were compressed before).
/// The key of a file's compressed forms: from its bytes, or from `source`,
/// a key that already determines them (a page's inputs).
fn compressed_key(effort: keel_compress::Effort, bytes: &[u8], source: Option<&str>) -> String {
    let effort = format!("{effort:?}");
    match source {
        Some(k) => cache::key(&[b"compressed-from-v1", effort.as_bytes(), k.as_bytes()]),
        None => cache::key(&[b"compressed-v1", effort.as_bytes(), bytes]),
    }
}

/// Link an unchanged page and its compressed forms into `stage`; false when
/// any of them is missing from the cache.
fn link_page(
    stage: &Path,
    rel: &str,
    key: &str,
    cache: &Cache,
    stats: &Stats,
) -> anyhow::Result<bool> {
    let path = stage.join(rel);
    let Some(len) = cache.len(key, ".html") else {
        return Ok(false);
    };
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let siblings = match keel_compress::plan(rel, len as usize) {
        Some(effort) => vec![
            (compressed_key(effort, &[], Some(key)), ".br"),
            (compressed_key(effort, &[], Some(key)), ".gz"),
        ],
        None => Vec::new(),
    };
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default()
        .to_string();
    for (k, suffix) in &siblings {
        if !cache.link(k, suffix, &path.with_file_name(format!("{name}{suffix}")))? {
            return Ok(false);
        }
    }
    cache.link(key, ".html", &path)?;
    stats.written.fetch_add(1, Relaxed);
    stats.compressible.fetch_add(siblings.len() as u64, Relaxed);
    Ok(true)
}

/// Write one file and its compressed forms (from the cache when the same
/// bytes, or the same `source` key, were compressed before).
fn emit(
    stage: &Path,
    rel: &str,
    bytes: &[u8],
    source: Option<&str>,
    cache: &Cache,
    stats: &Stats,
) -> anyhow::Result<()> {
    let path = stage.join(rel);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(&path, bytes).with_context(|| format!("writing {}", path.display()))?;
    stats.written.fetch_add(1, Relaxed);
    let Some(effort) = keel_compress::plan(rel, bytes.len()) else {
        return Ok(());
    };
    let key = compressed_key(effort, bytes, source);
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default()
        .to_string();
    type Compress = fn(&[u8], keel_compress::Effort) -> Vec<u8>;
    for (suffix, compress) in [
        (".br", keel_compress::brotli as Compress),
        (".gz", keel_compress::gzip as Compress),
    ] {
        stats.compressible.fetch_add(1, Relaxed);
        let dest = path.with_file_name(format!("{name}{suffix}"));
        if !cache.link(&key, suffix, &dest)? {
            let (packed, spent) = timed(|| compress(bytes, effort));
            stats
                .compress_nanos
                .fetch_add(spent.as_nanos() as u64, Relaxed);
            if effort == keel_compress::Effort::Best {
                stats.best_nanos.fetch_add(spent.as_nanos() as u64, Relaxed);
            }
            stats.compressed.fetch_add(1, Relaxed);
            cache.put(&key, suffix, &packed)?;
            cache.link(&key, suffix, &dest)?;
        }
    }
    Ok(())
}

/// Write `_headers` (Netlify, Cloudflare Pages) and `nginx.conf` into the
/// staged site, from the rules the Keel server applies (keel-site-rules):
/// static hosts then send the same headers, each page's CSP included.
/// Returns the number of pages.
fn host_rules(stage: &Path, partners: &[String]) -> anyhow::Result<usize> {
    let mut files = Vec::new();
    for path in crate::fs::walk(stage)? {
        let url = format!(
            "/{}",
            path.strip_prefix(stage)
                .expect("walk stays inside")
                .to_string_lossy()
                .replace('\\', "/")
        );
        if url.ends_with(".br") || url.ends_with(".gz") {
            continue;
        }
        let bytes = if url.ends_with(".html") {
            std::fs::read(&path)?
        } else {
            Vec::new()
        };
        files.push(keel_site_rules::hosts::SiteFile::new(&url, &bytes));
    }
    let pages = files.iter().filter(|f| f.csp.is_some()).count();
    write(
        stage,
        "/_headers",
        keel_site_rules::hosts::headers_file(&files, partners).as_bytes(),
    )?;
    write(
        stage,
        "/nginx.conf",
        keel_site_rules::hosts::nginx_conf(&files, partners).as_bytes(),
    )?;
    Ok(pages)
}

fn write(dir: &Path, url: &str, bytes: &[u8]) -> anyhow::Result<()> {
    let path = dir.join(url.trim_start_matches('/'));
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(&path, bytes).with_context(|| format!("writing {}", path.display()))
}

/// Rename `stage` into `dist`. The previous `dist` goes into `trash` (the
/// next build deletes it while it compiles; deleting ten thousand files takes
/// seconds on a busy disk), or, across file systems, is deleted now.
fn swap_into_place(stage: &Path, dist: &Path, trash: &Path) -> anyhow::Result<()> {
    let old = dist.with_extension("old");
    let _ = std::fs::remove_dir_all(&old);
    let mut aside = None;
    if dist.exists() {
        std::fs::create_dir_all(trash)?;
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos();
        let in_trash = trash.join(nanos.to_string());
        if std::fs::rename(dist, &in_trash).is_err() {
            std::fs::rename(dist, &old)
                .with_context(|| format!("moving the previous {} aside", dist.display()))?;
            aside = Some(old);
        }
    }
    std::fs::rename(stage, dist)
        .with_context(|| format!("moving the new build into {}", dist.display()))?;
    if let Some(old) = aside {
        let _ = std::fs::remove_dir_all(old);
    }
    Ok(())
}

/// Build the server in the `server` profile (optimised, quick to link).
pub fn server_binary(root: &Path) -> anyhow::Result<()> {
    sh(Command::new("cargo")
        .args(["build", "--profile", "server", "-p", "keel-server"])
        .current_dir(root))
}

pub fn print_sizes(dist: &Path) -> anyhow::Result<()> {
    let mut any = false;
    for path in crate::fs::walk(dist)? {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        if name.ends_with(".wasm")
            || (name.ends_with(".js") && !path.to_string_lossy().contains("/api/"))
            || name == "index.html"
        {
            let raw = std::fs::metadata(&path)?.len();
            let size = |ext: &str| {
                std::fs::metadata(path.with_file_name(format!("{name}.{ext}")))
                    .map(|m| m.len())
                    .unwrap_or(0)
            };
            let shown = path
                .strip_prefix(dist)
                .unwrap_or(&path)
                .display()
                .to_string();
            println!(
                "{shown:<90} raw {raw:>8}  gzip {:>8}  brotli {:>8}",
                size("gz"),
                size("br")
            );
            any = true;
        }
    }
    if !any {
        bail!("no build in {}; run `cargo xtask build`", dist.display());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The partner scripts take every fact they share with the app from it:
    /// each mark they hold is filled, and their code holds no copy of a
    /// fact's value (a literal path, pattern or colour would drift).
    #[test]
    fn the_partner_scripts_hold_no_copy_of_the_apps_facts() {
        let facts = keel_prerender::script_facts();
        let mut marks = facts.clone();
        for build_mark in [
            "__KEEL_GLUE__",
            "__KEEL_WASM__",
            "__KEEL_API__",
            "__KEEL_CSS__",
        ] {
            marks.push((build_mark, "x".into()));
        }
        let mut used = std::collections::BTreeSet::new();
        for name in ["v1.js", "frame.js"] {
            let path = Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../embed")
                .join(name);
            let source = std::fs::read_to_string(&path).unwrap();
            let filled = fill_marks(&source, &marks).unwrap();
            // The code, not the comments (which may name a path).
            let code: Vec<&str> = source
                .lines()
                .filter(|l| !l.trim_start().starts_with("//"))
                .collect();
            let code = code.join("\n");
            for (mark, value) in &facts {
                if source.contains(mark) {
                    used.insert(*mark);
                    assert!(
                        filled.contains(value.as_str()),
                        "{name}: {mark} filled with {value}"
                    );
                }
                if value.len() >= 4 {
                    assert!(
                        !code.contains(value.as_str()),
                        "{name} writes {value:?} itself: use {mark}"
                    );
                }
            }
        }
        for (mark, _) in &facts {
            assert!(
                used.contains(mark),
                "no script uses {mark}: drop it from script_facts"
            );
        }
        let err = fill_marks("var x = \"__KEEL_NOT_A_FACT__\";", &marks).unwrap_err();
        assert!(err.to_string().contains("__KEEL_NOT_A_FACT__"), "{err}");
    }

    /// A root with the bundled site.toml, the given articles, and a previous build.
    fn scratch(articles: &[(&str, &str)]) -> PathBuf {
        let root = std::env::temp_dir().join(format!(
            "keel-xtask-{}-{}",
            std::process::id(),
            articles.len()
        ));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(root.join("content/articles")).unwrap();
        std::fs::create_dir_all(root.join("dist")).unwrap();
        let real = Path::new(env!("CARGO_MANIFEST_DIR")).join("../content/site.toml");
        std::fs::copy(real, root.join("content/site.toml")).unwrap();
        for (name, text) in articles {
            std::fs::write(root.join("content/articles").join(name), text).unwrap();
        }
        std::fs::write(root.join("dist/index.html"), "previous build").unwrap();
        root
    }

    #[test]
    fn each_bundle_finds_its_own_files_only() {
        let dir = std::env::temp_dir().join(format!("keel-bundles-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        for name in [
            "keel-embed-0123456789abcdef.js",
            "keel-embed-0123456789abcdef_bg.wasm",
            "keel-bare-0011.js",
        ] {
            std::fs::write(dir.join(name), "").unwrap();
        }
        let err = Bundle::Site.files(&dir).unwrap_err().to_string();
        assert!(
            err.contains("keel-*.js"),
            "the embed views' files are not our site's: {err}"
        );
        for name in ["keel-fedcba9876543210.js", "keel-fedcba9876543210_bg.wasm"] {
            std::fs::write(dir.join(name), "").unwrap();
        }
        assert_eq!(
            Bundle::Site.files(&dir).unwrap(),
            ["keel-fedcba9876543210.js", "keel-fedcba9876543210_bg.wasm"]
        );
        assert_eq!(
            Bundle::Embed.files(&dir).unwrap(),
            [
                "keel-embed-0123456789abcdef.js",
                "keel-embed-0123456789abcdef_bg.wasm"
            ]
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_broken_article_fails_the_build_and_leaves_dist_alone() {
        let good = "+++\ntitle = \"Good\"\ndate = 2025-01-01\nsummary = \"s\"\n[author]\nname = \"A\"\nrole = \"R\"\n+++\nBody.\n";
        let bad = "+++\ntitle = \"Bad\"\ndate = 2025-01-01\nsumary = \"typo\"\n[author]\nname = \"A\"\nrole = \"R\"\n+++\n";
        let root = scratch(&[("good.md", good), ("bad.md", bad)]);
        let err = site(&root, &Options::default()).unwrap_err().to_string();
        assert!(err.contains("nothing was written"), "{err}");
        assert_eq!(
            std::fs::read_to_string(root.join("dist/index.html")).unwrap(),
            "previous build"
        );
        assert!(
            !root.join("target/keel-build/dist").exists(),
            "nothing was staged"
        );
        let _ = std::fs::remove_dir_all(&root);
    }

    #[test]
    fn diagnostics_name_the_file_relative_to_the_root() {
        let bad =
            "+++\ntitle = \"Bad\"\ndate = 2025-01-01\nsummary = \"s\"\nauthor = \"nobody\"\n+++\n";
        let root = scratch(&[("bad-author.md", bad)]);
        let (site, articles) =
            keel_content::fs::read_sources(&root, &root.join("content")).unwrap();
        let errors = keel_content::compile(&site, &articles, &Default::default())
            .err()
            .unwrap();
        assert_eq!(
            errors[0].to_string(),
            "content/articles/bad-author.md:5: front matter: invalid type: string \"nobody\", expected an [author] table with name and role"
        );
        let _ = std::fs::remove_dir_all(&root);
    }
}
