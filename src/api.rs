//! The data layer's hooks: every read the SPA makes is a GET of a
//! path-addressed JSON document (`keel_model::paths`), held in the app's
//! `ApiCache` (`cache.rs`).
//!
//! SSR-ready by design: a page reads its data with `use_api`, which answers
//! from the cache synchronously when the document is there. The prerenderer
//! fills the cache before rendering, and the browser fills it from the JSON the
//! prerendered page embeds, so the same components render complete pages on
//! the server and hydrate without a fetch. Only a miss fetches (in the browser).

use std::rc::Rc;

use serde::de::DeserializeOwned;
use yew::prelude::*;

pub use crate::cache::ApiCache;
use crate::cache::{Parsed, Reader};
pub use crate::net::{FetchError, decode};

/// What a page gets from `use_api`.
#[derive(Clone, Debug, PartialEq)]
pub enum Resource<T> {
    Loading,
    Ready(Doc<T>),
    Failed(FetchError),
}

/// A document as the cache read it: shared, and equal only to itself. The
/// cache reads each text once, so an unchanged document is the same one:
/// props holding it compare in one step, and the wasm carries no code to
/// compare (or copy) whole articles.
#[derive(Debug)]
pub struct Doc<T>(Rc<T>);

impl<T> Doc<T> {
    pub fn new(value: T) -> Doc<T> {
        Doc(Rc::new(value))
    }
}

impl<T> Clone for Doc<T> {
    fn clone(&self) -> Self {
        Doc(self.0.clone())
    }
}

impl<T> PartialEq for Doc<T> {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

impl<T> std::ops::Deref for Doc<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

pub struct UseApi<T> {
    pub state: Resource<T>,
    /// Forget a failure and fetch again.
    pub retry: Retry,
}

/// "Try again": what it does, and the button that does it. While the retry
/// loads, the error and its button give way to a placeholder; if it fails
/// again, focus goes back to the new button when it was on the old one, so
/// a keyboard or screen-reader visitor is not dropped to the top of the page.
#[derive(Clone, PartialEq)]
pub struct Retry {
    pub run: Callback<()>,
    pub button: NodeRef,
}

/// A `Retry` that runs `again`, for a document (or set) that is `settled`
/// now: `None` while it loads, then whether it failed.
#[hook]
pub(crate) fn use_retry(again: Callback<()>, settled: Option<bool>) -> Retry {
    let button = use_node_ref();
    // Set by a press on the button while it had focus; spent when the retry
    // settles, either way.
    let refocus = use_mut_ref(|| false);
    {
        let (button, refocus) = (button.clone(), refocus.clone());
        use_effect_with(settled, move |&settled| {
            let Some(failed) = settled else { return };
            let armed = std::mem::take(&mut *refocus.borrow_mut());
            // Only if focus fell with the old button: not when the visitor
            // has since moved it elsewhere.
            let doc = web_sys::window().and_then(|w| w.document());
            let fallen = doc.as_ref().is_none_or(|d| {
                let active = d.active_element().map(wasm_bindgen::JsValue::from);
                active.is_none() || active == d.body().map(wasm_bindgen::JsValue::from)
            });
            if failed
                && armed
                && fallen
                && let Some(b) = button.cast::<web_sys::HtmlElement>()
            {
                let _ = b.focus();
            }
        });
    }
    let run = {
        let button = button.clone();
        Callback::from(move |()| {
            let active = web_sys::window()
                .and_then(|w| w.document())
                .and_then(|d| d.active_element());
            *refocus.borrow_mut() = match (button.get(), active) {
                (Some(b), Some(a)) => {
                    AsRef::<wasm_bindgen::JsValue>::as_ref(&b)
                        == AsRef::<wasm_bindgen::JsValue>::as_ref(&a)
                }
                _ => false,
            };
            again.emit(());
        })
    };
    Retry { run, button }
}

/// The document at `path`, typed. Renders from the cache when it can; starts a
/// fetch (browser only) when it cannot, and re-renders when it settles.
///
/// A thin typed shell: the work is in `use_document`, compiled once for
/// every document type (only the parsing is per type).
#[hook]
pub fn use_api<T>(path: String) -> UseApi<T>
where
    T: DeserializeOwned + 'static,
{
    let (state, again) = use_document(path, Reader::of::<T>());
    let retry = use_retry(again, state.as_ref().map(Result::is_err));
    let state = match state {
        Some(Ok(v)) => v
            .downcast::<T>()
            .map_or(Resource::Loading, |d| Resource::Ready(Doc(d))),
        Some(Err(e)) => Resource::Failed(e),
        None => Resource::Loading,
    };
    UseApi { state, retry }
}

/// `use_api` for any type: the document as `reader` reads it, once it has
/// settled (`None` while it loads), and the retry.
#[hook]
fn use_document(path: String, reader: Reader) -> (Option<Parsed>, Callback<()>) {
    let cache = crate::env::use_env().cache;
    let tick = use_force_update();
    let state = cache.read(&path, reader);
    {
        let cache = cache.clone();
        let tick = tick.clone();
        let missing = state.is_none();
        use_effect_with((path.clone(), missing), move |(path, missing)| {
            if *missing {
                cache.load(path, Some(Callback::from(move |_| tick.force_update())));
            }
        });
    }
    let retry = {
        let cache = cache.clone();
        let path = path.clone();
        // A failed fetch is forgotten anyway; a text that could not be read, too.
        let unreadable = matches!(state, Some(Err(_)));
        Callback::from(move |_| {
            cache.forget_failure(&path, unreadable);
            let settled = tick.clone();
            cache.load(&path, Some(Callback::from(move |_| settled.force_update())));
            tick.force_update();
        })
    };
    (state, retry)
}
