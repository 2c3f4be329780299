//! `POST /api/v1/contact` and the operator's `GET /api/v1/admin/submissions`.

use std::net::{IpAddr, SocketAddr};

use axum::Json;
use axum::extract::{ConnectInfo, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use keel_model::contact::{BODY_LIMIT_BYTES, ContactAccepted, ContactRequest, validate};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::error::{Error, Result};
use crate::store::{Inserted, ListFilter, NewSubmission};
use crate::{AppState, now_ms};

/// Without an Idempotency-Key, an identical body within this window is taken
/// for a double submit and answered with the first id: long enough for a
/// double click or a reload of the form post, short enough that a deliberate
/// resend the next day is stored.
const DUPLICATE_WINDOW_MS: i64 = 10 * 60 * 1000;

/// Idempotency keys longer than this are refused: they are meant to be UUIDs.
const IDEMPOTENCY_KEY_MAX: usize = 128;

/// The cap on a plain form post's raw body. Percent-encoding writes a byte as
/// three, so the raw body may be three times `BODY_LIMIT_BYTES`; the limit
/// itself applies to the decoded text (`parse_form`).
pub const FORM_BODY_LIMIT_BYTES: usize = 3 * BODY_LIMIT_BYTES;

/// How the form arrived: JSON from the SPA, or a plain HTML form post from a
/// browser without JavaScript (the prerendered page's form works too).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Json,
    Form,
}

pub async fn submit(State(state): State<AppState>, req: Request) -> Result<Response> {
    let headers = req.headers().clone();
    let peer = peer(&req);
    let origin_headers = cors_headers(&state, &headers, peer)?;
    let client = client_ip(&state, &req);

    let mime = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|m| m.trim().to_ascii_lowercase());
    let kind = match mime.as_deref() {
        Some("application/json") => Kind::Json,
        Some("application/x-www-form-urlencoded") => Kind::Form,
        _ => return Err(Error::UnsupportedMediaType),
    };
    let key = match headers.get("idempotency-key") {
        Some(v) => {
            let k = v
                .to_str()
                .map_err(|_| Error::BadRequest("Idempotency-Key must be ASCII".into()))?
                .trim();
            if k.is_empty() || k.len() > IDEMPOTENCY_KEY_MAX {
                return Err(Error::BadRequest(format!(
                    "Idempotency-Key must have 1 to {IDEMPOTENCY_KEY_MAX} characters"
                )));
            }
            Some(k.to_string())
        }
        None => None,
    };
    let result = async {
        let raw_limit = match kind {
            Kind::Json => BODY_LIMIT_BYTES,
            Kind::Form => FORM_BODY_LIMIT_BYTES,
        };
        let body = axum::body::to_bytes(req.into_body(), raw_limit)
            .await
            .map_err(|_| Error::PayloadTooLarge(BODY_LIMIT_BYTES))?;
        let form = match kind {
            Kind::Json => serde_json::from_slice(&body).map_err(|e| {
                Error::BadRequest(format!("the body is not a valid contact request: {e}"))
            })?,
            Kind::Form => parse_form(&body)?,
        };
        accept(&state, client, form, key, hex(&Sha256::digest(&body))).await
    }
    .await;
    match kind {
        Kind::Json => {
            let id = result?;
            let mut res = (StatusCode::CREATED, Json(ContactAccepted { id })).into_response();
            res.headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            res.headers_mut().extend(origin_headers);
            Ok(res)
        }
        Kind::Form => Ok(crate::html_answer::contact(result)),
    }
}

/// Validate, rate-limit and store; the id once the row is committed.
async fn accept(
    state: &AppState,
    client: IpAddr,
    form: ContactRequest,
    key: Option<String>,
    request_hash: String,
) -> Result<String> {
    // Malformed and invalid requests are answered before the rate limit: they
    // store nothing, and a visitor fixing a typo must not be locked out.
    let errors = validate(&form);
    if !errors.is_empty() {
        return Err(Error::Validation(errors));
    }
    let spam = form
        .website
        .as_deref()
        .is_some_and(|w| !w.trim().is_empty());
    let store = &state.store;
    let since = now_ms() - DUPLICATE_WINDOW_MS;
    // A retry of a request the server already stored gets its first answer
    // even when the client is over its limit: the visitor must learn it arrived.
    let seen = match &key {
        Some(k) => store.replay(k, &request_hash).await.map_err(unavailable)?,
        // Without a key (a plain form post), the same body again within
        // the window is the same submission sent twice.
        None => store
            .recent_duplicate(&request_hash, since)
            .await
            .map_err(unavailable)?
            .map(Inserted::Replayed),
    };
    let inserted = match seen {
        Some(seen) => Ok(seen),
        None => match state.limiter.check(client) {
            Err(wait) => Err(wait),
            // Both checks are made again inside the insert's transaction:
            // two copies can race each other, here or on another instance.
            Ok(()) => Ok(store
                .insert(NewSubmission {
                    request: &form,
                    spam,
                    idempotency_key: key.as_deref(),
                    request_hash: &request_hash,
                    channels: &state.config.channels(),
                    now_ms: now_ms(),
                    duplicate_since_ms: since,
                })
                .await
                .map_err(unavailable)?),
        },
    };

    match inserted {
        Err(wait) => Err(Error::RateLimited(wait)),
        Ok(Inserted::New(id)) => {
            if spam {
                tracing::info!(%id, "stored a honeypot submission as spam");
            } else {
                tracing::info!(%id, "stored a contact submission");
                state.outbox_signal.notify_one();
            }
            Ok(id)
        }
        Ok(Inserted::Replayed(id)) => Ok(id),
        Ok(Inserted::KeyReused) => Err(Error::Conflict(
            "this Idempotency-Key was already used for a different submission".into(),
        )),
    }
}

