//! The typed document tree of an article body.
//!
//! The content compiler produces it from Markdown; the SPA renders it as ordinary
//! elements. There is no variant that carries raw HTML, so hostile content cannot
//! become markup or script by construction: every string here is text, and every
//! URL was checked by the compiler (see `is_safe_url`).

use serde::{Deserialize, Serialize};

/// On the wire as `{"t": "paragraph", …}` (internally tagged).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "t", rename_all = "snake_case")]
pub enum Block {
    Heading {
        level: u8,
        id: String,
        content: Vec<Inline>,
    },
    Paragraph {
        content: Vec<Inline>,
    },
    List {
        ordered: bool,
        start: Option<u64>,
        items: Vec<Vec<Block>>,
    },
    Quote {
        content: Vec<Block>,
    },
    /// A code block, highlighted at build time: one entry per line.
    Code {
        lang: Option<String>,
        lines: Vec<Vec<Span>>,
    },
    Table {
        align: Vec<Align>,
        head: Vec<Vec<Inline>>,
        rows: Vec<Vec<Vec<Inline>>>,
    },
    Rule,
    /// An image on a line of its own, with its caption (the Markdown title).
    Figure {
        image: Image,
        caption: Option<String>,
    },
}

/// An image of the site (in an article's body, or an article's cover): its
/// largest file in the original's format (`src`, which any reader may show
/// as it is), that file's size in pixels (the page reserves that box before
/// it loads, so nothing moves), and what it shows.
///
/// The other files follow from `src` and `width` by one rule (`widths`,
/// `formats`, `file`) rather than being listed: each field, list and type
/// the wasm reads costs it reader code, once per way it is read (directly,
/// and buffered for tagged types).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Image {
    /// `/media/{hash}-{width}.{extension}`: a content hash, so the files
    /// never change under a name.
    pub src: String,
    pub width: u32,
    pub height: u32,
    /// What it shows, for those who cannot see it; empty for an image the
    /// writer marked decorative (`![""](…)`).
    pub alt: String,
}

/// Where image files live, and the length of the hash that names them.
pub const MEDIA_DIR: &str = "/media/";
pub const MEDIA_HASH_LEN: usize = 16;

/// The widths a raster image is written at, below its own: a phone's column
/// at 1×, and the 42rem reading column at 1× and 2× (a phone's at 3×). The
/// largest file is at most the last.
pub const IMAGE_WIDTHS: [u32; 3] = [480, 960, 1440];

impl Image {
    /// The name of the files of the image whose content hash is `hash`, and
    /// its largest file in `format` at `width`.
    pub fn src_of(hash: &str, width: u32, format: ImageFormat) -> String {
        format!("{MEDIA_DIR}{hash}-{width}.{}", format.extension())
    }

    /// `src` without `-{width}.{extension}`, and the original's format.
    fn stem(&self) -> Option<(&str, ImageFormat)> {
        let (stem, _) = self.src.rsplit_once('-')?;
        let (_, ext) = self.src.rsplit_once('.')?;
        let format = ImageFormat::ALL
            .into_iter()
            .find(|f| f.extension() == ext)?;
        Some((stem, format))
    }

    /// The original's format.
    pub fn format(&self) -> Option<ImageFormat> {
        self.stem().map(|(_, f)| f)
    }

    /// The widths of its files, ascending: the [`IMAGE_WIDTHS`] below
    /// `width`, and `width`. An SVG scales: one file.
    pub fn widths(&self) -> Vec<u32> {
        let mut widths: Vec<u32> = match self.format() {
            Some(ImageFormat::Svg) => Vec::new(),
            _ => IMAGE_WIDTHS
                .into_iter()
                .filter(|&w| w < self.width)
                .collect(),
        };
        widths.push(self.width);
        widths
    }

    /// The formats of its files, best first: AVIF, WebP, then the
    /// original's (which every browser shows). An SVG is only itself.
    pub fn formats(&self) -> Vec<ImageFormat> {
        match self.format() {
            None => Vec::new(),
            Some(ImageFormat::Svg) => vec![ImageFormat::Svg],
            Some(ImageFormat::Webp) => vec![ImageFormat::Avif, ImageFormat::Webp],
            Some(original) => vec![ImageFormat::Avif, ImageFormat::Webp, original],
        }
    }

    /// The file of `format` at `width`.
    pub fn file(&self, width: u32, format: ImageFormat) -> String {
        let stem = self.stem().map_or("", |(s, _)| s);
        format!("{stem}-{width}.{}", format.extension())
    }

