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
    if !image.is_valid() {
        return Html::default();
    }
    let mut formats = image.formats();
    // The original's format is the `<img>`'s own: its largest file, for the
    // rare browser that reads neither AVIF nor WebP (an SVG: its only file).
    formats.pop();
    html! {
        <picture>
            { for formats.into_iter().map(|f| html! { <source type={f.mime()} srcset={image.srcset(prefix, f)} {sizes} /> }) }
            <img src={format!("{prefix}{}", image.src)}
                 width={image.width.to_string()} height={image.height.to_string()} alt={alt.to_string()}
                 loading={(!eager).then_some("lazy")} fetchpriority={eager.then_some("high")} decoding="async" />
        </picture>
    }
}
