//! Reads of the built site: files by path, a page by its folder
//! (`/a` and `/a/` are `/a/index.html`), and real 404s for everything else.
//!
//! The server keeps no route table: the pages that exist are the pages the
//! build wrote (one per route and article, from the SPA's `route.rs`), as a
//! static host serving `dist/` would find them.

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};

use crate::AppState;
use crate::error::Error;
use crate::files::{Asset, SiteFiles};

pub async fn serve(
    State(state): State<AppState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    if method != Method::GET && method != Method::HEAD {
        return Error::MethodNotAllowed(method.to_string()).into_response();
    }
    let path = uri.path();
    let files = &state.files;
    if let Some(asset) = lookup(files, path) {
        return send(asset, StatusCode::OK, &headers);
    }
    if path.starts_with("/api/") {
        return Error::NotFound.into_response();
    }
    let last = path.rsplit('/').next().unwrap_or("");
    if last.contains('.') {
        // A missing asset: a plain 404, never the HTML shell (a script tag
        // pointing here must fail loudly, not parse HTML as JavaScript).
        return Error::NotFound.into_response();
    }
    // A page the site does not have: the not-found page, whose app renders
    // the 404 view at whatever path it is opened. Under /embed/, the embed
    // views' own (in a partner's page, our site's would show our chrome).
    let embed_404 = keel_site_rules::is_embed_path(path)
        .then(|| files.get("/embed/404.html"))
        .flatten();
    match embed_404
        .or_else(|| files.get("/404.html"))
        .or_else(|| files.get("/index.html"))
    {
        Some(page) => send(page, StatusCode::NOT_FOUND, &headers),
        None => Error::Unavailable("The site is not built yet: run `cargo xtask build`.".into())
            .into_response(),
    }
}

/// The file at `path`, or `path/index.html` for a directory.
fn lookup<'a>(files: &'a SiteFiles, path: &str) -> Option<&'a Asset> {
    if path.ends_with('/') {
        return files.get(&format!("{path}index.html"));
    }
    files.get(path).or_else(|| {
        let last = path.rsplit('/').next().unwrap_or("");
        (!last.contains('.') && path != "/")
            .then(|| files.get(&format!("{path}/index.html")))
            .flatten()
    })
}

fn send(asset: &Asset, status: StatusCode, req: &HeaderMap) -> Response {
    // The representation first: each encoding is its own entity with its own
    // validator, so a cache can never revalidate a gzip body into a br one.
    let (encoding, body) = match preferred_encoding(req) {
        Some("br") if asset.br.is_some() => (Some("br"), asset.br.clone()),
        Some(_) | None if accepts(req, "gzip") && asset.gzip.is_some() => {
            (Some("gzip"), asset.gzip.clone())
        }
        _ => (None, None),
    };
    let etag = asset.etag_for(encoding);
    let mut res = Response::builder()
        .header(header::ETAG, &etag)
        .header(header::CACHE_CONTROL, asset.cache.header())
        .header(header::VARY, "Accept-Encoding");
    // Only a 200 is revalidated: a 404 shell must not turn into a 304.
    if status == StatusCode::OK && etag_matches(req, &etag) {
        return res
            .status(StatusCode::NOT_MODIFIED)
            .body(Body::empty())
            .expect("valid response");
    }
    res = res
        .status(status)
        .header(header::CONTENT_TYPE, &asset.content_type);
    if let Some(enc) = encoding {
        res = res.header(header::CONTENT_ENCODING, enc);
    }
    if let Some(csp) = &asset.csp {
        res = res.header(header::CONTENT_SECURITY_POLICY, csp);
    }
    res.body(Body::from(body.unwrap_or_else(|| asset.body.clone())))
        .expect("valid response")
}

/// Weak comparison, as RFC 9110 specifies for If-None-Match.
fn etag_matches(req: &HeaderMap, etag: &str) -> bool {
    req.get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| {
            v.split(',')
                .map(str::trim)
                .any(|t| t == "*" || t.trim_start_matches("W/") == etag)
        })
}

fn accepts(req: &HeaderMap, coding: &str) -> bool {
    codings(req).any(|(c, q)| c.eq_ignore_ascii_case(coding) && q > 0.0)
}

fn preferred_encoding(req: &HeaderMap) -> Option<&'static str> {
    if accepts(req, "br") {
        Some("br")
    } else if accepts(req, "gzip") {
        Some("gzip")
    } else {
        None
    }
}

fn codings(req: &HeaderMap) -> impl Iterator<Item = (&str, f32)> {
    req.get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|part| {
            let mut it = part.split(';');
            let coding = it.next().unwrap_or("").trim();
            let q = it
                .find_map(|p| p.trim().strip_prefix("q="))
                .and_then(|q| q.parse::<f32>().ok())
                .unwrap_or(1.0);
            (coding, q)
        })
}
