//! The article index: paged, filterable by tag, searchable in place. The
//! filter, the search and the page live in the URL, so a view can be linked
//! and back/forward walk through them.
//!
//! Search reads the sharded index (`keel_model::search`): the small meta
//! document, then only the shards the query's words fall in, then one small
//! summary per result on screen.

use std::collections::BTreeMap;
use std::rc::Rc;

use keel_model::search::{self, SearchMeta, SearchShard};
use keel_model::{ArticlePage, ArticleSummary, Site};
use serde::de::DeserializeOwned;
use wasm_bindgen::JsCast;
use yew::prelude::*;

use crate::api::{Doc, FetchError, Resource, UseApi, use_api};
use crate::components::card::article_card;
use crate::components::link::{AppLink, use_base_path};
use crate::components::status::{cards_skeleton, error_box};
use crate::nav::use_location;
use crate::route::ArticlesQuery;
use crate::route::Route;

#[component]
pub fn Articles() -> Html {
    let location = use_location();
    let query = location.articles_query();
    let site = use_api::<Site>(keel_model::paths::site());
    let navigator = crate::env::use_env().navigator;

    let on_search = {
        let query = query.clone();
        Callback::from(move |e: InputEvent| {
            let Some(input) = e.target_dyn_into::<web_sys::HtmlInputElement>() else {
                return;
            };
            let next = searching(&query, input.value());
            if next != query {
                // Replace, not push: typing must not fill the history, and a
                // replace keeps the visit (`Here::visit`), so focus and
                // scroll stay where they are.
                navigator.replace(&Route::Articles, next.to_query_string());
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
        _ => html! { <div class="tags-pending"></div> },
    };

    let heading = heading(&query);
    html! {
        <div class="container">
            <header class="hero index-hero">
                <p class="eyebrow">{ "Writing" }</p>
                <h1 id="page-title" tabindex="-1">{ heading }</h1>
                <p class="lead">{ "Notes from production: APIs, reliability, and the teams that keep backends running." }</p>
            </header>
            <div class="filters" role="search">
                <div class="field search-field">
                    <label for="search">{ "Search articles" }</label>
                    <input id="search" type="search" value={query.q.clone().unwrap_or_default()} oninput={on_search}
                           autocomplete="off" aria-controls="results" placeholder="e.g. caching, OAuth, tech lead" />
                </div>
                { tag_links }
            </div>
            if search_words(&query).is_some() {
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
    let data = use_api::<ArticlePage>(list_path(&props.query));
    let base = use_base_path();
    match data.state {
        Resource::Loading => cards_skeleton("articles", 6),
        Resource::Failed(crate::api::FetchError::NotFound) => html! {
            <div class="status" id="results">
                <h2>{ "No articles here" }</h2>
                <p>{ "This page or tag has no articles. " }<AppLink to={Route::Articles}>{ "See all articles" }</AppLink></p>
            </div>
        },
        Resource::Failed(error) => error_box(&error, &data.retry, "the articles"),
        Resource::Ready(p) => {
            let link = |n: u32| ArticlesQuery {
                tag: props.query.tag.clone(),
                q: None,
                page: (n > 1).then_some(n),
            };
            html! {
                <section id="results" aria-label="Articles">
                    <p class="meta" role="status">{ format!("{} article{}", p.total, if p.total == 1 { "" } else { "s" }) }
                        if p.pages > 1 { { format!(" · page {} of {}", p.page, p.pages) } }
                    </p>
                    <ul class="cards">
                        { for p.items.iter().enumerate().map(|(i, a)| html! { <li>{ article_card(a, 2, None, &base, i == 0) }</li> }) }
                    </ul>
                    if p.pages > 1 {
                        <nav class="pager" aria-label="Pages">
                            if p.prev.is_some() {
                                <AppLink class="button secondary" to={Route::Articles} query={link(p.page - 1)}>{ "← Newer" }</AppLink>
                            } else { <span></span> }
                            <ol class="pages">
                                { for page_links(p.page, p.pages).into_iter().map(|n| match n {
                                    Some(n) => html! {
                                        <li><AppLink class="tag" to={Route::Articles} query={link(n)}
                                                     current={(n == p.page).then_some(AttrValue::Static("page"))}
                                                     label={AttrValue::from(format!("Page {n}"))}>{ n }</AppLink></li>
                                    },
                                    None => html! { <li aria-hidden="true">{ "…" }</li> },
                                }) }
                            </ol>
                            if p.next.is_some() {
                                <AppLink class="button secondary" to={Route::Articles} query={link(p.page + 1)}>{ "Older →" }</AppLink>
                            } else { <span></span> }
                        </nav>
                    }
                </section>
            }
        }
    }
}

/// The index's heading: which articles it lists.
fn heading(query: &ArticlesQuery) -> String {
    match &query.tag {
        Some(t) => format!("Articles tagged “{t}”"),
        None => "Articles".to_string(),
    }
}

/// The index's document title (before the site's name): its heading, and
/// the page past the first. Each filter and page has its own, so a screen
/// reader hears where a link led, and history entries can be told apart.
pub(crate) fn title(query: &ArticlesQuery) -> String {
    match query.page.filter(|&p| p > 1) {
        Some(page) => format!("{}, page {page}", heading(query)),
        None => heading(query),
    }
}

/// The view after typing `typed` into the search field: the same tag, the
/// first page of results, and no search at all for blank input.
pub(crate) fn searching(query: &ArticlesQuery, typed: String) -> ArticlesQuery {
    ArticlesQuery {
        q: Some(typed).filter(|s| !s.trim().is_empty()),
        page: None,
        ..query.clone()
    }
}

/// The search the view shows, if any: a query of only spaces is none, and
/// the index lists articles instead.
fn search_words(query: &ArticlesQuery) -> Option<&str> {
    query.q.as_deref().map(str::trim).filter(|q| !q.is_empty())
}

/// The document of the list the view shows when it is not searching.
fn list_path(query: &ArticlesQuery) -> String {
    let page = query.page.unwrap_or(1).max(1);
    match &query.tag {
        Some(t) if keel_model::paths::is_valid_slug(t) => keel_model::paths::tag_page(t, page),
        Some(_) => keel_model::paths::tag_page("-", page), // an impossible tag: a clean 404
        None => keel_model::paths::articles_page(page),
    }
}

/// The page numbers to link from page `current` of `pages`: the first, the
/// last, and two either side of the current one; `None` where a run is left
/// out (a run of one page is shown instead). Nine links at most, so the pager
/// fits a phone's width.
///
/// Only the pages that can be shown are looked at, so a page count of
/// billions (a tampered document) costs no more than one of ten.
pub fn page_links(current: u32, pages: u32) -> Vec<Option<u32>> {
    let kept = |n: u32| n == 1 || n == pages || n.abs_diff(current) <= 2;
    // Every page that may be shown (kept, or a gap of one between kept
    // ones), in order: the first three, three either side of the current
    // one, the last three. Each run is ascending and none starts before the
    // one ahead of it could end, so skipping what was seen keeps the order.
    let near = (1..=3u32)
        .chain(current.saturating_sub(3)..=current.saturating_add(3))
        .chain(pages.saturating_sub(2)..=pages)
        .filter(|n| (1..=pages).contains(n));
    let mut out = Vec::new();
    let mut last = 0;
    for n in near {
        if n <= last {
            continue;
        }
        let shown = kept(n) || (kept(n - 1) && kept(n + 1));
        // A page skipped between two looked at is one never shown.
        if (n > last + 1 || !shown) && out.last() != Some(&None) && !out.is_empty() {
            out.push(None);
        }
        if shown {
            out.push(Some(n));
        }
        last = n;
    }
    out
}

/// How many results show at first, and how many more each "Show more" adds.
const RESULTS_STEP: usize = 10;

/// How many results "Show more" had revealed, kept in the history entry
/// (`nav::Navigator::keep`): Back to the results shows as many again, so the
/// scroll position restored is the one the visitor left.
struct ShownResults(usize);

/// Reads the search index's summary, fetches only the shards the query's
/// words fall in, ranks, then shows the first results, each fetching its own
/// small summary.
#[component]
fn SearchResults(props: &ListProps) -> Html {
    let q = props.query.q.clone().unwrap_or_default();
    let meta = use_api::<SearchMeta>(keel_model::paths::search_meta());
    // No shard until the summary names them (an empty set is ready at once).
    let needed = match &meta.state {
        Resource::Ready(meta) => meta.shards_for_query(&q),
        _ => Vec::new(),
    };
    let shards = use_api_all::<SearchShard>(
        needed
            .iter()
            .map(|n| keel_model::paths::search_shard(*n))
            .collect(),
    );
    let kept = crate::nav::use_kept::<ShownResults>().map(|s| s.0);
    let shown = use_state_eq(|| kept.unwrap_or(RESULTS_STEP));
    {
        // Another query shows its first results (the one it started with keeps its count).
        let shown = shown.clone();
        let first = use_mut_ref(|| q.clone());
        use_effect_with(q.clone(), move |q| {
            if *first.borrow() != *q {
                *first.borrow_mut() = q.clone();
                shown.set(RESULTS_STEP);
            }
        });
    }
    let navigator = crate::env::use_env().navigator;
    // After "Show more", focus goes to the first result it revealed: the
    // button, after the list, may be gone, and a keyboard would otherwise have
    // to walk back up to the new results.
    let cards = use_node_ref();
    let revealed = use_mut_ref(|| None::<usize>);
    {
        let (cards, revealed) = (cards.clone(), revealed.clone());
        use_effect_with(*shown, move |_| {
            let first = revealed.borrow_mut().take();
            if let (Some(i), Some(ul)) = (first, cards.cast::<web_sys::Element>())
                && let Ok(Some(li)) =
                    ul.query_selector(&format!(":scope > li:nth-child({})", i + 1))
                && let Ok(li) = li.dyn_into::<web_sys::HtmlElement>()
            {
                let _ = li.focus();
            }
        });
    }
    // One "Try again" for the summary and the shards alike, so that a retry
    // of the summary that then fails at a shard keeps focus on the button
    // (`use_retry`).
    let settled = match (&meta.state, &shards.state) {
        (Resource::Failed(_), _) | (Resource::Ready(_), Resource::Failed(_)) => Some(true),
        (Resource::Ready(_), Resource::Ready(_)) => Some(false),
        _ => None,
    };
    let again = {
        let summary_failed = matches!(meta.state, Resource::Failed(_));
        let (summary, shards) = (meta.retry.run.clone(), shards.retry.run.clone());
        Callback::from(move |()| {
            if summary_failed {
                summary.emit(())
            } else {
                shards.emit(())
            }
        })
    };
    let retry = crate::api::use_retry(again, settled);
    let meta = match meta.state {
        Resource::Loading => return cards_skeleton("search results", 3),
        Resource::Failed(error) => return error_box(&error, &retry, "the search index"),
        Resource::Ready(meta) => meta,
    };
    match shards.state {
        Resource::Loading => cards_skeleton("search results", 3),
        Resource::Failed(error) => error_box(&error, &retry, "the search index"),
        Resource::Ready(list) => {
            // Inserted one by one: collecting would sort (code in the wasm)
            // what `shards_for_query` already returned in order.
            let mut by_n: BTreeMap<u32, &SearchShard> = BTreeMap::new();
            for (n, s) in needed.iter().zip(&*list) {
                by_n.insert(*n, s);
            }
            let hits = search::rank(&meta, &by_n, &q, props.query.tag.as_deref());
            let more = {
                let shown = shown.clone();
                Callback::from(move |_: MouseEvent| {
                    // Read once: the handle reads the newest value, so after
                    // `set` it is already the next count.
                    let (now, next) = (*shown, *shown + RESULTS_STEP);
                    *revealed.borrow_mut() = Some(now);
                    shown.set(next);
                    navigator.keep(ShownResults(next));
                })
            };
            html! {
                <section id="results" aria-label="Search results">
                    <p class="meta" role="status">{ format!("{} result{} for “{}”", hits.len(), if hits.len() == 1 { "" } else { "s" }, q.trim()) }</p>
                    <ul class="cards" ref={cards}>
                        { for hits.iter().take(*shown).map(|&id| html! { <li key={id} tabindex="-1"><SearchHit {id} query={q.clone()} /></li> }) }
                    </ul>
                    if hits.len() > *shown {
                        <p><button class="button secondary" type="button" onclick={more}>{ format!("Show more ({} left)", hits.len() - *shown) }</button></p>
                    }
                </section>
            }
        }
    }
}

#[derive(Properties, PartialEq)]
struct HitProps {
    id: u32,
    query: String,
}

#[component]
fn SearchHit(props: &HitProps) -> Html {
    let doc = use_api::<ArticleSummary>(keel_model::paths::search_doc(props.id));
    let base = use_base_path();
    match doc.state {
        Resource::Ready(a) => article_card(&a, 2, Some(&props.query), &base, false),
        Resource::Failed(error) => error_box(&error, &doc.retry, "this result"),
        Resource::Loading => html! { <div class="card skeleton" aria-hidden="true"></div> },
    }
}

/// Several documents at once: ready when all are, failed when one failed.
#[hook]
fn use_api_all<T: DeserializeOwned + 'static>(paths: Vec<String>) -> UseApi<Vec<Rc<T>>> {
    let cache = crate::env::use_env().cache;
    let tick = use_force_update();
    let parsed: Vec<Option<Result<Rc<T>, FetchError>>> =
        paths.iter().map(|p| cache.read_as::<T>(p)).collect();
    {
        let cache = cache.clone();
        let tick = tick.clone();
        let missing: Vec<String> = paths
            .iter()
            .zip(&parsed)
            .filter(|(_, s)| s.is_none())
            .map(|(p, _)| p.clone())
            .collect();
        use_effect_with(missing, move |missing| {
            for p in missing {
                let tick = tick.clone();
                cache.load(p, Some(Callback::from(move |_| tick.force_update())));
            }
        });
    }
    let again = {
        let cache = cache.clone();
        let paths = paths.clone();
        let unreadable: Vec<bool> = parsed.iter().map(|p| matches!(p, Some(Err(_)))).collect();
        Callback::from(move |_| {
            for (p, &unreadable) in paths.iter().zip(&unreadable) {
                cache.forget_failure(p, unreadable);
                let tick = tick.clone();
                cache.load(p, Some(Callback::from(move |_| tick.force_update())));
            }
            // Loading again, now: the error and its button give way.
            tick.force_update();
        })
    };
    // A failed fetch fails the set at once; one that could not be read, once all are in.
    let failed = paths.iter().find_map(|p| cache.settled(p)?.err());
    let state = match failed {
        Some(e) => Resource::Failed(e),
        None => match parsed
            .iter()
            .cloned()
            .collect::<Option<Result<Vec<_>, _>>>()
        {
            Some(Ok(all)) => Resource::Ready(Doc::new(all)),
            Some(Err(e)) => Resource::Failed(e),
            None => Resource::Loading,
        },
    };
    let now = match state {
        Resource::Loading => None,
        Resource::Ready(_) => Some(false),
        Resource::Failed(_) => Some(true),
    };
    let retry = crate::api::use_retry(again, now);
    UseApi { state, retry }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(tag: Option<&str>, q: Option<&str>, page: Option<u32>) -> ArticlesQuery {
        ArticlesQuery {
            tag: tag.map(Into::into),
            q: q.map(Into::into),
            page,
        }
    }

    #[test]
    fn typing_a_search_keeps_the_tag_and_starts_at_the_first_page() {
        let on_page_3 = query(Some("rest"), None, Some(3));
        assert_eq!(
            searching(&on_page_3, "cache".into()),
            query(Some("rest"), Some("cache"), None)
        );
        assert_eq!(
            searching(&on_page_3, "  ".into()),
            query(Some("rest"), None, None),
            "blank input is no search"
        );
        assert_eq!(
            search_words(&query(None, Some(" oauth "), None)),
            Some("oauth")
        );
        assert_eq!(
            search_words(&query(None, Some("   "), None)),
            None,
            "spaces list the articles"
        );
    }

    #[test]
    fn each_filter_and_page_of_the_index_has_its_own_title() {
        assert_eq!(title(&query(None, None, None)), "Articles");
        assert_eq!(title(&query(None, None, Some(1))), "Articles");
        assert_eq!(
            title(&query(Some("rest"), None, None)),
            "Articles tagged “rest”"
        );
        assert_eq!(
            title(&query(Some("rest"), Some("x"), Some(3))),
            "Articles tagged “rest”, page 3"
        );
    }

    #[test]
    fn the_list_reads_the_tags_or_the_indexs_page() {
        assert_eq!(
            list_path(&query(None, None, None)),
            "/api/v1/articles/page/1.json"
        );
        assert_eq!(
            list_path(&query(None, None, Some(0))),
            "/api/v1/articles/page/1.json",
            "pages start at 1"
        );
        assert_eq!(
            list_path(&query(Some("rest"), None, Some(2))),
            "/api/v1/tags/rest/page/2.json"
        );
        assert_eq!(
            list_path(&query(Some("../site"), None, None)),
            "/api/v1/tags/-/page/1.json",
            "a tag that cannot exist is a clean 404"
        );
    }

    #[test]
    fn pager_links() {
        let shown = |c, p| {
            page_links(c, p)
                .iter()
                .map(|n| n.map_or("…".to_string(), |n| n.to_string()))
                .collect::<Vec<_>>()
                .join(" ")
        };
        assert_eq!(shown(1, 1), "1");
        assert_eq!(shown(1, 5), "1 2 3 4 5");
        assert_eq!(shown(1, 167), "1 2 3 … 167");
        assert_eq!(shown(50, 167), "1 … 48 49 50 51 52 … 167");
        assert_eq!(
            shown(4, 167),
            "1 2 3 4 5 6 … 167",
            "no ellipsis for a gap of none"
        );
        assert_eq!(shown(167, 167), "1 … 165 166 167");
        assert_eq!(
            shown(7, u32::MAX),
            format!("1 … 5 6 7 8 9 … {}", u32::MAX),
            "at once, whatever the count"
        );
        assert_eq!(
            shown(u32::MAX, u32::MAX),
            format!("1 … {} {} {}", u32::MAX - 2, u32::MAX - 1, u32::MAX)
        );
        // The same as looking at every page, for every small case.
        let every = |current: u32, pages: u32| {
            let kept = |n: u32| n == 1 || n == pages || n.abs_diff(current) <= 2;
            let mut out = Vec::new();
            for n in 1..=pages {
                if kept(n) || (kept(n - 1) && kept(n + 1)) {
                    out.push(Some(n));
                } else if out.last() != Some(&None) {
                    out.push(None);
                }
            }
            out
        };
        for pages in 0..40 {
            for current in 0..=pages + 2 {
                assert_eq!(
                    page_links(current, pages),
                    every(current, pages),
                    "page {current} of {pages}"
                );
            }
        }
    }
}
