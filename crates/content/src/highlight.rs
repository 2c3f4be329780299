//! Build-time code highlighting into typed spans.
//!
//! Syntect parses each line into scopes; we keep only a small fixed set of
//! token kinds (`TokenKind`) so the SPA themes them with a few CSS classes in
//! light and dark. `http` exchanges, which syntect's defaults lack, get a small
//! highlighter of their own, with the body handed to the JSON grammar.

use std::sync::LazyLock;

use keel_model::doc::{Span, TokenKind};
use syntect::parsing::{ParseState, Scope, ScopeStack, SyntaxReference, SyntaxSet};

static SYNTAXES: LazyLock<SyntaxSet> = LazyLock::new(SyntaxSet::load_defaults_newlines);

/// Highlight `code` in `lang`; unknown languages come back as plain lines.
pub fn highlight(lang: Option<&str>, code: &str) -> Vec<Vec<Span>> {
    let code = code.strip_suffix('\n').unwrap_or(code);
    match lang.map(str::to_ascii_lowercase).as_deref() {
        Some("http") => highlight_http(code),
        Some(l) => match find(l) {
            Some(syntax) => highlight_with(syntax, code),
            None => plain(code),
        },
        None => plain(code),
    }
}

fn find(lang: &str) -> Option<&'static SyntaxReference> {
    let alias = match lang {
        "sh" | "shell" | "console" => "bash",
        "yml" => "yaml",
        "js" | "javascript" => "js",
        "ts" | "typescript" => "js",
        "py" => "python",
        "rs" => "rust",
        other => other,
    };
    SYNTAXES.find_syntax_by_token(alias)
}

fn plain(code: &str) -> Vec<Vec<Span>> {
    code.split('\n')
        .map(|l| {
            if l.is_empty() {
                vec![]
            } else {
                vec![Span {
                    kind: None,
                    text: l.to_string(),
                }]
            }
        })
        .collect()
}

fn highlight_with(syntax: &SyntaxReference, code: &str) -> Vec<Vec<Span>> {
    let mut state = ParseState::new(syntax);
    let mut stack = ScopeStack::new();
    let mut out = Vec::new();
    for line in code.split('\n') {
        let with_nl = format!("{line}\n");
        let Ok(ops) = state.parse_line(&with_nl, &SYNTAXES) else {
            // A grammar failure must not fail the build: fall back to plain text.
            return plain(code);
        };
        let mut spans: Vec<Span> = Vec::new();
        let mut pos = 0;
        for (at, op) in ops {
            let at = at.min(line.len());
            if at > pos {
                push(&mut spans, kind_of(&stack), &line[pos..at]);
                pos = at;
            }
            if stack.apply(&op).is_err() {
                return plain(code);
            }
        }
        if pos < line.len() {
            push(&mut spans, kind_of(&stack), &line[pos..]);
        }
        out.push(spans);
    }
    out
}

fn push(spans: &mut Vec<Span>, kind: Option<TokenKind>, text: &str) {
    if text.is_empty() {
        return;
    }
    // Whitespace carries no colour: merge it into the previous span.
    let kind = if text.trim().is_empty() {
        spans.last().and_then(|s| s.kind)
    } else {
        kind
    };
    match spans.last_mut() {
        Some(last) if last.kind == kind => last.text.push_str(text),
        _ => spans.push(Span {
            kind,
            text: text.to_string(),
        }),
    }
}

/// The innermost scope that maps to a token kind decides.
fn kind_of(stack: &ScopeStack) -> Option<TokenKind> {
    stack.as_slice().iter().rev().find_map(|s| classify(*s))
}

fn classify(scope: Scope) -> Option<TokenKind> {
    let name = scope.build_string();
    let has = |p: &str| name == p || name.starts_with(&format!("{p}."));
    Some(if has("comment") || has("punctuation.definition.comment") {
        TokenKind::Comment
    } else if has("string") || has("meta.string") || has("punctuation.definition.string") {
        TokenKind::String
    } else if has("constant.numeric") {
        TokenKind::Number
    } else if has("constant") || has("support.constant") {
        TokenKind::Constant
    } else if has("keyword.operator") {
        TokenKind::Operator
    } else if has("entity.name.type")
        || has("entity.name.class")
        || has("support.type")
        || has("support.class")
        || has("entity.name.struct")
        || has("entity.name.enum")
    {
        TokenKind::Type
    } else if has("keyword") || has("storage") {
        TokenKind::Keyword
    } else if has("entity.name.function")
        || has("support.function")
        || has("variable.function")
        || has("support.macro")
    {
        TokenKind::Function
    } else if has("entity.other.attribute-name")
        || has("meta.mapping.key")
        || has("support.type.property-name")
    {
        TokenKind::Attribute
    } else if has("entity.name.tag") {
        TokenKind::Tag
    } else if has("punctuation") {
        TokenKind::Punctuation
    } else if has("variable.parameter") || has("variable.other") {
        TokenKind::Variable
    } else {
        return None;
    })
}

