//! The wire model: every type that crosses a boundary between the content
//! compiler, the server and the SPA, plus the paths they are found at and the
//! contact-form validation rules.
//!
//! Architecture invariant: this crate knows nothing about HTTP, files, Markdown or
//! the DOM. It compiles for `wasm32-unknown-unknown` and for the host, and it has
//! one dependency in the wasm (serde, whose derives the wasm never calls: it reads
//! with `json::Read`), and serde_json on the host.

pub mod contact;
pub mod doc;
pub mod json;
pub mod paths;
pub mod search;

mod api;
pub use api::*;
