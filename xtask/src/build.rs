//! The release build: content compiled to the JSON API, the SPA built by
//! trunk, both written to a staging folder, precompressed, then swapped into
//! `dist/` in one rename. A failure anywhere leaves the previous `dist/` as it was.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, bail};
use keel_content::{Options as ContentOptions, Output, Source};

use crate::{sh, tool_path};

#[derive(Default)]
pub struct Options {
    /// Include draft articles (development builds).
    pub drafts: bool,
}

/// `content/site.toml` and `content/articles/*.md` under `content_dir`; paths in
/// messages are relative to `root` when they can be.
pub fn read_sources(root: &Path, content_dir: &Path) -> anyhow::Result<(Source, Vec<Source>)> {
    let site_path = content_dir.join("site.toml");
    let site = Source {
        path: site_path.strip_prefix(root).unwrap_or(&site_path).display().to_string(),
        text: std::fs::read_to_string(&site_path).with_context(|| format!("reading {}", site_path.display()))?,
    };
    let dir = content_dir.join("articles");
    let mut articles = Vec::new();
    let mut entries: Vec<PathBuf> = std::fs::read_dir(&dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()?;
    entries.sort();
    for path in entries {
        if path.extension().is_some_and(|e| e == "md") {
            let rel = path.strip_prefix(root).unwrap_or(&path).display().to_string();
            let text = std::fs::read_to_string(&path).with_context(|| format!("reading {rel} (is it UTF-8?)"))?;
            articles.push(Source { path: rel, text });
        }
    }
    Ok((site, articles))
}

pub fn compile(root: &Path, content_dir: &Path, drafts: bool) -> anyhow::Result<Output> {
    let (site, articles) = read_sources(root, content_dir)?;
    match keel_content::compile(&site, &articles, &ContentOptions { drafts, ..Default::default() }) {
        Ok(out) => Ok(out),
        Err(diagnostics) => {
            eprintln!();
            for d in &diagnostics {
                eprintln!("{d}");
            }
            bail!(
                "{} problem{} in content/; nothing was written and the previous build is untouched",
                diagnostics.len(),
                if diagnostics.len() == 1 { "" } else { "s" }
            )
        }
    }
}

/// Compile `content_dir` and list what it would write; with `out`, write it there.
pub fn check_content(root: &Path, content_dir: &Path, out_dir: Option<&Path>, drafts: bool) -> anyhow::Result<()> {
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

pub fn site(root: &Path, opts: &Options) -> anyhow::Result<()> {
    let started = Instant::now();
    // Content first: an authoring error fails in a second, before any build.
    let content = compile(root, &root.join("content"), opts.drafts)?;
    eprintln!("content: {} articles, {} files", content.articles.len(), content.files.len());

    let stage = root.join("target/keel-build/dist");
    sh(Command::new("cargo").args(["fetch", "--quiet"]).current_dir(root))?;
    sh(Command::new("trunk")
        .args(["build", "--release", "--dist"])
        .arg(&stage)
        .env("PATH", tool_path(root))
        .current_dir(root))?;

    for (url, bytes) in &content.files {
        write(&stage, url, bytes)?;
    }
    // Every route as static HTML: readable before (and without) the wasm, with
    // real head tags per URL. 404.html is what static hosts serve for unknown paths.
    let shell = std::fs::read_to_string(stage.join("index.html"))?;
    let t = Instant::now();
    let pages = keel_prerender::render_site(&shell, &content.files)?;
    for page in &pages {
        write(&stage, &page.file, page.html.as_bytes())?;
    }
    eprintln!("prerendered {} pages in {:.0} ms", pages.len(), t.elapsed().as_secs_f64() * 1000.0);
    let _ = std::fs::remove_file(stage.join(".trunk-lock"));
    precompress(&stage)?;
    swap_into_place(&stage, &root.join("dist"))?;
    eprintln!("Built dist/ in {:.1} s", started.elapsed().as_secs_f64());
    Ok(())
}

fn write(dir: &Path, url: &str, bytes: &[u8]) -> anyhow::Result<()> {
    let path = dir.join(url.trim_start_matches('/'));
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(&path, bytes).with_context(|| format!("writing {}", path.display()))
}

fn compressible(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("html" | "js" | "css" | "json" | "wasm" | "xml" | "svg" | "txt")
    )
}

/// Write `.br` and `.gz` siblings, so a CDN or the server sends them as they are.
fn precompress(dir: &Path) -> anyhow::Result<()> {
    for entry in walk(dir)? {
        if !compressible(&entry) {
            continue;
        }
        let bytes = std::fs::read(&entry)?;
        let mut br = Vec::new();
        {
            let mut w = brotli::CompressorWriter::new(&mut br, 4096, 11, 22);
            w.write_all(&bytes)?;
        }
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        gz.write_all(&bytes)?;
        let gz = gz.finish()?;
        let name = entry.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_string();
        std::fs::write(entry.with_file_name(format!("{name}.br")), br)?;
        std::fs::write(entry.with_file_name(format!("{name}.gz")), gz)?;
    }
    Ok(())
}

pub fn walk(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            out.extend(walk(&path)?);
        } else {
            out.push(path);
        }
    }
    out.sort();
    Ok(out)
}

