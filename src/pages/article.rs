use keel_model::{Article as ArticleDoc, Site};
use yew::prelude::*;

use crate::api::{FetchError, Resource, use_api};
use crate::components::attrs::classed;
use crate::components::card::{article_card, human_date};
use crate::components::cta::call_to_action;
use crate::components::doc::Document;
use crate::components::link::{AppLink, use_base_path};
use crate::components::offices::offices;
use crate::components::picture::{picture, sizes};
use crate::components::status::{error_box, text_skeleton};
use crate::pages::not_found::not_found;
use crate::route::ArticlesQuery;
use crate::route::Route;

#[derive(Properties, PartialEq)]
pub struct ArticleProps {
    pub slug: String,
}

#[component]
pub fn Article(props: &ArticleProps) -> Html {
    if !keel_model::paths::is_valid_slug(&props.slug) {
        return not_found();
    }
    let data = use_api::<ArticleDoc>(keel_model::paths::article(&props.slug));
    let site = use_api::<Site>(keel_model::paths::site());
    let base = use_base_path();
    let a = match data.state {
        Resource::Ready(a) => a,
        Resource::Loading => {
            return html! { <div class="container">{ text_skeleton("the article", 14) }</div> };
        }
        Resource::Failed(FetchError::NotFound) => return not_found(),
        Resource::Failed(error) => {
            return html! { <div class="container">{ error_box(&error, &data.retry, "this article") }</div> };
        }
    };
    let m = &a.meta;
    let toc = (!a.toc.is_empty()).then(|| {
        let items = html! {
            <ol>
                { for a.toc.iter().map(|t| html! {
                    { classed(html! { <li><a href={format!("#{}", t.id)}>{ &t.text }</a></li> }, (t.level > 2).then_some("sub")) }
                }) }
            </ol>
        };
        // Beside the text on wide screens; above it, collapsed, on phones.
        // Both are in the page; CSS shows one (display:none hides the other
        // from assistive technology too), so no script decides the layout.
        html! {
            <nav class="toc" aria-label="On this page">
                <div class="toc-wide">
                    <p class="toc-title">{ "On this page" }</p>
                    { items.clone() }
                </div>
                <details class="toc-narrow">
                    <summary>{ "On this page" }</summary>
                    { items }
                </details>
            </nav>
        }
    });
    html! {
        <div class="container">
            <article>
                <header class="article-header">
                    <p class="eyebrow"><AppLink to={Route::Articles}>{ "Articles" }</AppLink></p>
                    <h1 id="page-title" tabindex="-1">{ &m.title }</h1>
                    <p class="byline">
                        { "By " }<strong>{ &m.author.name }</strong>{ format!(", {}", m.author.role) }
                        <br />
                        <time datetime={m.date.clone()}>{ human_date(&m.date) }</time>
                        if let Some(u) = &m.updated { { " · updated " }<time datetime={u.clone()}>{ human_date(u) }</time> }
                        { format!(" · {} min read", m.reading_minutes) }
                    </p>
                    <ul class="tags" aria-label="Tags">
                        { for m.tags.iter().map(|t| html! {
                            <li><AppLink class="tag" to={Route::Articles} query={ArticlesQuery { tag: Some(t.clone()), ..Default::default() }}>{ t }</AppLink></li>
                        }) }
                    </ul>
                    if let Some(cover) = &m.cover { <div class="cover">{ picture(cover, &cover.alt, &base, sizes::HEADER, true) }</div> }
                </header>
                <div class="article-layout">
                    { toc.unwrap_or_default() }
                    <div class="prose">
                        <Document article={a.clone()} />
                    </div>
                </div>
            </article>
            if !a.more.is_empty() {
                <section class="section" aria-labelledby="more-heading">
                    <h2 id="more-heading">{ "More articles" }</h2>
                    <ul class="cards">
                        { for a.more.iter().map(|s| html! { <li>{ article_card(s, 3, None, &base, false) }</li> }) }
                    </ul>
                </section>
            }
            if let Resource::Ready(site) = site.state {
                { call_to_action(&site.contact.heading, &site.contact.lead, "Start the conversation", offices(&site.offices)) }
            }
        </div>
    }
}
