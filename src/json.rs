//! JSON in and out: every document the app reads, and what it writes (the
//! contact request, the saved draft), goes through serde's derives on the
//! model's types (`keel_model`). In the wasm, between the browser's
//! `JSON.parse`/`JSON.stringify` values and the types (serde-wasm-bindgen), so
//! the wasm carries no JSON parser or writer of its own; on the host (server
//! rendering, tests), through serde_json. The same derives either way.

use serde::Serialize;
use serde::de::DeserializeOwned;

/// `text` read as a `T`; `None` when it is no JSON or not a `T`.
pub fn read<T: DeserializeOwned>(text: &str) -> Option<T> {
    #[cfg(target_arch = "wasm32")]
    return serde_wasm_bindgen::from_value(js_sys::JSON::parse(text).ok()?).ok();
    #[cfg(not(target_arch = "wasm32"))]
    serde_json::from_str(text).ok()
}

/// `value` as JSON text. A member that is `None` is written as `null` on the
/// host and left out in the wasm: the readers (serde's, `#[serde(default)]`)
/// take both as `None`.
pub fn write<T: Serialize>(value: &T) -> String {
    #[cfg(target_arch = "wasm32")]
    return serde_wasm_bindgen::to_value(value)
        .ok()
        .and_then(|v| js_sys::JSON::stringify(&v).ok())
        .and_then(|s| s.as_string())
        .unwrap_or_default();
    #[cfg(not(target_arch = "wasm32"))]
    serde_json::to_string(value).unwrap_or_default()
}
