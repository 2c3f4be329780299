//! The search index, split so that a query downloads only what it needs
//! (Pagefind's approach): a small meta document, term shards, and one small
//! document per article.
//!
//! - `search/meta.json` (`SearchMeta`): the first term of every shard, and
//!   each article's tags (for searching within a tag).
//! - `search/shard/{n}.json` (`SearchShard`): a run of the sorted terms, each
//!   with its postings: which articles have it, and how strongly.
//! - `search/doc/{id}.json`: the `ArticleSummary` of article `id` (ids are
//!   positions in the newest-first list), fetched only for results on screen.
//!
//! The compiler and the SPA tokenize with the same `words`, and the SPA plans
//! and ranks with the functions here, which the build's size report uses too.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// `/api/v1/search/meta.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SearchMeta {
    /// How many articles are indexed; doc ids run from 0 to `docs - 1`.
    pub docs: u32,
    /// The first term of each shard, ascending: shard `n` holds the terms from
    /// `shards[n]` up to (not including) `shards[n + 1]`.
    pub shards: Vec<String>,
    /// Every tag, and for each doc the indexes into `tags` it carries.
    pub tags: Vec<String>,
    pub doc_tags: Vec<Vec<u16>>,
}

/// `/api/v1/search/shard/{n}.json`: terms in ascending order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SearchShard {
    pub terms: Vec<SearchTerm>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SearchTerm {
    #[serde(rename = "t")]
    pub term: String,
    /// Flat pairs, `[doc, weight, doc, weight, …]`, docs ascending. The weight
    /// says where the term occurs: `TITLE`, `TAG`, `SUMMARY` add up, plus one
    /// per use in the body up to `BODY_MAX`.
    #[serde(rename = "p")]
    pub postings: Vec<u32>,
}

pub const TITLE: u32 = 40;
pub const TAG: u32 = 20;
pub const SUMMARY: u32 = 8;
pub const BODY_MAX: u32 = 8;

/// Query words shorter than this match whole terms only: a one- or two-letter
/// prefix would pull in a large part of the index for nothing.
pub const MIN_PREFIX: usize = 3;

/// The words of a text as the index knows them: lowercase runs of letters and
/// digits, at least two characters long.
pub fn words(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.chars().nth(1).is_some())
        .map(str::to_lowercase)
}

/// Whether index term `term` answers query word `word`: equal, or, for words
/// of `MIN_PREFIX` characters or more, a prefix of it.
pub fn matches(term: &str, word: &str) -> bool {
    term == word || (word.chars().count() >= MIN_PREFIX && term.starts_with(word))
}

impl SearchMeta {
    /// The shards that can hold terms matching `word`.
    pub fn shards_for(&self, word: &str) -> Vec<u32> {
        let n = self.shards.len();
        if n == 0 {
            return Vec::new();
        }
        // The shard whose range contains `word` itself…
        let first = self
            .shards
            .partition_point(|s| s.as_str() <= word)
            .saturating_sub(1);
        let mut out = vec![first as u32];
        // …and, for a prefix, every later shard that still starts with it.
        if word.chars().count() >= MIN_PREFIX {
            out.extend(
                (first + 1..n)
                    .take_while(|&i| self.shards[i].starts_with(word))
                    .map(|i| i as u32),
            );
        }
        out
    }

    /// Every shard the query needs, without repeats.
    pub fn shards_for_query(&self, query: &str) -> Vec<u32> {
        // Marked by shard number, then read in order: ascending, no repeats.
        let mut wanted = vec![false; self.shards.len()];
        for n in words(query).flat_map(|w| self.shards_for(&w)) {
            wanted[n as usize] = true;
        }
        (0..self.shards.len() as u32)
            .filter(|&n| wanted[n as usize])
            .collect()
    }
}

