//! An image of the site as the page offers it: a `<picture>` with each
//! format the build wrote (best first) at every width, the box reserved by
//! `width` and `height` (nothing moves as it loads), loaded lazily unless it
//! is in the first screen. A function, not a component: it has no state.

use keel_model::doc::Image;
use yew::prelude::*;

/// How wide an image shows, for the browser to choose a file before layout.
pub mod sizes {
    /// The reading column (`.prose`, 42rem), or the page less its margins.
    pub const COLUMN: &str = "(min-width: 45rem) 42rem, calc(100vw - 2rem)";
    /// The article's header (48rem).
    pub const HEADER: &str = "(min-width: 51rem) 48rem, calc(100vw - 2rem)";
    /// A card of a grid of cards (three across on a wide screen).
    pub const CARD: &str = "(min-width: 72rem) 22rem, (min-width: 44rem) 45vw, calc(100vw - 2rem)";
}

/// `image`, its files behind `prefix` (the base path, or our origin in a
/// partner's page), described by `alt` (its own, or "" where the text beside
/// it says it all: a card's cover). `eager`: in the first screen, so fetched
/// at once and first. A path the build does not write (a tampered document)
/// shows nothing.
pub fn picture(image: &Image, alt: &str, prefix: &str, sizes: &'static str, eager: bool) -> Html {
    let files = &image.files;
    let (Some(src), Some((&fallback, better))) = (files.fallback(), files.formats.split_last())
    else {
        return Html::default();
    };
    if !files.is_valid() {
        return Html::default();
    }
    let srcset = |format| AttrValue::from(files.srcset(prefix, format));
    html! {
        <picture>
            { for better.iter().map(|&f| html! { <source type={f.mime()} srcset={srcset(f)} {sizes} /> }) }
            <img src={format!("{prefix}{src}")} srcset={srcset(fallback)} {sizes}
                 width={files.width.to_string()} height={files.height.to_string()} alt={alt.to_string()}
                 loading={(!eager).then_some("lazy")} fetchpriority={eager.then_some("high")} decoding="async" />
        </picture>
    }
}
