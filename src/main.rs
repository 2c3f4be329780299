//! The browser entry point of our site; everything else is in the library.
//! The embed views have their own (`bin/keel-embed.rs`). Build and serve
//! with `cargo xtask run` (see README.md).

fn main() {
    #[cfg(feature = "csr")]
    keel::start();
}
