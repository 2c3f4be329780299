//! JSON in: every document the app reads is deserialized by serde's derives
//! on the model's types (`keel_model`), through serde_json, in the wasm and
//! on the host (server rendering) alike.

use serde::de::DeserializeOwned;

/// `text` read as a `T`; `None` when it is no JSON or not a `T`.
pub fn read<T: DeserializeOwned>(text: &str) -> Option<T> {
    serde_json::from_str(text).ok()
}
