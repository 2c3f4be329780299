use keel_model::Office;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct OfficesProps {
    pub offices: Vec<Office>,
    #[prop_or(AttrValue::Static("Our offices"))]
    pub heading: AttrValue,
}

#[component]
pub fn Offices(props: &OfficesProps) -> Html {
    html! {
        <section aria-labelledby="offices-heading" class="section">
            <h2 id="offices-heading">{ props.heading.clone() }</h2>
            <ul class="offices">
                { for props.offices.iter().map(|o| html! {
                    <li>
                        <h3>{ &o.city }</h3>
                        <address>{ for o.lines.iter().map(|l| html! { <>{ l }<br /></> }) }</address>
                    </li>
                }) }
            </ul>
        </section>
    }
}
