//! Loading and error states. Skeletons reserve the space the content will
//! take, so nothing shifts when it arrives.

use yew::prelude::*;

use std::rc::Rc;

use crate::api::{FetchError, Resource, UseApi};

/// A page's data, or the view to show instead: `skeleton` while it loads, an
/// error with a retry when it failed, both in the page container.
pub fn ready_or_view<T>(data: UseApi<T>, what: &'static str, skeleton: Html) -> Result<Rc<T>, Html> {
    match data.state {
        Resource::Ready(v) => Ok(v),
        Resource::Loading => Err(html! { <div class="container">{ skeleton }</div> }),
        Resource::Failed(error) => Err(html! { <div class="container"><ErrorBox {error} retry={data.retry} {what} /></div> }),
    }
}

#[derive(Properties, PartialEq)]
pub struct SkeletonProps {
    /// What is loading, for screen readers.
    pub label: AttrValue,
    #[prop_or(3)]
    pub cards: usize,
}

#[component]
pub fn CardsSkeleton(props: &SkeletonProps) -> Html {
    html! {
        <div role="status" aria-live="polite" aria-busy="true">
            <span class="visually-hidden">{ format!("Loading {}…", props.label) }</span>
            <ul class="cards" aria-hidden="true">
                { for (0..props.cards).map(|_| html! { <li class="skeleton"></li> }) }
            </ul>
        </div>
    }
}

#[derive(Properties, PartialEq)]
pub struct TextSkeletonProps {
    pub label: AttrValue,
    #[prop_or(8)]
    pub lines: usize,
}

#[component]
pub fn TextSkeleton(props: &TextSkeletonProps) -> Html {
    html! {
        <div role="status" aria-live="polite" aria-busy="true">
            <span class="visually-hidden">{ format!("Loading {}…", props.label) }</span>
            <div aria-hidden="true">
                <div class="skeleton-line title"></div>
                { for (0..props.lines).map(|_| html! { <div class="skeleton-line"></div> }) }
            </div>
        </div>
    }
}

#[derive(Properties, PartialEq)]
pub struct ErrorBoxProps {
    pub error: FetchError,
    pub retry: Callback<()>,
    /// What failed to load, e.g. "the articles".
    pub what: AttrValue,
}

#[component]
pub fn ErrorBox(props: &ErrorBoxProps) -> Html {
    let onclick = props.retry.reform(|_: MouseEvent| ());
    html! {
        <div class="status error" role="alert">
            <h2>{ format!("Could not load {}", props.what) }</h2>
            <p>{ props.error.to_string() }</p>
            <button type="button" class="button" {onclick}>{ "Try again" }</button>
        </div>
    }
}
