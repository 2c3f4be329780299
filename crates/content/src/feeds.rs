//! The sitemap (an index of sitemaps past the protocol's limit) and the Atom
//! feed (the newest articles, in full), from the compiled articles.

use keel_model::{Article, Site};

use crate::html::{body, esc};

/// The sitemap protocol's limit per file (50,000 URLs; 50 MB, which our
/// short `<url>` lines never reach first).
pub const SITEMAP_MAX_URLS: usize = 50_000;

/// `/sitemap.xml`: one `urlset`, or, past `max_urls`, a sitemap index naming
/// `/sitemap-1.xml`, `/sitemap-2.xml`… of at most `max_urls` each.
pub fn sitemaps(site: &Site, articles: &[Article], max_urls: usize) -> Vec<(String, String)> {
    let newest = articles.first().map(|a| {
        a.meta
            .updated
            .clone()
            .unwrap_or_else(|| a.meta.date.clone())
    });
    let mut urls: Vec<(String, Option<String>)> = ["/", "/articles", "/services", "/contact"]
        .into_iter()
        .map(|p| {
            (
                format!("{}{p}", site.url),
                matches!(p, "/" | "/articles")
                    .then(|| newest.clone())
                    .flatten(),
            )
        })
        .collect();
    urls.extend(articles.iter().map(|a| {
        (
            format!("{}/articles/{}", site.url, a.meta.slug),
            Some(
                a.meta
                    .updated
                    .clone()
                    .unwrap_or_else(|| a.meta.date.clone()),
            ),
        )
    }));
    let urlset = |urls: &[(String, Option<String>)]| {
        let mut s = String::from(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
        );
        for (loc, lastmod) in urls {
            s.push_str(&format!("  <url><loc>{}</loc>", esc(loc)));
            if let Some(d) = lastmod {
                s.push_str(&format!("<lastmod>{d}</lastmod>"));
            }
            s.push_str("</url>\n");
        }
        s.push_str("</urlset>\n");
        s
    };
    let max_urls = max_urls.max(1);
    if urls.len() <= max_urls {
        return vec![("/sitemap.xml".into(), urlset(&urls))];
    }
    let mut files = Vec::new();
    let mut index = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<sitemapindex xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
    );
    for (n, chunk) in urls.chunks(max_urls).enumerate() {
        let path = format!("/sitemap-{}.xml", n + 1);
        index.push_str(&format!(
            "  <sitemap><loc>{}</loc></sitemap>\n",
            esc(&format!("{}{path}", site.url))
        ));
        files.push((path, urlset(chunk)));
    }
    index.push_str("</sitemapindex>\n");
    files.insert(0, ("/sitemap.xml".into(), index));
    files
}

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
