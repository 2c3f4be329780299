//! The app shell, shared by every way the app is mounted: `App` in the
//! browser (the URL bar is the history), `ServerApp` for server rendering and
//! embeds (an in-memory history that never touches the host page's URL).

use std::rc::Rc;

use keel_model::{Article as ArticleDoc, Site};
use yew::prelude::*;
use yew_router::history::{AnyHistory, History, MemoryHistory};
use yew_router::prelude::*;

use crate::api::{ApiCache, Resource, use_api};
use crate::components::layout::{Footer, Header};
use crate::pages::{article::Article, articles::Articles, contact::Contact, home::Home, not_found::NotFound, services::Services};
use crate::route::Route;
use crate::theme::{ThemeChoice, ThemeContext};

#[derive(Properties, PartialEq)]
pub struct AppProps {
    /// The data cache, possibly pre-filled (hydration, SSR, tests).
    pub cache: ApiCache,
}

/// The browser app: routes follow the address bar.
#[component]
pub fn App(props: &AppProps) -> Html {
    html! {
        <BrowserRouter>
            <Shell cache={props.cache.clone()} />
        </BrowserRouter>
    }
}

#[derive(Properties, PartialEq)]
pub struct ServerAppProps {
    pub cache: ApiCache,
    /// The path (and query) to render, e.g. `/articles?tag=rest`.
    pub url: AttrValue,
}

/// The app on an in-memory history: server rendering, and embeds that must
/// not change the host page's URL.
#[component]
pub fn ServerApp(props: &ServerAppProps) -> Html {
    let history = use_memo(props.url.clone(), |url| {
        let h = AnyHistory::from(MemoryHistory::new());
        h.push(url.to_string());
        h
    });
    html! {
        <Router history={(*history).clone()}>
            <Shell cache={props.cache.clone()} />
        </Router>
    }
}

#[derive(Properties, PartialEq)]
struct ShellProps {
    cache: ApiCache,
}

#[component]
fn Shell(props: &ShellProps) -> Html {
    // System theme first, on the server and in the browser alike, so hydration
    // matches; the stored choice is applied once mounted.
    let choice = use_state(|| ThemeChoice::System);
    {
        let choice = choice.clone();
        use_effect_with((), move |_| choice.set(ThemeChoice::load()));
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
    let style = crate::style::app_style();
    html! {
        <ContextProvider<ApiCache> context={props.cache.clone()}>
            <ContextProvider<ThemeContext> context={theme}>
                <div class={style} data-theme={choice.attr()}>
                    <Chrome />
                </div>
            </ContextProvider<ThemeContext>>
        </ContextProvider<ApiCache>>
    }
}

#[component]
fn Chrome() -> Html {
    let site = use_api::<Site>(keel_model::paths::site());
    let site = match site.state {
        Resource::Ready(s) => Some(s),
        _ => None,
    };
    html! {
        <>
            <a class="skip-link" href="#main">{ "Skip to content" }</a>
            <Header site={site.clone()} />
            <main id="main" tabindex="-1">
                <Switch<Route> render={switch} />
            </main>
            <Footer site={site.clone()} />
            <RouteEffects site={site} />
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
        Route::NotFound => html! { <NotFound /> },
    }
}

#[derive(Properties, PartialEq)]
struct RouteEffectsProps {
    site: Option<Rc<Site>>,
}

/// What a good SPA does on each navigation: the document title and
/// description follow the route; on a route change (not the first load) the
/// view scrolls to the top, focus moves to the new page's heading, and the
/// new title is announced to screen readers.
#[component]
fn RouteEffects(props: &RouteEffectsProps) -> Html {
    let route = use_route::<Route>().unwrap_or(Route::NotFound);
    let location = use_location();
    let path = location.as_ref().map(|l| l.path().to_string()).unwrap_or_default();
    let article = match &route {
        Route::Article { slug } if keel_model::paths::is_valid_slug(slug) => {
            Some(keel_model::paths::article(slug))
        }
        _ => None,
    };
    let cache = use_context::<ApiCache>().expect("ApiCache is provided by the app shell");
    let article_doc: Option<Rc<ArticleDoc>> = article.as_ref().and_then(|p| cache_get(&cache, p));
    let meta = route.meta(props.site.as_deref(), article_doc.as_deref());
    let announcement = use_state(String::new);
    let first = use_mut_ref(|| true);

    {
        let meta = meta.clone();
        use_effect_with(meta, move |meta| crate::dom::set_meta(&meta.title, &meta.description));
    }
    {
        let announcement = announcement.clone();
        let title = meta.title.clone();
        use_effect_with(path, move |_| {
            if std::mem::replace(&mut *first.borrow_mut(), false) {
                return;
            }
            crate::dom::after_navigation();
            announcement.set(title);
        });
    }
    html! {
        <div class="visually-hidden" role="status" aria-live="polite" aria-atomic="true">{ (*announcement).clone() }</div>
    }
}

fn cache_get<T: serde::de::DeserializeOwned>(cache: &ApiCache, path: &str) -> Option<Rc<T>> {
    cache
        .loaded()
        .into_iter()
        .find(|(p, _)| p == path)
        .and_then(|(_, text)| serde_json::from_str(&text).ok())
        .map(Rc::new)
}
