//! The sitemap: every page the route table gives (`Route::pages`) that search
//! engines may index (`Route::indexed`), with its last change where the content
//! says it; an index of sitemaps past the protocol's limit. No list of pages
//! of its own: a new indexed route is in the sitemap when it is in the table.

use std::collections::{BTreeMap, HashMap};

use keel::route::{Inventory, Route};
use keel_model::{Article, Site, paths};

/// The sitemap protocol's limit per file (50,000 URLs; 50 MB, which our
/// short `<url>` lines never reach first).
pub const SITEMAP_MAX_URLS: usize = 50_000;

/// `/sitemap.xml`: one `urlset`, or, past `max_urls`, a sitemap index naming
/// `/sitemap-1.xml`, `/sitemap-2.xml`… of at most `max_urls` each. `api`
/// holds the documents the pages are rendered from; `articles` are the
/// compiled articles, newest first, for the dates.
pub fn sitemaps(
    api: &BTreeMap<String, Vec<u8>>,
    articles: &[Article],
    max_urls: usize,
) -> anyhow::Result<Vec<(String, String)>> {
    let site: Site = serde_json::from_slice(crate::doc(api, &paths::site())?)?;
    let changed = |a: &Article| {
        a.meta
            .updated
            .clone()
            .unwrap_or_else(|| a.meta.date.clone())
    };
    let newest = articles.first().map(changed);
    let by_slug: HashMap<&str, String> = articles
        .iter()
        .map(|a| (a.meta.slug.as_str(), changed(a)))
        .collect();
    let inventory = Inventory::from_documents(api.keys().map(String::as_str));
    let urls: Vec<(String, Option<String>)> = Route::pages(&inventory)
        .into_iter()
        .filter(Route::indexed)
        .map(|route| {
            let lastmod = match &route {
                Route::Article { slug } => by_slug.get(slug.as_str()).cloned(),
                Route::Home | Route::Articles => newest.clone(),
                Route::Services
                | Route::Contact
                | Route::Playground
                | Route::NotFound
                | Route::EmbedArticles
                | Route::EmbedArticle { .. }
                | Route::EmbedTag { .. }
                | Route::EmbedContact
                | Route::EmbedNotFound => None,
            };
            (format!("{}{}", site.url, route.to_path()), lastmod)
        })
        .collect();
    Ok(write(&site, &urls, max_urls))
}

fn write(site: &Site, urls: &[(String, Option<String>)], max_urls: usize) -> Vec<(String, String)> {
    let urlset = |urls: &[(String, Option<String>)]| {
        let mut s = String::from(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
        );
        for (loc, lastmod) in urls {
            s.push_str(&format!("  <url><loc>{}</loc>", crate::attr(loc)));
            if let Some(d) = lastmod {
                s.push_str(&format!("<lastmod>{}</lastmod>", crate::attr(d)));
            }
            s.push_str("</url>\n");
        }
        s.push_str("</urlset>\n");
        s
    };
    let max_urls = max_urls.max(1);
    if urls.len() <= max_urls {
        return vec![("/sitemap.xml".into(), urlset(urls))];
    }
    let mut files = Vec::new();
    let mut index = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<sitemapindex xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
    );
    for (n, chunk) in urls.chunks(max_urls).enumerate() {
        let path = format!("/sitemap-{}.xml", n + 1);
        index.push_str(&format!(
            "  <sitemap><loc>{}</loc></sitemap>\n",
            crate::attr(&format!("{}{path}", site.url))
        ));
        files.push((path, urlset(chunk)));
    }
    index.push_str("</sitemapindex>\n");
    files.insert(0, ("/sitemap.xml".into(), index));
    files
}

#[cfg(test)]
mod tests {
    use super::*;

    fn locs(xml: &str) -> Vec<&str> {
        xml.split("<loc>")
            .skip(1)
            .map(|s| &s[..s.find("</loc>").unwrap()])
            .collect()
    }

    /// The sitemap is the route table's indexed pages, no more and no fewer,
    /// each article with its date; past the limit it splits into an index.
    #[test]
    fn the_sitemap_is_every_indexed_page_of_the_route_table() {
        let out = keel_content::fs::compile_bundled(&Default::default()).unwrap();
        let inventory = Inventory::from_documents(out.files.keys().map(String::as_str));
        let indexed: Vec<String> = Route::pages(&inventory)
            .into_iter()
            .filter(Route::indexed)
            .map(|r| format!("https://keel.example{}", r.to_path()))
            .collect();
        let one = sitemaps(&out.files, &out.articles, SITEMAP_MAX_URLS).unwrap();
        assert_eq!(one.len(), 1);
        let xml = &one[0].1;
        assert_eq!(locs(xml), indexed);
        for page in [
            "https://keel.example/",
            "https://keel.example/services",
            "https://keel.example/contact",
        ] {
            assert!(indexed.iter().any(|p| p == page), "{page} is indexed");
        }
        assert!(
            !xml.contains("/embed"),
            "embed views are parts of other pages"
        );
        let seed = &out
            .articles
            .iter()
            .find(|a| a.meta.slug == "why-code-quality-suffers-when-theres-no-tech-lead")
            .unwrap()
            .meta;
        assert!(xml.contains(&format!(
            "<loc>https://keel.example/articles/{}</loc><lastmod>{}</lastmod>",
            seed.slug,
            seed.updated.as_ref().unwrap_or(&seed.date)
        )));

        let split = sitemaps(&out.files, &out.articles, 3).unwrap();
        let expected_files = indexed.len().div_ceil(3);
        assert_eq!(split.len(), 1 + expected_files);
        assert_eq!(split[0].0, "/sitemap.xml");
        assert!(split[0].1.contains("<sitemapindex"));
        assert_eq!(
            locs(&split[0].1),
            (1..=expected_files)
                .map(|n| format!("https://keel.example/sitemap-{n}.xml"))
                .collect::<Vec<_>>()
        );
        let all: Vec<&str> = split[1..].iter().flat_map(|(_, x)| locs(x)).collect();
        assert_eq!(all, indexed);
    }
}
