//! The app shell, shared by every way the app is mounted: `App` in the
//! browser (the URL bar is the history), or with a `url` for server rendering
//! and embeds (an in-memory history that never touches the host page's URL).

use std::rc::Rc;

use keel_model::{Article as ArticleDoc, Site};
use yew::prelude::*;

use crate::api::{ApiCache, Resource, use_api};
use crate::components::layout::{Header, footer};
use crate::embed::{EmbedArticles, EmbedContact, embed_article};
use crate::pages::{article::Article, articles::Articles, contact::Contact, home::Home, not_found::not_found, services::Services};
use crate::route::Route;
use crate::router::{Here, Navigator, use_location, use_route, use_router};
use crate::theme::{ThemeChoice, ThemeContext};

#[derive(Properties, PartialEq)]
pub struct AppProps {
    /// The data cache, possibly pre-filled (hydration, SSR, tests).
    pub cache: ApiCache,
    /// `None`: the browser app, whose routes follow the address bar. Else
    /// the path (and query) to render, e.g. `/articles?tag=rest`, without
    /// the base path, on an in-memory history: server rendering, and embeds
    /// that must not change the host page's URL.
    #[prop_or_default]
    pub url: Option<AttrValue>,
    /// The path the site is served under (e.g. `/keel`), if not the root.
    #[prop_or_default]
    pub basename: Option<AttrValue>,
    /// Inline in a partner's page (`embed::mount`): where our site is,
    /// origin and base path. Its styles are then the loader's to adopt.
    #[prop_or_default]
    pub inline_site: Option<AttrValue>,
}

/// What any part of the app may need that does not change while it runs,
/// as one context (each context type costs the wasm a component's code).
#[derive(Clone, PartialEq)]
pub struct Env {
    pub cache: ApiCache,
    pub navigator: Navigator,
    /// `AppProps::inline_site`.
    pub inline_site: Option<AttrValue>,
}

/// The app's `Env`.
#[hook]
pub fn use_env() -> Env {
    use_context::<Env>().expect("Env is provided by App")
}

#[component]
pub fn App(props: &AppProps) -> Html {
    let (here, navigator) = use_router(props.url.clone(), props.basename.clone());
    let env = Env { cache: props.cache.clone(), navigator, inline_site: props.inline_site.clone() };
    let route = here.route();
    let embedded = route.is_embed();
    // System theme first, on the server and in the browser alike, so hydration
    // matches; the stored choice is applied once mounted.
    let choice = use_state(|| ThemeChoice::System);
    {
        let choice = choice.clone();
        use_effect_with(embedded, move |embedded| {
            if !embedded {
                choice.set(ThemeChoice::load());
            }
        });
    }
    let theme = ThemeContext {
        choice: *choice,
        set: {
            let choice = choice.clone();
            Callback::from(move |c: ThemeChoice| {
                c.save();
                choice.set(c);
            })
        },
    };
    let style = crate::style::ROOT_CLASS;
    html! {
        <ContextProvider<Env> context={env}>
            <ContextProvider<Rc<Here>> context={here}>
                <ContextProvider<ThemeContext> context={theme}>
                    if embedded {
                        // An embed view takes its theme from the widget's settings
                        // (`data-keel-theme` above it), never from our visitor's choice.
                        <div class={classes!(style, "embed-root")}>{ switch(route) }</div>
                    } else {
                        <div class={style} data-theme={choice.attr()}>
                            <Chrome />
                        </div>
                    }
                </ContextProvider<ThemeContext>>
            </ContextProvider<Rc<Here>>>
        </ContextProvider<Env>>
    }
}

#[component]
fn Chrome() -> Html {
    let route = use_route();
    let site = use_api::<Site>(keel_model::paths::site());
    let base = crate::components::link::use_base_path();
    let site = match site.state {
        Resource::Ready(s) => Some(s),
        _ => None,
    };
    html! {
        <>
            <a class="skip-link" href="#main">{ "Skip to content" }</a>
            <Header site={site.clone()} />
            <main id="main" tabindex="-1">
                { switch(route) }
            </main>
            { footer(site.as_deref(), &base) }
            <RouteEffects site={site} />
            <ProgressBar />
        </>
    }
}

pub fn switch(route: Route) -> Html {
    match route {
        Route::Home => html! { <Home /> },
        Route::Articles => html! { <Articles /> },
        Route::Article { slug } => html! { <Article {slug} /> },
        Route::Services => html! { <Services /> },
        Route::Contact => html! { <Contact /> },
        Route::NotFound => not_found(),
        Route::EmbedArticles => html! { <EmbedArticles /> },
        Route::EmbedTag { tag } => html! { <EmbedArticles tag={Some(tag)} /> },
        Route::EmbedArticle { slug } => embed_article(slug),
        Route::EmbedContact => html! { <EmbedContact /> },
    }
}

