//! The dev server's own answers: the reload script, the build's state as
//! Server-Sent Events, our page of problems; and every other request passed
//! to the current keel-server, with the reload script added to pages.

use super::*;

#[derive(Clone)]
pub(super) struct Proxy {
    pub(super) status: watch::Receiver<Status>,
    pub(super) client: Client<HttpConnector, Body>,
}

pub(super) async fn reload_js() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        RELOAD_JS,
    )
        .into_response()
}

/// The build's state, now and after every change.
pub(super) async fn events(
    State(app): State<Proxy>,
) -> Sse<impl tokio_stream::Stream<Item = Result<Event, Infallible>>> {
    let stream = tokio_stream::wrappers::WatchStream::new(app.status.clone())
        // After a restart in place the browser reconnects within half a second.
        .map(|s| {
            Ok(Event::default()
                .retry(Duration::from_millis(500))
                .data(s.json()))
        });
    Sse::new(stream).keep_alive(KeepAlive::default())
}

/// Everything else: the current keel-server's answer, with the reload
/// script added to pages; before the first good build, a page of our own.
pub(super) async fn proxy(State(app): State<Proxy>, req: Request) -> Response {
    let status = app.status.borrow().clone();
    let Some(served) = status.served else {
        return own_page(&status);
    };
    let (mut parts, body) = req.into_parts();
    let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    parts.uri = match format!("http://{}{path}", served.addr).parse() {
        Ok(uri) => uri,
        Err(_) => return StatusCode::BAD_REQUEST.into_response(),
    };
    // Plain bodies, so the script can go into pages (this is a local server).
    parts.headers.remove(header::ACCEPT_ENCODING);
    // The browser's Host stays, so the contact form's same-origin check sees
    // the address the page came from.
    let head_only = parts.method == Method::HEAD;
    let answer = match app.client.request(Request::from_parts(parts, body)).await {
        Ok(a) => a,
        Err(e) => {
            return (
                StatusCode::BAD_GATEWAY,
                format!("keel-server did not answer: {e}"),
            )
                .into_response();
        }
    };
    let (mut parts, body) = answer.into_parts();
    let is_page = parts
        .headers
        .get(header::CONTENT_TYPE)
        .is_some_and(|t| t.as_bytes().starts_with(b"text/html"));
    let immutable = parts
        .headers
        .get(header::CACHE_CONTROL)
        .is_some_and(|c| c.to_str().unwrap_or("").contains("immutable"));
    if !immutable {
        // A host keeps API documents a minute; here a rebuild shows at once.
        parts
            .headers
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if !is_page || head_only {
        return Response::from_parts(parts, Body::new(body));
    }
    let Ok(bytes) = body.collect().await.map(|b| b.to_bytes()) else {
        return StatusCode::BAD_GATEWAY.into_response();
    };
    let page = with_reload_script(&String::from_utf8_lossy(&bytes), &served.build);
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.remove(header::ETAG);
    Response::from_parts(parts, Body::from(page))
}

pub(super) fn reload_tag(build: &str) -> String {
    format!(
        r#"<script defer src="/_dev/reload.js" data-keel-dev-build="{}"></script>"#,
        escape(build)
    )
}

/// The page with the reload script at the end of its head, or at its end
/// (a minified page leaves out the tags HTML lets it omit).
pub(super) fn with_reload_script(page: &str, build: &str) -> String {
    match page.find("</head>") {
        Some(at) => format!("{}{}{}", &page[..at], reload_tag(build), &page[at..]),
        None => format!("{page}{}", reload_tag(build)),
    }
}

/// Before the first good build: the problems, or "building".
pub(super) fn own_page(status: &Status) -> Response {
    let body = if status.problems.is_empty() {
        "<h1>Building the site…</h1><p>This page reloads when it is ready.</p>".to_string()
    } else {
        let items: String = status
            .problems
            .iter()
            .map(|p| {
                format!(
                    "<li><code>{}</code> {}</li>",
                    escape(&p.place()),
                    escape(&p.message)
                )
            })
            .collect();
        format!(
            "<h1>The build failed</h1><ul id=\"keel-dev-problems\">{items}</ul><p>Fix it and save: this page reloads by itself.</p>"
        )
    };
    let page = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Keel (dev)</title>{}\
         <style>body{{font:16px/1.5 system-ui,sans-serif;margin:2rem;max-width:60rem}}li{{margin:.5rem 0;white-space:pre-wrap}}</style>\
         </head><body>{body}</body></html>",
        reload_tag("")
    );
    let code = if status.problems.is_empty() {
        StatusCode::SERVICE_UNAVAILABLE
    } else {
        StatusCode::INTERNAL_SERVER_ERROR
    };
    (
        code,
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'self'; style-src 'unsafe-inline'",
            ),
        ],
        page,
    )
        .into_response()
}

/// Text for the page, in an element or a quoted attribute.
pub(super) fn escape(s: &str) -> String {
    html_escape::encode_quoted_attribute(s).into_owned()
}
