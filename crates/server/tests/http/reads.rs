//! The read side: API documents, pages, compression, caching, errors and
//! methods, through the real router on the real compiled site.

use std::io::Read;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use keel_server::Config;

use crate::support::*;

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
