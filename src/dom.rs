//! The few direct DOM touches the app needs, outside the component tree.
//! Called from effects, so never on the server; `storage()` alone is also
//! read in a first render (the contact draft), and is `None` on the server.

use std::cell::{Cell, RefCell};

use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;

thread_local! {
    /// Scroll position by URL, for restoring it on back and forward: one per
    /// page visited, so a list (a map of its own costs the wasm more code).
    static POSITIONS: RefCell<Vec<(String, f64)>> = const { RefCell::new(Vec::new()) };
    /// Set by the router on back/forward: this navigation is one, not a click.
    static POPPED: Cell<bool> = const { Cell::new(false) };
}

/// Run `f` once after `ms` milliseconds.
pub fn after_ms(ms: i32, f: impl FnOnce() + 'static) {
    let cb = Closure::once_into_js(f);
    if let Some(w) = web_sys::window() {
        let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(cb.unchecked_ref(), ms);
    }
}

/// A future that resolves after `ms` milliseconds (0: at the browser's next
/// turn, after what it had to do).
pub async fn sleep_ms(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        after_ms(ms, move || {
            let _ = resolve.call0(&wasm_bindgen::JsValue::UNDEFINED);
        })
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}

/// Load the page at the address shown again, from the server.
pub fn reload() {
    if let Some(w) = web_sys::window() {
        let _ = w.location().reload();
    }
}

/// Milliseconds since the page opened (`performance.now()`).
pub fn now_ms() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map(|p| p.now())
        .unwrap_or_default()
}

/// Remember scroll positions, for back/forward. The browser's own
/// restoration cannot work for content rendered after the URL changes.
pub fn install_scroll_memory() {
    let Some(win) = web_sys::window() else { return };
    if let Ok(h) = win.history() {
        let _ = h.set_scroll_restoration(web_sys::ScrollRestoration::Manual);
    }
    let on_scroll = Closure::<dyn Fn()>::new(remember_scroll);
    let _ = win.add_event_listener_with_callback("scroll", on_scroll.as_ref().unchecked_ref());
    // The listener lives as long as the page.
    on_scroll.forget();
}

/// The router moved back or forward in the history: the coming
/// `after_navigation` returns to where the visitor was.
pub fn moved_in_history() {
    POPPED.with(|p| p.set(true));
}

/// Record the scroll position of the current URL (for back/forward).
pub fn remember_scroll() {
    if let Some(w) = web_sys::window()
        && let (Ok(href), Ok(y)) = (w.location().href(), w.scroll_y())
    {
        POSITIONS.with(|p| {
            let mut p = p.borrow_mut();
            match p.iter_mut().find(|(h, _)| *h == href) {
                Some((_, at)) => *at = y,
                None => p.push((href, y)),
            }
        });
    }
}

pub fn document_title() -> Option<String> {
    web_sys::window()?
        .document()
        .map(|d| d.title())
        .filter(|t| !t.is_empty())
}

pub fn set_meta(title: &str, description: &str) {
    let Some(doc) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    doc.set_title(title);
    if let Ok(Some(el)) = doc.query_selector("meta[name=description]") {
        let _ = el.set_attribute("content", description);
    }
}

/// After a route change: on a click, scroll to the top; on back/forward,
/// return to where the visitor was. Then focus the page heading (or main
/// while it loads) without scrolling, so screen readers start there.
pub fn after_navigation() {
    let Some(win) = web_sys::window() else { return };
    let popped = POPPED.with(|p| p.replace(false));
    let href = win.location().href().unwrap_or_default();
    let has_fragment = win
        .location()
        .hash()
        .map(|h| !h.is_empty())
        .unwrap_or(false);
    let y = if popped {
        POSITIONS
            .with(|p| p.borrow().iter().find(|(h, _)| *h == href).map(|(_, y)| *y))
            .unwrap_or(0.0)
    } else {
        0.0
    };
    if !has_fragment || popped {
        win.scroll_to_with_x_and_y(0.0, y);
    }
    let Some(doc) = win.document() else { return };
    let target = doc
        .get_element_by_id("page-title")
        .or_else(|| doc.get_element_by_id("main"));
    if let Some(el) = target.and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok()) {
        let opts = web_sys::FocusOptions::new();
        opts.set_prevent_scroll(true);
        let _ = el.focus_with_options(&opts);
    }
}

/// localStorage, when the browser has it and allows it (private modes and
/// embeds may not; the server renderer has no browser at all): callers treat
/// `None` as "remember nothing".
pub fn storage() -> Option<web_sys::Storage> {
    if !cfg!(target_arch = "wasm32") {
        return None;
    }
    web_sys::window()?.local_storage().ok().flatten()
}

