//! The article index: paged, filterable by tag, searchable in place. The
//! filter, the search and the page live in the URL, so a view can be linked
//! and back/forward walk through them.

use keel_model::{ArticlePage, ArticleSummary, SearchIndex, Site};
use yew::prelude::*;
use yew_router::prelude::*;

use crate::api::{Resource, use_api};
use crate::components::card::ArticleCard;
use crate::components::link::{AppLink, ArticlesQuery};
use crate::components::status::{CardsSkeleton, ErrorBox};
use crate::route::Route;

#[component]
pub fn Articles() -> Html {
    let location = use_location();
    let query: ArticlesQuery = location.as_ref().and_then(|l| l.query::<ArticlesQuery>().ok()).unwrap_or_default();
    let site = use_api::<Site>(keel_model::paths::site());
    let navigator = use_navigator();

    let on_search = {
        let query = query.clone();
        Callback::from(move |e: InputEvent| {
            let Some(input) = e.target_dyn_into::<web_sys::HtmlInputElement>() else { return };
            let q = input.value();
            let next = ArticlesQuery { q: Some(q).filter(|s| !s.trim().is_empty()), page: None, ..query.clone() };
            if let Some(nav) = &navigator {
                // Replace, not push: typing must not fill the history.
                let _ = nav.replace_with_query(&Route::Articles, &next);
            }
        })
    };
    let tag_links = match &site.state {
        Resource::Ready(site) => html! {
            <ul class="tags" aria-label="Filter by tag">
                <li>
                    <AppLink class="tag" to={Route::Articles} query={ArticlesQuery { q: query.q.clone(), ..Default::default() }}
                             current={query.tag.is_none().then_some(AttrValue::Static("true"))}>{ "All" }</AppLink>
                </li>
                { for site.tags.iter().map(|t| {
                    let here = query.tag.as_deref() == Some(t.tag.as_str());
                    html! {
                        <li>
                            <AppLink class="tag" to={Route::Articles}
                                     query={ArticlesQuery { tag: Some(t.tag.clone()), q: query.q.clone(), page: None }}
                                     current={here.then_some(AttrValue::Static("true"))}
                                     label={AttrValue::from(format!("{} ({} articles)", t.tag, t.count))}>
                                { format!("{} ({})", t.tag, t.count) }
                            </AppLink>
                        </li>
                    }
                }) }
            </ul>
        },
        _ => html! { <div style="min-height:2rem"></div> },
    };

    let heading = match &query.tag {
        Some(t) => format!("Articles tagged “{t}”"),
        None => "Articles".to_string(),
    };
    html! {
        <div class="container">
            <header class="hero" style="padding-bottom:1.5rem">
                <p class="eyebrow">{ "Writing" }</p>
                <h1 id="page-title" tabindex="-1">{ heading }</h1>
                <p class="lead">{ "Notes from production: APIs, reliability, and the teams that keep backends running." }</p>
            </header>
            <div class="filters" role="search">
                <div class="field" style="margin:0;flex:1 1 16rem;max-width:28rem">
                    <label for="search">{ "Search articles" }</label>
                    <input id="search" type="search" value={query.q.clone().unwrap_or_default()} oninput={on_search}
                           autocomplete="off" aria-controls="results" placeholder="e.g. caching, OAuth, tech lead" />
                </div>
                { tag_links }
            </div>
            if query.q.as_deref().is_some_and(|q| !q.trim().is_empty()) {
                <SearchResults query={query.clone()} />
            } else {
                <PagedList query={query.clone()} />
            }
        </div>
    }
}

#[derive(Properties, PartialEq)]
struct ListProps {
    query: ArticlesQuery,
}

