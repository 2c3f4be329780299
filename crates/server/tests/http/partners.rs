//! Partner sites (issue 8): what a partner's page may read, post and frame,
//! and the partner origin recorded with each submission. The real router on a
//! real listener (`listen::serve`) on a loopback port, a real SQLite file,
//! spoken to over HTTP with reqwest (a client that, unlike a browser, lets a
//! test set `Origin`).

use std::time::Duration;

use keel_server::{AppState, Config, listen};
use keel_store::{ListFilter, Store};
use reqwest::StatusCode;
use reqwest::header::HeaderMap;

const PARTNER: &str = "https://partner.example";
const OTHER_PARTNER: &str = "http://localhost:3000";
const FOREIGN: &str = "https://evil.example";
const TOKEN: &str = "correct-horse-battery-staple";

const VALID: &str = r#"{"name":"Ada Lovelace","email":"ada@example.com","company":null,"budget":"not_sure","message":"We need help scaling our Postgres cluster.","consent":true}"#;

fn body(n: usize) -> String {
    VALID.replace("Postgres cluster", &format!("Postgres cluster number {n}"))
}

struct Server {
    url: String,
    store: Store,
    _dir: tempfile::TempDir,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn start(tune: impl FnOnce(&mut Config)) -> Server {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("keel.db"), 1).await.unwrap();
    let mut config = Config::default();
    config.allowed_origins = vec![PARTNER.into(), OTHER_PARTNER.into()];
    config.public_origin = Some("https://keel.example".into());
    config.admin_token = Some(TOKEN.into());
    tune(&mut config);
    let state = AppState::new(config, crate::support::site(), store.clone());
    let limits = listen::Limits::new(Duration::from_secs(10));
    let (addr, task) = crate::support::listener::serve(state, limits).await;
    Server {
        url: format!("http://{addr}"),
        store,
        _dir: dir,
        task,
    }
}

struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: String,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(|v| v.to_str().unwrap())
    }

    fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    /// What a partner page needs to read this answer.
    fn assert_readable_by(&self, origin: &str, what: &str) {
        assert_eq!(
            self.header("access-control-allow-origin"),
            Some(origin),
            "{what}: {:?}",
            self.headers
        );
        assert!(
            self.headers
                .get_all("vary")
                .iter()
                .any(|v| v.to_str().unwrap().contains("Origin")),
            "{what}: Vary: Origin in {:?}",
            self.headers
        );
    }
}

async fn send(req: reqwest::RequestBuilder) -> Answer {
    let res = req.send().await.unwrap();
    Answer {
        status: res.status(),
        headers: res.headers().clone(),
        body: res.text().await.unwrap(),
    }
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

impl Server {
    fn post(&self, origin: Option<&str>, body: String) -> reqwest::RequestBuilder {
        let mut req = client()
            .post(format!("{}/api/v1/contact", self.url))
            .header("content-type", "application/json")
            .body(body);
        if let Some(o) = origin {
            req = req.header("origin", o);
        }
        req
    }

    fn form(&self, origin: Option<&str>, body: &str) -> reqwest::RequestBuilder {
        let mut req = client()
            .post(format!("{}/api/v1/contact", self.url))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body.to_string());
        if let Some(o) = origin {
            req = req.header("origin", o);
        }
        req
    }

    fn get(&self, path: &str, origin: Option<&str>) -> reqwest::RequestBuilder {
        let mut req = client().get(format!("{}{path}", self.url));
        if let Some(o) = origin {
            req = req.header("origin", o);
        }
        req
    }

    fn preflight(&self, path: &str, origin: &str) -> reqwest::RequestBuilder {
        client()
            .request(reqwest::Method::OPTIONS, format!("{}{path}", self.url))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header(
                "access-control-request-headers",
                "content-type, idempotency-key, keel-embed-origin, keel-filled-ms",
            )
    }

    async fn count(&self) -> usize {
        self.store
            .list(ListFilter {
                include_spam: true,
                include_handled: true,
            })
            .await
            .unwrap()
            .len()
    }

    async fn partner_of(&self, answer: &Answer) -> Option<String> {
        let id = answer.json()["id"].as_str().unwrap().to_string();
        self.store.get(&id).await.unwrap().unwrap().partner_origin
    }
}

