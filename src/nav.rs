//! What the app adds to yew-router, which routes it.
//!
//! yew-router's `Router` (`env::routed`) holds the history: the browser's (`BrowserHistory`:
//! the address bar, `pushState`, back and forward), or, given a `url`, one in
//! memory (`MemoryHistory`), for server rendering and for the embeds, which
//! must never touch a partner's URL or history. The site's base path is the
//! router's `basename`. Pages are chosen from its location (`use_route`), and
//! every navigation goes through its navigator.
//!
//! On top of it, what a site with prerendered pages needs and yew-router does
//! not do:
//! - [`Here::visit`]: a count of the visits the app made, which the page's
//!   effects follow (scroll, focus, announce the new title): a link followed
//!   or a move back or forward is a visit, a search typed into the index
//!   (which replaces the URL) or state kept in the entry is not;
//! - back and forward are told to `dom`, which restores the scroll position
//!   (the browser's own restoration runs before the app has rendered);
//! - a link to the page shown replaces its entry, as the browser's own
//!   navigation does;
//! - state kept in the history entry ([`Navigator::keep`], read with
//!   [`use_kept`]): the search results' "Show more", so that Back returns to
//!   the same results.
//!
//! The click replay (held presses of the app's buttons before it ran) is
//! the loader's (Trunk.toml), typed input `adopt.rs`, prefetch on hover
//! `components::link`, and the cached back navigation the API cache's.

use std::cell::RefCell;
use std::rc::Rc;

use yew::prelude::*;
use yew_router::query::Raw;

use crate::route::{ArticlesQuery, Route};

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
        let path = if path.starts_with('/') {
            path.to_string()
        } else {
            format!("/{path}")
        };
        Here {
            path,
            query: query.to_string(),
            visit: 0,
        }
    }

    /// The page the browser shows, as the app sees it: `location`'s path
    /// without `base` (a path outside it is kept whole), and its query.
    pub fn browser(base: &str) -> Here {
        let Some(loc) = web_sys::window().map(|w| w.location()) else {
            return Here::parse("/");
        };
        let path = loc.pathname().unwrap_or_default();
        let path = strip_base(&path, base);
        Here::parse(&format!("{path}{}", loc.search().unwrap_or_default()))
    }

    pub fn route(&self) -> Route {
        Route::recognize(&self.path)
    }

    /// The article index's state in the query (the only page that has one).
    pub fn articles_query(&self) -> ArticlesQuery {
        ArticlesQuery::parse(&self.query)
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

/// What the app's own navigation asked of the history, for the location
/// it makes to be told from a move back or forward.
#[derive(Clone, Copy, PartialEq)]
enum Move {
    /// A new visit (a link followed; to the page shown too, whose entry is replaced).
    Visit,
    /// The same visit (a search typed, state kept).
    Stay,
}

/// How to go elsewhere: yew-router's navigator, and the app's part. Cheap to
/// clone, and equal to itself for the app's life, so holding one does not
/// make a component render again.
#[derive(Clone)]
pub struct Navigator {
    router: yew_router::navigator::Navigator,
    base: AttrValue,
    /// Where the app is now (what the location last was).
    now: Rc<RefCell<Rc<Here>>>,
    /// The move the next location comes from; none: back or forward.
    pending: Rc<RefCell<Option<Move>>>,
}

impl PartialEq for Navigator {
    fn eq(&self, other: &Self) -> bool {
        self.base == other.base && Rc::ptr_eq(&self.now, &other.now)
    }
}

impl Navigator {
    /// The path the site is served under (`/keel`), or "" at the root.
    pub fn base(&self) -> &AttrValue {
        &self.base
    }

    /// Go to `to` with `query` (a query string without its `?`; none when
    /// empty), as a new history entry; a link to the page shown replaces its
    /// entry instead, as the browser's own navigation does (back then leaves
    /// the page, not the same page), and is still a visit (scroll to the top).
    pub fn push(&self, to: &Route, query: String) {
        let same = {
            let now = self.now.borrow();
            now.path == to.to_path() && now.query == query
        };
        *self.pending.borrow_mut() = Some(Move::Visit);
        let _ = if same {
            self.router.replace_with_query(to, Raw(query.as_str()))
        } else {
            self.router.push_with_query(to, Raw(query.as_str()))
        };
    }

    /// Go to `to` with `query` in place of the current entry (typing a search).
    pub fn replace(&self, to: &Route, query: String) {
        *self.pending.borrow_mut() = Some(Move::Stay);
        let _ = self.router.replace_with_query(to, Raw(query.as_str()));
    }

    /// Keeps `state` in the current history entry, for when the visitor comes
    /// back to it; read with [`use_kept`].
    pub fn keep<T: 'static>(&self, state: T) {
        let now = self.now.borrow().clone();
        *self.pending.borrow_mut() = Some(Move::Stay);
        let _ =
            self.router
                .replace_with_query_and_state(&now.route(), Raw(now.query.as_str()), state);
    }
}