#[component]
fn PagedList(props: &ListProps) -> Html {
    let page = props.query.page.unwrap_or(1).max(1);
    let path = match &props.query.tag {
        Some(t) if keel_model::paths::is_valid_slug(t) => keel_model::paths::tag_page(t, page),
        Some(_) => keel_model::paths::tag_page("-", page), // an impossible tag: a clean 404
        None => keel_model::paths::articles_page(page),
    };
    let data = use_api::<ArticlePage>(path);
    match data.state {
        Resource::Loading => html! { <CardsSkeleton label="articles" cards={6} /> },
        Resource::Failed(crate::api::FetchError::NotFound) => html! {
            <div class="status" id="results">
                <h2>{ "No articles here" }</h2>
                <p>{ "This page or tag has no articles. " }<AppLink to={Route::Articles}>{ "See all articles" }</AppLink></p>
            </div>
        },
        Resource::Failed(error) => html! { <ErrorBox {error} retry={data.retry} what="the articles" /> },
        Resource::Ready(p) => {
            let link = |n: u32| ArticlesQuery { tag: props.query.tag.clone(), q: None, page: (n > 1).then_some(n) };
            html! {
                <section id="results" aria-label="Articles">
                    <p class="meta" role="status">{ format!("{} article{}", p.total, if p.total == 1 { "" } else { "s" }) }
                        if p.pages > 1 { { format!(" · page {} of {}", p.page, p.pages) } }
                    </p>
                    <ul class="cards">
                        { for p.items.iter().map(|a| html! { <li><ArticleCard article={a.clone()} level={2} /></li> }) }
                    </ul>
                    if p.pages > 1 {
                        <nav class="pager" aria-label="Pages">
                            if p.prev.is_some() {
                                <AppLink class="button secondary" to={Route::Articles} query={link(p.page - 1)}>{ "← Newer" }</AppLink>
                            } else { <span></span> }
                            if p.next.is_some() {
                                <AppLink class="button secondary" to={Route::Articles} query={link(p.page + 1)}>{ "Older →" }</AppLink>
                            }
                        </nav>
                    }
                </section>
            }
        }
    }
}

#[component]
fn SearchResults(props: &ListProps) -> Html {
    let index = use_api::<SearchIndex>(keel_model::paths::search());
    match index.state {
        Resource::Loading => html! { <CardsSkeleton label="search results" /> },
        Resource::Failed(error) => html! { <ErrorBox {error} retry={index.retry} what="the search index" /> },
        Resource::Ready(index) => {
            let q = props.query.q.clone().unwrap_or_default();
            let hits = search(&index, &q, props.query.tag.as_deref());
            html! {
                <section id="results" aria-label="Search results">
                    <p class="meta" role="status">{ format!("{} result{} for “{}”", hits.len(), if hits.len() == 1 { "" } else { "s" }, q.trim()) }</p>
                    <ul class="cards">
                        { for hits.into_iter().map(|a| html! { <li><ArticleCard article={a} level={2} /></li> }) }
                    </ul>
                </section>
            }
        }
    }
}

/// Every word of the query must occur in the title, summary, tags or body
/// terms; title hits rank first.
pub fn search(index: &SearchIndex, q: &str, tag: Option<&str>) -> Vec<ArticleSummary> {
    let words: Vec<String> = q.to_lowercase().split_whitespace().map(str::to_string).collect();
    let mut hits: Vec<(bool, ArticleSummary)> = index
        .docs
        .iter()
        .filter(|d| tag.is_none_or(|t| d.tags.iter().any(|x| x == t)))
        .filter_map(|d| {
            let title = d.title.to_lowercase();
            let hay = format!("{title} {} {} {}", d.summary.to_lowercase(), d.tags.join(" "), d.terms);
            words.iter().all(|w| hay.contains(w.as_str())).then(|| {
                let summary = ArticleSummary {
                    slug: d.slug.clone(),
                    title: d.title.clone(),
                    summary: d.summary.clone(),
                    date: d.date.clone(),
                    updated: None,
                    tags: d.tags.clone(),
                    author: d.author.clone(),
                    reading_minutes: d.reading_minutes,
                    cover: None,
                };
                (words.iter().any(|w| title.contains(w.as_str())), summary)
            })
        })
        .collect();
    hits.sort_by_key(|(in_title, _)| std::cmp::Reverse(*in_title));
    hits.into_iter().map(|(_, s)| s).collect()
}
