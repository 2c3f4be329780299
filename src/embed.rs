//! The embed views: what a partner's page shows of Keel, without our site's
//! chrome. Each is a route (`/embed/...`), prerendered like every page, under
//! a root of its own (`EmbedApp`), built into a wasm of its own (the
//! `keel-embed` binary, `embed.html`): a partner's visitor downloads none of
//! our site's pages, and our visitors none of the embed views. The loader
//! (`embed/v1.js`, see docs/embedding.md) shows them two ways:
//! - in an iframe of that page on our origin: `embed/frame.js` applies the
//!   widget's settings and tells the partner's page its height;
//! - inline, in a shadow root of the partner's page: `mount` below, called
//!   by the loader, runs the same routes on an in-memory history, with our
//!   site's and our API's addresses as the loader knows them.
//!
//! Either way a link opens on our site, in a new tab, and nothing here
//! touches the partner's URL, history, title or styles.

use keel_model::{Article as ArticleDoc, ArticlePage, ArticleSummary, Site};
use yew::prelude::*;

use crate::api::{FetchError, Resource, use_api};
use crate::components::attrs::classed;
use crate::components::card::human_date;
use crate::components::contact_form::ContactForm;
use crate::components::doc::Document;
use crate::components::picture::{picture, sizes};
use crate::components::status::{cards_skeleton, error_box, text_skeleton};
use crate::env::{AppProps, routed};
use crate::route::Route;

// A list view renders `LIST_MAX` articles; the widget shows `count` of them
// (`data-keel-count`, applied by the stylesheet, so the prerendered page
// needs no script to show the right number).
use keel_model::embed::LIST_MAX;

/// What the partner scripts (`embed/v1.js`, `embed/frame.js`) share with the
/// app, by the `__KEEL_…__` mark the build replaces with each (`xtask`'s
/// `embed_files`): the embed views' paths, the API document the loader
/// probes, the attribute rules, and the dark ink it may pick. The scripts
/// hold no copy of their own.
#[cfg(not(target_arch = "wasm32"))]
pub fn script_facts() -> Vec<(&'static str, String)> {
    let empty = String::new;
    // As a JavaScript regular expression's source (no flags): `/` and `.`
    // are the only specials a route path holds.
    let pattern = |path: String| path.replace('.', "\\.").replace('/', "\\/");
    vec![
        ("__KEEL_PATH_ARTICLES__", Route::EmbedArticles.to_path()),
        (
            "__KEEL_PATH_ARTICLE__",
            Route::EmbedArticle { slug: empty() }.to_path(),
        ),
        (
            "__KEEL_PATH_TAG__",
            Route::EmbedTag { tag: empty() }.to_path(),
        ),
        ("__KEEL_PATH_CONTACT__", Route::EmbedContact.to_path()),
        ("__KEEL_PATH_NOT_FOUND__", Route::EmbedNotFound.to_path()),
        (
            "__KEEL_RE_NOT_FOUND__",
            pattern(Route::EmbedNotFound.to_path()),
        ),
        ("__KEEL_PATH_SITE__", keel_model::paths::site()),
        ("__KEEL_RE_NAME__", keel_model::paths::SLUG_PATTERN.into()),
        ("__KEEL_RE_COUNT__", keel_model::embed::count_pattern()),
        ("__KEEL_COUNT_MAX__", LIST_MAX.to_string()),
        (
            "__KEEL_RE_COLOUR__",
            keel_model::embed::COLOUR_PATTERN.into(),
        ),
        ("__KEEL_PREFILL__", prefill_limits()),
        (
            "__KEEL_RE_HIDDEN__",
            keel_model::contact::hidden_pattern(false),
        ),
        (
            "__KEEL_RE_HIDDEN_LINES__",
            keel_model::contact::hidden_pattern(true),
        ),
        (
            "__KEEL_RE_SOURCE__",
            keel_model::contact::SOURCE_PATTERN.into(),
        ),
        (
            "__KEEL_SOURCE_MAX__",
            keel_model::contact::SOURCE_MAX.to_string(),
        ),
        ("__KEEL_INK__", crate::style::ACCENT_INK_DARK.into()),
        ("__KEEL_LINK_LIGHT__", crate::style::LINK_LIGHT.into()),
        ("__KEEL_LINK_DARK__", crate::style::LINK_DARK.into()),
        ("__KEEL_BG_DARK__", crate::style::BG_DARK.into()),
    ]
}

