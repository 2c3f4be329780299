//! An article body as HTML, for the Atom feed's `<content type="html">`
//! (feed readers show it as the article). The SPA never uses this: it renders
//! the typed tree as elements. Every string is escaped and every URL was
//! checked by the compiler; relative links become absolute on `origin`.

use keel_model::doc::{Align, Block, Inline};

pub fn body(blocks: &[Block], origin: &str) -> String {
    let mut out = String::new();
    for b in blocks {
        block(&mut out, b, origin);
    }
    out
}

fn url(u: &str, origin: &str) -> String {
    if u.starts_with('/') && !u.starts_with("//") {
        format!("{origin}{u}")
    } else {
        u.to_string()
    }
}

fn block(out: &mut String, b: &Block, origin: &str) {
    match b {
        Block::Heading { level, id, content } => {
            out.push_str(&format!("<h{level} id=\"{}\">", esc(id)));
            inlines(out, content, origin);
            out.push_str(&format!("</h{level}>"));
        }
        Block::Paragraph { content } => {
            out.push_str("<p>");
            inlines(out, content, origin);
            out.push_str("</p>");
        }
        Block::List {
            ordered,
            start,
            items,
        } => {
            let tag = if *ordered { "ol" } else { "ul" };
            match start {
                Some(s) if *ordered && *s != 1 => out.push_str(&format!("<ol start=\"{s}\">")),
                _ => out.push_str(&format!("<{tag}>")),
            }
            for item in items {
                out.push_str("<li>");
                for b in item {
                    block(out, b, origin);
                }
                out.push_str("</li>");
            }
            out.push_str(&format!("</{tag}>"));
        }
        Block::Quote { content } => {
            out.push_str("<blockquote>");
            for b in content {
                block(out, b, origin);
            }
            out.push_str("</blockquote>");
        }
        Block::Code { lines, .. } => {
            out.push_str("<pre><code>");
            for (i, line) in lines.iter().enumerate() {
                if i > 0 {
                    out.push('\n');
                }
                for span in line {
                    out.push_str(&esc(&span.text));
                }
            }
            out.push_str("</code></pre>");
        }
        Block::Table { align, head, rows } => {
            out.push_str("<table><thead><tr>");
            let style = |i: usize| match align.get(i) {
                Some(Align::Left) => " align=\"left\"",
                Some(Align::Center) => " align=\"center\"",
                Some(Align::Right) => " align=\"right\"",
                _ => "",
            };
            for (i, cell) in head.iter().enumerate() {
                out.push_str(&format!("<th{}>", style(i)));
                inlines(out, cell, origin);
                out.push_str("</th>");
            }
            out.push_str("</tr></thead><tbody>");
            for row in rows {
                out.push_str("<tr>");
                for (i, cell) in row.iter().enumerate() {
                    out.push_str(&format!("<td{}>", style(i)));
                    inlines(out, cell, origin);
                    out.push_str("</td>");
                }
                out.push_str("</tr>");
            }
            out.push_str("</tbody></table>");
        }
        Block::Rule => out.push_str("<hr>"),
        Block::Figure { image, caption } => {
            out.push_str(&format!(
                "<figure><img src=\"{}\" alt=\"{}\" width=\"{}\" height=\"{}\">",
                esc(&url(&image.src, origin)),
                esc(&image.alt),
                image.width,
                image.height
            ));
            if let Some(caption) = caption {
                out.push_str(&format!("<figcaption>{}</figcaption>", esc(caption)));
            }
            out.push_str("</figure>");
        }
    }
}

fn inlines(out: &mut String, content: &[Inline], origin: &str) {
    for i in content {
        match i {
            Inline::Text { text } => out.push_str(&esc(text)),
            Inline::Emphasis { content } => wrap(out, "em", content, origin),
            Inline::Strong { content } => wrap(out, "strong", content, origin),
            Inline::Strikethrough { content } => wrap(out, "del", content, origin),
            Inline::Code { text } => out.push_str(&format!("<code>{}</code>", esc(text))),
            Inline::Link { href, content, .. } => {
                out.push_str(&format!("<a href=\"{}\">", esc(&url(href, origin))));
                inlines(out, content, origin);
                out.push_str("</a>");
            }
            Inline::Break => out.push_str("<br>"),
        }
    }
}

fn wrap(out: &mut String, tag: &str, content: &[Inline], origin: &str) {
    out.push_str(&format!("<{tag}>"));
    inlines(out, content, origin);
    out.push_str(&format!("</{tag}>"));
}

/// XML text and attribute escaping (HTML's quoted-attribute rules are XML's
/// too), without the control characters XML 1.0 cannot carry at all.
pub fn esc(s: &str) -> String {
    let allowed = |c: char| (c as u32) >= 0x20 || matches!(c, '\n' | '\t' | '\r');
    let kept: std::borrow::Cow<'_, str> = if s.chars().all(allowed) {
        s.into()
    } else {
        s.chars().filter(|&c| allowed(c)).collect::<String>().into()
    };
    html_escape::encode_quoted_attribute(&kept).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_text_stays_text_and_links_become_absolute() {
        let blocks = crate::markdown::parse(
            "t.md",
            "a <script>x</script> [a](/articles/b) **&**\n\n```\n<b>\n```",
            0,
        )
        .unwrap()
        .blocks;
        assert_eq!(
            body(&blocks, "https://k.example"),
            "<p>a &lt;script&gt;x&lt;/script&gt; <a href=\"https://k.example/articles/b\">a</a> <strong>&amp;</strong></p><pre><code>&lt;b&gt;</code></pre>"
        );
    }

    #[test]
    fn esc_escapes_markup_and_quotes_and_drops_what_xml_cannot_carry() {
        assert_eq!(
            super::esc("a<b>&\"c\" 'd'"),
            "a&lt;b&gt;&amp;&quot;c&quot; &#x27;d&#x27;"
        );
        assert_eq!(super::esc("bell\u{7}\tline\n"), "bell\tline\n");
    }
}
