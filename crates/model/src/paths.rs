//! Where each API document lives. The compiler writes files at these paths, the
//! server serves them, the SPA fetches them: one definition for all three.
//!
//! Every read is a plain file path (no query strings) so a bare CDN can serve
//! the whole read side.

/// The version prefix. Bump it, and keep the old tree, when a type changes
/// incompatibly.
pub const API_PREFIX: &str = "/api/v1";

pub fn site() -> String {
    format!("{API_PREFIX}/site.json")
}

/// Page `n` (1-based) of the article index, newest first.
pub fn articles_page(n: u32) -> String {
    format!("{API_PREFIX}/articles/page/{n}.json")
}

/// Page `n` (1-based) of the articles carrying `tag`.
pub fn tag_page(tag: &str, n: u32) -> String {
    format!("{API_PREFIX}/tags/{tag}/page/{n}.json")
}

pub fn tags() -> String {
    format!("{API_PREFIX}/tags.json")
}

pub fn article(slug: &str) -> String {
    format!("{API_PREFIX}/articles/{slug}.json")
}

/// The slug of the article whose document is at `path`: the inverse of
/// [`article`], `None` for any other document.
pub fn article_slug(path: &str) -> Option<&str> {
    let slug = path
        .strip_prefix(API_PREFIX)?
        .strip_prefix("/articles/")?
        .strip_suffix(".json")?;
    is_valid_slug(slug).then_some(slug)
}

/// The tag whose first page is at `path` (the inverse of `tag_page(tag, 1)`).
pub fn tag_of_first_page(path: &str) -> Option<&str> {
    let tag = path
        .strip_prefix(API_PREFIX)?
        .strip_prefix("/tags/")?
        .strip_suffix("/page/1.json")?;
    is_valid_slug(tag).then_some(tag)
}

/// The search index's entry point; see `crate::search` for its parts.
pub fn search_meta() -> String {
    format!("{API_PREFIX}/search/meta.json")
}

pub fn search_shard(n: u32) -> String {
    format!("{API_PREFIX}/search/shard/{n}.json")
}

/// The summary of the article with search id `id`.
pub fn search_doc(id: u32) -> String {
    format!("{API_PREFIX}/search/doc/{id}.json")
}

pub fn contact() -> String {
    format!("{API_PREFIX}/contact")
}

/// A proof-of-work challenge for the contact form (`challenge`).
pub fn contact_challenge() -> String {
    format!("{API_PREFIX}/contact/challenge")
}

/// The operator's read access to the contact intake (the server's admin
/// endpoint), and everything under it.
pub fn admin() -> String {
    format!("{API_PREFIX}/admin")
}

/// The admin endpoint's list of submissions.
pub fn admin_submissions() -> String {
    format!("{API_PREFIX}/admin/submissions")
}

/// Which document a path names, as the functions above place them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// `crate::Site`.
    Site,
    /// `crate::Article`.
    Article,
    /// `crate::ArticlePage`: of the index, or of a tag.
    Page,
    /// `crate::search::SearchMeta`.
    SearchMeta,
    /// `crate::search::SearchShard`.
    SearchShard,
    /// `crate::ArticleSummary`, for a search result.
    SearchDoc,
    /// Anything else (`tags.json`, another API version, no API path).
    Other,
}

pub fn kind(path: &str) -> Kind {
    let Some(rest) = path.strip_prefix(API_PREFIX) else {
        return Kind::Other;
    };
    let numbered = |prefix: &str| {
        rest.strip_prefix(prefix)
            .and_then(|r| r.strip_suffix(".json"))
            .is_some_and(|n| n.parse::<u32>().is_ok())
    };
    if rest == "/site.json" {
        Kind::Site
    } else if article_slug(path).is_some() {
        Kind::Article
    } else if numbered("/articles/page/")
        || rest
            .strip_prefix("/tags/")
            .and_then(|r| r.split_once("/page/"))
            .is_some_and(|(tag, n)| {
                is_valid_slug(tag)
                    && n.strip_suffix(".json")
                        .is_some_and(|n| n.parse::<u32>().is_ok())
            })
    {
        Kind::Page
    } else if rest == "/search/meta.json" {
        Kind::SearchMeta
    } else if numbered("/search/shard/") {
        Kind::SearchShard
    } else if numbered("/search/doc/") {
        Kind::SearchDoc
    } else {
        Kind::Other
    }
}

