//! The typed document tree of an article body.
//!
//! The content compiler produces it from Markdown; the SPA renders it as ordinary
//! elements. There is no variant that carries raw HTML, so hostile content cannot
//! become markup or script by construction: every string here is text, and every
//! URL was checked by the compiler (see `is_safe_url`).

use std::fmt;

use serde::de::{self, Deserializer};
use serde::{Deserialize, Serialize};

use crate::wire::read_object;

/// On the wire as `{"t": "paragraph", …}` (internally tagged). Read back by
/// hand (see `Node` below), not by serde's derive for tagged enums.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "t", rename_all = "snake_case")]
pub enum Block {
    Heading { level: u8, id: String, content: Vec<Inline> },
    Paragraph { content: Vec<Inline> },
    List { ordered: bool, start: Option<u64>, items: Vec<Vec<Block>> },
    Quote { content: Vec<Block> },
    /// A code block, highlighted at build time: one entry per line.
    Code { lang: Option<String>, lines: Vec<Vec<Span>> },
    Table { align: Vec<Align>, head: Vec<Vec<Inline>>, rows: Vec<Vec<Vec<Inline>>> },
    Rule,
}

/// On the wire like `Block`, and read back the same way.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "t", rename_all = "snake_case")]
pub enum Inline {
    Text { text: String },
    Emphasis { content: Vec<Inline> },
    Strong { content: Vec<Inline> },
    Strikethrough { content: Vec<Inline> },
    Code { text: String },
    Link { href: String, title: Option<String>, content: Vec<Inline> },
    Image { src: String, alt: String, title: Option<String> },
    Break,
}

// Reading the tree: serde's derive for an internally tagged enum buffers
// every node into a generic `Content` tree and reads it again, for each
// variant: the largest part of the wasm's JSON code. The same documents are
// read here in one pass, into one flat `Node` that has every field of every
// variant, then checked against its tag. What is accepted is what the derive
// accepted of an object (the only form the API writes): the tag and the
// fields in any order, unknown fields ignored, a missing `Option` as `None`,
// a repeated field refused, a missing required field refused by name. The
// visitors are written out (not derived) because the derive also reads
// every struct from an array and every name from bytes, code the wasm
// would carry for input that never comes.

/// Every tag of `Block` and `Inline` (the two share `code`).
#[derive(Clone, Copy)]
enum Tag {
    Heading,
    Paragraph,
    List,
    Quote,
    Code,
    Image,
    Table,
    Rule,
    Text,
    Emphasis,
    Strong,
    Strikethrough,
    Link,
    Break,
}

const TAGS: [&str; 14] = [
    "heading", "paragraph", "list", "quote", "code", "image", "table", "rule", "text", "emphasis", "strong", "strikethrough", "link", "break",
];

impl<'de> Deserialize<'de> for Tag {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl de::Visitor<'_> for V {
            type Value = Tag;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a node tag")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Tag, E> {
                use Tag::*;
                const ALL: [Tag; 14] = [Heading, Paragraph, List, Quote, Code, Image, Table, Rule, Text, Emphasis, Strong, Strikethrough, Link, Break];
                match TAGS.iter().position(|t| *t == s) {
                    Some(i) => Ok(ALL[i]),
                    None => Err(E::unknown_variant(s, &TAGS)),
                }
            }
        }
        d.deserialize_str(V)
    }
}

/// A node of either kind, as read; `content` holds blocks in a quote and
/// inlines everywhere else.
#[derive(Default)]
struct Node {
    t: Option<Tag>,
    level: Option<u8>,
    id: Option<String>,
    content: Option<Vec<Node>>,
    ordered: Option<bool>,
    start: Option<u64>,
    items: Option<Vec<Vec<Node>>>,
    lang: Option<String>,
    lines: Option<Vec<Vec<Span>>>,
    src: Option<String>,
    alt: Option<String>,
    title: Option<String>,
    align: Option<Vec<Align>>,
    head: Option<Vec<Vec<Node>>>,
    rows: Option<Vec<Vec<Vec<Node>>>>,
    text: Option<String>,
    href: Option<String>,
}

/// The field names of `Node`, in its order; a key's index here is its `Key`.
const FIELDS: [&str; 17] = [
    "t", "level", "id", "content", "ordered", "start", "items", "lang", "lines", "src", "alt", "title", "align", "head", "rows", "text",
    "href",
];

