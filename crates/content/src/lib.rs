//! The content compiler: `content/` (site.toml and Markdown articles with TOML
//! front matter) in, the JSON API out.
//!
//! Architecture invariant: no IO here. The caller (xtask) reads the files and
//! writes the output; this crate is a pure function from sources to either the
//! complete set of API documents or the list of authoring errors. There is no
//! partial output, so a broken file can never half-build the site.

mod error;
mod feeds;
mod front;
#[cfg(feature = "fs")]
pub mod fs;
mod highlight;
mod html;
pub mod images;
mod markdown;
mod search;
mod site;

use std::collections::{BTreeMap, HashMap};

use keel_model::doc::{Block, Image};
use keel_model::{Article, ArticlePage, ArticleSummary, Author, TagCount, paths};
use rayon::prelude::*;

pub use error::Diagnostic;
pub use front::slugify;
pub use highlight::highlight;
pub use html::esc as escape_xml;
pub use images::{ImageError, ImageReader, NoImages};

/// One input file: its path as the writer knows it, and its text.
pub struct Source {
    pub path: String,
    pub text: String,
}

#[derive(Clone, Debug)]
pub struct Options {
    /// What a writer's build includes beyond what is published.
    pub unpublished: Unpublished,
    pub per_page: u32,
    /// The day the build publishes for (`YYYY-MM-DD`, UTC): an article dated
    /// later is scheduled, and left out of every output (pages, API, search,
    /// feed, sitemap) unless `unpublished.future`. Today, by default: the
    /// clock is read once, here.
    pub today: String,
}

/// What a build includes beyond what is published (`cargo xtask dev
/// --drafts --future`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Unpublished {
    /// Articles marked `draft = true`.
    pub drafts: bool,
    /// Articles dated after `Options::today`.
    pub future: bool,
}

/// Today's date in UTC, `YYYY-MM-DD`.
pub fn today_utc() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    civil_date(secs / 86_400)
}

