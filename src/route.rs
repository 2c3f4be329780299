//! The route table and each route's metadata, in one place: the SPA switches
//! on it; the prerenderer asks it which pages the compiled site has
//! ([`Route::pages`]), where each is written ([`Route::file`]), which documents
//! it is made from, and its `<title>` and description. The server learns which
//! pages exist from the files the build wrote, so it needs no table of its own.
//!
//! A route is a variant here with its path in `#[at]` (yew-router's
//! `Routable` derive makes `to_path`, the matcher and the list of kinds from
//! it) and its page in `app.rs`'s `switch` (or `embed.rs`'s): every `match`
//! here and there names each variant, so the compiler asks for the rest, and
//! a test checks that each kind's path is recognized as it.

use keel_model::{Article, Site};
use yew_router::Routable;

/// Parameters are percent-encoded in paths and decoded from them by the
/// derive (RFC 3986's unreserved characters are kept as they are).
#[derive(Clone, Debug, PartialEq, Eq, Routable)]
pub enum Route {
    #[at("/")]
    Home,
    #[at("/articles")]
    Articles,
    #[at("/articles/:slug")]
    Article { slug: String },
    #[at("/services")]
    Services,
    #[at("/contact")]
    Contact,
    /// The partner playground: our page about the embeds, under their path.
    #[at("/embed")]
    Playground,
    /// Every path the table does not know.
    #[not_found]
    #[at("/404")]
    NotFound,
    // The embed views (src/embed.rs): the same content without our chrome,
    // for partners' pages.
    #[at("/embed/articles")]
    EmbedArticles,
    #[at("/embed/articles/:slug")]
    EmbedArticle { slug: String },
    #[at("/embed/tags/:tag")]
    EmbedTag { tag: String },
    #[at("/embed/contact")]
    EmbedContact,
    /// And every path under `/embed/` the table does not know: the embed
    /// views' own not-found page (`embed/404.html`), for a partner's page
    /// that names an article no longer there.
    #[at("/embed/404")]
    EmbedNotFound,
}

/// The article index's state in the URL: `/articles?tag=rest&q=cache&page=2`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ArticlesQuery {
    pub tag: Option<String>,
    pub q: Option<String>,
    pub page: Option<u32>,
}

impl ArticlesQuery {
    /// A query string (with or without its `?`). What it cannot read is left
    /// out, as a site search would: a parameter it does not know, a page that
    /// is no number (`page=x`), an empty tag. A parameter given twice counts
    /// as its last. Tags are lowercase (they are slugs), so `tag=API` is `api`.
    pub fn parse(query: &str) -> ArticlesQuery {
        let mut q = ArticlesQuery::default();
        for (name, value) in form_urlencoded::parse(query.trim_start_matches('?').as_bytes()) {
            match &*name {
                "tag" => q.tag = Some(value.to_ascii_lowercase()).filter(|t| !t.is_empty()),
                "q" => q.q = Some(value.into_owned()),
                "page" => q.page = value.parse().ok(),
                _ => {}
            }
        }
        q
    }

    pub fn is_empty(&self) -> bool {
        self == &ArticlesQuery::default()
    }

    /// `tag=…&q=…&page=…`, with only what is set (empty for the whole index).
    pub fn to_query_string(&self) -> String {
        let mut s = form_urlencoded::Serializer::new(String::new());
        if let Some(tag) = &self.tag {
            s.append_pair("tag", tag);
        }
        if let Some(q) = &self.q {
            s.append_pair("q", q);
        }
        if let Some(page) = self.page {
            s.append_pair("page", &page.to_string());
        }
        s.finish()
    }
}

/// What the compiled site holds that decides which pages exist, read from the
/// paths of its API documents.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Inventory {
    /// The slugs of the articles, in the order of their documents' paths.
    pub articles: Vec<String>,
    /// The tags that have articles (those with a first page of their own).
    pub tags: Vec<String>,
}

impl Inventory {
    pub fn from_documents<'a>(paths: impl IntoIterator<Item = &'a str> + Clone) -> Inventory {
        Inventory {
            articles: paths
                .clone()
                .into_iter()
                .filter_map(keel_model::paths::article_slug)
                .map(str::to_string)
                .collect(),
            tags: paths
                .into_iter()
                .filter_map(keel_model::paths::tag_of_first_page)
                .map(str::to_string)
                .collect(),
        }
    }
}

/// What goes into `<head>` for a route.
#[derive(Clone, Debug, PartialEq)]
pub struct Meta {
    pub title: String,
    pub description: String,
}

/// A page's title followed by the site's name: `Articles · Keel`.
pub fn with_site_name(site: Option<&Site>, title: &str) -> String {
    format!(
        "{title} · {}",
        site.map(|s| s.name.as_str()).unwrap_or("Keel")
    )
}

