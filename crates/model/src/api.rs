//! The JSON documents of the read API.

use serde::{Deserialize, Serialize};

use crate::doc::{Block, TocEntry};

/// `/api/v1/site.json`: everything the chrome and the static pages need.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
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

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Home {
    pub heading: String,
    pub lead: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Services {
    pub heading: String,
    pub subheading: String,
    pub intro: Vec<String>,
    pub benefits: Vec<Benefit>,
    pub engagement: Engagement,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Benefit {
    pub title: String,
    pub text: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Engagement {
    pub heading: String,
    pub steps: Vec<Benefit>,
    pub cta: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ContactSection {
    pub heading: String,
    pub lead: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Office {
    pub city: String,
    pub lines: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Author {
    pub name: String,
    pub role: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Image {
    pub src: String,
    pub alt: String,
    pub width: u32,
    pub height: u32,
}

/// What a card shows: enough to list an article without its body.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
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
    pub cover: Option<Image>,
}

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
#[derive(Deserialize)]
struct ArticleFields {
    slug: String,
    title: String,
    summary: String,
    date: String,
    updated: Option<String>,
    tags: Vec<String>,
    author: Author,
    reading_minutes: u32,
    cover: Option<Image>,
    word_count: u32,
    excerpt: String,
    toc: Vec<TocEntry>,
    body: Vec<Block>,
    more: Vec<ArticleSummary>,
}

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
                cover: a.cover,
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
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
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

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TagCount {
    pub tag: String,
    pub count: u32,
}

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
            cover: Some(Image { src: "/c.png".into(), alt: "c".into(), width: 1, height: 2 }),
        };
        let article = Article {
            meta: summary.clone(),
            word_count: 800,
            excerpt: "E".into(),
            toc: vec![TocEntry { level: 2, id: "a".into(), text: "A".into() }],
            body: vec![Block::Rule],
            more: vec![ArticleSummary { cover: None, updated: None, ..summary }],
        };
        let json = serde_json::to_string(&article).unwrap();
        assert!(json.starts_with(r#"{"slug":"a-b","title":"T""#), "flat on the wire: {json}");
        assert_eq!(serde_json::from_str::<Article>(&json).unwrap(), article);
        let mut value: serde_json::Value = serde_json::from_str(&json).unwrap();
        value.as_object_mut().unwrap().remove("date");
        let e = serde_json::from_str::<Article>(&value.to_string()).unwrap_err();
        assert!(e.to_string().contains("missing field `date`"), "{e}");
    }
}
