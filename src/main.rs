//! The browser entry point; everything else is in the library.
//! Build and serve with `trunk serve` (see README.md).

fn main() {
    #[cfg(feature = "csr")]
    keel::start();
}

/// For the embed loader (`embed/v1.js`): mount the embed view `path` inline
/// into `root`, our site being at `site` and the API at `api` (the loader
/// adopts the stylesheet itself).
#[cfg(feature = "csr")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn keel_embed(root: web_sys::Element, path: String, site: String, api: String) {
    keel::embed::mount(root, &path, &site, &api)
}
