//! How every file of the built site (`dist/`) is served: its content type,
//! its cache policy, the Content-Security-Policy of each page, and the
//! security headers on every answer.
//!
//! One set of rules, three users: the Keel server applies them to what it
//! serves, and the build writes them for static hosts as `dist/_headers`
//! (Netlify, Cloudflare Pages) and `dist/nginx.conf` (`hosts`).
//!
//! Partner sites (`allowed_origins` in the server's configuration; `partners`)
//! may frame the pages under `/embed/` and load the public, immutable files a
//! widget needs (`PUBLIC_ASSET_HEADERS`).

pub mod hosts;
pub mod partners;

use base64::Engine;
use keel_model::doc::MEDIA_DIR;
use sha2::{Digest, Sha256};

/// Headers on every answer, pages, files and API errors alike.
pub const SECURITY_HEADERS: [(&str, &str); 3] = [
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "strict-origin-when-cross-origin"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
];

/// Headers of a file a partner page may load from another origin (the inline
/// embed mode `import()`s the hashed JS glue and fetches the wasm; the loader
/// is under `/embed/`): readable by any origin, and loadable by a page that
/// requires CORP (`Cross-Origin-Embedder-Policy: require-corp`). Only public,
/// read-only files get them (`is_public_asset`).
pub const PUBLIC_ASSET_HEADERS: [(&str, &str); 2] = [
    ("Access-Control-Allow-Origin", "*"),
    ("Cross-Origin-Resource-Policy", "cross-origin"),
];

/// Headers of the embed views' pages (`/embed/…`, HTML): a partner page that
/// isolates itself (`Cross-Origin-Embedder-Policy: require-corp` or
/// `credentialless`) may frame only a document that allows being loaded
/// cross-origin (CORP) and isolates itself in turn (COEP). Our pages load
/// only their own files, and the API with CORS, so require-corp costs them
/// nothing. Our site's other pages keep neither (nothing frames them).
pub const EMBED_PAGE_HEADERS: [(&str, &str); 2] = [
    ("Cross-Origin-Resource-Policy", "cross-origin"),
    ("Cross-Origin-Embedder-Policy", "require-corp"),
];

/// Whether URL path `path` is under `/embed/`: the widgets' pages and loader.
pub fn is_embed_path(path: &str) -> bool {
    path == "/embed" || path.starts_with("/embed/")
}

/// Whether URL path `path` is an image file the build wrote (`/media/`,
/// named by a content hash: `keel_model::doc::Image`). The static hosts'
/// files give the folder one rule, however many articles show images.
pub fn is_media(path: &str) -> bool {
    path.starts_with(MEDIA_DIR)
}

/// The Content-Security-Policy of every file under `/media/`. An `<img>`
/// ignores it; it matters when a file is opened on its own, where an SVG is a
/// document of our origin. The build refuses SVGs with scripts or references
/// (`keel_content::images`); this policy is the second lock: such a document
/// runs nothing, loads nothing and gets an opaque origin (`sandbox`). Its
/// `<style>` elements still apply, so diagrams look as they do on the page.
pub const MEDIA_CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; sandbox";

/// Whether the file at URL path `path` gets `PUBLIC_ASSET_HEADERS`: trunk's
/// hashed output (the JS glue, the wasm), the images (an inline embed shows
/// covers on a partner's page), and every file under `/embed/` except its
/// HTML pages, which keep the headers of every page.
pub fn is_public_asset(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    !content_type(path).starts_with("text/html")
        && (has_content_hash(name) || is_media(path) || is_embed_path(path) && name.contains('.'))
}

/// The `frame-ancestors` sources of the page at URL path `path`: the site
/// itself, and for the embed pages (`/embed/…`) every partner origin as well.
pub fn frame_ancestors(path: &str, partners: &[String]) -> String {
    let mut out = String::from("'self'");
    if is_embed_path(path) {
        for origin in partners {
            out.push(' ');
            out.push_str(origin);
        }
    }
    out
}

