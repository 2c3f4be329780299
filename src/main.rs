//! The browser entry point; everything else is in the library.
//! Build and serve with `trunk serve` (see README.md).

fn main() {
    #[cfg(feature = "csr")]
    keel::start();
}
