//! `AppLink`: a real `<a href>` that routes in place on a plain click (ctrl,
//! cmd, shift, alt and middle clicks keep their browser meaning), marks the
//! current page, and warms the API cache on hover or focus.

use yew::prelude::*;

use crate::components::attrs::attrs;
use crate::route::{ArticlesQuery, Route};

#[derive(Properties, PartialEq)]
pub struct AppLinkProps {
    pub to: Route,
    #[prop_or_default]
    pub query: Option<ArticlesQuery>,
    #[prop_or_default]
    pub class: Option<AttrValue>,
    /// An API document to fetch when the link is hovered or focused.
    #[prop_or_default]
    pub prefetch: Option<String>,
    /// `aria-current` value when this link is the current page or filter.
    #[prop_or_default]
    pub current: Option<AttrValue>,
    #[prop_or_default]
    pub label: Option<AttrValue>,
    #[prop_or_default]
    pub children: Html,
}

/// The path the site is served under (`--base-path` of the build, e.g.
/// `/keel`), or "" at the root of its origin: the router's basename.
#[hook]
pub fn use_base_path() -> AttrValue {
    crate::env::use_env().navigator.base().clone()
}

#[component]
pub fn AppLink(props: &AppLinkProps) -> Html {
    let crate::env::Env {
        navigator, cache, ..
    } = crate::env::use_env();
    let href = {
        // Under the site's base path, if it has one (the router adds it on click).
        let base = navigator.base();
        let path = format!("{base}{}", props.to.to_path());
        match props.query.as_ref().filter(|q| !q.is_empty()) {
            Some(q) => format!("{path}?{}", q.to_query_string()),
            None => path,
        }
    };
    let onclick = {
        let to = props.to.clone();
        let query = props.query.clone();
        Callback::from(move |e: MouseEvent| {
            if e.button() != 0 || e.meta_key() || e.ctrl_key() || e.shift_key() || e.alt_key() {
                return;
            }
            e.prevent_default();
            // Where the visitor was, for back: a scroll event from a scroll
            // just before the click may only be dispatched after the URL
            // has changed.
            crate::dom::remember_scroll();
            navigator.push(
                &to,
                query
                    .as_ref()
                    .map(ArticlesQuery::to_query_string)
                    .unwrap_or_default(),
            );
        })
    };
    let warm = {
        let prefetch = props.prefetch.clone();
        Callback::from(move |_: ()| {
            if let Some(path) = &prefetch {
                cache.prefetch(path);
            }
        })
    };
    let onmouseenter = warm.reform(|_: MouseEvent| ());
    let onfocus = warm.reform(|_: FocusEvent| ());
    let a = html! { <a {onclick} {onmouseenter} {onfocus}>{ props.children.clone() }</a> };
    attrs(
        a,
        &["href", "class", "aria-current", "aria-label"],
        vec![
            Some(href.into()),
            props.class.clone(),
            props.current.clone(),
            props.label.clone(),
        ],
    )
}