    /// A `srcset` of `format`'s files, each URL behind `prefix` (the base
    /// path, or our origin in a partner's page).
    pub fn srcset(&self, prefix: &str, format: ImageFormat) -> String {
        let mut set = String::new();
        for w in self.widths() {
            if !set.is_empty() {
                set.push_str(", ");
            }
            set.push_str(prefix);
            set.push_str(&self.file(w, format));
            set.push(' ');
            set.push_str(&w.to_string());
            set.push('w');
        }
        set
    }

    /// Whether `src` is a file the build writes (`/media/`, a lowercase hex
    /// hash, a width, a format): a tampered document cannot point an image
    /// anywhere else.
    pub fn is_valid(&self) -> bool {
        let hex = |h: &str| {
            h.len() == MEDIA_HASH_LEN && h.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
        };
        self.stem()
            .and_then(|(stem, _)| stem.strip_prefix(MEDIA_DIR))
            .is_some_and(hex)
    }
}

/// A format the build reads or writes (on the wire only as a file's
/// extension).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ImageFormat {
    Avif,
    Webp,
    Png,
    Jpeg,
    Svg,
}

impl ImageFormat {
    pub const ALL: [ImageFormat; 5] = [
        ImageFormat::Avif,
        ImageFormat::Webp,
        ImageFormat::Png,
        ImageFormat::Jpeg,
        ImageFormat::Svg,
    ];

    pub fn extension(self) -> &'static str {
        match self {
            ImageFormat::Avif => "avif",
            ImageFormat::Webp => "webp",
            ImageFormat::Png => "png",
            ImageFormat::Jpeg => "jpg",
            ImageFormat::Svg => "svg",
        }
    }

    pub fn mime(self) -> &'static str {
        match self {
            ImageFormat::Avif => "image/avif",
            ImageFormat::Webp => "image/webp",
            ImageFormat::Png => "image/png",
            ImageFormat::Jpeg => "image/jpeg",
            ImageFormat::Svg => "image/svg+xml",
        }
    }
}