fn swap_into_place(stage: &Path, dist: &Path) -> anyhow::Result<()> {
    let old = dist.with_extension("old");
    let _ = std::fs::remove_dir_all(&old);
    if dist.exists() {
        std::fs::rename(dist, &old).with_context(|| format!("moving the previous {} aside", dist.display()))?;
    }
    std::fs::rename(stage, dist).with_context(|| format!("moving the new build into {}", dist.display()))?;
    let _ = std::fs::remove_dir_all(&old);
    Ok(())
}

/// Build the server in the `server` profile (optimised, quick to link).
pub fn server_binary(root: &Path) -> anyhow::Result<()> {
    sh(Command::new("cargo").args(["build", "--profile", "server", "-p", "keel-server"]).current_dir(root))
}

pub fn print_sizes(dist: &Path) -> anyhow::Result<()> {
    let mut any = false;
    for path in walk(dist)? {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        if name.ends_with(".wasm") || (name.ends_with(".js") && !path.to_string_lossy().contains("/api/")) || name == "index.html" {
            let raw = std::fs::metadata(&path)?.len();
            let size = |ext: &str| std::fs::metadata(path.with_file_name(format!("{name}.{ext}"))).map(|m| m.len()).unwrap_or(0);
            let shown = path.strip_prefix(dist).unwrap_or(&path).display().to_string();
            println!("{shown:<90} raw {raw:>8}  gzip {:>8}  brotli {:>8}", size("gz"), size("br"));
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

    /// A root with the bundled site.toml, the given articles, and a previous build.
    fn scratch(articles: &[(&str, &str)]) -> PathBuf {
        let root = std::env::temp_dir().join(format!("keel-xtask-{}-{}", std::process::id(), articles.len()));
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
    fn a_broken_article_fails_the_build_and_leaves_dist_alone() {
        let good = "+++\ntitle = \"Good\"\ndate = 2025-01-01\nsummary = \"s\"\n[author]\nname = \"A\"\nrole = \"R\"\n+++\nBody.\n";
        let bad = "+++\ntitle = \"Bad\"\ndate = 2025-01-01\nsumary = \"typo\"\n[author]\nname = \"A\"\nrole = \"R\"\n+++\n";
        let root = scratch(&[("good.md", good), ("bad.md", bad)]);
        let err = site(&root, &Options::default()).unwrap_err().to_string();
        assert!(err.contains("nothing was written"), "{err}");
        assert_eq!(std::fs::read_to_string(root.join("dist/index.html")).unwrap(), "previous build");
        assert!(!root.join("target/keel-build").exists(), "nothing was staged");
        let _ = std::fs::remove_dir_all(&root);
    }

    #[test]
    fn diagnostics_name_the_file_relative_to_the_root() {
        let bad = "+++\ntitle = \"Bad\"\ndate = 2025-01-01\nsummary = \"s\"\nauthor = \"nobody\"\n+++\n";
        let root = scratch(&[("bad-author.md", bad)]);
        let (site, articles) = read_sources(&root, &root.join("content")).unwrap();
        let errors = keel_content::compile(&site, &articles, &Default::default()).err().unwrap();
        assert_eq!(errors[0].to_string(), "content/articles/bad-author.md:5: front matter: invalid type: string \"nobody\", expected an [author] table with name and role");
        let _ = std::fs::remove_dir_all(&root);
    }
}
