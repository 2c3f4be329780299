//! The Keel server: `app(state)` is the whole HTTP surface; `main.rs` only
//! reads configuration, opens the store and listens.
//!
//! Architecture invariants:
//! - The read side is the built site held in memory (`files`): the server has
//!   no content model of its own and sends the same bytes a CDN would.
//! - A contact submission is acknowledged (201) only after its transaction,
//!   outbox rows included, is committed (`keel_store`).
//! - Every 4xx/5xx body is a JSON `keel_model::ApiError` (`error`).
//! - Who may use it from another origin (partner sites, the admin endpoint's
//!   same-origin rule, public assets, embed framing) is one layer (`cors`),
//!   outside every other, so each status carries the same headers.

pub mod admin;
pub mod challenge;
pub mod chat;
pub mod client;
pub mod config;
pub mod contact;
pub mod cors;
pub mod error;
pub mod files;
pub mod html_answer;
pub mod listen;
pub mod notify;
pub mod ratelimit;
pub mod retention;
pub mod static_site;
pub mod verdict;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::routing::{get, post};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::{RequestBodyTimeoutLayer, TimeoutLayer};

pub use config::Config;
use files::SiteFiles;
use keel_store::Store;
use ratelimit::RateLimiter;

#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub files: Arc<SiteFiles>,
    pub store: Store,
    /// Submissions per client (`rate_limit.burst`, `refill_seconds`).
    pub limiter: Arc<RateLimiter>,
    /// Contact posts per client, before any work (`attempts_per_minute`).
    pub attempts: Arc<RateLimiter>,
    /// New submissions for the instance (`instance_per_minute`).
    pub instance: Arc<ratelimit::InstanceLimit>,
    /// Which peers may name the client (`trusted_proxies`).
    pub proxies: Arc<client::Proxies>,
    /// Wakes the notification worker when a submission arrives.
    pub outbox_signal: Arc<tokio::sync::Notify>,
    /// Wrong admin tokens by address (`admin`).
    pub admin_failures: Arc<admin::Failures>,
    /// What the proof-of-work challenges are signed with (`challenge.rs`):
    /// `challenge_secret`, or (in tests, which set neither) a random key.
    pub challenge_key: Arc<Vec<u8>>,
}

impl AppState {
    pub fn new(config: Config, files: SiteFiles, store: Store) -> AppState {
        let limits = &config.rate_limit;
        let limiter = RateLimiter::new(limits.burst, limits.refill_seconds);
        let attempts = RateLimiter::per_minute(limits.attempts_per_minute);
        let instance = ratelimit::InstanceLimit::per_minute(limits.instance_per_minute);
        AppState {
            proxies: Arc::new(config.proxies()),
            files: Arc::new(files),
            store,
            limiter: Arc::new(limiter),
            attempts: Arc::new(attempts),
            instance: Arc::new(instance),
            outbox_signal: Arc::new(tokio::sync::Notify::new()),
            admin_failures: Arc::default(),
            challenge_key: Arc::new(match &config.challenge_secret {
                Some(s) => s.as_bytes().to_vec(),
                None => rand::random::<[u8; 32]>().to_vec(),
            }),
            config: Arc::new(config),
        }
    }
}

/// No request body is larger: the contact form is a few kilobytes. A declared
/// `Content-Length` above it is refused at once, before any of it is read.
pub const MAX_BODY_BYTES: usize = 256 * 1024;

pub fn app(state: AppState) -> Router {
    let request_timeout = Duration::from_secs(state.config.limits.request_timeout_seconds);
    let router = Router::new()
        // OPTIONS (the CORS preflight) is answered by `cors::apply`.
        .route(&keel_model::paths::contact(), post(contact::submit))
        .route(
            &keel_model::paths::contact_challenge(),
            get(contact::challenge),
        )
        .route(&keel_model::paths::admin_submissions(), get(admin::list))
        .route("/healthz", get(|| async { "ok" }))
        .fallback(static_site::serve)
        .with_state(state.clone())
        // Innermost first: the body limit and timeouts answer with plain
        // statuses, which `json_errors` (outside them) turns into JSON.
        .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES))
        .layer(RequestBodyTimeoutLayer::new(request_timeout))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            request_timeout,
        ))
        .layer(axum::middleware::map_response(error::json_errors))
        // Outside everything that answers, so every status gets its CORS headers.
        .layer(axum::middleware::from_fn_with_state(state, cors::apply));
    // The security headers on every answer (keel-site-rules; static hosts get the same).
    keel_site_rules::SECURITY_HEADERS
        .iter()
        .fold(router, |router, (name, value)| {
            router.layer(SetResponseHeaderLayer::if_not_present(
                HeaderName::from_bytes(name.as_bytes()).expect("a valid header name"),
                HeaderValue::from_static(value),
            ))
        })
        .layer(tower_http::trace::TraceLayer::new_for_http())
}

/// Forget rate-limit buckets that have refilled, once a minute, off the
/// request path.
pub fn spawn_limiter_sweeper(state: AppState) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(Duration::from_secs(60));
        loop {
            every.tick().await;
            state.limiter.sweep();
            state.attempts.sweep();
        }
    })
}

/// `bytes` in lower-case hex (hashes, keys, signatures).
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Unix time in milliseconds.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}
