//! The typed document tree of an article body.
//!
//! The content compiler produces it from Markdown; the SPA renders it as ordinary
//! elements. There is no variant that carries raw HTML, so hostile content cannot
//! become markup or script by construction: every string here is text, and every
//! URL was checked by the compiler (see `is_safe_url`).

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
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

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
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

    #[test]
    fn tree_round_trips_as_tagged_json() {
        let b = Block::Paragraph { content: vec![Inline::Text { text: "<b>".into() }] };
        let json = serde_json::to_string(&b).unwrap();
        assert_eq!(json, r#"{"t":"paragraph","content":[{"t":"text","text":"<b>"}]}"#);
        assert_eq!(serde_json::from_str::<Block>(&json).unwrap(), b);
    }
}