/// The articles matching every word of `query` (optionally only those tagged
/// `tag`), best first: the summed weights, an exact term counting double a
/// prefix match; newer articles (lower ids) first among equals. `shards` must
/// hold the shards `shards_for_query` named; a missing one means no match.
pub fn rank(
    meta: &SearchMeta,
    shards: &BTreeMap<u32, &SearchShard>,
    query: &str,
    tag: Option<&str>,
) -> Vec<u32> {
    let tag_index = tag.map(|t| meta.tags.iter().position(|x| x == t).map(|i| i as u16));
    let mut words: Vec<String> = words(query).collect();
    words.dedup();
    if words.is_empty() {
        return Vec::new();
    }
    // Scores by doc id (ids run below `meta.docs`); `None`: not matched.
    let docs = meta.docs as usize;
    let mut total: Vec<Option<u32>> = Vec::new();
    for (i, word) in words.iter().enumerate() {
        let mut scores: Vec<Option<u32>> = vec![None; docs];
        for n in meta.shards_for(word) {
            let Some(shard) = shards.get(&n) else {
                continue;
            };
            for t in shard.terms.iter().filter(|t| matches(&t.term, word)) {
                let factor = if t.term == *word { 2 } else { 1 };
                for pair in t.postings.chunks_exact(2) {
                    if let Some(s) = scores.get_mut(pair[0] as usize) {
                        *s = Some(s.unwrap_or(0).max(pair[1] * factor));
                    }
                }
            }
        }
        // Every word must match: keep only docs that matched all so far.
        total = if i == 0 {
            scores
        } else {
            total
                .iter()
                .zip(&scores)
                .map(|(t, s)| Some((*t)? + (*s)?))
                .collect()
        };
    }
    // Each hit goes into its place as it is found (a binary search and a
    // move), best score first and, as ids come in order, lower ids first among
    // equals. A sort would add about 3 KB of code to the wasm; a thousand hits
    // move at most half a million ids, in a thousand memory moves.
    let mut hits: Vec<(std::cmp::Reverse<u32>, u32)> = Vec::new();
    for (d, s) in total.into_iter().enumerate() {
        let tagged = match tag_index {
            None => true,
            Some(None) => false,
            Some(Some(t)) => meta.doc_tags.get(d).is_some_and(|tags| tags.contains(&t)),
        };
        if let (Some(s), true) = (s, tagged) {
            let hit = (std::cmp::Reverse(s), d as u32);
            hits.insert(hits.partition_point(|h| *h < hit), hit);
        }
    }
    hits.into_iter().map(|(_, d)| d).collect()
}

