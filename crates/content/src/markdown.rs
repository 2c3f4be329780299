//! Markdown to the typed document tree.
//!
//! Raw HTML is never passed through: an HTML block or inline tag becomes
//! literal text, so the writer sees it on the page and nothing of it runs.
//! Links must pass `keel_model::doc::is_safe_url`, or the build fails. An
//! image is a file beside the article, alone in its paragraph (a figure),
//! with alt text: see `images` for what is checked once it is read.

use std::collections::HashMap;

use keel_model::doc::{Align, Block, Image, Inline, TocEntry, is_safe_url};
use pulldown_cmark::{Alignment, CodeBlockKind, Event, HeadingLevel, Options, Parser, Tag, TagEnd};

use crate::error::{Diagnostic, line_of};
use crate::highlight::highlight;

pub struct Body {
    pub blocks: Vec<Block>,
    pub toc: Vec<TocEntry>,
    /// Plain text of the whole body, for word counts and search.
    pub text: String,
    /// Internal `/articles/{slug}` links, with the line they are on.
    pub internal_links: Vec<(String, usize)>,
    /// Each image's file (relative to the root, like the article's path),
    /// with its line: its `Block::Figure` names that file until it is read.
    pub images: Vec<(String, usize)>,
}

/// The alt text that marks an image decorative (`![""](…)`): an explicit
/// choice, never a forgotten alt. Like HTML's `alt=""`.
const DECORATIVE: &str = "\"\"";

/// The alt text an image's `written` alt gives it ("" for [`DECORATIVE`]),
/// or `None` when there is none: a mistake.
pub fn alt_text(written: &str) -> Option<String> {
    match written.trim() {
        "" => None,
        DECORATIVE => Some(String::new()),
        alt => Some(alt.to_string()),
    }
}

/// Where an image's file is: `src` relative to the article's folder, as
/// Markdown editors and previews resolve it. Remote and absolute URLs are
/// refused: images are our own files (the pages' CSP is `img-src 'self'`).
pub fn image_path(article: &str, src: &str) -> Result<String, String> {
    let remote = src.contains(':') || src.starts_with("//");
    if remote || src.starts_with('/') || src.contains(['?', '#', '\\']) || src.trim().is_empty() {
        return Err(format!(
            "the image `{}` must be a file beside the article, by a relative path such as `images/diagram.png` (remote and absolute URLs are refused: images are served from our own site)",
            src.escape_debug()
        ));
    }
    let mut parts: Vec<&str> = article.split('/').collect();
    parts.pop();
    for part in src.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if parts.pop().is_none() {
                    return Err(format!(
                        "the image `{}` leads outside the content folder",
                        src.escape_debug()
                    ));
                }
            }
            p => parts.push(p),
        }
    }
    Ok(parts.join("/"))
}

/// What is being built while its end tag has not arrived yet.
enum Frame {
    Blocks(Vec<Block>),
    Inlines(Vec<Inline>),
    Link {
        href: String,
        title: Option<String>,
        content: Vec<Inline>,
    },
    List {
        ordered: bool,
        start: Option<u64>,
        items: Vec<Vec<Block>>,
    },
    Code {
        lang: Option<String>,
        text: String,
    },
    Table {
        align: Vec<Align>,
        head: Vec<Vec<Inline>>,
        rows: Vec<Vec<Vec<Inline>>>,
        row: Vec<Vec<Inline>>,
    },
    Image {
        src: String,
        title: Option<String>,
        alt: String,
        line: usize,
        /// `src` as written, for messages.
        written: String,
    },
}

/// How deep quotes, lists, emphasis and links may nest. Far beyond what
/// writing needs; deeper trees would be more than readers of the documents
/// (serde_json's limit of 128 nested arrays and objects, the SPA's) accept.
pub const MAX_NESTING: usize = 32;

