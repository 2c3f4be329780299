//! Who may use the HTTP surface from another origin, in one layer (`apply`)
//! around every route, so that errors answered by any inner layer or handler
//! (a 413 from the body limit, a 429, a 503, a JSON 404) carry the same
//! headers as a success.
//!
//! - `/api/v1/…` reads and the contact POST answer a partner origin (an entry
//!   of `allowed_origins`) with `Access-Control-Allow-Origin: <that origin>`
//!   on every status, and always `Vary: Origin` (the answer depends on it).
//!   The contact POST also exposes `Retry-After`. A contact POST from any
//!   other foreign origin is refused (403) before the handler runs, so it
//!   stores nothing.
//! - `OPTIONS` (the preflight) under `/api/v1/`: 204 for a partner, a JSON
//!   403 for anyone else.
//! - `/api/v1/admin/…` is same-origin only: never a CORS header, and a
//!   request from a foreign origin is refused (403).
//! - Public, immutable files a partner page loads (trunk's hashed JS glue and
//!   wasm, the files under `/embed/`): readable by any origin and loadable
//!   under COEP (`keel_site_rules::PUBLIC_ASSET_HEADERS`).
//! - The pages under `/embed/` may be framed by the partners
//!   (`frame-ancestors`); every other page by the site only.
//!
//! tower-http's `CorsLayer` was the first choice, but it answers a refused
//! preflight 200 (without headers) rather than the house's JSON 403, has one
//! policy for every path, and cannot tell the site itself (`public_origin`,
//! or the `Host`) from a foreign origin; the rules above are few enough to
//! state directly.

use std::net::SocketAddr;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::AppState;
use crate::error::Error;

/// The request headers a partner page may send with the contact POST.
pub const CONTACT_ALLOW_HEADERS: &str =
    "content-type, idempotency-key, keel-embed-origin, keel-filled-ms, keel-challenge";

/// How long a browser may keep a preflight's answer, in seconds.
pub const PREFLIGHT_MAX_AGE: &str = "600";

/// The header the embed pages (on our origin, framed by a partner page) send
/// with the contact POST: the partner's origin, which must be an entry of
/// `allowed_origins`. The plain form post carries it as the field `embed_origin`.
pub const EMBED_ORIGIN_HEADER: &str = "keel-embed-origin";

/// Where a request comes from, by its `Origin` header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Caller {
    /// No `Origin`: not a browser's cross-origin request (curl, a same-origin GET).
    Unknown,
    /// The site itself (`public_origin`, or the request's `Host`).
    Site,
    /// A partner site: this entry of `allowed_origins`.
    Partner(String),
    /// Any other origin (`null` included).
    Foreign,
}

