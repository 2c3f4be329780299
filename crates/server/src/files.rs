//! The built site (`dist/`), held in memory: every file with its strong ETag,
//! its content type, its cache policy and its brotli and gzip forms.
//!
//! Only the site is read: a dotfile or dot-folder (`.env`, `.git/`, an
//! editor's swap file) is never loaded, so never served, but `.well-known/`
//! (RFC 8615: `security.txt`, ACME challenges) is. A symbolic link is followed
//! only when it points inside `dist/`; one that leads out (a link to the
//! server's `keel.toml`) stops the server at start with its name.
//!
//! Precompressed `.br`/`.gz` siblings written by the build are used as they
//! are; anything compressible without them is compressed once at load. The
//! server therefore answers every read from memory, with the same bytes a CDN
//! serving `dist/` would send.

use std::collections::HashMap;
use std::path::Path;

use anyhow::Context;
use axum::body::Bytes;
use base64::Engine;
use sha2::{Digest, Sha256};

pub use keel_site_rules::{CachePolicy, csp_for};
use keel_site_rules::{cache_policy, content_type};

#[derive(Clone, Debug)]
pub struct Asset {
    pub body: Bytes,
    pub br: Option<Bytes>,
    pub gzip: Option<Bytes>,
    /// Strong validator of the identity body: a hash of the bytes, quoted.
    /// The compressed forms get their own (`etag_for`).
    pub etag: String,
    pub content_type: String,
    pub cache: CachePolicy,
    /// For HTML: the Content-Security-Policy, allowing exactly its inline
    /// scripts; for the images under `/media/`, `MEDIA_CSP`.
    pub csp: Option<String>,
}

#[derive(Clone, Debug, Default)]
pub struct SiteFiles {
    files: HashMap<String, Asset>,
}

impl Asset {
    /// The ETag of the body sent with `Content-Encoding: encoding` (none: identity).
    /// A strong validator names one representation, so each encoding has its own.
    pub fn etag_for(&self, encoding: Option<&str>) -> String {
        match encoding {
            None => self.etag.clone(),
            Some(enc) => format!("{}-{enc}\"", self.etag.trim_end_matches('"')),
        }
    }
}

impl SiteFiles {
    pub fn load(dir: &Path) -> anyhow::Result<SiteFiles> {
        let mut raw: HashMap<String, Vec<u8>> = HashMap::new();
        let root = dir
            .canonicalize()
            .with_context(|| format!("reading the built site in {}", dir.display()))?;
        let mut seen = vec![root.clone()];
        walk(&root, &root, &root, &mut raw, &mut seen)
            .with_context(|| format!("reading the built site in {}", dir.display()))?;
        Ok(SiteFiles::from_map(raw))
    }

    /// The site from URL paths and bytes, as `load` reads them from `dist/`
    /// (tests build one in memory). `.br`/`.gz` siblings become the compressed
    /// forms of their file.
    pub fn from_map(raw: HashMap<String, Vec<u8>>) -> SiteFiles {
        let mut files = HashMap::new();
        for (path, bytes) in &raw {
            // Compressed forms belong to their file; the static hosts'
            // configuration is not part of the site.
            if path.ends_with(".br")
                || path.ends_with(".gz")
                || keel_site_rules::HOST_FILES.contains(&path.as_str())
            {
                continue;
            }
            let content_type = content_type(path);
            // The build's rule (keel-compress), for files it left without siblings.
            let plan = keel_compress::plan(path, bytes.len());
            let br = raw
                .get(&format!("{path}.br"))
                .cloned()
                .or_else(|| plan.map(|e| keel_compress::brotli(bytes, e)));
            let gzip = raw
                .get(&format!("{path}.gz"))
                .cloned()
                .or_else(|| plan.map(|e| keel_compress::gzip(bytes, e)));
            let asset = Asset {
                etag: etag(bytes),
                body: Bytes::from(bytes.clone()),
                br: br.map(Bytes::from),
                gzip: gzip.map(Bytes::from),
                cache: cache_policy(path),
                csp: if content_type.starts_with("text/html") {
                    Some(csp_for(bytes))
                } else {
                    keel_site_rules::is_media(path).then(|| keel_site_rules::MEDIA_CSP.to_string())
                },
                content_type,
            };
            files.insert(path.clone(), asset);
        }
        SiteFiles { files }
    }

    /// `path` is the URL path, starting with `/`.
    pub fn get(&self, path: &str) -> Option<&Asset> {
        self.files.get(path)
    }

    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }
}

