//! The search index, written as the shards described in `keel_model::search`.

use std::collections::{BTreeMap, HashMap};

use keel_model::search::{self, SearchMeta, SearchShard, SearchTerm};
use keel_model::{ArticleSummary, paths};

/// About this many bytes of JSON per shard (roughly a quarter of that with
/// brotli): small enough that a query of a few words stays within a few tens
/// of kilobytes, large enough that a site of a thousand articles has a few
/// dozen shards rather than thousands of tiny files.
const SHARD_BYTES: usize = 24 * 1024;

/// One indexed article: its summary and its body as plain text. Ids are
/// positions in `docs`, which is newest first.
pub struct Doc<'a> {
    pub summary: &'a ArticleSummary,
    pub body: &'a str,
}

/// The weight of every term in one doc.
fn weights(doc: &Doc) -> HashMap<String, u32> {
    let mut w: HashMap<String, u32> = HashMap::new();
    let once =
        |words: &mut dyn Iterator<Item = String>, weight: u32, w: &mut HashMap<String, u32>| {
            let mut seen = std::collections::HashSet::new();
            for word in words {
                if seen.insert(word.clone()) {
                    *w.entry(word).or_default() += weight;
                }
            }
        };
    once(
        &mut search::words(&doc.summary.title),
        search::TITLE,
        &mut w,
    );
    once(
        &mut doc
            .summary
            .tags
            .iter()
            .flat_map(|t| search::words(t).collect::<Vec<_>>()),
        search::TAG,
        &mut w,
    );
    once(
        &mut search::words(&doc.summary.summary),
        search::SUMMARY,
        &mut w,
    );
    let mut body: HashMap<String, u32> = HashMap::new();
    for word in search::words(doc.body) {
        *body.entry(word).or_default() += 1;
    }
    for (word, n) in body {
        *w.entry(word).or_default() += n.min(search::BODY_MAX);
    }
    w
}

/// The meta document, the shards and the per-doc summaries, by API path.
pub fn files(docs: &[Doc]) -> Vec<(String, Vec<u8>)> {
    files_sized(docs, SHARD_BYTES)
}

fn files_sized(docs: &[Doc], shard_bytes: usize) -> Vec<(String, Vec<u8>)> {
    let mut postings: BTreeMap<String, Vec<u32>> = BTreeMap::new();
    for (id, doc) in docs.iter().enumerate() {
        for (term, weight) in weights(doc) {
            let p = postings.entry(term).or_default();
            p.push(id as u32);
            p.push(weight);
        }
    }
    let mut shards: Vec<SearchShard> = Vec::new();
    let mut size = 0;
    for (term, postings) in postings {
        // Docs were visited in id order, so postings are already ascending.
        let bytes = term.len()
            + 12
            + postings
                .iter()
                .map(|n| n.to_string().len() + 1)
                .sum::<usize>();
        if shards.is_empty() || size + bytes > shard_bytes {
            shards.push(SearchShard { terms: Vec::new() });
            size = 0;
        }
        size += bytes;
        shards
            .last_mut()
            .expect("pushed above")
            .terms
            .push(SearchTerm { term, postings });
    }
    let mut tags: Vec<String> = docs
        .iter()
        .flat_map(|d| d.summary.tags.iter().cloned())
        .collect();
    tags.sort();
    tags.dedup();
    let meta = SearchMeta {
        docs: docs.len() as u32,
        shards: shards.iter().map(|s| s.terms[0].term.clone()).collect(),
        doc_tags: docs
            .iter()
            .map(|d| {
                d.summary
                    .tags
                    .iter()
                    .filter_map(|t| tags.binary_search(t).ok().map(|i| i as u16))
                    .collect()
            })
            .collect(),
        tags,
    };
    let mut out = vec![(paths::search_meta(), json(&meta))];
    for (n, shard) in shards.iter().enumerate() {
        out.push((paths::search_shard(n as u32), json(shard)));
    }
    for (id, doc) in docs.iter().enumerate() {
        out.push((paths::search_doc(id as u32), json(doc.summary)));
    }
    out
}

fn json<T: serde::Serialize>(value: &T) -> Vec<u8> {
    serde_json::to_vec(value).expect("model types serialize")
}

#[cfg(test)]
mod tests {
    use keel_model::Author;

    use super::*;

    fn summary(title: &str, tags: &[&str], summary: &str) -> ArticleSummary {
        ArticleSummary {
            slug: "s".into(),
            title: title.into(),
            summary: summary.into(),
            date: "2025-01-01".into(),
            updated: None,
            tags: tags.iter().map(|t| t.to_string()).collect(),
            author: Author {
                name: "A".into(),
                role: "R".into(),
            },
            reading_minutes: 1,
            cover: None,
        }
    }

    #[test]
    fn weights_add_up_by_place() {
        let s = summary(
            "Caching in practice",
            &["caching", "http"],
            "When to cache.",
        );
        let w = weights(&Doc {
            summary: &s,
            body: "cache cache cache caching http http",
        });
        assert_eq!(w["caching"], search::TITLE + search::TAG + 1);
        assert_eq!(w["cache"], search::SUMMARY + 3);
        assert_eq!(w["http"], search::TAG + 2);
        assert_eq!(w["practice"], search::TITLE);
        let long = "word ".repeat(100);
        assert_eq!(
            weights(&Doc {
                summary: &s,
                body: &long
            })["word"],
            search::BODY_MAX,
            "the body's share is capped"
        );
    }

    #[test]
    fn shards_cover_every_term_in_order_and_stay_small() {
        let sums: Vec<ArticleSummary> = (0..300)
            .map(|_| summary("Article", &["rest"], "s"))
            .collect();
        let bodies: Vec<String> = (0..300)
            .map(|i| format!("term{i} shared words{} common", i % 7))
            .collect();
        let docs: Vec<Doc> = sums
            .iter()
            .zip(&bodies)
            .map(|(summary, body)| Doc { summary, body })
            .collect();
        let out = files_sized(&docs, 2048);
        let meta: SearchMeta = serde_json::from_slice(&out[0].1).unwrap();
        assert!(meta.shards.len() > 1, "{} shards", meta.shards.len());
        assert!(meta.shards.windows(2).all(|w| w[0] < w[1]));
        let mut all = Vec::new();
        for (n, first) in meta.shards.iter().enumerate() {
            let (path, bytes) = &out[1 + n];
            assert_eq!(path, &paths::search_shard(n as u32));
            assert!(bytes.len() <= 2048 + 1024, "{path}: {} bytes", bytes.len());
            let shard: SearchShard = serde_json::from_slice(bytes).unwrap();
            assert_eq!(&shard.terms[0].term, first);
            all.extend(shard.terms.into_iter().map(|t| t.term));
        }
        assert_eq!(
            all.len(),
            300 + 7 + 4,
            "term0..299, words0..6, article, shared, common, rest"
        );
        assert!(all.windows(2).all(|w| w[0] < w[1]));
        // What the SPA does: plan, fetch, rank.
        let shards: Vec<SearchShard> = meta
            .shards_for_query("term123")
            .iter()
            .map(|n| serde_json::from_slice(&out[1 + *n as usize].1).unwrap())
            .collect();
        let by_n: BTreeMap<u32, &SearchShard> = meta
            .shards_for_query("term123")
            .into_iter()
            .zip(shards.iter())
            .collect();
        assert_eq!(search::rank(&meta, &by_n, "term123", None), [123]);
        assert_eq!(out.last().unwrap().0, paths::search_doc(299));
    }
}
