//! The JSON documents of the read API.

use serde::{Deserialize, Serialize};

use crate::wire::read_object;

use crate::doc::{Block, TocEntry};

/// `/api/v1/site.json`: everything the chrome and the static pages need.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Site {
    pub name: String,
    pub tagline: String,
    pub description: String,
    /// Canonical origin, e.g. `https://keel.example`, without a trailing slash.
    pub url: String,
    pub email: String,
    pub home: Home,
    pub services: Services,
    pub contact: ContactSection,
    pub offices: Vec<Office>,
    /// The newest articles, for the home page and the footer.
    pub latest: Vec<ArticleSummary>,
    pub tags: Vec<TagCount>,
}

read_object!(Site, "the site document", { name: "name", tagline: "tagline", description: "description", url: "url", email: "email", home: "home", services: "services", contact: "contact", offices: "offices", latest: "latest", tags: "tags" });

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Home {
    pub heading: String,
    pub lead: String,
}

read_object!(Home, "the home section", { heading: "heading", lead: "lead" });

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Services {
    pub heading: String,
    pub subheading: String,
    pub intro: Vec<String>,
    pub benefits: Vec<Benefit>,
    pub engagement: Engagement,
}

read_object!(Services, "the services section", { heading: "heading", subheading: "subheading", intro: "intro", benefits: "benefits", engagement: "engagement" });

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Benefit {
    pub title: String,
    pub text: String,
}

read_object!(Benefit, "a benefit", { title: "title", text: "text" });

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Engagement {
    pub heading: String,
    pub steps: Vec<Benefit>,
    pub cta: String,
}

read_object!(Engagement, "the engagement section", { heading: "heading", steps: "steps", cta: "cta" });

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ContactSection {
    pub heading: String,
    pub lead: String,
}

read_object!(ContactSection, "the contact section", { heading: "heading", lead: "lead" });

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Office {
    pub city: String,
    pub lines: Vec<String>,
}

read_object!(Office, "an office", { city: "city", lines: "lines" });

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Author {
    pub name: String,
    pub role: String,
}

read_object!(Author, "an author", { name: "name", role: "role" });

/// What a card shows: enough to list an article without its body.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ArticleSummary {
    pub slug: String,
    pub title: String,
    pub summary: String,
    /// ISO 8601 date, `YYYY-MM-DD`.
    pub date: String,
    pub updated: Option<String>,
    pub tags: Vec<String>,
    pub author: Author,
    pub reading_minutes: u32,
}

read_object!(ArticleSummary, "an article summary", { slug: "slug", title: "title", summary: "summary", date: "date", updated: "updated", tags: "tags", author: "author", reading_minutes: "reading_minutes" });

/// `/api/v1/articles/{slug}.json`: the summary's fields, then the article's,
/// in one object. Read back through `ArticleFields` (see there).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Article {
    #[serde(flatten)]
    pub meta: ArticleSummary,
    pub word_count: u32,
    /// The opening of the body as plain text (about 200 characters, cut at a word).
    pub excerpt: String,
    pub toc: Vec<TocEntry>,
    pub body: Vec<Block>,
    /// Related reading: shared tags first, then recency.
    pub more: Vec<ArticleSummary>,
}

/// `Article` as it is on the wire, every field at the top level. serde's
/// `flatten` would buffer the whole document into a generic tree and read it
/// again (much code in the wasm); this reads it in one pass, and accepts what
/// the derive accepted.
struct ArticleFields {
    slug: String,
    title: String,
    summary: String,
    date: String,
    updated: Option<String>,
    tags: Vec<String>,
    author: Author,
    reading_minutes: u32,
    word_count: u32,
    excerpt: String,
    toc: Vec<TocEntry>,
    body: Vec<Block>,
    more: Vec<ArticleSummary>,
}

read_object!(ArticleFields, "an article", { slug: "slug", title: "title", summary: "summary", date: "date", updated: "updated", tags: "tags", author: "author", reading_minutes: "reading_minutes", word_count: "word_count", excerpt: "excerpt", toc: "toc", body: "body", more: "more" });

impl<'de> Deserialize<'de> for Article {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let a = ArticleFields::deserialize(d)?;
        Ok(Article {
            meta: ArticleSummary {
                slug: a.slug,
                title: a.title,
                summary: a.summary,
                date: a.date,
                updated: a.updated,
                tags: a.tags,
                author: a.author,
                reading_minutes: a.reading_minutes,
            },
            word_count: a.word_count,
            excerpt: a.excerpt,
            toc: a.toc,
            body: a.body,
            more: a.more,
        })
    }
}

/// `/api/v1/articles/page/{n}.json` and `/api/v1/tags/{tag}/page/{n}.json`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ArticlePage {
    /// The tag this page is filtered by, if any.
    pub tag: Option<String>,
    pub page: u32,
    pub per_page: u32,
    pub pages: u32,
    pub total: u32,
    /// API path of the next page, if there is one.
    pub next: Option<String>,
    pub prev: Option<String>,
    pub items: Vec<ArticleSummary>,
}

