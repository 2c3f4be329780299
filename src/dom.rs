//! The few direct DOM touches the app needs, outside the component tree.
//! Called only from effects, so never on the server.

use wasm_bindgen::JsCast;

pub fn set_meta(title: &str, description: &str) {
    let Some(doc) = web_sys::window().and_then(|w| w.document()) else { return };
    doc.set_title(title);
    if let Ok(Some(el)) = doc.query_selector("meta[name=description]") {
        let _ = el.set_attribute("content", description);
    }
}

/// Scroll to the top, then focus the page heading (or main while it loads).
pub fn after_navigation() {
    let Some(win) = web_sys::window() else { return };
    let has_fragment = win.location().hash().map(|h| !h.is_empty()).unwrap_or(false);
    if !has_fragment {
        win.scroll_to_with_x_and_y(0.0, 0.0);
    }
    let Some(doc) = win.document() else { return };
    let target = doc.get_element_by_id("page-title").or_else(|| doc.get_element_by_id("main"));
    if let Some(el) = target.and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok()) {
        let _ = el.focus();
    }
}
