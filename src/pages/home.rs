use keel_model::Site;
use yew::prelude::*;

use crate::api::use_api;
use crate::components::card::ArticleCard;
use crate::components::cta::CallToAction;
use crate::components::link::AppLink;
use crate::components::status::{CardsSkeleton, TextSkeleton, ready_or_view};
use crate::route::Route;

#[component]
pub fn Home() -> Html {
    let site = use_api::<Site>(keel_model::paths::site());
    let site = match ready_or_view(site, "the home page", html! { <><TextSkeleton label="the home page" /><CardsSkeleton label="articles" /></> }) {
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
                    { for site.latest.iter().map(|a| html! { <li><ArticleCard article={a.clone()} /></li> }) }
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
            <CallToAction heading={site.contact.heading.clone()} lead={site.contact.lead.clone()} button="Start the conversation" />
        </div>
    }
}
