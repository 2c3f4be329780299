//! Keel's single-page app: a Yew app that routes between the article index,
//! articles, the services pitch and the contact form, reading the JSON API.
//!
//! # Implementation note: deterministic rendering
//!
//! The same components render in the browser, on the server (prerendering)
//! and inside partner pages. So that server output and hydration agree:
//! - a component gets its data from `api::use_api`, which answers from the
//!   shared `ApiCache` when the document is there; no component gets its
//!   content only from an effect;
//! - browser-only state (the stored theme, the document title, focus) is
//!   applied in effects after the first render, which therefore starts from
//!   what the server saw; the contact draft is the exception (see
//!   `contact_form`): hydration writes field values from state;
//! - there is one stylesheet, made at build time (`style::stylesheet`), under
//!   one fixed class (`style::ROOT_CLASS`);
//! - dates are formatted by hand (`human_date`), never with the browser's locale.

#[cfg(feature = "csr")]
mod adopt;
pub mod api;
pub mod app;
mod cache;
pub mod components;
pub mod dom;
pub mod embed;
pub mod env;
mod json;
pub mod nav;
pub mod net;
pub mod pages;
pub mod route;
pub mod style;
pub mod theme;

pub use app::{App, PlaygroundApp};
pub use env::AppProps;

/// The allocator in the browser: talc, which is smaller and faster than the
/// Rust default for wasm (dlmalloc).
#[cfg(target_arch = "wasm32")]
#[global_allocator]
static ALLOC: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

/// Start our site's app in the browser, into `#app` (or `<body>` without
/// one). The embed views start with `embed::start`, from a wasm of their own.
#[cfg(feature = "csr")]
pub fn start() {
    boot::<App>(false);
}

/// Start the partner playground's app (`/embed/`), from a wasm of its own
/// (`bin/keel-playground.rs`).
#[cfg(feature = "csr")]
pub fn start_playground() {
    boot::<PlaygroundApp>(false);
}

/// Start the root `R` on the page: documents embedded by a prerendered page
/// go into the cache first. `embedded`: an embed view, in our iframe on a
/// partner's page, on an in-memory history, so that nothing in the widget
/// adds an entry to the partner's page history. Else our own pages: the
/// address bar, with scroll memory for back/forward.
#[cfg(feature = "csr")]
pub(crate) fn boot<R: yew::BaseComponent<Properties = AppProps>>(embedded: bool) {
    let doc = web_sys::window().and_then(|w| w.document());
    // Where this deploy put the site and its API (`cargo xtask build
    // --base-path`, `--api-origin`), as the prerendered page says.
    let meta = |name: &str| {
        doc.as_ref()
            .and_then(|d| {
                d.query_selector(&format!("meta[name={name}]"))
                    .ok()
                    .flatten()
            })
            .and_then(|m| m.get_attribute("content"))
            .filter(|v| !v.is_empty())
    };
    let base = meta("keel-base").unwrap_or_default();
    let cache = api::ApiCache::new(&meta("keel-api").unwrap_or_else(|| base.clone()));
    // One `<script type="application/json" data-keel-doc="path">` per
    // document: it goes into the cache, read (`ApiCache::adopt`). One that
    // cannot be read as its document (a page tampered with on the way) is
    // left out, and the page rendered afresh, fetching it: adopting markup
    // made from it would fail.
    let mut damaged = false;
    if let Some(docs) = doc
        .as_ref()
        .and_then(|d| d.query_selector_all("script[data-keel-doc]").ok())
    {
        for el in (0..docs.length())
            .filter_map(|i| wasm_bindgen::JsCast::dyn_into::<web_sys::Element>(docs.item(i)?).ok())
        {
            if let (Some(path), Some(text)) = (el.get_attribute("data-keel-doc"), el.text_content())
            {
                damaged |= !cache.adopt(&path, &text);
            }
        }
    }
    // What the visitor typed before the app ran becomes the app's state
    // (which may change the URL: a search), so it comes first.
    let focus = doc.as_ref().and_then(adopt::before_start);
    let refocus = move || focus.map(adopt::Focus::restore).unwrap_or_default();
    // This page's path and query, as the route table knows it (without the base path).
    let here = nav::Here::browser(&base).href();
    let basename = (!base.is_empty()).then(|| yew::AttrValue::from(base.clone()));
    let root = doc.as_ref().and_then(|d| d.get_element_by_id("app"));
    let rendered_for = root.as_ref().and_then(|r| r.get_attribute("data-rendered"));
    if !embedded {
        dom::install_scroll_memory();
    }
    let props = AppProps {
        cache,
        url: embedded.then(|| here.clone().into()),
        basename,
        inline_site: None,
        widget: None,
    };
    let Some(root) = root else {
        yew::Renderer::<R>::with_props(props).render();
        return;
    };
    // A prerendered page says which URL it was rendered for. The same URL:
    // adopt its DOM (hydrate). Another (a query string, a 404 page served
    // for a new path): render afresh.
    #[cfg(feature = "hydration")]
    if rendered_for.as_deref() == Some(here.as_str()) && !damaged {
        yew::Renderer::<R>::with_root_and_props(root, props).hydrate();
        return refocus();
    }
    let _ = (rendered_for, here, damaged);
    clear(&root);
    yew::Renderer::<R>::with_root_and_props(root, props).render();
    refocus();
}

#[cfg(feature = "csr")]
fn clear(root: &web_sys::Element) {
    while let Some(child) = root.first_child() {
        let _ = root.remove_child(&child);
    }
}
