//! Snapshot tests: one line per case. Run with `UPDATE_EXPECT=1` to rewrite a
//! snapshot after a deliberate change, then read the diff.

use expect_test::{Expect, expect};

use super::*;

const FRONT: &str = "+++\ntitle = \"T\"\ndate = 2025-01-02\nsummary = \"S\"\n[author]\nname = \"A\"\nrole = \"R\"\n+++\n";

/// The body tree of `md` as one line of JSON.
fn check(md: &str, expected: Expect) {
    let body = markdown::parse("t.md", md, 0).map(|b| serde_json::to_string(&b.blocks).unwrap());
    let got = match body {
        Ok(json) => json,
        Err(e) => format!("error: {e}"),
    };
    expected.assert_eq(&got);
}

/// The diagnostics of compiling one article file.
fn check_err(article: &str, expected: Expect) {
    let got = match compile(
        &site(),
        &[Source {
            path: "a.md".into(),
            text: article.into(),
        }],
        &Options::default(),
    ) {
        Ok(_) => "ok".to_string(),
        Err(errors) => errors
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(" | "),
    };
    expected.assert_eq(&got);
}

fn site() -> Source {
    Source {
        path: "site.toml".into(),
        text: include_str!("../../../content/site.toml").into(),
    }
}

#[test]
fn blocks() {
    check(
        "# Hi *there*",
        expect![[
            r#"[{"t":"heading","level":1,"id":"hi-there","content":[{"t":"text","text":"Hi "},{"t":"emphasis","content":[{"t":"text","text":"there"}]}]}]"#
        ]],
    );
    check(
        "## A\n## A",
        expect![[
            r#"[{"t":"heading","level":2,"id":"a","content":[{"t":"text","text":"A"}]},{"t":"heading","level":2,"id":"a-2","content":[{"t":"text","text":"A"}]}]"#
        ]],
    );
    check(
        "a **b** `c`\nd",
        expect![[
            r#"[{"t":"paragraph","content":[{"t":"text","text":"a "},{"t":"strong","content":[{"t":"text","text":"b"}]},{"t":"text","text":" "},{"t":"code","text":"c"},{"t":"text","text":" d"}]}]"#
        ]],
    );
    check(
        "- a\n- b",
        expect![[
            r#"[{"t":"list","ordered":false,"start":null,"items":[[{"t":"paragraph","content":[{"t":"text","text":"a"}]}],[{"t":"paragraph","content":[{"t":"text","text":"b"}]}]]}]"#
        ]],
    );
    check(
        "3. a",
        expect![[
            r#"[{"t":"list","ordered":true,"start":3,"items":[[{"t":"paragraph","content":[{"t":"text","text":"a"}]}]]}]"#
        ]],
    );
    check(
        "> q",
        expect![[
            r#"[{"t":"quote","content":[{"t":"paragraph","content":[{"t":"text","text":"q"}]}]}]"#
        ]],
    );
    check("---", expect![[r#"[{"t":"rule"}]"#]]);
    check(
        "|a|b|\n|:-|-:|\n|1|2|",
        expect![[
            r#"[{"t":"table","align":["left","right"],"head":[[{"t":"text","text":"a"}],[{"t":"text","text":"b"}]],"rows":[[[{"t":"text","text":"1"}],[{"t":"text","text":"2"}]]]}]"#
        ]],
    );
    check(
        "```\nx < y\n```",
        expect![[r#"[{"t":"code","lang":null,"lines":[[{"text":"x < y"}]]}]"#]],
    );
    check(
        "![alt *text*](./img/../img/a.png \"T\")",
        expect![[
            r#"[{"t":"figure","image":{"src":"img/a.png","width":0,"height":0,"alt":"alt text"},"caption":"T"}]"#
        ]],
    );
    check(
        "[x](https://e.com \"t\")",
        expect![[
            r#"[{"t":"paragraph","content":[{"t":"link","href":"https://e.com","title":"t","content":[{"t":"text","text":"x"}]}]}]"#
        ]],
    );
    check(
        "[x][r]\n\n[r]: /articles/y",
        expect![[
            r#"[{"t":"paragraph","content":[{"t":"link","href":"/articles/y","title":null,"content":[{"t":"text","text":"x"}]}]}]"#
        ]],
    );
}

#[test]
fn hostile_markdown_never_becomes_markup() {
    check(
        "<script>alert(1)</script>",
        expect![[
            r#"[{"t":"paragraph","content":[{"t":"text","text":"<script>alert(1)</script>"}]}]"#
        ]],
    );
    check(
        "a <img src=x onerror=alert(1)> b",
        expect![[
            r#"[{"t":"paragraph","content":[{"t":"text","text":"a <img src=x onerror=alert(1)> b"}]}]"#
        ]],
    );
    check(
        "&lt;b&gt; &#106;",
        expect![[r#"[{"t":"paragraph","content":[{"t":"text","text":"<b> j"}]}]"#]],
    );
    check(
        "[x](javascript:alert(1))",
        expect![
            "error: t.md:1: the link `javascript:alert(1)` is refused: only http, https and mailto links, and links within the site, are allowed"
        ],
    );
    check(
        "[x](&#106;avascript:alert(1))",
        expect![
            "error: t.md:1: the link `javascript:alert(1)` is refused: only http, https and mailto links, and links within the site, are allowed"
        ],
    );
    check(
        "\n\n![x](data:image/svg+xml,<svg>)",
        expect![
            "error: t.md:3: the image `data:image/svg+xml,<svg>` must be a file beside the article, by a relative path such as `images/diagram.png` (remote and absolute URLs are refused: images are served from our own site)"
        ],
    );
    check(
        "[x](VBScript:x)",
        expect![
            "error: t.md:1: the link `VBScript:x` is refused: only http, https and mailto links, and links within the site, are allowed"
        ],
    );
}

#[test]
fn nesting_too_deep_is_refused_where_it_starts() {
    let quotes = |n: usize| format!("para\n\n{} deep", ">".repeat(n));
    assert!(markdown::parse("t.md", &quotes(markdown::MAX_NESTING - 1), 0).is_ok());
    for md in [
        quotes(markdown::MAX_NESTING + 1),
        quotes(100_000),
        "*".repeat(50_000) + "x" + &"*".repeat(50_000),
    ] {
        let e = markdown::parse("t.md", &md, 0)
            .map(|_| ())
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("t.md:") && e.contains("nested more than 32 levels deep"),
            "{e}"
        );
    }
    let e = markdown::parse("t.md", &quotes(40), 0)
        .map(|_| ())
        .unwrap_err()
        .to_string();
    assert!(e.starts_with("t.md:3:"), "{e}");
}

#[test]
fn authoring_errors_name_file_and_line() {
    check_err(
        "title = \"x\"",
        expect![
            "a.md:1: an article must start with front matter: a line `+++`, TOML fields (title, date, summary, author…), then another `+++`"
        ],
    );
    check_err(
        "+++\ntitle = \"x\"\n",
        expect!["a.md:1: the front matter is never closed: add a line `+++` after its last field"],
    );
    check_err(
        &FRONT.replace("summary = \"S\"\n", "summary = \"S\"\nautor = \"x\"\n"),
        expect![
            "a.md:5: front matter: unknown field `autor`, expected one of `title`, `slug`, `date`, `updated`, `summary`, `tags`, `author`, `draft`, `cover`"
        ],
    );
    check_err(
        &FRONT.replace("summary = \"S\"\n", ""),
        expect!["a.md:2: front matter: missing field `summary`"],
    );
    check_err(
        &FRONT.replace("2025-01-02", "2025-13-02"),
        expect!["a.md:3: front matter: invalid date, expected month between 01 and 12"],
    );
    check_err(
        &FRONT.replace("2025-01-02", "\"yesterday\""),
        expect![[
            r#"a.md:3: front matter: invalid type: string "yesterday", expected a TOML datetime"#
        ]],
    );
    check_err(
        &FRONT.replace("title = \"T\"", "title = \"\""),
        expect!["a.md:2: `title` must not be empty"],
    );
    check_err(
        &format!("{FRONT}\nSee [x](/articles/nope)."),
        expect!["a.md:10: the link to /articles/nope points at no article"],
    );
    check_err(
        &FRONT.replace(
            "summary = \"S\"\n",
            "summary = \"S\"\ntags = [\"Bad Tag\"]\n",
        ),
        expect![
            "a.md:5: the tag `Bad Tag` is not allowed: use lowercase letters, digits and single hyphens"
        ],
    );
    // Lines come from the TOML parser's spans: the bad tag's own line in a
    // multi-line array, and the author's `name`, not an earlier `name =` line.
    check_err(
        &FRONT.replace(
            "summary = \"S\"\n",
            "summary = \"S\"\ntags = [\n  \"ok\",\n  \"Bad Tag\",\n]\n",
        ),
        expect![
            "a.md:7: the tag `Bad Tag` is not allowed: use lowercase letters, digits and single hyphens"
        ],
    );
    check_err(
        &FRONT
            .replace(
                "summary = \"S\"",
                "summary = \"\"\"S\nname = in the summary\n\"\"\"",
            )
            .replace("name = \"A\"", "name = \" \""),
        expect!["a.md:8: `name` must not be empty"],
    );
    check_err(
        &format!("{FRONT}\n\n[x](javascript:void)"),
        expect![
            "a.md:11: the link `javascript:void` is refused: only http, https and mailto links, and links within the site, are allowed"
        ],
    );
}

#[test]
fn duplicate_slugs_are_refused() {
    let a = Source {
        path: "a.md".into(),
        text: FRONT.into(),
    };
    let b = Source {
        path: "b.md".into(),
        text: FRONT.into(),
    };
    let errors = compile(&site(), &[a, b], &Options::default())
        .err()
        .unwrap();
    assert_eq!(
        errors[0].to_string(),
        "b.md: the slug `t` is already used by a.md; give one of them a different title or a `slug` field"
    );
}

#[test]
fn drafts_only_in_development() {
    let text = FRONT.replace("summary = \"S\"\n", "summary = \"S\"\ndraft = true\n");
    assert!(text.contains("draft = true"));
    let draft = Source {
        path: "a.md".into(),
        text,
    };
    let rel = compile(&site(), std::slice::from_ref(&draft), &Options::default()).unwrap();
    assert!(rel.articles.is_empty());
    let dev = compile(
        &site(),
        &[draft],
        &Options {
            unpublished: Unpublished {
                drafts: true,
                future: false,
            },
            ..Options::default()
        },
    )
    .unwrap();
    assert_eq!(dev.articles.len(), 1);
}

#[test]
fn a_scheduled_article_waits_for_its_day_in_every_output() {
    let dated = |slug: &str, date: &str| Source {
        path: format!("{slug}.md"),
        text: FRONT
            .replace("title = \"T\"", &format!("title = \"{slug}\""))
            .replace("2025-01-02", date),
    };
    let sources = [
        dated("published-today", "2026-06-01"),
        dated("scheduled-tomorrow", "2026-06-02"),
    ];
    let on = |today: &str, future: bool| {
        compile(
            &site(),
            &sources,
            &Options {
                today: today.into(),
                unpublished: Unpublished {
                    drafts: false,
                    future,
                },
                ..Options::default()
            },
        )
        .unwrap()
    };
    // Anywhere in the output: a file's path or its bytes (pages of the API,
    // the search index, the feed; the sitemap is made from these).
    let mentions = |out: &Output, needle: &str| {
        out.files.iter().any(|(path, bytes)| {
            path.contains(needle) || bytes.windows(needle.len()).any(|w| w == needle.as_bytes())
        })
    };
    let before = on("2026-06-01", false);
    assert!(mentions(&before, "published-today"), "the search works");
    assert!(!mentions(&before, "scheduled-tomorrow"));
    assert_eq!(before.articles.len(), 1);
    assert!(
        mentions(&on("2026-06-02", false), "scheduled-tomorrow"),
        "published on its day"
    );
    assert!(
        mentions(&on("2026-06-01", true), "scheduled-tomorrow"),
        "shown to writers with --future"
    );
}

#[test]
fn today_is_a_calendar_date() {
    assert_eq!(civil_date(0), "1970-01-01");
    assert_eq!(civil_date(11_016), "2000-02-29");
    assert_eq!(civil_date(20_454), "2026-01-01");
    assert_eq!(civil_date(20_454 + 364), "2026-12-31");
    assert_eq!(today_utc().len(), 10);
}

#[test]
fn pagination_edges() {
    let n = 13;
    let sources: Vec<Source> = (1..=n)
        .map(|i| Source {
            path: format!("{i}.md"),
            text: FRONT
                .replace("title = \"T\"", &format!("title = \"T{i}\""))
                .replace("2025-01-02", &format!("2025-01-{i:02}")),
        })
        .collect();
    let out = compile(
        &site(),
        &sources,
        &Options {
            per_page: 6,
            ..Options::default()
        },
    )
    .unwrap();
    let page = |n: u32| -> ArticlePage {
        serde_json::from_slice(&out.files[&paths::articles_page(n)]).unwrap()
    };
    let (p1, p3) = (page(1), page(3));
    assert_eq!(
        (p1.pages, p1.total, p1.items.len(), p3.items.len()),
        (3, 13, 6, 1)
    );
    assert_eq!(
        (p1.prev, p1.next.as_deref()),
        (None, Some("/api/v1/articles/page/2.json"))
    );
    assert_eq!(
        (p3.prev.as_deref(), p3.next),
        (Some("/api/v1/articles/page/2.json"), None)
    );
    assert_eq!(p1.items[0].slug, "t13", "newest first");
    assert!(!out.files.contains_key(&paths::articles_page(4)));
}

#[test]
fn the_bundled_content_compiles() {
    let out = crate::fs::compile_bundled(&Options::default()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(out.articles.len(), 5);
    let seed = out
        .articles
        .iter()
        .find(|a| {
            a.meta.slug == "why-backend-developers-often-carry-the-most-responsibility-in-a-team"
        })
        .unwrap();
    assert_eq!(seed.toc.len(), 5);
    assert_eq!(seed.more.len(), 3);
    assert!(
        seed.excerpt.starts_with(
            "Ever notice how the backend team is the first to hear about system failures?"
        ),
        "{}",
        seed.excerpt
    );
    assert!(seed.excerpt.ends_with('…') && seed.excerpt.chars().count() <= 201);
    assert_eq!(out.site.offices.len(), 2);
    assert_eq!(out.site.services.benefits.len(), 6);
    assert_eq!(
        out.files["/robots.txt"],
        b"User-agent: *\nAllow: /\nSitemap: https://keel.example/sitemap.xml\n"
    );
    let feed = String::from_utf8(out.files["/feed.xml"].clone()).unwrap();
    assert_eq!(feed.matches("<entry>").count(), 5);
}

#[test]
fn the_feed_carries_the_newest_in_full() {
    let n = feeds::FEED_COUNT + 5;
    let sources: Vec<Source> = (1..=n)
        .map(|i| Source {
            path: format!("{i}.md"),
            text: format!(
                "{}\nBody of **{i}** & more.\n",
                FRONT
                    .replace("title = \"T\"", &format!("title = \"T{i}\""))
                    .replace("2025-01-02", &format!("2025-02-{i:02}"))
            ),
        })
        .collect();
    let out = compile(&site(), &sources, &Options::default()).unwrap();
    let feed = String::from_utf8(out.files["/feed.xml"].clone()).unwrap();
    assert_eq!(feed.matches("<entry>").count(), feeds::FEED_COUNT);
    assert!(
        feed.contains(&format!("<title>T{n}</title>")),
        "the newest is in"
    );
    assert!(!feed.contains("<title>T1</title>"), "the oldest is not");
    assert!(feed.contains("<content type=\"html\">&lt;p&gt;Body of &lt;strong&gt;25&lt;/strong&gt; &amp;amp; more.&lt;/p&gt;</content>"), "full content, escaped once for XML");
}

#[test]
fn compiled_articles_are_reused_from_the_cache_and_a_bad_entry_is_ignored() {
    use std::collections::HashMap;
    use std::sync::Mutex;
    #[derive(Default)]
    struct Store(Mutex<HashMap<String, Vec<u8>>>, Mutex<(usize, usize)>);
    impl ArticleCache for Store {
        fn get(&self, key: &str) -> Option<Vec<u8>> {
            let hit = self.0.lock().unwrap().get(key).cloned();
            self.1.lock().unwrap().0 += usize::from(hit.is_some());
            hit
        }
        fn put(&self, key: &str, bytes: &[u8]) {
            self.1.lock().unwrap().1 += 1;
            self.0
                .lock()
                .unwrap()
                .insert(key.to_string(), bytes.to_vec());
        }
    }
    let sources = [Source {
        path: "a.md".into(),
        text: format!("{FRONT}\nSome `code` and [a link](https://e.com).\n"),
    }];
    let store = Store::default();
    let first = compile_with(&site(), &sources, &Options::default(), &store, &NoImages).unwrap();
    assert_eq!(*store.1.lock().unwrap(), (0, 1), "compiled and stored");
    let second = compile_with(&site(), &sources, &Options::default(), &store, &NoImages).unwrap();
    assert_eq!(*store.1.lock().unwrap(), (1, 1), "reused");
    assert_eq!(first.files, second.files, "the same output");
    for v in store.0.lock().unwrap().values_mut() {
        *v = b"not json".to_vec();
    }
    let third = compile_with(&site(), &sources, &Options::default(), &store, &NoImages).unwrap();
    assert_eq!(first.files, third.files, "a bad entry is compiled again");
    assert_eq!(store.1.lock().unwrap().1, 2);
}

/// Every document the API serves reads back as the type the SPA reads it
/// as, on the bundled content and on an article that uses every kind of node.
#[test]
fn the_spa_reads_every_document() {
    fn agree<T: serde::de::DeserializeOwned>(json: &str) -> Result<bool, String> {
        serde_json::from_str::<T>(json)
            .map(|_| true)
            .map_err(|e| e.to_string())
    }
    use keel_model::search::{SearchMeta, SearchShard};
    use keel_model::{Article, ArticleSummary, Site};

    let every_node = format!(
        "{FRONT}# One *two* **three** ~~four~~ `five`\nline  \nbreak [link](https://example.com \"T\")\n\n![img](images/a.png)\n\n\
         - a\n- b\n\n3. c\n\n> quote\n\n---\n\n|l|c|r|n|\n|:-|:-:|-:|-|\n|1|2|3|4|\n\n\
         ```rust\nfn main() {{ let x = \"s\"; // c\n}}\n```\n\n```\nplain < text\n```\n"
    );
    let (site, mut sources) = crate::fs::read_sources(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../..")
            .as_path(),
        &crate::fs::bundled_dir(),
    )
    .unwrap();
    sources.push(Source {
        path: "content/articles/every.md".into(),
        text: every_node.replace("title = \"T\"", "title = \"Every node\""),
    });
    struct Both(MemImages, crate::fs::Images);
    impl ImageReader for Both {
        fn read(&self, path: &str) -> Result<images::SourceImage, ImageError> {
            self.0.read(path).or_else(|_| self.1.read(path))
        }
    }
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let images = Both(
        MemImages(vec![(
            "content/articles/images/a.png",
            png_header(640, 480),
        )]),
        crate::fs::Images::new(&root, &crate::fs::bundled_dir()),
    );
    let out = compile_with(&site, &sources, &Options::default(), &NoCache, &images)
        .unwrap_or_else(|e| panic!("{e:?}"));
    let mut kinds = std::collections::BTreeMap::new();
    for (path, bytes) in &out.files {
        let json = std::str::from_utf8(bytes).unwrap();
        use paths::Kind;
        let kind = match paths::kind(path) {
            Kind::Site => agree::<Site>(json),
            Kind::Article => agree::<Article>(json),
            Kind::Page => agree::<keel_model::ArticlePage>(json),
            Kind::SearchMeta => agree::<SearchMeta>(json),
            Kind::SearchShard => agree::<SearchShard>(json),
            Kind::SearchDoc => agree::<ArticleSummary>(json),
            Kind::Other => continue,
        };
        assert_eq!(kind, Ok(true), "{path}");
        *kinds
            .entry(path.split('/').nth(3).unwrap_or_default().to_string())
            .or_insert(0) += 1;
    }
    assert_eq!(
        kinds.keys().collect::<Vec<_>>(),
        ["articles", "search", "site.json", "tags"],
        "{kinds:?}"
    );
    let every = out
        .articles
        .iter()
        .find(|a| a.meta.title == "Every node")
        .unwrap();
    assert_eq!(every.body.len(), 10, "{:?}", every.body);
}

/// Image files in memory, read as `fs::Images` reads them from disk.
struct MemImages(Vec<(&'static str, Vec<u8>)>);

impl ImageReader for MemImages {
    fn read(&self, path: &str) -> Result<images::SourceImage, ImageError> {
        let (_, bytes) = self
            .0
            .iter()
            .find(|(p, _)| *p == path)
            .ok_or(ImageError::Missing)?;
        images::inspect(path, bytes).map_err(ImageError::Invalid)
    }
}

/// A PNG's signature and header, as large as said: all the compiler reads.
pub(crate) fn png_header(width: u32, height: u32) -> Vec<u8> {
    let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR".to_vec();
    png.extend(width.to_be_bytes());
    png.extend(height.to_be_bytes());
    png.extend([8, 6, 0, 0, 0, 0, 0, 0, 0]);
    png
}

fn with_images(files: MemImages, article: &str) -> Result<Output, String> {
    compile_with(
        &site(),
        &[Source {
            path: "content/articles/a.md".into(),
            text: article.into(),
        }],
        &Options::default(),
        &NoCache,
        &files,
    )
    .map_err(|errors| {
        errors
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(" | ")
    })
}

#[test]
fn an_image_beside_the_article_becomes_a_figure_with_its_files() {
    let files = MemImages(vec![
        ("content/articles/images/diagram.png", png_header(1600, 900)),
        ("content/images/cover.png", png_header(1200, 600)),
        (
            "content/articles/images/flow.svg",
            b"<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 720 400'><rect/></svg>".to_vec(),
        ),
    ]);
    let article = format!(
        "{}\nIntro.\n\n![The request's path](images/diagram.png \"Figure 1: the path\")\n\n> ![A flow](./images/flow.svg)\n\n![\"\"](images/diagram.png)\n",
        FRONT.replace(
            "summary = \"S\"\n",
            "summary = \"S\"\ncover = { src = \"../images/cover.png\", alt = \"A harbour\" }\n"
        )
    );
    let out = with_images(files, &article).unwrap();
    let a = &out.articles[0];
    let Block::Figure { image, caption } = &a.body[1] else {
        panic!("{:?}", a.body)
    };
    assert_eq!(caption.as_deref(), Some("Figure 1: the path"));
    assert_eq!(image.alt, "The request's path");
    assert!(image.is_valid(), "{image:?}");
    assert_eq!((image.width, image.height), (1440, 810));
    let Block::Quote { content } = &a.body[2] else {
        panic!()
    };
    let Block::Figure {
        image: svg,
        caption: None,
    } = &content[0]
    else {
        panic!()
    };
    assert_eq!(svg.formats(), [keel_model::doc::ImageFormat::Svg]);
    // Decorative: an empty alt, by the writer's choice; the same file once.
    let Block::Figure { image: deco, .. } = &a.body[3] else {
        panic!()
    };
    assert_eq!(deco.alt, "");
    assert_eq!(deco.src, image.src);
    let cover = a.meta.cover.as_ref().unwrap();
    assert_eq!(
        (cover.alt.as_str(), cover.widths().as_slice()),
        ("A harbour", &[480, 960, 1200][..])
    );
    // Listed once per file for the build, and on every card of the article.
    assert_eq!(
        out.images.keys().collect::<Vec<_>>(),
        [
            "content/articles/images/diagram.png",
            "content/articles/images/flow.svg",
            "content/images/cover.png"
        ]
    );
    let page = std::str::from_utf8(&out.files[&paths::articles_page(1)]).unwrap();
    assert!(page.contains(&cover.src), "{page}");
    let feed = std::str::from_utf8(&out.files["/feed.xml"]).unwrap();
    assert!(feed.contains(&image.src), "{feed}");
}

#[test]
fn image_mistakes_name_the_file_and_line() {
    let svg_with_script = b"<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 9 9'>\n<script>alert(1)</script></svg>".to_vec();
    let files = || {
        MemImages(vec![
            ("content/articles/images/ok.png", png_header(800, 600)),
            ("content/articles/images/bad.svg", svg_with_script.clone()),
            ("content/articles/images/fake.png", b"GIF89a".to_vec()),
        ])
    };
    let body = |md: &str| format!("{FRONT}\n{md}\n");
    for (md, expected) in [
        (
            "![Gone](images/missing.png)",
            "content/articles/a.md:10: the image file content/articles/images/missing.png does not exist",
        ),
        (
            "![](images/ok.png)",
            "content/articles/a.md:10: the image `images/ok.png` has no alt text: say what it shows, as `![what it shows](images/ok.png)`, or mark it decorative with `![\"\"](images/ok.png)`",
        ),
        (
            "![Remote](https://cdn.example/x.png)",
            "content/articles/a.md:10: the image `https://cdn.example/x.png` must be a file beside the article, by a relative path such as `images/diagram.png` (remote and absolute URLs are refused: images are served from our own site)",
        ),
        ("![Root](/media/x.png)", "must be a file beside the article"),
        (
            "![Up](../../../etc/passwd.png)",
            "content/articles/a.md:10: the image `../../../etc/passwd.png` leads outside the content folder",
        ),
        (
            "Text and ![inline](images/ok.png) image.",
            "content/articles/a.md:10: an image stands in a paragraph of its own",
        ),
        (
            "![A](images/ok.png) and text after",
            "content/articles/a.md:10: an image stands in a paragraph of its own",
        ),
        (
            "- ![In a list](images/ok.png)",
            "content/articles/a.md:10: an image stands in a paragraph of its own",
        ),
        (
            "\n![Script](images/bad.svg)",
            "content/articles/images/bad.svg:2: `<script>` is not allowed in an SVG figure (only shapes, text and their styles are) (shown by content/articles/a.md:11)",
        ),
        (
            "![Fake](images/fake.png)",
            "content/articles/images/fake.png: this file is not a PNG image (its name says it is) (shown by content/articles/a.md:10)",
        ),
    ] {
        let got = with_images(files(), &body(md)).err().unwrap_or_default();
        assert!(
            got.contains(expected),
            "{md}\n got: {got}\nwant: {expected}"
        );
    }
    let no_alt = FRONT.replace(
        "summary = \"S\"\n",
        "summary = \"S\"\ncover = { src = \"images/ok.png\", alt = \" \" }\n",
    );
    let got = with_images(files(), &no_alt).err().unwrap_or_default();
    assert!(
        got.starts_with("content/articles/a.md:5: cover: `alt` must say"),
        "{got}"
    );
}