/// The date `days` after 1970-01-01 (Howard Hinnant's `civil_from_days`).
fn civil_date(days: u64) -> String {
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

impl Default for Options {
    fn default() -> Self {
        // 6 cards: two rows of three on a desktop, one screen of cards on a phone.
        Options {
            unpublished: Unpublished::default(),
            per_page: 6,
            today: today_utc(),
        }
    }
}

/// The compiled output: URL path (e.g. `/api/v1/site.json`, `/feed.xml`) to bytes.
pub struct Output {
    pub files: BTreeMap<String, Vec<u8>>,
    pub site: keel_model::Site,
    pub articles: Vec<Article>,
    /// What the build writes of each image file the output uses (by its
    /// path, like a `Source`'s): `images::plan` (`alt` is each use's own).
    pub images: BTreeMap<String, Image>,
}

/// Words per minute for reading time: a common figure for technical prose.
const WORDS_PER_MINUTE: u32 = 230;
/// How many related articles each article lists.
const MORE_COUNT: usize = 3;
/// Length of an article's excerpt: about two lines of a card or a link preview.
const EXCERPT_CHARS: usize = 200;
/// How many of the newest articles `site.json` carries.
const LATEST_COUNT: usize = 3;

/// Sources in, the whole API out, or every authoring error. The steps, in order:
/// parse each article (in parallel: they are independent), check what spans
/// articles (unique slugs, internal links), read the images they show, order
/// them, derive (tags, related reading), then write the documents. This one
/// reads no image files: an article that shows an image needs
/// `compile_with` and a reader (`fs::Images`).
pub fn compile(
    site: &Source,
    articles: &[Source],
    opts: &Options,
) -> Result<Output, Vec<Diagnostic>> {
    compile_with(site, articles, opts, &NoCache, &NoImages)
}

/// Where compiled articles can be kept between builds (the caller does the
/// IO). An article's compiled form depends only on its path and text, and on
/// this compiler: `get` and `put` are given a key made of the first two, and
/// the caller must make its store specific to the compiler's build.
pub trait ArticleCache: Sync {
    fn get(&self, key: &str) -> Option<Vec<u8>>;
    fn put(&self, key: &str, bytes: &[u8]);
}

/// No cache: every article is compiled.
pub struct NoCache;

impl ArticleCache for NoCache {
    fn get(&self, _: &str) -> Option<Vec<u8>> {
        None
    }
    fn put(&self, _: &str, _: &[u8]) {}
}

/// `compile`, reusing articles compiled before (a Markdown parse and code
/// highlighting per article are most of the compiler's time), and reading
/// the images articles show through `images`.
pub fn compile_with(
    site: &Source,
    articles: &[Source],
    opts: &Options,
    cache: &dyn ArticleCache,
    images: &dyn ImageReader,
) -> Result<Output, Vec<Diagnostic>> {
    let (site_file, mut parsed, images) = parse_all(site, articles, opts, cache, images)?;
    // Newest first; the slug breaks ties so the output is deterministic.
    parsed.sort_by(|a, b| {
        (&b.article.meta.date, &a.article.meta.slug)
            .cmp(&(&a.article.meta.date, &b.article.meta.slug))
    });
    let summaries: Vec<ArticleSummary> = parsed.iter().map(|c| c.article.meta.clone()).collect();
    let tags = count_tags(&summaries);
    let site = site_file.into_site(
        summaries.iter().take(LATEST_COUNT).cloned().collect(),
        tags.clone(),
    );

    let mut files = BTreeMap::new();
    put(&mut files, paths::site(), &site);
    put(&mut files, paths::tags(), &tags);
    write_listings(&mut files, &summaries, &tags, opts.per_page);
    write_search(&mut files, &parsed);
    let articles: Vec<Article> = parsed
        .into_par_iter()
        .map(|c| Article {
            more: more_articles(&c.article.meta, &summaries),
            ..c.article
        })
        .collect();
    files.par_extend(articles.par_iter().map(|a| {
        (
            paths::article(&a.meta.slug),
            serde_json::to_vec(a).expect("model types serialize"),
        )
    }));
    files.insert(
        "/feed.xml".into(),
        feeds::atom(&site, &articles).into_bytes(),
    );
    // At the root, where crawlers look; the Sitemap line must be an absolute URL.
    files.insert(
        "/robots.txt".into(),
        format!(
            "User-agent: *\nAllow: /\nSitemap: {}/sitemap.xml\n",
            site.url
        )
        .into_bytes(),
    );

    Ok(Output {
        files,
        site,
        articles,
        images,
    })
}

/// Parse the site and every article, then check what spans articles. Any
/// error anywhere means no output: all of them come back, sorted by file and line.
fn parse_all(
    site: &Source,
    articles: &[Source],
    opts: &Options,
    cache: &dyn ArticleCache,
    reader: &dyn ImageReader,
) -> Result<(site::SiteFile, Vec<Compiled>, BTreeMap<String, Image>), Vec<Diagnostic>> {
    let mut errors = Vec::new();
    let site_file = site::parse(&site.path, &site.text)
        .map_err(|e| errors.push(e))
        .ok();
    // Drafts and scheduled articles are compiled too, so their mistakes are
    // reported, then left out.
    let compiled: Vec<Result<Compiled, Diagnostic>> = articles
        .par_iter()
        .map(|src| compile_cached(src, cache))
        .collect();
    let mut parsed = Vec::new();
    for c in compiled {
        match c {
            Ok(c) if c.draft && !opts.unpublished.drafts => {}
            Ok(c) if c.article.meta.date > opts.today && !opts.unpublished.future => {}
            Ok(c) => parsed.push(c),
            Err(e) => errors.push(e),
        }
    }
    errors.extend(cross_article_errors(&parsed));
    let images = read_images(&mut parsed, reader).unwrap_or_else(|e| {
        errors.extend(e);
        BTreeMap::new()
    });
    match site_file {
        Some(site_file) if errors.is_empty() => Ok((site_file, parsed, images)),
        _ => {
            errors.sort_by(|a, b| (&a.file, a.line).cmp(&(&b.file, b.line)));
            Err(errors)
        }
    }
}

/// Slugs are unique, and internal links point at articles that exist.
fn cross_article_errors(parsed: &[Compiled]) -> Vec<Diagnostic> {
    let mut errors = Vec::new();
    let mut seen: HashMap<&str, &str> = HashMap::new();
    for Compiled {
        article: a, path, ..
    } in parsed
    {
        if let Some(first) = seen.insert(&a.meta.slug, path) {
            errors.push(Diagnostic::new(
                path,
                0,
                format!("the slug `{}` is already used by {first}; give one of them a different title or a `slug` field", a.meta.slug),
            ));
        }
    }
    for Compiled { links, path, .. } in parsed {
        for (slug, line) in links {
            if !seen.contains_key(slug.as_str()) {
                errors.push(Diagnostic::new(
                    path,
                    *line,
                    format!("the link to /articles/{slug} points at no article"),
                ));
            }
        }
    }
    errors
}

/// Reads each image the articles show (each file once, in parallel), and
/// gives every figure and cover its files.
fn read_images(
    parsed: &mut [Compiled],
    reader: &dyn ImageReader,
) -> Result<BTreeMap<String, Image>, Vec<Diagnostic>> {
    let mut uses: BTreeMap<&str, (&str, usize)> = BTreeMap::new();
    for c in parsed.iter() {
        for (path, line) in &c.images {
            uses.entry(path).or_insert((&c.path, *line));
        }
    }
    let read: Vec<(String, Result<Image, Diagnostic>)> = uses
        .into_par_iter()
        .map(|(path, (article, line))| {
            let files = reader
                .read(path)
                .map(|img| images::plan(&img, String::new()))
                .map_err(|e| {
                    let here = format!("{article}:{line}");
                    match e {
                        ImageError::Missing => Diagnostic::new(
                            article,
                            line,
                            format!("the image file {path} does not exist"),
                        ),
                        ImageError::Unreadable(why) => Diagnostic::new(
                            article,
                            line,
                            format!("the image file {path} cannot be read: {why}"),
                        ),
                        ImageError::Invalid(d) => Diagnostic {
                            message: format!("{} (shown by {here})", d.message),
                            ..d
                        },
                    }
                });
            (path.to_string(), files)
        })
        .collect();
    let mut errors = Vec::new();
    let mut found = BTreeMap::new();
    for (path, files) in read {
        match files {
            Ok(f) => {
                found.insert(path, f);
            }
            Err(d) => errors.push(d),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    // Each use keeps its own alt text.
    let fill = |image: &mut Image| {
        if let Some(files) = found.get(&image.src) {
            let alt = std::mem::take(&mut image.alt);
            *image = Image {
                alt,
                ..files.clone()
            };
        }
    };
    for c in parsed.iter_mut() {
        if let Some(cover) = &mut c.article.meta.cover {
            fill(cover);
        }
        each_figure(&mut c.article.body, &mut |image| fill(image));
    }
    Ok(found)
}

/// `f` on each figure's image in `blocks`, nested ones included.
fn each_figure(blocks: &mut [Block], f: &mut dyn FnMut(&mut Image)) {
    for b in blocks {
        match b {
            Block::Figure { image, .. } => f(image),
            Block::Quote { content } => each_figure(content, f),
            Block::List { items, .. } => {
                for item in items {
                    each_figure(item, f);
                }
            }
            _ => {}
        }
    }
}

fn count_tags(summaries: &[ArticleSummary]) -> Vec<TagCount> {
    let mut counts: BTreeMap<&str, u32> = BTreeMap::new();
    for t in summaries.iter().flat_map(|s| &s.tags) {
        *counts.entry(t).or_default() += 1;
    }
    counts
        .into_iter()
        .map(|(tag, count)| TagCount {
            tag: tag.to_string(),
            count,
        })
        .collect()
}

/// The paged index, and the paged list of each tag.
fn write_listings(
    files: &mut BTreeMap<String, Vec<u8>>,
    summaries: &[ArticleSummary],
    tags: &[TagCount],
    per_page: u32,
) {
    for page in paginate(None, summaries, per_page) {
        put(files, paths::articles_page(page.page), &page);
    }
    for TagCount { tag, .. } in tags {
        let tagged: Vec<ArticleSummary> = summaries
            .iter()
            .filter(|s| s.tags.contains(tag))
            .cloned()
            .collect();
        for page in paginate(Some(tag), &tagged, per_page) {
            put(files, paths::tag_page(tag, page.page), &page);
        }
    }
}

fn write_search(files: &mut BTreeMap<String, Vec<u8>>, parsed: &[Compiled]) {
    let docs: Vec<search::Doc> = parsed
        .iter()
        .map(|c| search::Doc {
            summary: &c.article.meta,
            body: &c.text,
        })
        .collect();
    files.extend(search::files(&docs));
}

fn put<T: serde::Serialize>(files: &mut BTreeMap<String, Vec<u8>>, path: String, value: &T) {
    files.insert(
        path,
        serde_json::to_vec(value).expect("model types serialize"),
    );
}

/// An article from the cache, or compiled and stored there. Only successes
/// are stored: a broken article is compiled again and reports its error.
fn compile_cached(src: &Source, cache: &dyn ArticleCache) -> Result<Compiled, Diagnostic> {
    let key = format!("{}\u{0}{}", src.path, src.text);
    if let Some(c) = cache
        .get(&key)
        .and_then(|bytes| serde_json::from_slice::<Compiled>(&bytes).ok())
    {
        return Ok(c);
    }
    let c = compile_article(src)?;
    cache.put(
        &key,
        &serde_json::to_vec(&c).expect("model types serialize"),
    );
    Ok(c)
}

/// One article as compiled, with what the cross-article checks need.
#[derive(serde::Serialize, serde::Deserialize)]
struct Compiled {
    article: Article,
    draft: bool,
    /// Internal `/articles/{slug}` links, with their lines.
    links: Vec<(String, usize)>,
    /// The image files it shows (its figures and cover), with their lines:
    /// read after the cache, so a changed image is read again.
    images: Vec<(String, usize)>,
    /// The body as plain text, for the search index.
    text: String,
    /// The file, for messages.
    path: String,
}

fn compile_article(src: &Source) -> Result<Compiled, Diagnostic> {
    let file = src.path.as_str();
    let split = front::split(file, &src.text)?;
    let fm = &split.front;
    let at = |line: usize, message: String| Diagnostic::new(file, line, message);
    for (value, key) in [
        (&fm.title, "title"),
        (&fm.summary, "summary"),
        (&fm.author.name, "name"),
        (&fm.author.role, "role"),
    ] {
        if value.get_ref().trim().is_empty() {
            return Err(at(split.line(value), format!("`{key}` must not be empty")));
        }
    }
    let (slug, slug_line) = match &fm.slug {
        Some(s) => (s.get_ref().clone(), split.line(s)),
        None => (slugify(fm.title.get_ref()), split.line(&fm.title)),
    };
    if !paths::is_valid_slug(&slug) {
        return Err(at(
            slug_line,
            format!("`{slug}` cannot be a slug: use lowercase letters, digits and single hyphens"),
        ));
    }
    let date = front::date_only(fm.date.get_ref())
        .map_err(|m| at(split.line(&fm.date), format!("date: {m}")))?;
    let updated = match &fm.updated {
        Some(u) => Some(
            front::date_only(u.get_ref())
                .map_err(|m| at(split.line(u), format!("updated: {m}")))?,
        ),
        None => None,
    };
    if let (Some(u), Some(spanned)) = (&updated, &fm.updated)
        && u < &date
    {
        return Err(at(
            split.line(spanned),
            format!("updated ({u}) is before date ({date})"),
        ));
    }
    for tag in &fm.tags {
        if !paths::is_valid_slug(tag.get_ref()) {
            return Err(at(
                split.line(tag),
                format!(
                    "the tag `{}` is not allowed: use lowercase letters, digits and single hyphens",
                    tag.get_ref()
                ),
            ));
        }
    }
    let mut body = markdown::parse(file, split.body, split.body_line_offset)?;
    let cover = match &fm.cover {
        None => None,
        Some(c) => {
            let path = markdown::image_path(file, c.src.get_ref())
                .map_err(|m| at(split.line(&c.src), format!("cover: {m}")))?;
            let Some(alt) = markdown::alt_text(c.alt.get_ref()) else {
                return Err(at(
                    split.line(&c.alt),
                    "cover: `alt` must say what the cover shows (or be `'\"\"'` for a decorative one)".into(),
                ));
            };
            body.images.insert(0, (path.clone(), split.line(&c.src)));
            Some(Image {
                src: path,
                width: 0,
                height: 0,
                alt,
            })
        }
    };
    let word_count = body.text.split_whitespace().count() as u32;
    let fm = split.front;
    let meta = ArticleSummary {
        slug,
        title: fm.title.into_inner().trim().to_string(),
        summary: fm.summary.into_inner().trim().to_string(),
        date,
        updated,
        tags: fm.tags.into_iter().map(toml::Spanned::into_inner).collect(),
        author: Author {
            name: fm.author.name.into_inner(),
            role: fm.author.role.into_inner(),
        },
        reading_minutes: word_count.div_ceil(WORDS_PER_MINUTE).max(1),
        cover,
    };
    let excerpt = excerpt(&body.blocks, EXCERPT_CHARS);
    let article = Article {
        meta,
        word_count,
        excerpt,
        toc: body.toc,
        body: body.blocks,
        more: Vec::new(),
    };
    Ok(Compiled {
        article,
        draft: fm.draft,
        links: body.internal_links,
        images: body.images,
        text: body.text,
        path: src.path.clone(),
    })
}

/// The first paragraphs' text, cut at a word boundary near `max` characters.
fn excerpt(blocks: &[keel_model::doc::Block], max: usize) -> String {
    let mut text = String::new();
    for b in blocks {
        if let keel_model::doc::Block::Paragraph { content } = b {
            if !text.is_empty() {
                text.push(' ');
            }
            text.push_str(markdown::plain_text(content).trim());
            if text.chars().count() >= max {
                break;
            }
        }
    }
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if text.chars().count() <= max {
        return text;
    }
    let cut: String = text.chars().take(max).collect();
    let cut = match cut.rfind(' ') {
        Some(i) => &cut[..i],
        None => &cut,
    };
    format!(
        "{}…",
        cut.trim_end_matches(|c: char| c.is_ascii_punctuation())
    )
}

/// Related reading: most shared tags first, then the newest. Linear in the
/// number of articles (only the chosen few are cloned), so the whole site is
/// quadratic in counting only.
fn more_articles(this: &ArticleSummary, all: &[ArticleSummary]) -> Vec<ArticleSummary> {
    let mut others: Vec<(usize, usize)> = all
        .iter()
        .enumerate()
        .filter(|(_, o)| o.slug != this.slug)
        .map(|(i, o)| (o.tags.iter().filter(|t| this.tags.contains(t)).count(), i))
        .collect();
    // `all` is newest first, so the index breaks ties by recency.
    others.sort_by_key(|&(shared, i)| (std::cmp::Reverse(shared), i));
    others
        .into_iter()
        .take(MORE_COUNT)
        .map(|(_, i)| all[i].clone())
        .collect()
}

fn paginate(tag: Option<&str>, items: &[ArticleSummary], per_page: u32) -> Vec<ArticlePage> {
    let per_page = per_page.max(1);
    let total = items.len() as u32;
    // An empty index still has page 1, so the first page never 404s.
    let pages = total.div_ceil(per_page).max(1);
    let path = |n: u32| match tag {
        Some(t) => paths::tag_page(t, n),
        None => paths::articles_page(n),
    };
    (1..=pages)
        .map(|page| ArticlePage {
            tag: tag.map(str::to_string),
            page,
            per_page,
            pages,
            total,
            next: (page < pages).then(|| path(page + 1)),
            prev: (page > 1).then(|| path(page - 1)),
            items: items
                .iter()
                .skip(((page - 1) * per_page) as usize)
                .take(per_page as usize)
                .cloned()
                .collect(),
        })
        .collect()
}

#[cfg(test)]
mod tests;
