//! Our site's root, `App`: every page in our chrome, in the browser (the URL
//! bar is the history) or with a `url` for server rendering (an in-memory
//! history), routed by yew-router (`env::routed`). The partner playground's
//! root, `PlaygroundApp`, is the same chrome around that one page, in a wasm
//! of its own (`route::Bundle`). The embed views' root is `embed::EmbedApp`.

use std::rc::Rc;

use keel_model::{Article as ArticleDoc, Site};
use yew::prelude::*;

use crate::api::{ApiCache, Doc, FetchError, Resource, UseApi, use_api};
use crate::components::attrs::classed;
use crate::components::layout::{Header, footer};
use crate::env::{AppProps, routed, use_env};
use crate::nav::{use_location, use_route};
use crate::pages::{
    article::Article, articles::Articles, contact::contact, home::home, not_found::not_found,
    playground::Playground, services::services,
};
use crate::route::Route;

/// Our site: every page in its chrome (header, footer). The playground and
/// the embed views have roots of their own (`PlaygroundApp`,
/// `embed::EmbedApp`), each in a wasm of its own.
#[component]
pub fn App(props: &AppProps) -> Html {
    chrome(props, switch)
}

/// The partner playground (`/embed/`) in our chrome: a root of its own, so
/// that our readers' wasm carries none of it, nor partners' that of our pages.
#[component]
pub fn PlaygroundApp(props: &AppProps) -> Html {
    chrome(props, |route, _, _| match route {
        Route::Playground => html! { <Playground /> },
        _ => html! { <PageOfOurSite /> },
    })
}

/// Where a link of the playground's chrome took the visitor (the header's
/// "Articles", say): a page of our site's wasm, which this one does not
/// carry. The address is already that page's, so it is loaded from there.
/// (Links know nothing of bundles: our site's and the embed views' wasm pay
/// nothing for the playground's.)
#[component]
fn PageOfOurSite() -> Html {
    use_effect_with((), |_| crate::dom::reload());
    Html::default()
}

/// The pages a root renders, by route: `switch` for our site's.
type Pages = fn(Route, &UseApi<Site>, &str) -> Html;

fn chrome(props: &AppProps, pages: Pages) -> Html {
    // The colour theme is on <html>, not in the app's markup (`theme.rs`).
    routed(
        props,
        classed(
            html! { <div><Chrome {pages} /></div> },
            Some(crate::style::ROOT_CLASS),
        ),
    )
}

#[derive(Properties)]
struct ChromeProps {
    pages: Pages,
}

impl PartialEq for ChromeProps {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::fn_addr_eq(self.pages, other.pages)
    }
}

#[component]
fn Chrome(props: &ChromeProps) -> Html {
    let route = use_route();
    let site_api = use_api::<Site>(keel_model::paths::site());
    let base = crate::components::link::use_base_path();
    let site = match &site_api.state {
        Resource::Ready(s) => Some(s.clone()),
        _ => None,
    };
    let bar = use_node_ref();
    {
        let (cache, bar) = (use_env().cache, bar.clone());
        use_effect_with((), move |_| show_progress(&cache, bar));
    }
    html! {
        <>
            <a class="skip-link" href="#main">{ "Skip to content" }</a>
            <Header site={site.clone()} />
            <main id="main" tabindex="-1">
                { (props.pages)(route, &site_api, &base) }
            </main>
            { footer(site.as_deref(), &base) }
            <RouteEffects site={site} />
            <div class="progress" aria-hidden="true" ref={bar}></div>
        </>
    }
}

/// The page of `route`. `site` is the site document, as `Chrome` reads it
/// for the header and footer: the home, services and contact pages are made
/// from it alone (and the base path), so they are functions of it rather than components. The
/// playground and the embed views are other roots' (`Route::bundle`): here,
/// not found.
fn switch(route: Route, site: &UseApi<Site>, base: &str) -> Html {
    match route {
        Route::Home => home(site, base),
        Route::Articles => html! { <Articles /> },
        Route::Article { slug } => html! { <Article {slug} /> },
        Route::Services => services(site),
        Route::Contact => contact(site),
        Route::NotFound => not_found(),
        Route::Playground
        | Route::EmbedArticles
        | Route::EmbedArticle { .. }
        | Route::EmbedTag { .. }
        | Route::EmbedContact
        | Route::EmbedNotFound => not_found(),
    }
}

#[derive(Properties, PartialEq)]
struct RouteEffectsProps {
    site: Option<Doc<Site>>,
}