/// The wasm bundles, each with its own root and its own pages, so that a
/// visitor downloads only the pages of the one they are on: our site's
/// (`App`), the partner playground's (`PlaygroundApp`, which our readers
/// never need) and the embed views' (`embed::EmbedApp`, on partners' pages).
/// The build makes one trunk bundle of each (xtask's `release::Bundle`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Bundle {
    Site,
    Playground,
    Embed,
}

impl Route {
    /// One route of each kind, in the table's order (parameters are
    /// stand-ins), from the derive's list of `#[at]` paths: a variant cannot
    /// be left out.
    fn kinds() -> Vec<Route> {
        <Route as Routable>::routes()
            .into_iter()
            .map(|at| {
                Route::recognize(
                    &at.split('/')
                        .map(|s| if s.starts_with(':') { "_" } else { s })
                        .collect::<Vec<_>>()
                        .join("/"),
                )
            })
            .collect()
    }

    /// The route of a path (without the site's base path, query or
    /// fragment), as yew-router's matcher finds it, with what static hosting
    /// adds: `index.html` is ignored (static hosts serve a folder's page at
    /// both `/a/` and `/a/index.html`), and an unknown path under `/embed/`
    /// is `EmbedNotFound`. A trailing slash is ignored and parameters are
    /// percent-decoded by the matcher.
    pub fn recognize(path: &str) -> Route {
        let path = path
            .strip_suffix("index.html")
            .filter(|p| p.ends_with('/'))
            .unwrap_or(path);
        let route = if path.starts_with('/') {
            <Route as Routable>::recognize(path)
        } else {
            None
        };
        match route.unwrap_or(Route::NotFound) {
            Route::NotFound if path == "/embed" || path.starts_with("/embed/") => {
                Route::EmbedNotFound
            }
            route => route,
        }
    }

    /// The route's path (parameters percent-encoded): `Routable::to_path`,
    /// without importing the trait.
    pub fn to_path(&self) -> String {
        <Route as Routable>::to_path(self)
    }

    /// The wasm that renders the route's pages.
    pub fn bundle(&self) -> Bundle {
        match self {
            _ if self.is_embed() => Bundle::Embed,
            Route::Playground => Bundle::Playground,
            _ => Bundle::Site,
        }
    }

    /// An embed view, shown in a partner's page: no header, footer, theme
    /// choice or document title of ours.
    pub fn is_embed(&self) -> bool {
        match self {
            Route::EmbedArticles
            | Route::EmbedArticle { .. }
            | Route::EmbedTag { .. }
            | Route::EmbedContact
            | Route::EmbedNotFound => true,
            Route::Home
            | Route::Articles
            | Route::Article { .. }
            | Route::Services
            | Route::Contact
            | Route::Playground
            | Route::NotFound => false,
        }
    }

    /// Every page the site has: each route kind gives its pages, given what
    /// the site holds.
    pub fn pages(site: &Inventory) -> Vec<Route> {
        Route::kinds()
            .into_iter()
            .flat_map(|kind| kind.pages_of_kind(site))
            .collect()
    }

    /// The pages of `self`'s kind.
    fn pages_of_kind(self, site: &Inventory) -> Vec<Route> {
        match self {
            Route::Home
            | Route::Articles
            | Route::Services
            | Route::Contact
            | Route::Playground
            | Route::NotFound => vec![self],
            Route::EmbedArticles | Route::EmbedContact | Route::EmbedNotFound => vec![self],
            Route::Article { .. } => site
                .articles
                .iter()
                .map(|slug| Route::Article { slug: slug.clone() })
                .collect(),
            Route::EmbedArticle { .. } => site
                .articles
                .iter()
                .map(|slug| Route::EmbedArticle { slug: slug.clone() })
                .collect(),
            Route::EmbedTag { .. } => site
                .tags
                .iter()
                .map(|tag| Route::EmbedTag { tag: tag.clone() })
                .collect(),
        }
    }

    /// The file under `dist/` that holds the page: `index.html` in the folder
    /// of its path (so `/a`, `/a/` and a static host all find it), and the
    /// not-found pages at `404.html` (where static hosts look for it) and
    /// `embed/404.html`.
    pub fn file(&self) -> String {
        match self {
            Route::NotFound => return "404.html".into(),
            Route::EmbedNotFound => return "embed/404.html".into(),
            _ => {}
        }
        match self.to_path().trim_matches('/') {
            "" => "index.html".into(),
            dir => format!("{dir}/index.html"),
        }
    }