/// Inside the root's router (`env::routed`): the navigator, and the
/// location yew-router holds as a visit of the app's (`Here`).
#[hook]
pub fn use_navigation(base: AttrValue) -> (Navigator, Rc<Here>) {
    let router = yew_router::hooks::use_navigator().expect("inside the root's Router");
    let location = yew_router::hooks::use_location().expect("inside the root's Router");
    let path = strip_base(location.path(), &base).to_string();
    let query = location.query_str().trim_start_matches('?').to_string();
    let now = use_mut_ref(|| {
        Rc::new(Here {
            path: path.clone(),
            query: query.clone(),
            visit: 0,
        })
    });
    let pending = use_mut_ref(|| None::<Move>);
    let here = {
        let mut now = now.borrow_mut();
        let moved = now.path != path || now.query != query;
        let visit = match (pending.borrow_mut().take(), moved) {
            (Some(Move::Visit), _) => now.visit + 1,
            (Some(Move::Stay), _) | (None, false) => now.visit,
            // Not the app's own navigation: back or forward.
            (None, true) => {
                crate::dom::moved_in_history();
                now.visit + 1
            }
        };
        if moved || visit != now.visit {
            *now = Rc::new(Here { path, query, visit });
        }
        now.clone()
    };
    (
        Navigator {
            router,
            base,
            now,
            pending,
        },
        here,
    )
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

/// What [`Navigator::keep`] kept in the current history entry, if anything.
#[hook]
pub fn use_kept<T: 'static>() -> Option<Rc<T>> {
    yew_router::hooks::use_location().and_then(|l| l.state::<T>())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_url_is_a_path_and_a_query() {
        let here = |path: &str, query: &str| Here {
            path: path.into(),
            query: query.into(),
            visit: 0,
        };
        assert_eq!(
            Here::parse("/articles?tag=api&q=x"),
            here("/articles", "tag=api&q=x")
        );
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
        assert_eq!(
            (q.tag.as_deref(), q.q.as_deref(), q.page),
            (Some("api"), None, Some(2))
        );
        assert!(Here::parse("/articles?page=x").articles_query().is_empty());
        // What cannot be read is left out, and the rest kept.
        let q = Here::parse("/articles?page=-1&tag=API&q=oauth").articles_query();
        assert_eq!(
            (q.tag.as_deref(), q.q.as_deref(), q.page),
            (Some("api"), Some("oauth"), None)
        );
        let q = Here::parse("/articles?q=rate+limits%20%26%20caching&tag=&page=2&page=3")
            .articles_query();
        assert_eq!(
            (q.tag.as_deref(), q.q.as_deref(), q.page),
            (None, Some("rate limits & caching"), Some(3))
        );
        // Written back as it was read.
        assert_eq!(q.to_query_string(), "q=rate+limits+%26+caching&page=3");
        let q = ArticlesQuery {
            tag: Some("c++".into()),
            q: None,
            page: Some(3),
        };
        assert_eq!(
            Here::parse(&format!("/articles?{}", q.to_query_string())).articles_query(),
            q
        );
    }
}
