//! `cargo xtask bench-build --articles 5,200,1000`: how the build scales.
//!
//! For each size it generates a site into a scratch folder (never into
//! `content/`): the five real articles plus generated ones made of their
//! sections, new prose from their vocabulary, a made-up proper noun each (real
//! sites keep adding names), tags from a pool of thirty and dates a few days
//! apart. It then builds it three times and prints the phases of each:
//! from an empty cache (a full build), again with nothing changed, and after
//! one article's body changed. Trunk's output is shared with `cargo xtask
//! build`, so the SPA is compiled at most once. A benchmark: it prints figures
//! and asserts nothing about them.
//!
//! Each generated article shows one figure of its own, a 1600×900 PNG drawn
//! like a diagram (boxes, arrows, labels as bars, a shaded band), so the
//! full build encodes a thousand distinct images, and the later ones find
//! them in the cache.

use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::release::{self, Layout, Options};

const TAGS: [&str; 30] = [
    "rest",
    "http",
    "api",
    "backend",
    "oauth",
    "security",
    "caching",
    "databases",
    "postgres",
    "queues",
    "observability",
    "testing",
    "teams",
    "leadership",
    "code-review",
    "architecture",
    "performance",
    "reliability",
    "incidents",
    "deployment",
    "kubernetes",
    "migrations",
    "scaling",
    "rust",
    "go",
    "python",
    "career",
    "consulting",
    "data",
    "events",
];
const OPENERS: [&str; 8] = [
    "Notes on",
    "Lessons from",
    "A field guide to",
    "Getting right:",
    "Rethinking",
    "The cost of",
    "What we learned about",
    "Practical",
];
const TOPICS: [&str; 12] = [
    "API versioning",
    "idempotent writes",
    "connection pools",
    "on-call rotations",
    "schema migrations",
    "rate limiting",
    "token lifetimes",
    "cache invalidation",
    "background jobs",
    "code review",
    "incident reviews",
    "service boundaries",
];

/// SplitMix64: a deterministic sequence, so every run generates the same site.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Write `n` articles (at least the five real ones) and `site.toml` under `dir/content`.
pub fn generate(root: &Path, dir: &Path, n: usize) -> anyhow::Result<()> {
    let articles = dir.join("content/articles");
    let _ = std::fs::remove_dir_all(dir.join("content"));
    std::fs::create_dir_all(&articles)?;
    std::fs::copy(
        root.join("content/site.toml"),
        dir.join("content/site.toml"),
    )?;
    let mut real = Vec::new();
    let source = root.join("content/articles");
    for path in crate::fs::walk(&source)? {
        // The real articles and their images, where they were.
        let to = articles.join(path.strip_prefix(&source).expect("walk stays inside"));
        std::fs::create_dir_all(to.parent().expect("a folder"))?;
        std::fs::copy(&path, &to)?;
        if path.extension().is_some_and(|e| e == "md") {
            real.push(std::fs::read_to_string(&path)?);
        }
    }
    std::fs::create_dir_all(articles.join("images"))?;
    // The real bodies' sections (from one `## ` heading to the next) and words.
    let mut sections: Vec<String> = Vec::new();
    let mut words: Vec<String> = Vec::new();
    for text in &real {
        let body = text.splitn(3, "+++").nth(2).unwrap_or_default();
        for (i, part) in body.split("\n## ").enumerate() {
            if i > 0 {
                sections.push(format!("## {}", part.trim()));
            }
        }
        words.extend(
            body.split(|c: char| !c.is_alphabetic())
                .filter(|w| w.len() >= 3 && w.chars().all(|c| c.is_ascii_lowercase()))
                .map(str::to_string),
        );
    }
    let mut rng = Rng(0x6b65_656c);
    let prose = |rng: &mut Rng, count: usize| -> String {
        let mut out = String::new();
        for i in 0..count {
            let w = &words[rng.below(words.len())];
            if i % 14 == 0 {
                if i > 0 {
                    out.push_str(". ");
                }
                let mut c = w.chars();
                out.extend(c.next().map(|f| f.to_ascii_uppercase()));
                out.push_str(c.as_str());
            } else {
                out.push(' ');
                out.push_str(w);
            }
        }
        out.push('.');
        out
    };
    const SYLLABLES: [&str; 16] = [
        "ka", "lo", "mer", "vin", "tor", "sa", "quil", "bre", "dun", "ex", "po", "rath", "zen",
        "ul", "fy", "gar",
    ];
    for i in real.len()..n {
        let title = format!(
            "{} {} (no. {i})",
            OPENERS[rng.below(OPENERS.len())],
            TOPICS[rng.below(TOPICS.len())]
        );
        let day = i * 3;
        let date = format!(
            "{}-{:02}-{:02}",
            2010 + day / 336,
            1 + (day / 28) % 12,
            1 + day % 28
        );
        let mut tags: Vec<&str> = Vec::new();
        for _ in 0..2 + rng.below(3) {
            let t = TAGS[rng.below(TAGS.len())];
            if !tags.contains(&t) {
                tags.push(t);
            }
        }
        let name: String = (0..3)
            .map(|_| SYLLABLES[rng.below(SYLLABLES.len())])
            .collect();
        std::fs::write(
            articles.join(format!("images/generated-{i:05}.png")),
            diagram(&mut rng, 1600, 900)?,
        )?;
        let mut body = format!(
            "{} At {name}, this came up again.\n\n{}\n\n![How {name} routes a request through its services](images/generated-{i:05}.png \"The request's path at {name}\")\n\n",
            prose(&mut rng, 90),
            prose(&mut rng, 60)
        );
        for _ in 0..3 + rng.below(3) {
            body.push_str(&sections[rng.below(sections.len())]);
            body.push_str("\n\n");
            body.push_str(&prose(&mut rng, 50));
            body.push_str("\n\n");
        }
        let tag_list = tags
            .iter()
            .map(|t| format!("\"{t}\""))
            .collect::<Vec<_>>()
            .join(", ");
        let text = format!(
            "+++\ntitle = \"{title}\"\ndate = {date}\nsummary = \"{}\"\ntags = [{tag_list}]\n\n[author]\nname = \"Arif Ikhsanudin\"\nrole = \"Backend Developer\"\n+++\n\n{body}",
            prose(&mut rng, 24)
        );
        std::fs::write(articles.join(format!("generated-{i:05}.md")), text)?;
    }
    Ok(())
}

