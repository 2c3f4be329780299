//! "Tell us about your project": the call to action that closes the home
//! page, the services pitch and every article.

use yew::prelude::*;

use crate::components::link::AppLink;
use crate::route::Route;

/// The section: `heading`, `lead`, and a button saying `button` that always
/// leads to the contact form, with `below` under it (the offices, on an
/// article).
pub fn call_to_action(heading: &str, lead: &str, button: &str, below: Html) -> Html {
    html! {
        <section class="cta" aria-labelledby="cta-heading">
            <h2 id="cta-heading">{ heading }</h2>
            <p class="lead">{ lead }</p>
            <AppLink class="button" to={Route::Contact}>{ button }</AppLink>
            { below }
        </section>
    }
}
