//! The chrome around every page: skip link, header with navigation and the
//! theme toggle, footer with the offices and the contact call.

use keel_model::Site;
use yew::prelude::*;

use crate::components::attrs::{attrs, classed};
use crate::components::link::AppLink;
use crate::nav::use_location;
use crate::route::Route;
use crate::theme::ThemeChoice;

#[derive(Properties, PartialEq)]
pub struct HeaderProps {
    pub site: Option<crate::api::Doc<Site>>,
}

#[component]
pub fn Header(props: &HeaderProps) -> Html {
    let location = use_location();
    let route = location.route();
    let open = use_state(|| false);
    // Close the menu on each visit: a link followed (also to the page shown,
    // or to another filter of it), back or forward. Not on the page the app
    // started on: a press on the menu may already have opened it.
    {
        let open = open.clone();
        use_effect_with(location.visit, move |&visit| {
            if visit > 0 {
                open.set(false);
            }
        });
    }
    let name = props
        .site
        .as_ref()
        .map(|s| s.name.clone())
        .unwrap_or_else(|| "Keel".into());
    let current = |r: &Route| {
        let here = match (&route, r) {
            (Route::Article { .. }, Route::Articles) => true,
            (a, b) => a == b,
        };
        here.then_some(AttrValue::Static("page"))
    };
    let toggle_menu = {
        let open = open.clone();
        Callback::from(move |_: MouseEvent| open.set(!*open))
    };
    let nav_items = [
        (Route::Articles, "Articles"),
        (Route::Services, "Services"),
        (Route::Contact, "Contact"),
    ];
    let nav = html! {
        <nav>
            <ul id="site-nav" class="nav">
                { for nav_items.iter().map(|(r, label)| html! {
                    <li><AppLink to={r.clone()} current={current(r)}>{ *label }</AppLink></li>
                }) }
                <li>{ theme_toggle() }</li>
            </ul>
        </nav>
    };
    let nav_class = if *open { "nav-wrap open" } else { "nav-wrap" };
    html! {
        <header class="site-header">
            <div class="container bar">
                <AppLink class="brand" to={Route::Home} label={AttrValue::from(format!("{name}, home"))}>{ name.clone() }</AppLink>
                <button type="button" class="menu-button" aria-expanded={(*open).to_string()} aria-controls="site-nav" onclick={toggle_menu}>
                    { "Menu" }
                </button>
                { attrs(nav, &["aria-label", "id", "class"], vec![Some("Main".into()), Some("site-nav-wrap".into()), Some(nav_class.into())]) }
            </div>
        </header>
    }
}

/// The theme button (a function, not a component: it has no state; the
/// choice in force is on `<html>`, see `theme.rs`). It holds the label of
/// every choice, and the stylesheet shows the one in force (`style.rs`). So
/// it is right from the first paint, before the app runs, and its markup is
/// the server's whatever the visitor chose.
fn theme_toggle() -> Html {
    let onclick = Callback::from(|_: MouseEvent| ThemeChoice::current().next().save());
    html! {
        <button type="button" class="theme-toggle" {onclick}>
            { for ThemeChoice::ALL.iter().map(|c| classed(html! {
                <span>
                    <span aria-hidden="true">{ c.badge() }</span>
                    <span class="visually-hidden">{ format!("Colour theme: {}. Switch to {}.", c.label(), c.next().label()) }</span>
                </span>
            }, Some(c.class()))) }
        </button>
    }
}

/// The footer (a function, not a component: it has no state of its own);
/// `base` is the site's base path (`use_base_path`).
pub fn footer(site: Option<&Site>, base: &str) -> Html {
    let Some(site) = site else {
        // Reserve the footer's height while site.json loads.
        return html! { <footer class="site-footer placeholder"></footer> };
    };
    html! {
        <footer class="site-footer">
            <div class="container cols">
                <section aria-labelledby="footer-about">
                    <h2 id="footer-about">{ &site.name }</h2>
                    <p>{ &site.tagline }</p>
                    <p><a href={format!("mailto:{}", site.email)}>{ &site.email }</a></p>
                </section>
                { for site.offices.iter().map(|o| html! {
                    <section aria-label={format!("{} office", o.city)}>
                        <h2>{ &o.city }</h2>
                        <address>{ for o.lines.iter().map(|l| html! { <>{ l }<br /></> }) }</address>
                    </section>
                }) }
                <section aria-labelledby="footer-more">
                    <h2 id="footer-more">{ "More" }</h2>
                    <ul>
                        <li><AppLink to={Route::Contact}>{ &site.contact.heading }</AppLink></li>
                        <li><a href={format!("{base}/feed.xml")}>{ "Atom feed" }</a></li>
                    </ul>
                </section>
            </div>
        </footer>
    }
}
