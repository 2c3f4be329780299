//! The API cache: every document the app has read, by its path
//! (`keel_model::paths`), each text read once as the type its path names.
//! Shared by the whole app through `Env`, so going back renders from memory;
//! filled before rendering by the prerenderer, and in the browser from the
//! documents the prerendered page embeds, then by fetches. The hooks pages
//! read it with are `api.rs`'s.

use std::any::{Any, TypeId};
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use serde::de::DeserializeOwned;
use yew::Callback;

use crate::net::{FetchError, decode};

#[derive(Clone)]
enum Entry {
    Loaded(Rc<Loaded>),
    Failed(FetchError),
}

/// A document's text, and what it was read as: read once, the first time a
/// page asks, for every page that reads it while the text stays.
struct Loaded {
    text: Rc<str>,
    read: RefCell<Option<(TypeId, Parsed)>>,
}

impl Entry {
    fn loaded(text: Rc<str>) -> Entry {
        Entry::Loaded(Rc::new(Loaded {
            text,
            read: RefCell::new(None),
        }))
    }
}

impl Loaded {
    /// The text as `reader` reads it.
    fn read(&self, reader: Reader) -> Parsed {
        if let Some((ty, parsed)) = &*self.read.borrow()
            && *ty == reader.ty
        {
            return parsed.clone();
        }
        let parsed = (reader.parse)(&self.text);
        // The first type asked for is kept (a path names one kind of document).
        self.read
            .borrow_mut()
            .get_or_insert_with(|| (reader.ty, parsed.clone()));
        parsed
    }
}

/// How a document is read as one type: the type, and the function.
#[derive(Clone, Copy)]
pub(crate) struct Reader {
    ty: TypeId,
    parse: fn(&str) -> Parsed,
}

impl Reader {
    pub(crate) fn of<T: DeserializeOwned + 'static>() -> Reader {
        Reader {
            ty: TypeId::of::<T>(),
            parse: parse::<T>,
        }
    }

    /// The reader of the document `path` names (`paths::kind`), if it names one.
    fn for_path(path: &str) -> Option<Reader> {
        use keel_model::paths::Kind;
        Some(match keel_model::paths::kind(path) {
            Kind::Site => Reader::of::<keel_model::Site>(),
            Kind::Article => Reader::of::<keel_model::Article>(),
            Kind::Page => Reader::of::<keel_model::ArticlePage>(),
            Kind::SearchMeta => Reader::of::<keel_model::search::SearchMeta>(),
            Kind::SearchShard => Reader::of::<keel_model::search::SearchShard>(),
            Kind::SearchDoc => Reader::of::<keel_model::ArticleSummary>(),
            Kind::Other => return None,
        })
    }
}

/// Fetched documents by path. Shared, so going back renders from memory.
#[derive(Clone, Default)]
pub struct ApiCache {
    /// Prefix for every path: empty on our own origin, our absolute origin in
    /// partner embeds.
    pub base: Rc<str>,
    entries: Rc<RefCell<HashMap<String, Entry>>>,
    /// The requests in flight, by path, with who waits for each: a few at a
    /// time, so a list (a map of its own costs the wasm more code).
    in_flight: Rc<RefCell<Vec<(String, Vec<Callback<()>>)>>>,
    /// Told the number of requests in flight whenever it changes (the progress bar).
    watchers: Rc<RefCell<Vec<Callback<usize>>>>,
}

impl PartialEq for ApiCache {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.entries, &other.entries) && self.base == other.base
    }
}

impl ApiCache {
    pub fn new(base: &str) -> ApiCache {
        ApiCache {
            base: base.trim_end_matches('/').into(),
            ..Default::default()
        }
    }

    /// Put a document in the cache (prerendering, hydration, tests).
    pub fn insert(&self, path: &str, json: &str) {
        self.entries
            .borrow_mut()
            .insert(path.to_string(), Entry::loaded(json.into()));
    }

    /// Put a document a prerendered page embeds in the cache, read as what
    /// its path names (`paths::kind`; a page that reads it later gets it
    /// read). `false`, and nothing kept, when it cannot be read so: the app
    /// must not adopt markup made from it.
    pub fn adopt(&self, path: &str, json: &str) -> bool {
        let entry = Entry::loaded(json.into());
        if let (Entry::Loaded(l), Some(reader)) = (&entry, Reader::for_path(path))
            && l.read(reader).is_err()
        {
            return false;
        }
        self.entries.borrow_mut().insert(path.to_string(), entry);
        true
    }

