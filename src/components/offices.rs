use keel_model::Office;
use yew::prelude::*;

/// "Our offices", with their addresses.
pub fn offices(offices: &[Office]) -> Html {
    html! {
        <section aria-labelledby="offices-heading" class="section">
            <h2 id="offices-heading">{ "Our offices" }</h2>
            <ul class="offices">
                { for offices.iter().map(|o| html! {
                    <li>
                        <h3>{ &o.city }</h3>
                        <address>{ for o.lines.iter().map(|l| html! { <>{ l }<br /></> }) }</address>
                    </li>
                }) }
            </ul>
        </section>
    }
}
