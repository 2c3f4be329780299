use keel_model::Site;
use yew::prelude::*;

use crate::api::UseApi;
use crate::components::contact_form::ContactForm;
use crate::components::offices::offices;
use crate::components::status::{ready_or_view, text_skeleton};

/// The page, from the site document (`site`, which `Chrome` reads).
pub fn contact(site: &UseApi<Site>) -> Html {
    let site = match ready_or_view(
        site,
        "the contact page",
        text_skeleton("the contact page", 8),
    ) {
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
                { offices(&site.offices) }
            </div>
        </div>
    }
}
