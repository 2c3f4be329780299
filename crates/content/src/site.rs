//! `content/site.toml`: the firm, its pitch, its offices.

use keel_model::{
    ArticleSummary, Benefit, ContactSection, Engagement, Home, Office, Services, Site, TagCount,
};
use serde::Deserialize;

use crate::error::{Diagnostic, line_of};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SiteFile {
    name: String,
    tagline: String,
    description: String,
    url: String,
    email: String,
    home: HomeFile,
    services: ServicesFile,
    contact: ContactFile,
    offices: Vec<OfficeFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct HomeFile {
    heading: String,
    lead: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ServicesFile {
    heading: String,
    subheading: String,
    intro: Vec<String>,
    benefits: Vec<Item>,
    engagement: EngagementFile,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Item {
    title: String,
    text: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct EngagementFile {
    heading: String,
    steps: Vec<Item>,
    cta: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ContactFile {
    heading: String,
    lead: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct OfficeFile {
    city: String,
    lines: Vec<String>,
}

pub fn parse(file: &str, text: &str) -> Result<SiteFile, Diagnostic> {
    let site: SiteFile = toml::from_str(text).map_err(|e| {
        let line = e.span().map(|s| line_of(text, s.start)).unwrap_or(1);
        Diagnostic::new(
            file,
            line,
            e.message()
                .lines()
                .next()
                .unwrap_or("invalid TOML")
                .to_string(),
        )
    })?;
    if !site.url.starts_with("https://") && !site.url.starts_with("http://") {
        return Err(Diagnostic::new(
            file,
            0,
            "`url` must be an absolute http(s) URL",
        ));
    }
    Ok(site)
}

impl SiteFile {
    pub fn into_site(self, latest: Vec<ArticleSummary>, tags: Vec<TagCount>) -> Site {
        let item = |i: Item| Benefit {
            title: i.title,
            text: i.text,
        };
        Site {
            name: self.name,
            tagline: self.tagline,
            description: self.description,
            url: self.url.trim_end_matches('/').to_string(),
            email: self.email,
            home: Home {
                heading: self.home.heading,
                lead: self.home.lead,
            },
            services: Services {
                heading: self.services.heading,
                subheading: self.services.subheading,
                intro: self.services.intro,
                benefits: self.services.benefits.into_iter().map(item).collect(),
                engagement: Engagement {
                    heading: self.services.engagement.heading,
                    steps: self
                        .services
                        .engagement
                        .steps
                        .into_iter()
                        .map(item)
                        .collect(),
                    cta: self.services.engagement.cta,
                },
            },
            contact: ContactSection {
                heading: self.contact.heading,
                lead: self.contact.lead,
            },
            offices: self
                .offices
                .into_iter()
                .map(|o| Office {
                    city: o.city,
                    lines: o.lines,
                })
                .collect(),
            latest,
            tags,
        }
    }
}