/// `csp` (a policy from `csp_for`) with the `frame-ancestors` of the page at
/// `path` (`frame_ancestors`).
pub fn with_frame_ancestors(csp: &str, path: &str, partners: &[String]) -> String {
    let directive = format!("frame-ancestors {}", frame_ancestors(path, partners));
    let mut found = false;
    let mut parts: Vec<String> = csp
        .split(';')
        .map(|d| {
            if d.trim_start().starts_with("frame-ancestors") {
                found = true;
                format!(" {directive}")
            } else {
                d.to_string()
            }
        })
        .collect();
    if !found {
        parts.push(format!(" {directive}"));
    }
    parts.join(";")
}

/// The Content-Security-Policy of the page at URL path `path` whose bytes are
/// `html`: `csp_for` with the page's `frame_ancestors`.
pub fn page_csp(path: &str, html: &[u8], partners: &[String]) -> String {
    with_frame_ancestors(&csp_for(html), path, partners)
}

/// The Cache-Control of every error answer (the JSON `ApiError` bodies).
pub const ERROR_CACHE_CONTROL: &str = "no-store";

/// Files the build writes for static hosts: configuration, not site content.
pub const HOST_FILES: [&str; 2] = ["/_headers", "/nginx.conf"];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CachePolicy {
    /// Names carry a content hash (trunk's output, the images): cache for a year.
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
    } else if has_content_hash(name) || is_media(path) {
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
/// Styles: our own files and the page's own `<style>` elements, by their
/// SHA-256 as well (the stylesheet is made at build time; the app writes no
/// `<style>` and no `style` attribute, and sets styles only through CSSOM,
/// which CSP does not govern).
pub fn csp_for(html: &[u8]) -> String {
    let html = String::from_utf8_lossy(html);
    let scripts = inline_hashes(&html, "script", |open| {
        !open.contains(" src=")
            && !open.contains("application/json")
            && !open.contains("application/ld+json")
    });
    let styles = inline_hashes(&html, "style", |_| true);
    // A deploy with its API on another origin says so in the page
    // (`<meta name="keel-api">`): the page may read from it and post to it.
    let api = api_origin(&html)
        .map(|o| format!(" {o}"))
        .unwrap_or_default();
    format!(
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'{scripts}; style-src 'self'{styles}; \
         img-src 'self' data:; connect-src 'self'{api}; font-src 'self'; base-uri 'self'; form-action 'self'{api}; \
         frame-ancestors 'self'; object-src 'none'"
    )
}

/// ` 'sha256-…'` for the text of each non-empty `<tag>` element of `html`
/// whose opening tag `wanted` accepts.
fn inline_hashes(html: &str, tag: &str, wanted: impl Fn(&str) -> bool) -> String {
    let (open_tag, close_tag) = (format!("<{tag}"), format!("</{tag}>"));
    let mut hashes = String::new();
    let mut rest = html;
    while let Some(start) = rest.find(&open_tag) {
        let after = &rest[start..];
        let Some(open_end) = after.find('>') else {
            break;
        };
        let open = &after[..open_end];
        let body_start = open_end + 1;
        let Some(close) = after[body_start..].find(&close_tag) else {
            break;
        };
        let body = &after[body_start..body_start + close];
        if wanted(open) && !body.trim().is_empty() {
            let digest = Sha256::digest(body.as_bytes());
            hashes.push_str(&format!(
                " 'sha256-{}'",
                base64::engine::general_purpose::STANDARD.encode(digest)
            ));
        }
        rest = &after[body_start + close..];
    }
    hashes
}

/// The origin a page names as its API's (`<meta name="keel-api" content>`),
/// if it is a plain http(s) origin.
fn api_origin(html: &str) -> Option<String> {
    let start = html.find("<meta name=\"keel-api\" content=\"")?
        + "<meta name=\"keel-api\" content=\"".len();
    let value = &html[start..start + html[start..].find('"')?];
    partners::normalize_origin(value)
        .ok()
        .filter(|o| o == value)
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
    fn a_page_with_its_api_elsewhere_may_read_from_it_and_post_to_it() {
        let page = br#"<head><meta name="keel-api" content="https://api.keel.example"></head>"#;
        let csp = csp_for(page);
        assert!(
            csp.contains("connect-src 'self' https://api.keel.example;"),
            "{csp}"
        );
        assert!(
            csp.contains("form-action 'self' https://api.keel.example;"),
            "{csp}"
        );
        // Anything but a plain origin is ignored, never pasted into the policy.
        for bad in [
            "https://api.keel.example/x",
            "https://a.example; script-src *",
            "javascript:x",
        ] {
            let page = format!(r#"<meta name="keel-api" content="{bad}">"#);
            let csp = csp_for(page.as_bytes());
            assert!(
                csp.contains("connect-src 'self';") && csp.contains("form-action 'self';"),
                "{bad}: {csp}"
            );
        }
        assert!(csp_for(b"<head></head>").contains("connect-src 'self';"));
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
    fn csp_allows_exactly_the_page_s_own_styles() {
        let csp = csp_for(b"<style>html{margin:0}</style><style data-keel-style>.keel{color:red}</style><script>x()</script>");
        let style_src = directive(&csp, "style-src");
        assert!(!style_src.contains("unsafe-inline"), "{style_src}");
        // base64 of SHA-256("html{margin:0}") and of ".keel{color:red}".
        let hash = |text: &str| {
            base64::engine::general_purpose::STANDARD.encode(Sha256::digest(text.as_bytes()))
        };
        assert_eq!(
            style_src,
            format!(
                "style-src 'self' 'sha256-{}' 'sha256-{}'",
                hash("html{margin:0}"),
                hash(".keel{color:red}")
            )
        );
        assert!(
            !directive(&csp, "script-src").contains(&hash("html{margin:0}")),
            "styles are not scripts"
        );
    }

    fn directive<'a>(csp: &'a str, name: &str) -> &'a str {
        csp.split(';')
            .map(str::trim)
            .find(|d| d.starts_with(name))
            .unwrap_or("")
    }

    #[test]
    fn embed_pages_may_be_framed_by_partners_and_no_other_page_may() {
        let partners = vec![
            "https://partner.example".to_string(),
            "http://localhost:3000".to_string(),
        ];
        let html = b"<script type=module>boot()</script>";
        for path in [
            "/embed/articles/index.html",
            "/embed/article/a/",
            "/embed/contact",
        ] {
            let csp = page_csp(path, html, &partners);
            assert_eq!(
                directive(&csp, "frame-ancestors"),
                "frame-ancestors 'self' https://partner.example http://localhost:3000",
                "{path}: {csp}"
            );
            assert_eq!(csp.matches("frame-ancestors").count(), 1, "{csp}");
            assert_eq!(
                directive(&csp, "script-src"),
                directive(&csp_for(html), "script-src")
            );
        }
        for path in [
            "/",
            "/index.html",
            "/articles/a/",
            "/contact/index.html",
            "/embedded/",
            "/404.html",
        ] {
            let csp = page_csp(path, html, &partners);
            assert_eq!(
                directive(&csp, "frame-ancestors"),
                "frame-ancestors 'self'",
                "{path}: {csp}"
            );
        }
        assert_eq!(
            directive(&page_csp("/embed/contact/", html, &[]), "frame-ancestors"),
            "frame-ancestors 'self'",
            "no partners: the site only"
        );
    }

    #[test]
    fn public_assets_are_the_hashed_files_and_the_embed_files_but_no_page() {
        assert!(is_public_asset("/keel-0123456789abcdef_bg.wasm"));
        assert!(is_public_asset("/keel-0123456789abcdef.js"));
        assert!(
            is_public_asset("/keel-embed-0123456789abcdef_bg.wasm"),
            "the embed views' own bundle"
        );
        assert!(is_public_asset("/keel-embed-0123456789abcdef.js"));
        assert!(is_public_asset("/embed/v1.js"));
        assert!(!is_public_asset("/embed/contact/index.html"));
        assert!(!is_public_asset("/embed/contact/"));
        assert!(!is_public_asset("/index.html"));
        assert!(!is_public_asset("/api/v1/site.json"));
        assert!(!is_public_asset("/assets/favicon.svg"));
        // The images: loaded by inline embeds on partners' pages, never changed.
        assert!(is_public_asset("/media/0123456789abcdef-480.avif"));
        assert_eq!(
            cache_policy("/media/0123456789abcdef-720.svg"),
            CachePolicy::Immutable
        );
        assert_eq!(cache_policy("/cards/home.png"), CachePolicy::Revalidate);
    }
}
