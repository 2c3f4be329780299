//! The route table and each route's metadata, in one place: the SPA switches
//! on it, the server and prerenderer ask it which pages exist and what their
//! `<title>` and description are.

use keel_model::{Article, Site};
use yew_router::prelude::*;

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
}

/// What goes into `<head>` for a route.
#[derive(Clone, Debug, PartialEq)]
pub struct Meta {
    pub title: String,
    pub description: String,
}

impl Route {
    /// An embed view, shown in a partner's page: no header, footer, theme
    /// choice or document title of ours.
    pub fn is_embed(&self) -> bool {
        matches!(self, Route::EmbedArticles | Route::EmbedArticle { .. } | Route::EmbedTag { .. } | Route::EmbedContact)
    }

    /// The API document a route's page needs besides `site.json`, if any.
    pub fn data_path(&self) -> Option<String> {
        match self {
            Route::Article { slug } | Route::EmbedArticle { slug } => Some(keel_model::paths::article(slug)),
            Route::Articles | Route::EmbedArticles => Some(keel_model::paths::articles_page(1)),
            Route::EmbedTag { tag } => Some(keel_model::paths::tag_page(tag, 1)),
            _ => None,
        }
    }

    /// Title and description, from the data when it is there.
    pub fn meta(&self, site: Option<&Site>, article: Option<&Article>) -> Meta {
        let name = site.map(|s| s.name.as_str()).unwrap_or("Keel");
        let with_name = |t: &str| format!("{t} · {name}");
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
            Route::NotFound => Meta { title: with_name("Page not found"), description: site_desc },
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
        assert_eq!(Route::recognize("/"), Some(Route::Home));
        assert_eq!(Route::recognize("/articles"), Some(Route::Articles));
        assert_eq!(Route::recognize("/articles/rest"), Some(Route::Article { slug: "rest".into() }));
        assert_eq!(Route::recognize("/services"), Some(Route::Services));
        assert_eq!(Route::recognize("/contact"), Some(Route::Contact));
        assert_eq!(Route::recognize("/nope"), Some(Route::NotFound));
        assert_eq!(Route::Article { slug: "a-b".into() }.to_path(), "/articles/a-b");
    }

    #[test]
    fn the_index_has_its_own_title() {
        let meta = Route::Articles.meta(None, None);
        assert_eq!(meta.title, "Articles · Keel");
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
                author: keel_model::Author { name: "Ada".into(), role: "Engineer".into() },
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
        assert_eq!(Route::Article { slug: "a-b".into() }.meta(None, None).title, "Article · Keel");
    }
}
