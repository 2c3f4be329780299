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
        && let Ok(map) = serde_json::from_str::<std::collections::BTreeMap<String, serde_json::Value>>(&text)
    {
        for (path, value) in map {
            cache.insert(&path, &value.to_string());
        }
    }
    dom::install_scroll_memory();
    let props = AppProps { cache };
    match doc.and_then(|d| d.get_element_by_id("app")) {
        Some(root) => {
            yew::Renderer::<App>::with_root_and_props(root, props).render();
        }
        None => {
            yew::Renderer::<App>::with_props(props).render();
        }
    }
}