pub fn parse(file: &str, md: &str, line_offset: usize) -> Result<Body, Diagnostic> {
    let opts = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH;
    let mut stack: Vec<Frame> = vec![Frame::Blocks(Vec::new())];
    let mut toc = Vec::new();
    let mut ids: HashMap<String, usize> = HashMap::new();
    let mut text = String::new();
    let mut internal_links = Vec::new();
    let mut images = Vec::new();
    // The stack index of the open paragraph, and the figure it holds.
    let mut paragraph: Option<usize> = None;
    let mut figure: Option<(Block, usize)> = None;
    let line = |offset: usize| line_of(md, offset) + line_offset;

    for (event, range) in Parser::new_ext(md, opts).into_offset_iter() {
        match event {
            Event::Start(_) if stack.len() > MAX_NESTING => {
                return Err(Diagnostic::new(
                    file,
                    line(range.start),
                    format!(
                        "this is nested more than {MAX_NESTING} levels deep (quotes, lists, emphasis, links): please flatten it"
                    ),
                ));
            }
            Event::Start(tag) => match tag {
                Tag::Paragraph => {
                    paragraph = Some(stack.len());
                    stack.push(Frame::Inlines(Vec::new()))
                }
                Tag::Heading { .. }
                | Tag::Emphasis
                | Tag::Strong
                | Tag::Strikethrough
                | Tag::TableCell => stack.push(Frame::Inlines(Vec::new())),
                Tag::Link {
                    dest_url, title, ..
                } => {
                    check_url(file, line(range.start), &dest_url)?;
                    if let Some(slug) = dest_url.strip_prefix("/articles/") {
                        let slug = slug.split(['#', '?']).next().unwrap_or(slug);
                        internal_links
                            .push((slug.trim_end_matches('/').to_string(), line(range.start)));
                    }
                    stack.push(Frame::Link {
                        href: dest_url.to_string(),
                        title: non_empty(&title),
                        content: Vec::new(),
                    })
                }
                Tag::Image {
                    dest_url, title, ..
                } => {
                    let at = line(range.start);
                    // Alone in its paragraph: the paragraph's frame is on top, empty so far.
                    let alone = figure.is_none()
                        && paragraph == Some(stack.len() - 1)
                        && matches!(stack.last(), Some(Frame::Inlines(c)) if plain_text(c).trim().is_empty());
                    if !alone {
                        return Err(Diagnostic::new(
                            file,
                            at,
                            "an image stands in a paragraph of its own: put it on its own line, with a blank line before and after",
                        ));
                    }
                    let src =
                        image_path(file, &dest_url).map_err(|m| Diagnostic::new(file, at, m))?;
                    images.push((src.clone(), at));
                    stack.push(Frame::Image {
                        src,
                        title: non_empty(&title),
                        alt: String::new(),
                        line: at,
                        written: dest_url.to_string(),
                    })
                }
                Tag::BlockQuote(_) | Tag::Item => stack.push(Frame::Blocks(Vec::new())),
                Tag::List(start) => stack.push(Frame::List {
                    ordered: start.is_some(),
                    start,
                    items: Vec::new(),
                }),
                Tag::CodeBlock(kind) => {
                    let lang = match kind {
                        CodeBlockKind::Fenced(info) => {
                            info.split_whitespace().next().map(str::to_string)
                        }
                        CodeBlockKind::Indented => None,
                    };
                    stack.push(Frame::Code {
                        lang,
                        text: String::new(),
                    })
                }
                Tag::Table(align) => stack.push(Frame::Table {
                    align: align
                        .iter()
                        .map(|a| match a {
                            Alignment::None => Align::None,
                            Alignment::Left => Align::Left,
                            Alignment::Center => Align::Center,
                            Alignment::Right => Align::Right,
                        })
                        .collect(),
                    head: Vec::new(),
                    rows: Vec::new(),
                    row: Vec::new(),
                }),
                Tag::TableHead | Tag::TableRow => {}
                Tag::HtmlBlock => stack.push(Frame::Inlines(Vec::new())),
                other => {
                    return Err(Diagnostic::new(
                        file,
                        line(range.start),
                        format!("unsupported Markdown construct: {other:?}"),
                    ));
                }
            },
            Event::End(end) => {
                let frame = stack.pop().expect("parser events are balanced");
                match (end, frame) {
                    (TagEnd::Paragraph, Frame::Inlines(content)) if figure.is_some() => {
                        paragraph = None;
                        let (block, at) = figure.take().expect("checked");
                        if !plain_text(&content).trim().is_empty() {
                            return Err(Diagnostic::new(
                                file,
                                at,
                                "an image stands in a paragraph of its own: put the text after it in a paragraph of its own",
                            ));
                        }
                        push_block(&mut stack, block)
                    }
                    (TagEnd::Paragraph | TagEnd::HtmlBlock, Frame::Inlines(content)) => {
                        paragraph = None;
                        push_block(&mut stack, Block::Paragraph { content })
                    }
                    (TagEnd::Heading(level), Frame::Inlines(content)) => {
                        let level = heading_level(level);
                        let plain = plain_text(&content);
                        let base = match crate::front::slugify(&plain) {
                            s if s.is_empty() => "section".to_string(),
                            s => s,
                        };
                        let n = ids.entry(base.clone()).or_insert(0);
                        *n += 1;
                        let id = if *n == 1 { base } else { format!("{base}-{n}") };
                        if (2..=3).contains(&level) {
                            toc.push(TocEntry {
                                level,
                                id: id.clone(),
                                text: plain.clone(),
                            });
                        }
                        text.push_str(&plain);
                        text.push('\n');
                        push_block(&mut stack, Block::Heading { level, id, content })
                    }
                    (TagEnd::Emphasis, Frame::Inlines(content)) => {
                        push_inline(&mut stack, Inline::Emphasis { content })
                    }
                    (TagEnd::Strong, Frame::Inlines(content)) => {
                        push_inline(&mut stack, Inline::Strong { content })
                    }
                    (TagEnd::Strikethrough, Frame::Inlines(content)) => {
                        push_inline(&mut stack, Inline::Strikethrough { content })
                    }
                    (
                        TagEnd::Link,
                        Frame::Link {
                            href,
                            title,
                            content,
                        },
                    ) => push_inline(
                        &mut stack,
                        Inline::Link {
                            href,
                            title,
                            content,
                        },
                    ),
                    (
                        TagEnd::Image,
                        Frame::Image {
                            src,
                            title,
                            alt,
                            line: at,
                            written,
                        },
                    ) => {
                        let Some(alt) = alt_text(&alt) else {
                            return Err(Diagnostic::new(
                                file,
                                at,
                                format!(
                                    "the image `{written}` has no alt text: say what it shows, as `![what it shows]({written})`, or mark it decorative with `![\"\"]({written})`"
                                ),
                            ));
                        };
                        // Its files are known once it is read (`images::plan`).
                        let image = Image {
                            src,
                            width: 0,
                            height: 0,
                            alt,
                        };
                        figure = Some((
                            Block::Figure {
                                image,
                                caption: title,
                            },
                            at,
                        ));
                    }
                    (TagEnd::BlockQuote(_), Frame::Blocks(content)) => {
                        push_block(&mut stack, Block::Quote { content })
                    }
                    (TagEnd::Item, Frame::Blocks(blocks)) => {
                        if let Some(Frame::List { items, .. }) = stack.last_mut() {
                            items.push(blocks);
                        }
                    }
                    (
                        TagEnd::List(_),
                        Frame::List {
                            ordered,
                            start,
                            items,
                        },
                    ) => push_block(
                        &mut stack,
                        Block::List {
                            ordered,
                            start: start.filter(|&s| s != 1),
                            items,
                        },
                    ),
                    (TagEnd::CodeBlock, Frame::Code { lang, text: code }) => {
                        text.push_str(&code);
                        let lines = highlight(lang.as_deref(), &code);
                        push_block(&mut stack, Block::Code { lang, lines })
                    }
                    (TagEnd::TableCell, Frame::Inlines(cell)) => {
                        if let Some(Frame::Table { row, .. }) = stack.last_mut() {
                            row.push(cell);
                        }
                    }
                    (TagEnd::TableHead, frame) => {
                        stack.push(frame);
                        if let Some(Frame::Table { head, row, .. }) = stack.last_mut() {
                            *head = std::mem::take(row);
                        }
                    }
                    (TagEnd::TableRow, frame) => {
                        stack.push(frame);
                        if let Some(Frame::Table { rows, row, .. }) = stack.last_mut() {
                            rows.push(std::mem::take(row));
                        }
                    }
                    (
                        TagEnd::Table,
                        Frame::Table {
                            align, head, rows, ..
                        },
                    ) => push_block(&mut stack, Block::Table { align, head, rows }),
                    (end, _) => {
                        return Err(Diagnostic::new(
                            file,
                            line(range.start),
                            format!("could not read this Markdown ({end:?})"),
                        ));
                    }
                }
            }
            Event::Text(t) => match stack.last_mut() {
                Some(Frame::Code { text, .. }) => text.push_str(&t),
                Some(Frame::Image { alt, .. }) => alt.push_str(&t),
                _ => {
                    text.push_str(&t);
                    text.push(' ');
                    push_text(&mut stack, &t)
                }
            },
            Event::Code(c) => {
                text.push_str(&c);
                text.push(' ');
                push_inline(
                    &mut stack,
                    Inline::Code {
                        text: c.to_string(),
                    },
                )
            }
            // Raw HTML is shown as the text it is; it never becomes markup.
            Event::Html(h) | Event::InlineHtml(h) => push_text(&mut stack, &h),
            Event::SoftBreak => push_text(&mut stack, " "),
            Event::HardBreak => push_inline(&mut stack, Inline::Break),
            Event::Rule => push_block(&mut stack, Block::Rule),
            other => {
                return Err(Diagnostic::new(
                    file,
                    line(range.start),
                    format!("unsupported Markdown construct: {other:?}"),
                ));
            }
        }
    }
    let Some(Frame::Blocks(blocks)) = stack.pop() else {
        return Err(Diagnostic::new(file, 0, "could not read this Markdown"));
    };
    Ok(Body {
        blocks,
        toc,
        text,
        internal_links,
        images,
    })
}

