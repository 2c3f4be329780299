//! The colour theme: follow the system (the default, and what a page without
//! JavaScript gets), or a choice the visitor made, remembered in localStorage.
//! The stylesheet reads `data-theme` on the app root; see `style.rs`. Before
//! the app runs, an inline script in index.html copies the stored choice onto
//! `<html data-keel-theme>`, so a visitor who chose dark never sees a light
//! first paint; hydration starts from the system theme like the server did,
//! then applies the stored choice to the root, which takes over.

use yew::prelude::*;

use crate::dom::storage;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ThemeChoice {
    System,
    Light,
    Dark,
}

/// The localStorage key, also read by the inline script in index.html.
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

    /// The `data-theme` attribute value; none follows the system.
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

    pub fn load() -> ThemeChoice {
        storage().and_then(|s| s.get_item(STORAGE_KEY).ok().flatten()).map(|v| ThemeChoice::parse(&v)).unwrap_or(ThemeChoice::System)
    }

    pub fn save(self) {
        if let Some(s) = storage() {
            let _ = match self.attr() {
                Some(v) => s.set_item(STORAGE_KEY, v),
                None => s.remove_item(STORAGE_KEY),
            };
        }
        // Keep the page-level mirror that index.html's inline script sets
        // before first paint in step, so a reload paints the same theme.
        if let Some(html) = web_sys::window().and_then(|w| w.document()).and_then(|d| d.document_element()) {
            let _ = match self.attr() {
                Some(v) => html.set_attribute(PAGE_ATTR, v),
                None => html.remove_attribute(PAGE_ATTR),
            };
        }
    }
}

#[derive(Clone, PartialEq)]
pub struct ThemeContext {
    pub choice: ThemeChoice,
    pub set: Callback<ThemeChoice>,
}
