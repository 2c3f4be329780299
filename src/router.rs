//! The router: the URL as app state, in two parts that `App` provides.
//!
//! - [`Here`]: where the app is (path without the base path, and query),
//!   a context read with [`use_location`] and [`use_route`]; it changes on
//!   every navigation, so only what shows the URL reads it.
//! - [`Navigator`]: how to go elsewhere, in the app's `Env`
//!   (`app::use_env().navigator`); it never changes, so links do not render
//!   again on a navigation.
//!
//! In the browser ([`use_router`] without `url`) the address bar is the history:
//! a navigation is a `pushState`, and back/forward (`popstate`) re-read it.
//! With `url` (server rendering, and embeds, which must never touch a
//! partner's URL or history) it is a history in memory.
//!
//! The route table is `route::Route` (`recognize` and `to_path`); this
//! module is what yew-router did for it, without the generic matcher, the
//! history library and their code in the wasm.

use std::cell::RefCell;
use std::rc::Rc;

use yew::prelude::*;

use crate::route::Route;

/// A URL of the app: its path under the base path, and its query (no `?`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Here {
    pub path: String,
    pub query: String,
    /// How many visits the app had made when it came here: 0 on the page it
    /// started on, one more for each link followed and each back or forward.
    /// A search typed into the index replaces the URL and keeps the count:
    /// what a navigation does (scroll, focus, announce) follows this.
    pub visit: u32,
}

impl Here {
    /// `"/articles?tag=api"` → path `/articles`, query `tag=api`; a fragment is dropped.
    pub fn parse(href: &str) -> Here {
        let href = href.split('#').next().unwrap_or_default();
        let (path, query) = href.split_once('?').unwrap_or((href, ""));
        let path = if path.starts_with('/') { path.to_string() } else { format!("/{path}") };
        Here { path, query: query.to_string(), visit: 0 }
    }

    /// The page the browser shows, as the app sees it: `location`'s path
    /// without `base` (a path outside it is kept whole), and its query.
    pub fn browser(base: &str) -> Here {
        let Some(loc) = web_sys::window().map(|w| w.location()) else { return Here::parse("/") };
        let path = loc.pathname().unwrap_or_default();
        let path = strip_base(&path, base);
        Here::parse(&format!("{path}{}", loc.search().unwrap_or_default()))
    }

    pub fn route(&self) -> Route {
        Route::recognize(&self.path)
    }

    /// The article index's state in the query (the only page that has one).
    pub fn articles_query(&self) -> crate::components::link::ArticlesQuery {
        crate::components::link::ArticlesQuery::parse(&self.query)
    }

    /// Path and query, as a link under the base path writes them (without it).
    pub fn href(&self) -> String {
        match self.query.as_str() {
            "" => self.path.clone(),
            q => format!("{}?{q}", self.path),
        }
    }
}

/// `path` without the base path `base` (`/keel`, or `/keel/`): `/keel/a` →
/// `/a`, `/keel` → `/`.
pub fn strip_base<'a>(path: &'a str, base: &str) -> &'a str {
    let base = base.trim_end_matches('/');
    if base.is_empty() {
        return path;
    }
    match path.strip_prefix(base) {
        Some("") => "/",
        Some(rest) if rest.starts_with('/') => rest,
        _ => path,
    }
}

/// How to go elsewhere. Cheap to clone, and equal to itself for the app's
/// life, so holding one does not make a component render again.
#[derive(Clone)]
pub struct Navigator {
    base: AttrValue,
    /// `false`: a history in memory (server, embeds), the address bar untouched.
    browser: bool,
    /// Where the app is now (what `set` last set).
    now: Rc<RefCell<Rc<Here>>>,
    set: UseStateSetter<Rc<Here>>,
}

impl PartialEq for Navigator {
    fn eq(&self, other: &Self) -> bool {
        self.base == other.base && self.browser == other.browser && Rc::ptr_eq(&self.now, &other.now)
    }
}

impl Navigator {
    /// The path the site is served under (`/keel`), or "" at the root.
    pub fn base(&self) -> &AttrValue {
        &self.base
    }

    /// Go to `to` with `query` (a query string without its `?`; none when
    /// empty), as a new history entry.
    pub fn push(&self, to: &Route, query: String) {
        self.go(to, query, false);
    }

    /// Go to `to` with `query` in place of the current entry (typing a search).
    pub fn replace(&self, to: &Route, query: String) {
        self.go(to, query, true);
    }

    fn go(&self, to: &Route, query: String, replace: bool) {
        let visit = self.now.borrow().visit + u32::from(!replace);
        let here = Here { path: to.to_path(), query, visit };
        if self.browser
            && let Some(win) = web_sys::window()
            && let Ok(history) = win.history()
        {
            let url = format!("{}{}", self.base, here.href());
            let loc = win.location();
            // A link to the page shown replaces its entry, as the browser's own
            // navigation does: back then leaves the page, not the same page.
            let same = loc.pathname().ok().zip(loc.search().ok()).is_some_and(|(p, s)| p + &s == url);
            let null = wasm_bindgen::JsValue::NULL;
            let _ = if replace || same {
                history.replace_state_with_url(&null, "", Some(&url))
            } else {
                history.push_state_with_url(&null, "", Some(&url))
            };
        }
        self.set_here(here);
    }

