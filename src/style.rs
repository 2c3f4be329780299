//! The one stylesheet, scoped under the app root's class, `ROOT_CLASS`.
//!
//! Every rule hangs off `&` (the root element), so nothing leaks into a host
//! page when the app is embedded. Colours are CSS custom properties, each
//! written once as `light-dark(light, dark)` and read everywhere else;
//! `color-scheme` on the root chooses between the halves.
//!
//! The stylesheet is made at build time, never in the browser: stylist
//! (host-only) flattens the rules below, the prerenderer puts the result in
//! every page's `<head>`, and the build writes it for the inline embeds. So
//! the wasm carries no CSS, no CSS engine, and writes no `<style>` at start.

macro_rules! root_class {
    () => {
        "keel"
    };
}

/// The class of the app's root element, which every rule hangs off.
pub const ROOT_CLASS: &str = root_class!();
/// The classes of the embed views' root: the app root's, and its own.
pub const EMBED_ROOT_CLASSES: &str = concat!(root_class!(), " embed-root");

/// The text colour on the accent in the dark scheme, and the dark choice the
/// partner loader makes for a light accent of the partner's (`embed/v1.js`,
/// written in by the build: `embed::script_facts`).
pub const ACCENT_INK_DARK: &str = "#0b1320";

/// The link colours of the light and dark schemes (our accent), and the dark
/// scheme's background: the partner loader keeps a partner's accent for
/// text only where it reads on the background, else uses these
/// (`embed/v1.js`, written in by the build: `embed::script_facts`).
pub const LINK_LIGHT: &str = "#0b57a4";
pub const LINK_DARK: &str = "#7db8f5";
pub const BG_DARK: &str = "#0f1217";

/// The stylesheet, as CSS text.
#[cfg(not(target_arch = "wasm32"))]
pub fn stylesheet() -> Result<String, String> {
    let style = stylist::Style::new(app_style()).map_err(|e| e.to_string())?;
    // Generated class names are unique strings, so this touches nothing else.
    Ok(style
        .get_style_str()
        .replace(style.get_class_name(), ROOT_CLASS))
}

