//! The HTTP surface against the real router, the real compiled content and a
//! real SQLite file, through `tower::ServiceExt::oneshot`.

use std::collections::HashMap;
use std::io::Read;

use axum::body::{Body, Bytes};
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use keel_server::files::SiteFiles;
use keel_server::{AppState, Config, app};
use keel_store::Store;
use tower::ServiceExt;

/// The site as the build writes it for the bundled content: its API, every
/// page of the route table rendered by the prerenderer into the repository's
/// own shells (`index.html`, `embed.html`), and a wasm file. Rendered once,
/// on a thread of its own (the renderer runs its own runtime).
fn site() -> SiteFiles {
    static FILES: std::sync::OnceLock<HashMap<String, Vec<u8>>> = std::sync::OnceLock::new();
    let files = FILES.get_or_init(|| std::thread::spawn(rendered_site).join().unwrap());
    SiteFiles::from_map(files.clone())
}

fn rendered_site() -> HashMap<String, Vec<u8>> {
    let out =
        keel_content::fs::compile_bundled(&Default::default()).unwrap_or_else(|e| panic!("{e}"));
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let shell = |f: &str| std::fs::read_to_string(root.join(f)).unwrap();
    let shells = keel_prerender::Shells {
        site: shell("index.html"),
        embed: shell("embed.html"),
    };
    let pages = keel_prerender::render_site(&shells, &out.files).unwrap_or_else(|e| panic!("{e}"));
    let mut map: HashMap<String, Vec<u8>> = out.files.into_iter().collect();
    map.extend(
        pages
            .into_iter()
            .map(|p| (format!("/{}", p.file), p.html.into_bytes())),
    );
    map.insert(
        "/keel-0123456789abcdef_bg.wasm".into(),
        vec![0, 97, 115, 109],
    );
    map
}

struct Harness {
    state: AppState,
    _dir: tempfile::TempDir,
}

async fn harness(config: Config) -> Harness {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("keel.db"), 1).await.unwrap();
    Harness {
        state: AppState::new(config, site(), store),
        _dir: dir,
    }
}

impl Harness {
    /// The stored submission a 201 answer names.
    async fn stored(&self, answer: &serde_json::Value) -> keel_store::Submission {
        let id = answer["id"]
            .as_str()
            .unwrap_or_else(|| panic!("no id in {answer}"));
        self.state
            .store
            .get(id)
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("{id} is not stored"))
    }

    async fn send(&self, req: Request<Body>) -> (StatusCode, axum::http::HeaderMap, Bytes) {
        let res = app(self.state.clone()).oneshot(req).await.unwrap();
        let (parts, body) = res.into_parts();
        (
            parts.status,
            parts.headers,
            body.collect().await.unwrap().to_bytes(),
        )
    }

    async fn get(&self, path: &str) -> (StatusCode, axum::http::HeaderMap, Bytes) {
        self.send(Request::get(path).body(Body::empty()).unwrap())
            .await
    }

    async fn post_json(
        &self,
        body: &str,
        key: Option<&str>,
    ) -> (StatusCode, axum::http::HeaderMap, serde_json::Value) {
        let mut req =
            Request::post("/api/v1/contact").header(header::CONTENT_TYPE, "application/json");
        if let Some(k) = key {
            req = req.header("idempotency-key", k);
        }
        let (s, h, b) = self
            .send(req.body(Body::from(body.to_string())).unwrap())
            .await;
        (
            s,
            h,
            serde_json::from_slice(&b).unwrap_or(serde_json::Value::Null),
        )
    }
}

fn json(b: &Bytes) -> serde_json::Value {
    serde_json::from_slice(b)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(b)))
}

const VALID: &str = r#"{"name":"Åsa Nørgaard","email":"asa@example.dk","company":null,"budget":"not_sure","message":"We need help scaling our Postgres cluster.","consent":true}"#;

// ---- the read side -------------------------------------------------------

