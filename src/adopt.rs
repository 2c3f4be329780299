//! What the visitor did to the prerendered page before the app ran.
//!
//! The app starts late on purpose (on the first interaction, or when the
//! browser is idle: see the loader in `Trunk.toml`), so a visitor may already
//! have typed into the page. Yew's hydration writes each field's value from
//! the component's state, and a fresh render replaces the fields, so without
//! this what was typed would be lost. `before_start` carries it into the
//! app's own state first; `Focus::restore` puts the caret back afterwards.

use wasm_bindgen::JsCast;
use web_sys::{Document, Element, HtmlInputElement, HtmlTextAreaElement};

use crate::components::contact_form::adopt_typed;
use crate::route::ArticlesQuery;

/// What can be focused in the app, in document order: how a focused element
/// without an `id` is found again in a fresh render of the same page.
const FOCUSABLE: &str = "#app a[href], #app button, #app input, #app select, #app textarea";

/// Where focus and the caret were when the app started.
pub struct Focus {
    /// The element's id, or its place among `FOCUSABLE`.
    id: Option<String>,
    index: Option<u32>,
    /// A field's value then, and its selection.
    value: Option<String>,
    selection: Option<(u32, u32)>,
}

/// Carries what was typed into the prerendered page into the app's state:
/// the contact form's fields become its saved draft (which the form
/// restores), and a search typed on the index becomes the URL's query (from
/// which the index reads it). Returns the focused field, to restore once the
/// app has rendered. Call before computing the URL the app starts at.
pub fn before_start(doc: &Document) -> Option<Focus> {
    contact_form(doc);
    search(doc);
    let el = doc
        .active_element()
        .filter(|e| e.closest("#app").ok().flatten().is_some())?;
    let id = Some(el.id()).filter(|i| !i.is_empty());
    let index = match id {
        Some(_) => None,
        None => {
            let all = doc.query_selector_all(FOCUSABLE).ok()?;
            (0..all.length())
                .find(|&i| all.item(i).as_ref() == Some(AsRef::<web_sys::Node>::as_ref(&el)))
        }
    };
    let value = field_value(&el);
    let selection = value.as_ref().and_then(|_| {
        let (start, end) = match el.dyn_ref::<HtmlInputElement>() {
            Some(i) => (i.selection_start().ok()??, i.selection_end().ok()??),
            None => {
                let t = el.dyn_ref::<HtmlTextAreaElement>()?;
                (t.selection_start().ok()??, t.selection_end().ok()??)
            }
        };
        Some((start, end))
    });
    Some(Focus {
        id,
        index,
        value,
        selection,
    })
}

impl Focus {
    /// Once the app has rendered, put focus back on the element, or on its
    /// replacement after a fresh render, and the caret where it was (setting a
    /// value moves it). Yew renders in a microtask queued by the renderer;
    /// this one is queued after it, so no keystroke can arrive in between.
    pub fn restore(self) {
        wasm_bindgen_futures::spawn_local(async move {
            if let Some(doc) = web_sys::window().and_then(|w| w.document()) {
                self.restore_now(&doc);
            }
        });
    }

    fn restore_now(self, doc: &Document) {
        let el = match (&self.id, self.index) {
            (Some(id), _) => doc.get_element_by_id(id),
            (None, Some(i)) => doc
                .query_selector_all(FOCUSABLE)
                .ok()
                .and_then(|all| all.item(i))
                .and_then(|n| n.dyn_into().ok()),
            (None, None) => None,
        };
        let Some(el) = el else { return };
        if doc.active_element().as_ref() != Some(&el) {
            let Some(html) = el.dyn_ref::<web_sys::HtmlElement>() else {
                return;
            };
            let opts = web_sys::FocusOptions::new();
            opts.set_prevent_scroll(true);
            let _ = html.focus_with_options(&opts);
        }
        // Only where the text is still what it was: the caret of a field the
        // visitor has typed on since is theirs.
        if field_value(&el) != self.value {
            return;
        }
        if let Some((start, end)) = self.selection {
            if let Some(i) = el.dyn_ref::<HtmlInputElement>() {
                let _ = i.set_selection_range(start, end);
            } else if let Some(t) = el.dyn_ref::<HtmlTextAreaElement>() {
                let _ = t.set_selection_range(start, end);
            }
        }
    }
}

/// An input's or a textarea's value.
fn field_value(el: &Element) -> Option<String> {
    match el.dyn_ref::<HtmlInputElement>() {
        Some(i) => Some(i.value()),
        None => el
            .dyn_ref::<HtmlTextAreaElement>()
            .map(HtmlTextAreaElement::value),
    }
}

/// A field's value as a form would post it (`None` for a box or radio not
/// ticked), if the visitor changed it from what the page was rendered with.
fn changed_value(el: &Element) -> Option<Option<String>> {
    if let Some(i) = el.dyn_ref::<HtmlInputElement>() {
        if matches!(i.type_().as_str(), "checkbox" | "radio") {
            return (i.checked() != i.default_checked()).then(|| i.checked().then(|| i.value()));
        }
        return (i.value() != i.default_value()).then(|| Some(i.value()));
    }
    let t = el.dyn_ref::<HtmlTextAreaElement>()?;
    (Ok(t.value()) != t.default_value()).then(|| Some(t.value()))
}

/// The fields of the prerendered contact form the visitor changed, as a
/// browser would post them, into the form's draft.
fn contact_form(doc: &Document) {
    let Ok(fields) = doc.query_selector_all("form.contact-form [name]") else {
        return;
    };
    let mut pairs = Vec::new();
    for i in 0..fields.length() {
        let Some(el) = fields.item(i).and_then(|n| n.dyn_into::<Element>().ok()) else {
            continue;
        };
        if let (Some(name), Some(value)) = (el.get_attribute("name"), changed_value(&el)) {
            // An unticked box posts nothing; for the draft, it is "off".
            pairs.push((name, value.unwrap_or_default()));
        }
    }
    if !pairs.is_empty() {
        adopt_typed(pairs);
    }
}

/// A search typed into the index's prerendered field becomes the URL's `q`
/// (replacing the entry, as typing there does once the app runs).
fn search(doc: &Document) {
    let Some(Some(typed)) = doc
        .get_element_by_id("search")
        .as_ref()
        .and_then(changed_value)
    else {
        return;
    };
    let Some(win) = web_sys::window() else { return };
    let loc = win.location();
    let query_string = loc.search().unwrap_or_default();
    let query = ArticlesQuery::parse(&query_string);
    let next = crate::pages::articles::searching(&query, typed).to_query_string();
    let path = loc.pathname().unwrap_or_default();
    let url = if next.is_empty() {
        path
    } else {
        format!("{path}?{next}")
    };
    if let Ok(h) = win.history() {
        let _ = h.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&url));
    }
}
