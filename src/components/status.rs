//! Loading and error states. Skeletons reserve the space the content will
//! take, so nothing shifts when it arrives.

use yew::prelude::*;

use crate::api::{Doc, FetchError, Resource, Retry, UseApi};

/// A page's data, or the view to show instead: `skeleton` while it loads, an
/// error with a retry when it failed, both in the page container.
pub fn ready_or_view<T>(
    data: &UseApi<T>,
    what: &'static str,
    skeleton: Html,
) -> Result<Doc<T>, Html> {
    match &data.state {
        Resource::Ready(v) => Ok(v.clone()),
        Resource::Loading => Err(html! { <div class="container">{ skeleton }</div> }),
        Resource::Failed(error) => {
            Err(html! { <div class="container">{ error_box(error, &data.retry, what) }</div> })
        }
    }
}

// The pieces below are plain functions, not components: they hold no state,
// and each component costs the wasm its own copy of Yew's lifecycle code.

/// `cards` card-shaped placeholders while `label` (what is loading, for
/// screen readers) loads.
pub fn cards_skeleton(label: &str, cards: usize) -> Html {
    html! {
        <div role="status" aria-live="polite" aria-busy="true">
            <span class="visually-hidden">{ format!("Loading {label}…") }</span>
            <ul class="cards" aria-hidden="true">
                { for (0..cards).map(|_| html! { <li class="skeleton"></li> }) }
            </ul>
        </div>
    }
}

/// A title and `lines` lines of placeholder text while `label` loads.
pub fn text_skeleton(label: &str, lines: usize) -> Html {
    html! {
        <div role="status" aria-live="polite" aria-busy="true">
            <span class="visually-hidden">{ format!("Loading {label}…") }</span>
            <div aria-hidden="true">
                <div class="skeleton-line title"></div>
                { for (0..lines).map(|_| html! { <div class="skeleton-line"></div> }) }
            </div>
        </div>
    }
}

/// Why `what` (e.g. "the articles") could not be loaded, with a retry.
pub fn error_box(error: &FetchError, retry: &Retry, what: &str) -> Html {
    let onclick = retry.run.reform(|_: MouseEvent| ());
    html! {
        <div class="status error" role="alert">
            <h2>{ format!("Could not load {what}") }</h2>
            <p>{ error.to_string() }</p>
            <button type="button" class="button" ref={retry.button.clone()} {onclick}>{ "Try again" }</button>
        </div>
    }
}
