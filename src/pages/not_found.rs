use yew::prelude::*;

use crate::components::link::AppLink;
use crate::route::Route;

/// The 404 page (a function: it holds no state).
pub fn not_found() -> Html {
    html! {
        <div class="container">
            <header class="hero">
                <p class="eyebrow">{ "Error 404" }</p>
                <h1 id="page-title" tabindex="-1">{ "We could not find that page" }</h1>
                <p class="lead">{ "The address may be mistyped, or the page may have moved." }</p>
                <p class="actions">
                    <AppLink class="button" to={Route::Home}>{ "Go to the home page" }</AppLink>
                    <AppLink class="button secondary" to={Route::Articles}>{ "Browse the articles" }</AppLink>
                </p>
            </header>
        </div>
    }
}