/// What a good SPA does on each navigation: the document title and
/// description follow the route (and its data, as it arrives); on a route
/// change (not the first load) the view scrolls to the top or back to where
/// it was, focus moves to the new page's heading, and the new title is
/// announced to screen readers.
#[component]
fn RouteEffects(props: &RouteEffectsProps) -> Html {
    let location = use_location();
    let route = match location.route() {
        // A path that cannot name an article names nothing (the page says so).
        Route::Article { slug } if !keel_model::paths::is_valid_slug(&slug) => Route::NotFound,
        route => route,
    };
    // The title and description. An article's come with the article
    // (`ArticleMeta` waits for it). This effect runs before the one below,
    // so that the announcement reads the new title.
    let article = match &route {
        Route::Article { slug } => Some(slug.clone()),
        _ => None,
    };
    let meta = article.is_none().then(|| {
        let mut meta = route.meta(props.site.as_deref(), None);
        if route == Route::Articles {
            // The filter and page the URL names (see `articles::title`).
            meta.title = crate::route::with_site_name(
                props.site.as_deref(),
                &crate::pages::articles::title(&location.articles_query()),
            );
        }
        meta
    });
    use_meta(meta);
    let announcement = use_state(String::new);
    {
        let announcement = announcement.clone();
        let site = props.site.clone();
        let route = route.clone();
        use_effect_with(location.visit, move |&visit| {
            // The page the app started on is no navigation; nor is typing
            // into the index's search (it keeps the visit): focus and scroll stay.
            if visit == 0 {
                return;
            }
            crate::dom::after_navigation();
            // The page's own title, once the document has it; the route's otherwise.
            let title = crate::dom::document_title()
                .unwrap_or_else(|| route.meta(site.as_deref(), None).title);
            announcement.set(title);
        });
    }
    html! {
        <>
            if let Some(slug) = article {
                <ArticleMeta {slug} site={props.site.clone()} announce={announcement.setter()} />
            }
            <div class="visually-hidden" role="status" aria-live="polite" aria-atomic="true">{ (*announcement).clone() }</div>
        </>
    }
}

#[derive(Properties, PartialEq)]
struct ArticleMetaProps {
    slug: String,
    site: Option<Doc<Site>>,
    /// Says a title to screen readers.
    announce: UseStateSetter<String>,
}

/// An article's title and description, updated when the article arrives.
#[component]
fn ArticleMeta(props: &ArticleMetaProps) -> Html {
    let article = use_api::<ArticleDoc>(keel_model::paths::article(&props.slug));
    let visit = use_location().visit;
    let (route, doc) = match &article.state {
        Resource::Ready(a) => (
            Route::Article {
                slug: props.slug.clone(),
            },
            Some(a.clone()),
        ),
        // The page says it found nothing, and so do the title and description.
        Resource::Failed(FetchError::NotFound) => (Route::NotFound, None),
        _ => (
            Route::Article {
                slug: props.slug.clone(),
            },
            None,
        ),
    };
    let known = doc.is_some() || route == Route::NotFound;
    let meta = route.meta(props.site.as_deref(), doc.as_deref());
    let title = meta.title.clone();
    use_meta(Some(meta));
    // An article fetched after the navigation was announced (under a
    // generic title, while it loaded): announce its own title, or that it was
    // not found, once that is known. Not on the page the app started on.
    let mounted = use_mut_ref(|| false);
    let announce = props.announce.clone();
    use_effect_with(known, move |&known| {
        if std::mem::replace(&mut *mounted.borrow_mut(), true) && known && visit > 0 {
            announce.set(title);
        }
    });
    html! {}
}

/// The document's title and description follow `meta` (`None`: left alone).
#[hook]
fn use_meta(meta: Option<crate::route::Meta>) {
    use_effect_with(meta, |meta| {
        if let Some(meta) = meta {
            crate::dom::set_meta(&meta.title, &meta.description);
        }
    });
}

/// The thin bar at the top (`bar`) shows while a request takes longer than
/// 200 ms: fast answers show nothing, so it never flickers. Its class is set
/// here, not rendered: as a component of its own it cost the wasm more.
fn show_progress(cache: &ApiCache, bar: NodeRef) {
    let generation = Rc::new(std::cell::Cell::new(0u32));
    let show = move |on: bool| {
        if let Some(el) = bar.cast::<web_sys::Element>() {
            el.set_class_name(if on { "progress active" } else { "progress" });
        }
    };
    cache.watch(Callback::from(move |n: usize| {
        generation.set(generation.get().wrapping_add(1));
        if n == 0 {
            show(false);
            return;
        }
        let mine = generation.get();
        let generation = generation.clone();
        let show = show.clone();
        crate::dom::after_ms(200, move || {
            if generation.get() == mine {
                show(true);
            }
        });
    }));
}