/// The longest slug or tag, in bytes.
pub const SLUG_MAX_LEN: usize = 120;

/// `is_valid_slug` as a JavaScript regular expression, for the partner
/// loader (`embed/v1.js`, written in by the build). A test holds the two to
/// the same answers.
pub const SLUG_PATTERN: &str = "^(?=.{1,120}$)[a-z0-9]+(-[a-z0-9]+)*$";

/// True for a slug or tag that is safe as one path segment: lowercase ASCII
/// letters, digits and single inner hyphens. The compiler refuses anything else,
/// so the SPA can put a slug into a URL without escaping.
pub fn is_valid_slug(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= SLUG_MAX_LEN
        && !s.starts_with('-')
        && !s.ends_with('-')
        && !s.contains("--")
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_plain_files() {
        assert_eq!(site(), "/api/v1/site.json");
        assert_eq!(articles_page(2), "/api/v1/articles/page/2.json");
        assert_eq!(tag_page("rest", 1), "/api/v1/tags/rest/page/1.json");
        assert_eq!(article("a-b"), "/api/v1/articles/a-b.json");
        assert_eq!(search_shard(3), "/api/v1/search/shard/3.json");
    }

    #[test]
    fn an_article_path_gives_back_its_slug() {
        assert_eq!(article_slug(&article("a-b")), Some("a-b"));
        assert_eq!(tag_of_first_page(&tag_page("rest", 1)), Some("rest"));
        assert_eq!(tag_of_first_page(&tag_page("rest", 2)), None);
        assert_eq!(tag_of_first_page(&articles_page(1)), None);
        for other in [
            articles_page(1),
            tag_page("rest", 1),
            site(),
            search_doc(1),
            "/api/v2/articles/a.json".into(),
            "/api/v1/articles/A.json".into(),
        ] {
            assert_eq!(article_slug(&other), None, "{other}");
        }
    }

    #[test]
    fn every_path_names_its_kind() {
        for (path, k) in [
            (site(), Kind::Site),
            (article("a-b"), Kind::Article),
            (articles_page(3), Kind::Page),
            (tag_page("rest", 1), Kind::Page),
            (search_meta(), Kind::SearchMeta),
            (search_shard(0), Kind::SearchShard),
            (search_doc(7), Kind::SearchDoc),
            (tags(), Kind::Other),
            (contact(), Kind::Other),
            ("/api/v1/articles/page/x.json".into(), Kind::Other),
            ("/api/v1/tags/Rest/page/1.json".into(), Kind::Other),
            ("/api/v2/site.json".into(), Kind::Other),
        ] {
            assert_eq!(kind(&path), k, "{path}");
        }
    }

    #[test]
    fn slugs() {
        for ok in ["a", "rest", "why-code-quality-suffers", "oauth2"] {
            assert!(is_valid_slug(ok), "{ok}");
        }
        for bad in ["", "-a", "a-", "a--b", "A", "a b", "a/b", "..", "é"] {
            assert!(!is_valid_slug(bad), "{bad}");
        }
    }

    /// The loader's pattern says what `is_valid_slug` says, on the cases
    /// above, at the length limit, and on every short string of the
    /// characters that matter.
    #[test]
    fn the_slug_pattern_agrees_with_the_rule() {
        let pattern = fancy_regex::Regex::new(SLUG_PATTERN).unwrap();
        let mut cases: Vec<String> = [
            "", "-a", "a-", "a--b", "A", "a b", "a/b", "..", "é", "oauth2",
        ]
        .map(String::from)
        .to_vec();
        for n in [SLUG_MAX_LEN - 1, SLUG_MAX_LEN, SLUG_MAX_LEN + 1] {
            cases.push("a".repeat(n));
            cases.push(format!("{}-b", "a".repeat(n - 2)));
        }
        let alphabet = ['a', '0', '-', 'A', '_', '\n'];
        let mut short = vec![String::new()];
        for _ in 0..4 {
            short = short
                .iter()
                .flat_map(|s| alphabet.iter().map(move |c| format!("{s}{c}")))
                .collect();
            cases.extend(short.iter().cloned());
        }
        for case in &cases {
            assert_eq!(
                pattern.is_match(case).unwrap(),
                is_valid_slug(case),
                "SLUG_PATTERN and is_valid_slug disagree on {case:?}"
            );
        }
    }
}
