//! JSON in, with no parser in the wasm: the browser's `JSON.parse` makes the
//! value, and the model's `json::Read` reads it (`keel_model::json`). On the
//! host (server rendering) serde_json parses instead, and the same readers
//! run.

use keel_model::json::Read;

/// `text` read as a `T`; `None` when it is no JSON or not a `T`.
pub fn read<T: Read>(text: &str) -> Option<T> {
    #[cfg(target_arch = "wasm32")]
    return T::read(&Js(js_sys::JSON::parse(text).ok()?));
    #[cfg(not(target_arch = "wasm32"))]
    keel_model::json::from_str(text)
}

/// A value `JSON.parse` made.
#[cfg(target_arch = "wasm32")]
struct Js(wasm_bindgen::JsValue);

#[cfg(target_arch = "wasm32")]
impl keel_model::json::Json for Js {
    fn member(&self, name: &str) -> Option<Self> {
        // `JSON.parse` makes plain objects and arrays; an array has no members here.
        if !self.0.is_object() || js_sys::Array::is_array(&self.0) {
            return None;
        }
        let v = js_sys::Reflect::get(&self.0, &wasm_bindgen::JsValue::from_str(name)).ok()?;
        (!v.is_undefined()).then_some(Js(v))
    }

    fn is_null(&self) -> bool {
        self.0.is_null()
    }

    fn string(&self) -> Option<String> {
        self.0.as_string()
    }

    fn number(&self) -> Option<f64> {
        self.0.as_f64()
    }

    fn boolean(&self) -> Option<bool> {
        self.0.as_bool()
    }

    fn items(&self) -> Option<Vec<Self>> {
        use wasm_bindgen::JsCast;
        Some(self.0.dyn_ref::<js_sys::Array>()?.iter().map(Js).collect())
    }
}
