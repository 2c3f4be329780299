//! The partner playground (`/embed/`): a partner picks a widget's options,
//! sees it live, and copies the exact snippet. The live widget is the real
//! thing: the page puts the snippet's placeholder in its preview and lets the
//! loader (`/embed/v1.js`) mount it, as it would on the partner's page, so a
//! value the loader refuses shows its message there too.

use keel_model::contact::Field;
use keel_model::embed::LIST_MAX;
use keel_model::{ArticlePage, Site};
use yew::prelude::*;

use crate::api::{Resource, use_api};

/// A widget's options, as its placeholder's `data-keel-…` attributes hold
/// them; empty means the loader's default.
#[derive(Clone, Debug, PartialEq)]
pub struct Options {
    pub view: &'static str,
    pub mode: &'static str,
    pub count: usize,
    pub tag: String,
    pub slug: String,
    pub theme: &'static str,
    pub accent: String,
    /// The contact form's prefill, by `Field::PREFILLED`, and the source.
    pub prefill: [String; 4],
    pub source: String,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            view: "articles",
            mode: "iframe",
            count: 3,
            tag: String::new(),
            slug: String::new(),
            theme: "auto",
            accent: String::new(),
            prefill: Default::default(),
            source: String::new(),
        }
    }
}

pub const VIEWS: [(&str, &str); 3] = [
    ("articles", "Latest articles"),
    ("article", "One article"),
    ("contact", "Contact form"),
];
const MODES: [(&str, &str); 2] = [
    ("iframe", "In an iframe (isolated)"),
    ("inline", "Inline (in your page)"),
];
const THEMES: [(&str, &str); 3] = [
    ("auto", "The visitor's system setting"),
    ("light", "Light"),
    ("dark", "Dark"),
];

impl Options {
    /// The placeholder's attributes, in the snippet's order: only those
    /// the view reads, and only where they differ from the default.
    pub fn attributes(&self) -> Vec<(&'static str, String)> {
        let mut out = vec![("embed", self.view.to_string())];
        let mut put = |name: &'static str, value: &str| {
            if !value.trim().is_empty() {
                out.push((name, value.trim().to_string()));
            }
        };
        if self.mode != "iframe" {
            put("mode", self.mode);
        }
        match self.view {
            "articles" => {
                if self.count != 3 {
                    put("count", &self.count.to_string());
                }
                put("tag", &self.tag);
            }
            "article" => put("slug", &self.slug),
            _ => {
                for (field, value) in Field::PREFILLED.iter().zip(&self.prefill) {
                    put(field.as_str(), value);
                }
                put("source", &self.source);
            }
        }
        if self.theme != "auto" {
            put("theme", self.theme);
        }
        put("accent", &self.accent);
        out
    }

    /// What a partner pastes: the loader, and the placeholder.
    pub fn snippet(&self, loader: &str) -> String {
        let attrs: String = self
            .attributes()
            .iter()
            .map(|(name, value)| format!(" data-keel-{name}=\"{}\"", attr_text(value)))
            .collect();
        format!(
            "<script async src=\"{}\"></script>\n<div{attrs}></div>",
            attr_text(loader)
        )
    }
}

