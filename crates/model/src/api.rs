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
}

/// `/api/v1/articles/{slug}.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
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
