//! How every file of the built site (`dist/`) is served: its content type,
//! its cache policy, the Content-Security-Policy of each page, and the
//! security headers on every answer.
//!
//! One set of rules, three users: the Keel server applies them to what it
//! serves, and the build writes them for static hosts as `dist/_headers`
//! (Netlify, Cloudflare Pages) and `dist/nginx.conf` (`hosts`).

pub mod hosts;

use base64::Engine;
use sha2::{Digest, Sha256};

/// Headers on every answer, pages, files and API errors alike.
pub const SECURITY_HEADERS: [(&str, &str); 3] = [
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "strict-origin-when-cross-origin"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
];

/// The Cache-Control of every error answer (the JSON `ApiError` bodies).
pub const ERROR_CACHE_CONTROL: &str = "no-store";

/// Files the build writes for static hosts: configuration, not site content.
pub const HOST_FILES: [&str; 2] = ["/_headers", "/nginx.conf"];

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

/// The cache policy of the file at URL path `path`.
pub fn cache_policy(path: &str) -> CachePolicy {
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
pub fn has_content_hash(name: &str) -> bool {
    let stem = name
        .split('.')
        .next()
        .unwrap_or(name)
        .trim_end_matches("_bg");
    stem.rsplit_once('-').is_some_and(|(_, h)| {
        (12..=16).contains(&h.len()) && h.bytes().all(|b| b.is_ascii_hexdigit())
    })
}

/// The Content-Type of the file at URL path `path`.
pub fn content_type(path: &str) -> String {
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
}