/// A PNG that looks like a diagram: a white ground, a shaded band, boxes
/// with borders and label bars in the site's colours, joined by lines.
fn diagram(rng: &mut Rng, width: u32, height: u32) -> anyhow::Result<Vec<u8>> {
    use image::{ImageEncoder, Rgb, RgbImage};
    const INK: Rgb<u8> = Rgb([20, 23, 28]);
    const FILLS: [Rgb<u8>; 4] = [
        Rgb([245, 246, 248]),
        Rgb([231, 240, 250]),
        Rgb([11, 87, 164]),
        Rgb([221, 225, 230]),
    ];
    let mut img = RgbImage::from_pixel(width, height, Rgb([255, 255, 255]));
    let band = rng.below(height as usize / 2) as u32;
    for y in band..band + height / 4 {
        for x in 0..width {
            let t = (x * 40 / width) as u8;
            img.put_pixel(x, y, Rgb([245 - t, 246 - t / 2, 248]));
        }
    }
    let rect = |img: &mut RgbImage, x0: u32, y0: u32, w: u32, h: u32, c: Rgb<u8>| {
        for y in y0..(y0 + h).min(height) {
            for x in x0..(x0 + w).min(width) {
                img.put_pixel(x, y, c);
            }
        }
    };
    let mut centres = Vec::new();
    for _ in 0..4 + rng.below(4) {
        let (w, h) = (220 + rng.below(160) as u32, 120 + rng.below(80) as u32);
        let (x, y) = (
            rng.below((width - w) as usize) as u32,
            rng.below((height - h) as usize) as u32,
        );
        rect(&mut img, x, y, w, h, INK);
        rect(
            &mut img,
            x + 3,
            y + 3,
            w - 6,
            h - 6,
            FILLS[rng.below(FILLS.len())],
        );
        for line in 0..3 {
            let bar = 60 + rng.below((w - 100) as usize) as u32;
            rect(&mut img, x + 20, y + 24 + line * 28, bar, 10, INK);
        }
        centres.push((x + w / 2, y + h / 2));
    }
    for pair in centres.windows(2) {
        let ((x0, y0), (x1, y1)) = (pair[0], pair[1]);
        rect(&mut img, x0.min(x1), y0, x0.abs_diff(x1).max(3), 3, INK);
        rect(&mut img, x1, y0.min(y1), 3, y0.abs_diff(y1).max(3), INK);
    }
    let mut png = Vec::new();
    image::codecs::png::PngEncoder::new(&mut png).write_image(
        img.as_raw(),
        width,
        height,
        image::ExtendedColorType::Rgb8,
    )?;
    Ok(png)
}

