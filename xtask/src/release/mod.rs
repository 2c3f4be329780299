//! The release build: content compiled to the JSON API, the SPA built by
//! trunk, every route prerendered, all written to a staging folder with
//! `.br`/`.gz` siblings, then swapped into `dist/` in one rename. A failure
//! anywhere leaves the previous `dist/` as it was.
//!
//! Incremental by content hash: trunk runs only when the SPA's sources changed,
//! and a page is rendered, or a file compressed, only when its inputs are not
//! in the cache (`cache.rs`). The build prints its phase timings.

mod emit;
mod media;
mod report;
mod spa;
use emit::*;
pub use report::*;
pub use spa::*;

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
pub use keel_content::Unpublished;

#[derive(Default)]
pub struct Options {
    /// Include draft and scheduled articles (writers' builds).
    pub unpublished: Unpublished,
    /// The partner origins (`allowed_origins` of the server's configuration),
    /// which may frame the embed pages: written into `_headers` and `nginx.conf`.
    pub partners: Vec<String>,
    /// Where the site is served and where its API is (`--base-path`,
    /// `--api-origin`; see docs/static-hosting.md).
    pub deploy: keel_prerender::Deploy,
}

pub fn compile(
    root: &Path,
    content_dir: &Path,
    unpublished: Unpublished,
) -> anyhow::Result<Output> {
    compile_with(root, content_dir, unpublished, &keel_content::NoCache)
}

fn compile_with(
    root: &Path,
    content_dir: &Path,
    unpublished: Unpublished,
    cache: &dyn keel_content::ArticleCache,
) -> anyhow::Result<Output> {
    let (site, articles) = keel_content::fs::read_sources(root, content_dir)?;
    match keel_content::compile_with(
        &site,
        &articles,
        &ContentOptions {
            unpublished,
            ..Default::default()
        },
        cache,
        &keel_content::fs::Images::new(root, content_dir),
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

/// Print the scheduled articles of `content_dir` (`scheduled_after`, today
/// in UTC): what a daily rebuild will publish, and when.
pub fn scheduled(root: &Path, content_dir: &Path) -> anyhow::Result<()> {
    let today = keel_content::today_utc();
    let later = scheduled_after(root, content_dir, &today)?;
    if later.is_empty() {
        println!("Nothing is scheduled: every article is dated {today} or earlier.");
    }
    for m in later {
        println!("{}  {}  {}", m.date, m.slug, m.title);
    }
    Ok(())
}

/// The articles of `content_dir` dated after `today`, soonest first.
fn scheduled_after(
    root: &Path,
    content_dir: &Path,
    today: &str,
) -> anyhow::Result<Vec<keel_model::ArticleSummary>> {
    let all = compile(
        root,
        content_dir,
        Unpublished {
            drafts: false,
            future: true,
        },
    )?;
    let mut later: Vec<_> = all
        .articles
        .into_iter()
        .map(|a| a.meta)
        .filter(|m| m.date.as_str() > today)
        .collect();
    later.sort_by(|a, b| (&a.date, &a.slug).cmp(&(&b.date, &b.slug)));
    Ok(later)
}

/// Compile `content_dir` and list what it would write; with `out`, write it there.
pub fn check_content(
    root: &Path,
    content_dir: &Path,
    out_dir: Option<&Path>,
    unpublished: Unpublished,
) -> anyhow::Result<()> {
    let t = Instant::now();
    let out = compile(root, content_dir, unpublished)?;
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
        opts.unpublished,
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
    let (svgs, media) = media::write(
        &layout.root,
        &layout.content,
        &content.images,
        &stage,
        &cache,
    )?;
    report.phase("images", t, media.summary());
    let t = Instant::now();
    let (cards, drawn, spent) = media::write_cards(&content.files, &stage, &cache)?;
    report.phase(
        "cards",
        t,
        format!(
            "{cards} social cards, {drawn} drawn ({:.1} s CPU)",
            spent.as_secs_f64()
        ),
    );

    let t = Instant::now();
    let mut extra = embed_files(&layout.root, &spa, &opts.deploy)?;
    extra.extend(svgs);
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

/// Build the server in the `server` profile (optimised, quick to link).
pub fn server_binary(root: &Path) -> anyhow::Result<()> {
    sh(Command::new("cargo")
        .args(["build", "--profile", "server", "-p", "keel-server"])
        .current_dir(root))
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
        for name in ["keel-playground-00aa.js", "keel-playground-00aa_bg.wasm"] {
            std::fs::write(dir.join(name), "").unwrap();
        }
        assert_eq!(
            Bundle::Playground.files(&dir).unwrap(),
            ["keel-playground-00aa.js", "keel-playground-00aa_bg.wasm"]
        );
        assert_eq!(
            Bundle::Site.files(&dir).unwrap(),
            ["keel-fedcba9876543210.js", "keel-fedcba9876543210_bg.wasm"],
            "the playground's files are not our site's"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn scheduled_lists_what_is_dated_after_today_soonest_first() {
        let article = |title: &str, date: &str| {
            format!(
                "+++\ntitle = \"{title}\"\ndate = {date}\nsummary = \"s\"\n[author]\nname = \"A\"\nrole = \"R\"\n+++\nBody.\n"
            )
        };
        let (past, later, sooner) = (
            article("Out already", "2026-01-01"),
            article("Later one", "2026-09-01"),
            article("Sooner one", "2026-07-01"),
        );
        let root = scratch(&[
            ("past.md", &past),
            ("later.md", &later),
            ("sooner.md", &sooner),
        ]);
        let listed: Vec<(String, String)> =
            scheduled_after(&root, &root.join("content"), "2026-06-01")
                .unwrap()
                .into_iter()
                .map(|m| (m.date, m.title))
                .collect();
        assert_eq!(
            listed,
            [
                ("2026-07-01".to_string(), "Sooner one".to_string()),
                ("2026-09-01".into(), "Later one".into())
            ]
        );
        std::fs::remove_dir_all(&root).unwrap();
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
