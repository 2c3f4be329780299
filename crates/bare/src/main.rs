//! The smallest app that uses what Keel's SPA is built on: Yew with
//! hydration, yew-router, a gloo-net JSON fetch and a stylist stylesheet. No
//! app code. `cargo xtask sizes` builds it with the same release profile and
//! wasm-opt level as the site, so Keel's wasm can be compared with it in one run.

#[cfg(feature = "csr")]
mod app {
    use serde::Deserialize;
    use stylist::css;
    use yew::prelude::*;
    use yew_router::prelude::*;

    #[derive(Clone, Routable, PartialEq)]
    enum Route {
        #[at("/")]
        Home,
        #[at("/about")]
        About,
        #[not_found]
        #[at("/404")]
        NotFound,
    }

    #[derive(Deserialize)]
    struct Doc {
        title: String,
    }

    #[component]
    fn Home() -> Html {
        let title = use_state(String::new);
        {
            let title = title.clone();
            use_effect_with((), move |_| {
                wasm_bindgen_futures::spawn_local(async move {
                    if let Ok(res) = gloo_net::http::Request::get("/doc.json").send().await
                        && let Ok(doc) = res.json::<Doc>().await
                    {
                        title.set(doc.title);
                    }
                });
            });
        }
        html! { <h1>{ (*title).clone() }</h1> }
    }

    fn switch(route: Route) -> Html {
        match route {
            Route::Home => html! { <Home /> },
            Route::About => html! { <p>{ "About" }</p> },
            Route::NotFound => html! { <p>{ "Not found" }</p> },
        }
    }

    #[component]
    fn App() -> Html {
        let style = css!("color: #14171c; & a { color: #0b57a4; }");
        html! {
            <BrowserRouter>
                <div class={style}>
                    <Link<Route> to={Route::About}>{ "About" }</Link<Route>>
                    <Switch<Route> render={switch} />
                </div>
            </BrowserRouter>
        }
    }

    pub fn start() {
        let root = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.get_element_by_id("app"))
            .expect("the page has #app");
        yew::Renderer::<App>::with_root(root).hydrate();
    }
}

fn main() {
    #[cfg(feature = "csr")]
    app::start();
}