    /// The API document a route's page needs besides `site.json`, if any.
    pub fn data_path(&self) -> Option<String> {
        match self {
            Route::Article { slug } | Route::EmbedArticle { slug } => {
                Some(keel_model::paths::article(slug))
            }
            // The playground lists the articles a widget may show.
            Route::Articles | Route::EmbedArticles | Route::Playground => {
                Some(keel_model::paths::articles_page(1))
            }
            Route::EmbedTag { tag } => Some(keel_model::paths::tag_page(tag, 1)),
            Route::Home
            | Route::Services
            | Route::Contact
            | Route::NotFound
            | Route::EmbedContact
            | Route::EmbedNotFound => None,
        }
    }

    /// Whether search engines may index the page (and it gets a canonical URL).
    /// Embed views are parts of other sites' pages, never pages of their own.
    pub fn indexed(&self) -> bool {
        match self {
            Route::Home
            | Route::Articles
            | Route::Article { .. }
            | Route::Services
            | Route::Contact => true,
            // A tool for partners, not a page for readers.
            Route::NotFound | Route::Playground => false,
            Route::EmbedArticles
            | Route::EmbedArticle { .. }
            | Route::EmbedTag { .. }
            | Route::EmbedContact
            | Route::EmbedNotFound => false,
        }
    }