/// Read the folder at `real` into `out`, under the URL folder `url` (the same
/// but below a symbolic link), both under `root` (canonical): dotfiles but
/// `.well-known` are skipped, symbolic links are followed when they stay
/// inside `root` (never into a folder being read: `seen`, the folders from
/// `root` down to here), and refused when they lead out.
fn walk(
    root: &Path,
    real: &Path,
    url: &Path,
    out: &mut HashMap<String, Vec<u8>>,
    seen: &mut Vec<std::path::PathBuf>,
) -> anyhow::Result<()> {
    let mut entries: Vec<_> = std::fs::read_dir(real)?.collect::<Result<_, _>>()?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let name = entry.file_name();
        if name.to_string_lossy().starts_with('.') && name != ".well-known" {
            continue;
        }
        let url_path = url.join(&name);
        let shown = url_path
            .strip_prefix(root)
            .unwrap_or(&url_path)
            .display()
            .to_string();
        let mut path = entry.path();
        if entry.file_type()?.is_symlink() {
            let target = path
                .canonicalize()
                .with_context(|| format!("{shown} is a symbolic link that leads nowhere"))?;
            if !target.starts_with(root) {
                anyhow::bail!(
                    "{shown} is a symbolic link to {}, outside the built site: remove it (the server serves only what is inside)",
                    target.display()
                );
            }
            path = target;
        }
        if path.is_dir() {
            // A folder already being read, further up (a link back up): a loop.
            if !seen.contains(&path) {
                seen.push(path.clone());
                walk(root, &path, &url_path, out, seen)?;
                seen.pop();
            }
        } else {
            let rel = url_path.strip_prefix(root).expect("walk stays under root");
            let url = format!("/{}", rel.to_string_lossy().replace('\\', "/"));
            let bytes = std::fs::read(&path).with_context(|| format!("reading {shown}"))?;
            out.insert(url, bytes);
        }
    }
    Ok(())
}

pub fn etag(bytes: &[u8]) -> String {
    let hash = Sha256::digest(bytes);
    // 128 bits are plenty for a validator and keep the header short.
    format!(
        "\"{}\"",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&hash[..16])
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_site_is_loaded_no_dotfile_and_no_link_out_of_it() {
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("keel.toml"), "admin_token = \"sekret\"").unwrap();
        let dist = tempfile::tempdir().unwrap();
        let d = dist.path();
        std::fs::write(d.join("index.html"), "<p>home</p>").unwrap();
        std::fs::write(d.join(".env"), "SECRET=1").unwrap();
        std::fs::create_dir_all(d.join(".git")).unwrap();
        std::fs::write(d.join(".git/config"), "[core]").unwrap();
        std::fs::create_dir_all(d.join(".well-known")).unwrap();
        std::fs::write(d.join(".well-known/security.txt"), "Contact: x").unwrap();
        std::fs::create_dir_all(d.join("assets")).unwrap();
        std::fs::write(d.join("assets/logo.svg"), "<svg/>").unwrap();
        // Links that stay inside: a file and a folder (and a loop back up).
        std::os::unix::fs::symlink(d.join("index.html"), d.join("home.html")).unwrap();
        std::os::unix::fs::symlink(d.join("assets"), d.join("img")).unwrap();
        std::os::unix::fs::symlink(d, d.join("assets/up")).unwrap();
        let site = SiteFiles::load(d).unwrap();
        let mut paths: Vec<&str> = site.files.keys().map(String::as_str).collect();
        paths.sort();
        assert_eq!(
            paths,
            [
                "/.well-known/security.txt",
                "/assets/logo.svg",
                "/home.html",
                "/img/logo.svg",
                "/index.html"
            ]
        );

        std::os::unix::fs::symlink(outside.path().join("keel.toml"), d.join("config.txt")).unwrap();
        let err = format!("{:#}", SiteFiles::load(d).unwrap_err());
        assert!(
            err.contains("config.txt is a symbolic link to")
                && err.contains("outside the built site"),
            "{err}"
        );
        std::fs::remove_file(d.join("config.txt")).unwrap();
        std::os::unix::fs::symlink(outside.path(), d.join("elsewhere")).unwrap();
        let err = format!("{:#}", SiteFiles::load(d).unwrap_err());
        assert!(err.contains("elsewhere is a symbolic link"), "{err}");
    }

    #[test]
    fn etag_is_strong_and_content_addressed() {
        assert_eq!(etag(b"a"), etag(b"a"));
        assert_ne!(etag(b"a"), etag(b"b"));
        assert!(etag(b"a").starts_with('"') && !etag(b"a").starts_with("W/"));
    }
}