/// `text` cut into runs, each marked whether it is a word matching the query
/// (for highlighting results).
pub fn highlight(text: &str, query: &str) -> Vec<(String, bool)> {
    let wanted: Vec<String> = words(query).collect();
    let mut out: Vec<(String, bool)> = Vec::new();
    let mut push = |s: &str, hit: bool| match out.last_mut() {
        Some((last, h)) if *h == hit => last.push_str(s),
        _ => out.push((s.to_string(), hit)),
    };
    let mut start = 0;
    let mut in_word = false;
    for (i, c) in text
        .char_indices()
        .chain(std::iter::once((text.len(), ' ')))
    {
        let alnum = c.is_alphanumeric() && i < text.len();
        if alnum != in_word {
            let run = &text[start..i];
            let hit = in_word && wanted.iter().any(|w| matches(&run.to_lowercase(), w));
            push(run, hit);
            start = i;
            in_word = alnum;
        }
    }
    push(&text[start..], false);
    out.retain(|(s, _)| !s.is_empty());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(shards: &[&str]) -> SearchMeta {
        SearchMeta {
            docs: 3,
            shards: shards.iter().map(|s| s.to_string()).collect(),
            tags: vec!["rest".into()],
            doc_tags: vec![vec![0], vec![], vec![0]],
        }
    }

    fn term(t: &str, postings: &[u32]) -> SearchTerm {
        SearchTerm {
            term: t.into(),
            postings: postings.to_vec(),
        }
    }

    #[test]
    fn the_index_reads_back_as_written() {
        let m = SearchMeta {
            docs: 3,
            shards: vec!["".into(), "m".into()],
            tags: vec!["rest".into()],
            doc_tags: vec![vec![0], vec![], vec![0]],
        };
        let json = serde_json::to_string(&m).unwrap();
        assert_eq!(serde_json::from_str::<SearchMeta>(&json).ok(), Some(m));
        let shard = SearchShard {
            terms: vec![term("cache", &[0, 1, 1, TITLE])],
        };
        let json = serde_json::to_string(&shard).unwrap();
        assert_eq!(json, r#"{"terms":[{"t":"cache","p":[0,1,1,40]}]}"#);
        assert_eq!(serde_json::from_str::<SearchShard>(&json).ok(), Some(shard));
        assert_eq!(
            serde_json::from_str::<SearchShard>(r#"{"terms":[{"term":"cache","p":[]}]}"#).ok(),
            None,
            "the wire names"
        );
    }

    #[test]
    fn tokenizing() {
        assert_eq!(
            words("OAuth 2.0: the *token*, I/O, go1").collect::<Vec<_>>(),
            ["oauth", "the", "token", "go1"]
        );
    }

    #[test]
    fn planning_names_only_the_shards_needed() {
        let m = meta(&["", "cache", "caching", "cat", "oauth", "rest"]);
        assert_eq!(m.shards_for("apple"), [0]);
        assert_eq!(m.shards_for("cache"), [1]);
        assert_eq!(
            m.shards_for("cach"),
            [0, 1, 2],
            "a prefix reaches every shard that starts with it"
        );
        assert_eq!(m.shards_for("ca"), [0], "too short for a prefix");
        assert_eq!(m.shards_for("zebra"), [5]);
        assert_eq!(m.shards_for_query("oauth cache"), [1, 4]);
    }

    #[test]
    fn ranking_title_tags_body_and_prefixes() {
        let m = meta(&[""]);
        let shard = SearchShard {
            terms: vec![
                term("cache", &[0, 1, 1, TITLE, 2, TAG]),
                term("caching", &[0, 5]),
                term("token", &[0, 1, 2, 1]),
                term("queue", &[2, 4, 0, 4, 1, 9]),
            ],
        };
        let shards = BTreeMap::from([(0, &shard)]);
        assert_eq!(
            rank(&m, &shards, "cache", None),
            [1, 2, 0],
            "title over tag over body"
        );
        assert_eq!(
            rank(&m, &shards, "cach", None),
            [1, 2, 0],
            "a prefix matches"
        );
        assert_eq!(
            rank(&m, &shards, "Cache token", None),
            [2, 0],
            "every word must match"
        );
        assert_eq!(
            rank(&m, &shards, "queue", None),
            [1, 0, 2],
            "newer (lower ids) first among equals"
        );
        assert_eq!(
            rank(&m, &shards, "cache", Some("rest")),
            [2, 0],
            "within a tag"
        );
        assert_eq!(rank(&m, &shards, "cache", Some("nope")), Vec::<u32>::new());
        assert_eq!(
            rank(&m, &shards, "ca", None),
            Vec::<u32>::new(),
            "two letters match whole terms only"
        );
        assert_eq!(
            rank(&m, &BTreeMap::new(), "cache", None),
            Vec::<u32>::new(),
            "a missing shard matches nothing"
        );
    }

    #[test]
    fn highlighting() {
        let runs = highlight("Caching, and cache invalidation", "cach");
        assert_eq!(
            runs,
            [
                ("Caching".into(), true),
                (", and ".into(), false),
                ("cache".into(), true),
                (" invalidation".into(), false)
            ]
        );
        assert_eq!(
            highlight("no match", "zz"),
            [("no match".to_string(), false)]
        );
        assert_eq!(highlight("", "zz"), Vec::<(String, bool)>::new());
    }
}