    /// The document at `path` as `T`, once it has settled: read (once, see
    /// `Loaded`), or why it failed.
    pub fn read_as<T: DeserializeOwned + 'static>(
        &self,
        path: &str,
    ) -> Option<Result<Rc<T>, FetchError>> {
        let read = self.read(path, Reader::of::<T>())?;
        Some(read.and_then(|v| v.downcast::<T>().map_err(|_| FetchError::Decode)))
    }

    pub(crate) fn read(&self, path: &str, reader: Reader) -> Option<Parsed> {
        match self.get(path)? {
            Entry::Loaded(l) => Some(l.read(reader)),
            Entry::Failed(e) => Some(Err(e)),
        }
    }

    pub fn contains(&self, path: &str) -> bool {
        matches!(self.entries.borrow().get(path), Some(Entry::Loaded(_)))
    }

    /// Every loaded document, for embedding in a prerendered page.
    pub fn loaded(&self) -> Vec<(String, Rc<str>)> {
        let mut v: Vec<_> = self
            .entries
            .borrow()
            .iter()
            .filter_map(|(k, e)| match e {
                Entry::Loaded(l) => Some((k.clone(), l.text.clone())),
                Entry::Failed(_) => None,
            })
            .collect();
        v.sort();
        v
    }

    fn get(&self, path: &str) -> Option<Entry> {
        self.entries.borrow().get(path).cloned()
    }

    /// The document at `path` once it has settled: its text, or why it failed.
    pub fn settled(&self, path: &str) -> Option<Result<Rc<str>, FetchError>> {
        match self.get(path)? {
            Entry::Loaded(l) => Some(Ok(l.text.clone())),
            Entry::Failed(e) => Some(Err(e)),
        }
    }

    /// Before a retry: forget a failed fetch of `path`, and also its text
    /// when that could not be read as the document (`unreadable`: a proxy's
    /// HTML page, say), so that it is fetched again. A document that was read
    /// well is kept.
    pub fn forget_failure(&self, path: &str, unreadable: bool) {
        let mut entries = self.entries.borrow_mut();
        if unreadable || matches!(entries.get(path), Some(Entry::Failed(_))) {
            entries.remove(path);
        }
    }

    /// Start loading `path` unless it is loaded or loading; `done` runs when it settles.
    pub fn load(&self, path: &str, done: Option<Callback<()>>) {
        if self.get(path).is_some() {
            return;
        }
        {
            let mut in_flight = self.in_flight.borrow_mut();
            if let Some((_, waiters)) = in_flight.iter_mut().find(|(p, _)| p == path) {
                waiters.extend(done);
                return;
            }
            in_flight.push((path.to_string(), done.into_iter().collect()));
        }
        self.announce_in_flight();
        {
            let cache = self.clone();
            let path = path.to_string();
            wasm_bindgen_futures::spawn_local(async move {
                let url = format!("{}{}", cache.base, path);
                let entry = match crate::net::get_text(&url).await {
                    Ok(text) => Entry::loaded(text.into()),
                    Err(e) => Entry::Failed(e),
                };
                cache.entries.borrow_mut().insert(path.clone(), entry);
                let waiters = {
                    let mut in_flight = cache.in_flight.borrow_mut();
                    let i = in_flight.iter().position(|(p, _)| *p == path);
                    i.map(|i| in_flight.swap_remove(i).1).unwrap_or_default()
                };
                cache.announce_in_flight();
                for w in waiters {
                    w.emit(());
                }
            });
        }
    }

    /// Be told how many requests are in flight: now (some may have started
    /// before the watcher, in the first render), and whenever that changes.
    pub fn watch(&self, cb: Callback<usize>) {
        cb.emit(self.in_flight.borrow().len());
        self.watchers.borrow_mut().push(cb);
    }

    fn announce_in_flight(&self) {
        let n = self.in_flight.borrow().len();
        let watchers = self.watchers.borrow().clone();
        for w in watchers {
            w.emit(n);
        }
    }

    /// Warm the cache for a link the visitor is about to follow.
    pub fn prefetch(&self, path: &str) {
        self.load(path, None);
    }
}

pub(crate) type Parsed = Result<Rc<dyn Any>, FetchError>;

fn parse<T: DeserializeOwned + 'static>(text: &str) -> Parsed {
    Ok(Rc::new(decode::<T>(text)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_document_is_read_once_for_every_reader_while_its_text_stays() {
        let cache = ApiCache::new("");
        let path = keel_model::paths::search_meta();
        let text = r#"{"docs":1,"shards":[""],"tags":[],"doc_tags":[[]]}"#;
        cache.insert(&path, text);
        let a = cache
            .read_as::<keel_model::search::SearchMeta>(&path)
            .unwrap()
            .unwrap();
        let b = cache
            .read_as::<keel_model::search::SearchMeta>(&path)
            .unwrap()
            .unwrap();
        assert!(Rc::ptr_eq(&a, &b), "the same document, read once");
        cache.insert(&path, text);
        let c = cache
            .read_as::<keel_model::search::SearchMeta>(&path)
            .unwrap()
            .unwrap();
        assert!(!Rc::ptr_eq(&a, &c), "a new text is read anew");
        assert_eq!(*a, *c);
    }

    #[test]
    fn an_embedded_document_is_adopted_only_if_it_reads_as_what_its_path_names() {
        let cache = ApiCache::new("");
        let site = keel_model::paths::site();
        assert!(!cache.adopt(&site, r#"{"x":1}"#));
        assert!(!cache.adopt(&site, "{"));
        assert!(!cache.contains(&site), "nothing kept");
        let meta = keel_model::paths::search_meta();
        assert!(cache.adopt(&meta, r#"{"docs":0,"shards":[],"tags":[],"doc_tags":[]}"#));
        assert!(cache.contains(&meta));
        // A path that names no document is taken as it is.
        assert!(cache.adopt("/api/v1/tags.json", "[]"));
    }
}
