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
    /// Shown above the article and on its cards.
    pub cover: Option<crate::doc::Image>,
}

/// `/api/v1/articles/{slug}.json`: the summary's fields, then the article's,
/// in one object.
///
/// Written with `flatten`, read as [`ArticleFields`]: serde reads a
/// flattened struct by buffering the whole object first, which cost the
/// wasm some 6 KB of reader code (for a summary read a third way).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(from = "ArticleFields")]
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

/// An `Article`'s fields as they are on the wire, one level (the compiler
/// checks that `From` gives the summary every field it has).
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
    cover: Option<crate::doc::Image>,
    word_count: u32,
    excerpt: String,
    toc: Vec<TocEntry>,
    body: Vec<Block>,
    more: Vec<ArticleSummary>,
}

impl From<ArticleFields> for Article {
    fn from(f: ArticleFields) -> Self {
        Article {
            meta: ArticleSummary {
                slug: f.slug,
                title: f.title,
                summary: f.summary,
                date: f.date,
                updated: f.updated,
                tags: f.tags,
                author: f.author,
                reading_minutes: f.reading_minutes,
                cover: f.cover,
            },
            word_count: f.word_count,
            excerpt: f.excerpt,
            toc: f.toc,
            body: f.body,
            more: f.more,
        }
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
            author: Author {
                name: "Ada".into(),
                role: "Engineer".into(),
            },
            reading_minutes: 4,
            cover: Some(crate::doc::Image {
                src: "/media/0123456789abcdef-1200.svg".into(),
                width: 1200,
                height: 630,
                alt: "".into(),
            }),
        };
        let article = Article {
            meta: summary.clone(),
            word_count: 800,
            excerpt: "E".into(),
            toc: vec![TocEntry {
                level: 2,
                id: "a".into(),
                text: "A".into(),
            }],
            body: vec![Block::Rule],
            more: vec![ArticleSummary {
                updated: None,
                ..summary
            }],
        };
        let json = serde_json::to_string(&article).unwrap();
        assert!(
            json.starts_with(r#"{"slug":"a-b","title":"T""#),
            "flat on the wire: {json}"
        );
        assert_eq!(
            serde_json::from_str::<Article>(&json).ok(),
            Some(article.clone())
        );
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
        assert_eq!(
            serde_json::from_str::<ArticlePage>(&page_json).ok(),
            Some(page)
        );
        let mut value: serde_json::Value = serde_json::from_str(&json).unwrap();
        value.as_object_mut().unwrap().remove("date");
        assert_eq!(
            serde_json::from_str::<Article>(&value.to_string()).ok(),
            None,
            "a missing date is refused"
        );
    }

    #[test]
    fn the_site_reads_back_as_written() {
        let benefit = |t: &str| Benefit {
            title: t.into(),
            text: format!("{t} text"),
        };
        let site = Site {
            name: "Keel".into(),
            tagline: "T".into(),
            description: "D".into(),
            url: "https://keel.example".into(),
            email: "hello@keel.example".into(),
            home: Home {
                heading: "H".into(),
                lead: "L".into(),
            },
            services: Services {
                heading: "S".into(),
                subheading: "Sub".into(),
                intro: vec!["a".into(), "b".into()],
                benefits: vec![benefit("one"), benefit("two")],
                engagement: Engagement {
                    heading: "E".into(),
                    steps: vec![benefit("step")],
                    cta: "Go".into(),
                },
            },
            contact: ContactSection {
                heading: "C".into(),
                lead: "CL".into(),
            },
            offices: vec![Office {
                city: "Berlin".into(),
                lines: vec!["Street 1".into()],
            }],
            latest: vec![ArticleSummary {
                slug: "a".into(),
                title: "A".into(),
                summary: "S".into(),
                date: "2026-01-02".into(),
                updated: None,
                tags: vec![],
                author: Author {
                    name: "Ada".into(),
                    role: "R".into(),
                },
                reading_minutes: 1,
                cover: None,
            }],
            tags: vec![TagCount {
                tag: "rest".into(),
                count: 2,
            }],
        };
        let json = serde_json::to_string(&site).unwrap();
        assert_eq!(serde_json::from_str::<Site>(&json).ok(), Some(site));
    }

    #[test]
    fn objects_are_read_as_the_derive_read_them() {
        // Any order, unknown fields ignored, an escaped name, null and missing options.
        let a =
            serde_json::from_str::<Author>(r#"{"role":"R","extra":[1,{"x":2}],"n\u0061me":"Ada"}"#)
                .ok();
        assert_eq!(
            a,
            Some(Author {
                name: "Ada".into(),
                role: "R".into()
            })
        );
        let p = serde_json::from_str::<ArticlePage>(
            r#"{"tag":null,"page":1,"per_page":10,"pages":1,"total":0,"items":[]}"#,
        )
        .ok()
        .unwrap();
        assert_eq!((p.tag, p.next, p.prev), (None, None, None));
        for bad in [
            r#"{"name":"Ada"}"#,
            r#"{"name":"Ada","role":3}"#,
            r#"{"name":"Ada","role":null}"#,
            r#""Ada""#,
            "null",
        ] {
            assert_eq!(serde_json::from_str::<Author>(bad).ok(), None, "{bad}");
        }
        for bad in [
            r#"{"tag":null,"page":-1,"per_page":10,"pages":1,"total":0,"items":[]}"#,
            r#"{"tag":null,"page":1.5,"per_page":10,"pages":1,"total":0,"items":[]}"#,
            r#"{"tag":null,"page":4294967296,"per_page":10,"pages":1,"total":0,"items":[]}"#,
            r#"{"tag":null,"page":"1","per_page":10,"pages":1,"total":0,"items":[]}"#,
            r#"{"tag":null,"page":1,"per_page":10,"pages":1,"total":0,"items":{}}"#,
        ] {
            assert_eq!(serde_json::from_str::<ArticlePage>(bad).ok(), None, "{bad}");
        }
        // Error bodies: `fields` may be left out.
        let e = serde_json::from_str::<ApiError>(
            r#"{"status":404,"error":"not_found","message":"No."}"#,
        )
        .ok()
        .unwrap();
        assert!(e.fields.is_empty());
        let e = r#"{"status":422,"error":"validation","message":"M","fields":[{"field":"email","message":"E"}]}"#;
        assert_eq!(
            serde_json::from_str::<ApiError>(e).ok().unwrap().fields[0].field,
            crate::contact::Field::Email
        );
        assert_eq!(serde_json::from_str::<ApiError>(r#"{"status":422,"error":"v","message":"M","fields":[{"field":"age","message":"E"}]}"#).ok(), None);
    }
}
