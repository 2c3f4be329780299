//! The operator's `GET /api/v1/admin/submissions`: off (404 for anything
//! under `/api/v1/admin`) unless `admin_token` is set, same-origin only
//! (`cors`), and behind the bearer token, compared in constant time.
//!
//! Wrong or missing tokens are logged with the client's address (never what
//! was sent) and throttled per address: past `FAILURES_ALLOWED` within
//! `FAILURE_WINDOW`, that address gets a 429 without its token being looked
//! at, so guessing is no faster than the window allows.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::Json;
use axum::extract::{Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use keel_store::ListFilter;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::AppState;
use crate::contact::unavailable;
use crate::error::{Error, Result};
use crate::ratelimit::ClientKey;

/// Wrong tokens one address may send within `FAILURE_WINDOW`.
pub const FAILURES_ALLOWED: u32 = 5;
pub const FAILURE_WINDOW: Duration = Duration::from_secs(60);

#[derive(Deserialize)]
pub struct AdminQuery {
    #[serde(default)]
    include_spam: bool,
    #[serde(default)]
    include_handled: bool,
}

pub async fn list(State(state): State<AppState>, req: Request) -> Result<Response> {
    let Some(token) = &state.config.admin_token else {
        // Off unless configured: indistinguishable from a missing route.
        return Err(Error::NotFound);
    };
    let client = state
        .proxies
        .client_ip(crate::client::peer(&req), req.headers());
    if let Some(wait) = state.admin_failures.blocked(client, Instant::now()) {
        return Err(Error::RateLimited(wait));
    }
    if !token_matches(req.headers(), token) {
        tracing::warn!(%client, "admin endpoint: a missing or wrong bearer token");
        state.admin_failures.record(client, Instant::now());
        return Err(Error::Unauthorized);
    }
    let Query(q) = Query::<AdminQuery>::try_from_uri(req.uri())
        .map_err(|e| Error::BadRequest(e.body_text()))?;
    let filter = ListFilter {
        include_spam: q.include_spam,
        include_handled: q.include_handled,
    };
    let list = state.store.list(filter).await.map_err(unavailable)?;
    let mut res = Json(list).into_response();
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(res)
}

/// `Authorization: Bearer <token>`, the scheme in any case (RFC 9110: the
/// scheme is case-insensitive), compared by digest in constant time, so
/// neither the content nor the length of the token leaks.
fn token_matches(headers: &HeaderMap, token: &str) -> bool {
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, t)| t.trim())
        .unwrap_or("");
    Sha256::digest(given.as_bytes())
        .ct_eq(&Sha256::digest(token.as_bytes()))
        .into()
}

/// Wrong tokens by address, in fixed windows.
#[derive(Default)]
pub struct Failures {
    by_client: Mutex<HashMap<ClientKey, (Instant, u32)>>,
}

impl Failures {
    /// Seconds until `client` may try again, when it has used its failures.
    fn blocked(&self, client: IpAddr, now: Instant) -> Option<u64> {
        let map = self.by_client.lock().unwrap_or_else(|p| p.into_inner());
        let (since, count) = *map.get(&ClientKey::from(client))?;
        let left = FAILURE_WINDOW
            .checked_sub(now.duration_since(since))
            .filter(|left| !left.is_zero())?;
        (count >= FAILURES_ALLOWED).then(|| left.as_secs_f64().ceil() as u64)
    }

    fn record(&self, client: IpAddr, now: Instant) {
        let mut map = self.by_client.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() > 10_000 {
            map.retain(|_, (since, _)| now.duration_since(*since) < FAILURE_WINDOW);
        }
        let entry = map.entry(ClientKey::from(client)).or_insert((now, 0));
        if now.duration_since(entry.0) >= FAILURE_WINDOW {
            *entry = (now, 0);
        }
        entry.1 += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scheme_is_case_insensitive_and_the_token_exact() {
        let with = |v: &str| {
            let mut h = HeaderMap::new();
            h.insert(header::AUTHORIZATION, HeaderValue::from_str(v).unwrap());
            token_matches(&h, "correct-horse-battery-staple")
        };
        for ok in [
            "Bearer correct-horse-battery-staple",
            "bearer correct-horse-battery-staple",
            "BEARER  correct-horse-battery-staple ",
        ] {
            assert!(with(ok), "{ok}");
        }
        for bad in [
            "Bearer correct-horse-battery-stapl",
            "Basic correct-horse-battery-staple",
            "correct-horse-battery-staple",
            "Bearer",
        ] {
            assert!(!with(bad), "{bad}");
        }
        assert!(!token_matches(
            &HeaderMap::new(),
            "correct-horse-battery-staple"
        ));
    }

    #[test]
    fn an_address_that_used_its_failures_waits_out_the_window() {
        let f = Failures::default();
        let (a, b): (IpAddr, IpAddr) = ("10.0.0.1".parse().unwrap(), "10.0.0.2".parse().unwrap());
        let t0 = Instant::now();
        for _ in 0..FAILURES_ALLOWED {
            assert_eq!(f.blocked(a, t0), None);
            f.record(a, t0);
        }
        assert_eq!(f.blocked(a, t0), Some(FAILURE_WINDOW.as_secs()));
        assert_eq!(f.blocked(b, t0), None, "another address is not held back");
        assert_eq!(f.blocked(a, t0 + FAILURE_WINDOW), None, "the window ends");
        f.record(a, t0 + FAILURE_WINDOW);
        assert_eq!(
            f.blocked(a, t0 + FAILURE_WINDOW),
            None,
            "a new window starts"
        );
    }
}
