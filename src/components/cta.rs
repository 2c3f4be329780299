//! "Tell us about your project": the call to action that closes the home
//! page, the services pitch and every article.

use yew::prelude::*;

use crate::components::link::AppLink;
use crate::route::Route;

#[derive(Properties, PartialEq)]
pub struct CallToActionProps {
    pub heading: AttrValue,
    pub lead: AttrValue,
    /// The button's words; it always leads to the contact form.
    pub button: AttrValue,
    /// Shown under the button (the offices, on an article).
    #[prop_or_default]
    pub children: Html,
}

#[component]
pub fn CallToAction(props: &CallToActionProps) -> Html {
    html! {
        <section class="cta" aria-labelledby="cta-heading">
            <h2 id="cta-heading">{ &props.heading }</h2>
            <p class="lead">{ &props.lead }</p>
            <AppLink class="button" to={Route::Contact}>{ &props.button }</AppLink>
            { props.children.clone() }
        </section>
    }
}
