//! Prerendering: every route of the SPA rendered to static HTML by the same
//! components (Yew SSR), from the compiled API documents, into trunk's shell.
//!
//! Each page gets: its `<title>`, description, canonical URL, Open Graph and
//! JSON-LD; the app's stylesheet (so it is styled before any script runs);
//! the rendered markup inside `#app`, marked with the URL it was rendered for;
//! and the API documents it was rendered from, as inert JSON, so the browser
//! hydrates the same tree without fetching.
//!
//! Our site's pages, the partner playground and the embed views are rendered
//! by their own roots (`keel::App`, `keel::PlaygroundApp`,
//! `keel::embed::EmbedApp`) into their own shells, each of which loads its
//! own wasm.
//!
//! Architecture invariant: no IO. The caller hands in the shells and the API
//! documents and writes what comes back.

use std::collections::BTreeMap;

mod cards;
mod sitemap;
pub use cards::{card, cards};
pub use sitemap::{SITEMAP_MAX_URLS, sitemaps};

use keel::api::ApiCache;
use keel::embed::EmbedApp;
use keel::route::{Bundle, Inventory, Route};
use keel::{App, AppProps, PlaygroundApp};
use keel_model::{Article, Site, paths};

/// One page to write: its path under `dist/` and its HTML.
pub struct Page {
    pub file: String,
    pub html: String,
}

/// A page the site has: the route, the URL it is rendered at, the file it is
/// written to, and the API documents it is rendered from. The page is a pure
/// function of the shell, these documents and the SPA's code, so a build can
/// skip rendering it when none of them changed.
#[derive(Clone, Debug)]
pub struct PageSpec {
    pub route: Route,
    pub url: String,
    pub file: String,
    pub docs: Vec<String>,
}

/// What the partner scripts share with the app, by the mark the build
/// replaces with each (`keel::embed::script_facts`).
pub use keel::embed::script_facts;

/// The site's one stylesheet (`keel::style`), as every page's `<head>` and
/// the inline embeds carry it.
pub fn stylesheet() -> anyhow::Result<String> {
    keel::style::stylesheet().map_err(|e| anyhow::anyhow!("stylesheet: {e}"))
}

/// Trunk's shells, which the pages are rendered into: one per wasm bundle
/// (`keel::route::Bundle`), each loading its own wasm.
pub struct Shells {
    pub site: String,
    pub playground: String,
    pub embed: String,
}

impl Shells {
    /// The shell `route`'s page is rendered into.
    pub fn of(&self, route: &Route) -> &str {
        match route.bundle() {
            Bundle::Site => &self.site,
            Bundle::Playground => &self.playground,
            Bundle::Embed => &self.embed,
        }
    }
}

/// Renders pages of one site. Holds a single-threaded runtime (Yew's server
/// renderer is not `Send`), so it stays on the thread that made it.
pub struct Renderer<'a> {
    shells: &'a Shells,
    api: &'a BTreeMap<String, Vec<u8>>,
    site: Site,
    css: String,
    runtime: tokio::runtime::Runtime,
    deploy: Deploy,
}

/// Where a deploy puts the site and its API (`cargo xtask build --base-path
/// --api-origin`): the pages say so in `<meta name="keel-base">` and
/// `<meta name="keel-api">`, which the app reads as it starts and the
/// headers rules read for the page's CSP.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Deploy {
    /// The path the site is served under, e.g. `/keel`; "" at the root.
    pub base: String,
    /// The origin that serves the API (reads and the contact intake), when
    /// it is not the site's own, e.g. `https://api.keel.example`.
    pub api: Option<String>,
}

impl<'a> Renderer<'a> {
    /// `api` maps document paths (`/api/v1/...`) to their JSON.
    pub fn new(shells: &'a Shells, api: &'a BTreeMap<String, Vec<u8>>) -> anyhow::Result<Self> {
        let site: Site = serde_json::from_slice(doc(api, &paths::site())?)?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let css = stylesheet()?;
        Ok(Renderer {
            shells,
            api,
            site,
            css,
            runtime,
            deploy: Deploy::default(),
        })
    }

    /// Render for this deploy (see `Deploy`).
    pub fn with_deploy(mut self, deploy: Deploy) -> Self {
        self.deploy = deploy;
        self
    }

