//! The same components render complete pages on the server from a pre-filled
//! cache: no effect is needed for content (the premise of prerendering and of
//! embeds). Run with `cargo test -p keel --features ssr`.

use keel::api::ApiCache;
use keel::{App, AppProps};

fn cache() -> ApiCache {
    let out =
        keel_content::fs::compile_bundled(&Default::default()).unwrap_or_else(|e| panic!("{e}"));
    let cache = ApiCache::new("");
    for (path, bytes) in out.files.iter().filter(|(p, _)| p.starts_with("/api/")) {
        cache.insert(path, std::str::from_utf8(bytes).unwrap());
    }
    cache
}

async fn render(url: &str) -> String {
    let props = AppProps {
        cache: cache(),
        url: Some(url.to_string().into()),
        basename: None,
        inline_site: None,
        widget: None,
    };
    yew::LocalServerRenderer::<App>::with_props(props)
        .render()
        .await
}

#[tokio::test(flavor = "current_thread")]
async fn an_article_renders_complete_on_the_server() {
    let html =
        render("/articles/why-backend-developers-often-carry-the-most-responsibility-in-a-team")
            .await;
    assert!(html.contains("<h1 id=\"page-title\" tabindex=\"-1\">Why Backend Developers Often Carry the Most Responsibility in a Team</h1>"), "{html}");
    assert!(html.contains("If the backend fails, nothing else matters."));
    assert!(html.contains("Copenhagen") && html.contains("12 Jalan Bligo"));
    assert!(html.contains("href=\"/articles/"), "cards link to articles");
    assert!(
        !html.contains("Loading"),
        "no skeleton: the data came from the cache"
    );
}

#[tokio::test(flavor = "current_thread")]
async fn every_route_renders_its_content() {
    for (url, expect) in [
        ("/", "Latest articles"),
        ("/articles", "REST Is Not Just Using HTTP"),
        ("/articles?tag=oauth", "Articles tagged “oauth”"),
        ("/services", "Documentation-Driven Development"),
        ("/contact", "Tell us about your project"),
        ("/nope", "We could not find that page"),
    ] {
        let html = render(url).await;
        assert!(html.contains(expect), "{url}: {html}");
        assert!(!html.contains("Loading"), "{url}");
    }
}

#[tokio::test(flavor = "current_thread")]
async fn hostile_text_is_escaped_in_server_output() {
    let cache = cache();
    let mut article: serde_json::Value = serde_json::from_str(
        &cache
            .loaded()
            .into_iter()
            .find(|(p, _)| p.ends_with("tech-lead.json"))
            .unwrap()
            .1,
    )
    .unwrap();
    article["title"] = "<script>alert(1)</script>".into();
    article["body"] = serde_json::json!([{ "t": "paragraph", "content": [{ "t": "text", "text": "<img src=x onerror=alert(1)>" }] }]);
    cache.insert(
        "/api/v1/articles/why-code-quality-suffers-when-theres-no-tech-lead.json",
        &article.to_string(),
    );
    let props = AppProps {
        cache,
        url: Some("/articles/why-code-quality-suffers-when-theres-no-tech-lead".into()),
        basename: None,
        inline_site: None,
        widget: None,
    };
    let html = yew::LocalServerRenderer::<App>::with_props(props)
        .render()
        .await;
    assert!(
        html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "{html}"
    );
    assert!(html.contains("&lt;img src=x onerror=alert(1)&gt;"));
    assert!(!html.contains("<script>alert") && !html.contains("<img src=x"));
}

#[tokio::test(flavor = "current_thread")]
async fn a_search_renders_ranked_results_with_the_matched_words_marked() {
    let html = render("/articles?q=oauth").await;
    assert!(html.contains("1 result for “oauth”"), "{html}");
    assert!(
        html.contains("<mark>OAuth</mark>"),
        "the title's match is marked: {html}"
    );
    let html = render("/articles?q=tech+lea").await;
    assert!(
        html.contains("<mark>Tech</mark> <mark>Lead</mark>"),
        "prefixes match and are marked: {html}"
    );
}

#[tokio::test(flavor = "current_thread")]
async fn the_pager_links_first_last_and_nearby_pages() {
    let cache = cache();
    let first = cache
        .loaded()
        .into_iter()
        .find(|(p, _)| p == "/api/v1/articles/page/1.json")
        .unwrap()
        .1;
    let mut page: serde_json::Value = serde_json::from_str(&first).unwrap();
    page["page"] = 50.into();
    page["pages"] = 167.into();
    page["prev"] = "/api/v1/articles/page/49.json".into();
    page["next"] = "/api/v1/articles/page/51.json".into();
    cache.insert("/api/v1/articles/page/50.json", &page.to_string());
    let props = AppProps {
        cache,
        url: Some("/articles?page=50".into()),
        basename: None,
        inline_site: None,
        widget: None,
    };
    let html = yew::LocalServerRenderer::<App>::with_props(props)
        .render()
        .await;
    let links: Vec<&str> = html
        .split("aria-label=\"Page ")
        .skip(1)
        .map(|s| &s[..s.find('"').unwrap()])
        .collect();
    assert_eq!(links, ["1", "48", "49", "50", "51", "52", "167"], "{html}");
    assert!(
        html.contains("aria-current=\"page\""),
        "the current page is marked"
    );
}

/// Elements whose class is no literal get their attributes from
/// `components::attrs`, outside `html!`: they must render as if written in it.
#[tokio::test(flavor = "current_thread")]
async fn attributes_set_outside_html_render_as_written() {
    let cache = cache();
    let path = "/api/v1/articles/why-code-quality-suffers-when-theres-no-tech-lead.json";
    let mut article: serde_json::Value = serde_json::from_str(
        &cache
            .loaded()
            .into_iter()
            .find(|(p, _)| p == path)
            .unwrap()
            .1,
    )
    .unwrap();
    let cell = |text: &str| serde_json::json!([{ "t": "text", "text": text }]);
    article["body"] = serde_json::json!([{
        "t": "table",
        "align": ["none", "center", "right"],
        "head": [cell("Method"), cell("Safe"), cell("Cost")],
        "rows": [[cell("GET"), cell("Yes"), cell("1")]],
    }]);
    article["toc"] = serde_json::json!([{ "level": 2, "id": "top", "text": "Top" }, { "level": 3, "id": "sub", "text": "Sub" }]);
    cache.insert(path, &article.to_string());
    let props = AppProps {
        cache,
        url: Some("/articles/why-code-quality-suffers-when-theres-no-tech-lead".into()),
        basename: None,
        inline_site: None,
        widget: None,
    };
    let html = yew::LocalServerRenderer::<App>::with_props(props)
        .render()
        .await;
    for expect in [
        r#"<th scope="col">Method</th>"#,
        r#"<th scope="col" class="align-center">Safe</th>"#,
        r#"<th scope="col" class="align-right">Cost</th>"#,
        r#"<td>GET</td>"#,
        r#"<td class="align-right">1</td>"#,
        r##"<li><a href="#top">Top</a></li>"##,
        r##"<li class="sub"><a href="#sub">Sub</a></li>"##,
        r#"<div class="keel">"#,
        r#"<nav aria-label="Main" id="site-nav-wrap" class="nav-wrap">"#,
        r#"<a href="/contact" class="button">"#,
        r#"<a href="/articles" aria-current="page">Articles</a>"#,
        r#"<a href="/" class="brand" aria-label="Keel, home">Keel</a>"#,
    ] {
        assert!(html.contains(expect), "{expect} in {html}");
    }
}