    fn set_here(&self, here: Here) {
        let here = Rc::new(here);
        *self.now.borrow_mut() = here.clone();
        self.set.set(here);
    }

    /// Back or forward in the browser: the address bar changed under us. A
    /// move between fragments of one page (a table of contents' links) is
    /// the browser's alone.
    fn popped(&self) {
        let mut here = Here::browser(&self.base);
        let now = self.now.borrow().clone();
        if (here.path.as_str(), here.query.as_str()) == (now.path.as_str(), now.query.as_str()) {
            return;
        }
        here.visit = now.visit + 1;
        crate::dom::moved_in_history();
        self.set_here(here);
    }
}

/// The router of an app: where it is, and its navigator. `url`: a history
/// in memory, starting at this path and query (without the base path), read
/// once; `None`: the address bar. `basename`: the path the site is served
/// under (e.g. `/keel`), if not the root. `App` provides both as contexts.
#[hook]
pub fn use_router(url: Option<AttrValue>, basename: Option<AttrValue>) -> (Rc<Here>, Navigator) {
    let base = basename.map(|b| AttrValue::from(b.trim_end_matches('/').to_string())).unwrap_or_default();
    let browser = url.is_none();
    let here = {
        let base = base.clone();
        use_state(move || {
            Rc::new(match url {
                Some(url) => Here::parse(&url),
                None => Here::browser(&base),
            })
        })
    };
    let now = {
        let first = (*here).clone();
        use_mut_ref(move || first)
    };
    let navigator = Navigator { base, browser, now, set: here.setter() };
    {
        let navigator = navigator.clone();
        use_effect_with(browser, move |&browser| {
            let listener = browser
                .then(web_sys::window)
                .flatten()
                .map(|win| gloo_events::EventListener::new(&win, "popstate", move |_| navigator.popped()));
            move || drop(listener)
        });
    }
    ((*here).clone(), navigator)
}

/// Where the app is; `/` outside an app.
#[hook]
pub fn use_location() -> Rc<Here> {
    use_context::<Rc<Here>>().unwrap_or_else(|| Rc::new(Here::parse("/")))
}

/// The route of where the app is.
#[hook]
pub fn use_route() -> Route {
    use_location().route()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_url_is_a_path_and_a_query() {
        let here = |path: &str, query: &str| Here { path: path.into(), query: query.into(), visit: 0 };
        assert_eq!(Here::parse("/articles?tag=api&q=x"), here("/articles", "tag=api&q=x"));
        assert_eq!(Here::parse("/articles#top"), here("/articles", ""));
        assert_eq!(Here::parse("articles"), here("/articles", ""));
        assert_eq!(Here::parse("/a?b=1").href(), "/a?b=1");
        assert_eq!(Here::parse("/a").href(), "/a");
    }

    #[test]
    fn the_base_path_is_taken_off_only_where_it_is_a_whole_segment() {
        assert_eq!(strip_base("/keel/articles", "/keel"), "/articles");
        assert_eq!(strip_base("/keel", "/keel"), "/");
        assert_eq!(strip_base("/keel/", "/keel"), "/");
        assert_eq!(strip_base("/keelhaul", "/keel"), "/keelhaul");
        assert_eq!(strip_base("/articles", ""), "/articles");
        assert_eq!(strip_base("/keel/articles", "/keel/"), "/articles");
    }

    #[test]
    fn the_query_is_read_with_defaults() {
        let q = Here::parse("/articles?tag=api&page=2&utm_source=x").articles_query();
        assert_eq!((q.tag.as_deref(), q.q.as_deref(), q.page), (Some("api"), None, Some(2)));
        assert!(Here::parse("/articles?page=x").articles_query().is_empty());
        // What cannot be read is left out, and the rest kept.
        let q = Here::parse("/articles?page=-1&tag=API&q=oauth").articles_query();
        assert_eq!((q.tag.as_deref(), q.q.as_deref(), q.page), (Some("api"), Some("oauth"), None));
        let q = Here::parse("/articles?q=rate+limits%20%26%20caching&tag=&page=2&page=3").articles_query();
        assert_eq!((q.tag.as_deref(), q.q.as_deref(), q.page), (None, Some("rate limits & caching"), Some(3)));
        // Written back as it was read.
        assert_eq!(q.to_query_string(), "q=rate+limits+%26+caching&page=3");
        let q = crate::components::link::ArticlesQuery { tag: Some("c++".into()), q: None, page: Some(3) };
        assert_eq!(Here::parse(&format!("/articles?{}", q.to_query_string())).articles_query(), q);
    }
}
