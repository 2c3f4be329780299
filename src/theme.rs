//! The colour theme: follow the system (the default, and what a page without
//! JavaScript gets), or a choice the visitor made, remembered in localStorage.
//! The stylesheet reads `data-theme` on the app root; see `style.rs`.

use yew::prelude::*;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ThemeChoice {
    System,
    Light,
    Dark,
}

const STORAGE_KEY: &str = "keel-theme";

impl ThemeChoice {
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
    }
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

#[derive(Clone, PartialEq)]
pub struct ThemeContext {
    pub choice: ThemeChoice,
    pub set: Callback<ThemeChoice>,
}
