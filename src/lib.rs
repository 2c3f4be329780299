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
//! - browser-only state (the stored theme, a saved contact draft, the
//!   document title, focus) is applied in effects after the first render,
//!   which therefore starts from what the server saw;
//! - there is one stylesheet (`style::app_style`) and so one generated class;
//! - dates are formatted by hand (`human_date`), never with the browser's locale.

pub mod api;
pub mod app;
pub mod components;
pub mod dom;
pub mod net;
pub mod pages;
pub mod route;
pub mod style;
pub mod theme;

pub use app::{App, AppProps, ServerApp, ServerAppProps};

/// Start the app in the browser, into `#app` (or `<body>` without one).
/// Documents embedded by a prerendered page are put in the cache first.
#[cfg(feature = "csr")]
pub fn start() {
    let cache = api::ApiCache::new("");
    let doc = web_sys::window().and_then(|w| w.document());
    if let Some(el) = doc.as_ref().and_then(|d| d.get_element_by_id("keel-data"))
        && let Some(text) = el.text_content()
        && let Ok(map) = serde_json::from_str::<std::collections::BTreeMap<String, Box<serde_json::value::RawValue>>>(&text)
    {
        // Raw: each document is kept as the text it is, never parsed into a
        // generic value and printed again (which also keeps the bundle small).
        for (path, value) in map {
            cache.insert(&path, value.get());
        }
    }
    dom::install_scroll_memory();
    let props = AppProps { cache };
    let Some(root) = doc.as_ref().and_then(|d| d.get_element_by_id("app")) else {
        yew::Renderer::<App>::with_props(props).render();
        return;
    };
    // A prerendered page says which URL it was rendered for. The same URL:
    // adopt its DOM (hydrate). Another (a query string, a 404 shell served for
    // a new path): render afresh.
    let here = web_sys::window()
        .map(|w| {
            let l = w.location();
            format!("{}{}", l.pathname().unwrap_or_default(), l.search().unwrap_or_default())
        })
        .unwrap_or_default();
    let rendered_for = root.get_attribute("data-rendered");
    #[cfg(feature = "hydration")]
    if rendered_for.as_deref() == Some(here.as_str()) {
        yew::Renderer::<App>::with_root_and_props(root, props).hydrate();
        return;
    }
    let _ = (rendered_for, here);
    while let Some(child) = root.first_child() {
        let _ = root.remove_child(&child);
    }
    yew::Renderer::<App>::with_root_and_props(root, props).render();
}