    /// Every page of the site, as the route table lists them for the
    /// documents the API holds (`Route::pages`), each with the documents it is
    /// rendered from: `site.json` and the route's own.
    pub fn pages(&self) -> Vec<PageSpec> {
        let site = Inventory::from_documents(self.api.keys().map(String::as_str));
        Route::pages(&site)
            .into_iter()
            .map(|route| {
                let docs = std::iter::once(paths::site())
                    .chain(route.data_path())
                    .collect();
                PageSpec {
                    url: route.to_path(),
                    file: route.file(),
                    docs,
                    route,
                }
            })
            .collect()
    }

    /// The markup of root `R` with `props`.
    fn render_root<R: yew::BaseComponent<Properties = AppProps>>(&self, props: AppProps) -> String {
        self.runtime
            .block_on(yew::LocalServerRenderer::<R>::with_props(props).render())
    }

    pub fn render(&self, spec: &PageSpec) -> anyhow::Result<String> {
        let cache = ApiCache::new(self.deploy.api.as_deref().unwrap_or(&self.deploy.base));
        // The documents the page was rendered from, for the app to start
        // from: one script element each, the document's text as it is.
        let mut data = String::new();
        for d in &spec.docs {
            let t = std::str::from_utf8(doc(self.api, d)?)?;
            cache.insert(d, t);
            data.push_str(&format!(
                "<script type=\"application/json\" data-keel-doc=\"{}\">{}</script>",
                attr(d),
                script_json(t)
            ));
        }
        // A page made from an article document is that article's page: its
        // head carries the article's title, summary and dates.
        let article: Option<Article> =
            match spec.docs.iter().find(|d| paths::article_slug(d).is_some()) {
                Some(d) => Some(serde_json::from_slice(doc(self.api, d)?)?),
                None => None,
            };
        let basename = (!self.deploy.base.is_empty()).then(|| self.deploy.base.clone().into());
        let props = AppProps {
            cache,
            url: Some(spec.url.clone().into()),
            basename,
            inline_site: None,
            widget: None,
        };
        // The root of the wasm that adopts the page.
        let body = match spec.route.bundle() {
            Bundle::Site => self.render_root::<App>(props),
            Bundle::Playground => self.render_root::<PlaygroundApp>(props),
            Bundle::Embed => self.render_root::<EmbedApp>(props),
        };
        let mut head = head(
            &self.site,
            &spec.route,
            &spec.url,
            article.as_ref(),
            &self.css,
        );
        if !spec.route.is_embed() {
            // The visitor's theme choice on our site (an embed takes the widget's).
            head.push_str(&format!("<script>{}</script>", keel::theme::early_script()));
        }
        if !self.deploy.base.is_empty() {
            head.push_str(&format!(
                "<meta name=\"keel-base\" content=\"{}\">",
                attr(&self.deploy.base)
            ));
        }
        if let Some(api) = &self.deploy.api {
            head.push_str(&format!(
                "<meta name=\"keel-api\" content=\"{}\">",
                attr(api)
            ));
        }
        let html = fill_shell(self.shells.of(&spec.route), &head, &spec.url, &body, &data)?;
        // The shell's own links to our files (icon, feed), under the base path
        // too; the build has already moved trunk's loader there.
        // (Minified, the shell's attributes may have no quotes.)
        Ok(match self.deploy.base.as_str() {
            "" => html,
            base => html
                .replace("href=\"/assets/", &format!("href=\"{base}/assets/"))
                .replace("href=/assets/", &format!("href={base}/assets/"))
                .replace("href=\"/feed.xml\"", &format!("href=\"{base}/feed.xml\""))
                .replace("href=/feed.xml", &format!("href={base}/feed.xml")),
        })
    }
}

fn doc<'b>(api: &'b BTreeMap<String, Vec<u8>>, path: &str) -> anyhow::Result<&'b [u8]> {
    api.get(path)
        .map(Vec::as_slice)
        .ok_or_else(|| anyhow::anyhow!("the API has no {path}"))
}