#[tokio::test]
async fn api_documents_are_json_with_strong_etags_and_cdn_caching() {
    let h = harness(Config::default()).await;
    let (status, headers, body) = h.get("/api/v1/site.json").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::CONTENT_TYPE], "application/json");
    assert!(
        headers[header::CACHE_CONTROL]
            .to_str()
            .unwrap()
            .contains("max-age=60")
    );
    let etag = headers[header::ETAG].to_str().unwrap().to_string();
    assert!(etag.starts_with('"') && !etag.starts_with("W/"), "{etag}");
    assert_eq!(json(&body)["name"], "Keel");

    let (status, headers, body) = h
        .send(
            Request::get("/api/v1/site.json")
                .header(header::IF_NONE_MATCH, &etag)
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_MODIFIED);
    assert_eq!(headers[header::ETAG], etag.as_str());
    assert!(body.is_empty());

    let (status, ..) = h
        .send(
            Request::get("/api/v1/site.json")
                .header(header::IF_NONE_MATCH, "\"other\", W/".to_string() + &etag)
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::NOT_MODIFIED,
        "weak comparison and lists"
    );
}

#[tokio::test]
async fn compression_follows_accept_encoding() {
    let h = harness(Config::default()).await;
    let (_, plain_h, plain) = h.get("/api/v1/search/shard/0.json").await;
    assert!(plain_h.get(header::CONTENT_ENCODING).is_none());
    for (accept, want) in [
        ("br", "br"),
        ("gzip, deflate, br", "br"),
        ("gzip", "gzip"),
        ("br;q=0, gzip", "gzip"),
    ] {
        let (status, headers, body) = h
            .send(
                Request::get("/api/v1/search/shard/0.json")
                    .header(header::ACCEPT_ENCODING, accept)
                    .body(Body::empty())
                    .unwrap(),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(headers[header::CONTENT_ENCODING], want, "{accept}");
        assert_eq!(headers[header::VARY], "Accept-Encoding");
        assert!(
            body.len() < plain.len() / 2,
            "{accept}: {} vs {}",
            body.len(),
            plain.len()
        );
        let mut decoded = Vec::new();
        if want == "gzip" {
            flate2::read::GzDecoder::new(&body[..])
                .read_to_end(&mut decoded)
                .unwrap();
        } else {
            brotli::Decompressor::new(&body[..], 4096)
                .read_to_end(&mut decoded)
                .unwrap();
        }
        assert_eq!(decoded, plain);
    }
}

#[tokio::test]
async fn pagination_documents() {
    let h = harness(Config::default()).await;
    let (_, _, body) = h.get("/api/v1/articles/page/1.json").await;
    let p = json(&body);
    assert_eq!(
        (p["page"].as_u64(), p["total"].as_u64(), p["pages"].as_u64()),
        (Some(1), Some(5), Some(1))
    );
    assert!(p["prev"].is_null() && p["next"].is_null());
    let (status, _, body) = h.get("/api/v1/articles/page/2.json").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(json(&body)["error"], "not_found");
    let (status, _, body) = h.get("/api/v1/tags/rest/page/1.json").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(json(&body)["tag"], "rest");
}

#[tokio::test]
async fn missing_things_are_real_404s() {
    let h = harness(Config::default()).await;
    let (status, headers, body) = h.get("/api/v1/articles/nope.json").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(headers[header::CONTENT_TYPE], "application/json");
    assert_eq!(json(&body)["status"], 404);

    let (status, headers, _) = h.get("/keel-missing.js").await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "a missing asset is not the HTML shell"
    );
    assert!(
        !headers[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .contains("html")
    );

    // Each path is answered with the page the route table rendered for it
    // (`data-rendered`), a missing one with the not-found page.
    let article = "/articles/why-code-quality-suffers-when-theres-no-tech-lead";
    for (path, want, page) in [
        ("/", StatusCode::OK, "/"),
        ("/articles", StatusCode::OK, "/articles"),
        ("/articles/", StatusCode::OK, "/articles"),
        ("/services", StatusCode::OK, "/services"),
        ("/contact", StatusCode::OK, "/contact"),
        ("/embed/contact", StatusCode::OK, "/embed/contact"),
        (article, StatusCode::OK, article),
        ("/articles/no-such-article", StatusCode::NOT_FOUND, "/404"),
        ("/articles/../etc/passwd", StatusCode::NOT_FOUND, "/404"),
        ("/wp-admin", StatusCode::NOT_FOUND, "/404"),
    ] {
        let (status, headers, body) = h.get(path).await;
        assert_eq!(status, want, "{path}");
        assert!(
            headers[header::CONTENT_TYPE]
                .to_str()
                .unwrap()
                .starts_with("text/html"),
            "{path}"
        );
        let html = String::from_utf8_lossy(&body);
        assert!(
            html.contains(&format!("data-rendered=\"{page}\"")),
            "{path}: {}",
            &html[..html.len().min(300)]
        );
    }
}

#[tokio::test]
async fn pages_carry_security_headers_and_a_strict_csp() {
    let h = harness(Config::default()).await;
    let (_, headers, _) = h.get("/").await;
    let csp = headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
    let script_src = csp
        .split(';')
        .find(|d| d.trim().starts_with("script-src"))
        .unwrap();
    assert!(!script_src.contains("unsafe-inline"), "{csp}");
    assert!(
        script_src.contains("'sha256-"),
        "the inline bootstrap is allowed by hash: {csp}"
    );
    assert!(csp.contains("object-src 'none'"));
    assert_eq!(headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    let (_, headers, _) = h.get("/keel-0123456789abcdef_bg.wasm").await;
    assert_eq!(headers[header::CONTENT_TYPE], "application/wasm");
    assert!(
        headers[header::CACHE_CONTROL]
            .to_str()
            .unwrap()
            .contains("immutable")
    );
}

#[tokio::test]
async fn other_methods_get_405_json() {
    let h = harness(Config::default()).await;
    let (status, headers, body) = h
        .send(
            Request::delete("/api/v1/site.json")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(headers[header::ALLOW], "GET, HEAD");
    assert_eq!(json(&body)["status"], 405);
}

// ---- the contact intake --------------------------------------------------

/// What the answer says is stored, as sent. That nothing is answered 201
/// before it is stored is observed where the store can fail: a database
/// outage answers 503 (`postgres.rs`), and no acknowledged request is lost
/// when instances are killed (`crash.rs`).
#[tokio::test]
async fn a_valid_submission_is_answered_201_with_the_id_it_is_stored_under() {
    let h = harness(Config::default()).await;
    let (status, headers, body) = h.post_json(VALID, None).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(headers[header::CACHE_CONTROL], "no-store");
    let stored = h.stored(&body).await;
    assert_eq!(stored.name, "Åsa Nørgaard");
    assert_eq!(stored.budget.as_deref(), Some("not_sure"));
    assert!(!stored.spam);
}

#[tokio::test]
async fn invalid_fields_get_422_with_per_field_errors() {
    let h = harness(Config::default()).await;
    let (status, _, body) = h
        .post_json(
            r#"{"name":"","email":"nope","message":"hi","consent":false}"#,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"], "validation");
    let fields: Vec<&str> = body["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["name", "email", "message", "consent"]);
    let (status, _, body) = h.post_json("{}", None).await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "missing fields are field errors too"
    );
    assert_eq!(body["fields"].as_array().unwrap().len(), 4);
    assert_eq!(h.state.store.count().await.unwrap(), 0);
}

#[tokio::test]
async fn malformed_wrong_type_and_oversized_bodies() {
    let h = harness(Config::default()).await;
    let (status, _, body) = h.post_json("{\"name\": ", None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "bad_request");
    let (status, _, _) = h.post_json(r#"{"name":"a","is_admin":true}"#, None).await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "unknown fields are refused"
    );

    let (status, _, body) = h
        .send(
            Request::post("/api/v1/contact")
                .header(header::CONTENT_TYPE, "text/plain")
                .body(Body::from(VALID))
                .unwrap(),
        )
        .await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(json(&body)["status"], 415);
    let (status, ..) = h
        .send(
            Request::post("/api/v1/contact")
                .body(Body::from(VALID))
                .unwrap(),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "no content type"
    );

    let huge = format!(
        r#"{{"name":"a","email":"a@b","message":"{}","consent":true}}"#,
        "x".repeat(40_000)
    );
    let (status, _, body) = h.post_json(&huge, None).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(body["status"], 413);
    assert_eq!(h.state.store.count().await.unwrap(), 0);
}

#[tokio::test]
async fn rate_limit_answers_429_with_retry_after() {
    let mut config = Config::default();
    config.rate_limit.burst = 2;
    config.rate_limit.refill_seconds = 30;
    let h = harness(config).await;
    let other = |n: &str| VALID.replace("Postgres", n);
    assert_eq!(h.post_json(&other("A"), None).await.0, StatusCode::CREATED);
    assert_eq!(h.post_json(&other("B"), None).await.0, StatusCode::CREATED);
    let (status, headers, body) = h.post_json(&other("C"), None).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(headers[header::RETRY_AFTER], "30");
    assert_eq!(body["error"], "rate_limited");
    assert_eq!(h.state.store.count().await.unwrap(), 2);
}

#[tokio::test]
async fn idempotency_key_replays_the_first_answer() {
    let mut config = Config::default();
    config.rate_limit.burst = 1;
    let h = harness(config).await;
    let (s1, _, b1) = h.post_json(VALID, Some("k-1")).await;
    let (s2, _, b2) = h.post_json(VALID, Some("k-1")).await;
    assert_eq!(
        (s1, s2),
        (StatusCode::CREATED, StatusCode::CREATED),
        "a replay is never rate-limited"
    );
    assert_eq!(b1["id"], b2["id"]);
    assert_eq!(h.state.store.count().await.unwrap(), 1);
    let other = VALID.replace("Postgres", "MySQL");
    let (s3, _, b3) = h.post_json(&other, Some("k-1")).await;
    assert_eq!(s3, StatusCode::CONFLICT, "{b3}");
}

#[tokio::test]
async fn the_honeypot_stores_spam_without_notifying() {
    let mut config = Config::default();
    config.webhook = Some(keel_server::config::Webhook {
        url: "http://127.0.0.1:9/".into(),
        secret: None,
    });
    let h = harness(config).await;
    let spam = VALID.replace(
        "\"consent\":true",
        "\"consent\":true,\"website\":\"http://spam.example\"",
    );
    let (status, _, body) = h.post_json(&spam, None).await;
    assert_eq!(status, StatusCode::CREATED, "bots are not told");
    let s = h.stored(&body).await;
    assert!(s.spam);
    assert!(s.deliveries.is_empty());
    let (_, _, body) = h.post_json(VALID, None).await;
    let s = h.stored(&body).await;
    assert_eq!(
        s.deliveries.len(),
        1,
        "a real one gets its outbox row in the same transaction"
    );
}

#[tokio::test]
async fn cross_origin_posts_need_an_allowed_origin() {
    let mut config = Config::default();
    config.allowed_origins = vec!["https://partner.example".into()];
    let h = harness(config).await;
    let post = |origin: &str| {
        Request::post("/api/v1/contact")
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::ORIGIN, origin)
            .header(header::HOST, "keel.example")
            .body(Body::from(VALID))
            .unwrap()
    };
    let (status, headers, _) = h.send(post("https://partner.example")).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(
        headers[header::ACCESS_CONTROL_ALLOW_ORIGIN],
        "https://partner.example"
    );
    let (status, headers, body) = h.send(post("https://evil.example")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(headers.get(header::ACCESS_CONTROL_ALLOW_ORIGIN).is_none());
    assert_eq!(json(&body)["error"], "forbidden");
    let (status, ..) = h.send(post("https://keel.example")).await;
    assert_eq!(status, StatusCode::CREATED, "same origin");
    let preflight = Request::options("/api/v1/contact")
        .header(header::ORIGIN, "https://partner.example")
        .header(header::HOST, "keel.example")
        .body(Body::empty())
        .unwrap();
    let (status, headers, _) = h.send(preflight).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert!(
        headers[header::ACCESS_CONTROL_ALLOW_HEADERS]
            .to_str()
            .unwrap()
            .contains("idempotency-key")
    );
}

// ---- operator access -----------------------------------------------------

#[tokio::test]
async fn admin_endpoint_is_off_without_a_token() {
    let h = harness(Config::default()).await;
    h.post_json(VALID, None).await;
    let (status, _, body) = h.get("/api/v1/admin/submissions").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(!String::from_utf8_lossy(&body).contains("asa@example.dk"));
}

#[tokio::test]
async fn admin_endpoint_needs_the_bearer_token_and_is_never_cors() {
    let mut config = Config::default();
    config.admin_token = Some("correct-horse-battery-staple".into());
    config.allowed_origins = vec!["https://partner.example".into()];
    let h = harness(config).await;
    h.post_json(VALID, None).await;
    for auth in [
        None,
        Some("Bearer wrong"),
        Some("Bearer correct-horse-battery-stapl"),
        Some("correct-horse-battery-staple"),
    ] {
        let mut req = Request::get("/api/v1/admin/submissions");
        if let Some(a) = auth {
            req = req.header(header::AUTHORIZATION, a);
        }
        let (status, headers, body) = h.send(req.body(Body::empty()).unwrap()).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{auth:?}");
        assert_eq!(headers[header::WWW_AUTHENTICATE], "Bearer");
        assert!(!String::from_utf8_lossy(&body).contains("asa@"));
    }
    // Same-origin only: a partner's page may not read it, even with the token.
    let req = Request::get("/api/v1/admin/submissions")
        .header(header::AUTHORIZATION, "Bearer correct-horse-battery-staple")
        .header(header::ORIGIN, "https://partner.example")
        .body(Body::empty())
        .unwrap();
    let (status, headers, body) = h.send(req).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(headers.get(header::ACCESS_CONTROL_ALLOW_ORIGIN).is_none());
    assert!(!String::from_utf8_lossy(&body).contains("asa@"));
    assert_eq!(json(&body)["error"], "forbidden");
    let req = Request::get("/api/v1/admin/submissions")
        .header(header::AUTHORIZATION, "Bearer correct-horse-battery-staple")
        .body(Body::empty())
        .unwrap();
    let (status, headers, body) = h.send(req).await;
    assert_eq!(status, StatusCode::OK);
    assert!(headers.get(header::ACCESS_CONTROL_ALLOW_ORIGIN).is_none());
    assert_eq!(headers[header::CACHE_CONTROL], "no-store");
    let list = json(&body);
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["email"], "asa@example.dk");
}

#[tokio::test]
async fn a_plain_html_form_post_works_without_javascript() {
    let h = harness(Config::default()).await;
    let form = |body: &str| {
        Request::post("/api/v1/contact")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body.to_string()))
            .unwrap()
    };
    let ok = "name=%C3%85sa+N%C3%B8rgaard&email=asa%40example.dk&company=&budget=over_150k&message=We+need+help+with+our+queues.&consent=on&website=";
    let (status, headers, body) = h.send(form(ok)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        headers[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let page = String::from_utf8_lossy(&body);
    assert!(
        page.contains("Thank you, your message has arrived"),
        "{page}"
    );
    let stored = h.state.store.list(Default::default()).await.unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].name, "Åsa Nørgaard");
    assert_eq!(stored[0].budget.as_deref(), Some("over_150k"));
    assert!(page.contains(&stored[0].id));

    let (status, _, body) = h.send(form("name=&email=x&message=short")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let page = String::from_utf8_lossy(&body);
    assert!(
        page.contains("Please tell us your name.") && page.contains("Back button"),
        "{page}"
    );

    // Markup in a form post is stored as the visitor typed it (decoded, not
    // escaped or dropped), and the answer page shows only the reference.
    let hostile = ok
        .replace("name=%C3%85sa+N%C3%B8rgaard", "name=%3Cb%3EAda%3C%2Fb%3E")
        .replace(
            "message=We",
            "message=%3Cscript%3Ealert(1)%3C%2Fscript%3E+We",
        );
    let (status, _, body) = h.send(form(&hostile)).await;
    assert_eq!(status, StatusCode::OK);
    let page = String::from_utf8_lossy(&body);
    let all = h.state.store.list(Default::default()).await.unwrap();
    let stored = all
        .iter()
        .find(|s| s.name == "<b>Ada</b>")
        .unwrap_or_else(|| panic!("stored as typed: {all:?}"));
    assert_eq!(
        stored.message,
        "<script>alert(1)</script> We need help with our queues."
    );
    assert!(page.contains(&stored.id), "{page}");
    assert!(
        !page.contains("Ada") && !page.contains("alert("),
        "the page echoes no input: {page}"
    );
    let (status, ..) = h.send(form(&ok.replace("over_150k", "a_million"))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn the_same_body_twice_without_a_key_is_stored_once() {
    let h = harness(Config::default()).await;
    let (s1, _, b1) = h.post_json(VALID, None).await;
    let (s2, _, b2) = h.post_json(VALID, None).await;
    assert_eq!((s1, s2), (StatusCode::CREATED, StatusCode::CREATED));
    assert_eq!(b1["id"], b2["id"], "a double submit gets the first answer");
    assert_eq!(h.state.store.count().await.unwrap(), 1);
    let (_, _, b3) = h.post_json(&VALID.replace("Postgres", "MySQL"), None).await;
    assert_ne!(b1["id"], b3["id"], "another message is another submission");
    assert_eq!(h.state.store.count().await.unwrap(), 2);
}

#[tokio::test]
async fn control_and_bidi_characters_are_refused_per_field() {
    let h = harness(Config::default()).await;
    let body = serde_json::json!({
        "name": "Ada\u{202E}ecalovoL",
        "email": "ada@example.com",
        "company": "Acme\u{1b}[2J",
        "message": "We need help\u{7}\u{8}\u{8} with our queues.",
        "consent": true,
    });
    let (status, _, body) = h.post_json(&body.to_string(), None).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let fields: Vec<(&str, &str)> = body["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["field"].as_str().unwrap(), f["message"].as_str().unwrap()))
        .collect();
    assert_eq!(
        fields.iter().map(|f| f.0).collect::<Vec<_>>(),
        ["name", "company", "message"],
        "{body}"
    );
    assert!(
        fields[0].1.contains("U+202E")
            && fields[1].1.contains("U+001B")
            && fields[2].1.contains("U+0007"),
        "{body}"
    );
    assert_eq!(h.state.store.count().await.unwrap(), 0, "nothing stored");

    // Line breaks and tabs in the message are fine.
    let ok = VALID.replace(
        "scaling our Postgres cluster.",
        "scaling:\\r\\n\\t- Postgres\\n\\t- queues",
    );
    let (status, _, body) = h.post_json(&ok, None).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let stored = h.stored(&body).await;
    assert_eq!(
        stored.message,
        "We need help scaling:\r\n\t- Postgres\n\t- queues"
    );
}

#[tokio::test]
async fn a_resend_without_a_key_after_the_quota_is_used_gets_the_first_id() {
    let mut config = Config::default();
    config.rate_limit.burst = 1;
    config.rate_limit.refill_seconds = 3600;
    let h = harness(config).await;
    let (s1, _, b1) = h.post_json(VALID, None).await;
    assert_eq!(s1, StatusCode::CREATED, "{b1}");
    let (s2, _, b2) = h.post_json(VALID, None).await;
    assert_eq!(
        s2,
        StatusCode::CREATED,
        "the double submit is recognised before the rate limit: {b2}"
    );
    assert_eq!(b1["id"], b2["id"]);
    let (s3, ..) = h.post_json(&VALID.replace("Postgres", "MySQL"), None).await;
    assert_eq!(
        s3,
        StatusCode::TOO_MANY_REQUESTS,
        "a new submission is still limited"
    );
    assert_eq!(h.state.store.count().await.unwrap(), 1);
}

fn form_post(body: String) -> Request<Body> {
    Request::post("/api/v1/contact")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(body))
        .unwrap()
}

#[tokio::test]
async fn a_form_post_is_limited_by_its_decoded_size() {
    use keel_model::contact::BODY_LIMIT_BYTES;
    let h = harness(Config::default()).await;
    let form = |message: &str| {
        serde_urlencoded::to_string([
            ("name", "Åsa"),
            ("email", "asa@example.dk"),
            ("message", message),
            ("consent", "on"),
        ])
        .unwrap()
    };
    // 4,000 three-byte characters: 12 kB of text, 36 kB percent-encoded.
    let long = "€".repeat(4_000);
    let body = form(&long);
    assert!(
        body.len() > BODY_LIMIT_BYTES,
        "{} bytes encoded",
        body.len()
    );
    let (status, _, page) = h.send(form_post(body)).await;
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&page));
    assert_eq!(
        h.state.store.list(Default::default()).await.unwrap()[0].message,
        long
    );

    // Over the limit once decoded (and not much encoding to hide behind): 413.
    let (status, _, page) = h
        .send(form_post(form(&"a".repeat(BODY_LIMIT_BYTES + 1))))
        .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(String::from_utf8_lossy(&page).contains("larger than"));
    // The raw body has a cap too: three times the limit.
    let (status, ..) = h
        .send(form_post(form(&"€".repeat(BODY_LIMIT_BYTES / 2))))
        .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(h.state.store.count().await.unwrap(), 1);
}

#[tokio::test]
async fn a_configured_public_origin_decides_same_origin_scheme_included() {
    let mut config = Config::default();
    config.public_origin = Some("https://keel.example".into());
    let h = harness(config).await;
    let post = |origin: &str, host: &str, body: &str| {
        Request::post("/api/v1/contact")
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::ORIGIN, origin)
            .header(header::HOST, host)
            .body(Body::from(body.to_string()))
            .unwrap()
    };
    // Behind a proxy that rewrites Host, the browser's POST is still same-origin.
    let (status, headers, body) = h
        .send(post("https://keel.example", "127.0.0.1:8080", VALID))
        .await;
    assert_eq!(
        status,
        StatusCode::CREATED,
        "{}",
        String::from_utf8_lossy(&body)
    );
    // The site's own origin is allowed to read the answer: the same origin
    // does not need it, and a site whose API is here on another origin does.
    assert_eq!(
        headers
            .get(header::ACCESS_CONTROL_ALLOW_ORIGIN)
            .map(|v| v.to_str().unwrap()),
        Some("https://keel.example")
    );
    for (origin, host) in [
        ("http://keel.example", "keel.example"),
        ("https://keel.example:8443", "keel.example:8443"),
        ("https://127.0.0.1:8080", "127.0.0.1:8080"),
        ("null", "keel.example"),
    ] {
        let (status, _, body) = h
            .send(post(origin, host, &VALID.replace("Postgres", origin)))
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{origin} with Host {host}");
        assert_eq!(json(&body)["error"], "forbidden");
    }
    assert_eq!(h.state.store.count().await.unwrap(), 1);
}

#[tokio::test]
async fn without_a_public_origin_the_host_decides_and_the_scheme_is_checked_where_known() {
    let mut config = Config::default();
    config.trust_forwarded_for = true;
    let h = harness(config).await;
    let post = |origin: &str, proto: Option<&str>, n: usize| {
        let mut req = Request::post("/api/v1/contact")
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::ORIGIN, origin)
            .header(header::HOST, "keel.example");
        if let Some(p) = proto {
            req = req.header("x-forwarded-proto", p);
        }
        req.body(Body::from(
            VALID.replace("Postgres", &format!("Postgres {n}")),
        ))
        .unwrap()
    };
    assert_eq!(
        h.send(post("https://keel.example", None, 1)).await.0,
        StatusCode::CREATED
    );
    assert_eq!(
        h.send(post("http://keel.example", None, 2)).await.0,
        StatusCode::CREATED
    );
    assert_eq!(
        h.send(post("https://keel.example", Some("https"), 3))
            .await
            .0,
        StatusCode::CREATED
    );
    assert_eq!(
        h.send(post("http://keel.example", Some("https"), 4))
            .await
            .0,
        StatusCode::FORBIDDEN,
        "the proxy says https"
    );
    assert_eq!(
        h.send(post("ftp://keel.example", None, 5)).await.0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        h.send(post("https://keel.example.evil", None, 6)).await.0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(h.state.store.count().await.unwrap(), 3);

    // X-Forwarded-Proto from a peer that is not a trusted proxy is not believed.
    let h = harness(Config::default()).await;
    assert_eq!(
        h.send(post("http://keel.example", Some("https"), 7))
            .await
            .0,
        StatusCode::CREATED
    );
}
