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

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CachePolicy {
    /// Names carry a content hash (trunk's output): cache for a year.
    Immutable,
    /// API documents: short freshness, revalidate with the ETag.
    Api,
    /// HTML and everything else: always revalidate.
    Revalidate,
}

impl CachePolicy {
    pub fn header(self) -> &'static str {
        match self {
            CachePolicy::Immutable => "public, max-age=31536000, immutable",
            // A minute fresh at the CDN and browser, then served stale while it revalidates.
            CachePolicy::Api => "public, max-age=60, stale-while-revalidate=600",
            CachePolicy::Revalidate => "no-cache",
        }
    }
}

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
            if path.ends_with(".br") || path.ends_with(".gz") {
                continue;
            }
            let content_type = content_type(path);
            // The build's rule (keel-compress), for files it left without siblings.
            let plan = keel_compress::plan(path, bytes.len());
            let br = raw.get(&format!("{path}.br")).cloned().or_else(|| plan.map(|e| keel_compress::brotli(bytes, e)));
            let gzip = raw.get(&format!("{path}.gz")).cloned().or_else(|| plan.map(|e| keel_compress::gzip(bytes, e)));
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

/// The page's Content-Security-Policy. Scripts: our own files, wasm, and the
/// inline scripts this very page carries (trunk's bootstrap, prerendered data),
/// each allowed by its SHA-256, so an injected inline script would not run.
/// Styles allow inline because stylist writes `<style>` elements at run time.
pub fn csp_for(html: &[u8]) -> String {
    let html = String::from_utf8_lossy(html);
    let mut hashes = String::new();
    let mut rest = html.as_ref();
    while let Some(start) = rest.find("<script") {
        let after = &rest[start..];
        let Some(open_end) = after.find('>') else {
            break;
        };
        let open = &after[..open_end];
        let body_start = open_end + 1;
        let Some(close) = after[body_start..].find("</script>") else {
            break;
        };
        let body = &after[body_start..body_start + close];
        if !open.contains(" src=")
            && !body.trim().is_empty()
            && !open.contains("application/json")
            && !open.contains("application/ld+json")
        {
            let digest = Sha256::digest(body.as_bytes());
            hashes.push_str(&format!(
                " 'sha256-{}'",
                base64::engine::general_purpose::STANDARD.encode(digest)
            ));
        }
        rest = &after[body_start + close..];
    }
    format!(
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'{hashes}; style-src 'self' 'unsafe-inline'; \
         img-src 'self' data:; connect-src 'self'; font-src 'self'; base-uri 'self'; form-action 'self'; \
         frame-ancestors 'self'; object-src 'none'"
    )
}

pub fn etag(bytes: &[u8]) -> String {
    let hash = Sha256::digest(bytes);
    // 128 bits are plenty for a validator and keep the header short.
    format!(
        "\"{}\"",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&hash[..16])
    )
}

fn content_type(path: &str) -> String {
    match path.rsplit_once('.').map(|(_, e)| e) {
        Some("json") => "application/json".into(),
        Some("html") => "text/html; charset=utf-8".into(),
        Some("js") | Some("mjs") => "text/javascript; charset=utf-8".into(),
        Some("css") => "text/css; charset=utf-8".into(),
        Some("wasm") => "application/wasm".into(),
        Some("xml") if path.ends_with("feed.xml") => "application/atom+xml; charset=utf-8".into(),
        Some("xml") => "application/xml; charset=utf-8".into(),
        Some("txt") => "text/plain; charset=utf-8".into(),
        Some("svg") => "image/svg+xml".into(),
        _ => mime_guess::from_path(path)
            .first_or_octet_stream()
            .to_string(),
    }
}

fn cache_policy(path: &str) -> CachePolicy {
    let name = path.rsplit('/').next().unwrap_or(path);
    if path.starts_with("/api/") {
        CachePolicy::Api
    } else if has_content_hash(name) {
        CachePolicy::Immutable
    } else {
        CachePolicy::Revalidate
    }
}

/// Trunk names its output `keel-<hash>_bg.wasm`, `keel-<hash>.js`: a 64-bit
/// hash in hex, so up to 16 digits (fewer when it starts with zeros).
fn has_content_hash(name: &str) -> bool {
    let stem = name
        .split('.')
        .next()
        .unwrap_or(name)
        .trim_end_matches("_bg");
    stem.rsplit_once('-').is_some_and(|(_, h)| {
        (12..=16).contains(&h.len()) && h.bytes().all(|b| b.is_ascii_hexdigit())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashed_names() {
        assert!(has_content_hash("keel-0123456789abcdef_bg.wasm"));
        assert!(has_content_hash("keel-0123456789abcdef.js"));
        assert!(
            has_content_hash("keel-85351df2a922dd1_bg.wasm"),
            "a hash with a leading zero dropped"
        );
        assert!(!has_content_hash("index.html"));
        assert!(!has_content_hash("why-backend-developers.json"));
        assert_eq!(cache_policy("/api/v1/site.json"), CachePolicy::Api);
        assert_eq!(cache_policy("/index.html"), CachePolicy::Revalidate);
    }

    #[test]
    fn csp_allows_exactly_the_inline_scripts() {
        let csp = csp_for(b"<script type=module>boot()</script><script src=/a.js></script><script type=application/json>{}</script>");
        assert_eq!(csp.matches("'sha256-").count(), 1);
        let script_src = csp
            .split(';')
            .find(|d| d.trim_start().starts_with("script-src"))
            .unwrap();
        assert!(!script_src.contains("unsafe-inline"), "{script_src}");
    }

    #[test]
    fn etag_is_strong_and_content_addressed() {
        assert_eq!(etag(b"a"), etag(b"a"));
        assert_ne!(etag(b"a"), etag(b"b"));
        assert!(etag(b"a").starts_with('"') && !etag(b"a").starts_with("W/"));
    }
}
