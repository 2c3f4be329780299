//! The sitemap and the Atom feed, from the compiled articles.

use keel_model::{Article, Site};

pub fn sitemap(site: &Site, articles: &[Article]) -> String {
    let mut s = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n");
    let newest = articles.first().map(|a| a.meta.updated.clone().unwrap_or_else(|| a.meta.date.clone()));
    for path in ["/", "/articles", "/services", "/contact"] {
        s.push_str(&format!("  <url><loc>{}</loc>", esc(&format!("{}{path}", site.url))));
        if let (Some(d), "/" | "/articles") = (&newest, path) {
            s.push_str(&format!("<lastmod>{d}</lastmod>"));
        }
        s.push_str("</url>\n");
    }
    for a in articles {
        let m = &a.meta;
        s.push_str(&format!(
            "  <url><loc>{}</loc><lastmod>{}</lastmod></url>\n",
            esc(&format!("{}/articles/{}", site.url, m.slug)),
            m.updated.as_deref().unwrap_or(&m.date)
        ));
    }
    s.push_str("</urlset>\n");
    s
}

pub fn atom(site: &Site, articles: &[Article]) -> String {
    let updated = articles
        .iter()
        .map(|a| a.meta.updated.clone().unwrap_or_else(|| a.meta.date.clone()))
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
    for a in articles {
        let m = &a.meta;
        let url = format!("{}/articles/{}", site.url, m.slug);
        s.push_str(&format!(
            "  <entry>\n    <title>{}</title>\n    <link href=\"{}\"/>\n    <id>{}</id>\n    <published>{}T00:00:00Z</published>\n    <updated>{}T00:00:00Z</updated>\n    <author><name>{}</name></author>\n    <summary>{}</summary>\n{}  </entry>\n",
            esc(&m.title),
            esc(&url),
            esc(&url),
            m.date,
            m.updated.as_deref().unwrap_or(&m.date),
            esc(&m.author.name),
            esc(&m.summary),
            m.tags.iter().map(|t| format!("    <category term=\"{}\"/>\n", esc(t))).collect::<String>(),
        ));
    }
    s.push_str("</feed>\n");
    s
}

/// XML text and attribute escaping.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if (c as u32) < 0x20 && !matches!(c, '\n' | '\t' | '\r') => {}
            c => out.push(c),
        }
    }
    out
}