/// A key of a node's object: the index of a field in `FIELDS`, or none (an
/// unknown field, ignored).
struct Key(Option<usize>);

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl de::Visitor<'_> for V {
            type Value = Key;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a field name")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Key, E> {
                Ok(Key(FIELDS.iter().position(|f| *f == s)))
            }
        }
        d.deserialize_identifier(V)
    }
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> de::Visitor<'de> for V {
            type Value = Node;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a document node")
            }
            fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
                let mut n = Node::default();
                let mut seen = 0u32;
                while let Some(Key(key)) = map.next_key()? {
                    let Some(i) = key else {
                        map.next_value::<de::IgnoredAny>()?;
                        continue;
                    };
                    if seen & (1 << i) != 0 {
                        return Err(de::Error::duplicate_field(FIELDS[i]));
                    }
                    seen |= 1 << i;
                    match i {
                        0 => n.t = Some(map.next_value()?),
                        1 => n.level = map.next_value()?,
                        2 => n.id = map.next_value()?,
                        3 => n.content = map.next_value()?,
                        4 => n.ordered = map.next_value()?,
                        5 => n.start = map.next_value()?,
                        6 => n.items = map.next_value()?,
                        7 => n.lang = map.next_value()?,
                        8 => n.lines = map.next_value()?,
                        9 => n.src = map.next_value()?,
                        10 => n.alt = map.next_value()?,
                        11 => n.title = map.next_value()?,
                        12 => n.align = map.next_value()?,
                        13 => n.head = map.next_value()?,
                        14 => n.rows = map.next_value()?,
                        15 => n.text = map.next_value()?,
                        _ => n.href = map.next_value()?,
                    }
                }
                Ok(n)
            }
        }
        d.deserialize_map(V)
    }
}

fn need<T, E: de::Error>(v: Option<T>, field: &'static str) -> Result<T, E> {
    v.ok_or_else(|| E::missing_field(field))
}

fn blocks<E: de::Error>(v: Vec<Node>) -> Result<Vec<Block>, E> {
    v.into_iter().map(Node::block).collect()
}

fn inlines<E: de::Error>(v: Vec<Node>) -> Result<Vec<Inline>, E> {
    v.into_iter().map(Node::inline).collect()
}

impl Node {
    fn block<E: de::Error>(self) -> Result<Block, E> {
        Ok(match need(self.t, "t")? {
            Tag::Heading => Block::Heading {
                level: need(self.level, "level")?,
                id: need(self.id, "id")?,
                content: inlines(need(self.content, "content")?)?,
            },
            Tag::Paragraph => Block::Paragraph { content: inlines(need(self.content, "content")?)? },
            Tag::List => Block::List {
                ordered: need(self.ordered, "ordered")?,
                start: self.start,
                items: need(self.items, "items")?.into_iter().map(blocks).collect::<Result<_, E>>()?,
            },
            Tag::Quote => Block::Quote { content: blocks(need(self.content, "content")?)? },
            Tag::Code => Block::Code { lang: self.lang, lines: need(self.lines, "lines")? },
            Tag::Table => Block::Table {
                align: need(self.align, "align")?,
                head: need(self.head, "head")?.into_iter().map(inlines).collect::<Result<_, E>>()?,
                rows: need(self.rows, "rows")?
                    .into_iter()
                    .map(|row| row.into_iter().map(inlines).collect::<Result<_, E>>())
                    .collect::<Result<_, E>>()?,
            },
            Tag::Rule => Block::Rule,
            _ => return Err(E::custom("an inline node where a block belongs")),
        })
    }

    fn inline<E: de::Error>(self) -> Result<Inline, E> {
        Ok(match need(self.t, "t")? {
            Tag::Text => Inline::Text { text: need(self.text, "text")? },
            Tag::Emphasis => Inline::Emphasis { content: inlines(need(self.content, "content")?)? },
            Tag::Strong => Inline::Strong { content: inlines(need(self.content, "content")?)? },
            Tag::Strikethrough => Inline::Strikethrough { content: inlines(need(self.content, "content")?)? },
            Tag::Code => Inline::Code { text: need(self.text, "text")? },
            Tag::Link => Inline::Link {
                href: need(self.href, "href")?,
                title: self.title,
                content: inlines(need(self.content, "content")?)?,
            },
            Tag::Image => Inline::Image { src: need(self.src, "src")?, alt: need(self.alt, "alt")?, title: self.title },
            Tag::Break => Inline::Break,
            _ => return Err(E::custom("a block node where an inline belongs")),
        })
    }
}

impl<'de> Deserialize<'de> for Block {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Node::deserialize(d)?.block()
    }
}

impl<'de> Deserialize<'de> for Inline {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Node::deserialize(d)?.inline()
    }
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
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Span {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<TokenKind>,
    pub text: String,
}

read_object!(Span, "a run of code", { kind: "kind", text: "text" });

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

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TocEntry {
    pub level: u8,
    pub id: String,
    pub text: String,
}

