//! The POST of a contact request, and what its answer means for the form.

use keel_model::contact::{ContactAccepted, FieldError};

use crate::api::FetchError;

pub enum PostError {
    /// The server refused some fields (422): shown beside them.
    Invalid(Vec<FieldError>),
    /// Anything else: no answer, or an error; the form offers a retry.
    Fetch(FetchError),
}

/// Send `body` with its Idempotency-Key `key`, `partner` (an embed's host
/// page) as `Keel-Embed-Origin`, and the solved proof of work as
/// `Keel-Challenge`; the stored request's id once the server has answered 201.
pub async fn post(
    url: &str,
    body: String,
    key: &str,
    partner: Option<&str>,
    proof: Option<&str>,
) -> Result<String, PostError> {
    let mut req = gloo_net::http::Request::post(url)
        .header("Content-Type", "application/json")
        .header("Accept", "application/json")
        .header("Idempotency-Key", key);
    if let Some(origin) = partner {
        req = req.header("Keel-Embed-Origin", origin);
    }
    if let Some(proof) = proof {
        req = req.header(keel_model::challenge::HEADER, proof);
    }
    // How long this page has been open: the server's spam verdict reads a
    // form sent within seconds of the page opening as a script's.
    let open_ms = crate::dom::now_ms() as u64;
    req = req.header("Keel-Filled-Ms", &open_ms.to_string());
    let res = crate::net::send(req, Some(body), crate::net::SUBMIT_TIMEOUT_MS)
        .await
        .map_err(PostError::Fetch)?;
    match res.status() {
        201 => crate::net::body(res)
            .await
            .and_then(|t| crate::api::decode::<ContactAccepted>(&t))
            .map(|a| a.id)
            .map_err(PostError::Fetch),
        422 => match crate::net::body(res)
            .await
            .and_then(|t| crate::api::decode::<keel_model::ApiError>(&t))
        {
            Ok(e) if !e.fields.is_empty() => Err(PostError::Invalid(e.fields)),
            Ok(e) => Err(PostError::Fetch(FetchError::Http {
                status: 422,
                message: Some(e.message),
            })),
            Err(_) => Err(PostError::Fetch(FetchError::Http {
                status: 422,
                message: None,
            })),
        },
        _ => Err(PostError::Fetch(crate::net::error_from(res).await)),
    }
}