fn check_url(file: &str, line: usize, url: &str) -> Result<(), Diagnostic> {
    if is_safe_url(url) {
        Ok(())
    } else {
        Err(Diagnostic::new(
            file,
            line,
            format!(
                "the link `{}` is refused: only http, https and mailto links, and links within the site, are allowed",
                url.escape_debug()
            ),
        ))
    }
}

fn non_empty(s: &str) -> Option<String> {
    (!s.is_empty()).then(|| s.to_string())
}

fn heading_level(l: HeadingLevel) -> u8 {
    match l {
        HeadingLevel::H1 => 1,
        HeadingLevel::H2 => 2,
        HeadingLevel::H3 => 3,
        HeadingLevel::H4 => 4,
        HeadingLevel::H5 => 5,
        HeadingLevel::H6 => 6,
    }
}

fn push_block(stack: &mut [Frame], block: Block) {
    if let Some(Frame::Blocks(b)) = stack.last_mut() {
        b.push(block);
    }
}

fn inlines_mut(frame: &mut Frame) -> Option<&mut Vec<Inline>> {
    match frame {
        Frame::Inlines(v) | Frame::Link { content: v, .. } => Some(v),
        _ => None,
    }
}

fn push_inline(stack: &mut [Frame], inline: Inline) {
    let Some(top) = stack.last_mut() else { return };
    if let Some(v) = inlines_mut(top) {
        v.push(inline);
        return;
    }
    match top {
        // Tight list items hold inlines directly: gather them in a paragraph.
        Frame::Blocks(b) => match b.last_mut() {
            Some(Block::Paragraph { content }) => content.push(inline),
            _ => b.push(Block::Paragraph {
                content: vec![inline],
            }),
        },
        Frame::Image { alt, .. } => alt.push_str(&plain_text(std::slice::from_ref(&inline))),
        _ => {}
    }
}

fn push_text(stack: &mut [Frame], t: &str) {
    if let Some(v) = stack.last_mut().and_then(inlines_mut)
        && let Some(Inline::Text { text }) = v.last_mut()
    {
        text.push_str(t);
        return;
    }
    push_inline(
        stack,
        Inline::Text {
            text: t.to_string(),
        },
    )
}

pub fn plain_text(inlines: &[Inline]) -> String {
    let mut s = String::new();
    for i in inlines {
        match i {
            Inline::Text { text } | Inline::Code { text } => s.push_str(text),
            Inline::Emphasis { content }
            | Inline::Strong { content }
            | Inline::Strikethrough { content }
            | Inline::Link { content, .. } => s.push_str(&plain_text(content)),
            Inline::Break => s.push(' '),
        }
    }
    s
}
