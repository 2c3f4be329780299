//! What every root shares: its properties (`AppProps`), and what any part of
//! the app may need that does not change while it runs (`Env`), given under
//! the root's router (`routed`).

use std::rc::Rc;

use yew::prelude::*;
use yew_router::Router;
use yew_router::history::{AnyHistory, BrowserHistory, History, MemoryHistory};
use yew_router::query::Raw;

use crate::cache::ApiCache;
use crate::nav::{Here, Navigator};

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
    /// Inline: the widget's settings as the loader gives them (URL-encoded
    /// `name=…&source=…`; in our iframe they are the page's fragment).
    #[prop_or_default]
    pub widget: Option<AttrValue>,
}

/// What any part of the app may need that does not change while it runs,
/// as one context (each context type costs the wasm a component's code).
#[derive(Clone, PartialEq)]
pub struct Env {
    pub cache: ApiCache,
    pub navigator: Navigator,
    /// `AppProps::inline_site`.
    pub inline_site: Option<AttrValue>,
    /// `AppProps::widget`.
    pub widget: Option<AttrValue>,
}

/// The app's `Env`.
#[hook]
pub fn use_env() -> Env {
    use_context::<Env>().expect("Env is provided by the root (App, EmbedApp)")
}

/// A root's views under its router, which gives them the app's `Env` and
/// where it is (`nav::use_location`).
pub fn routed(props: &AppProps, views: Html) -> Html {
    html! {
        <AppRouter cache={props.cache.clone()} url={props.url.clone()} basename={props.basename.clone()} inline_site={props.inline_site.clone()} widget={props.widget.clone()}>
            { views }
        </AppRouter>
    }
}

#[derive(Properties, PartialEq)]
struct AppRouterProps {
    cache: ApiCache,
    url: Option<AttrValue>,
    basename: Option<AttrValue>,
    inline_site: Option<AttrValue>,
    widget: Option<AttrValue>,
    children: Html,
}

/// yew-router's `Router` on the root's history: the browser's, or given
/// `url`, one in memory; the base path is its `basename`.
#[component]
fn AppRouter(props: &AppRouterProps) -> Html {
    let base = props
        .basename
        .as_deref()
        .unwrap_or_default()
        .trim_end_matches('/')
        .to_string();
    let history = {
        let (url, base) = (props.url.clone(), base.clone());
        use_state(move || match url {
            Some(url) => {
                let start = Here::parse(&url);
                let memory = MemoryHistory::new();
                let _ = memory
                    .replace_with_query(format!("{base}{}", start.path), Raw(start.query.as_str()));
                AnyHistory::from(memory)
            }
            None => AnyHistory::from(BrowserHistory::new()),
        })
    };
    let basename = (!base.is_empty()).then(|| AttrValue::from(base.clone()));
    html! {
        <Router history={(*history).clone()} {basename}>
            <Contexts base={AttrValue::from(base)} cache={props.cache.clone()} inline_site={props.inline_site.clone()} widget={props.widget.clone()}>
                { props.children.clone() }
            </Contexts>
        </Router>
    }
}

#[derive(Properties, PartialEq)]
struct ContextsProps {
    base: AttrValue,
    cache: ApiCache,
    inline_site: Option<AttrValue>,
    widget: Option<AttrValue>,
    children: Html,
}

/// Inside the router: the app's `Env` and where it is, as contexts.
#[component]
fn Contexts(props: &ContextsProps) -> Html {
    let (navigator, here) = crate::nav::use_navigation(props.base.clone());
    let env = Env {
        cache: props.cache.clone(),
        navigator,
        inline_site: props.inline_site.clone(),
        widget: props.widget.clone(),
    };
    html! {
        <ContextProvider<Env> context={env}>
            <ContextProvider<Rc<Here>> context={here}>
                { props.children.clone() }
            </ContextProvider<Rc<Here>>>
        </ContextProvider<Env>>
    }
}