impl Caller {
    pub fn of(state: &AppState, headers: &HeaderMap, peer: SocketAddr) -> Caller {
        let Some(origin) = headers.get(header::ORIGIN) else {
            return Caller::Unknown;
        };
        let origin = origin.to_str().unwrap_or("");
        if is_same_origin(
            &state.config,
            headers,
            origin,
            state.proxies.trusts(peer.ip()),
        ) {
            Caller::Site
        } else if let Some(o) = state.config.allowed_origins.iter().find(|o| *o == origin) {
            Caller::Partner(o.clone())
        } else {
            Caller::Foreign
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Scope {
    /// The contact intake.
    Contact,
    /// The operator's endpoint.
    Admin,
    /// The API documents.
    Read,
    /// Pages and files.
    Site,
}

fn scope(path: &str) -> Scope {
    let admin = keel_model::paths::admin();
    if path == keel_model::paths::contact() {
        Scope::Contact
    } else if path
        .strip_prefix(admin.as_str())
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
    {
        Scope::Admin
    } else if path
        .strip_prefix(keel_model::paths::API_PREFIX)
        .is_some_and(|rest| rest.starts_with('/'))
    {
        Scope::Read
    } else {
        Scope::Site
    }
}

/// The layer (`axum::middleware::from_fn_with_state`).
pub async fn apply(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    let scope = scope(&path);
    if scope == Scope::Site {
        let mut res = next.run(req).await;
        site_headers(&state, &path, res.headers_mut());
        return res;
    }
    let caller = Caller::of(&state, req.headers(), crate::client::peer(&req));
    if scope == Scope::Admin {
        // Off unless configured: 404 to anything under it (any path, method
        // or query), whoever asks, as if it were not there.
        if state.config.admin_token.is_none() {
            return Error::NotFound.into_response();
        }
        if matches!(caller, Caller::Partner(_) | Caller::Foreign) {
            return Error::Forbidden("the admin endpoint answers the site itself only".into())
                .into_response();
        }
        return next.run(req).await;
    }
    let mut res = if req.method() == Method::OPTIONS {
        preflight(scope, &caller, &state)
    } else if scope == Scope::Contact && caller == Caller::Foreign {
        Error::Forbidden("this origin may not post the contact form".into()).into_response()
    } else {
        next.run(req).await
    };
    let h = res.headers_mut();
    // The answer depends on `Origin` whoever asked: a shared cache must not
    // give a partner the answer it stored for the site, or the reverse.
    h.append(header::VARY, HeaderValue::from_static("Origin"));
    if let Some(origin) = cors_origin(&caller, &state) {
        h.insert(
            header::ACCESS_CONTROL_ALLOW_ORIGIN,
            HeaderValue::from_str(origin).expect("a normalised origin is a header value"),
        );
        if scope == Scope::Contact {
            h.insert(
                header::ACCESS_CONTROL_EXPOSE_HEADERS,
                HeaderValue::from_static("Retry-After"),
            );
        }
    }
    res
}

/// The origin to allow in CORS headers: a partner's; and the site's own when
/// it is `public_origin`, which is another origin than this server's when the
/// site's build put its API here (`--api-origin`; the browser ignores the
/// header on a same-origin answer).
fn cors_origin<'a>(caller: &'a Caller, state: &'a AppState) -> Option<&'a str> {
    match caller {
        Caller::Partner(origin) => Some(origin),
        Caller::Site => state.config.public_origin.as_deref(),
        Caller::Unknown | Caller::Foreign => None,
    }
}

/// The answer to a CORS preflight: 204 with what may be sent, for a partner
/// or the site (see `cors_origin`); a JSON 403 for anyone else (a browser
/// then sends nothing).
fn preflight(scope: Scope, caller: &Caller, state: &AppState) -> Response {
    if cors_origin(caller, state).is_none() {
        return Error::Forbidden("this origin may not use the API from its pages".into())
            .into_response();
    }
    let (methods, headers) = match scope {
        Scope::Contact => ("POST", Some(CONTACT_ALLOW_HEADERS)),
        _ => ("GET, HEAD", None),
    };
    let mut h = HeaderMap::new();
    h.insert(
        header::ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static(methods),
    );
    if let Some(headers) = headers {
        h.insert(
            header::ACCESS_CONTROL_ALLOW_HEADERS,
            HeaderValue::from_static(headers),
        );
    }
    h.insert(
        header::ACCESS_CONTROL_MAX_AGE,
        HeaderValue::from_static(PREFLIGHT_MAX_AGE),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    (axum::http::StatusCode::NO_CONTENT, h).into_response()
}

/// Pages and files: the public assets' cross-origin headers, and the embed
/// pages' partner `frame-ancestors` and isolation headers (`keel_site_rules`,
/// as the static hosts' files have them).
fn site_headers(state: &AppState, path: &str, h: &mut HeaderMap) {
    if keel_site_rules::is_public_asset(path) {
        insert_all(h, &keel_site_rules::PUBLIC_ASSET_HEADERS);
    }
    if keel_site_rules::is_embed_path(path)
        && let Some(csp) = h
            .get(header::CONTENT_SECURITY_POLICY)
            .and_then(|v| v.to_str().ok())
    {
        let csp = keel_site_rules::with_frame_ancestors(csp, path, &state.config.allowed_origins);
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_str(&csp).expect("a CSP of header values"),
        );
        // An embed page: framable by a partner page that isolates itself.
        insert_all(h, &keel_site_rules::EMBED_PAGE_HEADERS);
    }
}

fn insert_all(h: &mut HeaderMap, headers: &[(&str, &'static str)]) {
    for (name, value) in headers {
        h.insert(
            HeaderName::from_bytes(name.as_bytes()).expect("a valid header name"),
            HeaderValue::from_static(value),
        );
    }
}

/// Whether `origin` (the `Origin` header) is the site itself. With
/// `public_origin` configured, exactly that origin, scheme and port included
/// (the request's `Host` plays no part: a proxy may rewrite it). Without it,
/// the origin's host must be the request's `Host`, with the scheme checked
/// where the server can know it: http or https, and the one a trusted proxy
/// (`from_proxy`) states in `X-Forwarded-Proto`.
fn is_same_origin(
    config: &crate::Config,
    headers: &HeaderMap,
    origin: &str,
    from_proxy: bool,
) -> bool {
    if let Some(public) = &config.public_origin {
        return origin.eq_ignore_ascii_case(public);
    }
    let Some((scheme, origin_host)) = origin.split_once("://") else {
        return false;
    };
    let scheme = scheme.to_ascii_lowercase();
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("");
    if !matches!(scheme.as_str(), "http" | "https")
        || host.is_empty()
        || !origin_host.eq_ignore_ascii_case(host)
    {
        return false;
    }
    let forwarded_proto = headers
        .get_all("x-forwarded-proto")
        .iter()
        .next_back()
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.rsplit(',').next())
        .map(str::trim);
    match forwarded_proto {
        Some(proto) if from_proxy => proto.eq_ignore_ascii_case(&scheme),
        _ => true,
    }
}