    /// Title and description, from the data when it is there.
    pub fn meta(&self, site: Option<&Site>, article: Option<&Article>) -> Meta {
        let name = site.map(|s| s.name.as_str()).unwrap_or("Keel");
        let with_name = |t: &str| with_site_name(site, t);
        let site_desc = site.map(|s| s.description.clone()).unwrap_or_default();
        match self {
            Route::Home => Meta {
                title: site.map(|s| format!("{} · {}", s.name, s.tagline)).unwrap_or_else(|| name.to_string()),
                description: site_desc,
            },
            Route::Articles => Meta {
                title: with_name("Articles"),
                description: "Articles on backend engineering: APIs, reliability, teams and the work behind them.".into(),
            },
            Route::Article { .. } => match article {
                Some(a) => Meta { title: with_name(&a.meta.title), description: a.meta.summary.clone() },
                None => Meta { title: with_name("Article"), description: site_desc },
            },
            Route::Services => Meta {
                title: with_name(site.map(|s| s.services.heading.as_str()).unwrap_or("Services")),
                description: site.map(|s| s.services.intro.first().cloned().unwrap_or_default()).unwrap_or_default(),
            },
            Route::Contact => Meta {
                title: with_name(site.map(|s| s.contact.heading.as_str()).unwrap_or("Contact")),
                description: site.map(|s| s.contact.lead.clone()).unwrap_or_default(),
            },
            Route::Playground => Meta {
                title: with_name("Put Keel on your site"),
                description: "Show Keel's articles or contact form on your site: choose the options, see the widget, copy the snippet.".into(),
            },
            Route::NotFound | Route::EmbedNotFound => Meta { title: with_name("Page not found"), description: site_desc },
            Route::EmbedArticles | Route::EmbedTag { .. } => Meta { title: with_name("Latest articles"), description: site_desc },
            Route::EmbedArticle { .. } => match article {
                Some(a) => Meta { title: with_name(&a.meta.title), description: a.meta.summary.clone() },
                None => Meta { title: with_name("Article"), description: site_desc },
            },
            Route::EmbedContact => Meta { title: with_name("Contact"), description: site_desc },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_map_to_routes() {
        assert_eq!(Route::recognize("/"), Route::Home);
        assert_eq!(Route::recognize("/articles"), Route::Articles);
        assert_eq!(Route::recognize("/articles/"), Route::Articles);
        assert_eq!(Route::recognize("/articles/index.html"), Route::Articles);
        assert_eq!(Route::recognize("/index.html"), Route::Home);
        assert_eq!(
            Route::recognize("/articles/rest/index.html"),
            Route::Article {
                slug: "rest".into()
            }
        );
        assert_eq!(
            Route::recognize("/articles/rest"),
            Route::Article {
                slug: "rest".into()
            }
        );
        assert_eq!(Route::recognize("/services"), Route::Services);
        assert_eq!(Route::recognize("/contact"), Route::Contact);
        assert_eq!(
            Route::recognize("/embed/tags/c%2B%2B"),
            Route::EmbedTag { tag: "c++".into() }
        );
        assert_eq!(
            Route::Article { slug: "a-b".into() }.to_path(),
            "/articles/a-b"
        );
        assert_eq!(
            Route::EmbedTag {
                tag: "c++ & go".into()
            }
            .to_path(),
            "/embed/tags/c%2B%2B%20%26%20go"
        );
        for unknown in [
            "/nope",
            "/articles/a/b",
            "/articles//",
            "/xindex.html",
            "/embeds/articles",
            "/articles/%FF",
            "",
        ] {
            assert_eq!(Route::recognize(unknown), Route::NotFound, "{unknown}");
        }
        // The partner playground is our page at /embed/ itself.
        for playground in ["/embed", "/embed/", "/embed/index.html"] {
            assert_eq!(
                Route::recognize(playground),
                Route::Playground,
                "{playground}"
            );
        }
        assert_eq!(Route::Playground.file(), "embed/index.html");
        // Its own wasm: not our site's (readers never need it), not the
        // embed views' (partners' visitors never need it).
        assert_eq!(Route::Playground.bundle(), Bundle::Playground);
        assert!(!Route::Playground.is_embed());
        assert_eq!(Route::Articles.bundle(), Bundle::Site);
        assert_eq!(Route::EmbedArticles.bundle(), Bundle::Embed);
        // Under /embed/, the embed views' own (a partner's page shows it).
        for unknown in [
            "/embed/tags/",
            "/embed/articles/a/b",
            "/embed/articles/%FF",
            "/embed/nope",
        ] {
            assert_eq!(Route::recognize(unknown), Route::EmbedNotFound, "{unknown}");
        }
    }

    #[test]
    fn every_kind_is_recognized_from_its_own_path() {
        let mut kinds = Route::kinds();
        for route in &mut kinds {
            // A parameter that needs encoding, in each kind that has one.
            if let Route::Article { slug: p }
            | Route::EmbedArticle { slug: p }
            | Route::EmbedTag { tag: p } = route
            {
                *p = "a b/é".into();
            }
            assert_eq!(
                &Route::recognize(&route.to_path()),
                route,
                "{}",
                route.to_path()
            );
        }
        // Every kind once: as many variants as the table has paths.
        let mut variants: Vec<_> = kinds
            .iter()
            .map(|k| format!("{:?}", std::mem::discriminant(k)))
            .collect();
        variants.sort();
        variants.dedup();
        assert_eq!(
            variants.len(),
            <Route as Routable>::routes().len(),
            "{kinds:?}"
        );
    }

    #[test]
    fn the_site_has_a_page_for_each_fixed_route_and_each_article() {
        let site = Inventory::from_documents([
            "/api/v1/site.json",
            "/api/v1/articles/page/1.json",
            "/api/v1/articles/a-b.json",
            "/api/v1/articles/rest.json",
            "/api/v1/tags/rest/page/1.json",
        ]);
        assert_eq!(site.articles, ["a-b", "rest"]);
        assert_eq!(site.tags, ["rest"]);
        let pages: Vec<_> = Route::pages(&site)
            .iter()
            .map(|r| (r.to_path(), r.file()))
            .collect();
        let want = [
            ("/", "index.html"),
            ("/articles", "articles/index.html"),
            ("/articles/a-b", "articles/a-b/index.html"),
            ("/articles/rest", "articles/rest/index.html"),
            ("/services", "services/index.html"),
            ("/contact", "contact/index.html"),
            ("/embed", "embed/index.html"),
            ("/404", "404.html"),
            ("/embed/articles", "embed/articles/index.html"),
            ("/embed/articles/a-b", "embed/articles/a-b/index.html"),
            ("/embed/articles/rest", "embed/articles/rest/index.html"),
            ("/embed/tags/rest", "embed/tags/rest/index.html"),
            ("/embed/contact", "embed/contact/index.html"),
            ("/embed/404", "embed/404.html"),
        ];
        assert_eq!(pages, want.map(|(u, f)| (u.to_string(), f.to_string())));
    }

    #[test]
    fn article_meta_uses_the_article() {
        let article = keel_model::Article {
            meta: keel_model::ArticleSummary {
                slug: "a-b".into(),
                title: "Queues Without Tears".into(),
                summary: "Backpressure, in practice.".into(),
                date: "2026-01-02".into(),
                updated: None,
                tags: vec!["queues".into()],
                author: keel_model::Author {
                    name: "Ada".into(),
                    role: "Engineer".into(),
                },
                reading_minutes: 4,
                cover: None,
            },
            word_count: 800,
            excerpt: String::new(),
            toc: Vec::new(),
            body: Vec::new(),
            more: Vec::new(),
        };
        let meta = Route::Article { slug: "a-b".into() }.meta(None, Some(&article));
        assert_eq!(meta.title, "Queues Without Tears · Keel");
        assert_eq!(meta.description, "Backpressure, in practice.");
        // Without it (still loading), a generic title, never another article's.
        assert_eq!(
            Route::Article { slug: "a-b".into() }.meta(None, None).title,
            "Article · Keel"
        );
    }
}