#[tokio::test]
async fn every_contact_answer_to_a_partner_carries_its_cors_headers() {
    let s = start(|c| c.rate_limit.burst = 2).await;

    let created = send(
        s.post(Some(PARTNER), body(1))
            .header("idempotency-key", "k1"),
    )
    .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    created.assert_readable_by(PARTNER, "201");
    assert!(
        created
            .header("access-control-expose-headers")
            .is_some_and(|v| v.to_ascii_lowercase().contains("retry-after")),
        "{:?}",
        created.headers
    );

    let replay = send(
        s.post(Some(PARTNER), body(1))
            .header("idempotency-key", "k1"),
    )
    .await;
    assert_eq!(
        replay.status,
        StatusCode::CREATED,
        "a replay answers as the first did"
    );
    replay.assert_readable_by(PARTNER, "replay");

    let conflict = send(
        s.post(Some(PARTNER), body(2))
            .header("idempotency-key", "k1"),
    )
    .await;
    assert_eq!(conflict.status, StatusCode::CONFLICT);
    conflict.assert_readable_by(PARTNER, "409");

    let invalid = send(s.post(Some(PARTNER), VALID.replace("ada@example.com", "nope"))).await;
    assert_eq!(invalid.status, StatusCode::UNPROCESSABLE_ENTITY);
    invalid.assert_readable_by(PARTNER, "422");
    assert_eq!(invalid.json()["fields"][0]["field"], "email");

    let malformed = send(s.post(Some(PARTNER), "{".into())).await;
    assert_eq!(malformed.status, StatusCode::BAD_REQUEST);
    malformed.assert_readable_by(PARTNER, "400");

    let wrong_type = send(
        client()
            .post(format!("{}/api/v1/contact", s.url))
            .header("origin", PARTNER)
            .header("content-type", "text/plain")
            .body(VALID),
    )
    .await;
    assert_eq!(wrong_type.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    wrong_type.assert_readable_by(PARTNER, "415");

    // Over the form's limit (the handler's 413), and over the server's body
    // limit (tower-http's 413, turned into JSON by the error layer).
    let big = send(s.post(
        Some(PARTNER),
        body(3).replace("We need", &"x".repeat(40_000)),
    ))
    .await;
    assert_eq!(big.status, StatusCode::PAYLOAD_TOO_LARGE);
    big.assert_readable_by(PARTNER, "413 from the handler");
    let huge = send(s.post(Some(PARTNER), "x".repeat(300 * 1024))).await;
    assert_eq!(huge.status, StatusCode::PAYLOAD_TOO_LARGE);
    huge.assert_readable_by(PARTNER, "413 from the body limit");
    assert_eq!(huge.json()["error"], "payload_too_large");

    // The burst is 2 (one used by the 201): the third new submission waits.
    let second = send(s.post(Some(PARTNER), body(4))).await;
    assert_eq!(second.status, StatusCode::CREATED);
    let limited = send(s.post(Some(PARTNER), body(5))).await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
    limited.assert_readable_by(PARTNER, "429");
    assert!(limited.header("retry-after").is_some());
    assert_eq!(
        limited.header("access-control-expose-headers"),
        Some("Retry-After")
    );

    // A refused claim is readable too: the partner's page can say why.
    let refused = send(
        s.post(Some(PARTNER), body(6))
            .header("keel-embed-origin", FOREIGN),
    )
    .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    refused.assert_readable_by(PARTNER, "403");

    // Another partner gets its own origin back, never the first one's.
    let other = send(s.post(Some(OTHER_PARTNER), "{".into())).await;
    other.assert_readable_by(OTHER_PARTNER, "another partner");
}

#[tokio::test]
async fn reads_answer_partners_on_every_status_and_the_site_from_another_origin() {
    let s = start(|_| {}).await;
    let ok = send(s.get("/api/v1/site.json", Some(PARTNER))).await;
    assert_eq!(ok.status, StatusCode::OK);
    ok.assert_readable_by(PARTNER, "200");
    let etag = ok.header("etag").unwrap().to_string();
    let not_modified = send(
        s.get("/api/v1/site.json", Some(PARTNER))
            .header("if-none-match", etag),
    )
    .await;
    assert_eq!(not_modified.status, StatusCode::NOT_MODIFIED);
    not_modified.assert_readable_by(PARTNER, "304");
    let missing = send(s.get("/api/v1/articles/no-such-article.json", Some(PARTNER))).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    missing.assert_readable_by(PARTNER, "404");
    assert_eq!(missing.json()["error"], "not_found");
    let head = send(
        client()
            .head(format!("{}/api/v1/site.json", s.url))
            .header("origin", PARTNER),
    )
    .await;
    head.assert_readable_by(PARTNER, "HEAD");

    // The site itself (`public_origin`) may read from another origin too: a
    // build with `--api-origin` puts its API on this server.
    let site = send(s.get("/api/v1/site.json", Some("https://keel.example"))).await;
    site.assert_readable_by("https://keel.example", "the site");
    for origin in [None, Some(FOREIGN)] {
        let a = send(s.get("/api/v1/site.json", origin)).await;
        assert_eq!(a.status, StatusCode::OK, "public documents: {origin:?}");
        assert_eq!(a.header("access-control-allow-origin"), None, "{origin:?}");
        assert!(
            a.headers
                .get_all("vary")
                .iter()
                .any(|v| v.to_str().unwrap().contains("Origin")),
            "a cache keeps the answers apart: {origin:?}"
        );
    }
}

#[tokio::test]
async fn the_preflight_admits_partners_only() {
    let s = start(|_| {}).await;
    let ok = send(s.preflight("/api/v1/contact", PARTNER)).await;
    assert_eq!(ok.status, StatusCode::NO_CONTENT);
    ok.assert_readable_by(PARTNER, "preflight");
    assert_eq!(ok.header("access-control-allow-methods"), Some("POST"));
    let allowed = ok.header("access-control-allow-headers").unwrap();
    for h in [
        "content-type",
        "idempotency-key",
        "keel-embed-origin",
        "keel-filled-ms",
    ] {
        assert!(allowed.contains(h), "{h} in {allowed}");
    }
    assert!(
        ok.header("access-control-max-age")
            .unwrap()
            .parse::<u32>()
            .unwrap()
            > 0
    );

    let site = send(s.preflight("/api/v1/contact", "https://keel.example")).await;
    assert_eq!(
        site.status,
        StatusCode::NO_CONTENT,
        "the site, its API elsewhere"
    );
    site.assert_readable_by("https://keel.example", "the site's preflight");

    for origin in [FOREIGN, "null", "https://keel.example.evil"] {
        let no = send(s.preflight("/api/v1/contact", origin)).await;
        assert_eq!(no.status, StatusCode::FORBIDDEN, "{origin}");
        assert_eq!(no.header("access-control-allow-origin"), None);
        assert_eq!(no.json()["error"], "forbidden");
        assert!(
            no.header("content-type")
                .unwrap()
                .starts_with("application/json")
        );
    }

    let read = send(s.preflight("/api/v1/site.json", PARTNER)).await;
    assert_eq!(read.status, StatusCode::NO_CONTENT);
    assert_eq!(
        read.header("access-control-allow-methods"),
        Some("GET, HEAD")
    );
}

#[tokio::test]
async fn the_admin_endpoint_is_never_cross_origin() {
    let s = start(|_| {}).await;
    send(s.post(Some(PARTNER), body(1))).await;
    for origin in [PARTNER, FOREIGN] {
        let a = send(
            s.get("/api/v1/admin/submissions", Some(origin))
                .bearer_auth(TOKEN),
        )
        .await;
        assert_eq!(a.status, StatusCode::FORBIDDEN, "{origin}");
        assert_eq!(a.json()["error"], "forbidden");
        assert!(!a.body.contains("ada@example.com"));
        assert!(
            a.headers
                .keys()
                .all(|k| !k.as_str().starts_with("access-control-")),
            "{origin}: {:?}",
            a.headers
        );
        let pre = send(s.preflight("/api/v1/admin/submissions", origin)).await;
        assert!(
            pre.headers
                .keys()
                .all(|k| !k.as_str().starts_with("access-control-"))
        );
    }
    let own = send(
        s.get("/api/v1/admin/submissions", Some("https://keel.example"))
            .bearer_auth(TOKEN),
    )
    .await;
    assert_eq!(own.status, StatusCode::OK);
    assert!(
        own.headers
            .keys()
            .all(|k| !k.as_str().starts_with("access-control-"))
    );
    let list = own.json();
    assert_eq!(
        list[0]["partner_origin"], PARTNER,
        "the admin JSON shows it"
    );
}

#[tokio::test]
async fn refused_posts_store_nothing() {
    let s = start(|_| {}).await;
    let before = s.count().await;
    let refused = [
        ("a foreign Origin", send(s.post(Some(FOREIGN), body(1))).await),
        ("a null Origin", send(s.post(Some("null"), body(2))).await),
        (
            "a foreign Keel-Embed-Origin",
            send(s.post(None, body(3)).header("keel-embed-origin", FOREIGN)).await,
        ),
        (
            "a partner's origin, not exactly",
            send(s.post(None, body(4)).header("keel-embed-origin", "https://partner.example/")).await,
        ),
        (
            "a foreign Keel-Embed-Origin beside a partner's Origin",
            send(s.post(Some(PARTNER), body(5)).header("keel-embed-origin", FOREIGN)).await,
        ),
        (
            "a foreign form field",
            send(s.form(
                Some("https://keel.example"),
                "name=Ada&email=ada%40example.com&message=We+need+help+with+queues.&consent=on&embed_origin=https%3A%2F%2Fevil.example",
            ))
            .await,
        ),
        (
            "a foreign form field beside a partner's Origin",
            send(s.form(
                Some(PARTNER),
                "name=Ada&email=ada%40example.com&message=We+need+help+with+queues.&consent=on&embed_origin=https%3A%2F%2Fevil.example",
            ))
            .await,
        ),
        (
            "a foreign Origin, as a form",
            send(s.form(
                Some(FOREIGN),
                "name=Ada&email=ada%40example.com&message=We+need+help+with+queues.&consent=on",
            ))
            .await,
        ),
    ];
    for (what, a) in &refused {
        assert_eq!(a.status, StatusCode::FORBIDDEN, "{what}: {}", a.body);
    }
    assert_eq!(refused[0].1.json()["error"], "forbidden");
    assert_eq!(refused[0].1.header("access-control-allow-origin"), None);
    assert_eq!(s.count().await, before, "nothing stored");
}

#[tokio::test]
async fn each_submission_records_the_partner_it_came_from() {
    let s = start(|c| c.rate_limit.burst = 100).await;
    // A cross-origin POST from the partner's own page.
    let a = send(s.post(Some(PARTNER), body(1))).await;
    assert_eq!(s.partner_of(&a).await.as_deref(), Some(PARTNER));
    // The iframe's form: our origin, the host page named by the header.
    let b = send(
        s.post(Some("https://keel.example"), body(2))
            .header("keel-embed-origin", OTHER_PARTNER),
    )
    .await;
    assert_eq!(b.status, StatusCode::CREATED, "{}", b.body);
    // (Readable by the site's pages when they are on another origin than
    // this server, the API of an `--api-origin` build.)
    assert_eq!(
        b.header("access-control-allow-origin"),
        Some("https://keel.example")
    );
    assert_eq!(s.partner_of(&b).await.as_deref(), Some(OTHER_PARTNER));
    // Both: the browser's Origin wins over what a page says.
    let c = send(
        s.post(Some(PARTNER), body(3))
            .header("keel-embed-origin", OTHER_PARTNER),
    )
    .await;
    assert_eq!(s.partner_of(&c).await.as_deref(), Some(PARTNER));
    // The site itself, and curl: no partner. An empty claim is no claim.
    let d = send(s.post(Some("https://keel.example"), body(4))).await;
    assert_eq!(s.partner_of(&d).await, None);
    let e = send(s.post(None, body(5)).header("keel-embed-origin", "")).await;
    assert_eq!(e.status, StatusCode::CREATED);
    assert_eq!(s.partner_of(&e).await, None);
    // The embed page's form without JavaScript: the hidden field.
    let f = send(s.form(
        Some("https://keel.example"),
        "name=Ada&email=ada%40example.com&message=We+need+help+with+queues.&consent=on&embed_origin=https%3A%2F%2Fpartner.example",
    ))
    .await;
    assert_eq!(f.status, StatusCode::OK, "{}", f.body);
    assert!(
        f.header("content-security-policy")
            .unwrap()
            .ends_with(&format!(
                "; frame-ancestors 'self' {PARTNER} {OTHER_PARTNER}"
            )),
        "the answer shows inside the partner's iframe, and only there: {:?}",
        f.headers
    );
    let stored = s
        .store
        .list(ListFilter::default())
        .await
        .unwrap()
        .into_iter()
        .find(|x| x.message.contains("queues"))
        .expect("the form post is stored");
    assert_eq!(stored.partner_origin.as_deref(), Some(PARTNER));
}

#[tokio::test]
async fn partner_pages_may_load_the_public_assets_and_frame_only_the_embed_pages() {
    let s = start(|_| {}).await;
    for path in [crate::support::WASM, crate::support::GLUE, "/embed/v1.js"] {
        let a = send(s.get(path, Some(PARTNER))).await;
        assert_eq!(a.status, StatusCode::OK, "{path}");
        assert_eq!(a.header("access-control-allow-origin"), Some("*"), "{path}");
        assert_eq!(
            a.header("cross-origin-resource-policy"),
            Some("cross-origin"),
            "{path}"
        );
    }
    let frame_ancestors = |a: &Answer| {
        a.header("content-security-policy")
            .unwrap()
            .split(';')
            .map(str::trim)
            .find(|d| d.starts_with("frame-ancestors"))
            .unwrap()
            .to_string()
    };
    for path in [
        "/embed/contact/",
        "/embed/contact",
        "/embed/contact/index.html",
    ] {
        let a = send(s.get(path, None)).await;
        assert_eq!(a.status, StatusCode::OK, "{path}");
        assert_eq!(
            frame_ancestors(&a),
            format!("frame-ancestors 'self' {PARTNER} {OTHER_PARTNER}"),
            "{path}"
        );
        assert_eq!(a.header("x-frame-options"), None);
        // Framable by a partner page that isolates itself (COEP).
        for (name, value) in keel_site_rules::EMBED_PAGE_HEADERS {
            assert_eq!(a.header(&name.to_ascii_lowercase()), Some(value), "{path}");
        }
        assert_eq!(a.header("access-control-allow-origin"), None);
    }
    // A page no longer there, under /embed/ (a partner's page naming an
    // article since removed): the embed views' own not-found page, which the
    // partner may frame. Elsewhere, our site's.
    for (path, page) in [
        ("/embed/articles/gone", "/embed/404"),
        ("/embed/nope/", "/embed/404"),
        ("/articles/gone", "/404"),
    ] {
        let a = send(s.get(path, None)).await;
        assert_eq!(a.status, StatusCode::NOT_FOUND, "{path}");
        assert!(
            a.body.contains(&format!("data-rendered=\"{page}\"")),
            "{path}: {}",
            a.body
        );
        let ancestors = if page == "/404" {
            "frame-ancestors 'self'".to_string()
        } else {
            format!("frame-ancestors 'self' {PARTNER} {OTHER_PARTNER}")
        };
        assert_eq!(frame_ancestors(&a), ancestors, "{path}");
    }
    let article = format!("/articles/{}/", crate::support::an_article());
    for path in ["/", article.as_str(), "/contact"] {
        let a = send(s.get(path, None)).await;
        assert_eq!(frame_ancestors(&a), "frame-ancestors 'self'", "{path}");
        assert_eq!(a.header("cross-origin-resource-policy"), None, "{path}");
        assert_eq!(a.header("cross-origin-embedder-policy"), None, "{path}");
        assert_eq!(
            a.header("cross-origin-opener-policy"),
            Some("same-origin"),
            "{path}"
        );
    }
    let icon = send(s.get("/assets/favicon.svg", Some(PARTNER))).await;
    assert_eq!(
        icon.header("access-control-allow-origin"),
        None,
        "only what a widget needs"
    );
}
