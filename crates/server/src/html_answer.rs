//! The answer to a contact form posted without JavaScript: a small page of
//! its own (the SPA is not running to show one), in plain HTML.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

use crate::error::Error;

/// `partners` (`allowed_origins`) may frame the answer: the embed pages'
/// form, posted without JavaScript inside a partner's page, shows it there.
pub fn contact(result: Result<String, Error>, partners: &[String]) -> Response {
    let (status, title, body) = match &result {
        Ok(id) => (
            StatusCode::OK,
            "Thank you, your message has arrived",
            format!(
                "<p>We read every message and will reply by email, usually within two working days.</p><p class=meta>Reference: {}</p><p><a href=\"/\">Back to the site</a></p>",
                esc(id)
            ),
        ),
        Err(Error::Validation(fields)) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            "Your message was not sent yet",
            format!(
                "<p>Some fields need attention:</p><ul>{}</ul><p>Use your browser’s Back button: what you typed is still in the form.</p>",
                fields
                    .iter()
                    .map(|f| format!("<li>{}</li>", esc(&f.message)))
                    .collect::<String>()
            ),
        ),
        Err(e) => (
            e.status(),
            "Your message was not sent",
            format!(
                "<p>{}</p><p>Use your browser’s Back button and send it again; what you typed is still in the form.</p>",
                esc(&e.body().message)
            ),
        ),
    };
    if let Err(Error::Internal(e)) = &result {
        tracing::error!(error = ?e, "internal error");
    }
    let page = format!(
        "<!doctype html><html lang=en><meta charset=utf-8><meta name=viewport content=\"width=device-width,initial-scale=1\"><meta name=color-scheme content=\"light dark\"><link rel=icon href=/assets/favicon.svg type=image/svg+xml><title>{title} · Keel</title><style>body{{font:18px/1.6 system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem}}.meta{{color:GrayText}}</style><main><h1>{title}</h1>{body}</main></html>"
    );
    let mut res = (status, Html(page)).into_response();
    let h = res.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    // The site's icon is named, and allowed, so that a browser does not ask
    // for /favicon.ico and report it blocked by this policy (Firefox does).
    let csp = format!(
        "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'self'; frame-ancestors {}",
        keel_site_rules::frame_ancestors("/embed/", partners)
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_str(&csp).expect("normalised origins are header values"),
    );
    if let Err(Error::RateLimited(secs)) = &result {
        h.insert(header::RETRY_AFTER, HeaderValue::from(*secs));
    }
    res
}

fn esc(s: &str) -> std::borrow::Cow<'_, str> {
    html_escape::encode_text(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::to_bytes;
    use keel_model::contact::{Field, FieldError};

    #[tokio::test]
    async fn messages_are_text_never_markup() {
        let field = FieldError {
            field: Field::Message,
            message: "<script>alert(1)</script> & more".into(),
        };
        let res = contact(Err(Error::Validation(vec![field])), &[]);
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let body = to_bytes(res.into_body(), usize::MAX).await.unwrap();
        let page = std::str::from_utf8(&body).unwrap();
        assert!(
            page.contains("<li>&lt;script&gt;alert(1)&lt;/script&gt; &amp; more</li>"),
            "{page}"
        );
    }
}
