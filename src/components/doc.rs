//! Renders the typed document tree as ordinary elements. There is no path
//! from here to `innerHTML`: every string becomes a text node or an attribute
//! value, and URLs were checked by the content compiler (checked again here,
//! so a tampered API document cannot smuggle a `javascript:` link either).

use keel_model::Article;
use keel_model::doc::{Align, Block, Inline, Span, is_safe_url};
use yew::prelude::*;

use crate::api::Doc;
use crate::components::attrs::{attrs, classed};
use crate::components::link::{AppLink, use_base_path};
use crate::components::picture::{picture, sizes};
use crate::route::Route;

#[derive(Properties, PartialEq)]
pub struct DocProps {
    /// The article whose body this is (by reference: an article is not
    /// rendered again unless the cache read it anew).
    pub article: Doc<Article>,
    /// In an embed, our site's origin ("" inside our own iframe): every link
    /// then opens in a new tab, on our site, instead of routing in place.
    #[prop_or_default]
    pub embed: Option<AttrValue>,
}

#[component]
pub fn Document(props: &DocProps) -> Html {
    let base = use_base_path();
    let cx = Cx {
        embed: props.embed.as_deref(),
        base: &base,
        eager: false,
    };
    // A figure in the first screen loads at once: one of the first two
    // blocks, when no cover is above them.
    let first_screen = props.article.meta.cover.is_none();
    html! {
        <>{ for props.article.body.iter().enumerate().map(|(i, b)| block(b, Cx { eager: first_screen && i < 2, ..cx })) }</>
    }
}

impl Cx<'_> {
    /// A root-relative URL (`/assets/x.png`, `/services`) as it is from here:
    /// under the site's base path, and from our own site in a partner's page
    /// (never from that page's `<base>`). Any other URL as it is.
    fn ours(&self, url: &str) -> String {
        if url.starts_with('/') && !url.starts_with("//") {
            format!("{}{url}", self.embed.unwrap_or(self.base))
        } else {
            url.to_string()
        }
    }
}

/// How links render: routed in place on our site, or opened on it from an embed.
#[derive(Clone, Copy)]
struct Cx<'a> {
    embed: Option<&'a str>,
    /// The site's base path, for root-relative links to our own pages.
    base: &'a str,
    /// The block is in the first screen.
    eager: bool,
}

fn block(b: &Block, cx: Cx) -> Html {
    match b {
        Block::Heading { level, id, content } => {
            let inner = inlines(content, cx);
            // The page title is the only h1; body headings start at h2.
            match level {
                0..=2 => html! { <h2 id={id.clone()}>{ inner }</h2> },
                3 => html! { <h3 id={id.clone()}>{ inner }</h3> },
                4 => html! { <h4 id={id.clone()}>{ inner }</h4> },
                5 => html! { <h5 id={id.clone()}>{ inner }</h5> },
                _ => html! { <h6 id={id.clone()}>{ inner }</h6> },
            }
        }
        Block::Paragraph { content } => html! { <p>{ inlines(content, cx) }</p> },
        Block::List {
            ordered: false,
            items,
            ..
        } => html! {
            <ul>{ for items.iter().map(|i| html! { <li>{ for i.iter().map(|b| block(b, cx)) }</li> }) }</ul>
        },
        Block::List {
            ordered: true,
            start,
            items,
        } => html! {
            <ol start={start.map(|s| s.to_string())}>
                { for items.iter().map(|i| html! { <li>{ for i.iter().map(|b| block(b, cx)) }</li> }) }
            </ol>
        },
        Block::Quote { content } => {
            html! { <blockquote>{ for content.iter().map(|b| block(b, cx)) }</blockquote> }
        }
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
                        <thead><tr>{ for head.iter().enumerate().map(|(i, c)| attrs(html! { <th>{ inlines(c, cx) }</th> }, &["scope", "class"], vec![Some("col".into()), style(i).map(AttrValue::Static)])) }</tr></thead>
                        <tbody>
                            { for rows.iter().map(|r| html! {
                                <tr>{ for r.iter().enumerate().map(|(i, c)| classed(html! { <td>{ inlines(c, cx) }</td> }, style(i))) }</tr>
                            }) }
                        </tbody>
                    </table>
                </div>
            }
        }
        Block::Rule => html! { <hr /> },
        Block::Figure { image, caption } => html! {
            <figure>
                { picture(image, &image.alt, cx.embed.unwrap_or(cx.base), sizes::COLUMN, cx.eager) }
                if let Some(caption) = caption { <figcaption>{ caption }</figcaption> }
            </figure>
        },
    }
}

fn span(s: &Span) -> Html {
    match s.kind {
        Some(k) => classed(html! { <span>{ &s.text }</span> }, Some(k.class())),
        None => html! { { &s.text } },
    }
}

fn inlines(v: &[Inline], cx: Cx) -> Html {
    html! { <>{ for v.iter().map(|i| inline(i, cx)) }</> }
}

fn inline(i: &Inline, cx: Cx) -> Html {
    match i {
        Inline::Text { text } => html! { { text } },
        Inline::Emphasis { content } => html! { <em>{ inlines(content, cx) }</em> },
        Inline::Strong { content } => html! { <strong>{ inlines(content, cx) }</strong> },
        Inline::Strikethrough { content } => html! { <del>{ inlines(content, cx) }</del> },
        Inline::Code { text } => html! { <code>{ text }</code> },
        Inline::Break => html! { <br /> },
        Inline::Link {
            href,
            title,
            content,
        } => link(href, title.as_deref(), inlines(content, cx), cx),
    }
}

fn link(href: &str, title: Option<&str>, children: Html, cx: Cx) -> Html {
    if !is_safe_url(href) {
        return children;
    }
    if cx.embed.is_some() {
        // Never a navigation inside the widget (nor a history entry in the
        // partner's page): our own pages open on our site, in a new tab.
        return html! { <a href={cx.ours(href)} title={title.map(str::to_string)} target="_blank" rel="noopener">{ children }</a> };
    }
    // Links to an article route in place; everything else is a plain link.
    if let Some(slug) = href
        .strip_prefix("/articles/")
        .filter(|s| keel_model::paths::is_valid_slug(s))
    {
        return html! {
            <AppLink to={Route::Article { slug: slug.to_string() }} prefetch={keel_model::paths::article(slug)}>{ children }</AppLink>
        };
    }
    let external = href.starts_with("http://") || href.starts_with("https://");
    html! {
        <a href={cx.ours(href)} title={title.map(str::to_string)}
           rel={external.then_some("noopener noreferrer")}>{ children }</a>
    }
}
