//! Front matter: the TOML block between `+++` lines at the top of an article.

use serde::Deserialize;
use toml::Spanned;

use crate::error::{Diagnostic, line_of};

/// The fields a message may point at are `Spanned`: the TOML parser records
/// where each value is, so a message names its exact line.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FrontMatter {
    pub title: Spanned<String>,
    pub slug: Option<Spanned<String>>,
    pub date: Spanned<toml::value::Datetime>,
    pub updated: Option<Spanned<toml::value::Datetime>>,
    pub summary: Spanned<String>,
    #[serde(default)]
    pub tags: Vec<Spanned<String>>,
    pub author: AuthorFm,
    #[serde(default)]
    pub draft: bool,
    /// `cover = { src = "images/cover.png", alt = "…" }`: an image beside the article.
    pub cover: Option<CoverFm>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CoverFm {
    pub src: Spanned<String>,
    pub alt: Spanned<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthorFm {
    pub name: Spanned<String>,
    pub role: Spanned<String>,
}

/// The front matter, and the Markdown body with the line it starts on.
pub struct Split<'a> {
    pub front: FrontMatter,
    /// The TOML text, to turn a field's span into a line.
    toml: &'a str,
    pub body: &'a str,
    /// Lines before the body (delimiters included), to turn body lines into file lines.
    pub body_line_offset: usize,
}

impl Split<'_> {
    /// The file line of a front-matter value (the `+++` line is line 1).
    pub fn line<T>(&self, value: &Spanned<T>) -> usize {
        line_of(self.toml, value.span().start) + 1
    }
}

pub fn split<'a>(file: &str, text: &'a str) -> Result<Split<'a>, Diagnostic> {
    let text_nobom = text.strip_prefix('\u{feff}').unwrap_or(text);
    let Some(rest) = text_nobom
        .strip_prefix("+++")
        .and_then(|r| r.strip_prefix('\n').or_else(|| r.strip_prefix("\r\n")))
    else {
        return Err(Diagnostic::new(
            file,
            1,
            "an article must start with front matter: a line `+++`, TOML fields (title, date, summary, author…), then another `+++`",
        ));
    };
    // Find the closing delimiter on a line of its own.
    let mut offset = 0;
    let mut close = None;
    for line in rest.split_inclusive('\n') {
        if line.trim_end() == "+++" {
            close = Some((offset, offset + line.len()));
            break;
        }
        offset += line.len();
    }
    let Some((end, body_start)) = close else {
        return Err(Diagnostic::new(
            file,
            1,
            "the front matter is never closed: add a line `+++` after its last field",
        ));
    };
    let toml_text = &rest[..end];
    let front: FrontMatter = toml::from_str(toml_text).map_err(|e| {
        let line = e
            .span()
            .map(|s| line_of(toml_text, s.start) + 1)
            .unwrap_or(1);
        Diagnostic::new(
            file,
            line,
            format!("front matter: {}", first_line(e.message())),
        )
    })?;
    let body = &rest[body_start..];
    let body_line_offset = line_of(text_nobom, text_nobom.len() - body.len()) - 1;
    Ok(Split {
        front,
        toml: toml_text,
        body,
        body_line_offset,
    })
}

/// The TOML parser's message, first line only, in the writer's words rather
/// than our type names.
fn first_line(s: &str) -> String {
    s.lines()
        .next()
        .unwrap_or(s)
        .trim()
        .replace("struct AuthorFm", "an [author] table with name and role")
        .replace("struct FrontMatter", "front matter fields")
}

/// `2025-03-12` from a TOML date, or a message if it has a time or no date.
pub fn date_only(d: &toml::value::Datetime) -> Result<String, String> {
    match (d.date, d.time) {
        (Some(date), None) => Ok(date.to_string()),
        _ => Err(format!("`{d}` should be a plain date like 2025-03-12")),
    }
}

/// The default slug: the title in kebab-case. Apostrophes vanish ("There’s" →
/// "theres"); every other run of non-alphanumerics becomes one hyphen.
pub fn slugify(title: &str) -> String {
    let mut out = String::new();
    let mut pending_hyphen = false;
    for c in title.chars() {
        if matches!(c, '\'' | '’' | '‘') {
            continue;
        }
        if c.is_ascii_alphanumeric() {
            if pending_hyphen && !out.is_empty() {
                out.push('-');
            }
            pending_hyphen = false;
            out.push(c.to_ascii_lowercase());
        } else {
            pending_hyphen = true;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_from_titles() {
        assert_eq!(
            slugify("Why Backend Developers Often Carry the Most Responsibility in a Team"),
            "why-backend-developers-often-carry-the-most-responsibility-in-a-team"
        );
        assert_eq!(
            slugify("Why Code Quality Suffers When There’s No Tech Lead"),
            "why-code-quality-suffers-when-theres-no-tech-lead"
        );
        assert_eq!(
            slugify("REST Is Not Just Using HTTP. Here Is What It Actually Means."),
            "rest-is-not-just-using-http-here-is-what-it-actually-means"
        );
    }
}