/// The contact fields a partner may fill in, with the most characters each
/// holds, as a JavaScript object literal (`{"name":100,…}`).
#[cfg(not(target_arch = "wasm32"))]
fn prefill_limits() -> String {
    use keel_model::contact::Field;
    let fields: Vec<String> = Field::PREFILLED
        .iter()
        .map(|f| format!("\"{}\":{}", f.as_str(), f.max_chars().unwrap_or(0)))
        .collect();
    format!("{{{}}}", fields.join(","))
}

/// The embed views' root: no chrome, and no theme choice of ours (the
/// widget's settings choose it: `data-keel-theme` above the view).
#[component]
pub fn EmbedApp(props: &AppProps) -> Html {
    routed(
        props,
        classed(
            html! { <div><EmbedViews /></div> },
            Some(crate::style::EMBED_ROOT_CLASSES),
        ),
    )
}

/// The view the location names.
#[component]
fn EmbedViews() -> Html {
    let here = crate::nav::use_location();
    // The not-found page as prerendered (`embed/404.html`) stands for every
    // path it is served at: only the app, at the real path, knows what is
    // missing, and tells the embedding page. The page's URLs are the route
    // table's: its path, and its file.
    let path = here.path.trim_end_matches('/');
    let served = path != Route::EmbedNotFound.to_path()
        && path.trim_start_matches('/') != Route::EmbedNotFound.file();
    switch(here.route(), served)
}

/// The view of `route`; our site's pages are no embed views. `served`: at
/// the path the visitor asked for (see `EmbedApp`).
fn switch(route: Route, served: bool) -> Html {
    match route {
        Route::EmbedArticles => html! { <EmbedArticles /> },
        Route::EmbedTag { tag } => html! { <EmbedArticles tag={Some(tag)} /> },
        Route::EmbedArticle { slug } => embed_article(slug),
        Route::EmbedContact => html! { <EmbedContact /> },
        Route::EmbedNotFound
        | Route::Home
        | Route::Articles
        | Route::Article { .. }
        | Route::Services
        | Route::Contact
        | Route::Playground
        | Route::NotFound => {
            let error = served.then(|| AttrValue::from("there is no embed view at this address"));
            html! { <Frame label="Keel" {error}><p class="embed-empty">{ "This is not available." }</p></Frame> }
        }
    }
}

/// Where our own pages are, seen from the widget: in our iframe, the site's
/// base path (our origin); inline, our site's absolute URL (the partner's
/// page has its own origin and `<base>`).
#[hook]
fn use_site_base() -> AttrValue {
    let env = crate::env::use_env();
    env.inline_site
        .unwrap_or_else(|| env.navigator.base().clone())
}

#[hook]
fn use_inline() -> bool {
    crate::env::use_env().inline_site.is_some()
}

#[derive(Properties, PartialEq)]
struct FrameProps {
    /// An accessible name for the widget as a whole.
    label: AttrValue,
    /// Set when the view has nothing to show; reported to the embedding page.
    #[prop_or_default]
    error: Option<AttrValue>,
    #[prop_or_default]
    children: Html,
}

/// The frame of every view, and its link to the embedding page: in our own
/// iframe, `frame.js` (never inline: it is for our page, not the partner's).
#[component]
fn Frame(props: &FrameProps) -> Html {
    let base = use_site_base();
    let inline = use_inline();
    let node = use_node_ref();
    {
        let node = node.clone();
        use_effect_with(props.error.clone(), move |error| {
            if let Some(message) = error {
                report_error(&node, message);
            }
        });
    }
    html! {
        <section class="embed" aria-label={props.label.clone()} ref={node} data-keel-error={props.error.clone()}>
            { props.children.clone() }
            if !inline {
                <script src={format!("{base}/embed/frame.js")} defer=true></script>
            }
        </section>
    }
}

/// Tell the loader (inline) that the widget has nothing to show, so the
/// partner's console gets one warning. In our iframe, `frame.js` (which may
/// run later) reads `data-keel-error` instead.
fn report_error(node: &NodeRef, message: &str) {
    #[cfg(feature = "csr")]
    if let Some(el) = node.cast::<web_sys::Element>() {
        crate::dom::tell_embed(&el, "keel-embed-error", message);
    }
    #[cfg(not(feature = "csr"))]
    let _ = (node, message);
}

#[derive(Properties, PartialEq)]
pub struct EmbedArticlesProps {
    #[prop_or_default]
    pub tag: Option<String>,
}

