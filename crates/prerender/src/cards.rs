//! Each page's social card: what it says, and where the build writes it.
//! Every article, and the home, articles, services and contact pages, has
//! one (`og:image`); `keel-media` draws it.

use std::collections::BTreeMap;

use keel::components::card::human_date;
use keel::route::{Inventory, Route};
use keel_media::card::Card;
use keel_model::{Article, Site, paths};

/// The card of the page of `route` (its article's, for an article page):
/// its URL path, and what it says. `None` for pages that are not shared
/// (embeds, the playground, not found).
pub fn card(site: &Site, route: &Route, article: Option<&Article>) -> Option<(String, Card)> {
    let host = site
        .url
        .split_once("://")
        .map_or(site.url.as_str(), |(_, h)| h)
        .trim_end_matches('/')
        .to_string();
    let card = |file: String, title: &str, byline: &str, detail: String| {
        Some((
            format!("/cards/{file}.png"),
            Card {
                title: title.to_string(),
                byline: byline.to_string(),
                detail,
                site: site.name.clone(),
                host: host.clone(),
            },
        ))
    };
    match route {
        Route::Article { slug } => {
            let a = &article?.meta;
            card(
                format!("articles/{slug}"),
                &a.title,
                &format!("{}, {}", a.author.name, a.author.role),
                format!("{} · {} min read", human_date(&a.date), a.reading_minutes),
            )
        }
        Route::Home => card(
            "home".into(),
            &site.home.heading,
            &site.home.lead,
            String::new(),
        ),
        Route::Articles => card(
            "articles".into(),
            "Articles",
            &site.description,
            String::new(),
        ),
        Route::Services => card(
            "services".into(),
            &site.services.heading,
            &site.services.subheading,
            String::new(),
        ),
        Route::Contact => card(
            "contact".into(),
            &site.contact.heading,
            &site.contact.lead,
            String::new(),
        ),
        _ => None,
    }
}

/// Every page's card, from the API documents: what the build draws.
pub fn cards(api: &BTreeMap<String, Vec<u8>>) -> anyhow::Result<Vec<(String, Card)>> {
    let site: Site = serde_json::from_slice(crate::doc(api, &paths::site())?)?;
    let inventory = Inventory::from_documents(api.keys().map(String::as_str));
    let mut out = Vec::new();
    for route in Route::pages(&inventory) {
        let article: Option<Article> = match &route {
            Route::Article { slug } => Some(serde_json::from_slice(crate::doc(
                api,
                &paths::article(slug),
            )?)?),
            _ => None,
        };
        out.extend(card(&site, &route, article.as_ref()));
    }
    Ok(out)
}
