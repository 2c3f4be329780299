use keel_model::Site;
use yew::prelude::*;

use crate::api::use_api;
use crate::components::contact_form::ContactForm;
use crate::components::offices::Offices;
use crate::components::status::{TextSkeleton, ready_or_view};

#[component]
pub fn Contact() -> Html {
    let site = use_api::<Site>(keel_model::paths::site());
    let site = match ready_or_view(site, "the contact page", html! { <><TextSkeleton label="the contact page" /></> }) {
        Ok(site) => site,
        Err(view) => return view,
    };
    html! {
        <div class="container">
            <header class="hero">
                <p class="eyebrow">{ "Contact" }</p>
                <h1 id="page-title" tabindex="-1">{ &site.contact.heading }</h1>
                <p class="lead">{ &site.contact.lead }</p>
            </header>
            <div class="contact-grid">
                <ContactForm email={site.email.clone()} />
                <Offices offices={site.offices.clone()} />
            </div>
        </div>
    }
}