/// Render every page. `api` maps document paths (`/api/v1/...`) to their JSON.
pub fn render_site(shells: &Shells, api: &BTreeMap<String, Vec<u8>>) -> anyhow::Result<Vec<Page>> {
    let renderer = Renderer::new(shells, api)?;
    renderer
        .pages()
        .iter()
        .map(|spec| {
            Ok(Page {
                file: spec.file.clone(),
                html: renderer.render(spec)?,
            })
        })
        .collect()
}

/// The per-page `<head>` additions.
fn head(site: &Site, route: &Route, url: &str, article: Option<&Article>, css: &str) -> String {
    let meta = route.meta(Some(site), article);
    let canonical = format!("{}{}", site.url, if url == "/" { "/" } else { url });
    let mut h = String::new();
    h.push_str(&format!("<title>{}</title>", text(&meta.title)));
    h.push_str(&format!(
        "<meta name=\"description\" content=\"{}\">",
        attr(&meta.description)
    ));
    if !route.indexed() {
        h.push_str("<meta name=\"robots\" content=\"noindex\">");
    } else {
        h.push_str(&format!(
            "<link rel=\"canonical\" href=\"{}\">",
            attr(&canonical)
        ));
        let kind = if article.is_some() {
            "article"
        } else {
            "website"
        };
        for (p, v) in [
            ("og:type", kind),
            ("og:title", &meta.title),
            ("og:description", &meta.description),
            ("og:url", &canonical),
            ("og:site_name", &site.name),
        ] {
            h.push_str(&format!("<meta property=\"{p}\" content=\"{}\">", attr(v)));
        }
        // The page's card, large where it has one.
        match card(site, route, article) {
            Some((path, card)) => {
                let image = format!("{}{path}", site.url);
                let alt = format!("{} — {}", card.title, site.name);
                let (width, height) = (
                    keel_media::card::WIDTH.to_string(),
                    keel_media::card::HEIGHT.to_string(),
                );
                for (p, v) in [
                    ("og:image", image.as_str()),
                    ("og:image:type", "image/png"),
                    ("og:image:width", &width),
                    ("og:image:height", &height),
                    ("og:image:alt", &alt),
                ] {
                    h.push_str(&format!("<meta property=\"{p}\" content=\"{}\">", attr(v)));
                }
                h.push_str("<meta name=\"twitter:card\" content=\"summary_large_image\">");
            }
            None => h.push_str("<meta name=\"twitter:card\" content=\"summary\">"),
        }
        if let Some(a) = article {
            h.push_str(&format!(
                "<meta property=\"article:published_time\" content=\"{}\">",
                attr(&a.meta.date)
            ));
            for t in &a.meta.tags {
                h.push_str(&format!(
                    "<meta property=\"article:tag\" content=\"{}\">",
                    attr(t)
                ));
            }
        }
        h.push_str(&format!(
            "<script type=\"application/ld+json\">{}</script>",
            script_json(&json_ld(site, &canonical, article).to_string())
        ));
    }
    h.push_str(&format!("<style data-keel-style>{css}</style>"));
    h
}

fn json_ld(site: &Site, canonical: &str, article: Option<&Article>) -> serde_json::Value {
    let org = serde_json::json!({
        "@type": "Organization",
        "name": site.name,
        "url": site.url,
        "email": site.email,
        "address": site.offices.iter().map(|o| serde_json::json!({
            "@type": "PostalAddress", "addressLocality": o.city, "streetAddress": o.lines.join(", ")
        })).collect::<Vec<_>>(),
    });
    match article {
        Some(a) => serde_json::json!({
            "@context": "https://schema.org",
            "@type": "BlogPosting",
            "headline": a.meta.title,
            "description": a.meta.summary,
            "datePublished": a.meta.date,
            "dateModified": a.meta.updated.as_deref().unwrap_or(&a.meta.date),
            "author": { "@type": "Person", "name": a.meta.author.name, "jobTitle": a.meta.author.role },
            "publisher": org,
            "mainEntityOfPage": canonical,
            "keywords": a.meta.tags.join(", "),
            "wordCount": a.word_count,
        }),
        None => {
            let mut o = org;
            o["@context"] = "https://schema.org".into();
            o
        }
    }
}