/// A plain HTML form post: the same fields, as a browser sends them.
/// Unknown names are ignored (a browser may send its submit button). The size
/// limit applies to the decoded text, as it does to a JSON body.
fn parse_form(body: &[u8]) -> Result<ContactRequest> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(body)
        .map_err(|e| Error::BadRequest(format!("the form could not be read: {e}")))?;
    if pairs.iter().map(|(k, v)| k.len() + v.len()).sum::<usize>() > BODY_LIMIT_BYTES {
        return Err(Error::PayloadTooLarge(BODY_LIMIT_BYTES));
    }
    let mut req = ContactRequest::default();
    for (k, v) in pairs {
        match k.as_str() {
            "name" => req.name = v,
            "email" => req.email = v,
            "company" => req.company = Some(v).filter(|c| !c.trim().is_empty()),
            "budget" if v.is_empty() => req.budget = None,
            "budget" => {
                req.budget = Some(
                    serde_json::from_value(serde_json::Value::String(v)).map_err(|_| {
                        Error::BadRequest("budget is not one of the choices".into())
                    })?,
                )
            }
            "message" => req.message = v,
            "consent" => req.consent = matches!(v.as_str(), "on" | "true" | "yes" | "1"),
            "website" => req.website = Some(v).filter(|w| !w.is_empty()),
            _ => {}
        }
    }
    Ok(req)
}

/// CORS preflight for partner sites listed in `allowed_origins`.
pub async fn preflight(State(state): State<AppState>, req: Request) -> Result<Response> {
    let mut h = cors_headers(&state, req.headers(), peer(&req))?;
    if h.is_empty() {
        return Err(Error::Forbidden(
            "this origin may not post the contact form".into(),
        ));
    }
    h.insert(
        header::ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static("POST"),
    );
    h.insert(
        header::ACCESS_CONTROL_ALLOW_HEADERS,
        HeaderValue::from_static("content-type, idempotency-key"),
    );
    h.insert(
        header::ACCESS_CONTROL_MAX_AGE,
        HeaderValue::from_static("600"),
    );
    Ok((StatusCode::NO_CONTENT, h).into_response())
}

/// CORS headers for a cross-origin request from an allowed origin; empty for a
/// same-origin request (or one without `Origin`: not from a browser); an
/// error for any other origin.
fn cors_headers(state: &AppState, headers: &HeaderMap, peer: SocketAddr) -> Result<HeaderMap> {
    let mut out = HeaderMap::new();
    let Some(origin) = headers.get(header::ORIGIN) else {
        return Ok(out);
    };
    let origin = origin.to_str().unwrap_or("");
    if is_same_origin(
        &state.config,
        headers,
        origin,
        state.proxies.trusts(peer.ip()),
    ) {
        return Ok(out);
    }
    if state.config.allowed_origins.iter().any(|o| o == origin) {
        out.insert(
            header::ACCESS_CONTROL_ALLOW_ORIGIN,
            HeaderValue::from_str(origin).expect("was a header value"),
        );
        out.insert(header::VARY, HeaderValue::from_static("Origin"));
        return Ok(out);
    }
    Err(Error::Forbidden(
        "this origin may not post the contact form".into(),
    ))
}

/// Whether `origin` (the `Origin` header) is the site itself. With
/// `public_origin` configured, exactly that origin, scheme and port included
/// (the request's `Host` plays no part: a proxy may rewrite it). Without it,
/// today's rule: the origin's host must be the request's `Host`, with the
/// scheme checked where the server can know it: http or https, and the one a
/// trusted proxy (`from_proxy`) states in `X-Forwarded-Proto`.
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

fn client_ip(state: &AppState, req: &Request) -> IpAddr {
    state.proxies.client_ip(peer(req), req.headers())
}

/// The connection's peer (loopback when the router is called without one, as in tests).
fn peer(req: &Request) -> SocketAddr {
    req.extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(SocketAddr::from(([127, 0, 0, 1], 0)), |c| c.0)
}

#[derive(Deserialize)]
pub struct AdminQuery {
    #[serde(default)]
    include_spam: bool,
    #[serde(default)]
    include_handled: bool,
}

pub async fn admin_list(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<AdminQuery>,
) -> Result<Response> {
    let Some(token) = &state.config.admin_token else {
        // Off unless configured: indistinguishable from a missing route.
        return Err(Error::NotFound);
    };
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    // Compare digests in constant time, so neither content nor length leaks.
    let ok: bool = Sha256::digest(given.as_bytes())
        .ct_eq(&Sha256::digest(token.as_bytes()))
        .into();
    if !ok {
        return Err(Error::Unauthorized);
    }
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

/// The store could not answer (the database is down, the disk full): a 503
/// the client may retry, never a 201. The cause goes to the log only.
fn unavailable(e: anyhow::Error) -> Error {
    tracing::error!(error = ?e, "the contact store failed");
    Error::Unavailable("submissions cannot be stored just now; please try again in a minute".into())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