/// On the wire like `Block`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "t", rename_all = "snake_case")]
pub enum Inline {
    Text {
        text: String,
    },
    Emphasis {
        content: Vec<Inline>,
    },
    Strong {
        content: Vec<Inline>,
    },
    Strikethrough {
        content: Vec<Inline>,
    },
    Code {
        text: String,
    },
    Link {
        href: String,
        title: Option<String>,
        content: Vec<Inline>,
    },
    Break,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Align {
    None,
    Left,
    Center,
    Right,
}

/// A run of highlighted code. `class` is one of a small fixed set of token kinds
/// (see `TokenKind`), themed by CSS so light and dark both work.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Span {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<TokenKind>,
    pub text: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenKind {
    Comment,
    Keyword,
    String,
    Number,
    Function,
    Type,
    Constant,
    Attribute,
    Operator,
    Punctuation,
    Variable,
    Tag,
}

impl TokenKind {
    pub fn class(self) -> &'static str {
        match self {
            TokenKind::Comment => "tok-comment",
            TokenKind::Keyword => "tok-keyword",
            TokenKind::String => "tok-string",
            TokenKind::Number => "tok-number",
            TokenKind::Function => "tok-function",
            TokenKind::Type => "tok-type",
            TokenKind::Constant => "tok-constant",
            TokenKind::Attribute => "tok-attribute",
            TokenKind::Operator => "tok-operator",
            TokenKind::Punctuation => "tok-punctuation",
            TokenKind::Variable => "tok-variable",
            TokenKind::Tag => "tok-tag",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TocEntry {
    pub level: u8,
    pub id: String,
    pub text: String,
}

/// The one URL rule for links and images: relative URLs, fragments, and the
/// `http`, `https` and `mailto` schemes. Everything else (`javascript:`,
/// `vbscript:`, `data:`, `file:`, unknown schemes) is refused. Control
/// characters and whitespace that browsers strip before parsing a scheme are
/// taken into account, so `java\tscript:` is refused too.
pub fn is_safe_url(url: &str) -> bool {
    // Browsers drop ASCII tab/newline anywhere and trim C0 controls and spaces.
    let cleaned: String = url
        .chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
        .collect();
    let cleaned = cleaned.trim_matches(|c: char| c <= ' ');
    if cleaned.chars().any(|c| c.is_control()) {
        return false;
    }
    match cleaned.find(':') {
        None => true,
        Some(colon) => {
            let before = &cleaned[..colon];
            // A colon after a path, query or fragment delimiter is not a scheme.
            if before.contains(['/', '?', '#']) {
                return true;
            }
            let scheme = before.to_ascii_lowercase();
            matches!(scheme.as_str(), "http" | "https" | "mailto")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_rule() {
        for ok in [
            "/articles/x",
            "#intro",
            "https://example.com/a?b=c:d",
            "HTTP://X",
            "mailto:a@b.c",
            "rel/path:colon",
            "?q=a:b",
        ] {
            assert!(is_safe_url(ok), "{ok}");
        }
        for bad in [
            "javascript:alert(1)",
            "JaVaScRiPt:alert(1)",
            " javascript:alert(1)",
            "java\tscript:alert(1)",
            "java\nscript:alert(1)",
            "\u{1}javascript:alert(1)",
            "vbscript:msgbox",
            "data:text/html,<script>alert(1)</script>",
            "file:///etc/passwd",
            "jav\u{0}ascript:x",
        ] {
            assert!(!is_safe_url(bad), "{bad:?}");
        }
    }

    /// `json` read as the SPA and the host read it (serde's derive).
    fn read<T: serde::de::DeserializeOwned>(json: &str) -> Option<T> {
        serde_json::from_str(json).ok()
    }

    #[test]
    fn tree_round_trips_as_tagged_json() {
        let b = Block::Paragraph {
            content: vec![Inline::Text { text: "<b>".into() }],
        };
        let json = serde_json::to_string(&b).unwrap();
        assert_eq!(
            json,
            r#"{"t":"paragraph","content":[{"t":"text","text":"<b>"}]}"#
        );
        assert_eq!(read::<Block>(&json), Some(b));
    }

    #[test]
    fn every_variant_reads_back_as_written() {
        let text = |t: &str| Inline::Text { text: t.into() };
        let body = vec![
            Block::Heading {
                level: 2,
                id: "a".into(),
                content: vec![text("A"), Inline::Break],
            },
            Block::Paragraph {
                content: vec![
                    Inline::Emphasis {
                        content: vec![text("e")],
                    },
                    Inline::Strong {
                        content: vec![Inline::Strikethrough {
                            content: vec![text("s")],
                        }],
                    },
                    Inline::Code { text: "x()".into() },
                    Inline::Link {
                        href: "/articles/x".into(),
                        title: None,
                        content: vec![text("l")],
                    },
                    Inline::Link {
                        href: "https://x.example".into(),
                        title: Some("t".into()),
                        content: vec![],
                    },
                ],
            },
            Block::Figure {
                image: Image {
                    src: "/media/0123456789abcdef-960.jpg".into(),
                    width: 960,
                    height: 540,
                    alt: "i".into(),
                },
                caption: Some("c".into()),
            },
            Block::List {
                ordered: true,
                start: Some(3),
                items: vec![vec![Block::Rule], vec![]],
            },
            Block::List {
                ordered: false,
                start: None,
                items: vec![],
            },
            Block::Quote {
                content: vec![Block::Paragraph {
                    content: vec![text("q")],
                }],
            },
            Block::Code {
                lang: Some("rust".into()),
                lines: vec![vec![
                    Span {
                        kind: Some(TokenKind::Keyword),
                        text: "fn".into(),
                    },
                    Span {
                        kind: None,
                        text: " f".into(),
                    },
                ]],
            },
            Block::Code {
                lang: None,
                lines: vec![],
            },
            Block::Table {
                align: vec![Align::None, Align::Left, Align::Center, Align::Right],
                head: vec![vec![text("h")]],
                rows: vec![vec![vec![text("c")], vec![]]],
            },
            Block::Rule,
        ];
        let json = serde_json::to_string(&body).unwrap();
        assert_eq!(read::<Vec<Block>>(&json), Some(body));
        let toc = TocEntry {
            level: 3,
            id: "a".into(),
            text: "A".into(),
        };
        assert_eq!(
            read::<TocEntry>(&serde_json::to_string(&toc).unwrap()),
            Some(toc)
        );
        assert_eq!(
            read::<Span>(r#"{"text":"x"}"#),
            Some(Span {
                kind: None,
                text: "x".into()
            })
        );
        // Every name of the unit enums, as serde writes it.
        for kind in [
            TokenKind::Comment,
            TokenKind::Keyword,
            TokenKind::String,
            TokenKind::Number,
            TokenKind::Function,
            TokenKind::Type,
            TokenKind::Constant,
            TokenKind::Attribute,
            TokenKind::Operator,
            TokenKind::Punctuation,
            TokenKind::Variable,
            TokenKind::Tag,
        ] {
            assert_eq!(
                read::<TokenKind>(&serde_json::to_string(&kind).unwrap()),
                Some(kind)
            );
        }
        assert_eq!(read::<TokenKind>(r#""tok-tag""#), None);
    }

    #[test]
    fn the_tag_may_come_anywhere_and_unknown_fields_are_ignored() {
        assert_eq!(
            read::<Block>(r#"{"content":[],"t":"aside"}"#),
            None,
            "an unknown tag is refused"
        );
        let b = read::<Block>(r#"{"content":[{"text":"x","t":"text","extra":1}],"t":"paragraph"}"#);
        assert_eq!(
            b,
            Some(Block::Paragraph {
                content: vec![Inline::Text { text: "x".into() }]
            })
        );
        let f = read::<Block>(
            r#"{"caption":null,"t":"figure","image":{"alt":"b","x":1,"src":"/media/0123456789abcdef-9.png","w\u0069dth":9,"height":3}}"#,
        );
        let Some(Block::Figure {
            image,
            caption: None,
        }) = f
        else {
            panic!("{f:?}")
        };
        assert_eq!(
            (image.alt.as_str(), image.width, Some(image.src.as_str())),
            ("b", 9, Some("/media/0123456789abcdef-9.png"))
        );
        assert_eq!(
            read::<Inline>(r#"{"t":"image","src":"/a","alt":"b","title":null}"#),
            None,
            "images are figures, never inline"
        );
    }

    #[test]
    fn an_image_s_files_follow_from_its_src_and_width() {
        let image = |format, width| Image {
            src: Image::src_of("0123456789abcdef", width, format),
            width,
            height: 1,
            alt: String::new(),
        };
        let big = image(ImageFormat::Png, 1440);
        assert_eq!(big.src, "/media/0123456789abcdef-1440.png");
        assert_eq!(big.widths(), [480, 960, 1440]);
        assert_eq!(
            big.formats(),
            [ImageFormat::Avif, ImageFormat::Webp, ImageFormat::Png]
        );
        assert_eq!(
            big.file(480, ImageFormat::Avif),
            "/media/0123456789abcdef-480.avif"
        );
        assert_eq!(
            big.srcset("https://keel.test", ImageFormat::Webp),
            "https://keel.test/media/0123456789abcdef-480.webp 480w, https://keel.test/media/0123456789abcdef-960.webp 960w, https://keel.test/media/0123456789abcdef-1440.webp 1440w"
        );
        assert_eq!(image(ImageFormat::Jpeg, 960).widths(), [480, 960]);
        assert_eq!(image(ImageFormat::Jpeg, 300).widths(), [300]);
        assert_eq!(
            image(ImageFormat::Webp, 800).formats(),
            [ImageFormat::Avif, ImageFormat::Webp]
        );
        let svg = image(ImageFormat::Svg, 720);
        assert_eq!(
            (svg.widths(), svg.formats()),
            (vec![720], vec![ImageFormat::Svg])
        );
        assert!(big.is_valid() && svg.is_valid());
        for src in [
            "https://evil.test/media/0123456789abcdef-1440.png",
            "/media/0123456789abcdef-1440.gif",
            "/media/0123456789ABCDEF-1440.png",
            "/media/../x-1440.png",
            "//evil.test/0123456789abcdef-1440.png",
        ] {
            let tampered = Image {
                src: src.into(),
                ..big.clone()
            };
            assert!(!tampered.is_valid(), "{src}");
        }
    }

    #[test]
    fn a_malformed_tree_is_refused() {
        for bad in [
            r#"{"t":"heading","id":"a","content":[]}"#,
            r#"{"t":"heading","level":256,"id":"a","content":[]}"#,
            r#"{"t":"paragraph"}"#,
            r#"{"t":"text","text":"x"}"#,
            r#"{"t":"paragraph","content":[{"t":"rule"}]}"#,
            r#"{"t":"quote","content":[{"t":"text","text":"x"}]}"#,
            r#"{"content":[]}"#,
            r#"{"t":"list","ordered":"yes","items":[]}"#,
            r#"{"t":"table","align":["middle"],"head":[],"rows":[]}"#,
            r#"{"t":7}"#,
            r#"{"t":null}"#,
            "[]",
        ] {
            assert_eq!(read::<Block>(bad), None, "{bad}");
        }
        // A member given twice is refused (the API never writes one).
        for bad in [
            r#"{"t":"paragraph","content":[],"content":[]}"#,
            r#"{"t":"rule","t":"rule"}"#,
        ] {
            assert!(serde_json::from_str::<Block>(bad).is_err(), "{bad}");
        }
        // Nesting: what the content compiler writes reads; a tampered tree
        // far deeper is refused by serde_json's recursion limit (128 levels of
        // JSON, two per quote), not read until the stack runs out.
        let quotes = |n: usize| {
            format!(
                "{}{{\"t\":\"rule\"}}{}",
                r#"{"t":"quote","content":["#.repeat(n),
                "]}".repeat(n)
            )
        };
        assert!(read::<Block>(&quotes(32)).is_some());
        let e = serde_json::from_str::<Block>(&quotes(100_000)).unwrap_err();
        assert!(e.to_string().contains("recursion limit"), "{e}");
        let e =
            serde_json::from_str::<Block>(r#"{"t":"heading","id":"a","content":[]}"#).unwrap_err();
        assert!(e.to_string().contains("missing field `level`"), "{e}");
    }
}