/// Request or status line, headers, a blank line, then a body (JSON when it
/// looks like JSON).
fn highlight_http(code: &str) -> Vec<Vec<Span>> {
    let mut out = Vec::new();
    let mut lines = code.split('\n');
    let mut in_body = false;
    let mut body = Vec::new();
    let mut first = true;
    for line in lines.by_ref() {
        if in_body {
            body.push(line);
            continue;
        }
        if line.trim().is_empty() {
            out.push(vec![]);
            if !first {
                in_body = true;
            }
            continue;
        }
        let is_start = first || is_start_line(line);
        first = false;
        let mut spans = Vec::new();
        if is_start {
            for (i, word) in line.split(' ').enumerate() {
                if i > 0 {
                    push(&mut spans, None, " ");
                }
                let kind = if word.starts_with("HTTP/") {
                    TokenKind::Constant
                } else if word.chars().all(|c| c.is_ascii_digit()) {
                    TokenKind::Number
                } else if i == 0 {
                    TokenKind::Keyword
                } else if word.starts_with('/') || word.starts_with("http") {
                    TokenKind::String
                } else {
                    TokenKind::Variable
                };
                push(&mut spans, Some(kind), word);
            }
        } else if let Some((name, value)) = line.split_once(':') {
            push(&mut spans, Some(TokenKind::Attribute), name);
            push(&mut spans, Some(TokenKind::Punctuation), ":");
            push(&mut spans, Some(TokenKind::String), value);
        } else {
            push(&mut spans, None, line);
        }
        out.push(spans);
    }
    if !body.is_empty() {
        let text = body.join("\n");
        let t = text.trim_start();
        let hl = if t.starts_with('{') || t.starts_with('[') {
            find("json")
                .map(|s| highlight_with(s, &text))
                .unwrap_or_else(|| plain(&text))
        } else {
            plain(&text)
        };
        out.extend(hl);
    }
    out
}

fn is_start_line(line: &str) -> bool {
    line.starts_with("HTTP/")
        || [
            "GET ", "POST ", "PUT ", "PATCH ", "DELETE ", "HEAD ", "OPTIONS ",
        ]
        .iter()
        .any(|m| line.starts_with(m))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(lines: &[Vec<Span>]) -> String {
        lines
            .iter()
            .map(|l| {
                l.iter()
                    .map(|s| match s.kind {
                        Some(k) => format!("[{}:{}]", k.class().trim_start_matches("tok-"), s.text),
                        None => s.text.clone(),
                    })
                    .collect::<String>()
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn rust_keywords_and_strings() {
        let out = render(&highlight(Some("rust"), "fn main() { let s = \"hi\"; }\n"));
        assert_eq!(
            out,
            "[keyword:fn ][function:main][punctuation:() { ][keyword:let] s [operator:= ][string:\"hi\"][punctuation:; }]"
        );
    }

    #[test]
    fn http_exchange() {
        let out = render(&highlight(
            Some("http"),
            "GET /orders/42 HTTP/1.1\nAccept: application/json\n\n{\"id\": 42}",
        ));
        assert!(
            out.starts_with("[keyword:GET ][string:/orders/42 ][constant:HTTP/1.1]"),
            "{out}"
        );
        assert!(
            out.contains("[attribute:Accept][punctuation::][string: application/json]"),
            "{out}"
        );
        assert!(
            out.ends_with(
                "[punctuation:{][string:\"id\"][punctuation:: ][number:42][punctuation:}]"
            ),
            "{out}"
        );
    }

    #[test]
    fn unknown_language_is_plain_and_keeps_every_line() {
        let lines = highlight(Some("klingon"), "a\n\nb\n");
        assert_eq!(render(&lines), "a\n\nb");
    }
}
