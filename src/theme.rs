//! The colour theme: follow the system (the default, and what a page without
//! JavaScript gets), or a choice the visitor made, remembered in localStorage.
//!
//! The choice in force is one attribute, `<html data-keel-theme>`, which the
//! stylesheet reads (`style.rs`). An inline script in each page's `<head>`
//! (`early_script`, put there by the prerenderer) sets it from the stored
//! choice before the first paint, so a visitor who chose dark never
//! sees a light page; the theme button (`layout::theme_toggle`) switches it.
//! No markup the app renders depends on the choice, so hydration always
//! matches the server's page and never fights the attribute.

use crate::dom::storage;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ThemeChoice {
    System,
    Light,
    Dark,
}

/// The localStorage key, also read by `early_script`.
const STORAGE_KEY: &str = "keel-theme";
/// The attribute that script sets on `<html>`; read by `style.rs`.
const PAGE_ATTR: &str = "data-keel-theme";

impl ThemeChoice {
    pub const ALL: [ThemeChoice; 3] = [ThemeChoice::System, ThemeChoice::Light, ThemeChoice::Dark];

    /// What the theme button shows for this choice.
    pub fn badge(self) -> &'static str {
        match self {
            ThemeChoice::System => "◐ Auto",
            ThemeChoice::Light => "☀ Light",
            ThemeChoice::Dark => "☾ Dark",
        }
    }

    /// The class of this choice's label in the theme button (`style.rs`
    /// shows the one in force).
    pub fn class(self) -> &'static str {
        match self {
            ThemeChoice::System => "theme-system",
            ThemeChoice::Light => "theme-light",
            ThemeChoice::Dark => "theme-dark",
        }
    }

    pub fn next(self) -> ThemeChoice {
        match self {
            ThemeChoice::System => ThemeChoice::Dark,
            ThemeChoice::Dark => ThemeChoice::Light,
            ThemeChoice::Light => ThemeChoice::System,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ThemeChoice::System => "same as your system",
            ThemeChoice::Light => "light",
            ThemeChoice::Dark => "dark",
        }
    }

    /// The `data-keel-theme` value on `<html>`; none follows the system.
    pub fn attr(self) -> Option<&'static str> {
        match self {
            ThemeChoice::System => None,
            ThemeChoice::Light => Some("light"),
            ThemeChoice::Dark => Some("dark"),
        }
    }

    fn parse(s: &str) -> ThemeChoice {
        match s {
            "light" => ThemeChoice::Light,
            "dark" => ThemeChoice::Dark,
            _ => ThemeChoice::System,
        }
    }

    /// The choice in force: the one on `<html>` (which holds it even where
    /// localStorage is unavailable).
    pub fn current() -> ThemeChoice {
        page()
            .and_then(|html| html.get_attribute(PAGE_ATTR))
            .map(|v| ThemeChoice::parse(&v))
            .unwrap_or(ThemeChoice::System)
    }

    /// Put this choice in force, and remember it.
    pub fn save(self) {
        if let Some(s) = storage() {
            let _ = match self.attr() {
                Some(v) => s.set_item(STORAGE_KEY, v),
                None => s.remove_item(STORAGE_KEY),
            };
        }
        if let Some(html) = page() {
            let _ = match self.attr() {
                Some(v) => html.set_attribute(PAGE_ATTR, v),
                None => html.remove_attribute(PAGE_ATTR),
            };
        }
    }
}

/// The inline script that puts the stored choice in force before the first
/// paint; the prerenderer writes it into our site's pages' `<head>`, and the
/// page's CSP allows it by its hash.
#[cfg(not(target_arch = "wasm32"))]
pub fn early_script() -> String {
    let stored = |c: ThemeChoice| {
        c.attr()
            .expect("a choice other than the system's is stored")
    };
    format!(
        "try{{var t=localStorage.getItem(\"{STORAGE_KEY}\");if(t==\"{}\"||t==\"{}\")document.documentElement.setAttribute(\"{PAGE_ATTR}\",t)}}catch(e){{}}",
        stored(ThemeChoice::Dark),
        stored(ThemeChoice::Light),
    )
}

/// `<html>`, which holds the choice in force.
fn page() -> Option<web_sys::Element> {
    web_sys::window()?.document()?.document_element()
}
