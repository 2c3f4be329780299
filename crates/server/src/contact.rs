//! `POST /api/v1/contact`.

use std::net::IpAddr;

use axum::Json;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use keel_model::contact::{BODY_LIMIT_BYTES, ContactAccepted, ContactRequest, validate};
use sha2::{Digest, Sha256};

use crate::cors::{Caller, EMBED_ORIGIN_HEADER};
use crate::error::{Error, Result};
use crate::{AppState, hex, now_ms};
use keel_store::{Inserted, NewSubmission, Verdict};

/// Without an Idempotency-Key, an identical body within this window is taken
/// for a double submit and answered with the first id: long enough for a
/// double click or a reload of the form post, short enough that a deliberate
/// resend the next day is stored.
const DUPLICATE_WINDOW_MS: i64 = 10 * 60 * 1000;

/// Idempotency keys longer than this are refused: they are meant to be UUIDs.
const IDEMPOTENCY_KEY_MAX: usize = 128;

/// The repeated-message rule looks this far back (verdict.rs).
const SAME_MESSAGE_WINDOW_MS: i64 = 24 * 60 * 60 * 1000;

/// How long the page was open before the visitor sent the form, in
/// milliseconds, as our page's script measures it (verdict.rs).
pub const FILLED_MS_HEADER: &str = "keel-filled-ms";

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

/// `GET /api/v1/contact/challenge`: a fresh proof-of-work challenge
/// (`challenge.rs`), never cached.
pub async fn challenge(State(state): State<AppState>) -> Response {
    let now_s = (now_ms() / 1000) as u64;
    let mut res = Json(crate::challenge::issue(&state.challenge_key, now_s)).into_response();
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

pub async fn submit(State(state): State<AppState>, req: Request) -> Result<Response> {
    let headers = req.headers().clone();
    // The CORS headers themselves are the layer's (`cors::apply`), on every
    // answer; it refuses a foreign origin before this runs. Checked here too,
    // so that the handler stores nothing from one even without the layer.
    let from_origin = match Caller::of(&state, &headers, crate::client::peer(&req)) {
        Caller::Foreign => {
            return Err(Error::Forbidden(
                "this origin may not post the contact form".into(),
            ));
        }
        Caller::Partner(origin) => Some(origin),
        Caller::Site | Caller::Unknown => None,
    };
    let claimed = match headers.get(EMBED_ORIGIN_HEADER) {
        Some(v) => Some(
            v.to_str()
                .map_err(|_| Error::Forbidden("Keel-Embed-Origin is not a partner origin".into()))?
                .to_string(),
        ),
        None => None,
    };
    let partner = partner_origin(&state, from_origin, claimed.as_deref(), "Keel-Embed-Origin")?;
    let client = client_ip(&state, &req);
    // Before the body is read or the store asked: what one address can make
    // the server do (the per-submission limit below lets a typo be fixed).
    state.attempts.check(client).map_err(Error::RateLimited)?;

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
    let script = FromScript::of(&state, &headers);
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
        let body = read_body(
            req.into_body(),
            raw_limit,
            state.config.limits.body_timeout_seconds,
        )
        .await?;
        let (form, partner) = match kind {
            Kind::Json => (
                serde_json::from_slice(&body).map_err(|e| {
                    Error::BadRequest(format!("the body is not a valid contact request: {e}"))
                })?,
                partner,
            ),
            Kind::Form => {
                let (form, field) = parse_form(&body)?;
                // Checked even when the header or `Origin` already named one.
                let from_field = partner_origin(&state, None, field.as_deref(), "embed_origin")?;
                (form, partner.or(from_field))
            }
        };
        accept(
            &state,
            client,
            form,
            key,
            hex(&Sha256::digest(&body)),
            partner,
            script,
        )
        .await
    }
    .await;
    match kind {
        Kind::Json => {
            let id = result?;
            let mut res = (StatusCode::CREATED, Json(ContactAccepted { id })).into_response();
            res.headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            Ok(res)
        }
        Kind::Form => Ok(crate::html_answer::contact(
            result,
            &state.config.allowed_origins,
        )),
    }
}

