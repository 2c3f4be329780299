//! Renders the typed document tree as ordinary elements. There is no path
//! from here to `innerHTML`: every string becomes a text node or an attribute
//! value, and URLs were checked by the content compiler (checked again here,
//! so a tampered API document cannot smuggle a `javascript:` link either).

use keel_model::doc::{Align, Block, Inline, Span, is_safe_url};
use yew::prelude::*;

use crate::components::link::AppLink;
use crate::route::Route;

#[derive(Properties, PartialEq)]
pub struct DocProps {
    pub blocks: Vec<Block>,
}

#[component]
pub fn Document(props: &DocProps) -> Html {
    html! { <>{ for props.blocks.iter().map(block) }</> }
}

fn block(b: &Block) -> Html {
    match b {
        Block::Heading { level, id, content } => {
            let inner = inlines(content);
            // The page title is the only h1; body headings start at h2.
            match level {
                0..=2 => html! { <h2 id={id.clone()}>{ inner }</h2> },
                3 => html! { <h3 id={id.clone()}>{ inner }</h3> },
                4 => html! { <h4 id={id.clone()}>{ inner }</h4> },
                5 => html! { <h5 id={id.clone()}>{ inner }</h5> },
                _ => html! { <h6 id={id.clone()}>{ inner }</h6> },
            }
        }
        Block::Paragraph { content } => html! { <p>{ inlines(content) }</p> },
        Block::List { ordered: false, items, .. } => html! {
            <ul>{ for items.iter().map(|i| html! { <li>{ for i.iter().map(block) }</li> }) }</ul>
        },
        Block::List { ordered: true, start, items } => html! {
            <ol start={start.map(|s| s.to_string())}>
                { for items.iter().map(|i| html! { <li>{ for i.iter().map(block) }</li> }) }
            </ol>
        },
        Block::Quote { content } => html! { <blockquote>{ for content.iter().map(block) }</blockquote> },
        Block::Code { lang, lines } => {
            let label = lang.clone().map(|l| format!("{l} code"));
            html! {
                <pre tabindex="0" aria-label={label}><code>
                    { for lines.iter().enumerate().map(|(i, l)| html! {
                        <>{ if i > 0 { html! { "\n" } } else { html! {} } }{ for l.iter().map(span) }</>
                    }) }
                </code></pre>
            }
        }
        Block::Table { align, head, rows } => {
            let style = |i: usize| match align.get(i) {
                Some(Align::Center) => Some("align-center"),
                Some(Align::Right) => Some("align-right"),
                _ => None,
            };
            html! {
                <div class="table-wrap" tabindex="0" role="region" aria-label="Table">
                    <table>
                        <thead><tr>{ for head.iter().enumerate().map(|(i, c)| html! { <th scope="col" class={style(i)}>{ inlines(c) }</th> }) }</tr></thead>
                        <tbody>
                            { for rows.iter().map(|r| html! {
                                <tr>{ for r.iter().enumerate().map(|(i, c)| html! { <td class={style(i)}>{ inlines(c) }</td> }) }</tr>
                            }) }
                        </tbody>
                    </table>
                </div>
            }
        }
        Block::Rule => html! { <hr /> },
    }
}

fn span(s: &Span) -> Html {
    match s.kind {
        Some(k) => html! { <span class={k.class()}>{ &s.text }</span> },
        None => html! { { &s.text } },
    }
}

fn inlines(v: &[Inline]) -> Html {
    html! { <>{ for v.iter().map(inline) }</> }
}

fn inline(i: &Inline) -> Html {
    match i {
        Inline::Text { text } => html! { { text } },
        Inline::Emphasis { content } => html! { <em>{ inlines(content) }</em> },
        Inline::Strong { content } => html! { <strong>{ inlines(content) }</strong> },
        Inline::Strikethrough { content } => html! { <del>{ inlines(content) }</del> },
        Inline::Code { text } => html! { <code>{ text }</code> },
        Inline::Break => html! { <br /> },
        Inline::Link { href, title, content } => link(href, title.as_deref(), inlines(content)),
        Inline::Image { src, alt, title } => image(src, alt, title.as_deref()),
    }
}

fn link(href: &str, title: Option<&str>, children: Html) -> Html {
    if !is_safe_url(href) {
        return children;
    }
    // Links to an article route in place; everything else is a plain link.
    if let Some(slug) = href.strip_prefix("/articles/").filter(|s| keel_model::paths::is_valid_slug(s)) {
        return html! {
            <AppLink to={Route::Article { slug: slug.to_string() }} prefetch={keel_model::paths::article(slug)}>{ children }</AppLink>
        };
    }
    let external = href.starts_with("http://") || href.starts_with("https://");
    html! {
        <a href={href.to_string()} title={title.map(str::to_string)}
           rel={external.then_some("noopener noreferrer")}>{ children }</a>
    }
}

fn image(src: &str, alt: &str, title: Option<&str>) -> Html {
    if !is_safe_url(src) {
        return html! { { alt } };
    }
    html! {
        <img src={src.to_string()} alt={alt.to_string()} title={title.map(str::to_string)} loading="lazy" decoding="async" />
    }
}
