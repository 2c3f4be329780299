//! Who may post and read from where: same-origin rules (with and without a
//! configured public origin), cross-origin posts, and the admin endpoint.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use keel_server::Config;

use crate::support::*;

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

#[tokio::test]
async fn admin_endpoint_is_off_without_a_token() {
    let h = harness(Config::default()).await;
    h.post_json(VALID, None).await;
    let (status, _, body) = h.get("/api/v1/admin/submissions").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(!String::from_utf8_lossy(&body).contains("asa@example.dk"));
    // Anything under it, as if it were not there: a bad query, another path,
    // another method.
    for req in [
        Request::get("/api/v1/admin/submissions?include_spam=x"),
        Request::get("/api/v1/admin/other"),
        Request::get("/api/v1/admin"),
        Request::post("/api/v1/admin/submissions"),
        Request::delete("/api/v1/admin/submissions"),
    ] {
        let (status, _, body) = h.send(req.body(Body::empty()).unwrap()).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(json(&body)["error"], "not_found");
    }
}

#[tokio::test]
async fn wrong_admin_tokens_are_throttled_per_address_and_the_scheme_is_any_case() {
    let mut config = Config::default();
    config.admin_token = Some("correct-horse-battery-staple".into());
    let h = harness(config).await;
    let ask = |auth: &str| {
        Request::get("/api/v1/admin/submissions")
            .header(header::AUTHORIZATION, auth)
            .body(Body::empty())
            .unwrap()
    };
    let (status, _, _) = h.send(ask("bearer correct-horse-battery-staple")).await;
    assert_eq!(status, StatusCode::OK, "the scheme in lower case");
    for n in 1..=keel_server::admin::FAILURES_ALLOWED {
        let (status, _, _) = h.send(ask(&format!("Bearer guess-{n}"))).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "guess {n}");
    }
    // Its failures used: refused without a look at the token, the right one too.
    for auth in ["Bearer guess-again", "Bearer correct-horse-battery-staple"] {
        let (status, headers, body) = h.send(ask(auth)).await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{auth}");
        let wait: u64 = headers[header::RETRY_AFTER]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((1..=keel_server::admin::FAILURE_WINDOW.as_secs()).contains(&wait));
        assert!(!String::from_utf8_lossy(&body).contains("asa@"));
    }
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
