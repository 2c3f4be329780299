//! The browser entry point of the embed views (`src/embed.rs`): their own
//! wasm, built from `embed.html`, so that a partner's visitor downloads none
//! of our site's pages.

fn main() {
    #[cfg(feature = "csr")]
    keel::embed::start();
}

/// For the embed loader (`embed/v1.js`): mount the embed view `path` inline
/// into `root`, our site being at `site` and the API at `api`, with the
/// widget's `settings` (URL-encoded; the loader adopts the stylesheet itself).
#[cfg(feature = "csr")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn keel_embed(
    root: web_sys::Element,
    path: String,
    site: String,
    api: String,
    settings: String,
) {
    keel::embed::mount(root, &path, &site, &api, &settings)
}