/// Text for a double-quoted HTML attribute.
fn attr_text(value: &str) -> String {
    value
        .replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The Content-Security-Policy a partner's page needs for `mode`, as
/// docs/embedding.md gives it, for our site at `origin`.
pub fn partner_csp(mode: &str, origin: &str) -> String {
    if mode == "inline" {
        format!("script-src {origin} 'wasm-unsafe-eval'; connect-src {origin}; img-src {origin}")
    } else {
        format!("script-src {origin}; frame-src {origin}")
    }
}

#[component]
pub fn Playground() -> Html {
    let site = use_api::<Site>(keel_model::paths::site());
    let articles = use_api::<ArticlePage>(keel_model::paths::articles_page(1));
    let options = use_state(Options::default);
    let base = crate::components::link::use_base_path();
    // Where our site is: the browser's own address once the app runs (the
    // snippet a partner copies then names the site they are on), else the
    // site's canonical address.
    let here = use_state(|| None::<String>);
    {
        let here = here.clone();
        use_effect_with((), move |_| here.set(crate::dom::origin()));
    }
    let copied = use_state(|| None::<&'static str>);
    let preview = use_node_ref();
    let origin = match (&*here, &site.state) {
        (Some(o), _) => o.clone(),
        (None, Resource::Ready(s)) => s.url.clone(),
        (None, _) => String::new(),
    };
    let loader = format!("{origin}{base}/embed/v1.js");
    let snippet = options.snippet(&loader);
    {
        let (preview, attrs, loader) = (preview.clone(), options.attributes(), loader.clone());
        use_effect_with((attrs, here.is_some()), move |(attrs, ready)| {
            if *ready {
                crate::dom::show_widget(&preview, &loader, attrs);
            }
        });
    }

    let edit = |change: fn(&mut Options, String)| {
        let options = options.clone();
        let copied = copied.clone();
        Callback::from(move |e: Event| {
            let mut next = (*options).clone();
            change(&mut next, control_value(&e));
            copied.set(None);
            options.set(next);
        })
    };
    let select = |id: &'static str,
                  label: &'static str,
                  choices: Vec<(String, String)>,
                  chosen: String,
                  onchange: Callback<Event>| {
        html! {
            <div class="field">
                <label for={id}>{ label }</label>
                <select {id} {onchange}>
                    { for choices.into_iter().map(|(value, text)| {
                        let selected = value == chosen;
                        html! { <option {value} {selected}>{ text }</option> }
                    }) }
                </select>
            </div>
        }
    };
    let text = |id: &'static str,
                label: &'static str,
                hint: Option<String>,
                value: String,
                onchange: Callback<Event>| {
        let described = hint.as_ref().map(|_| format!("{id}-hint"));
        html! {
            <div class="field">
                <label for={id}>{ label }</label>
                <input {id} type="text" {value} {onchange} aria-describedby={described} autocomplete="off" />
                if let Some(h) = hint { <p class="hint" id={format!("{id}-hint")}>{ h }</p> }
            </div>
        }
    };
    let owned = |list: &[(&str, &str)]| -> Vec<(String, String)> {
        list.iter()
            .map(|(v, t)| (v.to_string(), t.to_string()))
            .collect()
    };
    let o = &*options;
    let tags: Vec<(String, String)> = std::iter::once((String::new(), "Every tag".to_string()))
        .chain(match &site.state {
            Resource::Ready(s) => s
                .tags
                .iter()
                .map(|t| (t.tag.clone(), format!("{} ({})", t.tag, t.count)))
                .collect(),
            _ => Vec::new(),
        })
        .collect();
    let slugs: Vec<(String, String)> =
        std::iter::once((String::new(), "Choose an article".to_string()))
            .chain(match &articles.state {
                Resource::Ready(p) => p
                    .items
                    .iter()
                    .map(|a| (a.slug.clone(), a.title.clone()))
                    .collect(),
                _ => Vec::new(),
            })
            .collect();
    let counts = (1..=LIST_MAX)
        .map(|n| (n.to_string(), n.to_string()))
        .collect();

    let copy = {
        let (snippet, copied) = (snippet.clone(), copied.clone());
        Callback::from(move |_: MouseEvent| {
            let copied = copied.clone();
            crate::dom::copy_text(&snippet, move |ok| {
                copied.set(Some(if ok {
                    "Copied. Paste it into your page's HTML."
                } else {
                    "Your browser did not let us copy: select the snippet and copy it."
                }))
            });
        })
    };

    html! {
        <div class="container">
            <header class="hero">
                <p class="eyebrow">{ "For partners" }</p>
                <h1 id="page-title" tabindex="-1">{ "Put Keel on your site" }</h1>
                <p class="lead">{ "Show our latest articles, one article or our contact form on your pages. Choose the options, see the widget as your visitors will, and copy the snippet." }</p>
            </header>
            <div class="playground">
                <form class="playground-options" aria-labelledby="options-heading" onsubmit={Callback::from(|e: SubmitEvent| e.prevent_default())}>
                    <h2 id="options-heading">{ "Options" }</h2>
                    { select("pg-view", "Widget", owned(&VIEWS), o.view.to_string(), edit(|o, v| o.view = pick(&VIEWS, &v))) }
                    { select("pg-mode", "Mode", owned(&MODES), o.mode.to_string(), edit(|o, v| o.mode = pick(&MODES, &v))) }
                    if o.view == "articles" {
                        { select("pg-count", "How many articles", counts, o.count.to_string(), edit(|o, v| o.count = v.parse().unwrap_or(3))) }
                        { select("pg-tag", "Tag", tags, o.tag.clone(), edit(|o, v| o.tag = v)) }
                    }
                    if o.view == "article" {
                        { select("pg-slug", "Article", slugs, o.slug.clone(), edit(|o, v| o.slug = v)) }
                    }
                    { select("pg-theme", "Theme", owned(&THEMES), o.theme.to_string(), edit(|o, v| o.theme = pick(&THEMES, &v))) }
                    { text("pg-accent", "Accent colour (optional)", Some("#rgb or #rrggbb, such as #0b57a4: buttons, borders, and links where they stay readable.".into()), o.accent.clone(), edit(|o, v| o.accent = v)) }
                    if o.view == "contact" {
                        <fieldset class="field">
                            <legend>{ "Prefill (optional)" }</legend>
                            <p class="hint">{ "What your page already knows of the visitor, shown in the form for them to check and change." }</p>
                            { for PREFILL_CONTROLS.iter().enumerate().map(|(i, (id, label, change))| {
                                text(id, label, None, o.prefill[i].clone(), edit(*change))
                            }) }
                        </fieldset>
                        { text("pg-source", "Source (optional)", Some(format!("Stored with each request sent through this widget, such as a campaign: up to {} letters, digits, and . _ : -", keel_model::contact::SOURCE_MAX)), o.source.clone(), edit(|o, v| o.source = v)) }
                    }
                </form>
                <div class="playground-result">
                    <section aria-labelledby="preview-heading">
                        <h2 id="preview-heading">{ "Preview" }</h2>
                        <p class="hint">{ "The real widget, as your visitors will see it: a message sent from this form reaches us." }</p>
                        <div class="playground-preview" ref={preview}></div>
                    </section>
                    <section class="section" aria-labelledby="snippet-heading">
                        <h2 id="snippet-heading">{ "Your snippet" }</h2>
                        <div class="prose"><pre><code id="pg-snippet">{ snippet.clone() }</code></pre></div>
                        <button type="button" class="button" onclick={copy} aria-describedby="pg-copied">{ "Copy the snippet" }</button>
                        <p class="hint" id="pg-copied" role="status">{ (*copied).unwrap_or_default() }</p>
                    </section>
                    <section class="section" aria-labelledby="csp-heading">
                        <h2 id="csp-heading">{ "Your Content-Security-Policy" }</h2>
                        <p>{ "If your page sends one, add these sources to its directives (no 'unsafe-inline' is needed):" }</p>
                        <div class="prose"><pre><code id="pg-csp">{ partner_csp(o.mode, &origin) }</code></pre></div>
                    </section>
                    <section class="section" aria-labelledby="register-heading">
                        <h2 id="register-heading">{ "Register your origin" }</h2>
                        <p>
                            { "The widgets show only on the sites we know. Write to " }
                            if let Resource::Ready(s) = &site.state {
                                <a href={format!("mailto:{}", s.email)}>{ s.email.clone() }</a>
                            } else { { "us" } }
                            { " with your page's origin (scheme, host and port, such as https://www.example.com), and we will add it. Until then, each widget says so in its place, and nothing else on your page changes." }
                        </p>
                    </section>
                </div>
            </div>
        </div>
    }
}

/// The prefill fields' controls, in `Options::prefill`'s order
/// (`Field::PREFILLED`): id, label, and the edit of the value.
const PREFILL_CONTROLS: [(&str, &str, fn(&mut Options, String)); 4] = [
    ("pg-name", "Name", |o, v| o.prefill[0] = v),
    ("pg-email", "Email", |o, v| o.prefill[1] = v),
    ("pg-company", "Company", |o, v| o.prefill[2] = v),
    ("pg-message", "Message", |o, v| o.prefill[3] = v),
];

/// The `&'static` value of `list` that `v` names, or the first.
fn pick(list: &[(&'static str, &'static str)], v: &str) -> &'static str {
    list.iter()
        .find(|(value, _)| *value == v)
        .unwrap_or(&list[0])
        .0
}

fn control_value(e: &Event) -> String {
    if let Some(i) = e.target_dyn_into::<web_sys::HtmlInputElement>() {
        return i.value();
    }
    e.target_dyn_into::<web_sys::HtmlSelectElement>()
        .map(|s| s.value())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_snippet_names_only_what_differs_from_the_defaults() {
        let loader = "https://keel.example/embed/v1.js";
        assert_eq!(
            Options::default().snippet(loader),
            "<script async src=\"https://keel.example/embed/v1.js\"></script>\n<div data-keel-embed=\"articles\"></div>"
        );
        let contact = Options {
            view: "contact",
            mode: "inline",
            count: 7,
            tag: "rest".into(),
            theme: "dark",
            accent: "#0b57a4".into(),
            prefill: [
                "Ada \"The\" <Countess>".into(),
                String::new(),
                "A & B".into(),
                String::new(),
            ],
            source: "spring-2027".into(),
            ..Options::default()
        };
        // The count and tag are the list's; a contact form reads neither.
        assert_eq!(
            contact.snippet(loader).lines().nth(1).unwrap(),
            "<div data-keel-embed=\"contact\" data-keel-mode=\"inline\" data-keel-name=\"Ada &quot;The&quot; &lt;Countess&gt;\" \
             data-keel-company=\"A &amp; B\" data-keel-source=\"spring-2027\" data-keel-theme=\"dark\" data-keel-accent=\"#0b57a4\"></div>"
        );
        let list = Options {
            count: LIST_MAX,
            tag: "rest".into(),
            source: "ignored".into(),
            ..Options::default()
        };
        assert_eq!(
            list.attributes(),
            [
                ("embed", "articles".to_string()),
                ("count", LIST_MAX.to_string()),
                ("tag", "rest".into())
            ]
        );
    }

    #[test]
    fn the_csp_is_the_documented_one_for_each_mode() {
        let doc = include_str!("../../docs/embedding.md");
        let o = "https://keel.example";
        for (mode, column) in [("iframe", 1), ("inline", 2)] {
            let csp = partner_csp(mode, o);
            // Each directive of the docs' table with a source in this mode's column.
            for row in doc
                .lines()
                .filter(|l| l.starts_with("| `") && l.contains("-src`"))
            {
                let cells: Vec<&str> = row.split('|').map(str::trim).collect();
                let directive = cells[1].trim_matches('`');
                let sources = cells[1 + column].trim_matches('`');
                if sources == "—" {
                    assert!(!csp.contains(directive), "{mode}: {directive} in {csp}");
                } else {
                    assert!(
                        csp.contains(&format!("{directive} {sources}")),
                        "{mode}: {directive} {sources} not in {csp}"
                    );
                }
            }
        }
    }
}
