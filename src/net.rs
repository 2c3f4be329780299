//! Browser HTTP: gloo-net with a time limit, errors as `FetchError`, and
//! answers read as documents (`decode`).

use std::fmt;

use gloo_net::http::{Request, RequestBuilder, Response};
use serde::de::DeserializeOwned;
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;

/// A read that has not answered in this long is reported as slow, with a retry.
const READ_TIMEOUT_MS: i32 = 10_000;
/// The contact POST waits longer: the server fsyncs before it answers.
pub const SUBMIT_TIMEOUT_MS: i32 = 20_000;

pub async fn get_text(url: &str) -> Result<String, FetchError> {
    let res = send(
        Request::get(url).header("Accept", "application/json"),
        None,
        READ_TIMEOUT_MS,
    )
    .await?;
    if res.ok() {
        res.text().await.map_err(|_| FetchError::Network)
    } else {
        Err(error_from(res).await)
    }
}

/// Send with a time limit, aborting the request when it runs out.
pub async fn send(
    builder: RequestBuilder,
    body: Option<String>,
    timeout_ms: i32,
) -> Result<Response, FetchError> {
    let controller = web_sys::AbortController::new().map_err(|_| FetchError::Network)?;
    let signal = controller.signal();
    let builder = builder.abort_signal(Some(&signal));
    let request = match body {
        Some(b) => builder.body(b).map_err(|_| FetchError::Network)?,
        None => builder.build().map_err(|_| FetchError::Network)?,
    };
    let timer = {
        let controller = controller.clone();
        let abort = Closure::once_into_js(move || controller.abort());
        web_sys::window().and_then(|w| {
            w.set_timeout_with_callback_and_timeout_and_arguments_0(
                abort.unchecked_ref(),
                timeout_ms,
            )
            .ok()
        })
    };
    let result = request.send().await;
    if let (Some(id), Some(w)) = (timer, web_sys::window()) {
        w.clear_timeout_with_handle(id);
    }
    result.map_err(|_| {
        if signal.aborted() {
            FetchError::Timeout
        } else {
            FetchError::Network
        }
    })
}

/// A non-2xx answer as a `FetchError`, with the server's JSON message if any.
pub async fn error_from(res: Response) -> FetchError {
    let status = res.status();
    if status == 404 {
        return FetchError::NotFound;
    }
    let message = body(res)
        .await
        .and_then(|t| decode::<keel_model::ApiError>(&t))
        .ok()
        .map(|e| e.message);
    FetchError::Http { status, message }
}

/// An answer's body as text (`Decode` when it cannot be read), for
/// `decode`. Not one generic `json::<T>`: an async function per document
/// type costs the wasm half a kilobyte more.
pub async fn body(res: Response) -> Result<String, FetchError> {
    res.text().await.map_err(|_| FetchError::Decode)
}

/// Why a request failed, in words for people.
#[derive(Clone, Debug, PartialEq)]
pub enum FetchError {
    /// No answer: offline, DNS, refused, CORS.
    Network,
    /// No answer within the time limit.
    Timeout,
    NotFound,
    /// Any other non-2xx status, with the server's message if it sent one.
    Http {
        status: u16,
        message: Option<String>,
    },
    /// An answer that is not the document we expected. (Why is not kept:
    /// nobody reads it, and the wasm's readers say only yes or no.)
    Decode,
}

impl fmt::Display for FetchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FetchError::Network => write!(
                f,
                "We could not reach the server. Check your connection and try again."
            ),
            FetchError::Timeout => write!(
                f,
                "The server is taking too long to answer. Please try again."
            ),
            FetchError::NotFound => write!(f, "We could not find this page."),
            FetchError::Http {
                status,
                message: Some(m),
            } => write!(f, "{m} (error {status})"),
            FetchError::Http {
                status,
                message: None,
            } if *status >= 500 => {
                write!(
                    f,
                    "The server had a problem (error {status}). Please try again in a moment."
                )
            }
            FetchError::Http { status, .. } => write!(f, "The request failed (error {status})."),
            FetchError::Decode => write!(
                f,
                "The server sent something we could not read. Please try again."
            ),
        }
    }
}

/// `text` as the document `T`.
pub fn decode<T: DeserializeOwned>(text: &str) -> Result<T, FetchError> {
    crate::json::read(text).ok_or(FetchError::Decode)
}