thread_local! {
    /// Set by an inline embed's mount: this wasm runs in a partner's page.
    static IN_PARTNER_PAGE: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Say that this wasm runs inline in a partner's page (`embed::mount`):
/// what the visitor types is then kept for the tab only (`draft_storage`).
pub fn running_in_partner_page() {
    IN_PARTNER_PAGE.with(|p| p.set(true));
}

/// Where the contact form keeps its draft: localStorage on our own pages
/// (and in our iframe, which is our origin's), so a draft outlives a closed
/// tab; but inline in a partner's page, sessionStorage, so a visitor's name,
/// email and message do not stay in the partner's storage once the tab is
/// closed (a reload keeps them). `None`: remember nothing.
pub fn draft_storage() -> Option<web_sys::Storage> {
    if !IN_PARTNER_PAGE.with(|p| p.get()) {
        return storage();
    }
    web_sys::window()?.session_storage().ok().flatten()
}

/// Tell the embed scripts something, by an event that bubbles from `el` to
/// them (`embed/frame.js` in our iframe, the loader's box inline; on our own
/// site nobody listens): `keel-embed-error` (a view with nothing to show),
/// `keel-submitted` (a contact request stored; the detail is its id).
pub fn tell_embed(el: &web_sys::Element, event: &str, detail: &str) {
    let init = web_sys::CustomEventInit::new();
    init.set_bubbles(true);
    init.set_detail(&wasm_bindgen::JsValue::from_str(detail));
    if let Ok(event) = web_sys::CustomEvent::new_with_event_init_dict(event, &init) {
        let _ = el.dispatch_event(&event);
    }
}

/// In our iframe on a partner's page: that page's origin, as `embed/frame.js`
/// checked it against what the browser says (`data-keel-host` on `<html>`).
pub fn frame_host() -> Option<String> {
    let html = web_sys::window()?.document()?.document_element()?;
    html.get_attribute("data-keel-host")
        .filter(|h| h.starts_with("https://") || h.starts_with("http://"))
}

/// In our iframe on a partner's page: the widget's settings, the fragment
/// the loader wrote (`theme=…&name=…`, URL-encoded), never sent to a server.
pub fn frame_settings() -> Option<String> {
    let hash = web_sys::window()?.location().hash().ok()?;
    Some(hash.trim_start_matches('#').to_string()).filter(|h| !h.is_empty())
}

/// Whether the loader of a partner's page loaded us (`Keel.embedding`): the
/// app then mounts only where the loader asks, never into the page itself.
pub fn loaded_by_embed() -> bool {
    let Some(win) = web_sys::window() else {
        return false;
    };
    js_sys::Reflect::get(&win, &"Keel".into())
        .and_then(|keel| js_sys::Reflect::get(&keel, &"embedding".into()))
        .map(|v| v.is_truthy())
        .unwrap_or(false)
}

/// This page's origin (`https://keel.example`), in the browser.
pub fn origin() -> Option<String> {
    web_sys::window()?.location().origin().ok()
}

/// Put a partner's placeholder, with these `data-keel-…` attributes, into
/// `host` (emptied first), and have the partner loader at `loader` mount it
/// as it would on the partner's page: the loader is added to the page once,
/// and mounts what it finds; later placeholders on `Keel.scan()`.
pub fn show_widget(host: &yew::NodeRef, loader: &str, attrs: &[(&'static str, String)]) {
    use wasm_bindgen::JsCast;
    let (Some(host), Some(win)) = (host.cast::<web_sys::Element>(), web_sys::window()) else {
        return;
    };
    let Some(doc) = win.document() else {
        return;
    };
    while let Some(child) = host.first_child() {
        let _ = host.remove_child(&child);
    }
    let Ok(el) = doc.create_element("div") else {
        return;
    };
    for (name, value) in attrs {
        let _ = el.set_attribute(&format!("data-keel-{name}"), value);
    }
    let _ = host.append_child(&el);
    let scan = js_sys::Reflect::get(&win, &"Keel".into())
        .and_then(|keel| Ok((js_sys::Reflect::get(&keel, &"scan".into())?, keel)));
    if let Ok((scan, keel)) = scan
        && let Some(scan) = scan.dyn_ref::<js_sys::Function>()
    {
        let _ = scan.call0(&keel);
    } else if doc
        .query_selector("script[data-keel-loader]")
        .ok()
        .flatten()
        .is_none()
        && let (Ok(script), Some(head)) = (doc.create_element("script"), doc.head())
    {
        let _ = script.set_attribute("src", loader);
        let _ = script.set_attribute("async", "");
        let _ = script.set_attribute("data-keel-loader", "");
        let _ = head.append_child(&script);
    }
}

/// Copy `text` to the clipboard, then tell `done` whether the browser let us.
pub fn copy_text(text: &str, done: impl FnOnce(bool) + 'static) {
    let Some(win) = web_sys::window() else {
        return done(false);
    };
    let promise = win.navigator().clipboard().write_text(text);
    wasm_bindgen_futures::spawn_local(async move {
        done(wasm_bindgen_futures::JsFuture::from(promise).await.is_ok());
    });
}