/// The partner site a submission comes from: the browser's `Origin` when it
/// is a partner's (a cross-origin POST from its page); else what an embed page
/// on our origin says its host page is (`Keel-Embed-Origin`, or the form
/// field `embed_origin`), which must be exactly an entry of `allowed_origins`.
/// When both are there the `Origin` wins: the browser sets it, a page sets the
/// other (which must still be a partner's). Neither: none (the site itself).
/// An empty claim is no claim (an embed form sent before it learned its host).
fn partner_origin(
    state: &AppState,
    from_origin: Option<String>,
    claimed: Option<&str>,
    name: &str,
) -> Result<Option<String>> {
    let claimed = claimed.map(str::trim).filter(|c| !c.is_empty());
    if let Some(c) = claimed
        && !state.config.allowed_origins.iter().any(|o| o == c)
    {
        return Err(Error::Forbidden(format!("{name} is not a partner origin")));
    }
    Ok(from_origin.or(claimed.map(str::to_string)))
}

/// Validate, rate-limit and store; the id once the row is committed.
async fn accept(
    state: &AppState,
    client: IpAddr,
    form: ContactRequest,
    key: Option<String>,
    request_hash: String,
    partner: Option<String>,
    script: FromScript,
) -> Result<String> {
    // Malformed and invalid requests are answered before the rate limit: they
    // store nothing, and a visitor fixing a typo must not be locked out.
    let errors = validate(&form);
    if !errors.is_empty() {
        return Err(Error::Validation(errors));
    }
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
    let (inserted, verdict) = match seen {
        Some(seen) => (Ok(seen), None),
        None => match state
            .limiter
            .check(client)
            .and_then(|()| state.instance.check())
        {
            Err(wait) => (Err(wait), None),
            // Both checks are made again inside the insert's transaction:
            // two copies can race each other, here or on another instance.
            Ok(()) => {
                // Judged only now: a request a limit turns away uses up no
                // proof of work.
                let judgement = judge(store, &form, script).await?;
                let verdict = judgement.verdict;
                let inserted = store
                    .insert(NewSubmission {
                        request: &form,
                        judgement,
                        idempotency_key: key.as_deref(),
                        request_hash: &request_hash,
                        channels: &state.config.channels(),
                        now_ms: now_ms(),
                        duplicate_since_ms: since,
                        partner_origin: partner.as_deref(),
                    })
                    .await
                    .map_err(unavailable)?;
                (Ok(inserted), Some(verdict))
            }
        },
    };

    match inserted {
        Err(wait) => Err(Error::RateLimited(wait)),
        Ok(Inserted::New(id)) => {
            let spam = verdict == Some(Verdict::Spam);
            let verdict = verdict.map_or("clean", Verdict::as_str);
            if spam {
                tracing::info!(%id, verdict, "stored a contact submission as spam: no one is notified");
            } else {
                tracing::info!(%id, verdict, "stored a contact submission");
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

/// What our page's script sends besides the form, for the spam verdict.
struct FromScript {
    /// How long the visitor had the page before sending (absent from a
    /// plain form post).
    filled_ms: Option<u64>,
    /// The proof of work it solved: checked, not yet recorded as used (that
    /// waits until the request is otherwise good); or why there is none.
    proof: std::result::Result<crate::challenge::Solved, &'static str>,
}

impl FromScript {
    fn of(state: &AppState, headers: &axum::http::HeaderMap) -> FromScript {
        let filled_ms = headers
            .get(FILLED_MS_HEADER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        let now_s = (now_ms() / 1000) as u64;
        let proof = match headers.get(keel_model::challenge::HEADER) {
            None => Err("no proof of work (sent without the page's script, or before it was done)"),
            Some(v) => v
                .to_str()
                .map_err(|_| "the proof of work was not base64")
                .and_then(|v| crate::challenge::verify(&state.challenge_key, v, now_s)),
        };
        FromScript { filled_ms, proof }
    }
}

/// The verdict of a new request (verdict.rs), from what it carries and what
/// the store has seen: its proof of work is recorded as used here, so that
/// it counts once on any instance.
async fn judge(
    store: &keel_store::Store,
    form: &ContactRequest,
    script: FromScript,
) -> Result<keel_store::Judgement> {
    let proof = match script.proof {
        Ok(solved) => {
            let expires_ms = solved.expires_s as i64 * 1000;
            let first = store
                .use_challenge(&solved.challenge, expires_ms, now_ms())
                .await
                .map_err(unavailable)?;
            first
                .then_some(())
                .ok_or("the proof of work was already used")
        }
        Err(reason) => Err(reason),
    };
    let since = now_ms() - SAME_MESSAGE_WINDOW_MS;
    let elsewhere = store
        .same_message_elsewhere(&form.message, &form.email, since)
        .await
        .map_err(unavailable)?;
    Ok(crate::verdict::judge(
        form,
        crate::verdict::Signals {
            filled_ms: script.filled_ms,
            same_message_elsewhere: elsewhere,
            proof,
        },
    ))
}

/// A plain HTML form post: the same fields, as a browser sends them, and the
/// embed pages' `embed_origin` (the partner page the form is shown on).
/// Unknown names are ignored (a browser may send its submit button). The size
/// limit applies to the decoded text, as it does to a JSON body.
fn parse_form(body: &[u8]) -> Result<(ContactRequest, Option<String>)> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(body)
        .map_err(|e| Error::BadRequest(format!("the form could not be read: {e}")))?;
    if pairs.iter().map(|(k, v)| k.len() + v.len()).sum::<usize>() > BODY_LIMIT_BYTES {
        return Err(Error::PayloadTooLarge(BODY_LIMIT_BYTES));
    }
    let mut req = ContactRequest::default();
    let mut embed_origin = None;
    for (k, v) in pairs {
        if k == "embed_origin" {
            embed_origin = Some(v);
        } else {
            req.set_form_field(&k, v)
                .map_err(|_| Error::BadRequest("budget is not one of the choices".into()))?;
        }
    }
    Ok((req, embed_origin))
}

fn client_ip(state: &AppState, req: &Request) -> IpAddr {
    state
        .proxies
        .client_ip(crate::client::peer(req), req.headers())
}

/// The store could not answer (the database is down, the disk full): a 503
/// the client may retry, never a 201. The cause goes to the log only.
pub(crate) fn unavailable(e: anyhow::Error) -> Error {
    tracing::error!(error = ?e, "the contact store failed");
    Error::Unavailable("submissions cannot be stored just now; please try again in a minute".into())
}

/// The whole body, within `limit` bytes and `seconds` from its first byte
/// to its last: a body trickled in holds its connection no longer than that
/// (408), a longer one is refused (413), a connection lost half-way is a 400.
async fn read_body(
    body: axum::body::Body,
    limit: usize,
    seconds: u64,
) -> Result<axum::body::Bytes> {
    let read = axum::body::to_bytes(body, limit);
    match tokio::time::timeout(std::time::Duration::from_secs(seconds), read).await {
        Err(_) => Err(Error::RequestTimeout(seconds)),
        Ok(Ok(bytes)) => Ok(bytes),
        Ok(Err(e)) => {
            let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(&e);
            while let Some(c) = cause {
                if c.is::<http_body_util::LengthLimitError>() {
                    return Err(Error::PayloadTooLarge(BODY_LIMIT_BYTES));
                }
                if c.is::<tower_http::timeout::TimeoutError>() {
                    return Err(Error::RequestTimeout(seconds));
                }
                cause = c.source();
            }
            Err(Error::BadRequest(format!(
                "the body could not be read ({e})"
            )))
        }
    }
}
