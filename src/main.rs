//! The browser entry point of our site; everything else is in the library.
//! The partner playground and the embed views have their own
//! (`bin/keel-playground.rs`, `bin/keel-embed.rs`). Build and serve
//! with `cargo xtask run` (see README.md).

fn main() {
    #[cfg(feature = "csr")]
    keel::start();
}
