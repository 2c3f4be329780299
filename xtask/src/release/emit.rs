//! Writing the site: every page rendered (or linked from the cache), every
//! file written with its `.br`/`.gz` siblings on a pool of threads, the
//! headers rules for static hosts, and the final swap into `dist/`.

use super::*;

#[derive(Default)]
pub(super) struct Stats {
    pub(super) written: AtomicU64,
    pub(super) compressible: AtomicU64,
    pub(super) compressed: AtomicU64,
    pub(super) compress_nanos: AtomicU64,
    /// Of which at `Effort::Best`.
    pub(super) best_nanos: AtomicU64,
    pub(super) pages: Mutex<PageStats>,
}

#[derive(Clone, Default)]
pub(super) struct PageStats {
    pub(super) total: usize,
    pub(super) rendered: usize,
    pub(super) render_time: Duration,
}

/// Write the SPA, the API documents and every prerendered page into `stage`
/// with their `.br`/`.gz` siblings. Pages are rendered on one thread (see
/// `keel_prerender::Renderer`) while the others write and compress, through a
/// short queue so memory stays bounded whatever the size of the site.
/// The identity of this program's build. The content compiler and the SPA's
/// code are compiled into it, so compiled articles and rendered pages are
/// cached under it: a new build of xtask starts from a clean slate.
pub(super) fn exe_stamp() -> anyhow::Result<String> {
    let exe = std::fs::metadata(std::env::current_exe()?)?;
    Ok(format!("{}-{:?}", exe.len(), exe.modified()?))
}

/// Compiled articles in the build cache.
pub(super) struct ArticleStore<'a> {
    pub(super) cache: &'a Cache,
    pub(super) stamp: &'a str,
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

pub(super) fn emit_all(
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
        playground: shell_for(spa, Bundle::Playground, &deploy.base)?,
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
        // the same file, and sometimes win. The other shells are no pages at all.
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
pub(super) fn compressed_key(
    effort: keel_compress::Effort,
    bytes: &[u8],
    source: Option<&str>,
) -> String {
    let effort = format!("{effort:?}");
    match source {
        Some(k) => cache::key(&[b"compressed-from-v1", effort.as_bytes(), k.as_bytes()]),
        None => cache::key(&[b"compressed-v1", effort.as_bytes(), bytes]),
    }
}

/// Link an unchanged page and its compressed forms into `stage`; false when
/// any of them is missing from the cache.
pub(super) fn link_page(
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
pub(super) fn emit(
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
pub(super) fn host_rules(stage: &Path, partners: &[String]) -> anyhow::Result<usize> {
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

pub(super) fn write(dir: &Path, url: &str, bytes: &[u8]) -> anyhow::Result<()> {
    let path = dir.join(url.trim_start_matches('/'));
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(&path, bytes).with_context(|| format!("writing {}", path.display()))
}

/// Rename `stage` into `dist`. The previous `dist` goes into `trash` (the
/// next build deletes it while it compiles; deleting ten thousand files takes
/// seconds on a busy disk), or, across file systems, is deleted now.
pub(super) fn swap_into_place(stage: &Path, dist: &Path, trash: &Path) -> anyhow::Result<()> {
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