#[cfg(not(target_arch = "wasm32"))]
fn app_style() -> stylist::StyleSource {
    use stylist::css;
    css!(
        r#"
        /* Each colour once, as light-dark(light, dark): `color-scheme` below
           picks the half. It follows the system unless the visitor chose. */
        --bg: light-dark(#ffffff, ${bg_dark}); --surface: light-dark(#f5f6f8, #171b22); --ink: light-dark(#14171c, #e3e6ea); --muted: light-dark(#4b5563, #a4adba); --line: light-dark(#dde1e6, #2a303a);
        /* A partner's widget may set its own accent (and the ink readable on it). */
        --accent: var(--keel-accent, light-dark(${link_light}, ${link_dark})); --accent-ink: var(--keel-accent-ink, light-dark(#ffffff, ${accent_ink_dark}));
        /* Text in the accent colour: a partner's accent where it reads on the background (the loader decides). */
        --accent-text: var(--keel-accent-text, var(--accent)); --accent-soft: light-dark(#e7f0fa, #16263a); --focus: light-dark(#0b57a4, #9ccbff);
        --danger: light-dark(#b42318, #ff9b91); --danger-soft: light-dark(#fdecea, #3a1d1b); --ok: light-dark(#11652f, #8fd9a8); --ok-soft: light-dark(#e8f5ec, #15301f);
        --code-bg: light-dark(#f3f5f8, #151a21); --code-ink: light-dark(#1f2933, #d9dee5);
        --t-comment: light-dark(#5f6b7a, #8d97a6); --t-keyword: light-dark(#a21866, #ff8cc6); --t-string: light-dark(#0b6b3a, #8fd9a8); --t-number: light-dark(#9a4a00, #f4b46c);
        --t-function: light-dark(#5b3cc4, #bfa8ff); --t-type: light-dark(#0b57a4, #86c3ff); --t-attr: light-dark(#7c4a03, #f1c878); --t-punct: light-dark(#4b5563, #a4adba); --t-var: light-dark(#1d4f80, #9fd0ff);
        --font: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
        --mono: ui-monospace, SFMono-Regular, "SF Mono", Menlo, Consolas, "Liberation Mono", monospace;

        color-scheme: light dark;
        /* The choice in force is on <html> (`theme.rs`: set before the first
           paint by `theme::early_script`, switched by the theme
           button). An embed's theme is on <html> in our iframe, on the
           loader's box inline. */
        [data-keel-theme="light"] & { color-scheme: light; }
        [data-keel-theme="dark"] & { color-scheme: dark; }

        background: var(--bg);
        color: var(--ink);
        font-family: var(--font);
        font-size: 1.0625rem;
        line-height: 1.65;
        min-height: 100vh;
        display: flex;
        flex-direction: column;
        -webkit-text-size-adjust: 100%;
        text-rendering: optimizeLegibility;

        & *, & *::before, & *::after { box-sizing: border-box; }
        & h1, & h2, & h3, & h4 { line-height: 1.15; letter-spacing: -0.015em; margin: 0 0 0.75rem; font-weight: 700; }
        & h1 { font-size: clamp(2.25rem, 1.6rem + 2.6vw, 3.75rem); letter-spacing: -0.025em; line-height: 1.08; }
        & h2 { font-size: clamp(1.5rem, 1.25rem + 1vw, 1.875rem); }
        & h3 { font-size: 1.25rem; }
        & p { margin: 0 0 1rem; }
        & a { color: var(--accent-text); text-underline-offset: 0.18em; text-decoration-thickness: 1px; }
        & a:hover { text-decoration-thickness: 2px; }
        & :focus-visible { outline: 3px solid var(--focus); outline-offset: 2px; border-radius: 2px; }
        & [tabindex="-1"]:focus { outline: none; }
        & img { max-width: 100%; height: auto; }
        & button, & input, & textarea, & select { font: inherit; color: inherit; }
        & .visually-hidden {
            position: absolute !important; width: 1px; height: 1px; padding: 0; margin: -1px;
            overflow: hidden; clip: rect(0, 0, 0, 0); white-space: nowrap; border: 0;
        }
        & .container { width: 100%; max-width: 72rem; margin: 0 auto; padding: 0 1rem; }
        @media (min-width: 40rem) { & .container { padding: 0 1.5rem; } }

        & .skip-link { position: absolute; left: 0.5rem; top: -3rem; z-index: 10; background: var(--accent); color: var(--accent-ink); padding: 0.5rem 1rem; border-radius: 4px; }
        & .skip-link:focus { top: 0.5rem; }

        & .progress { position: fixed; top: 0; left: 0; height: 3px; background: var(--accent); z-index: 20; width: 0; opacity: 0; }
        & .progress.active { width: 80%; opacity: 1; transition: width 2s ease-out, opacity 0.2s; }
        @media (prefers-reduced-motion: reduce) { & .progress.active { transition: none; } }

        & .site-header { border-bottom: 1px solid var(--line); }
        & .site-header .bar { display: flex; align-items: center; gap: 1rem; min-height: 4rem; flex-wrap: wrap; }
        & .brand { font-weight: 800; font-size: 1.25rem; letter-spacing: -0.02em; color: var(--ink); text-decoration: none; margin-right: auto; }
        & .nav { display: flex; gap: 0.25rem; align-items: center; margin: 0; padding: 0; list-style: none; }
        & .nav a { color: var(--ink); text-decoration: none; padding: 0.5rem 0.625rem; border-radius: 6px; display: inline-block; }
        & .nav a:hover { background: var(--surface); }
        & .nav a[aria-current="page"] { color: var(--accent-text); font-weight: 600; }
        & .menu-button { display: none; }
        /* The theme button's label: the choice in force, as for color-scheme
           above. */
        & .theme-toggle .theme-light, & .theme-toggle .theme-dark { display: none; }
        [data-keel-theme="light"] & .theme-toggle .theme-light,
        [data-keel-theme="dark"] & .theme-toggle .theme-dark { display: inline; }
        [data-keel-theme] & .theme-toggle .theme-system { display: none; }
        & .theme-toggle, & .menu-button {
            background: transparent; border: 1px solid var(--line); border-radius: 6px; padding: 0.375rem 0.625rem;
            cursor: pointer; min-height: 2.5rem; min-width: 2.5rem;
        }
        @media (max-width: 40rem) {
            & .menu-button { display: inline-block; }
            & .nav { display: none; width: 100%; flex-direction: column; align-items: stretch; padding-bottom: 0.75rem; }
            /* The open menu takes a row of its own, below the name and the button. */
            & .nav-wrap.open { flex-basis: 100%; }
            & .nav-wrap.open .nav { display: flex; }
            & .nav a { padding: 0.75rem 0.5rem; }
        }

        & main { flex: 1; padding: 2.5rem 0 4rem; }
        & .lead { font-size: 1.25rem; color: var(--muted); max-width: 40rem; }
        & .eyebrow { text-transform: uppercase; letter-spacing: 0.08em; font-size: 0.8125rem; color: var(--muted); font-weight: 600; margin-bottom: 0.5rem; }
        & .hero { padding: 1rem 0 2rem; }
        @media (min-width: 48rem) { & .hero { padding: 2rem 0 3rem; } }
        & .section { margin-top: 3rem; }
        @media (min-width: 48rem) { & .section { margin-top: 4rem; } }
        & .section-head { display: flex; justify-content: space-between; align-items: baseline; gap: 1rem; flex-wrap: wrap; margin-bottom: 1.25rem; }

        & .button {
            display: inline-flex; align-items: center; justify-content: center; gap: 0.5rem; min-height: 3rem;
            padding: 0.75rem 1.5rem; border-radius: 8px; border: 2px solid var(--accent); background: var(--accent);
            color: var(--accent-ink); font-weight: 600; text-decoration: none; cursor: pointer;
        }
        & .button:hover { filter: brightness(1.08); }
        & .button.secondary { background: transparent; color: var(--accent-text); }
        & .button[disabled] { opacity: 0.6; cursor: progress; }

        & .cards { display: grid; gap: 1.25rem; grid-template-columns: repeat(auto-fill, minmax(min(100%, 20rem), 1fr)); padding: 0; margin: 0; list-style: none; }
        & .card { position: relative; border: 1px solid var(--line); border-radius: 12px; padding: 1.5rem; background: var(--bg); display: flex; flex-direction: column; gap: 0.5rem; height: 100%; }
        & .card:hover { border-color: var(--accent); }
        & .card h2, & .card h3 { font-size: 1.1875rem; margin: 0; letter-spacing: -0.01em; }
        & .card h2 a, & .card h3 a { color: var(--ink); text-decoration: none; }
        & .card h2 a::after, & .card h3 a::after { content: ""; position: absolute; inset: 0; border-radius: 12px; }
        & .card h2 a:focus-visible, & .card h3 a:focus-visible { outline: none; }
        & .card:focus-within { outline: 3px solid var(--focus); outline-offset: 2px; }
        & .card p { color: var(--muted); margin: 0; font-size: 1rem; }
        & .meta { color: var(--muted); font-size: 0.9375rem; }
        & .tags { display: flex; flex-wrap: wrap; gap: 0.375rem; list-style: none; padding: 0; margin: 0.25rem 0 0; }
        & .tag { font-size: 0.8125rem; background: var(--surface); border: 1px solid var(--line); color: var(--ink); padding: 0.125rem 0.5rem; border-radius: 999px; text-decoration: none; position: relative; z-index: 1; }
        & a.tag:hover, & a.tag[aria-current="true"] { border-color: var(--accent); color: var(--accent-text); }

        & .skeleton { background: var(--surface); border-radius: 12px; min-height: 12rem; }
        & .skeleton-line { background: var(--surface); border-radius: 6px; height: 1.25rem; margin-bottom: 0.75rem; }
        & .skeleton-line:nth-child(3n+1) { width: 93%; }
        & .skeleton-line:nth-child(3n+2) { width: 86%; }
        & .skeleton-line:nth-child(3n) { width: 79%; }
        & .skeleton-line.title { height: 3rem; width: 80%; }
        & .status { border: 1px solid var(--line); border-radius: 12px; padding: 1.5rem; background: var(--surface); }
        & .status.error { border-color: var(--danger); background: var(--danger-soft); }
        & .status.success { border-color: var(--ok); background: var(--ok-soft); }

        & .benefits { display: grid; gap: 1.5rem 2rem; grid-template-columns: repeat(auto-fill, minmax(min(100%, 18rem), 1fr)); list-style: none; padding: 0; margin: 0; }
        & .benefits h3 { font-size: 1.125rem; margin-bottom: 0.375rem; }
        & .benefits p { color: var(--muted); margin: 0; }
        & .steps { counter-reset: step; list-style: none; padding: 0; display: grid; gap: 1.25rem; max-width: 46rem; }
        & .steps li { counter-increment: step; padding-left: 3rem; position: relative; }
        & .steps li::before { content: counter(step); position: absolute; left: 0; top: 0; width: 2rem; height: 2rem; border-radius: 50%; background: var(--accent-soft); color: var(--accent); font-weight: 700; display: grid; place-items: center; }

        & .offices { display: grid; gap: 1.5rem; grid-template-columns: repeat(auto-fill, minmax(min(100%, 14rem), 1fr)); list-style: none; padding: 0; margin: 0; }
        & .offices address { font-style: normal; color: var(--muted); }
        & .offices h3 { font-size: 1.0625rem; margin-bottom: 0.25rem; }
        & .actions { display: flex; gap: 0.75rem; flex-wrap: wrap; }
        & .hero .actions { margin-top: 1.5rem; }
        & address { font-style: normal; }
        & .cta { border-radius: 16px; background: var(--surface); padding: 2rem; margin-top: 4rem; }
        @media (min-width: 48rem) { & .cta { padding: 3rem; } }

        /* minmax(0, …): a wide code block or table scrolls inside its box instead of widening the page. */
        & .article-layout { display: grid; gap: 2rem; grid-template-columns: minmax(0, 1fr); }
        @media (min-width: 64rem) {
            & .article-layout { grid-template-columns: minmax(0, 42rem) 16rem; justify-content: space-between; }
            & .toc { position: sticky; top: 1.5rem; align-self: start; order: 2; }
        }
        & .toc { font-size: 0.9375rem; }
        & .toc ol { list-style: none; padding: 0; margin: 0.5rem 0 0; }
        & .toc li { margin: 0.375rem 0; }
        & .toc li.sub { padding-left: 1rem; }
        & .toc a { color: var(--muted); text-decoration: none; }
        & .toc a:hover { color: var(--accent-text); }
        & .toc summary { cursor: pointer; font-weight: 600; min-height: 2.75rem; display: flex; align-items: center; }
        & .toc-narrow { border: 1px solid var(--line); border-radius: 8px; padding: 0 1rem; }
        & .toc-narrow[open] { padding-bottom: 0.75rem; }
        & .toc-title { font-weight: 600; margin: 0; }
        & .toc-wide { display: none; }
        @media (min-width: 64rem) {
            & .toc-wide { display: block; }
            & .toc-narrow { display: none; }
        }
        & .article-header { max-width: 48rem; margin-bottom: 2rem; }
        & .byline { color: var(--muted); }

        & .prose { max-width: 42rem; font-size: 1.125rem; min-width: 0; overflow-wrap: break-word; }
        /* Images keep the box their width and height reserve: nothing moves as they load. */
        & picture img { display: block; width: 100%; height: auto; }
        & .prose figure { margin: 2rem 0; }
        & figcaption { color: var(--muted); font-size: 0.9375rem; margin-top: 0.625rem; }
        & .cover { margin-top: 1.5rem; }
        & .cover img { border-radius: 12px; }
        /* A card's cover fills its top edge, cropped to one shape for every card. */
        & .card picture img, & .embed-item picture img { aspect-ratio: 16 / 9; object-fit: cover; }
        & .card picture { display: block; margin: -1.5rem -1.5rem 0.5rem; }
        & .card picture img { border-radius: 11px 11px 0 0; }
        & .embed-item picture img { border-radius: 8px; margin-bottom: 0.5rem; max-width: 20rem; }
        & .prose h2 { margin-top: 2.5rem; scroll-margin-top: 1.5rem; }
        & .prose h3 { margin-top: 2rem; scroll-margin-top: 1.5rem; }
        & .prose ul, & .prose ol { padding-left: 1.5rem; margin: 0 0 1rem; }
        & .prose li { margin: 0.25rem 0; }
        & .prose li > p { margin: 0; }
        & .prose blockquote { margin: 1.5rem 0; padding: 0.25rem 0 0.25rem 1.25rem; border-left: 4px solid var(--accent); color: var(--muted); }
        & .prose blockquote > :last-child { margin-bottom: 0; }
        & .prose code { font-family: var(--mono); font-size: 0.9em; background: var(--code-bg); padding: 0.1em 0.3em; border-radius: 4px; }
        & .prose pre { background: var(--code-bg); color: var(--code-ink); padding: 1rem 1.25rem; border-radius: 10px; overflow-x: auto; font-size: 0.9rem; line-height: 1.55; margin: 0 0 1.5rem; border: 1px solid var(--line); }
        & .prose pre code { background: none; padding: 0; font-size: inherit; display: block; }
        & .prose .table-wrap { overflow-x: auto; margin: 0 0 1.5rem; }
        & .prose table { border-collapse: collapse; width: 100%; font-size: 1rem; }
        & .prose th, & .prose td { border-bottom: 1px solid var(--line); padding: 0.5rem 0.75rem; text-align: left; vertical-align: top; }
        /* After the rule above, which they must override. */
        & .prose .align-center { text-align: center; }
        & .prose .align-right { text-align: right; }
        & .prose hr { border: 0; border-top: 1px solid var(--line); margin: 2.5rem 0; }
        & .tok-comment { color: var(--t-comment); font-style: italic; }
        & .tok-keyword, & .tok-tag, & .tok-constant { color: var(--t-keyword); }
        & .tok-string { color: var(--t-string); }
        & .tok-number { color: var(--t-number); }
        & .tok-function { color: var(--t-function); }
        & .tok-type { color: var(--t-type); }
        & .tok-attribute { color: var(--t-attr); }
        & .tok-operator, & .tok-punctuation { color: var(--t-punct); }
        & .tok-variable { color: var(--t-var); }

        & .filters { display: flex; flex-wrap: wrap; gap: 1rem; align-items: end; margin-bottom: 1.5rem; }
        & .field { display: flex; flex-direction: column; gap: 0.375rem; margin-bottom: 1.25rem; }
        & .field label, & .field legend { font-weight: 600; }
        & .field .hint { color: var(--muted); font-size: 0.9375rem; }
        & .field p { margin: 0; }
        /* The error line is always there, empty or not: the form keeps its size when errors appear. */
        & .field .error-text { color: var(--danger); font-size: 0.9375rem; line-height: 1.5rem; font-weight: 600; min-height: 1.5rem; }
        & .field legend { padding: 0; margin-bottom: 0.375rem; }
        & .contact-grid .section { margin-top: 0; }
        & .contact-done { min-height: 24rem; }
        & .field input[type="text"], & .field input[type="email"], & .field input[type="search"], & .field textarea {
            width: 100%; padding: 0.75rem; border: 1px solid var(--muted); border-radius: 8px; background: var(--bg); min-height: 3rem;
        }
        & .field textarea { min-height: 10rem; resize: vertical; }
        & .field [aria-invalid="true"] { border-color: var(--danger); box-shadow: 0 0 0 1px var(--danger); }
        & fieldset.field { border: 0; padding: 0; margin: 0 0 1.25rem; }
        & .choices { display: grid; gap: 0.5rem; grid-template-columns: repeat(auto-fill, minmax(min(100%, 11rem), 1fr)); }
        & .field .choice { display: flex; align-items: center; gap: 0.5rem; border: 1px solid var(--line); border-radius: 8px; padding: 0.625rem 0.75rem; cursor: pointer; font-weight: 400; }
        & .choice input { width: 1.125rem; height: 1.125rem; accent-color: var(--accent); }
        & .field .check { display: flex; gap: 0.625rem; align-items: flex-start; font-weight: 400; }
        & .check input { width: 1.25rem; height: 1.25rem; margin-top: 0.2rem; accent-color: var(--accent); flex: none; }
        /* The partner playground (pages/playground.rs): options beside the live widget. */
        & .field select { width: 100%; padding: 0.625rem 0.75rem; border: 1px solid var(--muted); border-radius: 8px; background: var(--bg); min-height: 3rem; }
        & .playground { display: grid; gap: 2.5rem; }
        @media (min-width: 64rem) { & .playground { grid-template-columns: minmax(0, 22rem) minmax(0, 1fr); } }
        & .playground h2 { font-size: 1.375rem; }
        & .playground-preview { min-height: 12rem; }
        & .playground pre code { white-space: pre-wrap; word-break: break-all; }
        & .honeypot { position: absolute; left: -10000px; width: 1px; height: 1px; overflow: hidden; }
        & .contact-grid { display: grid; gap: 3rem; }
        @media (min-width: 64rem) { & .contact-grid { grid-template-columns: minmax(0, 40rem) 1fr; } }

        /* The article index (pages/articles.rs): a shorter hero above the
           filters, the search field's share of the filter row, and the room
           the tag list takes while it loads (so the results do not jump). */
        & .hero.index-hero { padding-bottom: 1.5rem; }
        & .filters .field.search-field { margin: 0; flex: 1 1 16rem; max-width: 28rem; }
        & .tags-pending { min-height: 2rem; }

        & .pager { display: flex; justify-content: space-between; align-items: center; gap: 1rem; margin-top: 2rem; }
        & .pager { flex-wrap: wrap; }
        & .pages { display: flex; flex-wrap: wrap; justify-content: center; align-items: center; gap: 0.35rem; list-style: none; margin: 0; padding: 0; }
        & .pages a { display: inline-flex; align-items: center; justify-content: center; min-width: 2.5rem; min-height: 2.5rem; padding: 0 0.5rem; box-sizing: border-box; }
        & .pages a[aria-current="page"] { border-color: var(--accent); color: var(--accent-text); font-weight: 700; }
        @media (max-width: 40rem) { & .pages { order: 3; flex-basis: 100%; gap: 0.25rem; } & .pages a { min-width: 2.25rem; min-height: 2.25rem; padding: 0 0.25rem; } }
        & mark { background: var(--accent-soft); color: inherit; border-radius: 2px; padding: 0 0.1em; }
        & .site-footer { border-top: 1px solid var(--line); padding: 3rem 0; color: var(--muted); font-size: 0.9375rem; }
        & .site-footer.placeholder { min-height: 14rem; }
        & .site-footer .cols { display: grid; gap: 2rem; grid-template-columns: repeat(auto-fill, minmax(min(100%, 14rem), 1fr)); }
        & .site-footer h2 { font-size: 1rem; color: var(--ink); }
        & .site-footer ul { list-style: none; padding: 0; margin: 0; }

        /* The embed views (src/embed.rs): as tall as their content, which the
           partner's page is told; `data-keel-count` above shows that many. */
        &.embed-root { min-height: 0; display: block; }
        & .embed { padding: 1.25rem; border: 1px solid var(--line); border-radius: 12px; background: var(--bg); }
        & .embed-title { font-size: 1.375rem; margin: 0 0 1rem; }
        & .embed-title a { color: var(--ink); text-decoration: none; }
        & .embed-title a:hover { color: var(--accent-text); }
        & .embed-list { list-style: none; margin: 0; padding: 0; display: grid; gap: 0.75rem; }
        & .embed-item { border-top: 1px solid var(--line); padding-top: 0.75rem; }
        & .embed-item h3 { font-size: 1.125rem; margin: 0 0 0.25rem; }
        & .embed-item h3 a { color: var(--ink); }
        & .embed-item h3 a:hover { color: var(--accent-text); }
        & .embed-item p { margin: 0; color: var(--muted); font-size: 0.9375rem; }
        & .embed-item .meta { font-size: 0.875rem; margin-bottom: 0.25rem; }
        ${beyond_count} { display: none; }
        & .embed-more { margin: 1rem 0 0; font-weight: 600; }
        & .embed-empty { color: var(--muted); }
        & .embed .lead { font-size: 1.0625rem; }
        & .embed .prose { font-size: 1.0625rem; max-width: none; }
        & .embed .contact-done { min-height: 0; }
        & .embed .status h2 { font-size: 1.25rem; }
        "#,
        accent_ink_dark = ACCENT_INK_DARK,
        link_light = LINK_LIGHT,
        link_dark = LINK_DARK,
        bg_dark = BG_DARK,
        // `data-keel-count="n"` shows n items of the list view's `LIST_MAX`.
        beyond_count = (1..keel_model::embed::LIST_MAX)
            .map(|n| format!(
                "[data-keel-count=\"{n}\"] & .embed-list > li:nth-child(n+{})",
                n + 1
            ))
            .collect::<Vec<_>>()
            .join(", "),
    )
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    /// Every selector names the root class, so no rule reaches a host page
    /// (or anything of ours outside the app).
    #[test]
    fn every_rule_hangs_off_the_root_class() {
        let css = super::stylesheet().expect("the stylesheet builds");
        assert!(!css.contains("stylist"), "no generated class name is left");
        let mut checked = 0;
        let mut rest = css.as_str();
        while let Some(open) = rest.find('{') {
            let head = rest[..open]
                .rsplit(['}', ';'])
                .next()
                .unwrap_or_default()
                .trim();
            rest = &rest[open + 1..];
            if head.starts_with('@') || head.ends_with('%') || head == "from" || head == "to" {
                continue;
            }
            for selector in head.split(',') {
                assert!(
                    hangs_off_the_root(selector),
                    "a rule outside the app: {selector:?}"
                );
                checked += 1;
            }
        }
        assert!(
            checked > 100,
            "only {checked} selectors found: is the stylesheet read right?"
        );
    }

    /// Whether `selector` names the root class as a whole class name:
    /// `.keel-x` or `.keelhaul` is another class, outside the app.
    fn hangs_off_the_root(selector: &str) -> bool {
        let root = format!(".{}", super::ROOT_CLASS);
        selector.match_indices(&root).any(|(i, _)| {
            !selector[i + root.len()..]
                .starts_with(|c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        })
    }

    #[test]
    fn only_the_whole_root_class_counts() {
        let root = super::ROOT_CLASS;
        for inside in [
            format!(".{root} p"),
            format!("[data-keel-theme=\"dark\"] .{root}"),
            format!(".{root}.embed-root a"),
            format!(".{root}"),
        ] {
            assert!(hangs_off_the_root(&inside), "{inside}");
        }
        for outside in [
            format!(".{root}haul p"),
            format!(".{root}-x a"),
            format!("p.{root}_y"),
            "html body".to_string(),
        ] {
            assert!(!hangs_off_the_root(&outside), "{outside}");
        }
    }
}
