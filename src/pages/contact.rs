use keel_model::Site;
use yew::prelude::*;

use crate::api::{Resource, use_api};
use crate::components::contact_form::ContactForm;
use crate::components::offices::Offices;
use crate::components::status::{ErrorBox, TextSkeleton};

#[component]
pub fn Contact() -> Html {
    let site = use_api::<Site>(keel_model::paths::site());
    let site = match site.state {
        Resource::Ready(s) => s,
        Resource::Loading => return html! { <div class="container"><TextSkeleton label="the contact page" /></div> },
        Resource::Failed(error) => return html! { <div class="container"><ErrorBox {error} retry={site.retry} what="the contact page" /></div> },
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
