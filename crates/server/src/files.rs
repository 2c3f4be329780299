//! The built site (`dist/`), held in memory: every file with its strong ETag,
//! its content type, its cache policy and its brotli and gzip forms.
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
    /// For HTML: the Content-Security-Policy, allowing exactly its inline scripts.
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
        walk(dir, dir, &mut raw)
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
                csp: content_type
                    .starts_with("text/html")
                    .then(|| csp_for(bytes)),
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

fn walk(root: &Path, dir: &Path, out: &mut HashMap<String, Vec<u8>>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        if entry.file_type()?.is_dir() {
            walk(root, &path, out)?;
        } else {
            let rel = path.strip_prefix(root).expect("walk stays under root");
            let url = format!("/{}", rel.to_string_lossy().replace('\\', "/"));
            out.insert(url, std::fs::read(&path)?);
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
    fn etag_is_strong_and_content_addressed() {
        assert_eq!(etag(b"a"), etag(b"a"));
        assert_ne!(etag(b"a"), etag(b"b"));
        assert!(etag(b"a").starts_with('"') && !etag(b"a").starts_with("W/"));
    }
}