/// The latest articles, optionally of one tag.
#[component]
pub fn EmbedArticles(props: &EmbedArticlesProps) -> Html {
    let base = use_site_base();
    let path = match &props.tag {
        Some(tag) => keel_model::paths::tag_page(tag, 1),
        None => keel_model::paths::articles_page(1),
    };
    let page = use_api::<ArticlePage>(path);
    let more = match &props.tag {
        Some(tag) => format!("{base}/articles?tag={tag}"),
        None => format!("{base}/articles"),
    };
    let (body, error) = match page.state {
        Resource::Ready(p) if p.items.is_empty() => (
            html! { <p class="embed-empty">{ "No articles yet." }</p> },
            None,
        ),
        Resource::Ready(p) => (
            html! {
                <ul class="embed-list">
                    { for p.items.iter().take(LIST_MAX).map(|a| html! { <li>{ item(a, &base) }</li> }) }
                </ul>
            },
            None,
        ),
        Resource::Loading => (cards_skeleton("the latest articles", 3), None),
        Resource::Failed(FetchError::NotFound) => {
            let message = format!(
                "no articles tagged \u{201c}{}\u{201d}",
                props.tag.as_deref().unwrap_or_default()
            );
            (
                html! { <p class="embed-empty">{ "There are no articles with this tag." }</p> },
                Some(AttrValue::from(message)),
            )
        }
        Resource::Failed(error) => (error_box(&error, &page.retry, "the articles"), None),
    };
    html! {
        <Frame label="Latest articles from Keel" {error}>
            <h2 class="embed-title">{ "From the Keel blog" }</h2>
            { body }
            <p class="embed-more"><a href={more} target="_blank" rel="noopener">{ "More articles on Keel" }<span aria-hidden="true">{ " \u{2192}" }</span></a></p>
        </Frame>
    }
}

/// One article of a list (a function, not a component: it has no state).
fn item(a: &ArticleSummary, base: &str) -> Html {
    html! {
        <article class="embed-item">
            if let Some(cover) = &a.cover { { picture(cover, "", base, sizes::CARD, false) } }
            <h3><a href={format!("{base}/articles/{}", a.slug)} target="_blank" rel="noopener">{ &a.title }</a></h3>
            <p class="meta">
                <time datetime={a.date.clone()}>{ human_date(&a.date) }</time>
                { format!(" · {} min read", a.reading_minutes) }
            </p>
            <p>{ &a.summary }</p>
        </article>
    }
}

#[derive(Properties, PartialEq)]
struct ArticleViewProps {
    slug: String,
}

/// One article, whole (a function: the view below holds the state).
pub fn embed_article(slug: String) -> Html {
    // An invalid slug is never fetched; it is reported like a missing one.
    if keel_model::paths::is_valid_slug(&slug) {
        html! { <ArticleView {slug} /> }
    } else {
        missing_article(&slug)
    }
}

fn missing_article(slug: &str) -> Html {
    let message = AttrValue::from(format!("there is no article \u{201c}{slug}\u{201d}"));
    html! {
        <Frame label="An article from Keel" error={message}>
            <p class="embed-empty">{ "This article is not available." }</p>
        </Frame>
    }
}

#[component]
fn ArticleView(props: &ArticleViewProps) -> Html {
    let base = use_site_base();
    let data = use_api::<ArticleDoc>(keel_model::paths::article(&props.slug));
    let a = match data.state {
        Resource::Ready(a) => a,
        Resource::Failed(FetchError::NotFound) => return missing_article(&props.slug),
        Resource::Loading => {
            return html! { <Frame label="An article from Keel">{ text_skeleton("the article", 12) }</Frame> };
        }
        Resource::Failed(error) => {
            return html! { <Frame label="An article from Keel">{ error_box(&error, &data.retry, "this article") }</Frame> };
        }
    };
    let m = &a.meta;
    let href = format!("{base}/articles/{}", m.slug);
    html! {
        <Frame label={format!("{} (an article from Keel)", m.title)}>
            <article class="embed-article">
                <h2 class="embed-title"><a href={href.clone()} target="_blank" rel="noopener">{ &m.title }</a></h2>
                <p class="byline">
                    { "By " }<strong>{ &m.author.name }</strong>{ format!(", {}", m.author.role) }{ " · " }
                    <time datetime={m.date.clone()}>{ human_date(&m.date) }</time>
                    { format!(" · {} min read", m.reading_minutes) }
                </p>
                if let Some(cover) = &m.cover { <div class="cover">{ picture(cover, &cover.alt, &base, sizes::COLUMN, true) }</div> }
                <div class="prose">
                    <Document article={a.clone()} embed={Some(base.clone())} />
                </div>
            </article>
            <p class="embed-more"><a {href} target="_blank" rel="noopener">{ "Read it on Keel" }<span aria-hidden="true">{ " \u{2192}" }</span></a></p>
        </Frame>
    }
}