#[derive(Properties, PartialEq)]
struct RouteEffectsProps {
    site: Option<Rc<Site>>,
}

/// What a good SPA does on each navigation: the document title and
/// description follow the route (and its data, as it arrives); on a route
/// change (not the first load) the view scrolls to the top or back to where
/// it was, focus moves to the new page's heading, and the new title is
/// announced to screen readers.
#[component]
fn RouteEffects(props: &RouteEffectsProps) -> Html {
    let location = use_location();
    let route = location.route();
    let href = location.href();
    // The title and description. An article's come with the article
    // (`ArticleMeta` waits for it). This effect runs before the one below,
    // so that the announcement reads the new title.
    let article = match &route {
        Route::Article { slug } if keel_model::paths::is_valid_slug(slug) => Some(slug.clone()),
        _ => None,
    };
    use_meta(article.is_none().then(|| route.meta(props.site.as_deref(), None)));
    let announcement = use_state(String::new);
    // The URL the last effect saw, without its search (`q`): `None` before the first.
    let seen = use_mut_ref(|| None::<String>);
    {
        let announcement = announcement.clone();
        let site = props.site.clone();
        let route = route.clone();
        use_effect_with(href, move |href| {
            // The first render is no navigation; nor is a change of the search
            // alone (typing into the index's field): focus and scroll stay.
            let now = without_search(href);
            let before = seen.borrow_mut().replace(now.clone());
            if before.is_none_or(|b| b == now) {
                return;
            }
            crate::dom::after_navigation();
            // The page's own title, once the document has it; the route's otherwise.
            let title = crate::dom::document_title().unwrap_or_else(|| route.meta(site.as_deref(), None).title);
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

/// `href` (path and query) without its search words (`q`).
fn without_search(href: &str) -> String {
    let Some((path, query)) = href.split_once('?') else { return href.to_string() };
    let rest: Vec<(String, String)> =
        serde_urlencoded::from_str::<Vec<(String, String)>>(query).unwrap_or_default().into_iter().filter(|(k, _)| k != "q").collect();
    match serde_urlencoded::to_string(rest).unwrap_or_default() {
        rest if rest.is_empty() => path.to_string(),
        rest => format!("{path}?{rest}"),
    }
}

#[derive(Properties, PartialEq)]
struct ArticleMetaProps {
    slug: String,
    site: Option<Rc<Site>>,
    /// Says a title to screen readers.
    announce: UseStateSetter<String>,
}

/// An article's title and description, updated when the article arrives.
#[component]
fn ArticleMeta(props: &ArticleMetaProps) -> Html {
    let article = use_api::<ArticleDoc>(keel_model::paths::article(&props.slug));
    let doc = match &article.state {
        Resource::Ready(a) => Some(a.clone()),
        _ => None,
    };
    let route = Route::Article { slug: props.slug.clone() };
    let meta = route.meta(props.site.as_deref(), doc.as_deref());
    let title = meta.title.clone();
    use_meta(Some(meta));
    // An article fetched after the navigation was announced (under a
    // generic title, while it loaded): announce its own title once it is here.
    let mounted = use_mut_ref(|| false);
    let announce = props.announce.clone();
    use_effect_with(doc.is_some(), move |&arrived| {
        if std::mem::replace(&mut *mounted.borrow_mut(), true) && arrived {
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

/// A thin bar at the top while a request takes longer than 200 ms: fast
/// answers show nothing, so the bar never flickers.
#[component]
fn ProgressBar() -> Html {
    let cache = use_env().cache;
    let visible = use_state(|| false);
    {
        let visible = visible.clone();
        use_effect_with((), move |_| {
            let generation = Rc::new(std::cell::Cell::new(0u32));
            cache.watch(Callback::from(move |n: usize| {
                generation.set(generation.get().wrapping_add(1));
                if n == 0 {
                    visible.set(false);
                    return;
                }
                let mine = generation.get();
                let generation = generation.clone();
                let visible = visible.clone();
                crate::dom::after_ms(200, move || {
                    if generation.get() == mine {
                        visible.set(true);
                    }
                });
            }));
        });
    }
    html! {
        <div class={classes!("progress", visible.then_some("active"))} aria-hidden="true"></div>
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_change_of_the_search_alone_is_no_navigation() {
        use super::without_search as w;
        assert_eq!(w("/articles"), w("/articles?q=c"));
        assert_eq!(w("/articles?q=c"), w("/articles?q=caching"));
        assert_eq!(w("/articles?tag=api&q=c"), w("/articles?tag=api"));
        assert_ne!(w("/articles?q=c"), w("/articles?tag=api&q=c"), "a tag is a navigation");
        assert_ne!(w("/articles?q=c"), w("/articles?page=2"), "so is a page");
        assert_ne!(w("/articles?q=c"), w("/articles/rest"));
    }
}