read_object!(TocEntry, "an entry of the table of contents", { level: "level", id: "id", text: "text" });

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

    #[test]
    fn tree_round_trips_as_tagged_json() {
        let b = Block::Paragraph { content: vec![Inline::Text { text: "<b>".into() }] };
        let json = serde_json::to_string(&b).unwrap();
        assert_eq!(json, r#"{"t":"paragraph","content":[{"t":"text","text":"<b>"}]}"#);
        assert_eq!(serde_json::from_str::<Block>(&json).unwrap(), b);
    }

    #[test]
    fn every_variant_reads_back_as_written() {
        let text = |t: &str| Inline::Text { text: t.into() };
        let body = vec![
            Block::Heading { level: 2, id: "a".into(), content: vec![text("A"), Inline::Break] },
            Block::Paragraph {
                content: vec![
                    Inline::Emphasis { content: vec![text("e")] },
                    Inline::Strong { content: vec![Inline::Strikethrough { content: vec![text("s")] }] },
                    Inline::Code { text: "x()".into() },
                    Inline::Link { href: "/articles/x".into(), title: None, content: vec![text("l")] },
                    Inline::Link { href: "https://x.example".into(), title: Some("t".into()), content: vec![] },
                    Inline::Image { src: "/i.png".into(), alt: "i".into(), title: None },
                ],
            },
            Block::List { ordered: true, start: Some(3), items: vec![vec![Block::Rule], vec![]] },
            Block::List { ordered: false, start: None, items: vec![] },
            Block::Quote { content: vec![Block::Paragraph { content: vec![text("q")] }] },
            Block::Code {
                lang: Some("rust".into()),
                lines: vec![vec![Span { kind: Some(TokenKind::Keyword), text: "fn".into() }, Span { kind: None, text: " f".into() }]],
            },
            Block::Code { lang: None, lines: vec![] },
            Block::Table {
                align: vec![Align::None, Align::Left, Align::Center, Align::Right],
                head: vec![vec![text("h")]],
                rows: vec![vec![vec![text("c")], vec![]]],
            },
            Block::Rule,
        ];
        let json = serde_json::to_string(&body).unwrap();
        assert_eq!(serde_json::from_str::<Vec<Block>>(&json).unwrap(), body);
        let toc = TocEntry { level: 3, id: "a".into(), text: "A".into() };
        assert_eq!(serde_json::from_str::<TocEntry>(&serde_json::to_string(&toc).unwrap()).unwrap(), toc);
        let plain: Span = serde_json::from_str(r#"{"text":"x"}"#).unwrap();
        assert_eq!(plain, Span { kind: None, text: "x".into() });
    }

    #[test]
    fn the_tag_may_come_anywhere_and_unknown_fields_are_ignored() {
        assert!(serde_json::from_str::<Block>(r#"{"content":[],"t":"aside"}"#).is_err(), "an unknown tag is refused");
        let b: Block = serde_json::from_str(r#"{"content":[{"text":"x","t":"text","extra":1}],"t":"paragraph"}"#).unwrap();
        assert_eq!(b, Block::Paragraph { content: vec![Inline::Text { text: "x".into() }] });
        let i: Inline = serde_json::from_str(r#"{"t":"image","src":"/a","alt":"b","title":null,"w\u0069dth":3}"#).unwrap();
        assert_eq!(i, Inline::Image { src: "/a".into(), alt: "b".into(), title: None });
        assert!(serde_json::from_str::<Block>(r#"{"t":"image","src":"/a","alt":"b"}"#).is_err(), "no block images");
    }

    #[test]
    fn a_malformed_tree_is_refused() {
        for bad in [
            r#"{"t":"heading","id":"a","content":[]}"#,
            r#"{"t":"paragraph"}"#,
            r#"{"t":"text","text":"x"}"#,
            r#"{"t":"paragraph","content":[{"t":"rule"}]}"#,
            r#"{"t":"quote","content":[{"t":"text","text":"x"}]}"#,
            r#"{"content":[]}"#,
            r#"{"t":"list","ordered":"yes","items":[]}"#,
            r#"{"t":"paragraph","content":[],"content":[]}"#,
            r#"{"t":"rule","t":"rule"}"#,
            r#"{"t":7}"#,
            r#"["rule"]"#,
        ] {
            assert!(serde_json::from_str::<Block>(bad).is_err(), "{bad}");
        }
        let e = serde_json::from_str::<Block>(r#"{"t":"heading","id":"a","content":[]}"#).unwrap_err();
        assert!(e.to_string().contains("missing field `level`"), "{e}");
    }
}
