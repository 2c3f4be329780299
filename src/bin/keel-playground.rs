//! The browser entry point of the partner playground (`/embed/`,
//! `app::PlaygroundApp`): a wasm of its own, so that our readers download
//! none of it.

fn main() {
    #[cfg(feature = "csr")]
    keel::start_playground();
}
