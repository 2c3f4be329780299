use keel_model::Site;
use yew::prelude::*;

use crate::api::UseApi;
use crate::components::cta::call_to_action;
use crate::components::status::{ready_or_view, text_skeleton};

/// The page, from the site document (`site`, which `Chrome` reads).
pub fn services(site: &UseApi<Site>) -> Html {
    let site = match ready_or_view(site, "our services", text_skeleton("our services", 8)) {
        Ok(site) => site,
        Err(view) => return view,
    };
    let s = &site.services;
    html! {
        <div class="container">
            <header class="hero">
                <p class="eyebrow">{ "Services" }</p>
                <h1 id="page-title" tabindex="-1">{ &s.heading }</h1>
                <p class="lead">{ &s.subheading }</p>
            </header>
            <div class="prose">
                { for s.intro.iter().map(|p| html! { <p>{ p }</p> }) }
            </div>
            <section class="section" aria-labelledby="benefits-heading">
                <h2 id="benefits-heading">{ "What you get" }</h2>
                <ul class="benefits">
                    { for s.benefits.iter().map(|b| html! { <li><h3>{ &b.title }</h3><p>{ &b.text }</p></li> }) }
                </ul>
            </section>
            <section class="section" aria-labelledby="engagement-heading">
                <h2 id="engagement-heading">{ &s.engagement.heading }</h2>
                <ol class="steps">
                    { for s.engagement.steps.iter().map(|b| html! { <li><h3>{ &b.title }</h3><p>{ &b.text }</p></li> }) }
                </ol>
            </section>
            { call_to_action(&s.engagement.cta, &site.contact.lead, &s.engagement.cta, Html::default()) }
        </div>
    }
}