/// What a partner's page may give the contact form: the visitor's name,
/// email, company and message to start from (each one the visitor sees and
/// may change), and the request's source (a campaign), sent with it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Prefill {
    pub form: keel_model::contact::ContactRequest,
    pub source: Option<AttrValue>,
}

impl Prefill {
    /// From the widget's settings (`name=…&email=…&source=…`, URL-encoded,
    /// as the loader writes them). A value its field would refuse (too long,
    /// a control character: the loader refuses those first) is left out, as
    /// is a source that breaks its rule: the visitor could not correct it.
    #[cfg(feature = "csr")]
    pub fn from_settings(settings: &str) -> Prefill {
        use keel_model::contact::{ContactRequest, Field, is_valid_source, may_prefill};
        let Ok(query) = web_sys::UrlSearchParams::new_with_str(settings) else {
            return Prefill::default();
        };
        let mut form = ContactRequest::default();
        for field in Field::PREFILLED {
            if let Some(value) = query.get(field.as_str()).filter(|v| may_prefill(field, v)) {
                let _ = form.set_form_field(field.as_str(), value);
            }
        }
        let source = query
            .get("source")
            .filter(|s| is_valid_source(s))
            .map(AttrValue::from);
        Prefill { form, source }
    }
}

/// The contact form, with every guarantee it has on our site.
#[component]
pub fn EmbedContact() -> Html {
    let site = use_api::<Site>(keel_model::paths::site());
    // The partner's prefill and source: inline, as the loader gave them; in
    // our iframe, the fragment it wrote (the server never sees it).
    let env = crate::env::use_env();
    let prefill = use_memo(env.widget.clone(), |widget| {
        #[cfg(feature = "csr")]
        {
            let settings = widget
                .as_deref()
                .map(str::to_string)
                .or_else(crate::dom::frame_settings);
            settings
                .map(|s| Prefill::from_settings(&s))
                .unwrap_or_default()
        }
        #[cfg(not(feature = "csr"))]
        {
            let _ = widget;
            Prefill::default()
        }
    });
    // Inside our iframe, the partner's origin as `frame.js` checked it: the
    // form sends it so the request is recorded as coming from that partner.
    // Inline, the browser's own Origin header says it.
    let inline = use_inline();
    let partner = use_state(|| None::<AttrValue>);
    {
        let partner = partner.clone();
        let inside_frame = !inline;
        use_effect_with((), move |_| {
            if inside_frame {
                partner.set(crate::dom::frame_host().map(AttrValue::from));
            }
        });
    }
    let site = match site.state {
        Resource::Ready(s) => s,
        Resource::Loading => {
            return html! { <Frame label="Contact Keel">{ text_skeleton("the contact form", 8) }</Frame> };
        }
        Resource::Failed(error) => {
            return html! { <Frame label="Contact Keel">{ error_box(&error, &site.retry, "the contact form") }</Frame> };
        }
    };
    html! {
        <Frame label="Contact Keel">
            <h2 class="embed-title">{ &site.contact.heading }</h2>
            <p class="lead">{ &site.contact.lead }</p>
            <ContactForm email={site.email.clone()} partner={(*partner).clone()} in_frame={!inline}
                         prefill={prefill.form.clone()} source={prefill.source.clone()} />
        </Frame>
    }
}

/// Mount the app inline, into `root` (an element in a shadow root the loader
/// made), showing the embed route `path` with the widget's `settings`
/// (`Prefill`): our pages are at `site` (origin and base path) and the API
/// at `api`. The app writes no styles: the loader
/// adopts the build's stylesheet into the shadow root as a constructed
/// stylesheet (which the partner's CSP allows), so nothing reaches the
/// partner's page.
#[cfg(feature = "csr")]
pub fn mount(root: web_sys::Element, path: &str, site: &str, api: &str, settings: &str) {
    let absolute = |u: &str| u.starts_with("https://") || u.starts_with("http://");
    if !path.starts_with("/embed/") || !absolute(site) || !absolute(api) {
        return;
    }
    let props = crate::env::AppProps {
        cache: crate::api::ApiCache::new(api),
        url: Some(AttrValue::from(path.to_string())),
        basename: None,
        inline_site: Some(AttrValue::from(site.to_string())),
        widget: Some(AttrValue::from(settings.to_string())),
    };
    crate::dom::running_in_partner_page();
    yew::Renderer::<EmbedApp>::with_root_and_props(root, props).render();
}

/// Start the embed view of this page, in our iframe on a partner's page.
/// Loaded by the loader instead (inline), the wasm waits for it to `mount`.
#[cfg(feature = "csr")]
pub fn start() {
    if crate::dom::loaded_by_embed() {
        return;
    }
    crate::boot::<EmbedApp>(true);
}
