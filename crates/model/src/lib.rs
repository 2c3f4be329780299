//! The wire model: every type that crosses a boundary between the content
//! compiler, the server and the SPA, plus the paths they are found at and the
//! contact-form validation rules.
//!
//! Architecture invariant: this crate knows nothing about HTTP, files, Markdown or
//! the DOM. It compiles for `wasm32-unknown-unknown` and for the host, and it has
//! one dependency (serde), because it is linked into the wasm bundle.

pub mod contact;
pub mod doc;
pub mod paths;
pub mod search;
mod wire;

mod api;
pub use api::*;
