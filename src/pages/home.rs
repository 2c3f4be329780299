use keel_model::Site;
use yew::prelude::*;

use crate::api::UseApi;
use crate::components::card::article_card;
use crate::components::cta::call_to_action;
use crate::components::link::AppLink;
use crate::components::status::{cards_skeleton, ready_or_view, text_skeleton};
use crate::route::Route;

/// The page, from the site document (`site`, which `Chrome` reads), its
/// images under the base path `base`.
pub fn home(site: &UseApi<Site>, base: &str) -> Html {
    let site = match ready_or_view(
        site,
        "the home page",
        html! { <>{ text_skeleton("the home page", 8) }{ cards_skeleton("articles", 3) }</> },
    ) {
        Ok(site) => site,
        Err(view) => return view,
    };
    html! {
        <div class="container">
            <section class="hero" aria-labelledby="page-title">
                <p class="eyebrow">{ &site.tagline }</p>
                <h1 id="page-title" tabindex="-1">{ &site.home.heading }</h1>
                <p class="lead">{ &site.home.lead }</p>
                <p class="actions">
                    <AppLink class="button" to={Route::Contact}>{ &site.contact.heading }</AppLink>
                    <AppLink class="button secondary" to={Route::Services}>{ "How we work" }</AppLink>
                </p>
            </section>
            <section class="section" aria-labelledby="latest-heading">
                <div class="section-head">
                    <h2 id="latest-heading">{ "Latest articles" }</h2>
                    <AppLink to={Route::Articles}>{ "All articles →" }</AppLink>
                </div>
                <ul class="cards">
                    { for site.latest.iter().map(|a| html! { <li>{ article_card(a, 3, None, base, false) }</li> }) }
                </ul>
            </section>
            <section class="section" aria-labelledby="services-heading">
                <div class="section-head">
                    <h2 id="services-heading">{ format!("{} — {}", site.services.heading, site.services.subheading) }</h2>
                    <AppLink to={Route::Services}>{ "Our services →" }</AppLink>
                </div>
                <ul class="benefits">
                    { for site.services.benefits.iter().take(3).map(|b| html! {
                        <li><h3>{ &b.title }</h3><p>{ &b.text }</p></li>
                    }) }
                </ul>
            </section>
            { call_to_action(&site.contact.heading, &site.contact.lead, "Start the conversation", Html::default()) }
        </div>
    }
}
