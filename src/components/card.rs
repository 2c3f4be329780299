use keel_model::ArticleSummary;
use yew::prelude::*;

use crate::components::link::AppLink;
use crate::components::picture::{picture, sizes};
use crate::route::ArticlesQuery;
use crate::route::Route;

/// `text` with the words matching `query` in `<mark>`.
fn marked(text: &str, query: Option<&str>) -> Html {
    match query {
        None => html! { { text } },
        Some(q) => html! {
            { for keel_model::search::highlight(text, q).into_iter().map(|(run, hit)| if hit { html! { <mark>{ run }</mark> } } else { html! { { run } } }) }
        },
    }
}

/// An article card: the title link covers the whole card (one target, one
/// accessible name); the tags stay separately clickable above it. The title
/// is a heading of `level` (2 or 3, to keep the outline right), and the words
/// of `highlight` (a search) are marked in it and in the summary. Its cover,
/// if it has one, is above it (decorative here: the title says what the card
/// is), its files under the base path `base`, loaded at once when `first`
/// (in the first screen). A function, not a component: it holds no state
/// (see `status.rs`).
pub fn article_card(
    a: &ArticleSummary,
    level: u8,
    highlight: Option<&str>,
    base: &str,
    first: bool,
) -> Html {
    let title = html! {
        <AppLink to={Route::Article { slug: a.slug.clone() }} prefetch={keel_model::paths::article(&a.slug)}>
            { marked(&a.title, highlight) }
        </AppLink>
    };
    html! {
        <article class="card">
            if let Some(cover) = &a.cover { { picture(cover, "", base, sizes::CARD, first) } }
            { if level == 2 { html! { <h2>{ title }</h2> } } else { html! { <h3>{ title }</h3> } } }
            <p class="meta">
                <time datetime={a.date.clone()}>{ human_date(&a.date) }</time>
                { " · " }{ format!("{} min read", a.reading_minutes) }
            </p>
            <p>{ marked(&a.summary, highlight) }</p>
            <ul class="tags" aria-label="Tags">
                { for a.tags.iter().map(|t| html! {
                    <li><AppLink class="tag" to={Route::Articles} query={ArticlesQuery { tag: Some(t.clone()), ..Default::default() }}>{ t }</AppLink></li>
                }) }
            </ul>
        </article>
    }
}

/// `2025-03-12` as "12 March 2025": the same on the server and in the browser.
pub fn human_date(iso: &str) -> String {
    const MONTHS: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    let mut parts = iso.split('-');
    match (
        parts.next(),
        parts.next().and_then(|m| m.parse::<usize>().ok()),
        parts.next().and_then(|d| d.parse::<u32>().ok()),
    ) {
        (Some(y), Some(m @ 1..=12), Some(d)) => format!("{d} {} {y}", MONTHS[m - 1]),
        _ => iso.to_string(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn dates() {
        assert_eq!(super::human_date("2025-03-12"), "12 March 2025");
        assert_eq!(super::human_date("garbage"), "garbage");
    }
}