/// Put the head additions and the rendered app, followed by its documents'
/// script elements (`data`), into trunk's shell.
fn fill_shell(
    shell: &str,
    head: &str,
    url: &str,
    body: &str,
    data: &str,
) -> anyhow::Result<String> {
    let mut html = shell.to_string();
    // Drop the shell's own title and description: the page has its own.
    html = remove_between(&html, "<title>", "</title>");
    html = remove_tag_containing(
        &html,
        "<meta",
        &["name=description", "name=\"description\""],
    );
    let head_end = html
        .find("</head>")
        .ok_or_else(|| anyhow::anyhow!("the shell has no </head>"))?;
    html.insert_str(head_end, head);
    let app = html
        .find("id=app")
        .or_else(|| html.find("id=\"app\""))
        .ok_or_else(|| anyhow::anyhow!("the shell has no #app"))?;
    let start = html[..app]
        .rfind("<div")
        .ok_or_else(|| anyhow::anyhow!("#app is not a div"))?;
    let end = html
        .rfind("</body>")
        .ok_or_else(|| anyhow::anyhow!("the shell has no </body>"))?;
    let replacement = format!(
        "<div id=\"app\" data-rendered=\"{}\">{body}</div>{data}",
        attr(url)
    );
    html.replace_range(start..end, &replacement);
    Ok(html)
}

fn remove_between(s: &str, open: &str, close: &str) -> String {
    match (s.find(open), s.find(close)) {
        (Some(a), Some(b)) if b > a => format!("{}{}", &s[..a], &s[b + close.len()..]),
        _ => s.to_string(),
    }
}

fn remove_tag_containing(s: &str, open: &str, needles: &[&str]) -> String {
    let mut from = 0;
    while let Some(rel) = s[from..].find(open) {
        let a = from + rel;
        let Some(len) = s[a..].find('>') else { break };
        let tag = &s[a..a + len + 1];
        if needles.iter().any(|n| tag.contains(n)) {
            return format!("{}{}", &s[..a], &s[a + len + 1..]);
        }
        from = a + len;
    }
    s.to_string()
}

/// JSON that is safe inside a `<script>` element: no `</script>`, no `<!--`,
/// and no line separators that older parsers choke on.
pub fn script_json(json: &str) -> String {
    json.replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
        .replace('\u{2028}', "\\u2028")
        .replace('\u{2029}', "\\u2029")
}

fn text(s: &str) -> std::borrow::Cow<'_, str> {
    html_escape::encode_text(s)
}