read_object!(ArticlePage, "a page of articles", { tag: "tag", page: "page", per_page: "per_page", pages: "pages", total: "total", next: "next", prev: "prev", items: "items" });

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TagCount {
    pub tag: String,
    pub count: u32,
}

read_object!(TagCount, "a tag count", { tag: "tag", count: "count" });

/// The body of every 4xx/5xx answer from the server.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ApiError {
    pub status: u16,
    /// A stable machine-readable code, e.g. `not_found`, `validation`.
    pub error: String,
    /// A sentence for people.
    pub message: String,
    /// Per-field messages for `validation` errors.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<crate::contact::FieldError>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_article_reads_back_as_written() {
        let summary = ArticleSummary {
            slug: "a-b".into(),
            title: "T".into(),
            summary: "S".into(),
            date: "2026-01-02".into(),
            updated: Some("2026-02-03".into()),
            tags: vec!["rest".into()],
            author: Author { name: "Ada".into(), role: "Engineer".into() },
            reading_minutes: 4,
        };
        let article = Article {
            meta: summary.clone(),
            word_count: 800,
            excerpt: "E".into(),
            toc: vec![TocEntry { level: 2, id: "a".into(), text: "A".into() }],
            body: vec![Block::Rule],
            more: vec![ArticleSummary { updated: None, ..summary }],
        };
        let json = serde_json::to_string(&article).unwrap();
        assert!(json.starts_with(r#"{"slug":"a-b","title":"T""#), "flat on the wire: {json}");
        assert_eq!(serde_json::from_str::<Article>(&json).unwrap(), article);
        let page = ArticlePage {
            tag: Some("rest".into()),
            page: 2,
            per_page: 10,
            pages: 3,
            total: 21,
            next: Some("/api/v1/tags/rest/page/3.json".into()),
            prev: None,
            items: vec![article.meta.clone()],
        };
        let page_json = serde_json::to_string(&page).unwrap();
        assert_eq!(serde_json::from_str::<ArticlePage>(&page_json).unwrap(), page);
        let mut value: serde_json::Value = serde_json::from_str(&json).unwrap();
        value.as_object_mut().unwrap().remove("date");
        let e = serde_json::from_str::<Article>(&value.to_string()).unwrap_err();
        assert!(e.to_string().contains("missing field `date`"), "{e}");
    }

    #[test]
    fn the_site_reads_back_as_written() {
        let benefit = |t: &str| Benefit { title: t.into(), text: format!("{t} text") };
        let site = Site {
            name: "Keel".into(),
            tagline: "T".into(),
            description: "D".into(),
            url: "https://keel.example".into(),
            email: "hello@keel.example".into(),
            home: Home { heading: "H".into(), lead: "L".into() },
            services: Services {
                heading: "S".into(),
                subheading: "Sub".into(),
                intro: vec!["a".into(), "b".into()],
                benefits: vec![benefit("one"), benefit("two")],
                engagement: Engagement { heading: "E".into(), steps: vec![benefit("step")], cta: "Go".into() },
            },
            contact: ContactSection { heading: "C".into(), lead: "CL".into() },
            offices: vec![Office { city: "Berlin".into(), lines: vec!["Street 1".into()] }],
            latest: vec![ArticleSummary {
                slug: "a".into(),
                title: "A".into(),
                summary: "S".into(),
                date: "2026-01-02".into(),
                updated: None,
                tags: vec![],
                author: Author { name: "Ada".into(), role: "R".into() },
                reading_minutes: 1,
            }],
            tags: vec![TagCount { tag: "rest".into(), count: 2 }],
        };
        let json = serde_json::to_string(&site).unwrap();
        assert_eq!(serde_json::from_str::<Site>(&json).unwrap(), site);
    }

    #[test]
    fn objects_are_read_as_the_derive_read_them() {
        // Any order, unknown fields ignored, an escaped name, null and missing options.
        let a: Author = serde_json::from_str(r#"{"role":"R","extra":[1,{"x":2}],"n\u0061me":"Ada"}"#).unwrap();
        assert_eq!(a, Author { name: "Ada".into(), role: "R".into() });
        let p: ArticlePage =
            serde_json::from_str(r#"{"tag":null,"page":1,"per_page":10,"pages":1,"total":0,"items":[]}"#).unwrap();
        assert_eq!((p.tag, p.next, p.prev), (None, None, None));
        for (bad, says) in [
            (r#"{"name":"Ada"}"#, "missing field `role`"),
            (r#"{"name":"Ada","role":"R","name":"Bob"}"#, "duplicate field `name`"),
            (r#"{"name":"Ada","role":3}"#, "invalid type"),
            (r#"["Ada","R"]"#, "invalid type"),
        ] {
            let e = serde_json::from_str::<Author>(bad).unwrap_err().to_string();
            assert!(e.contains(says), "{bad}: {e}");
        }
    }
}
