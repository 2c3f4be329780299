//! The wire model: every type that crosses a boundary between the content
//! compiler, the server and the SPA, plus the paths they are found at and the
//! contact-form validation rules.
//!
//! Architecture invariant: this crate knows nothing about HTTP, files, Markdown or
//! the DOM. It compiles for `wasm32-unknown-unknown` and for the host, and it has
//! one dependency, serde: each wire type is written once, as a Rust type with
//! serde's derives, which the content compiler writes with and the server and
//! the SPA (through serde_json, in the wasm too) read with.

pub mod challenge;
pub mod contact;
pub mod doc;
pub mod embed;
pub mod paths;
pub mod search;

mod api;
pub use api::*;