fn attr(s: &str) -> std::borrow::Cow<'_, str> {
    html_escape::encode_quoted_attribute(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_json_cannot_close_the_script() {
        let s = script_json(r#"{"t":"</script><script>alert(1)</script><!--"}"#);
        assert!(!s.contains("</script") && !s.contains("<!--"));
        let back: serde_json::Value = serde_json::from_str(&s).unwrap();
        assert_eq!(back["t"], "</script><script>alert(1)</script><!--");
    }

    fn shells() -> Shells {
        let shell = |bin: &str| {
            format!(
                "<!doctype html><html><head><title>Shell</title><script type=module src=/{bin}.js></script></head><body><div id=app></div></body></html>"
            )
        };
        Shells {
            site: shell("keel"),
            playground: shell("keel-playground"),
            embed: shell("keel-embed"),
        }
    }

    #[test]
    fn a_deploy_under_a_path_with_its_api_elsewhere_says_so_in_every_link() {
        let out = keel_content::fs::compile_bundled(&Default::default()).unwrap();
        let shell = "<!doctype html><html><head><link rel=\"icon\" href=\"/assets/favicon.svg\"><link rel=\"alternate\" href=\"/feed.xml\"></head><body><div id=app></div></body></html>";
        let shells = Shells {
            site: shell.into(),
            playground: shell.into(),
            embed: shell.into(),
        };
        let deploy = Deploy {
            base: "/keel".into(),
            api: Some("https://api.keel.example".into()),
        };
        let renderer = Renderer::new(&shells, &out.files)
            .unwrap()
            .with_deploy(deploy);
        let pages = renderer.pages();
        let contact = renderer
            .render(pages.iter().find(|p| p.url == "/contact").unwrap())
            .unwrap();
        assert!(
            contact.contains(r#"<meta name="keel-base" content="/keel">"#),
            "{contact}"
        );
        assert!(contact.contains(r#"<meta name="keel-api" content="https://api.keel.example">"#));
        assert!(
            contact.contains(r#"href="/keel/assets/favicon.svg""#)
                && contact.contains(r#"href="/keel/feed.xml""#)
        );
        // Our pages' links carry the base path; the form posts to the API.
        assert!(contact.contains(r#"href="/keel/articles""#), "{contact}");
        assert!(
            contact.contains(r#"action="https://api.keel.example/api/v1/contact""#),
            "{contact}"
        );
        assert!(
            !contact.contains(r#"href="/articles"#),
            "a link without the base path"
        );
        // The route table's paths stay as they are (the page is written to
        // the same file, and says which route it was rendered for).
        assert!(contact.contains(r#"data-rendered="/contact""#));
    }

    #[test]
    fn the_route_tables_pages_are_rendered_with_their_own_head() {
        let out = keel_content::fs::compile_bundled(&Default::default()).unwrap();
        let shells = shells();
        let renderer = Renderer::new(&shells, &out.files).unwrap();
        let pages = renderer.pages();
        let files: Vec<_> = pages.iter().map(|p| p.file.as_str()).collect();
        // Six fixed pages (the partner playground among them) and one per
        // article; the embed views: the list, the form, the not-found page,
        // one per article and one per tag.
        let tags = out
            .files
            .keys()
            .filter(|k| paths::tag_of_first_page(k).is_some())
            .count();
        assert!(tags > 0);
        assert_eq!(
            files.len(),
            6 + out.articles.len() + 3 + out.articles.len() + tags,
            "{files:?}"
        );
        for (file, url) in [
            ("index.html", "/"),
            ("articles/index.html", "/articles"),
            ("404.html", "/404"),
            ("embed/index.html", "/embed"),
        ] {
            assert!(
                pages.iter().any(|p| p.file == file && p.url == url),
                "{file}: {files:?}"
            );
        }
        for a in &out.articles {
            let file = format!("articles/{}/index.html", a.meta.slug);
            let page = pages
                .iter()
                .find(|p| p.file == file)
                .unwrap_or_else(|| panic!("{file}: {files:?}"));
            assert_eq!(page.docs, [paths::site(), paths::article(&a.meta.slug)]);
        }

        let article = &out.articles[0];
        let spec = pages
            .iter()
            .find(|p| p.url == format!("/articles/{}", article.meta.slug))
            .unwrap();
        let html = renderer.render(spec).unwrap();
        assert!(
            html.contains(&format!("<title>{} · ", text(&article.meta.title))),
            "{html}"
        );
        assert!(
            html.contains("<meta property=\"og:type\" content=\"article\">"),
            "{html}"
        );
        assert!(html.contains(&format!("data-rendered=\"{}\"", spec.url)));
        // Its social card: an absolute URL, sized, described, shown large.
        for tag in [
            format!(
                "<meta property=\"og:image\" content=\"{}/cards/articles/{}.png\">",
                out.site.url, article.meta.slug
            ),
            "<meta property=\"og:image:width\" content=\"1200\">".into(),
            "<meta property=\"og:image:height\" content=\"630\">".into(),
            format!(
                "<meta property=\"og:image:alt\" content=\"{} — {}\">",
                attr(&article.meta.title),
                out.site.name
            ),
            "<meta name=\"twitter:card\" content=\"summary_large_image\">".into(),
        ] {
            assert!(html.contains(&tag), "{tag}\n{html}");
        }
        // Each card the pages name is one the build draws.
        let drawn: Vec<String> = cards(&out.files)
            .unwrap()
            .into_iter()
            .map(|(p, _)| p)
            .collect();
        for route in ["home", "articles", "services", "contact"] {
            assert!(drawn.contains(&format!("/cards/{route}.png")), "{drawn:?}");
        }
        assert_eq!(drawn.len(), 4 + out.articles.len(), "{drawn:?}");

        let html = renderer
            .render(pages.iter().find(|p| p.file == "404.html").unwrap())
            .unwrap();
        assert!(
            html.contains("<meta name=\"robots\" content=\"noindex\">")
                && !html.contains("rel=\"canonical\"")
                && !html.contains("og:image"),
            "{html}"
        );
    }

    #[test]
    fn each_bundle_s_pages_are_rendered_by_its_own_root_into_its_own_shell() {
        let out = keel_content::fs::compile_bundled(&Default::default()).unwrap();
        let shells = shells();
        let renderer = Renderer::new(&shells, &out.files).unwrap();
        let pages = renderer.pages();
        let render = |file: &str| {
            renderer
                .render(
                    pages
                        .iter()
                        .find(|p| p.file == file)
                        .unwrap_or_else(|| panic!("no {file}")),
                )
                .unwrap()
        };
        for file in [
            "embed/articles/index.html",
            "embed/contact/index.html",
            "embed/404.html",
        ] {
            let html = render(file);
            assert!(
                html.contains("src=/keel-embed.js") && !html.contains("src=/keel.js"),
                "{file} loads the embed views' wasm: {html}"
            );
            assert!(
                html.contains("embed-root") && !html.contains("<header class=\"site-header\""),
                "{file}: no chrome of ours: {html}"
            );
        }
        let missing = render("embed/404.html");
        // It stands for every missing path: only the app, at the real one, knows what is missing.
        assert!(
            missing.contains("This is not available.") && !missing.contains("data-keel-error="),
            "{missing}"
        );
        for file in ["index.html", "contact/index.html", "404.html"] {
            let html = render(file);
            assert!(
                html.contains("src=/keel.js")
                    && !html.contains("keel-embed")
                    && !html.contains("keel-playground"),
                "{file} loads our site's wasm: {html}"
            );
            assert!(
                html.contains("<header class=\"site-header\""),
                "{file}: in our chrome"
            );
        }
        // The playground: our chrome, its own wasm, and its page rendered by
        // its own root (what that wasm adopts).
        let playground = render("embed/index.html");
        assert!(
            playground.contains("src=/keel-playground.js") && !playground.contains("src=/keel.js"),
            "the playground loads its own wasm: {playground}"
        );
        assert!(
            playground.contains("<header class=\"site-header\"")
                && playground.contains("playground-preview"),
            "{playground}"
        );
    }

    #[test]
    fn hostile_text_in_the_head_stays_text() {
        let out = keel_content::fs::compile_bundled(&Default::default()).unwrap();
        let site: Site = serde_json::from_slice(&out.files[&keel_model::paths::site()]).unwrap();
        let (_, json) = out
            .files
            .iter()
            .find(|(p, _)| keel_model::paths::article_slug(p).is_some())
            .unwrap();
        let mut article: Article = serde_json::from_slice(json).unwrap();
        article.meta.title = "</title><script>alert(1)</script>".into();
        article.meta.summary = "\"><script>alert(2)</script>".into();
        article.meta.tags = vec!["a\"><img src=x onerror=alert(3)>".into()];
        let route = Route::Article {
            slug: article.meta.slug.clone(),
        };
        let h = head(&site, &route, &route.to_path(), Some(&article), "");
        assert!(!h.contains("<script>alert") && !h.contains("<img"), "{h}");
        assert!(
            h.contains("<title>&lt;/title&gt;&lt;script&gt;alert(1)&lt;/script&gt; · "),
            "{h}"
        );
        assert!(
            h.contains("content=\"&quot;&gt;&lt;script&gt;alert(2)&lt;/script&gt;\""),
            "{h}"
        );
    }

    #[test]
    fn the_shell_is_filled() {
        let shell = "<!doctype html><html><head><title>Shell</title><meta content=\"x\" name=description><script type=module>boot()</script></head><body><div id=app><noscript>js</noscript></div></body></html>";
        let data = "<script type=\"application/json\" data-keel-doc=\"/d.json\">{}</script>";
        let html = fill_shell(shell, "<title>T</title>", "/a", "<p>hi</p>", data).unwrap();
        assert_eq!(
            html,
            "<!doctype html><html><head><script type=module>boot()</script><title>T</title></head><body><div id=\"app\" data-rendered=\"/a\"><p>hi</p></div><script type=\"application/json\" data-keel-doc=\"/d.json\">{}</script></body></html>"
        );
    }
}
