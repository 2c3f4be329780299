//! The Atom feed (the newest articles, in full), from the compiled articles.
//! (The sitemap lists pages, so the prerenderer writes it from the route table.)

use keel_model::{Article, Site};

use crate::html::{body, esc};

/// How many of the newest articles the feed carries, in full. Readers poll the
/// feed; a thousand full articles in every poll would be megabytes.
pub const FEED_COUNT: usize = 20;

pub fn atom(site: &Site, articles: &[Article]) -> String {
    let updated = articles
        .iter()
        .map(|a| {
            a.meta
                .updated
                .clone()
                .unwrap_or_else(|| a.meta.date.clone())
        })
        .max()
        .unwrap_or_else(|| "2025-01-01".into());
    let mut s = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\">\n  <title>{}</title>\n  <subtitle>{}</subtitle>\n  <link href=\"{}/feed.xml\" rel=\"self\"/>\n  <link href=\"{}/\"/>\n  <id>{}/</id>\n  <updated>{updated}T00:00:00Z</updated>\n",
        esc(&site.name),
        esc(&site.description),
        esc(&site.url),
        esc(&site.url),
        esc(&site.url)
    );
    for a in articles.iter().take(FEED_COUNT) {
        let m = &a.meta;
        let url = format!("{}/articles/{}", site.url, m.slug);
        s.push_str(&format!(
            "  <entry>\n    <title>{}</title>\n    <link href=\"{}\"/>\n    <id>{}</id>\n    <published>{}T00:00:00Z</published>\n    <updated>{}T00:00:00Z</updated>\n    <author><name>{}</name></author>\n    <summary>{}</summary>\n    <content type=\"html\">{}</content>\n{}  </entry>\n",
            esc(&m.title),
            esc(&url),
            esc(&url),
            m.date,
            m.updated.as_deref().unwrap_or(&m.date),
            esc(&m.author.name),
            esc(&m.summary),
            esc(&body(&a.body, &site.url)),
            m.tags.iter().map(|t| format!("    <category term=\"{}\"/>\n", esc(t))).collect::<String>(),
        ));
    }
    s.push_str("</feed>\n");
    s
}