pub fn run(root: &Path, args: &[String]) -> anyhow::Result<()> {
    let sizes: Vec<usize> = match args
        .iter()
        .position(|a| a == "--articles")
        .and_then(|i| args.get(i + 1))
    {
        Some(list) => list
            .split(',')
            .map(|n| {
                n.trim()
                    .parse()
                    .context("--articles takes numbers, e.g. 5,200,1000")
            })
            .collect::<Result<_, _>>()?,
        None => vec![5, 200, 1000],
    };
    let mut rows = Vec::new();
    let mut searches = Vec::new();
    for n in sizes {
        let dir = std::env::temp_dir().join(format!("keel-bench-{n}"));
        let _ = std::fs::remove_dir_all(&dir);
        generate(root, &dir, n)?;
        let layout = Layout {
            root: root.to_path_buf(),
            content: dir.join("content"),
            dist: dir.join("dist"),
            work: dir.join("work"),
            spa: Layout::of(root).spa,
        };
        let mut run = |what: &str| -> anyhow::Result<()> {
            release::reset_peak_memory();
            eprintln!("\n== {n} articles, {what}");
            let report = release::build(&layout, &Options::default())?;
            eprintln!("{report}");
            rows.push((n, what.to_string(), report));
            Ok(())
        };
        run("full build (empty cache)")?;
        run("nothing changed")?;
        let changed = pick_article(&layout.content)?;
        let mut text = std::fs::read_to_string(&changed)?;
        text.push_str(
            "\n\nOne more paragraph, added by the benchmark to change this article's body.\n",
        );
        std::fs::write(&changed, text)?;
        run("one article changed")?;
        eprintln!(
            "(site in {}; dist/ is {} MB)",
            dir.display(),
            du(&layout.dist)? / 1_000_000
        );
        for (query, hits, bytes, files) in search_bytes(&layout.dist)? {
            searches.push(format!(
                "{n:>8}  {query:<22} {hits:>6} {files:>6} {bytes:>10}"
            ));
        }
    }
    println!(
        "\n{:>8}  {:<26} {:>8} {:>8} {:>8} {:>8} {:>12} {:>8} {:>9}",
        "articles", "build", "content", "spa", "images", "cards", "pages+files", "total", "peak MB"
    );
    for (n, what, r) in &rows {
        println!(
            "{n:>8}  {what:<26} {:>7.2}s {:>7.2}s {:>7.2}s {:>7.2}s {:>11.2}s {:>7.2}s {:>9}",
            r.seconds("content"),
            r.seconds("spa"),
            r.seconds("images"),
            r.seconds("cards"),
            r.seconds("pages+files"),
            r.total.as_secs_f64(),
            r.peak_memory_mb.map(|m| m.to_string()).unwrap_or_default()
        );
    }
    println!(
        "\nsearch: what a query downloads (brotli) with an empty browser cache: the meta document, the shards its words fall in, and the first {SHOWN} results' summaries"
    );
    println!(
        "{:>8}  {:<22} {:>6} {:>6} {:>10}",
        "articles", "query", "hits", "files", "bytes"
    );
    for line in searches {
        println!("{line}");
    }
    Ok(())
}

/// Results shown before "Show more" (as the SPA does).
const SHOWN: usize = 10;

/// For typical queries: (query, hits, brotli bytes fetched, files fetched),
/// planned and ranked by the same functions the SPA runs.
pub fn search_bytes(dist: &Path) -> anyhow::Result<Vec<(String, usize, u64, usize)>> {
    use keel_model::paths;
    use keel_model::search::{self, SearchMeta, SearchShard};
    let file = |api: &str| dist.join(api.trim_start_matches('/'));
    // The brotli form, or the file itself when it is too small to have one.
    let br = |api: &str| {
        std::fs::metadata(file(api).with_extension("json.br"))
            .or_else(|_| std::fs::metadata(file(api)))
            .map(|m| m.len())
            .with_context(|| format!("reading {api}"))
    };
    let meta: SearchMeta = serde_json::from_slice(&std::fs::read(file(&paths::search_meta()))?)?;
    let mut out = Vec::new();
    for query in [
        "caching",
        "oauth token",
        "rest api design",
        "idempotent",
        "tech lead",
        "database migrations",
        "kub",
    ] {
        let needed = meta.shards_for_query(query);
        let mut bytes = br(&paths::search_meta())?;
        let mut shards = Vec::new();
        for n in &needed {
            bytes += br(&paths::search_shard(*n))?;
            shards.push(serde_json::from_slice::<SearchShard>(&std::fs::read(
                file(&paths::search_shard(*n)),
            )?)?);
        }
        let by_n = needed.iter().copied().zip(shards.iter()).collect();
        let hits = search::rank(&meta, &by_n, query, None);
        for id in hits.iter().take(SHOWN) {
            bytes += br(&paths::search_doc(*id))?;
        }
        out.push((
            query.to_string(),
            hits.len(),
            bytes,
            1 + needed.len() + hits.len().min(SHOWN),
        ));
    }
    Ok(out)
}

/// The article the benchmark edits: one in the middle of the list.
fn pick_article(content: &Path) -> anyhow::Result<PathBuf> {
    let mut all = crate::fs::walk(&content.join("articles"))?;
    all.retain(|p| p.extension().is_some_and(|e| e == "md"));
    Ok(all[all.len() / 2].clone())
}

fn du(dir: &Path) -> anyhow::Result<u64> {
    Ok(crate::fs::walk(dir)?
        .iter()
        .filter_map(|p| std::fs::metadata(p).ok())
        .map(|m| m.len())
        .sum())
}
